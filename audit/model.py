"""The first-principles model: every metric of a spec and a scenario, under its interpretations.

`Model(spec).evaluate(scenario)` gives one `Estimate` per metric: the formula (from
`audit.formulas`), and one `Reading` per documented interpretation, the default (design-point)
reading first. The checks take the reading closest to a claim; for a floor they take the lowest
reading and for a ceiling the highest, so a reading is only here when it is defensible.

The sympy expressions are built, printed and lambdified once per process (`_compiled`); an
evaluation only calls the compiled lambdas with numbers and fills the printed templates, so
importing this module does not import sympy and a warm `evaluate` takes well under 2 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from typing import TYPE_CHECKING, Any, cast

from audit.records import Reading
from audit.spec import BYTES_PER_ELEMENT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from audit.spec import Spec


@dataclass(frozen=True, slots=True)
class ScenarioParams:
    """A deployment: parallel degrees and the global batch."""

    name: str
    tp: int
    pp: int
    dp: int
    ep: int
    batch_size: int
    """Global batch: requests in flight over the whole deployment; splits over DP."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A recomputed metric with its formula and every interpretation's value."""

    metric: str
    unit: str
    """Base unit: "1", "B", "B/s", "FLOP", "FLOP/s", "s", "tok/s", "%" (a fraction)."""
    formula: str
    """The symbolic formula of the first reading, e.g. "P_total*b_w/(PP*TP)"."""
    readings: tuple[Reading, ...]
    """Interpretations, the default/design-point reading first."""
    kind: str = "value"
    """"value", "floor" (the truth is at least this) or "ceiling" (at most this)."""

    @property
    def value(self) -> float:
        """The default reading's value."""
        return self.readings[0].value

    @property
    def substitution(self) -> str:
        return self.readings[0].substitution

    @property
    def low(self) -> float:
        return min(r.value for r in self.readings)

    @property
    def high(self) -> float:
        return max(r.value for r in self.readings)


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides which expressions a model uses; specs of the same shape share them."""

    mla: bool
    q_lora: bool
    moe: bool
    dense_layers: bool
    """A MoE whose first layers are dense."""
    shared: bool
    """A MoE with shared experts."""
    tied: bool


# --- compiled expressions ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Compiled:
    formula: str
    template: str
    """The formula with "{0}", "{1}"... in place of the symbols in `args`."""
    args: tuple[str, ...]
    fn: Callable[..., float]


USED: set[tuple] = set()
"""Every (formula name, *flags) compiled in this process; `formula_cache_source` writes them out."""


@cache
def _compiled(name: str, *flags: Any) -> _Compiled:
    """The expression `audit.formulas.<name>(*flags)`, printed and compiled once.

    The generated module `audit._formula_cache` holds what sympy prints for every expression the
    examples use (tests/test_formula_cache.py keeps it equal to sympy's output), so a run need not
    import sympy at all; an expression it lacks is built with sympy here."""
    USED.add((name, *flags))
    try:
        from audit._formula_cache import COMPILED
    except ImportError:  # pragma: no cover - the cache is part of the package
        COMPILED = {}
    hit = COMPILED.get((name, *flags))
    if hit is not None:
        formula, template, args, fn = hit
        return _Compiled(formula, template, args, cast("Callable[..., float]", fn))
    return _build(name, *flags)


def _build(name: str, *flags: Any) -> _Compiled:
    """Build the sympy expression: print it, make its template, lambdify it."""
    import sympy as sp

    from audit import formulas

    expr = getattr(formulas, name)(*flags)
    args = tuple(sorted(str(x) for x in expr.free_symbols))
    fn = sp.lambdify([formulas.SYMBOLS[a] for a in args], expr, modules="math", docstring_limit=0)
    return _Compiled(formula=sp.sstr(expr), template=_template(expr, args), args=args, fn=fn)


def _template(expr, args: tuple[str, ...]) -> str:
    from sympy.printing.str import StrPrinter

    position = {a: i for i, a in enumerate(args)}

    class _Template(StrPrinter):
        # same term order as the formula (it comes from the expression), symbols as fields
        def _print_Symbol(self, sym):
            return "{" + str(position[sym.name]) + "}"

    return _Template().doprint(expr)


def formula_cache_source(keys) -> str:
    """The source of `audit._formula_cache` for these (name, *flags) keys: what sympy prints."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    from audit import formulas

    lines = ['"""Generated from audit/formulas.py by tests/test_formula_cache.py: do not edit.', "",
             "What sympy prints for each expression the model uses, so that a run need not import sympy.",
             'Regenerate with `AUDIT_UPDATE_GOLDEN=1 pytest tests/test_formula_cache.py`."""', "",
             "import math  # noqa: F401", "", "from audit.model import Shape  # noqa: F401", "", "COMPILED = {"]
    printer = PythonCodePrinter({"standard": "python3"})
    for key in sorted(keys, key=repr):
        name, *flags = key
        expr = getattr(formulas, name)(*flags)
        args = tuple(sorted(str(x) for x in expr.free_symbols))
        body = printer.doprint(expr)
        lines.append(f"    {key!r}: ({sp.sstr(expr)!r}, {_template(expr, args)!r}, {args!r},")
        lines.append(f"        lambda {', '.join(args)}: {body}),")
    lines.append("}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=8192)
def _number(x: float) -> str:
    """A number as a reviewer writes it: 10240, 0.0625, 235.09e9, 1.8e12, 96.256e-6."""
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.6g}"
    exponent = math.floor(math.log10(abs(x)) / 3) * 3
    mantissa = f"{x / 10.0**exponent:.5g}"
    if mantissa == "1000":
        mantissa, exponent = "1", exponent + 3
    return f"{mantissa}e{exponent}"


def _calc(key: tuple, values: dict[str, float]) -> tuple[float, str]:
    """Value and substitution of the compiled expression `key` at `values`."""
    c = _compiled(*key)
    args = [values[a] for a in c.args]
    return float(c.fn(*args)), c.template.format(*[_number(x) for x in args])


# --- the model -----------------------------------------------------------------------------

_Option = tuple[str, Any]  # (what was assumed, the value the assumption sets)


def _shape(spec: Spec) -> Shape:
    m = spec.model
    mla = m.attention.kind == "mla"
    return Shape(mla=mla, q_lora=mla and m.attention.q_lora_rank is not None, moe=m.moe is not None,
                 dense_layers=bool(m.moe and m.moe.first_dense_layers),
                 shared=bool(m.moe and m.moe.shared_experts), tied=m.tie_word_embeddings)


def peak_flops(spec: Spec) -> tuple[str, float]:
    """(precision, dense FLOP/s) the matmuls run at: the weights' precision when the hardware
    lists it, else bf16, fp16 (W4A16: int4 weights are dequantised to 16 bits), else the
    activations' precision, else the fastest listed (lenient for floors)."""
    from audit.specload import peak_flops_for

    found = peak_flops_for(spec.hardware, spec.precision.weights)
    if found is not None:
        return found
    table = spec.hardware.peak_flops
    if spec.precision.activations in table:
        return spec.precision.activations, table[spec.precision.activations]
    return max(table.items(), key=lambda item: item[1])


def _architecture(spec: Spec, shape: Shape) -> dict[str, float]:
    """The numbers every expression is evaluated at: the config, the hardware, the workload,
    and the derived architecture quantities (P_total, P_act, kv_tok, ...)."""
    m, a, moe = spec.model, spec.model.attention, spec.model.moe
    head_dim = a.head_dim or m.hidden_size / a.heads
    v: dict[str, float] = {
        "L": m.layers, "h": m.hidden_size, "V": m.vocab_size, "n_h": a.heads,
        "n_kv": a.kv_heads or a.heads, "d_h": head_dim, "d_ff": m.intermediate_size or 0,
        "r_q": a.q_lora_rank or 0, "r_kv": a.kv_lora_rank or 0, "d_nope": a.qk_nope_head_dim or 0,
        "d_rope": a.qk_rope_head_dim or 0, "d_v": a.v_head_dim or 0,
        "E": moe.experts if moe else 0, "k": moe.experts_per_token if moe else 0,
        "d_e": moe.expert_intermediate_size if moe else 0, "n_s": moe.shared_experts if moe else 0,
        "d_s": (moe.shared_intermediate_size or moe.expert_intermediate_size) if moe else 0,
        "L_dense": moe.first_dense_layers if moe else m.layers,
        "b_w": BYTES_PER_ELEMENT[spec.precision.weights],
        "b_kv": BYTES_PER_ELEMENT[spec.precision.kv_cache or spec.precision.activations],
        "R": peak_flops(spec)[1], "BW": spec.hardware.memory_bandwidth, "M": spec.hardware.memory,
        "N": spec.hardware.devices,
    }
    if shape.mla:
        v["d_qk"], v["d_v"] = v["d_nope"] + v["d_rope"], v["d_v"]
    else:
        v["d_qk"] = v["d_v"] = head_dim
    derived = {
        "P_total": ("params_total", shape), "P_act": ("params_active", shape, False),
        "P_emb": ("embedding_params", shape), "P_head": ("lm_head_params",),
        "P_experts": ("routed_experts", shape, "E"), "P_routed": ("routed_experts", shape, "k"),
        "P_attn": ("attention_params", shape), "P_ffn": ("ffn_params_active", shape),
        "kv_tok": ("kv_cache_per_token", shape),
    }
    for name, key in derived.items():
        v[name] = _calc(key, v)[0]
    return v


class Model:
    """First-principles figures of one spec, per scenario."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.shape = _shape(spec)
        self.values = _architecture(spec, self.shape)
        self._static = self._spec_estimates()
        self._cache: dict[ScenarioParams, dict[str, Estimate]] = {}

    # scenarios ---------------------------------------------------------------------------

    def scenarios(self) -> dict[str, ScenarioParams]:
        """The spec's scenarios; without any, one "default" on a single device."""
        if not self.spec.scenarios:
            return {"default": self.scenario("default")}
        return {name: self.scenario(name, sc.tp, sc.pp, sc.dp, sc.ep, sc.batch_size)
                for name, sc in self.spec.scenarios.items()}

    def scenario(self, name: str, tp: int = 1, pp: int = 1, dp: int = 1, ep: int = 1,
                 batch_size: int | None = None) -> ScenarioParams:
        """An ad hoc scenario (e.g. read from a report); the batch defaults to the workload's."""
        return ScenarioParams(name, int(tp), int(pp), int(dp), int(ep),
                              int(batch_size or self.spec.workload.batch_size))

    # estimates ---------------------------------------------------------------------------

    def evaluate(self, sc: ScenarioParams) -> dict[str, Estimate]:
        """Every metric for scenario `sc` (memoised per ScenarioParams)."""
        cached = self._cache.get(sc)
        if cached is None:
            cached = self._cache[sc] = {**self._static, **self._scenario_estimates(sc)}
        return dict(cached)

    def _spec_estimates(self) -> dict[str, Estimate]:
        shape, v = self.shape, self.values
        out: dict[str, Estimate] = {}

        def add(metric: str, unit: str, readings: list[tuple[str, tuple, dict]], kind: str = "value"):
            out[metric] = _estimate(metric, unit, readings, kind)

        add("params_total", "1", [("from the architecture (norms and biases ignored)", ("params_total", shape), v)])
        active = [("matmul params per token (lm_head in, embedding lookup out)", ("params_active", shape, False), v)]
        if not shape.tied:
            active.append(("with the embedding (model-card count)", ("params_active", shape, True), v))
        add("params_active", "1", active)
        add("kv_cache_per_token", "B", [(f"KV cache in {self.spec.precision.kv_cache or self.spec.precision.activations}",
                                         ("kv_cache_per_token", shape), v)])
        for metric, symbol in (("layers", "L"), ("heads", "n_h"), ("kv_heads", "n_kv"), ("experts", "E"),
                               ("experts_per_token", "k"), ("hidden_size", "h"), ("vocab_size", "V"),
                               ("devices_available", "N")):
            add(metric, "1", [("as specified", ("figure", symbol), v)])
        memory = [("as specified", ("figure", "M"), v)]
        if (v["M"] / 1e9).is_integer():  # "64 GB" HBM is 64 GiB in practice (DESIGN.md)
            memory.append(("the GB label read as GiB", ("figure", "M"), {**v, "M": v["M"] / 1e9 * 2**30}))
        add("memory_capacity", "B", memory)
        add("memory_bandwidth", "B/s", [("as specified", ("figure", "BW"), v)])
        add("peak_flops", "FLOP/s", [(f"dense peak at {peak_flops(self.spec)[0]}", ("figure", "R"), v)])
        return out

    def _scenario_estimates(self, sc: ScenarioParams) -> dict[str, Estimate]:
        shape, spec = self.shape, self.spec
        wl = spec.workload
        v = {**self.values, "TP": sc.tp, "PP": sc.pp, "DP": sc.dp, "EP": sc.ep, "B": sc.batch_size}
        ep = sc.ep > 1
        out: dict[str, Estimate] = {}

        def add(metric: str, unit: str, readings: list[tuple[str, tuple, dict]], kind: str = "value"):
            out[metric] = _estimate(metric, unit, readings, kind)

        add("device_count", "1", [("TP x PP x DP", ("device_count",), v)])
        add("heads_per_device", "1", [("heads over TP", ("heads_per_device",), v)])
        uneven = v["L"] % sc.pp != 0
        add("layers_per_stage", "1", [("heaviest stage", ("layers_per_stage", True), v)]
            + ([("average stage", ("layers_per_stage", False), v)] if uneven else []))

        # weights: even split, and the heaviest stage when the layers do not divide evenly
        weights: list[_Option] = [("weights split evenly", False)] + ([("heaviest stage", True)] if uneven else [])
        weight_readings = [(label, ("weights_per_device", ep, heavy, shape.tied), v) for label, heavy in weights]
        add("weights_per_device", "B", weight_readings)
        w_dev = [(label, _calc(key, vals)[0]) for label, key, vals in weight_readings]

        # KV: batch x context x how KV heads shard
        s_max = wl.input_max
        out_max = None if wl.output_tokens is None else (
            wl.output_tokens if isinstance(wl.output_tokens, int) else wl.output_tokens.max)
        batch: list[_Option] = [("batch global, split over DP", False)]
        if sc.dp > 1:
            batch.append(("scenario batch per replica", True))
        context: list[_Option] = [(f"context {s_max} (max input)", s_max)]
        if out_max:
            context.append((f"context {s_max + out_max} (max input + output)", s_max + out_max))
        if shape.mla:
            split: list[_Option] = [("MLA latent KV not split by TP", "none")]
            if sc.tp > 1:
                split.append(("attention partitioned by batch: KV / TP", "tp"))
        else:
            beyond = sc.tp > v["n_kv"]
            split = [("KV heads replicated beyond TP > kv_heads" if beyond else "KV heads split over TP", "heads")]
            if beyond:
                split.append(("attention partitioned by batch: KV / TP", "tp"))
        kv = []  # (label, per_replica, value)
        kv_readings = []
        for (bl, per_replica), (cl, ctx), (sl, how) in product(batch, context, split):
            label, key, vals = f"{bl}; {cl}; {sl}", ("kv_cache_per_device", how, per_replica), {**v, "s": ctx}
            kv_readings.append((label, key, vals))
            kv.append((label, per_replica, _calc(key, vals)[0]))
        add("kv_cache_per_device", "B", kv_readings)

        memory = [(f"{wl_}; {kl}", ("memory_per_device",), {**v, "W_dev": w, "KV_dev": kvv})
                  for (wl_, w), (kl, _, kvv) in product(w_dev, kv)]
        add("memory_per_device", "B", memory, "floor")
        capacity: list[_Option] = [("capacity as specified", v["M"])]
        if (v["M"] / 1e9).is_integer():
            capacity.append(("capacity GB read as GiB", v["M"] / 1e9 * 2**30))
        add("memory_utilization", "%", [(f"{label}; {cl}", ("memory_utilization",), {**vals, "M": cap})
                                        for (label, _, vals), (cl, cap) in product(memory, capacity)], "floor")

        # prefill FLOPs of one request at the longest prompt, and the batch
        prefill = _prefill_options(shape)
        at_max = {**v, "s": s_max}
        f_one = [(label, flags, _calc(("prefill_flops", *flags), at_max)[0]) for label, flags in prefill]
        add("prefill_flops", "FLOP", [(label, ("prefill_flops", *flags), at_max) for label, flags in prefill])
        batch_of: list[_Option] = [("global batch", False)] + ([("batch per replica (B/DP)", True)] if sc.dp > 1 else [])
        add("prefill_flops_batch", "FLOP", [(f"{bl}; {label}", ("batch_flops", per), {**v, "F": f})
                                            for (bl, per), (label, _, f) in product(batch_of, f_one)])
        attention = [(label, ("prefill_flops_attention", causal, projections), at_max)
                     for projections, what in ((True, "projections and scores"), (False, "scores only"))
                     for label, causal in ((f"{what}; causal", True), (f"{what}; non-causal", False))]
        add("prefill_flops_attention", "FLOP", attention)
        add("prefill_flops_attention_batch", "FLOP", [
            (f"{bl}; {label}", ("batch_flops", per), {**v, "F": _calc(key, vals)[0]})
            for (bl, per), (label, key, vals) in product(batch_of, attention)])
        mlp = [("top-k experts, router and shared experts", ("prefill_flops_mlp",), at_max)]
        if shape.moe:  # "the routed experts are 335 TFLOPs": router and shared experts left out
            mlp.append(("routed experts only", ("routed_expert_flops",), at_max))
        add("prefill_flops_mlp", "FLOP", mlp)
        add("prefill_flops_mlp_batch", "FLOP", [(f"{bl}; {label}", ("batch_flops", per), {**v, "F": _calc(key, vals)[0]})
                                                for (bl, per), (label, key, vals) in product(batch_of, mlp)])

        # TTFT and prefill floors: lenient readings only (no embedding FLOPs)
        lenient = [(label, flags) for label, flags in prefill if not flags[2]]
        for metric, tokens in (("ttft_floor", s_max), ("ttft_floor_min_prompt", wl.input_min)):
            at = {**v, "s": tokens}
            f_exp = _calc(("routed_expert_flops",), at)[0]
            add(metric, "s", [(f"lone request, {tokens}-token prompt; {label}", ("ttft_floor", ep),
                               {**at, "F": _calc(("prefill_flops", *flags), at)[0], "F_exp": f_exp})
                              for label, flags in lenient], "floor")
        f_lenient = [(label, f) for label, flags, f in f_one if not flags[2]]
        add("batch_prefill_floor", "s", [(f"{bl}; {label}", ("batch_prefill_floor", per), {**v, "F": f})
                                         for (bl, per), (label, f) in product(batch, f_lenient)], "floor")

        # decode: weights read per micro-batch (all / uniform routing / top-k) + KV, over bandwidth
        def read(mode: str, b_mb: float) -> float:
            return _calc(("weights_read_per_device", ep, shape.moe, mode, shape.tied), {**v, "B_mb": b_mb})[0]

        def replica_batch(per_replica: bool) -> float:
            return sc.batch_size if per_replica else sc.batch_size / sc.dp

        topk = "top-k experts per layer" if shape.moe else "all weights"
        hard = read("topk", 1)
        add("decode_step_floor", "s", [(f"{topk} (every token routed alike); {label}", ("decode_step_floor",),
                                        {**v, "W_read": hard, "KV_dev": kvv}) for label, _, kvv in kv], "floor")
        uniform = []
        for label, per_replica, kvv in kv:
            replica_tokens = replica_batch(per_replica)
            micro = max(1.0, replica_tokens / sc.pp)
            routing = (f"uniform routing of {_number(micro)} tokens per micro-batch (PP micro-batches)"
                       if shape.moe else "all weights")
            uniform.append((f"{routing}; {label}", ("decode_step_floor",),
                            {**v, "W_read": read("uniform", micro), "KV_dev": kvv}))
            if shape.moe and sc.pp > 1:
                uniform.append((f"uniform routing of {_number(replica_tokens)} tokens (the replica batch as one "
                                f"micro-batch); {label}", ("decode_step_floor",),
                                {**v, "W_read": read("uniform", replica_tokens), "KV_dev": kvv}))
        add("decode_step_floor_uniform", "s", uniform, "floor")
        decode_ceiling = []
        for label, per_replica, kvv in kv:
            modes = [("all weights read", read("all", 1))]
            if shape.moe:
                micro = max(1.0, replica_batch(per_replica) / sc.pp)
                modes += [(f"uniform routing of {_number(micro)} tokens per micro-batch", read("uniform", micro)),
                          ("top-k experts per layer (every token routed alike)", hard)]
            decode_ceiling += [(f"{ml}; {label}", ("decode_throughput_ceiling", per_replica),
                                {**v, "W_read": w, "KV_dev": kvv}) for ml, w in modes]
        add("decode_throughput_ceiling", "tok/s", decode_ceiling, "ceiling")
        add("prefill_throughput_ceiling", "tok/s", [(f"{s_max}-token prompts; {label}", ("prefill_throughput_ceiling",),
                                                     {**at_max, "F": f}) for label, f in f_lenient], "ceiling")
        x_p, x_d = out["prefill_throughput_ceiling"], out["decode_throughput_ceiling"]
        both = [("the larger of the default prefill and decode ceilings", ("throughput_ceiling",),
                 {**v, "X_p": x_p.value, "X_d": x_d.value})]
        if (x_p.high, x_d.high) != (x_p.value, x_d.value):
            both.append(("the larger of the most lenient prefill and decode ceilings", ("throughput_ceiling",),
                         {**v, "X_p": x_p.high, "X_d": x_d.high}))
        add("throughput_ceiling", "tok/s", both, "ceiling")
        return out


def _prefill_options(shape: Shape) -> list[tuple[str, tuple[bool, bool, bool]]]:
    """Prefill interpretations as (label, (causal, lm_head on the last token only, embedding)),
    the default first: causal, logits for every prompt token, embedding lookup free."""
    options = []
    for emb, head_last, causal in product((False, True), (False, True), (True, False)):
        if emb and shape.tied:
            continue
        label = "; ".join(("causal" if causal else "non-causal",
                           "lm_head on the last token only" if head_last else "lm_head on every prompt token",
                           "embedding counted" if emb else "embedding lookup free"))
        options.append((label, (causal, head_last, emb)))
    return options


def _estimate(metric: str, unit: str, readings: Iterable[tuple[str, tuple, dict]], kind: str) -> Estimate:
    done, formula = [], ""
    for name, key, values in readings:
        value, substitution = _calc(key, values)
        formula = formula or _compiled(*key).formula
        done.append(Reading(name, value, substitution))
    return Estimate(metric, unit, formula, tuple(done), kind)
