"""Judge: the rules (`rules`, data in the top-level rules/ directory) run their checks (`checks`) over
the bound claims and the model's estimates, and speak once per figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from audit.bind.scenario import LAYOUT_METRICS
from audit.errors import AuditError
from audit.expression import FormulaError
from audit.judge.checks import Context, registry
from audit.judge.checks.consistency import METRIC_RELATIONS
from audit.judge.rules import Rule
from audit.physics.formulas import METRICS
from audit.records import Claim, Finding, evolve


def judge(rules: Sequence[Rule], claims: list[Claim], ctx: Context) -> list[Finding]:
    """Every rule over the claims it judges: its metrics, figures the report asserts (not quotes), and
    only the result of written-out arithmetic. An error needs a confident binding (`_sure`)."""
    findings = _run([r for r in rules if r.spec.check != "carried"], claims, ctx)
    carried = [r for r in rules if r.spec.check == "carried"]
    for _ in range(_ROUNDS if carried else 0):  # what a carried error is built on is carried in turn
        found = _run(carried, claims, replace(ctx, flagged=tuple(findings)))
        seen = {(g.rule, g.claim.index if g.claim else g.line) for g in findings}
        new = [f for f in found if (f.rule, f.claim.index if f.claim else f.line) not in seen]
        if not new:
            break
        findings.extend(new)
    return _premises_first(_one_per_claim_and_rule(findings))


_OF_THE_SPEC = frozenset({*METRIC_RELATIONS, "per_device"})
"""Consistency relations that hold a figure to the spec's deployment, not only to the report's own
arithmetic: a figure about another model or accelerator (`Claim.about`) is not judged by them."""

_ROUNDS = 3
"""How far a wrong figure is followed: into a total, the total into a headroom, the headroom into a share."""


def _run(rules: Sequence[Rule], claims: list[Claim], ctx: Context) -> list[Finding]:
    checks = registry()
    findings: list[Finding] = []
    of_metric: dict[str | None, list[Claim]] = {}  # most rules judge one metric: only its claims are looked at
    for c in claims:
        of_metric.setdefault(c.metric, []).append(c)
    for rule in rules:
        metrics = set(rule.spec.metric)
        of_the_spec = rule.spec.check != "consistency" or rule.spec.relation in _OF_THE_SPEC
        pool = of_metric.get(rule.spec.metric[0], []) if len(metrics) == 1 and "*" not in metrics else claims
        subject = [c for c in pool if (c.metric in metrics or "*" in metrics)
                   and (rule.spec.include_quoted or not c.quoted)
                   and not (c.about and of_the_spec)
                   and (not c.operand or rule.spec.relation == "arithmetic"
                        or (c.metric in rule.spec.include_operands and c.evidence.phrase in ("noun", "role")))]
        if subject:
            try:
                found = list(checks[rule.spec.check](rule, subject, ctx))
            except FormulaError as e:  # a formula that loads but cannot be evaluated: name the rule
                raise AuditError(f"{rule.id}: {e.message}", rule.source) from None
            if rule.spec.check != "consistency" or rule.spec.relation in METRIC_RELATIONS:
                read = ctx.read_layouts if rule.spec.check == "recompute" else None  # "EP 16 > TP 8 x DP 1" holds
                found = [_sure(f, len(ctx.estimates), ctx.unsure_layouts, read) for f in found]
            findings.extend(found)
    return findings


def _premises_first(findings: list[Finding]) -> list[Finding]:
    """A consistency finding whose premise the tool refutes is withheld: "0.37 s is not 3,852 TFLOP / 8 x 1,307
    TFLOPS" says nothing once the 3,852 TFLOP itself is an error; the premise gets the finding."""
    wrong = {f.claim.index for f in findings if f.claim is not None and f.severity == "error"}
    return [f for f in findings if not any(p in wrong for p in f.extra.get("premises", ()))]


def _sure(finding: Finding, scenarios: int, unsure_layouts: dict[str, str] | None = None,
          read_layouts: dict[str, str] | None = None) -> Finding:
    """An error is a promise: when the figure's words do not name its metric, or it names none of several
    scenarios, or its scenario's layout is unsure (`Context.unsure_layouts`) and the figure depends on it,
    or it is a layout figure against a layout the report itself states (`Context.read_layouts`), the finding
    is a warning that says why it is unsure."""
    doubt = finding.claim.evidence.doubt(scenarios) if finding.claim is not None else ""
    if not doubt and finding.claim is not None and finding.claim.asked:
        doubt = "the figure is in a question, asked rather than stated"
    if not doubt and unsure_layouts and finding.scenario in unsure_layouts and not _layout_free(finding.metric):
        doubt = unsure_layouts[finding.scenario]
    if not doubt and read_layouts and finding.scenario in read_layouts and finding.metric in _LAYOUT_FIGURES:
        doubt = read_layouts[finding.scenario]
    if not doubt:
        return finding
    if finding.severity != "error":
        return evolve(finding, unsure=doubt)
    return evolve(finding, severity="warning", unsure=doubt, message=f"{finding.message} (unsure: {doubt})")


_LAYOUT_FIGURES = frozenset({*LAYOUT_METRICS, "device_count", "devices_per_replica", "replicas_per_node",
                             "batch_per_replica"})
"""What states a layout: a report that states its own holds each of these to the others only as one of its figures."""


def _layout_free(metric: str | None) -> bool:
    """A figure of the spec itself (parameters, heads, a device's memory): right or wrong whatever the layout."""
    m = METRICS.get(metric or "")
    return m is not None and m.kind == "figure" and metric not in LAYOUT_METRICS


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
