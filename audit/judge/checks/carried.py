"""Carried: a figure the report builds on one of its own wrong figures is wrong with it.

The other checks find the wrong figures (their premises, `Context.flagged`); this one follows each
into what the report computes from it, three ways:

ingredient  "Memory utilization: 61.0% of 80 GB" after "Model weights per GPU: 35.3 GB" (17.64 GB):
            the utilization's formula with the report's 35.3 GB gives 61%, with 17.64 GB 38.8%   FAIL
operand     "Total per GPU: 83.9 + 2.9 = 86.8 GB" after "KV cache per GPU: 2.9 GB" (18.42 GB):
            83.9 + 18.42 = 102.3 GB                                                           FAIL
restated    "Is 63.4 GB per GPU enough?" after "| Total | 63.4 GB |" (44.4 GB)                   FAIL
share       "| Throughput per GPU | 4,000 tok/s |" under "| Decode throughput | 64K tok/s |" on 16
            GPUs, where 64K is above the 16.8K decode ceiling: at most 16.8K / 16 = 1,049 tok/s    FAIL

A figure is followed only when it differs from what the corrected premise gives by more than the
rule's tolerance, and then only when the premise demonstrably went into it: the figure matches what
the metric's own formula gives with the wrong premise (ingredient), the premise is an operand of
the arithmetic written before it (operand), or the figure is the premise said again (restated). An
ingredient finding is as sure as the figure's binding (`judge._sure`); the other two know the figure
by its number alone, so they are warnings. What they find is a premise in turn: a total carried
into a headroom is followed too.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.arithmetic import as_written, expressions_before, holds
from audit.judge.checks import Context, closeness, message_values, ratio
from audit.judge.checks.consistency import counted, device_counts, total_beside
from audit.records import Claim, Finding
from audit.units import format_quantity

_SAME = 0.005
"""Two figures are the same number as written within this (rounding to three digits)."""
_MATCH = 0.03
"""A figure follows from a premise when it is within this of what the premise gives."""


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    premises = sorted((f for f in ctx.flagged if _premise(f)), key=lambda f: (f.severity == "error", f.line))
    """The latest error last: it is the premise a figure most likely says again."""
    if not premises:
        return
    judged = {f.claim.index for f in ctx.flagged if f.claim is not None and f.severity == "error"}
    for claim in claims:
        if claim.index in judged or claim.quoted:
            continue
        before = [p for p in premises if p.claim.index != claim.index and p.claim.line <= claim.line]
        errors = [p for p in before if p.severity == "error"]  # a figure known by its number: a sure premise
        found = (_ingredient(rule, claim, before, ctx) or _operand(rule, claim, errors, ctx)
                 or _restated(rule, claim, errors, ctx) or _share(rule, claim, errors, ctx))
        if found is not None:
            yield found


def _premise(f: Finding) -> bool:
    """A finding whose figure can be corrected to one number (a bound's floor or ceiling)."""
    return f.claim is not None and f.suppressed is None and f.severity in ("error", "warning") and corrected(f) > 0


def corrected(f: Finding) -> float:
    """What a wrong figure should be: the recomputed value, or the bound it crosses."""
    if isinstance(f.expected, float):
        return f.expected
    if isinstance(f.expected, tuple):
        floor, ceiling = f.expected
        return ceiling if ceiling else floor or 0.0
    return 0.0


def _ingredient(rule, claim: Claim, premises: list[Finding], ctx: Context) -> Finding | None:
    """The claim's metric recomputed with the report's wrong figures for its ingredients matches the claim;
    with first principles for them it does not."""
    if claim.metric is None or claim.operand or ctx.ingredients is None or ctx.held is None:
        return None
    for scenario in ctx.scenarios_for(claim):
        estimates = ctx.estimates[scenario]
        if claim.metric not in estimates:
            continue
        uses = ctx.ingredients(scenario, claim.metric)
        wrong: dict[str, Finding] = {}
        for p in premises:  # the latest wrong statement of each ingredient wins, an error over a warning
            if p.claim.metric in uses and p.scenario == scenario and p.claim.line < claim.line:
                wrong[p.claim.metric] = p
        if not wrong:
            continue
        held = ctx.held(scenario, claim.metric, {m: p.claimed for m, p in wrong.items() if p.claimed})
        physics = estimates[claim.metric].readings
        n = min(range(len(held.readings)), key=lambda i: closeness(claim.value, held.readings[i].value))
        if closeness(claim.value, held.readings[n].value) > _MATCH:
            continue
        if any(abs(claim.value - r.value) <= rule.spec.tolerance * r.value for r in physics):
            continue
        first = min(wrong.values(), key=lambda p: p.line)
        return _finding(rule, claim, physics[n].value, "follows from", first, scenario,
                        physics[n].formula, physics[n].substitution,
                        sure=all(p.severity == "error" for p in wrong.values()))
    return None


def _operand(rule, claim: Claim, premises: list[Finding], ctx: Context) -> Finding | None:
    """An operand of the arithmetic written before the claim is a wrong figure stated before: the claim,
    recomputed with the corrected operand."""
    if claim.operand or claim.index == 0:
        return None
    readings = expressions_before(claim.text, claim.start, claim.figure)
    result = as_written(claim.figure)
    if not readings or not result or not any(holds(w, result, claim.value, rule.spec.tolerance) for w in readings):
        return None  # arithmetic that does not hold is the arithmetic rule's to report
    operands = [o for o in ctx.claims[max(0, claim.index - 40): claim.index]
                if o.text == claim.text and o.line == claim.line and o.start < claim.start]
    for o in reversed(operands):
        written = as_written(o.figure)
        if written is None or (written == int(written) and written < 10):
            continue  # "2 x", "8 GPUs": too common a number to say which figure it is
        p = _same_figure(o, written, premises, claim)
        if p is None:
            continue
        scale = written / o.value if o.value else 1.0
        new = expressions_before(claim.text, claim.start, claim.figure, replace={o.start: corrected(p) * scale})
        old = next(w for w in readings if holds(w, result, claim.value, rule.spec.tolerance))
        again = next((w for w in new if w.text == old.text), None)
        if again is None or not old.value:
            continue
        expected = claim.value * again.value / old.value
        if abs(claim.value - expected) <= rule.spec.tolerance * abs(expected):
            continue
        return _finding(rule, claim, expected, "is computed from", p, p.scenario, old.text,
                        f"{old.text} with {format_quantity(corrected(p), p.unit)} for {o.figure.strip()}")
    return None


def _restated(rule, claim: Claim, premises: list[Finding], ctx: Context) -> Finding | None:
    """The claim is a wrong figure stated on an earlier line, said again, and no scenario has it right."""
    if claim.operand or claim.kind in ("count", "ratio"):
        return None
    written = as_written(claim.figure)
    if written is None:
        return None
    for p in reversed(premises):
        if p.claim.line >= claim.line or p.claim.kind != claim.kind or p.claim.unit != claim.unit:
            continue
        if claim.metric not in (None, p.claim.metric) or abs(claim.value - p.claim.value) > _SAME * p.claim.value:
            continue
        if claim.scenario is not None and p.scenario is not None and claim.scenario != p.scenario:
            continue
        metric = p.claim.metric
        if metric is not None and any(  # the same number is right for another scenario
                abs(claim.value - r.value) <= rule.spec.tolerance * r.value
                for s in ctx.scenarios_for(claim) if metric in ctx.estimates[s]
                for r in ctx.estimates[s][metric].readings):
            continue
        return _finding(rule, claim, corrected(p), "repeats", p, p.scenario, p.formula, p.substitution)
    return None


def _share(rule, claim: Claim, premises: list[Finding], ctx: Context) -> Finding | None:
    """A throughput per device that is a wrong total over its devices: the corrected total over them."""
    if claim.kind != "token_rate" or "per_device" not in claim.qualifier.split():
        return None
    total = total_beside(claim, ctx)
    if total is None:
        return None
    p = next((p for p in reversed(premises) if p.claim.index == total.index), None)
    if p is None:
        return None
    devices = device_counts(ctx, total.scenario)[counted(total)]
    if abs(claim.value * devices - total.value) > rule.spec.tolerance * total.value:
        return None  # not this total's share
    expected = corrected(p) / devices
    if abs(claim.value - expected) <= rule.spec.tolerance * expected:
        return None
    return _finding(rule, claim, expected, "is a share of", p, total.scenario, "total / devices",
                    f"{format_quantity(corrected(p), p.unit)} / {devices:g}")


def _same_figure(operand: Claim, written: float, premises: list[Finding], claim: Claim) -> Finding | None:
    """The wrong figure an operand says again: the same number as written, of the same kind, stated on an
    earlier line about the claim's scenario."""
    for p in reversed(premises):
        if p.claim.line >= claim.line:
            continue
        theirs = as_written(p.claim.figure)
        if theirs is None or abs(theirs - written) > _SAME * abs(theirs):
            continue
        if operand.kind not in ("count", p.claim.kind):
            continue
        if claim.scenario is not None and p.scenario is not None and claim.scenario != p.scenario:
            continue
        return p
    return None


def _finding(rule, claim: Claim, expected: float, how: str, premise: Finding, scenario: str | None,
             formula: str, substitution: str, sure: bool = False) -> Finding:
    what = (premise.claim.metric or "figure").replace("_", " ")
    should = "should be" if isinstance(premise.expected, float) else \
        "is at most" if isinstance(premise.expected, tuple) and premise.expected[1] else "is at least"
    said = f"line {premise.line}'s {premise.claim.figure.strip()} {what}, which {should} " \
           f"{format_quantity(corrected(premise), premise.unit)}"
    values = message_values(claim, claimed=claim.value, expected=expected, ratio=ratio(claim.value, expected),
                            formula=formula, substitution=substitution, interpretation=scenario or "",
                            premise=said, how=how)
    return Finding(
        rule=rule.id, name=rule.spec.name, severity=rule.spec.level if sure else "warning", line=claim.line,
        message=rule.message(values), claim=claim, scenario=claim.scenario or scenario,
        metric=claim.metric or (premise.claim.metric if how == "repeats" else None), claimed=claim.value, expected=expected, unit=claim.unit,
        ratio=ratio(claim.value, expected), interpretation=f"{scenario}: with line {premise.line} corrected"
        if scenario else f"with line {premise.line} corrected", formula=formula, substitution=substitution,
        extra={"premise_line": premise.line},
    )
