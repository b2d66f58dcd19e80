"""The first-principles model: every metric of a scenario, under every interpretation that applies.

`evaluate(scenario)` gives one `Estimate` per computed metric of `audit.physics.formulas`: a
`Reading` for each combination of the options of the axes the metric varies over (its own and
those of the metrics it is built from), the canonical reading first. The checks take the reading
closest to a claim; a floor is held at its lowest reading and a ceiling at its highest, so a
reading is only here when it is defensible. Formulas come compiled from the formula cache, so an
evaluation only calls small Python functions with numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import product
from typing import Any

from audit.physics.axes import AXES
from audit.physics.compiled import compiled
from audit.physics.formulas import METRICS, Metric
from audit.records import Estimate, Reading, Scenario
from audit.spec.load import peak_flops
from audit.spec.schema import BYTES_PER_ELEMENT

SYMBOL_OF: dict[str, str] = {m.symbol: name for name, m in METRICS.items()
                             if m.symbol and m.kind != "figure"}
"""Symbol -> the metric whose value it stands for, in formulas built on other metrics."""


def features(sc: Scenario) -> dict[str, Any]:
    """What decides which formula each metric uses, and which metrics exist for the scenario."""
    m, moe = sc.model, sc.model.moe
    out: dict[str, Any] = {
        "mla": m.attention.kind == "mla", "q_lora": m.attention.q_lora_rank is not None,
        "moe": moe is not None, "dense_layers": bool(moe and moe.first_dense_layers),
        "shared": bool(moe and moe.shared_experts), "tied": m.tie_word_embeddings,
        "window": m.sliding_window is not None, "ep": moe is not None and sc.ep > 1,
    }
    out.update(output=sc.output_tokens is not None, req_ttft=sc.requirements.ttft is not None,
               req_tpot=sc.requirements.tpot is not None, req_throughput=sc.requirements.throughput is not None)
    return out


def base_values(sc: Scenario) -> dict[str, float]:
    """The scenario's own figures, by the symbols of `audit.physics.formulas`."""
    m, moe, a, hw = sc.model, sc.model.moe, sc.model.attention, sc.hardware
    mla = a.kind == "mla"
    v: dict[str, float] = {
        "L": m.layers, "h": m.hidden_size, "V": m.vocab_size, "n_h": a.heads, "n_kv": m.kv_heads,
        "d_h": m.head_dim, "r_q": a.q_lora_rank or 0, "r_kv": a.kv_lora_rank or 0,
        "d_nope": a.qk_nope_head_dim or 0, "d_rope": a.qk_rope_head_dim or 0,
        "d_ff": m.intermediate_size or 0, "L_dense": moe.first_dense_layers if moe else 0,
        "E": moe.experts if moe else 0, "k": moe.experts_per_token if moe else 0,
        "d_e": moe.expert_intermediate_size if moe else 0, "n_s": moe.shared_experts if moe else 0,
        "d_s": (moe.shared_intermediate_size or moe.expert_intermediate_size) if moe else 0,
        "W": m.sliding_window or 0, "L_w": m.windowed_layers,
        "b_w": BYTES_PER_ELEMENT[sc.precision.weights], "b_kv": BYTES_PER_ELEMENT[sc.precision.kv_cache or "bf16"],
        "TP": sc.tp, "PP": sc.pp, "DP": sc.dp, "EP": sc.ep, "TP_h": math.gcd(a.heads, sc.tp), "B": sc.batch_size,
        "s_min": sc.input_tokens[0], "s_max": sc.input_tokens[1],
        "o_max": sc.output_tokens[1] if sc.output_tokens else 0,
        "R": peak_flops(hw, sc.precision.compute or "bf16") or 0.0, "BW": hw.memory_bandwidth,
        "M_hbm": hw.memory, "N": hw.devices, "N_node": hw.devices_per_node,
        "T_ttft": sc.requirements.ttft or 0.0, "T_tpot": sc.requirements.tpot or 0.0,
        "X_req": sc.requirements.throughput or 0.0,
    }
    v["d_qk"], v["d_v"] = ((v["d_nope"] + v["d_rope"], a.v_head_dim or 0) if mla else (v["d_h"], v["d_h"]))
    return v


def applies(metric: Metric, feats: Mapping[str, Any]) -> bool:
    return metric.computed and (metric.needs is None or bool(feats.get(metric.needs)))


class _Evaluation:
    """One scenario's metrics: values memoised per (metric, options of the axes it depends on)."""

    def __init__(self, sc: Scenario, held: Mapping[str, float] | None = None):
        self.held = dict(held or {})
        """Metrics held at a given value (a report's own figure) instead of computed."""
        self.features = features(sc)
        self.values = base_values(sc)
        flags = {**self.values, **self.features}
        self.options = {name: axis.applicable(flags) or axis.options[:1] for name, axis in AXES.items()}
        self.default = {name: opts[0].name for name, opts in self.options.items()}
        self._closure: dict[tuple, tuple[str, ...]] = {}
        self._memo: dict[tuple, tuple[float, Any, tuple[float, ...]]] = {}

    def closure(self, metric: str, pins: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
        """The axes with a choice that `metric` varies over (its own and its ingredients'), under `pins`."""
        m = METRICS[metric]
        pins = tuple(sorted({**dict(m.pins), **dict(pins)}.items()))  # what the caller pins wins
        key = (metric, pins)
        if key in self._closure:
            return self._closure[key]
        pinned = dict(pins)
        found: set[str] = {a for a in m.axes if a not in pinned}
        own = [a for a in m.axes if a not in pinned]
        for combo in product(*(self.options[a] for a in own)):
            choice = {**self.default, **pinned, **{o.axis: o.name for o in combo}}
            for arg in compiled(metric, self.features, choice).args:
                if arg in SYMBOL_OF:
                    found.update(self.closure(SYMBOL_OF[arg], pins))
        axes = tuple(a for a in AXES if a in found and len(self.options[a]) > 1)
        self._closure[key] = axes
        return axes

    def value(self, metric: str, choice: Mapping[str, str], pins: tuple[tuple[str, str], ...] = ()):
        """(value, compiled formula, argument values) of `metric` under `choice` (the caller's `pins`
        applied; the metric applies its own)."""
        if metric in self.held:
            return self.held[metric], None, ()
        m = METRICS[metric]
        effective = tuple(sorted({**dict(m.pins), **dict(pins)}.items()))
        choice = {**choice, **dict(effective)}
        axes = self.closure(metric, pins)
        key = (metric, effective, tuple(choice[a] for a in axes))
        hit = self._memo.get(key)
        if hit is None:
            c = compiled(metric, self.features, choice)
            args = tuple(self.value(SYMBOL_OF[a], choice, effective)[0] if a in SYMBOL_OF else self.values[a]
                         for a in c.args)
            try:
                result = float(c.fn(*args))
            except ZeroDivisionError:
                result = math.inf
            hit = self._memo[key] = (result, c, args)
        return hit

    def estimate(self, metric: str) -> Estimate:
        m = METRICS[metric]
        axes = self.closure(metric, ())
        readings = []
        for combo in product(*(self.options[a] for a in axes)):
            choice = {**self.default, **{o.axis: o.name for o in combo}}
            value, c, args = self.value(metric, choice)
            readings.append(Reading(value, tuple(combo), c.formula, c.template, args))
        return Estimate(metric, m.unit, m.kind, tuple(readings))


def ingredients(sc: Scenario, metric: str) -> frozenset[str]:
    """The metrics `metric`'s own formula is built from, under any of its readings (memory per device:
    weights and KV cache per device)."""
    ev = _Evaluation(sc)
    found: set[str] = set()
    for combo in product(*(ev.options[a] for a in ev.closure(metric, ()))):
        choice = {**ev.default, **{o.axis: o.name for o in combo}, **dict(METRICS[metric].pins)}
        found.update(SYMBOL_OF[a] for a in compiled(metric, ev.features, choice).args if a in SYMBOL_OF)
    return frozenset(found)


def evaluate_with(sc: Scenario, metric: str, held: Mapping[str, float]) -> Estimate:
    """`metric` of scenario `sc` with some of its ingredients held at given values: what a report's own
    figures give. The readings are those of `evaluate(sc)[metric]`, in the same order."""
    ev = _Evaluation(sc, held)
    m = METRICS[metric]
    readings = []
    for combo in product(*(ev.options[a] for a in _Evaluation(sc).closure(metric, ()))):
        choice = {**ev.default, **{o.axis: o.name for o in combo}}
        value, c, args = ev.value(metric, choice)
        readings.append(Reading(value, tuple(combo), c.formula, c.template, args))
    return Estimate(metric, m.unit, m.kind, tuple(readings))


def evaluate(sc: Scenario) -> dict[str, Estimate]:
    """Every computed metric that exists for scenario `sc`, in the order they are declared."""
    ev = _Evaluation(sc)
    return {name: ev.estimate(name) for name, m in METRICS.items() if applies(m, ev.features)}

