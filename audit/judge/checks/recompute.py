"""Recompute: a claimed figure must match first principles under some interpretation.

PASS  "Model weights per GPU: 29.4 GB"   (235.09e9 params x 1 B / (TP 2 x PP 4) = 29.39 GB)
FAIL  "Model weights per GPU: 2.86 GB"   (10x below every reading)
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.judge.checks import Candidate, Context, closeness, message_values, ratio
from audit.precompiled import regex
from audit.records import Claim, Finding

_PREFIX = regex(r"(?<![A-Za-z])(?P<p>[KMGTP])(?P<i>i?)B(?![A-Za-z/])")
_POWER = {"K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def _readings(claim: Claim, claimed: float) -> tuple[float, ...]:
    """The claimed value, and for bytes the other reading of its prefix: "320 KB" may be 320 KiB, "80 GiB"
    a vendor's 80 GB."""
    m = _PREFIX.search(claim.figure) if claim.kind == "bytes" else None
    if m is None:
        return (claimed,)
    factor = 1.024 ** _POWER[m.group("p")]
    return (claimed, claimed / factor if m.group("i") else claimed * factor)


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    for claim in claims:
        if claim.comparison:
            continue  # "≥ 16", "> 30 billion": a bound the report states, not a value to recompute
        formulas = rule.formulas.get("expected") or rule.formulas[f"expected.{claim.metric}"]
        if claim.scenario is None:
            formulas = formulas + rule.formulas.get("unscoped_expected", ())
        claimed = claim.value
        if len(claim.values) >= 2 and "list_total" in rule.formulas:  # "[24, 23, 24, 23]" adds up to the layers
            formulas, claimed = rule.formulas["list_total"], sum(claim.values)
        best: Candidate | None = None
        for scenario in ctx.scenarios_for(claim):
            for cand in (c for f in formulas for c in ctx.candidates(f, scenario, conditions=claim.conditions)):
                if best is None or closeness(claimed, cand.value) < closeness(claimed, best.value):
                    best = cand
        if best is None:
            continue
        if any(abs(value - best.value) <= rule.spec.tolerance * abs(best.value) for value in _readings(claim, claimed)):
            continue
        where = f"{best.scenario}: {best.interpretation}" if best.interpretation else best.scenario
        values = message_values(claim, claimed=claimed, expected=best.value, ratio=ratio(claimed, best.value),
                                formula=best.formula, substitution=best.substitution, interpretation=where)
        yield Finding(
            rule=rule.id, name=rule.spec.name, severity=rule.spec.level, line=claim.line,
            message=rule.message(values), claim=claim, scenario=claim.scenario or best.scenario,
            metric=claim.metric, claimed=claimed, expected=best.value, unit=claim.unit,
            ratio=ratio(claimed, best.value), interpretation=where, formula=best.formula,
            substitution=best.substitution,
        )
