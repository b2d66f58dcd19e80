"""Requirement: a figure the report says it achieves must meet the spec's requirement.

PASS  "TTFT requirement: 30 s - achieved 2.1 s"    (2.1 s <= 30 s)
FAIL  "TTFT: 45 s"  with requirements.ttft = 30 s
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.judge.checks import Context, message_values, ratio
from audit.records import Claim, Finding


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    formula = rule.formulas["expected"][0]
    for claim in claims:
        limits = [c for s in ctx.scenarios_for(claim) for c in ctx.candidates(formula, s)]
        if not limits:
            continue  # the spec states no such requirement
        limit = max(limits, key=lambda c: c.value)
        if claim.value <= limit.value * (1 + rule.spec.tolerance):
            continue
        values = message_values(claim, claimed=claim.value, expected=limit.value,
                                ratio=ratio(claim.value, limit.value), formula=limit.formula,
                                substitution=limit.substitution, interpretation="requirement")
        yield Finding(
            rule=rule.id, name=rule.spec.name, severity=rule.spec.level, line=claim.line,
            message=rule.message(values), claim=claim, scenario=claim.scenario, metric=claim.metric,
            claimed=claim.value, expected=(0.0, limit.value), unit=claim.unit,
            ratio=ratio(claim.value, limit.value), interpretation="requirement", formula=limit.formula,
            substitution=limit.substitution,
        )
