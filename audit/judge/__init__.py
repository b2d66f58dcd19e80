"""Judge: the rules (`rules`, data in the top-level rules/ directory) run their checks (`checks`) over
the bound claims and the model's estimates, and speak once per figure."""

from __future__ import annotations

from collections.abc import Sequence

from audit.errors import AuditError
from audit.judge.checks import Context, registry
from audit.judge.expression import FormulaError
from audit.judge.rules import Rule
from audit.records import Claim, Finding


def judge(rules: Sequence[Rule], claims: list[Claim], ctx: Context) -> list[Finding]:
    """Every rule over the claims it judges: its metrics, figures the report asserts (not quotes), and
    only the result of written-out arithmetic."""
    checks = registry()
    findings: list[Finding] = []
    for rule in rules:
        metrics = set(rule.spec.metric)
        subject = [c for c in claims if (c.metric in metrics or "*" in metrics)
                   and (rule.spec.include_quoted or not c.quoted)
                   and (not c.operand or rule.spec.relation == "arithmetic")]
        if subject:
            try:
                findings.extend(checks[rule.spec.check](rule, subject, ctx))
            except FormulaError as e:  # a formula that loads but cannot be evaluated: name the rule
                raise AuditError(f"{rule.id}: {e.message}", rule.source) from None
    return _one_per_claim_and_rule(findings)


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
