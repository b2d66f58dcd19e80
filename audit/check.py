"""`audit check`: parse -> bind -> model -> rules -> findings for each report, then render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit import bind, parse, suppress
from audit.checks import Context, registry
from audit.errors import AuditError
from audit.formula import FormulaError
from audit.records import Finding, ReportResult

if TYPE_CHECKING:
    from audit.model import Model, ScenarioParams
    from audit.spec import Spec


@dataclass(frozen=True, slots=True)
class Auditor:
    """Everything that does not change from one report to the next: spec, model, rules, vocabulary."""

    spec_path: str
    spec: Spec
    model: Model
    rules: tuple
    vocabulary: tuple

    @classmethod
    def load(cls, spec_path: str, extra_rule_dirs: Sequence[Path] = ()) -> Auditor:
        """Every rule is loaded: selection happens on the findings, after suppressions (audit.runner)."""
        from audit.model import Model
        from audit.rules import load_rules
        from audit.specload import load_spec

        spec = load_spec(spec_path)
        rules = load_rules(tuple(extra_rule_dirs))
        return cls(spec_path, spec, Model(spec), tuple(rules), bind.load_vocabulary())

    def audit(self, report_path: str, max_bytes: int = parse.DEFAULT_MAX_BYTES) -> ReportResult:
        text = parse.read_report(report_path, max_bytes)
        try:
            return self.audit_text(text, report_path, max_figures=max_bytes // 400)
        except AuditError as e:
            if e.path is None:  # the parser knows the line, the caller the file
                e.path = report_path
            raise

    def audit_text(self, text: str, report_path: str = "<report>",
                   max_figures: int = parse.DEFAULT_MAX_FIGURES) -> ReportResult:
        claims = parse.extract(text, max_figures)
        named = {name: list(sc.aliases) for name, sc in self.spec.scenarios.items()}
        if named:
            params = {name: self.model.scenarios()[name] for name in named}
        else:  # read the scenarios from the report itself
            layouts = bind.layouts_from_report(bind.bind(claims, {}, self.vocabulary))
            params = {name: self._params(name, lay) for name, lay in layouts.items()} or dict(self.model.scenarios())
            named = {name: [] for name in params}
        layout = {name: self._layout(p) for name, p in params.items()}
        claims = bind.bind(claims, named, self.vocabulary, layout)
        ctx = Context(
            estimates={name: self.model.evaluate(p) for name, p in params.items()},
            layout=layout,
            claims=claims,
            report_peak=next((c.value for c in claims if c.metric == "peak_flops" and not c.quoted and c.value > 0),
                             None),
        )
        checks = registry()
        findings: list[Finding] = []
        for rule in self.rules:
            metrics = set(rule.spec.metric)
            subject = [c for c in claims if (c.metric in metrics or "*" in metrics)
                       and (rule.spec.include_quoted or not c.quoted)
                       and (not c.operand or rule.spec.relation == "arithmetic")]
            if subject:
                try:
                    findings.extend(checks[rule.spec.check](rule, subject, ctx))
                except FormulaError as e:  # a formula that loads but cannot be evaluated: name the rule
                    raise AuditError(f"{rule.id}: {e.message}", rule.source) from None
        findings = _one_per_claim_and_rule(findings)
        findings = list(suppress.apply(findings, suppress.parse_directives(text)))
        findings.sort(key=lambda f: (f.line, f.claim.index if f.claim else -1, f.rule))
        return ReportResult(report_path, self.spec_path, tuple(claims), tuple(findings), ctx.estimates)

    def _params(self, name: str, layout: bind.Layout) -> ScenarioParams:
        batch = layout.batch_size or self.spec.workload.batch_size
        return self.model.scenario(name, tp=layout.tp or 1, pp=layout.pp or 1, dp=layout.dp or 1,
                                   ep=layout.ep or 1, batch_size=batch)

    def _layout(self, p: ScenarioParams) -> dict[str, float]:
        """The names a rule's formula may use besides the model's estimates: layout, workload, requirements."""
        spec = self.spec
        env: dict[str, float] = {"tp": p.tp, "pp": p.pp, "dp": p.dp, "ep": p.ep, "batch_size": p.batch_size,
               "devices_per_node": spec.hardware.devices_per_node,
               "input_tokens_min": spec.workload.input_min, "input_tokens_max": spec.workload.input_max,
               "head_dim": spec.model.attention.head_dim or spec.model.hidden_size // spec.model.attention.heads}
        if spec.requirements.ttft is not None:
            env["requirement_ttft"] = spec.requirements.ttft
        if spec.requirements.tpot is not None:
            env["requirement_tpot"] = spec.requirements.tpot
        return env


def _one_per_claim_and_rule(findings: list[Finding]) -> list[Finding]:
    """A rule speaks once per figure; the most severe of its findings stands. A lesser finding that
    holds a figure to the very bound an error already holds it to says nothing new (a dense model's
    uniform-routing decode floor is its hard floor)."""
    rank = {"error": 0, "warning": 1, "info": 2}
    best: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.rule, f.claim.index if f.claim else f.line)
        if key not in best or rank[f.severity] < rank[best[key].severity]:
            best[key] = f
    errors = {(f.claim.index, repr(f.expected)) for f in best.values() if f.severity == "error" and f.claim}
    return [f for f in best.values()
            if f.severity == "error" or not f.claim or (f.claim.index, repr(f.expected)) not in errors]
