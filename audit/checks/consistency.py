"""Consistency: the report's figures must agree with each other, whatever the physics.

sum         "Total per GPU: 3.84 GB" after 2.86 + 0.79 + 0.20 GB in the same list     PASS (3.85)
percent_of  "6.82 GB (24.2% of 64GB capacity)"                                       FAIL (10.7%)
ratio       "28.5 s vs 0.06 s (475x)"                                                 PASS
product     "TP=4 x PP=2 x DP=2 = 32 GPUs"                                            FAIL (16)
time_flops  "206.71 TFLOPs per GPU ... Estimated time: 0.05 s" at 400 TFLOPS           FAIL (0.52 s)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from audit.checks import Context, message_values, ratio
from audit.records import Claim, Finding

_TOTAL = re.compile(r"^\W*(total|sum|overall|combined)\b", re.I)
_OF = re.compile(r"^of\b", re.I)
_LAYOUT = ("tp", "pp", "dp", "ep")


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    relation = _RELATIONS[rule.spec.relation]
    for claim in claims:
        result = relation(claim, ctx)
        if result is None:
            continue
        expected, formula, substitution = result
        if expected == 0 or abs(claim.value - expected) <= rule.spec.tolerance * abs(expected):
            continue
        if rule.spec.relation == "time_flops" and claim.value >= expected:
            continue  # slower than peak is only an efficiency below 100%
        r = ratio(claim.value, expected)
        values = message_values(claim, claimed=claim.value, expected=expected, ratio=r, formula=formula,
                                substitution=substitution, interpretation="the report's own figures",
                                parts=substitution)
        yield Finding(
            rule=rule.id, name=rule.spec.name, severity=rule.spec.level, line=claim.line,
            message=rule.message(values), claim=claim, scenario=claim.scenario, metric=claim.metric,
            claimed=claim.value, expected=expected, unit=claim.unit, ratio=r,
            interpretation="the report's own figures", formula=formula, substitution=substitution,
        )


def _fmt(c: Claim) -> str:
    return c.figure.strip()


def _sum(claim: Claim, ctx: Context):
    """A total is the sum of the parts listed just before it in the same list."""
    if not (_TOTAL.search(claim.before) or _TOTAL.search(claim.label)):
        return None
    parts: list[Claim] = []
    lines_seen = {claim.line}
    for other in reversed(ctx.claims[: claim.index]):
        if other.group != claim.group or other.line in lines_seen:
            if other.group != claim.group:
                break
            continue
        lines_seen.add(other.line)
        first = _first_on_line(other, ctx)
        if first.kind != claim.kind or first.unit != claim.unit or first.quoted or _TOTAL.search(first.label):
            break
        parts.append(first)
    if len(parts) < 2:
        return None
    parts.reverse()
    total = sum(p.value for p in parts)
    return total, " + ".join(p.label or p.before or "part" for p in parts), " + ".join(_fmt(p) for p in parts)


def _first_on_line(claim: Claim, ctx: Context) -> Claim:
    first = claim
    for other in reversed(ctx.claims[: claim.index]):
        if other.line != claim.line or other.group != claim.group:
            break
        first = other
    return first


def _percent_of(claim: Claim, ctx: Context):
    """"(6.0% of 64GB)": the figure before it divided by the figure after it."""
    if claim.kind != "percent" or not _OF.search(claim.after):
        return None
    nxt = ctx.claims[claim.index + 1] if claim.index + 1 < len(ctx.claims) else None
    if nxt is None or nxt.line != claim.line or nxt.text != claim.text:
        return None
    part = None
    for other in reversed(ctx.claims[: claim.index]):
        if other.text != claim.text or other.line != claim.line:
            break
        if other.kind == nxt.kind and other.unit == nxt.unit:
            part = other
            break
    if part is None or nxt.value == 0:
        return None
    return part.value / nxt.value, "part / whole", f"{_fmt(part)} / {_fmt(nxt)}"


def _ratio(claim: Claim, ctx: Context):
    """"28.5 s vs 0.06 s (475x)": the larger of the two figures it compares over the smaller."""
    if claim.kind != "ratio":
        return None
    same = [o for o in ctx.claims[max(0, claim.index - 4): claim.index]
            if o.text == claim.text and o.line == claim.line and o.kind not in ("ratio",)]
    if len(same) < 2:
        return None
    a, b = same[-2], same[-1]
    if a.kind != b.kind or a.unit != b.unit or min(a.value, b.value) <= 0:
        return None
    hi, lo = (a, b) if a.value >= b.value else (b, a)
    return hi.value / lo.value, "larger / smaller", f"{_fmt(hi)} / {_fmt(lo)}"


def _product(claim: Claim, ctx: Context):
    """"TP=4 x PP=2 x DP=2 = 16 GPUs": a device count stated beside its layout."""
    if claim.metric != "device_count":
        return None
    layout = {}
    for o in ctx.claims:
        if o.text == claim.text and o.line == claim.line and o.metric in _LAYOUT and not o.quoted:
            layout.setdefault(o.metric, o)
    if len(layout) < 2:
        return None
    product = 1.0
    for o in layout.values():
        product *= o.value
    names = " x ".join(k.upper() for k in layout)
    return product, names, " x ".join(_fmt(o) for o in layout.values())


def _time_flops(claim: Claim, ctx: Context):
    """A time can be no shorter than the report's own FLOPs at the peak rate."""
    if claim.kind != "time":
        return None
    flops = None
    for other in reversed(ctx.claims[: claim.index]):
        if other.group != claim.group:
            break
        if other.kind == "flops" and other.unit == "FLOP" and not other.quoted:
            flops = other
            break
    if flops is None:
        return None
    peak = ctx.report_peak
    if peak is None:
        peaks = [e["peak_flops"].readings[0].value for e in ctx.estimates.values() if "peak_flops" in e]
        if not peaks:
            return None
        peak = max(peaks)
    from audit.units import format_quantity

    return flops.value / peak, "FLOPs / peak rate", f"{_fmt(flops)} / {format_quantity(peak, 'FLOP/s')}"


_RELATIONS = {
    "sum": _sum,
    "percent_of": _percent_of,
    "ratio": _ratio,
    "product": _product,
    "time_flops": _time_flops,
}
