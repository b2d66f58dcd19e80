"""Bound: a figure physics puts a floor or a ceiling under.

Floors are the most lenient reading over every scenario the claim may be about (a lone request,
causal attention, 100% of peak); ceilings the most generous. Below a floor or above a ceiling by
more than the tolerance is the rule's level; within `warn_margin` of it is a warning (it would
need more than ~90% of peak).

PASS  "TTFT: 2.1 s"    (floor 0.377 s: 603 TFLOP at 4 x 400 TFLOP/s)
FAIL  "TTFT: 0.06 s"   (below the floor of a lone 10,240-token request)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from audit.judge.checks import Candidate, Context, message_values, ratio
from audit.precompiled import regex
from audit.records import Claim, Finding, evolve


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    for claim in claims:
        numbers = claim.values if claim.values else (claim.value,)
        floor = _bound(rule, claim, ctx, "floor")
        ceiling = _bound(rule, claim, ctx, "ceiling")
        if ceiling is not None and rule.spec.ceiling in ("memory_capacity", "1") and _said_not_to_fit(claim, ctx):
            ceiling = None  # "94.5 GiB per GPU | OOM after ~3 min": what the layout would need, said not to fit
        for value in numbers:
            findings = [_judge(rule, claim, v, floor, ceiling) for v in _readings(claim, value)]
            if all(findings):  # wrong only when every reading of the figure is
                yield findings[0]  # type: ignore[misc]
                break
        else:
            stated = _stated_bound(rule, claim, ctx)
            if stated is not None:
                yield stated


_STATED = 1.5
"""A bound the report computes itself ("the floor is 0.37 s", "compute ceiling 16.8K tok/s") is the
physical bound under some reading: more than this far on the safe side of every reading, it is wrong too."""


def _stated_bound(rule, claim: Claim, ctx: Context) -> Finding | None:
    """A floor stated far above the physical floor, or a ceiling far below the ceiling (a warning)."""
    if "bound" not in claim.qualifier.split() or claim.comparison:
        return None
    which = "floor" if "floor" in rule.formulas else "ceiling" if "ceiling" in rule.formulas else None
    if which is None or (rule.spec.floor or rule.spec.ceiling) not in _COMPUTE_BOUNDS:
        return None  # a decode bound depends on what a step reads (the experts, the KV at which context)
    words = f"{claim.label} {claim.before} {claim.after}".lower()
    if which == "floor" and not re.search(r"\b(floor|minimum|at least|at (100% of )?peak|100%|lower bound|下限)", words):
        return None
    if which == "ceiling" and not re.search(r"\b(ceiling|cap|max(imum)?|at most|upper bound|roofline|上限)", words):
        return None
    lenient = _bound(rule, claim, ctx, "ceiling" if which == "floor" else "floor", widest=which)
    if lenient is None or lenient.value <= 0:
        return None
    from audit.units import format_quantity

    shown = format_quantity(claim.value, claim.unit)
    if which == "floor" and claim.value > lenient.value * _STATED:
        f = _finding(rule, claim, claim.value, lenient, "warning", "", (lenient.value, None))
        return evolve(f, message=f"{shown} is stated as a floor, but the physical floor is at most "
                                 f"{format_quantity(lenient.value, claim.unit)} under every reading ({lenient.substitution})")
    if which == "ceiling" and claim.value < lenient.value / _STATED:
        f = _finding(rule, claim, claim.value, lenient, "warning", "", (0.0, lenient.value))
        return evolve(f, message=f"{shown} is stated as a ceiling, but the physical ceiling is at least "
                                 f"{format_quantity(lenient.value, claim.unit)} under every reading ({lenient.substitution})")
    return None


def _row_words(claim: Claim, ctx: Context) -> str:
    """The words of the figure's sentence, or of every cell of its table row."""
    row = [o.text for o in ctx.claims[max(0, claim.index - 20): claim.index + 20]
           if o.column and o.group == claim.group and o.line == claim.line and o.text != claim.text]
    return " ".join((claim.label, claim.text, *row))


def _said_not_to_fit(claim: Claim, ctx: Context) -> bool:
    """A memory figure over the device's capacity that its own words say does not fit ("OOM", "won't fit"), or
    that another figure of its sentence or table row agrees with: a share over 100% beside the bytes ("90.5 GB |
    113%"), or the bytes beside the share that they make of the capacity (GB or GiB)."""
    if claim.metric not in ("memory_per_device", "memory_utilization") or (
            claim.metric == "memory_utilization" and claim.value <= 1):
        return False
    if _DOES_NOT_FIT.search(_row_words(claim, ctx)):
        return True
    capacities = [ctx.figure(s, "memory_capacity") * k for s in ctx.scenarios_for(claim) for k in (1, 1e9 / 2**30)]
    for o in ctx.claims[max(0, claim.index - 20): claim.index + 20]:
        if o.index == claim.index or o.line != claim.line or (o.group != claim.group and o.text != claim.text):
            continue
        if claim.metric == "memory_per_device" and o.metric == "memory_utilization" and o.value > 1:
            return True  # the bytes beside a share over 100%
        if claim.metric == "memory_utilization" and o.metric == "memory_per_device" and any(
                abs(o.value / c - claim.value) <= 0.03 * claim.value for c in capacities):
            return True  # the share beside the bytes it is of the capacity
    return False


_DOES_NOT_FIT = regex(r"\b(oom|out of memory|(does ?n[o']t|do ?n[o']t|won[’']t|will not|cannot|can[’']t|would ?n[o']t) fit|"
                           r"not fit|exceeds?|over (the )?(capacity|card|budget)|too (big|large)|not viable|infeasible|"
                           r"short by|spills?)\b", re.I)
"""Words saying a memory figure is what a layout would need, beyond the device: not a contradiction of it."""

_COMPUTE_BOUNDS = frozenset({"ttft_floor", "batch_prefill_floor", "prefill_throughput_ceiling"})


def _readings(claim: Claim, value: float) -> tuple[float, ...]:
    """The value, and for a count written with K ("2K-token prompts") the same in units of 1,024."""
    if claim.kind == "count" and re.search(r"\d\s*[Kk]\b", claim.figure):
        return (value, value * 1.024)
    return (value,)


def _bound(rule, claim: Claim, ctx: Context, which: str, widest: str | None = None) -> Candidate | None:
    """The most lenient floor (its lowest reading) or ceiling (its highest); with `widest`, the other end of
    the floor's or the ceiling's readings (its highest floor, its lowest ceiling)."""
    field = widest or which
    field = "min_prompt_floor" if field == "floor" and "min" in claim.qualifier.split() \
        and "min_prompt_floor" in rule.formulas else field
    formulas = rule.formulas.get(field, ())
    pick = min if which == "floor" else max
    cands = []
    for s in ctx.scenarios_for(claim):
        for c in (c for f in formulas for c in ctx.candidates(f, s, mode="min" if which == "floor" else "max", conditions=claim.conditions)):
            cands.append(_scaled(c, claim, ctx, s))
    return pick(cands, key=lambda c: c.value) if cands else None


def _scaled(c: Candidate, claim: Claim, ctx: Context, scenario: str) -> Candidate:
    """Throughput counted per GPU, per node or per replica instead of for the whole deployment."""
    if claim.kind != "token_rate":
        return c
    q = claim.qualifier.split()
    devices = ctx.figure(scenario, "device_count")
    per_node, dp = ctx.figure(scenario, "devices_per_node"), ctx.figure(scenario, "dp")
    if "per_device" in q:
        div, what, per = devices, f"{devices:g} devices", "device"
    elif "per_node" in q and devices > per_node:
        div, what, per = devices / per_node, f"{devices:g} devices / {per_node:g} per node", "node"
    elif "per_replica" in q:
        div, what, per = dp, f"DP {dp:g}", "replica"
    else:
        return c
    return Candidate(c.value / div, c.scenario, f"{c.interpretation}; counted per {per}",
                     f"({c.formula}) / {what}", f"({c.substitution}) / {div:g}")


def _judge(rule, claim: Claim, value: float, floor: Candidate | None, ceiling: Candidate | None) -> Finding | None:
    tol, margin = rule.spec.tolerance, rule.spec.warn_margin
    if claim.comparison in ("<", "<="):
        ceiling = None  # "EP ≤ 32" says the most it may be: any smaller ceiling agrees with it
    # "≥ 29 s at 100% MFU" is the report's floor: below the physical floor it is wrong, as a value would be
    if floor is not None and value < floor.value * (1 - tol):
        return _finding(rule, claim, value, floor, rule.spec.level, "below the floor", (floor.value, None))
    if ceiling is not None and value > ceiling.value * (1 + tol):
        return _finding(rule, claim, value, ceiling, rule.spec.level, "above the ceiling", (0.0, ceiling.value),
                        near="above")
    if margin and "bound" not in claim.qualifier.split():  # a floor the report computes may sit at the floor
        if floor is not None and value < floor.value / (1 - margin):
            how = (f"within reach of the floor only at {floor.value / value:.0%} of peak" if value >= floor.value
                   else f"{1 - value / floor.value:.1%} below it, within the {tol:.0%} tolerance")
            return _finding(rule, claim, value, floor, "warning", how, (floor.value, None), near="floor")
        if ceiling is not None and value > ceiling.value * (1 - margin):
            how = (f"needs {value / ceiling.value:.0%} of the ceiling" if value <= ceiling.value
                   else f"{value / ceiling.value - 1:.1%} above it, within the {tol:.0%} tolerance")
            return _finding(rule, claim, value, ceiling, "warning", how, (0.0, ceiling.value), near="ceiling")
    return None


def _finding(rule, claim: Claim, value: float, bound: Candidate, level: str, how: str, expected,
             near: str | None = None) -> Finding:
    where = f"{bound.scenario}: {bound.interpretation}" if bound.interpretation else bound.scenario
    r = ratio(value, bound.value)
    values = message_values(claim, claimed=value, expected=bound.value, bound=bound.value, ratio=r,
                            formula=bound.formula, substitution=bound.substitution, interpretation=where)
    message = rule.message(values, above_ceiling=near in ("above", "ceiling"))
    beyond = value < bound.value if near == "floor" else value > bound.value
    if near in ("floor", "ceiling") and not beyond and "{claimed}" in rule.spec.message:
        # on the possible side of the bound the rule's "is below" / "exceeds" would be untrue: its
        # subject ("TTFT ", "decode step "), the words before the claimed figure, with the truth
        subject = message.split(values["claimed"], 1)[0]
        side = "above the physical floor" if near == "floor" else "below the ceiling"
        message = f"{subject}{values['claimed']} is just {side} {values['bound']} ({values['substitution']})"
    if level != rule.spec.level:
        message = f"{message} ({how})"
    return Finding(
        rule=rule.id, name=rule.spec.name, severity=level, line=claim.line, message=message, claim=claim,
        scenario=claim.scenario or bound.scenario, metric=claim.metric, claimed=value, expected=expected,
        unit=claim.unit, ratio=r, interpretation=where, formula=bound.formula, substitution=bound.substitution,
    )
