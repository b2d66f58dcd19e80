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

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from audit.arithmetic import as_written, expressions_before, holds
from audit.judge.checks import Context, closeness, message_values, ratio
from audit.judge.checks.consistency import counted, device_counts, total_beside
from audit.records import Claim, Finding
from audit.units import format_quantity

_SAME = 0.005
"""Two figures are the same number as written within this (rounding to three digits)."""
_MATCH = 0.03
"""A figure follows from a premise when it is within this of what the premise gives."""


@dataclass(frozen=True, slots=True)
class Premise:
    """A wrong figure other figures may be built on: its finding, and what it should be."""

    finding: Finding
    claim: Claim
    should: float
    """The recomputed value, or the bound the figure crosses."""
    written: float | None
    """The number as written ("2.9" of "2.9 GB")."""

    @property
    def sure(self) -> bool:
        """An error, or a figure this check found built on one: what it is known to be wrong by."""
        return self.finding.severity == "error" or "premise_line" in self.finding.extra

    @property
    def scenario(self) -> str | None:
        return self.finding.scenario

    @property
    def physics(self) -> bool:
        """First principles say what the figure should be (not only the report's own arithmetic)."""
        return self.finding.interpretation != "the report's own figures"


class Premises:
    """The wrong figures of a report, looked up by metric, by number as written and by claim."""

    def __init__(self, findings: tuple[Finding, ...]):
        found = [p for f in findings if (p := premise(f)) is not None]
        found.sort(key=lambda p: (p.claim.line, p.sure, p.physics))  # the latest, sure, physics last
        self.by_metric: dict[str | None, list[Premise]] = {}
        self.by_number: dict[float, list[Premise]] = {}
        self.by_index = {p.claim.index: p for p in found}
        for p in found:
            self.by_metric.setdefault(p.claim.metric, []).append(p)
            if p.written is not None and p.sure:
                self.by_number.setdefault(_key(p.written), []).append(p)
        self.judged = {f.claim.index for f in findings if f.claim is not None and f.severity == "error"}

    def __bool__(self) -> bool:
        return bool(self.by_index)

    def latest(self, metric: str, scenario: str, line: int) -> Premise | None:
        """The latest premise of `metric` about `scenario` stated before `line`."""
        for p in reversed(self.by_metric.get(metric, ())):
            if p.claim.line < line and p.scenario == scenario:
                return p
        return None

    def numbered(self, written: float, line: int) -> list[Premise]:
        """The sure premises stated before `line` whose number is `written`, the latest first."""
        hits = [p for k in _keys(written) for p in self.by_number.get(k, ())
                if p.claim.line < line and p.written is not None and abs(p.written - written) <= _SAME * abs(p.written)]
        return sorted(hits, key=lambda p: (p.claim.line, p.physics), reverse=True)


def _key(x: float) -> float:
    return float(f"{x:.2g}") if x else 0.0


def _keys(x: float) -> set[float]:
    """The keys a number within _SAME of `x` may be filed under (rounding to two digits can cross a step)."""
    return {_key(x * (1 - _SAME)), _key(x), _key(x * (1 + _SAME))}


def premise(f: Finding) -> Premise | None:
    """A finding whose figure can be corrected to one number (a recomputed value, a bound's floor or ceiling)."""
    if f.claim is None or f.suppressed is not None or f.severity not in ("error", "warning"):
        return None
    should = corrected(f)
    if should <= 0 or not math.isfinite(should):
        return None
    return Premise(f, f.claim, should, as_written(f.claim.figure))


def corrected(f: Finding) -> float:
    """What a wrong figure should be: the recomputed value, or the bound it crosses."""
    if isinstance(f.expected, float):
        return f.expected
    if isinstance(f.expected, tuple):
        floor, ceiling = f.expected
        return ceiling if ceiling else floor or 0.0
    return 0.0


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    premises = Premises(ctx.flagged)
    if not premises:
        return
    for claim in claims:
        if claim.index in premises.judged or claim.quoted:
            continue
        found = (_ingredient(rule, claim, premises, ctx) or _operand(rule, claim, premises, ctx)
                 or _restated(rule, claim, premises, ctx) or _share(rule, claim, premises, ctx))
        if found is not None:
            yield found


def _ingredient(rule, claim: Claim, premises: Premises, ctx: Context) -> Finding | None:
    """The claim's metric recomputed with the report's wrong figures for its ingredients matches the claim;
    with first principles for them it does not."""
    if claim.metric is None or claim.operand or ctx.ingredients is None or ctx.held is None:
        return None
    for scenario in ctx.scenarios_for(claim):
        estimates = ctx.estimates[scenario]
        if claim.metric not in estimates:
            continue
        ingredients = ctx.ingredients(scenario, claim.metric)
        wrong = {m: p for m in sorted(ingredients) if m in premises.by_metric
                 and (p := premises.latest(m, scenario, claim.line)) is not None and p.claim.index != claim.index}
        if not wrong or _own_inputs(claim, ingredients, premises, ctx):
            continue
        held = ctx.held(scenario, claim.metric, {m: p.finding.claimed or p.claim.value for m, p in wrong.items()})
        physics = estimates[claim.metric].readings
        n = min(range(len(held.readings)), key=lambda i: closeness(claim.value, held.readings[i].value))
        if closeness(claim.value, held.readings[n].value) > _MATCH:
            continue
        if any(abs(claim.value - r.value) <= rule.spec.tolerance * r.value for r in physics):
            continue
        first = min(wrong.values(), key=lambda p: (p.claim.line, p.claim.index))  # deterministic: no set order
        return _finding(rule, claim, physics[n].value, "follows from", first, scenario,
                        physics[n].formula, physics[n].substitution, sure=all(p.sure for p in wrong.values()))
    return None


_SUMS = frozenset({"memory_per_device", "kv_cache_total", "weights_total", "kv_cache_per_device", "weights_per_device"})
"""Memory figures a share of memory may be computed from, on its own line."""


def _own_inputs(claim: Claim, ingredients, premises: Premises, ctx: Context) -> bool:
    """Whether the claim's own sentence states, before it, a figure it is computed from that no finding refutes:
    "256 chats/GPU → 68.7 GB KV, 115.4 GB total (60% of HBM)" is 115.4 / 192, not the wrong KV of another line."""
    return any(o.text == claim.text and o.metric is not None and o.index not in premises.by_index
               and (o.metric in ingredients or (claim.kind == "percent" and o.metric in _SUMS))
               for o in ctx.claims[max(0, claim.index - 8): claim.index])


def _operand(rule, claim: Claim, premises: Premises, ctx: Context) -> Finding | None:
    """An operand of the arithmetic written before the claim is a wrong figure stated before: the claim,
    recomputed with the corrected operand."""
    if claim.operand or claim.index == 0:
        return None
    readings = expressions_before(claim.text, claim.start, claim.figure)
    result = as_written(claim.figure)
    if not readings or not result:
        return None
    old = next((w for w in readings if holds(w, result, claim.value, rule.spec.tolerance)), None)
    if old is None or not old.value:
        return None  # arithmetic that does not hold is the arithmetic rule's to report
    span = claim.text.rfind(old.text, 0, claim.start)
    operands = [o for o in ctx.claims[max(0, claim.index - 40): claim.index]
                if o.text == claim.text and o.line == claim.line and o.start < claim.start]
    mine = {o.index for o in operands if span >= 0 and span <= o.start < span + len(old.text)}
    for o in reversed(operands):
        written = as_written(o.figure)
        if written is None or (written == int(written) and written < 10):
            continue  # "2 x", "8 GPUs": too common a number to say which figure it is
        own = premises.by_index.get(o.index) if o.index in mine else None  # an operand of its own arithmetic is wrong
        p = own if own is not None else next(
            (p for p in premises.numbered(written, claim.line) if o.kind in ("count", p.claim.kind)
             and _same_scenario(claim, p)), None)
        if p is None:
            continue
        scale = written / o.value if o.value else 1.0
        new = expressions_before(claim.text, claim.start, claim.figure, replace={o.start: p.should * scale})
        again = next((w for w in new if w.text == old.text), None)
        if again is None:
            continue
        expected = claim.value * again.value / old.value
        if abs(claim.value - expected) <= rule.spec.tolerance * abs(expected):
            continue
        return _finding(rule, claim, expected, "is computed from", p, p.scenario, old.text,
                        f"{old.text} with {format_quantity(p.should, p.finding.unit)} for {o.figure.strip()}")
    return None


def _restated(rule, claim: Claim, premises: Premises, ctx: Context) -> Finding | None:
    """The claim is a wrong figure stated on an earlier line, said again, and no scenario has it right."""
    if claim.operand or claim.kind in ("count", "ratio"):
        return None
    written = as_written(claim.figure)
    if written is None:
        return None
    if _own_inputs(claim, frozenset(), premises, ctx):
        return None  # "65.6 GB in use (82% of 80 GB)": of its own line's figures, not the 82% said again
    for p in premises.numbered(written, claim.line):
        if p.claim.kind != claim.kind or p.claim.unit != claim.unit or not _same_scenario(claim, p):
            continue
        if claim.metric not in (None, p.claim.metric) or abs(claim.value - p.claim.value) > _SAME * p.claim.value:
            continue
        metric = p.claim.metric
        if claim.metric is None and claim.kind == "percent" and _digits(claim.figure) < 3:
            continue  # "this saves 43%" and a weights share of "43%": a short share no words bind agrees by chance
        if metric is not None and any(  # the same number is right for another scenario
                abs(claim.value - r.value) <= rule.spec.tolerance * r.value
                for s in ctx.scenarios_for(claim) if metric in ctx.estimates[s]
                for r in ctx.estimates[s][metric].readings):
            continue
        return _finding(rule, claim, p.should, "repeats", p, p.scenario, p.finding.formula, p.finding.substitution)
    return None


def _digits(figure: str) -> int:
    """The significant digits a figure is written with ("43%": 2, "1,259": 4, "0.078": 2)."""
    return len(re.sub(r"\D", "", figure).lstrip("0"))


def _share(rule, claim: Claim, premises: Premises, ctx: Context) -> Finding | None:
    """A throughput per device that is a wrong total over its devices: the corrected total over them."""
    if claim.kind != "token_rate" or "per_device" not in claim.qualifier.split():
        return None
    total = total_beside(claim, ctx)
    if total is None or total.scenario is None:
        return None
    p = premises.by_index.get(total.index)
    if p is None or not p.sure:
        return None
    devices = device_counts(ctx, total.scenario)[counted(total)]
    if abs(claim.value * devices - total.value) > rule.spec.tolerance * total.value:
        return None  # not this total's share
    expected = p.should / devices
    if abs(claim.value - expected) <= rule.spec.tolerance * expected:
        return None
    return _finding(rule, claim, expected, "is a share of", p, total.scenario, "total / devices",
                    f"{format_quantity(p.should, p.finding.unit)} / {devices:g}")


def _same_scenario(claim: Claim, p: Premise) -> bool:
    return claim.scenario is None or p.scenario is None or claim.scenario == p.scenario


def _finding(rule, claim: Claim, expected: float, how: str, premise: Premise, scenario: str | None,
             formula: str, substitution: str, sure: bool = False) -> Finding:
    what = (premise.claim.metric or "figure").replace("_", " ")
    bound = premise.finding.expected
    should = "should be" if isinstance(bound, float) else \
        "is at most" if isinstance(bound, tuple) and bound[1] else "is at least"
    line = premise.claim.line
    said = f"line {line}'s {premise.claim.figure.strip()} {what}, which {should} " \
           f"{format_quantity(premise.should, premise.finding.unit)}"
    values = message_values(claim, claimed=claim.value, expected=expected, ratio=ratio(claim.value, expected),
                            formula=formula, substitution=substitution, interpretation=scenario or "",
                            premise=said, how=how)
    return Finding(
        rule=rule.id, name=rule.spec.name, severity=rule.spec.level if sure else "warning", line=claim.line,
        message=rule.message(values), claim=claim, scenario=claim.scenario or scenario,
        metric=claim.metric or (premise.claim.metric if how == "repeats" else None), claimed=claim.value,
        expected=expected, unit=claim.unit, ratio=ratio(claim.value, expected),
        interpretation=f"{scenario}: with line {line} corrected" if scenario else f"with line {line} corrected",
        formula=formula, substitution=substitution, extra={"premise_line": line},
    )
