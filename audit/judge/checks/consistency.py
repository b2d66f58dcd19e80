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

from audit.judge.checks import Context, message_values, ratio
from audit.records import Claim, Finding

_TOTAL = re.compile(r"^\W*(total|sum|overall|combined)\b", re.I)
_OF = re.compile(r"^of\b", re.I)
_LAYOUT = ("tp", "pp", "dp", "ep")
_NEAR = 40  # claims: how far back a check looks for the figures a claim relates to
_FLOP_AMOUNTS = ("prefill_flops", "prefill_flops_attention", "prefill_flops_mlp", "flops_per_device")


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
    if not (_TOTAL.search(claim.before) or _TOTAL.search(claim.label)) or _first_on_line(claim, ctx) is not claim:
        return None
    parts: list[Claim] = []
    lines_seen = {claim.line}
    for other in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index]):
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
    for other in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index]):
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
    def compared(o: Claim) -> bool:
        return o.text == claim.text and o.line == claim.line and o.kind != "ratio" and not o.operand

    same = [o for o in ctx.claims[max(0, claim.index - 4): claim.index] if compared(o)]
    if len(same) < 2:  # "3x faster (28 ms vs 2.5 ms)": the figures follow
        same = [o for o in ctx.claims[claim.index + 1: claim.index + 4] if compared(o)][:2]
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
    layout: dict[str, Claim] = {}
    for o in reversed(ctx.claims[: claim.index]):  # the degrees stated since the previous device count
        if o.text != claim.text or o.line != claim.line or o.metric == "device_count":
            break
        if o.metric in _LAYOUT and not o.quoted:
            layout.setdefault(o.metric, o)
    layout = dict(reversed(layout.items()))
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
    for other in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index]):
        if other.group != claim.group:
            break
        if other.metric in _FLOP_AMOUNTS and not other.quoted and not other.operand:
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
    if peak <= 0:
        return None
    from audit.units import format_quantity

    return flops.value / peak, "FLOPs / peak rate", f"{_fmt(flops)} / {format_quantity(peak, 'FLOP/s')}"


_EQUALS = re.compile(r"^\s*\)?\s*(=|≈|~=|≃|≅|~)\s*$")


def _arithmetic(claim: Claim, ctx: Context):
    """ "2.63 PFLOPs / (2 x 1,979 TFLOPS) ≈ 0.33 s": the arithmetic written out must give its result."""
    if claim.operand or claim.index == 0:
        return None
    prev = ctx.claims[claim.index - 1]
    if prev.text != claim.text or not prev.operand:
        return None
    between = claim.text[prev.start + len(prev.figure): claim.start]
    if claim.figure[:1] in "≈~":  # "≈ 0.33 s": the marker is part of the figure
        between += claim.figure[0]
    if not _EQUALS.match(between):
        return None
    chain = [prev]
    for other in reversed(ctx.claims[: prev.index]):
        if other.text != claim.text or not other.operand:
            break
        chain.append(other)
    chain.reverse()
    expr, pos = "", chain[0].start
    open_paren = claim.text.rfind("(", 0, pos)
    if open_paren >= 0 and claim.text.rfind(")", 0, pos) < open_paren and ")" in claim.text[pos: claim.start]:
        pos = open_paren  # "(2 x 80) = ..." keeps its parenthesis
    for figure in chain:
        expr += _operators(claim.text[pos: figure.start]) + repr(figure.value)
        pos = figure.start + len(figure.figure)
    expr += _operators(claim.text[pos: claim.start])
    expr = _EQUALS_TAIL.sub("", expr)
    from audit.judge.expression import FormulaError, compile_formula

    try:
        value = compile_formula(expr, frozenset())({})
    except FormulaError:
        return None
    written = claim.text[chain[0].start: claim.start].rstrip(" =≈~≃≅")
    return value, written, expr


_EQUALS_TAIL = re.compile(r"\s*(=|≈|~=|≃|≅|~)\s*$")


def _operators(text: str) -> str:
    """The arithmetic between two figures, words dropped: " matmul parameters × " -> " * "."""
    kept = "".join(ch for ch in text.replace("×", "*").replace("·", "*") if ch in "*/+-()=≈~≃≅ ")
    return re.sub(r"(?<=\s)x(?=\s)", "*", kept) if "x" in text else kept


_RELATIONS = {
    "sum": _sum,
    "percent_of": _percent_of,
    "ratio": _ratio,
    "product": _product,
    "time_flops": _time_flops,
    "arithmetic": _arithmetic,
}
