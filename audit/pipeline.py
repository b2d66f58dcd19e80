"""One report through the pipeline: extract -> bind -> physics -> judge -> suppressions -> a result.

An `Auditor` holds what does not change from one report to the next (the spec and its scenarios,
the rules, the vocabulary, the physics of each scenario) and audits reports one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from audit import bind, extract, judge, suppress
from audit.bind.about import Names
from audit.bind.conditions import KV_METRICS, PRECISION_METRICS, PRECISIONS, WEIGHT_METRICS, precision_said
from audit.bind.scenario import Layout, layouts_from_report, scenario_matchers
from audit.errors import AuditError
from audit.judge.checks import Context
from audit.records import Claim, Estimate, ReportResult, Scenario, evolve
from audit.spec.load import LoadedSpec, peak_flops
from audit.spec.schema import BYTES_PER_ELEMENT


@dataclass(frozen=True, slots=True)
class Auditor:
    """Everything that does not change from one report to the next: spec, rules, vocabulary, physics."""

    spec: LoadedSpec
    rules: tuple
    vocabulary: tuple
    _physics: dict = field(default_factory=dict, compare=False, repr=False)
    """(scenario name, layout) -> estimates: a scenario's physics is computed once per process."""
    _ingredients: dict = field(default_factory=dict, compare=False, repr=False)
    """(scenario key, metric) -> the metrics its formula is built from."""
    _held: dict = field(default_factory=dict, compare=False, repr=False)
    """(scenario key, metric, ingredients held) -> the metric with them held at a report's figures."""
    _candidates: dict = field(default_factory=dict, compare=False, repr=False)
    """The keys of an audit's scenarios -> the values the rules' formulas take in them (`Context.candidates`):
    the same physics gives the same values, report after report."""

    @property
    def spec_path(self) -> str:
        return self.spec.path

    @classmethod
    def load(cls, spec_path: str, extra_rule_dirs: Sequence[Path] = ()) -> Auditor:
        """Every rule is loaded: selection happens on the findings, after suppressions (audit.batch)."""
        from audit.bind.vocabulary import load_vocabulary
        from audit.judge.rules import load_rules
        from audit.spec.load import load_spec

        spec = load_spec(spec_path)
        rules = load_rules(tuple(extra_rule_dirs))
        return cls(spec, tuple(rules), load_vocabulary())

    def estimates(self, scenario: Scenario) -> dict[str, Estimate]:
        """Every metric of `scenario`, computed once per scenario and layout."""
        from audit.physics.model import evaluate

        key = _key(scenario)
        found = self._physics.get(key)
        if found is None:
            found = self._physics[key] = evaluate(scenario)
        return found

    def ingredients(self, scenario: Scenario, metric: str) -> frozenset[str]:
        """The metrics `metric`'s formula is built from in `scenario`, worked out once per process."""
        from audit.physics.model import ingredients

        key = (_key(scenario), metric)
        found = self._ingredients.get(key)
        if found is None:
            found = self._ingredients[key] = ingredients(scenario, metric)
        return found

    def held(self, scenario: Scenario, metric: str, values: dict[str, float]) -> Estimate:
        """`metric` of `scenario` with some ingredients held at a report's figures (`evaluate_with`), once each."""
        from audit.physics.model import evaluate_with

        key = (_key(scenario), metric, tuple(sorted(values.items())))
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = evaluate_with(scenario, metric, values)
        return found

    def audit(self, report_path: str, max_bytes: int = extract.DEFAULT_MAX_BYTES) -> ReportResult:
        text = extract.read_report(report_path, max_bytes)
        try:
            return self.audit_text(text, report_path, max_figures=max_bytes // 400)
        except AuditError as e:
            if e.path is None:  # the parser knows the line, the caller the file
                e.path = report_path
            raise

    def names(self, scenarios: dict[str, Scenario]) -> Names:
        """The spec's own model and accelerator names, with their catalog aliases (`audit.bind.about`)."""
        return _names(tuple((name, sc.model.name, sc.hardware.name, tuple(sc.aliases))
                            for name, sc in scenarios.items()))

    def scenarios_for(self, claims) -> dict[str, Scenario]:
        """The spec's scenarios, or those the report states when the spec has none."""
        return self._scenarios(claims)[0]

    def _scenarios(self, claims) -> tuple[dict[str, Scenario], dict[str, str]]:
        """`scenarios_for`, and why the layout of each that has an unsure one is unsure
        (`Context.unsure_layouts`)."""
        if self.spec.scenarios:
            return self.spec.scenarios, {}
        # a layout of another model the report mentions is not this deployment's
        layouts = layouts_from_report(bind.bind(claims, {}, self.vocabulary,
                                                names=self.names(self.spec.default_scenarios())))
        scenarios = self.spec.default_scenarios() if not layouts else {
            name: self.spec.scenario(name, lay.tp or 1, lay.pp or 1, lay.dp or 1, lay.ep or 1, lay.batch_size,
                                     origin="report" if (lay.tp, lay.pp, lay.dp) != (None, None, None) else "default")
            for name, lay in layouts.items()}  # a layout that states no degree is assumed
        unsure = {name: "neither the spec nor the report states a layout: one device (TP = PP = DP = 1) is assumed"
                  for name, sc in scenarios.items() if sc.origin == "default" and sc.hardware.devices > 1}
        unsure.update({name: f"the report states its layout more than one way ({lay.conflicting}) and names no "
                             "scenario: the first is taken" for name, lay in layouts.items() if lay.conflicting})
        unsure.update({name: f"the report states only part of its layout ({_unstated(lay)} assumed 1)"
                       for name, lay in layouts.items() if name not in unsure and scenarios[name].origin == "report"
                       and lay.ep and _unstated(lay)})
        return scenarios, unsure



    def audit_text(self, text: str, report_path: str = "<report>",
                   max_figures: int = extract.DEFAULT_MAX_FIGURES) -> ReportResult:
        claims = extract.extract(text, max_figures)
        scenarios, unsure_layouts = self._scenarios(claims)
        estimates = {name: self.estimates(sc) for name, sc in scenarios.items()}
        named = {name: list(sc.aliases) for name, sc in scenarios.items()}
        layout = {name: {m: estimates[name][m].value for m in (*bind.LAYOUT_METRICS, *bind.SHAPE_FIGURES)
                         if m in estimates[name]} for name in scenarios}
        claims = bind.bind(claims, named, self.vocabulary, layout, self.names(scenarios))
        models = {sc.model.name.lower(): sc.model.name for sc in scenarios.values()}
        claims = [_at_another_precision(_mla_query_width(_uncheckable_peak(c, scenarios), scenarios), scenarios)
                  for c in claims]
        if len(models) > 1:
            claims = [_of_the_model_named(c, scenarios, models) for c in claims]
        peaks = {e["peak_flops"].value for e in estimates.values() if "peak_flops" in e}
        report_peak = next((c.value for c in claims if c.metric == "peak_flops" and not c.quoted and not c.about
                            and c.value > 0), None) if len(peaks) <= 1 else None  # one device's peak said is every
        # scenario's only when they run on one kind of device: an H200's 1,979 TFLOPS is no B200's
        def derive(name: str, conditions: tuple) -> dict[str, Estimate]:
            sc = scenarios[name]
            for what, amount in conditions:
                n = int(amount)
                if what == "batch":
                    sc = replace(sc, batch_size=n)
                elif what == "replica_batch":
                    sc = replace(sc, batch_size=n * sc.dp)
                elif what == "copies":
                    sc = replace(sc, dp=sc.dp * n, batch_size=sc.batch_size * n)
                elif what == "precision":  # a peak named at its precision ("2,615 TFLOPS FP8")
                    dtype = PRECISIONS[n]
                    if peak_flops(sc.hardware, dtype) is None:
                        return {}  # the spec gives no peak at it: nothing to compare with
                    sc = replace(sc, precision=sc.precision.model_copy(update={"compute": dtype}))
                else:
                    sc = replace(sc, input_tokens=(n, n), output_tokens=None if what == "context" else sc.output_tokens)
            return self.estimates(sc)

        ctx = Context(estimates=estimates, claims=claims, report_peak=report_peak, derive=derive,
                      ingredients=lambda name, metric: self.ingredients(scenarios[name], metric),
                      held=lambda name, metric, values: self.held(scenarios[name], metric, values),
                      matchers=dict(scenario_matchers(named)), unsure_layouts=unsure_layouts,
                      read_layouts=_read_layouts(scenarios, unsure_layouts),
                      _cache=self._candidates.setdefault(tuple(_key(sc) for sc in scenarios.values()), {}))
        findings = judge.judge(self.rules, claims, ctx)
        known = {r.id: r.spec.name for r in self.rules}
        findings = list(suppress.apply(findings, suppress.parse_directives(text), known=known))
        findings.sort(key=lambda f: (f.line, f.claim.index if f.claim else -1, f.rule))
        return ReportResult(report_path, self.spec_path, tuple(claims), tuple(findings), estimates)


@lru_cache(maxsize=32)
def _names(scenarios: tuple[tuple[str, str, str, tuple[str, ...]], ...]) -> Names:
    """`Auditor.names` of (scenario, model name, accelerator name, aliases), once per spec or report layout."""
    from audit.bind.about import spec_names
    from audit.spec import catalog

    names: set[str] = set()
    for _, model, hardware, _ in scenarios:
        for name, entries, resolve in ((model, catalog.models, catalog.model_name),
                                       (hardware, catalog.accelerators, catalog.hardware_name)):
            names.add(name)
            try:
                canonical = resolve(name)
            except AuditError:
                continue
            names.update((canonical, *entries()[canonical].get("aliases", ())))
    named = [n for name, _, _, aliases in scenarios for n in (name, name.replace("_", " "), *aliases)]
    return spec_names(sorted(names), named)


def _read_layouts(scenarios: dict[str, Scenario], unsure: dict[str, str]) -> dict[str, str]:
    """The scenarios whose layout the report states once and the spec not at all (`Context.read_layouts`)."""
    return {name: "its layout is the report's own (the spec states none), and a layout figure that "
                  "disagrees with it may be the right one"
            for name, sc in scenarios.items() if sc.origin == "report" and name not in unsure}


def _unstated(layout: Layout) -> str:
    """The degrees an expert-parallel layout the report states leaves out ("TP and DP"): EP is drawn from TP x DP."""
    return " and ".join(name for name, degree in (("TP", layout.tp), ("DP", layout.dp)) if degree is None)


def _uncheckable_peak(claim: Claim, scenarios: dict[str, Scenario]) -> Claim:
    """A peak named at a precision no scenario's hardware gives a peak for ("FP4 peak" on an H200): there
    is nothing to hold it to, so it is bound to no metric and listed as not verified."""
    named = [PRECISIONS[int(v)] for what, v in claim.conditions if what == "precision"]
    if claim.metric != "peak_flops" or not named:
        return claim
    if any(peak_flops(sc.hardware, named[0]) is not None for sc in scenarios.values()):
        return claim
    return evolve(claim, metric=None, conditions=())


def _of_the_model_named(claim: Claim, scenarios: dict[str, Scenario], models: dict[str, str]) -> Claim:
    """In a spec of several models, a figure whose sentence names another model than its scenario's is not that
    scenario's ("#### Qwen3-235B-A22B-FP8 — v0.9.0: `--dp 8`" when "v0.9.0" is the Llama scenario's alias): it is
    bound to no one scenario, and held to any (a warning at most)."""
    if claim.scenario not in scenarios:
        return claim
    text = claim.text.lower()
    named = {m for m in models if m in text}
    if not named or scenarios[claim.scenario].model.name.lower() in named:
        return claim
    return evolve(claim, scenario=None, evidence=replace(claim.evidence, scenario=""))


def _mla_query_width(claim: Claim, scenarios: dict[str, Scenario]) -> Claim:
    """An MLA model has two head widths: its values' (the spec's head_dim) and its queries' and keys', the no-RoPE
    and RoPE parts together ("128 query heads of dim 192" for DeepSeek-V3). A head dimension that is the second is
    right, and no rule holds it: it is bound to no metric and listed as not verified."""
    if claim.metric != "head_dim":
        return claim
    for sc in (scenarios[claim.scenario],) if claim.scenario in scenarios else scenarios.values():
        a = sc.model.attention
        if a.kind == "mla" and a.qk_nope_head_dim and a.qk_rope_head_dim \
                and claim.value == a.qk_nope_head_dim + a.qk_rope_head_dim:
            return evolve(claim, metric=None)
    return claim


def _at_another_precision(claim: Claim, scenarios: dict[str, Scenario]) -> Claim:
    """A figure of bytes whose words name a precision its scenario stores nothing at ("BF16 doubles it ..., so DEP8
    would carry about 50 gigs of KV" when DEP8 runs FP8 throughout) is about that precision, not the spec's."""
    if claim.metric not in PRECISION_METRICS or claim.scenario not in scenarios or claim.about:
        return claim
    named = precision_said(claim)
    if named is None or _stores(scenarios[claim.scenario], named, claim.metric):
        return claim
    ours = scenarios[claim.scenario]
    same = [name for name, sc in scenarios.items() if name != claim.scenario and _stores(sc, named, claim.metric)
            and (sc.tp, sc.pp, sc.dp, sc.ep) == (ours.tp, ours.pp, ours.dp, ours.ep)]
    if len(same) == 1:  # "fp8 KV on TP=2" beside a BF16 TP=2: the scenario of its layout stored at that precision
        return evolve(claim, scenario=same[0], evidence=replace(claim.evidence, scenario="precision"))
    return evolve(claim, about=f"{named.upper()}, which {claim.scenario} stores nothing at")


def _stores(scenario: Scenario, dtype: str, metric: str | None) -> bool:
    """Whether a scenario stores what the metric counts at a precision of `dtype`'s width: the KV cache of a KV
    figure, the weights of a weights figure, either of a figure of both ("a BF16 KV cache would double that" when the
    KV is FP8 and only the activations are BF16 is about another precision)."""
    p = scenario.precision
    kv, weights = p.kv_cache or p.activations, p.weights
    stored = (kv,) if metric in KV_METRICS else (weights,) if metric in WEIGHT_METRICS else (kv, weights)
    return BYTES_PER_ELEMENT.get(dtype) in {BYTES_PER_ELEMENT[d] for d in stored}



def _key(scenario: Scenario) -> tuple:
    """What a scenario's physics depends on beyond the spec: its name, where it came from, layout, workload,
    the precision its matmuls run at."""
    return (scenario.name, scenario.origin, scenario.layout, scenario.input_tokens, scenario.output_tokens,
            scenario.batch_size, scenario.precision.compute)
