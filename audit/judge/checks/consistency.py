"""Consistency: the report's figures must agree with each other, whatever the physics.

sum         "Total per GPU: 3.84 GB" after 2.86 + 0.79 + 0.20 GB in the same list     PASS (3.85)
percent_of  "6.82 GB (24.2% of 64GB capacity)"                                       FAIL (10.7%)
ratio       "28.5 s vs 0.06 s (475x)"                                                 PASS
product     "TP=4 x PP=2 x DP=2 = 32 GPUs"                                            FAIL (16)
work_over_rate "206.71 TFLOPs per GPU ... Estimated time: 0.05 s" at 400 TFLOPS        FAIL (0.52 s)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from audit.arithmetic import Written, as_written, expressions_before, holds
from audit.bind.metric import COUNTED
from audit.bind.scope import OF_A_DEVICE, OWNER, SHARE_LEAD, owners_fit, scope_of_titles
from audit.extract.claims import number_offset
from audit.judge.checks import Context, message_values, ratio
from audit.precompiled import regex
from audit.records import Claim, Finding, evolve
from audit.units import find_figures, format_quantity

_TOTAL = regex(r"^\W*(totals?|sum|overall|combined)\b", re.I)
_OF = regex(r"^of\b", re.I)
_LAYOUT = ("tp", "pp", "dp")
"""The degrees whose product is the device count: EP ranks are drawn from the TP x DP devices."""
_NEAR = 40  # claims: how far back a check looks for the figures a claim relates to
_FLOP_AMOUNTS = ("prefill_flops", "prefill_flops_attention", "prefill_flops_mlp", "flops_per_device")


def check(rule, claims: list[Claim], ctx: Context) -> Iterator[Finding]:
    relation = _RELATIONS[rule.spec.relation]
    for claim in claims:
        result = relation(claim, ctx)
        if result is None:
            continue
        expected, formula, substitution = result[:3]
        extra = dict(result[3]) if len(result) > 3 else {}
        if expected == 0 or abs(claim.value - expected) <= rule.spec.tolerance * abs(expected):
            continue
        severity = "warning" if extra.pop("unsure", False) else rule.spec.level
        r = ratio(claim.value, expected)
        values = message_values(claim, claimed=claim.value, expected=expected, ratio=r, formula=formula,
                                substitution=substitution, interpretation="the report's own figures",
                                parts=substitution)
        yield Finding(
            rule=rule.id, name=rule.spec.name, severity=severity, line=claim.line,
            message=rule.message(values), claim=claim, scenario=claim.scenario, metric=claim.metric,
            claimed=claim.value, expected=expected, unit=claim.unit, ratio=r,
            interpretation="the report's own figures", formula=formula, substitution=substitution, extra=extra,
        )


def _fmt(c: Claim) -> str:
    """The figure as written from its number on ("~0.06 s" is "0.06 s"): a term of the arithmetic a message shows."""
    return c.figure[number_offset(c.figure):].strip()


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
    if _items_sum_to(claim, ctx, len(parts)):
        return None  # "Weights: 30.5B × 2 bytes = 61.1 GB", "KV: 96 KiB per token, so ... = 6.4 GB", "Total 67.5 GB"
    return total, " + ".join(p.label or p.before or "part" for p in parts), " + ".join(_fmt(p) for p in parts)


def _items_sum_to(claim: Claim, ctx: Context, count: int) -> bool:
    """Whether one figure of each of the `count` list items before the total, of its kind, adds up to it (2%): an
    item's part may be the result of its arithmetic rather than its first figure."""
    items: dict[str, list[float]] = {}  # item text -> its figures of the total's kind, nearest item first
    for other in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index]):
        if other.group != claim.group or len(items) > count:
            break
        if other.text != claim.text and other.kind == claim.kind and other.unit == claim.unit and not other.quoted:
            items.setdefault(other.text, []).append(other.value)
    chosen = list(items.values())[:count]
    if len(chosen) < count or count > 6:
        return False  # at most 4^6 sums are tried
    sums = {0.0}
    for values in chosen:
        sums = {total + v for total in sums for v in values[:4]}
    return any(abs(total - claim.value) <= 0.02 * claim.value for total in sums)


def _table_sum(claim: Claim, ctx: Context):
    """A table's totals: the cell of a "Total" row is the sum of the cells above it in its column (a column of
    amounts: not shares, times, ratios or per-X figures); the cell of a "Total" column the sum of the cells of
    its row just left of it, in its unit (a column of bytes, FLOPs or rates: a total of GPUs may be a product).
    As written, since a table often writes its unit once."""
    if not claim.column or claim.operand or _several(claim, ctx):
        return None
    written = as_written(claim.figure)
    if not written:
        return None
    if _TOTAL.search(claim.label) and not _NOT_ADDITIVE.search(claim.column) and claim.kind not in ("ratio", "time"):
        parts = _cells_above(claim, ctx)
        how = "the cells above it"
    elif _TOTAL.search(claim.column) and claim.kind in ("bytes", "flops", "token_rate", "count") and not (
            claim.kind == "count" and re.search(r"\b(gpus?|devices?|cards?|chips?|nodes?)\b", claim.column, re.I)):
        parts = _cells_left(claim, ctx)
        how = "the cells left of it"
    else:
        return None
    values = [as_written(p.figure) for p in parts]
    if len(parts) < 2 or any(v is None for v in values):
        return None
    counted = scope_of_titles(claim.label)
    if how == "the cells above it" and counted and any(scope_of_titles(p.label) != counted for p in parts):
        return None  # "| total per node | 896 GB |" under rows per GPU: eight times their sum, not their sum
    total = sum(v for v in values if v is not None)
    if abs(total - written) <= 0.02 * abs(total) + 0.051:  # a total of rounded cells is off by their rounding
        return None
    cells = [v for v in values if v is not None]
    if claim.kind in _AVERAGED and all(v > 0 for v in cells) and min(cells) < written < max(cells):
        return None  # "| total | 461 |" under 447 and 463 TFLOPS: between its rows, a mean of them, no sum
    if claim.kind == "percent" and abs(total - 100) > 2 and abs(written - 100) > 2:
        return None  # "| total | 35% |" under 37% and 34%: shares of the rows' own wholes, not parts of one
    if not total or not 0.1 <= written / total <= 10:
        return None  # "| Total Params | 1.04E+13 |" under a model's dimensions: those cells are not its parts
    return (total * claim.value / written, f"sum of {how}", " + ".join(_fmt(p) for p in parts),
            {"unsure": how == "the cells left of it"})


_AVERAGED = frozenset({"flop_rate", "flops", "bandwidth", "token_rate", "percent", "time"})
"""Kinds a table's total row may average rather than add (a rate, "TFLOPS" read as FLOPs, a share, a time)."""
_NOT_ADDITIVE = regex(r"\bper\b|/\s*(gpu|node|device|chip|replica)|%|share|util|avg|average|mean|median|p\d\d|"
                           r"latency|ttft|itl|tpot|time|\bms\b|\(s\)|ratio|speed-?up|\bx\b|×|spare|needed", re.I)


def _table_share(claim: Claim, ctx: Context):
    """A table's shares of a capacity its header names: "| HBM used (of 256 GB) | 42% |" is the row's total
    over 256 GB; "| Free |" is 256 GB less the total. The row's total is its "Total" (or "used") cell."""
    if not claim.column or claim.operand or _several(claim, ctx):
        return None
    row = [o for o in ctx.claims[max(0, claim.index - 12): claim.index + 12]
           if o.line == claim.line and o.column and o.index != claim.index]
    capacity = next((c for c in (_capacity_in(claim.column), *(_capacity_in(o.column) for o in row)) if c), None)
    total = next((o for o in row if _TOTAL.search(o.column) and o.kind != "percent"), None)
    if capacity is None or total is None:
        return None
    used, cap = as_written(total.figure), as_written(capacity)
    mine = as_written(claim.figure)
    if not used or not cap or mine is None:
        return None
    if claim.kind == "percent" and _capacity_in(claim.column):
        return used / cap, "total / capacity", f"{_fmt(total)} / {capacity}"
    if _FREE.search(claim.column) and claim.kind != "percent":
        return ((cap - used) * claim.value / mine if mine else None, "capacity - total",
                f"{capacity} - {_fmt(total)}") if mine else None
    return None


def _capacity_in(header: str) -> str | None:
    m = re.search(r"\bof\s+([\d.,]+\s*[GT]i?B)\b", header)
    return m.group(1) if m else None


_FREE = regex(r"^\W*(free|headroom|left|remaining|spare)\b", re.I)


def _several(claim: Claim, ctx: Context) -> bool:
    """A cell holding more than one figure ("6.7 → 7"): not a plain amount."""
    return any(o.text == claim.text and o.line == claim.line and o.index != claim.index and o.column == claim.column
               for o in ctx.claims[max(0, claim.index - 3): claim.index + 3])


def _cells_above(claim: Claim, ctx: Context) -> list[Claim]:
    """The cells of the claim's column in the rows right above it, up to the header (rows with nothing in the
    column, another total, are stepped over)."""
    found: list[Claim] = []
    row = claim.line
    for o in reversed(ctx.claims[max(0, claim.index - 200): claim.index]):
        if o.line == row - 1 and o.column and o.scope[:-1] == claim.scope[:-1]:
            row = o.line  # the next row up
        elif o.line != row:
            break  # the table's start
        if o.line == claim.line or o.column != claim.column or o.scope != claim.scope or _TOTAL.search(o.label):
            continue
        if o.unit != claim.unit:
            break  # "| Layers | 126 |" above "| Weights | 50.7 GB |": the parts are the rows of the total's unit
        if _several(o, ctx):
            return []
        found.append(o)
    return list(reversed(found))


def _cells_left(claim: Claim, ctx: Context) -> list[Claim]:
    """The cells of the claim's row just left of it in the claim's unit."""
    found: list[Claim] = []
    for o in reversed(ctx.claims[max(0, claim.index - 12): claim.index]):
        if o.line != claim.line or not o.column or o.unit != claim.unit or o.kind != claim.kind or _several(o, ctx):
            break
        found.append(o)
    return list(reversed(found))


def _first_on_line(claim: Claim, ctx: Context) -> Claim:
    first = claim
    for other in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index]):
        if other.line != claim.line or other.group != claim.group:
            break
        first = other
    return first


@dataclass(frozen=True, slots=True)
class _Pair:
    """Two figures of one kind the report sets side by side: "A vs B", "from A to B", "A → B", "A of B"."""

    first: Claim
    second: Claim
    joint: str
    """"vs", "to" (A then B, in time), "of" (part of whole)."""


_JOINTS = (
    ("of", regex(rf"^\s*(?:of|out of)\s+(?:the\s+|its\s+|a\s+)?(?:{OWNER}\s+)?$", re.I)),  # "14.1 of b's 48.6 GB"
    ("of", regex(r"^\s*/\s*$")),
    ("to", regex(r"^\s*(?:→|->|⟶|=>|to)\s*[$€£¥]?\s*$", re.I)),  # "from $6.25 to $3.90": a price's sign
    ("vs", regex(rf"^\s*(?:vs\.?|versus|against|compared with|and)\s*(?:{OWNER}\s+)?[$€£¥]?\s*$", re.I)),  # "vs B's 29.3 ms"
    ("instead", regex(r"^\s*(?:[^\W\d_]+\s+){0,2}(?:instead of|rather than|in place of)\s*[$€£¥]?\s*$", re.I)),
)
"""How two figures side by side relate: a part of a whole, a change from the first to the second, a comparison
of the first against the second, the second replaced by the first ("15 nodes instead of 20": from 20 to 15)."""


def _pairs(claim: Claim, ctx: Context, within: str) -> list[_Pair]:
    """Pairs of figures of one kind set side by side in `within` (a part of the claim's text)."""
    lo = claim.text.find(within)
    if lo < 0:
        return []
    hi = lo + len(within)
    around = [o for o in ctx.claims[max(0, claim.index - 12): claim.index + 12]
              if o.text == claim.text and o.index != claim.index and lo <= o.start < hi and o.kind != "ratio"]
    out = []
    for a, b in zip(around, around[1:], strict=False):
        if "/" not in claim.text[a.start + len(a.figure): b.start]:
            a = _in_unit_of(a, b)  # "96.6 of 114.8 GB": the bare number is in the unit written once
            if a.kind not in ("percent", "ratio") and _NO_NOUN_BUT_A_PLACE.match(claim.text, b.start + len(b.figure)) \
                    and not _A_PART_OF.match(claim.text, a.start + len(a.figure)):
                b = _in_unit_of(b, a)  # "2,065 tok/s against 1,561 for C1"; "39% of the 8 in the busy stage" is no pair
        if a.kind != b.kind or a.unit != b.unit or a.value <= 0 or b.value <= 0:
            continue
        between = claim.text[a.start + len(a.figure): b.start]
        if _DIVIDED_NEXT.match(claim.text, b.start + len(b.figure)):
            continue  # "(12K / 593 = 20.2 vs 12K / 444 = 27.0)": 20.2 is no pair of the 12K that starts the next division
        if not owners_fit(between, lambda word: _is_name(word, ctx)):
            continue  # "15.8 GB of the checkpoint's 64 GB": no device's or scenario's whole
        joint = next((joint for joint, pattern in _JOINTS if pattern.match(between)), None)
        if joint is None and _WORDS_TO.match(between) and _FROM_BEFORE.search(claim.text, max(0, a.start - 16), a.start):
            joint = "to"  # "fell from 2.67 kWh in Q1 to 0.78 kWh in Q4"
        named = _NAMED_VERSUS.match(between) if joint is None else None
        if named is not None and all(_is_name(n, ctx) for n in named.group("a", "b") if n):
            joint = "vs"  # "≈ 36 ms for A and ≈ 56 ms for B", "A is $81,000 and B is $140,600"
        if joint == "vs" and a.unit == "1" and _AND.fullmatch(between):
            continue  # "2 and 3 changes delivered an additional ~4× speedup": counts listed, not set against each other
        if joint is not None:
            out.append(_Pair(a, b, joint))
    return out


_AGAINST_ANOTHER = regex(r"\s*(?:[^\W\d_][\w-]*\s+){0,3}(?:over|than|versus|vs\.?|compared (?:with|to)|relative to|against)\s+"
                         r"(?:the\s+)?(?P<who>[^\W\d_][\w.-]*)(?!['’]s)", re.I)
""""28% throughput improvements over NVIDIA BERT": a change against something its words name, not against a pair
of figures before it."""
_RATIO_LIST = regex(r"\s*(?:,|and|or|/)\s*[~≈]?\d[\d.,]*\s?[x×](?!\w)", re.I)
_RATIO_LIST_BEFORE = regex(r"\d[x×]\s*(?:,|and|or|/)\s*[~≈]?$", re.I)
""""3.0x and 3.2x", "1.6x, 2.0x": ratios in a list, each of its own figure, respectively."""
_NAMED_VERSUS = regex(r"\s*(?:per\s+[\w/.-]+\s+)?(?:(?:for|on|in|with)\s+(?P<a>[\w.-]+)\s*,?\s+)?"
                     r"(?:vs\.?|versus|against|compared with|and)\s+(?:(?P<b>[\w.-]+)\s+(?:is|at|costs?|needs?|gets?|"
                     r"does|takes?|reads?|runs?)\s+)?[$€£¥]?[~≈]?\s*$", re.I)
"""Two scenarios' figures side by side, each with its name: "≈ 36 ms for A and ≈ 56 ms for B", "A is $81,000 and B is
$140,600", "$30.8 per tok/s against $55.7 for A" (the names are the scenarios')."""
_GIB = 2**30 / 1e9
"""A GiB in GB: "64 GB (59.6 GiB)" says the same figure again."""
_PART_GIVEN = regex(r"\s*(?:[^\W\d_][\w-]*\s+){0,3}\(\s*[~≈]?\s*", re.I)
""""of its 40.9 GB expert shard (": a few words of the whole, then the part in a parenthesis."""
_CLOSE_TO = regex(r"\bwithin\s+(?:about\s+|roughly\s+|~|≈)?$", re.I)
""""within 6% of the 22.05 ms": a bound on how far apart two figures are, no share."""
_AND = regex(r"\s*and\s*", re.I)
"""Two figures joined by "and" alone: listed, not set against each other, when they are bare counts."""
_DIVIDED_NEXT = regex(r"\s*[/÷×*]\s*[~≈]?\d")
"""An operator and a number right after a figure: the figure starts the next step of arithmetic."""
_WORDS_TO = regex(r"\s*(?:[^\W\d_][\w'’.-]*\s+){1,5}to\s*[$€£¥]?\s*$", re.I)
"""A change written "from A <its words> to B": the words after A ("kWh in Q1") say what A is, and hold no figure."""
_FROM_BEFORE = regex(r"\bfrom\s*[~≈$€£¥]?\s*$", re.I)
"""A figure written right after "from" (and a currency sign): the first side of "from A to B"."""


def _in_unit_of(bare: Claim, other: Claim) -> Claim:
    """A bare number beside a figure with a unit, read in that unit (as written: "45.6 of 82.0 GB")."""
    if bare.unit != "1" or other.unit == "1" or bare.kind == other.kind:
        return bare
    mine, theirs = as_written(bare.figure), as_written(other.figure)
    if not mine or not theirs:
        return bare
    return evolve(bare, value=mine * other.value / theirs, unit=other.unit, kind=other.kind)


def _own_parenthesis(claim: Claim) -> str:
    """The parenthesis the figure sits in, or the one that opens right after its words ("2x GPU count (8 → 16)")."""
    text, start = claim.text, claim.start
    open_at = text.rfind("(", 0, start)
    if open_at >= 0 and text.rfind(")", 0, start) < open_at:
        close_at = text.find(")", start)
        return text[open_at + 1: close_at if close_at >= 0 else len(text)]
    m = re.match(r"([^()]{0,40}?)\(([^()]*)\)", text[start + len(claim.figure):])
    if m is None or re.search(r"(?<![\w.])\d", m.group(1)):  # another figure stands between ("BF16's" does not)
        return ""
    if re.search(r"[:;]\s|\btwice\b|\bhalf\b|\b(?:double|triple)[sd]?\b", m.group(1)):
        return ""  # "so 4x: twice the replicas per node (4 vs 2)": an explanation's own figures, not the ratio's
    return m.group(2)


_CLAUSE_CUT = regex(r";\s|:\s|(?<!\bi\.e)(?<!\be\.g)\.\s|\s[-–—•·▪]\s|,?\s(?:but|while|whereas|yet)\s|,\s+and\s")


def _own_clause_span(claim: Claim) -> tuple[int, int]:
    """Where the figure's clause starts and ends in its text: between ";", ": ", ". ", ", and " or a dash around it,
    parentheses included."""
    text, start = claim.text, claim.start
    lo = max((m.end() for m in _CLAUSE_CUT.finditer(text, 0, start)), default=0)
    m = _CLAUSE_CUT.search(text, start + len(claim.figure))
    return lo, m.start() if m else len(text)


def _own_clause(claim: Claim) -> str:
    """The figure's clause (`_own_clause_span`)."""
    lo, hi = _own_clause_span(claim)
    return claim.text[lo:hi]


def _percent_of(claim: Claim, ctx: Context):
    """A percentage of the report's own figures: "6.82 GB (24.2% of 64GB)", "8.5 of 43.7 GB, about 31%",
    "84% of the footprint (96.6 of 114.8 GB)", "cuts HBM use by 73% (172.2 → 99.5 GB)". Judged only when
    the figures it is of stand beside it; wrong only when every way of reading them disagrees."""
    if claim.kind != "percent" or claim.operand:
        return None
    based = _change_written(claim)
    if based is not None:
        return based
    readings: list[tuple[float, str]] = []
    unsure: list[float] = []  # readings some writers use, short of an error: a match makes a warning
    sure = True
    tail = claim.text[claim.start + len(claim.figure):]
    whole_after = re.match(r"\s*(?:of|out of)\s+(?:the\s+|a\s+|its\s+)?(?=[~≈]?\d)", tail, re.I)
    if whole_after:
        nxt = next((o for o in ctx.claims[claim.index + 1: claim.index + 2]
                    if o.text == claim.text and o.start == claim.start + len(claim.figure) + whole_after.end()), None)
        bare = nxt is not None and nxt.unit == "1" and nxt.kind == "count" \
            and _NO_NOUN.match(claim.text, nxt.start + len(nxt.figure)) is not None  # "53.5 GiB, 28% of the 192": GiB
        parts = [o for o in reversed(ctx.claims[max(0, claim.index - 6): claim.index])
                 if nxt is not None and o.text == claim.text and o.kind not in ("percent", "ratio")
                 and ((o.kind == nxt.kind and o.unit == nxt.unit) or (bare and o.unit != "1"))
                 and not _MODIFIER.match(o.text, o.start + len(o.figure))
                 and not _SEPARATOR.search(claim.text, o.start + len(o.figure), claim.start)
                 and o.start >= max(claim.text.rfind(";", 0, claim.start), _own_subject_start(claim))
                 and not _A_WHOLE.search(claim.text, max(0, o.start - 20), o.start)
                 and not _aside_before(claim.text, o.start, claim.start)
                 and _same_noun(o, nxt)]
        if nxt is not None and _DEVICES_AFTER.match(claim.text, nxt.start + len(nxt.figure)):
            nxt = None  # "19.4% of the 16 GPUs": a share of what 16 GPUs can do, not a part of 16
        candidates: list[tuple[Claim, Claim]] = []  # any of the figures before it may be the part
        if nxt is not None and nxt.value:
            candidates = [(part, _in_unit_of(nxt, part) if bare else nxt) for part in parts[:3]]
        given = next((o for o in ctx.claims[claim.index + 2: claim.index + 3] if nxt is not None and o.text == claim.text
                      and o.kind == nxt.kind and o.unit == nxt.unit and o.value
                      and _PART_GIVEN.fullmatch(claim.text, nxt.start + len(nxt.figure), o.start)
                      and claim.text.startswith(")", o.start + len(o.figure))), None)
        if given is not None and nxt is not None and nxt.value \
                and not any(abs(given.value / nxt.value - r) <= 0.1 * r for r in (1.0, _GIB)):  # "of 64 GB (59.6 GiB)"
            # restates the whole; "63.8% of its 40.9 GB expert shard (26.1 GB)" gives the part
            readings.append((given.value / nxt.value, f"{_fmt(given)} / {_fmt(nxt)}"))
        within = _CLOSE_TO.search(claim.text, max(0, claim.start - 16), claim.start) is not None
        for part, whole in candidates:
            if whole.unit != part.unit or not whole.value:
                continue
            if within:  # "= 20.8 ms, within 6% of the 22.05 ms measured": how far apart, at most
                apart = abs(part.value - whole.value) / whole.value
                readings.append((apart if apart > claim.value * 1.05 else claim.value, f"|{_fmt(part)} - {_fmt(whole)}| / {_fmt(whole)}"))
                sure = False
                continue
            readings.append((part.value / whole.value, f"{_fmt(part)} / {_fmt(whole)}"))
            if part.kind == whole.kind == "time" and part.value > whole.value:
                # "we measured 31 ms, 73% of the 22.8 ms roofline": how near the floor it runs, floor / time
                readings.append((whole.value / part.value, f"{_fmt(whole)} / {_fmt(part)}"))
        if nxt is not None and nxt.value and not bare:  # "959 TFLOPS; at 40% an A100 gives ~125 TFLOPS, ... 32% of
            unsure += [o.value / nxt.value for o in ctx.claims[max(0, claim.index - 12): claim.index]  # the 2,995"
                       if o.text == claim.text and o.kind == nxt.kind and o.unit == nxt.unit and o not in parts]
    if not readings and OF_A_DEVICE.match(tail):
        readings += _share_of_a_device(claim, ctx)
    if not readings and _OF_THE_MODEL.match(tail):
        readings += _share_of_the_model(claim, ctx)
    if not readings:
        named_whole = _whole_by_its_noun(claim, ctx, tail)
        if named_whole is not None:  # "$200,000 Q2 line ...; $59,400 stays unspent, 42% of the line"
            readings.append(named_whole)
            sure = False
    if not readings and _ROOM_AFTER.match(tail):  # "39.8 GB free per card, 73% headroom": of the card, as most mean it
        readings += _share_of_a_device(claim, ctx, _ROOM_LEAD)
        sure = False
    if not readings:
        beside = _below_or_above(claim, ctx, tail)
        if beside is not None:
            readings += beside[0]
            unsure += beside[1]
            sure = beside[2]
    if not readings:
        readings += _cost_of_ratios(claim, ctx)
    condition = _AT_A_SHARE.search(claim.text, max(0, claim.start - 16), claim.start) is not None
    if not readings and not condition:  # "at the 40% planning MFU that's 258K and 129K": what it assumes
        words = _own_clause(claim)
        aside = _own_parenthesis(claim)
        pairs = _pairs(claim, ctx, aside or words)
        opened = claim.text.rfind("(", 0, claim.start)
        if aside and aside.strip() == claim.figure.strip():  # "58,600 of the 182,400 requests (47%)": an aside
            before = ctx.claims[claim.index - 1] if claim.index > 0 else None  # holding only the share is of the
            pairs = [p for p in _pairs(claim, ctx, words) if p.joint == "of" and p.second is before]  # pair before it
        elif aside and not pairs and 0 <= opened < claim.start and _change_word(claim) is not None \
                and not re.search(r"\d", aside.replace(claim.figure, "", 1)):
            # "p99 2.3 s → 1.4 s by 03:26 (down 64%)": an aside holding only the change is of the pair before it
            pairs = [p for p in _pairs(claim, ctx, words) if p.joint != "of" and p.second.start < opened]
        for pair in pairs:
            a, b = pair.first.value, pair.second.value
            if any(o.kind == "percent" and o.text == claim.text and claim.start < o.start < pair.first.start
                   for o in ctx.claims[claim.index + 1: pair.first.index]):
                continue  # "+45% decode tok/s and 50% more seqs (192 vs 128)": the pair of the share nearer it
            if pair.joint == "of" and not aside and "/" in claim.text[pair.first.start: pair.second.start]:
                continue  # "X / Y" outside the percentage's own parenthesis is arithmetic, not its base
            if pair.joint == "of" and _CHANGE.match(claim.text, claim.start + len(claim.figure) + 1):
                continue  # "frees 8 of the 16 GPUs (50%) and serves 8.8% more": a change is no part of a whole
            if pair.joint == "of":
                readings.append((a / b, f"{_fmt(pair.first)} / {_fmt(pair.second)}"))
                if _WHOLE_IN_WORDS.match(tail):
                    sure = False  # "15.8 GB of a GPU's 64 GB, 35% of its footprint": the share names a whole of its own
            elif pair.joint in ("to", "vs", "instead"):
                against = _AGAINST_ANOTHER.match(claim.text, claim.start + len(claim.figure))
                if against and not aside and not _is_name(against.group("who"), ctx):
                    continue  # "64 and 53 teraflops ..., up to 28% throughput improvements over NVIDIA BERT": not 64 / 53
                own = _change_word(claim)
                # else a change word of the clause before the pair or the percentage; one after both is the pair's
                # own ("100% answer accuracy, a 20.6 to 94.1 times prefill speed increase")
                at = claim.text.find(words)
                change = own or next((m for m in _CHANGE.finditer(words)
                                      if at < 0 or at + m.start() < min(pair.first.start, claim.start)), None)
                signed = _SIGNED.search(claim.text, max(0, claim.start - 3), claim.start) and _PAIR_RIGHT_AFTER.match(
                    claim.text, claim.start + len(claim.figure))  # "+150% (1,333 → 2,000 tok/s)", its own pair
                if (change is None and signed is None) or _side_of_a_pair(claim, ctx):
                    continue  # "from 16.8% → 12.7% error": the percentage is one of the values that change
                # "from A to B" changes relative to A; "X% higher (A vs B)" says A against B, as "A instead of B"
                base, other = (pair.first, pair.second) if pair.joint == "to" else (pair.second, pair.first)
                if change is not None and change.group("either"):
                    # "30 ms → 20 ms, 50% faster", "0.52 s vs 0.31 s, 68% worse": the larger over the smaller, less 1
                    hi, lo = (pair.first, pair.second) if a >= b else (pair.second, pair.first)
                    readings.append((hi.value / lo.value - 1, f"{_fmt(hi)} / {_fmt(lo)} - 1"))
                    unsure.append(1 - lo.value / hi.value)  # "33% faster": the time's own cut, a reading some write
                elif _INVERSE.search(words) and pair.first.kind in ("token_rate", "percent") and other.value:
                    # "21% cheaper per token (727 vs 571 tok/s)", "utilization from 65% to 45%, 44% more per token":
                    # a cost per token is the inverse of a rate or a utilisation
                    readings.append((abs(b - a) / other.value, f"|{_fmt(other)} - {_fmt(base)}| / {_fmt(other)}"))
                else:
                    if pair.joint == "vs" and own is not None:
                        # "$0.46 vs $0.33, 28% less": what falls falls from the larger; "571 vs 727, 27% more":
                        # what rises rises from the smaller, whichever of "A vs B" is written first
                        base, other = _base_of_change(pair, own)
                    readings.append((abs(b - a) / base.value, f"|{_fmt(other)} - {_fmt(base)}| / {_fmt(base)}"))
    if not readings and not condition:
        earlier = _pair_of_an_earlier_clause(claim, ctx)
        if earlier is not None:  # "$0.46 vs $0.33 per million tokens; Sam: FP8 saves 40%": its clause has no pair
            readings.append(earlier)
            sure = False
    if not readings:
        row = _row_change(claim, ctx)
        if row is not None and _quotient_column(claim.column):
            was, now = row  # "| 15.8 | 64 | 25% |" under "| KV, GB | HBM, GB | KV/HBM |": the top over the bottom
            readings.append((now.value / was.value, f"{_fmt(now)} / {_fmt(was)}"))
            sure = False
        elif row is not None:  # "| p50 ITL | 30 ms | 52 ms | +42% |" under "| before | during | change |"
            was, now = row
            readings.append((abs(now.value - was.value) / was.value, f"|{_fmt(now)} - {_fmt(was)}| / {_fmt(was)}"))
            larger, smaller = max(was.value, now.value), min(was.value, now.value)
            if was.kind == "time" and _SPEED_UP.search(claim.column):  # "| 30 ms | 20 ms | +50% |" under "Gain"
                readings.append((larger / smaller - 1, f"{format_number(larger)} / {format_number(smaller)} - 1 (a speed-up)"))
            unsure += [larger / smaller - 1]
            sure = False  # which cell it changes from is read from the table's layout
    if not readings:
        return _change_between_scenarios(claim, ctx)
    def near(value: float) -> bool:
        return abs(claim.value - value) <= 0.05 * abs(value) or abs(claim.value - value) <= 0.006
    if any(near(value) for value, _ in readings):
        return None
    value, written = readings[0]
    if not sure or any(near(v) for v in unsure):
        return value, "part / whole", written, {"unsure": True}
    return value, "part / whole", written


_NOUN_AFTER = regex(r"\s*(?:[\w-]+\s+)?([^\W\d_]{3,})")


def _same_noun(part: Claim, whole: Claim | None) -> bool:
    """Whether two counts count the same thing, by the noun after each ("On 8 GPUs ..., 95% of the 1,000 test prompts":
    GPUs are no part of prompts); a count with no noun, or a figure with a unit, may be a part of anything."""
    if whole is None or part.kind != "count" or whole.kind != "count":
        return True
    a = _NOUN_AFTER.match(part.text, part.start + len(part.figure))
    b = _NOUN_AFTER.match(whole.text, whole.start + len(whole.figure))
    if a is None or b is None:
        return True
    x, y = a.group(1).lower().rstrip("s"), b.group(1).lower().rstrip("s")
    return x == y or not (COUNTED.match(a.group(1)) or _DEVICES_AFTER.match(part.text, part.start + len(part.figure)))


_A_PART_OF = regex(r"\s*(?:of|out of|/)\s", re.I)
"""A figure followed by "of" or "/": the part of a share, no side of "A against B"."""
_NO_NOUN_WORDS = "and|or|but|so|which"
_NO_NOUN_BUT_A_PLACE = regex(rf"[ \t]*(?:$|\n|[.,;:)\](\[]|\b(?:{_NO_NOUN_WORDS}|for|on|in|at|with|from)\b)")
""""1,561 for C1", "1,561 on C1": no noun after the number, only whose or where it is."""
_NO_NOUN = regex(rf"[ \t]*(?:$|\n|[.,;:)\](\[]|\b(?:{_NO_NOUN_WORDS})\b)")
""""of the 192." names no noun after its number: the number is in another figure's unit ("500 requests" is not)."""
_WHOLE_IN_WORDS = regex(r"\s*(?:of|out of)\s+(?:the\s+|its\s+|their\s+|each\s+|every\s+|a\s+|one\s+)?[^\W\d_]", re.I)
""""35% of its footprint": a share followed by the words of a whole, no figure."""
_BELOW = regex(r"\s*(?:below|under|short of|lower than|less than|above|over|higher than|more than)\s+(?:its|the|their|our|a|an)?"
                rf"\s*(?:(?:{OWNER}|[\w-]+)\s+){{0,2}}?(?=[~≈]?\d)", re.I)
""""48% below its 2,100 roofline", "32% lower than C1's 41 ms": the percentage a figure before it stands from the one
after."""


def _changed_right_before(claim: Claim) -> bool:
    """Whether a rise or a fall is said right before the percentage ("up 44%", "fell by about 39%")."""
    words = list(_CHANGE.finditer(claim.text, max(0, claim.start - 30), claim.start))
    return bool(words) and not words[-1].group("either") \
        and _BY_ABOUT.fullmatch(claim.text, words[-1].end(), claim.start) is not None


_BY_ABOUT = regex(r"\s+(?:by\s+)?(?:about\s+|~|≈)?", re.I)
"""What may stand between a change's word and its percentage ("fell by about 39%")."""


_FROM_WHOLE = regex(rf"\s*(?:from|on|over|vs\.?|versus|compared (?:with|to)|relative to|against)\s+(?:the\s+|its\s+|"
                    rf"their\s+|our\s+)?(?:{OWNER}\s+)?(?=[~≈]?\d)", re.I)
"""A change said right before the percentage, and what it changes from right after it: "down 39% from 2.3 s", "up
44% from Q2's 38" (a word between, "from batch 32", names something else)."""


def _below_or_above(claim: Claim, ctx: Context, tail: str) -> tuple[list[tuple[float, str]], list[float], bool] | None:
    """ "1,420 tok/s sits 32% below its 2,100 roofline", "1.4 s, down 39% from 2.3 s": |X - Y| / Y, a figure before it
    against the one after (and, as some write of a comparison, |X - Y| / X: a warning at most; a change from Y is
    over Y); sure only when one figure before it can be X."""
    whole_at = _BELOW.match(tail)
    changed_from = whole_at is None and _changed_right_before(claim)
    if changed_from:
        whole_at = _FROM_WHOLE.match(tail)  # "68 req/s at peak, up 44% from Q2's 38": a change from 38, over 38
    if whole_at is None or not owners_fit(whole_at.group(0), lambda word: _is_name(word, ctx)):
        return None
    start = claim.start + len(claim.figure) + whole_at.end()
    whole = next((o for o in ctx.claims[claim.index + 1: claim.index + 2] if o.text == claim.text and o.start == start), None)
    if whole is None or not whole.value:
        return None
    if whole.kind == "count" and re.fullmatch(r"(?:19|20)\d\d", whole.figure.strip()):
        return None  # "20% above the 2023 baseline": a year
    bare = whole.kind == "count" and not re.search(r"[A-Za-z]", whole.figure)  # "its 2,100 roofline": X's unit
    parts = [o for o in reversed(ctx.claims[max(0, claim.index - 4): claim.index])
             if o.text == claim.text and (o.kind == whole.kind or (bare and o.kind not in ("percent", "ratio")))
             and o.value and not o.operand and o.start >= _own_subject_start(claim)
             and not _SEPARATOR.search(claim.text, o.start + len(o.figure), claim.start)]
    if not parts:
        return None
    wholes = [_in_unit_of(whole, p) if bare else whole for p in parts]  # "48% less than B's 29.4": in X's unit
    readings = [(abs(p.value - w.value) / w.value, f"|{_fmt(p)} - {_fmt(w)}| / {_fmt(w)}") for p, w in zip(parts, wholes, strict=True)]
    if whole.kind == "percent":  # "MFU 45%, 5% above the 40% target": five points
        readings += [(abs(p.value - whole.value), f"|{_fmt(p)} - {_fmt(whole)}| (points)") for p in parts]
    unsure = [] if changed_from else [abs(p.value - w.value) / p.value for p, w in zip(parts, wholes, strict=True)]
    return readings, unsure, len(parts) == 1


_RATIO_OF = {"tokens": regex(r"\s*(?:the\s+|more\s+)?(?:tokens?|throughput|tok/s|output|work)\b", re.I),
             "devices": regex(r"\s*(?:the\s+|more\s+)?(?:gpus?|cards?|devices?|hardware|nodes?|npus?)\b", re.I)}
_PER_TOKEN_COST = regex(r"\b(?:cheaper|costlier|more expensive|cost)\b.{0,30}\bper\s+(?:\w+\s+)?(?:token|tok|request|query)"
                        r"|\bper\s+(?:\w+\s+)?(?:token|tok)\w*\s+(?:cost|price)|\bcost per (?:\w+\s+)?(?:token|tok)", re.I)
_SAME_HARDWARE = regex(r"\b(?:the )?same (?:hardware|gpus|cards|devices|nodes|box|machine)\b", re.I)


def _cost_of_ratios(claim: Claim, ctx: Context) -> list[tuple[float, str]]:
    """A cost per token changed by the ratios written before it in its sentence: "1.9x the tokens from the same
    hardware, about 47% cheaper per token" is 1 - 1 / 1.9; "4.24x the tokens for 2x the GPUs: cost per token down
    ~53%" is 1 - 2 / 4.24."""
    before = next((o for o in reversed(ctx.claims[max(0, claim.index - 6): claim.index]) if o.text == claim.text), None)
    since = before.start + len(before.figure) if before is not None else 0  # "... falls 50% and latency improves 20%"
    words = claim.text[max(since, claim.start - 60): claim.start + len(claim.figure) + 40]
    change = _CHANGE.search(claim.text, max(0, claim.start - 12), claim.start + len(claim.figure) + 40)  # "down ~76%"
    if not _PER_TOKEN_COST.search(words) or change is None:
        return []
    ratios = {what: o for o in ctx.claims[max(0, claim.index - 6): claim.index]
              if o.text == claim.text and o.kind == "ratio" and not o.operand
              for what, pattern in _RATIO_OF.items() if pattern.match(claim.text, o.start + len(o.figure))}
    tokens = ratios.get("tokens")
    if tokens is None or not tokens.value or ("devices" not in ratios and not _SAME_HARDWARE.search(claim.text)):
        return []
    devices = ratios["devices"].value if "devices" in ratios else 1.0
    cost = devices / tokens.value  # the cost per token after, as a share of before
    written = f"{format_number(devices)} / {format_number(tokens.value)}"
    return [(abs(1 - cost), f"|1 - {written}|")]


_A_WHOLE = regex(r"\b(?:of|out of)\s+(?:an?\s+|the\s+|its\s+)?[~≈]?$", re.I)
""""68% of an 80 GB card (64% of 80 GiB)": the 80 GB is the whole of another share, no part of this one."""
_MANY_DEVICES = regex(r"\b(nodes?|servers?|hosts?|clusters?|fleets?|replicas?|instances?|pairs?|total|combined|across|all)\b",
                      re.I)
_NOT_ONE_DEVICE = ("weights_total", "kv_cache_total", "memory_per_node", "weights_per_node", "kv_cache_per_node")


def _share_of_a_device(claim: Claim, ctx: Context, lead: re.Pattern = SHARE_LEAD) -> list[tuple[float, str]]:
    """The percentage over one device's capacity (GB or GiB) of the memory figure it follows in its clause, `lead`
    the words between them."""
    part = ctx.claims[claim.index - 1] if claim.index > 0 else None
    if part is None or part.text != claim.text or part.kind != "bytes" or part.metric in _NOT_ONE_DEVICE \
            or part.qualifier in ("per_node", "per_replica") or _MANY_DEVICES.search(f"{part.label} {part.before}") \
            or not lead.fullmatch(claim.text, part.start + len(part.figure), claim.start):
        return []
    tail = claim.text[claim.start + len(claim.figure): claim.start + len(claim.figure) + 50]
    if _MANY_DEVICES.search(tail) or re.search(r"\d+[- ](?:gpu|card|device|npu)", tail, re.I):
        return []  # "235 GB, 46% of HBM on one 8-GPU node": the node's memory, not one card's
    capacities = {r.value for s in ctx.scenarios_for(claim) if "memory_capacity" in ctx.estimates[s]
                  for r in ctx.estimates[s]["memory_capacity"].readings}
    return [(part.value / c, f"{_fmt(part)} / {format_quantity(c, 'B')}") for c in sorted(capacities) if c]


_OF_THE_NOUN = regex(r"\s*(?:of|out of)\s+(?:the|its|our|their|this|that)\s+(?P<noun>[^\W\d_][\w-]{2,})\b(?!\s*['’]s)", re.I)
""""42% of the line": a whole named by a noun, no number."""


def _whole_by_its_noun(claim: Claim, ctx: Context, tail: str) -> tuple[float, str] | None:
    """A whole named by the noun of a figure earlier in the sentence: "B is 70% of the $200,000 Q2 line ...; $59,400
    stays unspent, 42% of the line" is 59,400 / 200,000. The part is the figure right before the percentage."""
    m = _OF_THE_NOUN.match(tail)
    part = ctx.claims[claim.index - 1] if claim.index > 0 else None
    if m is None or part is None or part.text != claim.text or part.kind in ("percent", "ratio") or part.operand \
            or not SHARE_LEAD.fullmatch(claim.text, part.start + len(part.figure), claim.start) \
            and not _LEFT_LEAD.fullmatch(claim.text, part.start + len(part.figure), claim.start):
        return None
    noun = m.group("noun").lower()
    since = max(0, claim.start - 300)
    wholes = [o for o in ctx.claims[max(0, claim.index - 12): claim.index - 1]
              if o.text == claim.text and o.start >= since and o.kind == part.kind and o.unit == part.unit
              and o.value > part.value and not o.operand
              and noun in claim.text[o.start + len(o.figure): o.start + len(o.figure) + 60].lower().split()[:3]]
    if len(wholes) != 1:
        return None
    whole = wholes[0]
    return part.value / whole.value, f"{_fmt(part)} / {_fmt(whole)}"


_LEFT_LEAD = regex(r"(?:\s*[^\W\d_]+){0,3}?\s*(?:,|\(|:|—|–)\s*[~≈]?\s*", re.I)
""""$59,400 stays unspent, 42% of the line": a few words of what the part is, then the share."""
_ROOM_AFTER = regex(r"\s*(?:of\s+)?(?:headroom|free|spare|unused|left(?:\s+over)?|still available)\b", re.I)
""""73% headroom", "42% free": the room a memory figure before it leaves, a share of the device it is of."""
_ROOM_LEAD = regex(r"\s*(?:free|spare|unused|left|of headroom)?\s*(?:(?:per|on each|on every)\s+(?:gpu|card|device|npu))?"
                   r"\s*(?:,|\(|:|—|–|-|\bor\b|\bi\.e\.,?)\s*[~≈]?\s*", re.I)
"""What stands between a memory figure and the share of room it leaves ("39.8 GB free per card, 73% headroom")."""
_OF_THE_MODEL = regex(r"\s*(?:of|out of)\s+(?:the\s+|all\s+|its\s+)?(?:(?:model|checkpoint)(?:'s|’s)?(?:\s+(?:parameters|params|"
                      r"weights))?|(?:total\s+)?(?:parameters|params)|(?P<total>total))\b"
                      r"(?!\s+(?:memory|bytes|size|footprint|time))", re.I)
""""653.9B, i.e. 97.4% of the model", "37.6B parameters, just 5.6% of the total": a share of the model's parameters
(of "the total", only when the part says it counts parameters: "math is 300B, 3% of the total" counts tokens)."""
_PARAMETER_COUNT = regex(r"[\d.,]+\s*(?:B|bn|billion)\b(?:\s+(?:parameters|params|weights))?", re.I)
"""A count of billions, a parameter count's size."""
_PARAMETERS_AFTER = regex(r"\s*(?:active\s+|total\s+)?(?:parameters|params|weights)\b", re.I)
"""A count's own noun saying it counts parameters ("22B parameters")."""


def _share_of_the_model(claim: Claim, ctx: Context) -> list[tuple[float, str]]:
    """A parameter count's percentage of the model: the count written right before it ("17.1B, about 25% of the
    model") over the model's total parameters."""
    part = ctx.claims[claim.index - 1] if claim.index > 0 else None
    whole = _OF_THE_MODEL.match(claim.text, claim.start + len(claim.figure))
    named = _PARAMETERS_AFTER.match(claim.text, part.start + len(part.figure)) if part is not None else None
    if part is None or whole is None or part.text != claim.text or part.kind != "count" or part.operand \
            or not _PARAMETER_COUNT.fullmatch(_fmt(part)) \
            or (whole.group("total") and not named) \
            or not SHARE_LEAD.fullmatch(claim.text, named.end() if named else part.start + len(part.figure), claim.start) \
            or _A_WHOLE.search(claim.text, max(0, part.start - 20), part.start):
        return []  # "a token touches 12.9 of 46.7 billion, about 28% of the model": the share of that pair
    totals = {r.value for s in ctx.scenarios_for(claim) if "params_total" in ctx.estimates[s]
              for r in ctx.estimates[s]["params_total"].readings}
    return [(part.value / t, f"{_fmt(part)} / {format_quantity(t, '1')} parameters") for t in sorted(totals) if t]


_SEPARATOR = regex(r"[·•|]|(?<!\bi\.e)(?<!\be\.g)(?<!\bvs)(?<!\betc)[.!?]\s")
"""What ends a statement inside a text joined from several lines ("... 1.18K tok/s/GPU · pool-a at 49% of ...")."""
_MODIFIER = regex(r"-[^\W\d_]")
""""the 30-day error budget", "an 8-GPU node": a count joined to a word qualifies it, it is no part of a whole."""


def _side_of_a_pair(claim: Claim, ctx: Context) -> bool:
    """Whether a percentage is itself one side of "A → B", "A vs B" or "from A to B" with a percentage beside it."""
    near = [o for o in ctx.claims[max(0, claim.index - 2): claim.index + 3] if o.text == claim.text and o.kind == claim.kind
            and o.index != claim.index]
    for o in near:
        a, b = (o, claim) if o.start < claim.start else (claim, o)
        between = claim.text[a.start + len(a.figure): b.start]
        if any(pattern.match(between) for joint, pattern in _JOINTS if joint in ("to", "vs")):
            return True
    return False


_DEVICES_AFTER = regex(r"\s*(?:[\w-]+\s+)?(?:gpus|devices|cards|chips|npus|accelerators|nodes)\b|\s+in\s+the\b", re.I)
"""Words after the whole of "P% of the N ..." that make N a count of devices."""

_CHANGE_COLUMN = regex(r"^\W*(?:change|δ|Δ|delta|diff(?:erence)?|ratio|speed-?up|gain|growth)\W*$", re.I)


def _row_change(claim: Claim, ctx: Context) -> tuple[Claim, Claim] | None:
    """The two figures of a table row a cell under a "change" column compares: the row's only two cells of one
    kind left of it, the one it changes from first ("| p50 ITL | 30 ms | 52 ms | +42% |"; under "| This release |
    Previous |" the second); under a quotient column ("b/a") the bottom's cell first, the top's second."""
    quotient = _quotient_column(claim.column)
    if not claim.column or not (_CHANGE_COLUMN.match(claim.column) or quotient):
        return None
    row = [o for o in ctx.claims[max(0, claim.index - 12): claim.index]
           if o.line == claim.line and o.group == claim.group and o.column and o.column != claim.column
           and o.kind not in ("percent", "ratio")]
    if len(row) != 2 or row[0].kind != row[1].kind or row[0].unit != row[1].unit or min(o.value for o in row) <= 0:
        return None
    if quotient:  # "| pool-a | pool-b | b/a |": the bottom's cell first
        top, bottom = (re.compile(rf"(?<!\w){re.escape(quotient.group(g))}(?!\w)", re.I) for g in ("top", "bottom"))
        if top.search(row[1].column) and bottom.search(row[0].column) and not top.search(row[0].column):
            return row[0], row[1]
        if top.search(row[0].column) and bottom.search(row[1].column) and not top.search(row[1].column):
            return row[1], row[0]
        return None
    if _NEWER.search(row[0].column) and _OLDER.search(row[1].column):
        return row[1], row[0]  # "| This release | Previous | Change |": newest first
    return row[0], row[1]


_QUOTIENT_COLUMN = regex(r"^\W*(?P<top>[^\W\d_][\w.-]{0,15})\s*(?:/|÷|\bover\b|\bvs\.?)\s*(?P<bottom>[^\W\d_][\w.-]{0,15})\W*$",
                         re.I)
""""b/a", "new ÷ old", "TP4 vs TP8": a column of the ratio of two columns, named by words of their headers."""


def _quotient_column(column: str) -> re.Match | None:
    """A quotient column's header ("b/a"), not a change column's ("change", "ratio")."""
    return _QUOTIENT_COLUMN.match(column) if column and not _CHANGE_COLUMN.match(column) else None
_SPEED_UP = regex(r"\b(?:gain|speed-?up|faster)\b", re.I)
_NEWER = regex(r"\b(?:this|new|current|after|now|latest|proposed|optimi[sz]ed)\b", re.I)
_OLDER = regex(r"\b(?:previous|prior|old|before|baseline|last|original)\b", re.I)


_WORD = regex(r"[\w/]+")
_VERSUS_HEADER = regex(r"\b(?:vs\.?|versus|relative to|over|against)\s+(?P<ref>.+?)\s*$", re.I)


def _table_versus(claim: Claim, ctx: Context):
    """A table's ratio against a row or column its header names: a "vs. current" column holds the cell left of
    it over the same column in the "current" row; a "tok/s vs. v1" row holds a cell of a row above it (one
    that shares its words) over the same row's cell in the "v1" column. Wrong only when every such row
    disagrees; a warning, since which cell it compares is read from the table's layout."""
    if not claim.column:
        return None
    table = [o for o in ctx.claims[max(0, claim.index - 200): claim.index + 200]
             if o.column and o.kind != "ratio" and o.scope[:-1] == claim.scope[:-1] and abs(o.line - claim.line) < 60]
    by_header = _VERSUS_HEADER.search(claim.column)
    by_label = _VERSUS_HEADER.search(claim.label) if not by_header else None
    if by_header:  # compare the cell left of it with its column in the reference row
        ref = by_header.group("ref")
        left = [o for o in table if o.line == claim.line and o.index < claim.index]
        if not left:
            return None
        cell = left[-1]
        rows = [o for o in table if o.column == cell.column and _header_names(o.label, ref, ctx)]
        pairs = [(cell, r) for r in rows]
    elif by_label:  # compare a cell above it with the same row's cell in the reference column
        ref = by_label.group("ref")
        words = set(_WORD.findall(claim.label[: by_label.start()].lower())) - {"per", "the", "of"}
        above = [o for o in table if o.line < claim.line and o.column == claim.column
                 and words & set(_WORD.findall(o.label.lower()))]
        pairs = []
        for cell in above:
            refs = [o for o in table if o.line == cell.line and _header_names(o.column, ref, ctx)]
            pairs += [(cell, r) for r in refs[:1]]
    else:
        return None
    readings = [(a.value / b.value, a, b) for a, b in pairs if b.value > 0 and a.value > 0]
    if not readings or any(abs(claim.value - v) <= 0.05 * v for v, _, _ in readings):
        return None
    value, a, b = readings[0]
    return value, "the cell it compares over the reference", f"{_fmt(a)} / {_fmt(b)}", {"unsure": True}


def _header_names(text: str, ref: str, ctx: Context) -> bool:
    """Whether a row label or column header is the one a "vs. X" names: the same words, or the same scenario."""
    if text.strip().lower() == ref.strip().lower():
        return True
    return any(pattern.search(ref) and pattern.search(text) for pattern in ctx.matchers.values())


def _own_subject_start(claim: Claim) -> int:
    """Where the figure's own parenthesis starts when it says what it is of ("(BF16 at 16 sits at 55% of its 768
    tok/s ceiling)": its part is inside, not a figure before it); -1 otherwise ("72.5 GB (70% of the pool)")."""
    text, at = claim.text, claim.start
    opened = text.rfind("(", max(0, at - 120), at)
    if opened < 0 or opened < text.rfind(")", opened, at):
        return -1
    words = [w for w in re.findall(r"[^\W\d_]+", text[opened + 1: at]) if w.lower() not in _FILLERS]
    return opened if len(words) >= 2 else -1


_FILLERS = frozenset({"that", "is", "i", "e", "which", "or", "about", "roughly", "around", "approximately", "so",
                      "just", "only", "over", "under", "nearly", "almost", "some"})


def _aside_before(text: str, at: int, end: int) -> bool:
    """Whether the figure at `at` sits in a parenthesis that closes before `end`: "4.6K tok/s per GPU (36.8K per
    node), about 39% of ...": the aside is not what the percentage is of."""
    opened = text.rfind("(", 0, at)
    return opened > text.rfind(")", 0, at) and 0 <= text.find(")", at) < end


def _change_written(claim: Claim):
    """ "(29.4 − 16.2) / 16.2 = 81% less than tp8dp2": a change written out as (A - B) / C must divide by what it
    changes from - a cut by the larger of A and B, a gain by the smaller - whatever the arithmetic gives."""
    after = " ".join(claim.text[claim.start + len(claim.figure): claim.start + len(claim.figure) + 40].split()[:3])
    before = " ".join(claim.text[max(0, claim.start - 60): claim.start].split()[-3:])
    way = _CHANGE.match(after) or _CHANGE.search(before)  # "= 81% less", "a saving of ... = 45%"
    if way is None or way.group("either"):
        return None  # "40% worse": which way depends on what changes
    for w in expressions_before(claim.text, claim.start, claim.figure):
        m = _DIFFERENCE.match(w.as_written)
        if m is None:
            continue
        a, b, base = (float(m.group(g)) for g in ("a", "b", "c"))
        start, other = (max(a, b), min(a, b)) if way.group("less") else (min(a, b), max(a, b))
        if start <= 0 or abs(base - other) > 0.02 * other or abs(base - start) <= 0.02 * start:
            return None  # divides by what it changes from, or by neither figure
        change = abs(a - b) / start
        return (change, "a change over what it changes from",
                f"|{format_number(a)} - {format_number(b)}| / {format_number(start)} (\"{way.group(0)}\" is relative to "
                f"what it changes from, {format_number(start)}, not {format_number(base)})")
    return None


_DIFFERENCE = regex(r"^\(+(?P<a>[\d.e+]+)\s*-\s*(?P<b>[\d.e+]+)\)+\s*/\s*\(*(?P<c>[\d.e+]+)\)*(?:\s*\*\s*100(?:\.0)?)?$")
"""What a change written out reads as: "(A - B) / C", with "× 100" or not."""


def _change_between_scenarios(claim: Claim, ctx: Context):
    """ "TP8's decode throughput is 72% higher than TP4 x DP2's", "TP8 比 TP4 × DP2 的 TTFT 降低了 82%": a change
    of a metric between the two scenarios the sentence names, against the report's own figure of it in each
    (one value per scenario), relative to the second named. A warning at most."""
    near = claim.text[max(0, claim.start - 12): claim.start + len(claim.figure) + 25]
    if not (_CHANGE.search(near) or _CHANGE_ZH.search(near)):
        return None  # "~83% scaling efficiency": a share, not a change
    family = next((metrics for pattern, metrics in _FAMILIES if pattern.search(claim.text)), None)
    if family is None:
        return None
    head = claim.text[: claim.start]
    hits = sorted([(m.start(), name) for name, pattern in ctx.matchers.items() for m in [pattern.search(head)] if m]
                  + _layouts_named(head, ctx), key=lambda h: h[0])
    names = list(dict.fromkeys(name for _, name in hits))
    if len(names) != 2:
        return _change_against_named(claim, ctx, family)
    values = {}
    for name in names:
        found = {round(o.value, 9) for o in ctx.claims if o.metric in family and o.scenario == name and not o.quoted
                 and not o.operand and not o.versus and not o.qualifier
                 and (o.evidence.confident or o.evidence.phrase == "fallback")}
        if len(found) > 1 and _WHOLE.search(claim.text):
            found = {max(found)}  # "整机 decode 吞吐", "the node's throughput": a replica's own is smaller
        if len(found) != 1:
            return None  # none, or several that disagree: nothing to hold it to
        values[name] = found.pop()
    subject, base = values[names[0]], values[names[1]]
    if base <= 0:
        return None
    change = abs(subject - base) / base
    return (change, "the change between the report's own figures of both scenarios",
            f"|{format_number(subject)} - {format_number(base)}| / {format_number(base)} ({names[0]} vs {names[1]})",
            {"unsure": True})


_LAYOUT_WORDS = regex(r"\b(?P<d1>TP|PP|DP|EP)\s*=?\s*(?P<n1>\d+)(?P<rest>(?:\s*[×x*,]\s*(?:TP|PP|DP|EP)\s*=?\s*\d+)*)",
                           re.I)


def _layouts_named(text: str, ctx: Context) -> list[tuple[int, str]]:
    """(position, scenario) of each layout written in `text` ("TP4 × DP2") that fits exactly one scenario."""
    out = []
    for m in _LAYOUT_WORDS.finditer(text):
        stated = {d.lower(): float(n) for d, n in re.findall(r"(TP|PP|DP|EP)\s*=?\s*(\d+)", m.group(0), re.I)}
        fits = [s for s in ctx.estimates if all(ctx.figure(s, d) == v for d, v in stated.items())]
        if len(fits) == 1:
            out.append((m.start(), fits[0]))
    return out


def _change_against_named(claim: Claim, ctx: Context, family: tuple[str, ...]):
    """ "They would decode 2,666 tok/s, 25% more than the conservative two_node estimate": the figure before the
    change against the one figure the report states for the scenario named after it (the one its words pick)."""
    subject = next((o for o in reversed(ctx.claims[max(0, claim.index - 8): claim.index])
                    if o.text == claim.text and o.metric in family and not o.operand), None)
    after = claim.text[claim.start + len(claim.figure):]
    than = re.match(r"\s*(?:more|higher|less|lower|faster|slower|fewer|above|below)\s+than\s+(?:the\s+)?(?P<words>[^,.;]*)",
                    after, re.I)
    if subject is None or than is None:
        return None
    named = [n for n, pattern in ctx.matchers.items() if pattern.search(than.group("words"))]
    if len(named) != 1:
        return None
    name = named[0]
    adjectives = [w for w in re.findall(r"[a-z]{4,}", than.group("words").lower())
                  if not ctx.matchers[name].search(w) and w not in ("estimate", "figure", "number", "case")]
    found: dict[float, set[str]] = {}
    for o in ctx.claims:
        if (o.metric in family and o.scenario == name and not o.quoted and not o.operand and not o.qualifier
                and o.index != subject.index and (o.evidence.confident or o.evidence.phrase == "fallback")):
            found.setdefault(round(o.value, 9), set()).update(re.findall(r"[a-z]{4,}", o.text.lower()))
    if len(found) > 1 and adjectives:
        found = {v: w for v, w in found.items() if any(a in w for a in adjectives)}
    if len(found) != 1:
        return None
    base = next(iter(found))
    if base <= 0:
        return None
    return (abs(subject.value - base) / base, "the change against the report's own figure of the named scenario",
            f"|{_fmt(subject)} - {format_number(base)}| / {format_number(base)} ({name})", {"unsure": True})


_INVERSE = regex(r"\b(?:cheaper|costlier|costs?|costing|priced?|spend|spending|billed|dollars?)\b", re.I)
"""A change of what a rate's inverse measures (a cost per token of a throughput)."""
_WHOLE = regex(r"整机|\b(?:whole|total|node|aggregate|deployment|cluster)\b", re.I)
_AT_A_SHARE = regex(r"\bat\s+(?:the\s+|a\s+|an\s+)?[~≈]?$", re.I)
_PAIR_RIGHT_AFTER = regex(r"\s*\(\s*(?:from\s+)?[~≈]?\d")
_SIGNED = regex(r"(?:^|[\s(])[+−]\s?$")
"""A sign written right before a percentage makes it a change: "+150%", "−27%" (a minus sign; an ASCII "-" may be a
subtraction, "80 - 27%", and is not read as one)."""
_CHANGE_ZH = regex(r"(降低|减少|提升|提高|增加|高|低|快|慢)了?")
_CHANGE = regex(r"(?<![\w-])(?:(?P<less>less|lower(?:s|ed)?|cut|cuts|reduc\w*|drop(?:s|ped)?|falls?|fallen|fell|"
                     r"sav(?:es?|ed|ings?)|cheaper|smaller|shorter|down|fewer|decreas\w*|declin\w*|slash\w*|"
                     r"trims?|trimmed|shav(?:es?|ed)|shrinks?|shrank|shrunk)|"
                     r"(?P<more>more|higher|gain(?:s|ed)?|increase\w*|grows?|grew|grown|rises?|rose|risen|up(?!\s+to\b)|larger|"
                     r"bigger|jumps?|jumped|climb(?:s|ed)?)|"
                     r"(?P<either>worse|better|slower|faster|longer|regress\w*|improv\w*))(?![\w-])", re.I)
"""Words of a change: a fall, a rise, or either ("40% worse" of a time is a rise, of a rate a fall)."""


def _pair_of_an_earlier_clause(claim: Claim, ctx: Context) -> tuple[float, str] | None:
    """A change said with its percentage ("FP8 saves 40%") whose own clause sets no two figures side by side, against
    the nearest pair before it in its sentence ("$0.46 vs $0.33 per million output tokens; ..."): a fall over the
    larger, a rise over the smaller. Known by place: a warning at most."""
    lo, hi = _own_clause_span(claim)
    words = claim.text[lo:hi]
    change = _change_word(claim)
    if change is None or change.group("either") or _INVERSE.search(words) or _side_of_a_pair(claim, ctx):
        return None
    if lo <= 0 or _pairs(claim, ctx, words):
        return None
    pairs = [p for p in _pairs(claim, ctx, claim.text[:lo]) if p.joint in ("to", "vs", "instead")]
    if not pairs:
        return None
    pair = pairs[-1]
    named = _named_kind(claim.text[lo: change.start()])
    if named is not None and named != pair.first.kind:
        return None  # "TTFT went from 1.2 s to 0.8 s; throughput rose 25%": a change of another quantity
    if any(o.kind == "percent" and o.text == claim.text and pair.second.start < o.start < claim.start
           for o in ctx.claims[pair.second.index + 1: claim.index]):
        return None  # another percentage between them is the pair's
    base, other = _base_of_change(pair, change)
    return abs(base.value - other.value) / base.value, f"|{_fmt(other)} - {_fmt(base)}| / {_fmt(base)}"


def _base_of_change(pair: _Pair, change: re.Match) -> tuple[Claim, Claim]:
    """(base, other) of a change between two figures by its word: a fall falls from the larger, a rise rises from the
    smaller, whichever of them is written first ("$0.46 vs $0.33, 28% less"; "571 vs 727, 27% more")."""
    low, high = sorted((pair.first, pair.second), key=lambda o: o.value)
    return (high, low) if change.group("less") else (low, high)


def _change_word(claim: Claim) -> re.Match | None:
    """The word of a change a percentage is said with: right after it ("43% slower"), else the last one before it
    in its clause with no figure between them ("dropped 81%"); None when neither (a word further on, or one
    before another figure, is another figure's)."""
    end = claim.start + len(claim.figure)
    after = _CHANGE.match(claim.text, end + len(claim.text[end:]) - len(claim.text[end:].lstrip()))
    if after is not None:
        return after
    before = list(_CHANGE.finditer(claim.text, _own_clause_span(claim)[0], claim.start))
    if before and re.search(r"\d", claim.text[before[-1].end(): claim.start]):
        return None  # "2x higher throughput (1.36 vs 0.67 rps) ... or up to 50%": another figure's word
    return before[-1] if before else None


def _ratio(claim: Claim, ctx: Context):
    """"28.5 s vs 0.06 s (475x)", "2x GPU count (8 → 16)": "Nx" against the two figures it sits beside (in
    its own parenthesis, or set side by side in its clause, of the kind it is said of), the larger over the
    smaller; an improvement or a speed-up must go the way it says. Arithmetic written out is judged as such."""
    if claim.kind != "ratio" or claim.operand or claim.values:
        return None
    if expressions_before(claim.text, claim.start, claim.figure):
        return None  # "2.4 / 1.1 ≈ 2.2x": written arithmetic (CON006)
    if _RATIO_LIST.match(claim.text, claim.start + len(claim.figure)) or _RATIO_LIST_BEFORE.search(
            claim.text, max(0, claim.start - 16), claim.start):
        return None  # "Your 96 and 104 ms are 3.0x and 3.2x that": each figure against what "that" is, respectively
    times = _MULTIPLE_OF_A_FIGURE.match(claim.text, claim.start + len(claim.figure))
    if times:  # "went from 38 ms to 71 ms, 1.4x the 50 ms SLO": 71 / 50, a multiple of the figure after it
        return _multiple_of(claim, ctx, times.end())
    pairs = [p for p in _pairs(claim, ctx, _own_parenthesis(claim)) if p.joint != "of"]  # "255 of 256 experts": a share
    if not pairs:
        clause = _own_clause(claim)
        head = clause[: max(0, claim.start - claim.text.find(clause))] if claim.text.find(clause) >= 0 else ""
        head = re.sub(r"\([^()]*\)", lambda m: " " * len(m.group(0)), head)  # another ratio's aside
        pairs = [p for p in _pairs(claim, ctx, head) if p.joint in ("vs", "to") and p.first.start >= claim.text.find(head)]
    if not pairs:
        pairs = _either_side(claim, ctx)
    if not pairs:
        row = _row_change(claim, ctx)
        quotient = _quotient_column(claim.column)
        end = claim.start + len(claim.figure)
        if row is not None and quotient and not _COMPARATIVE.search(claim.text[end: end + 24]):
            bottom, top = row  # "| 4.7 | 14.1 | 3.0x |" under "| pool-a | pool-b | b/a |": b over a, as it says
            if re.search(r"[/÷]", quotient.group(0)):
                return top.value / bottom.value, "the column's top over its bottom", f"{_fmt(top)} / {_fmt(bottom)}"
            # "| 3.5K | 4.6K | 0.77x |" under "| Option A | Option B | B vs A |": B over A, as most write it
            return (top.value / bottom.value, "the column's first over its second", f"{_fmt(top)} / {_fmt(bottom)}",
                    {"unsure": True})
        pairs = [_Pair(row[0], row[1], "to")] if row is not None else []
    if not pairs:
        versus = _table_versus(claim, ctx)
        if versus is not None:
            return versus
    if not pairs:
        return _between_scenarios(claim, ctx) or _two_of_a_kind(claim, ctx)
    if len(pairs) != 1:
        return None
    pair = pairs[0]
    hi_lo = max(pair.first.value, pair.second.value) / min(pair.first.value, pair.second.value) \
        if min(pair.first.value, pair.second.value) > 0 else 0.0
    if _own_parenthesis(claim) and any(o.kind == "ratio" and o.start < claim.start and abs(o.value - hi_lo) <= 0.15 * hi_lo
                                       for o in ctx.claims[max(0, claim.index - 8): claim.index] if o.text == claim.text):
        return None  # "421 → 4,210 tok/s, a 10× speedup ... (1.9× at equal concurrency)": another ratio is the pair's
    named = _named_kind(claim.text[claim.start + len(claim.figure):][:50])
    if named is not None and named != pair.first.kind:
        return None  # "from 16 to 64 requests buys 2.77x throughput": not a ratio of the pair
    a, b = pair.first, pair.second
    hi, lo = (a, b) if a.value >= b.value else (b, a)
    value = hi.value / lo.value
    after = claim.text[claim.start + len(claim.figure): claim.start + len(claim.figure) + 40]
    if pair.joint == "to" and _IMPROVES.match(after) and _worse(a, b):
        return 1 / value, f"{_fmt(a)} → {_fmt(b)} is a regression", f"{_fmt(b)} / {_fmt(a)}"
    near = f"{' '.join(claim.text[: claim.start].split()[-3:])} {' '.join(after.split()[:3])}"
    if pair.joint == "vs" and _MULTIPLE.match(after) and not _COMPARATIVE.search(near):
        # "tp2's ITL comes out at 1.4x tp1's (25.0 vs 35.3 ms)": a multiple of the second, the first over it
        return (a.value / b.value, "the first over the second (a multiple of the second)",
                f"{_fmt(a)} / {_fmt(b)}", {"unsure": True})
    if hi.values or lo.values:  # "3.2K / 640–800 tok/s": any ratio the range allows
        ratios = [x / y for x in (hi.values or (hi.value,)) for y in (lo.values or (lo.value,)) if y > 0]
        value = min(max(claim.value, min(ratios)), max(ratios))
    if claim.value < 1:  # "0.71x": the smaller over the larger
        return 1 / value, "smaller / larger", f"{_fmt(lo)} / {_fmt(hi)}"
    return value, "larger / smaller", f"{_fmt(hi)} / {_fmt(lo)}"


_MULTIPLE_OF_A_FIGURE = regex(r"\s*(?:of\s+)?(?:the|its|our|their)\s+(?=[~≈]?\d)", re.I)
""""1.4x the 50 ms SLO": a ratio followed by the figure it multiplies."""


def _multiple_of(claim: Claim, ctx: Context, at: int):
    """ "71 ms, 1.4x the 50 ms SLO": the figure right before the ratio over the one at `at`; unjudged when either
    is missing, words stand between the first and the ratio, or they are not of one kind."""
    whole = next((o for o in ctx.claims[claim.index + 1: claim.index + 2] if o.text == claim.text and o.start == at), None)
    part = next((o for o in reversed(ctx.claims[max(0, claim.index - 4): claim.index]) if o.text == claim.text
                 and whole is not None and o.kind == whole.kind and o.unit == whole.unit and not o.operand), None)
    if whole is None or part is None or not whole.value \
            or not SHARE_LEAD.fullmatch(claim.text, part.start + len(part.figure), claim.start):
        return None  # "EP at 4.1× its 29.4 ms floor": its own time is not written before it
    lo = _sentence_around(claim.text, claim.start)[0]
    others = [o.value / whole.value for o in ctx.claims[max(0, claim.index - 8): claim.index]
              if o.text == claim.text and o.start >= lo and o.kind == whole.kind and o.unit == whole.unit and o.value]
    if any(abs(claim.value - v) <= 0.15 * v for v in others):
        return None  # "≈ 7.7K tok/s, i.e. ~1.9K tok/s per GPU, about 2.1x the 3.6K tok/s of the same box": the box's
    return part.value / whole.value, "the figure before over the one it multiplies", f"{_fmt(part)} / {_fmt(whole)}"


def _two_of_a_kind(claim: Claim, ctx: Context):
    """ "TP4 reads 40 GB a step, TP8 20 GB, so it decodes 3x faster": the only two figures of one kind its sentence
    states before it (not counts: a layout's degrees, dates), the larger over the smaller. Known by their place
    alone: a warning at most."""
    before = [o for o in ctx.claims[max(0, claim.index - 12): claim.index]
              if o.text == claim.text and o.kind not in ("ratio", "percent", "count") and not o.operand and o.value > 0]
    kinds = {o.kind for o in before}
    if len(before) != 2 or len(kinds) != 1 or before[0].unit != before[1].unit:
        return None
    a, b = before
    if _named_kind(claim.text[claim.start + len(claim.figure):][:50]) not in (None, a.kind) or a.metric != b.metric:
        return None  # "prefill 0.4 s and a decode step 20 ms, so a 3x win": two different things
    hi, lo = (a, b) if a.value >= b.value else (b, a)
    return hi.value / lo.value, "larger / smaller", f"{_fmt(hi)} / {_fmt(lo)}", {"unsure": True}


_MULTIPLE = regex(r"\s*(?:(?:of\s+)?(?:the\s+)?[\w-]+(?:'s|’s)(?!\w)|(?:that\s+of|those\s+of)\b)", re.I)
""""1.4x tp1_b16's", "2x that of TP4": the ratio multiplies what follows it."""
_COMPARATIVE = regex(r"\b(?:faster|slower|less|fewer|smaller|lower|shorter|cheaper|better|worse|more|higher|larger|longer|"
                     r"bigger|speed-?ups?|improvements?|reductions?|gains?|wins?|savings?)\b", re.I)
"""Words beside a ratio that make it the larger over the smaller whichever comes first ("2x faster (0.5 vs 1.0 s)",
"a speed-up of 2x")."""

_IMPROVES = regex(r"\s*(?:\w+\s+){0,3}?(?:improvement|speed-?up|faster|better|gain|more throughput|higher throughput)",
                       re.I)


def _either_side(claim: Claim, ctx: Context) -> list[_Pair]:
    """ "rag_tp4's TTFT (1,288 ms) is 2.2x chat_tp2's (285 ms)": the one figure of a kind before the ratio in
    its sentence and the first one after it."""
    sentence = [o for o in ctx.claims[max(0, claim.index - 12): claim.index + 12]
                if o.text == claim.text and o.index != claim.index and o.kind not in ("ratio", "percent")
                and not o.operand and not _MODIFIER.match(o.text, o.start + len(o.figure))]  # "an 8-GPU node"
    lo, hi = _sentence_around(claim.text, claim.start)
    stop = claim.text.find(";", claim.start, hi)
    before = [o for o in sentence if lo <= o.start < claim.start]
    after = [o for o in sentence if claim.start < o.start < (hi if stop < 0 else stop)]  # not past a ";" or a "."
    kinds_before = {o.kind for o in before}
    for kind in dict.fromkeys(o.kind for o in after if o.kind in kinds_before):  # the nearest after first
        b = [o for o in before if o.kind == kind]
        a = [o for o in after if o.kind == kind][:1]  # the nearest after: "... (285 ms) and stays inside 2 s"
        if len(b) == 1 and len(a) == 1 and b[0].unit == a[0].unit and b[0].value > 0 and a[0].value > 0 \
                and re.search(r"\b(?:is|are|of|than|over|vs\.?|versus|against|compared)\b|'s\b",
                              claim.text[claim.start: a[0].start], re.I):
            return [_Pair(b[0], a[0], "vs")]
    return []


_FAMILIES = (
    (regex(r"\b(?:decode|output|generation)\s+(?:throughput|tok|tokens)|\bdecodes\b|decode\s*吞吐", re.I),
     ("decode_throughput", "throughput")),
    (regex(r"\bprefill\s+(?:throughput|tok|tokens)", re.I), ("prefill_throughput",)),
    (regex(r"\b(?:throughput|tok/s|tokens/s|tokens per second|(?:the|more|fewer)\s+(?:\w+\s+)?tokens)\b", re.I),
     ("throughput", "decode_throughput")),
    (regex(r"\b(?:ttft|first[- ]token)|首\s*token", re.I), ("ttft",)),
    (regex(r"\b(?:itl|tpot|decode step|step time|per-token latency|inter-token)", re.I), ("decode_step_time",)),
    (regex(r"\b(?:gpus|cards|devices|accelerators|chips|npus)\b", re.I), ("device_count",)),
)


def _between_scenarios(claim: Claim, ctx: Context):
    """ "4x improvement in decode throughput" (the optimized section): "Nx" of a metric the report states for
    two scenarios, against the report's own figures of it, one per scenario."""
    words = f"{claim.text[claim.start + len(claim.figure): claim.start + len(claim.figure) + 60]} {claim.label}"
    family = _family_named(words, devices=True) or _family_named(claim.before)
    names = list(ctx.estimates)
    if len(names) > 2:  # "large_tp8 decodes 3.1x more per GPU than large_tp4": the two its sentence names
        names = [n for n in names if (ctx.matchers[n].search(claim.text) if n in ctx.matchers
                                      else re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", claim.text))]
    if family is None or len(names) != 2:
        return None
    per = next((q for q, pattern in _RATIO_PER if pattern.search(words)), "")
    values = {}
    for name in names:
        found = {round(o.value, 9) for o in ctx.claims if o.metric in family and o.scenario == name and not o.quoted
                 and not o.operand and not o.versus and o.qualifier.replace("bound", "").strip() == per
                 and (o.evidence.confident or o.evidence.phrase == "fallback")}
        if not found or max(found) > 1.05 * min(found):
            return None  # none, or several that disagree (a per-GPU and a node figure): nothing to hold it to
        values[name] = max(found)
    a, b = values[names[0]], values[names[1]]
    if min(a, b) <= 0:
        return None
    way = _direction(claim, ctx, names)
    if way is not None:
        top, bottom = way
        return (values[top] / values[bottom], "the report's own figures of both scenarios, in the way it says",
                f"{format_number(values[top])} / {format_number(values[bottom])} ({top} over {bottom})",
                {"unsure": True})
    hi, lo = max(a, b), min(a, b)
    if claim.value < 1:  # "0.6x the GPUs": the smaller over the larger
        return (lo / hi, "the report's own figures of both scenarios",
                f"{format_number(lo)} / {format_number(hi)} ({' vs '.join(reversed(names))})", {"unsure": True})
    return (hi / lo, "the report's own figures of both scenarios",
            f"{format_number(hi)} / {format_number(lo)} ({' vs '.join(names)})", {"unsure": True})


_TIMES_THE = regex(r"\s*(?:the\b|as\s+many\b|times\s+(?:the|as)\b)", re.I)
""""0.6x the GPUs of B", "3 times as many": a multiple of what follows, its subject over the other."""
_AGAINST = regex(r"\b(?:relative to|compared (?:with|to)|against|versus|vs\.?|than|over|from)\s+(?:the\s+)?$", re.I)
""""Relative to original, ...": a name after these words is what the ratio is set against, not its subject."""


def _direction(claim: Claim, ctx: Context, names: list[str]) -> tuple[str, str] | None:
    """Which scenario a ratio puts over which, by its sentence: the one named before it is its subject ("A needs
    0.6x the GPUs of B": A / B; "B needs 3x fewer GPUs": the other over B). None when its words do not say."""
    head = claim.text[: claim.start]
    before = [n for n in names if (at := _named_at(n, head, ctx)) is not None and not _AGAINST.search(head, 0, at)]
    if len(before) != 1:
        return None  # none, both, or one after "relative to": no subject
    subject = before[0]
    other = next(n for n in names if n != subject)
    after = claim.text[claim.start + len(claim.figure):]
    way = _CHANGE.match(after.lstrip())
    if way is not None and way.group("less"):
        return other, subject
    if (way is not None and way.group("more")) or _TIMES_THE.match(after):
        return subject, other
    return None


def _is_name(word: str, ctx: Context) -> bool:
    """Whether a word is one of the scenarios' names."""
    return any((m := pattern.search(word)) is not None and m.group(0).lower() == word.lower()
               for pattern in ctx.matchers.values())


def _named_at(name: str, text: str, ctx: Context) -> int | None:
    """Where `text` names a scenario, or None."""
    m = (ctx.matchers[name].search(text) if name in ctx.matchers
         else re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))
    return m.start() if m else None


def _family_named(words: str, devices: bool = False) -> tuple[str, ...] | None:
    """The metrics of the quantity `words` name first ("4.9x more tokens from the same 16 GPUs": token rates); a
    count of devices only as the ratio's own noun, `devices` right after it ("4x fewer GPUs", "0.6x the GPUs of B"),
    never the devices a sentence mentions on the way ("3x faster than original, on its 32 GPUs")."""
    found = [(m.start(), metrics) for pattern, metrics in _FAMILIES for m in [pattern.search(words)] if m
             and (metrics != ("device_count",) or (devices and _OWN_NOUN.match(words, 0, m.start())))]
    return min(found, key=lambda f: f[0])[1] if found else None


_OWN_NOUN = regex(r"\s*(?:[^\W\d_]+\s+){0,2}$")
"""At most two words between a ratio and its noun ("4x fewer GPUs", "0.6x the GPUs")."""


_RATIO_PER = (("per_device", regex(r"\bper[\s-]+(?:gpu|device|chip|card)\b", re.I)),
              ("per_node", regex(r"\b(?:per[\s-]+)?(?:box|node|server|host)(?:'s)?\s+(?:\w+\s+)?(?:throughput|tok)", re.I)),
              ("per_replica", regex(r"\b(?:per[\s-]+)?replica(?:'s)?\s+(?:\w+\s+)?(?:throughput|tok)", re.I)))
"""What a ratio between scenarios counts over, by its own words ("2.6x A on box throughput": per node)."""


def format_number(value: float) -> str:
    return f"{value:,.4g}"


_NAMED = (
    ("token_rate", regex(r"^\W*(?:\w+\s+){0,3}?(?:throughput|tok(?:ens)?/s|tokens per second|output rate)", re.I)),
    ("time", regex(r"^\W*(?:\w+\s+){0,3}?(?:latency|ttft|itl|tpot|time|faster|slower|quicker)", re.I)),
    ("bytes", regex(r"^\W*(?:\w+\s+){0,3}?(?:memory|hbm|kv|cache|weights|footprint)", re.I)),
    ("count", regex(r"^\W*(?:\w+\s+){0,3}?(?:gpus?|devices?|replicas|sequences|requests|nodes|batch)", re.I)),
)


def _named_kind(words: str) -> str | None:
    """The quantity kind the words after a ratio say it is of ("2.77x output throughput": token rates)."""
    return next((kind for kind, pattern in _NAMED if pattern.search(words)), None)


def _worse(old: Claim, new: Claim) -> bool:
    """From `old` to `new` is a regression: a time that grew, or a rate that fell."""
    if old.kind == "time":
        return new.value > old.value
    if old.kind in ("token_rate", "flop_rate", "bandwidth"):
        return new.value < old.value
    return False


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


_PREFILL_TIMES = ("ttft", "batch_prefill_time")
_AT = regex(r"\b(?:at|@)\s+(?:a\s+|an\s+)?(?:sustained\s+|steady\s+|measured\s+|effective\s+)?$", re.I)


def _work_over_rate(claim: Claim, ctx: Context):
    """A time and the work behind it: "90 TFLOP at a sustained 300 TFLOPS takes 0.3 s", "20 GB at 2.8 TB/s takes
    7 ms" must hold against the rate they state, in both directions; a prefill time (TTFT, a batch's prefill)
    can be no shorter than the report's own FLOPs at the peak of the devices that run them (TP for one
    request, TP x PP for a batch). A decode step is bytes over bandwidth, never prefill FLOPs."""
    if claim.kind != "time" or claim.operand:
        return None
    sign = claim.figure.lstrip()[:1] if claim.figure.lstrip()[:1] in "=≈" else ""  # "≈ 18 ms" holds its sign
    written = _WRITTEN_RESULT.search(claim.text[max(0, claim.start - 80): claim.start] + sign) is not None
    start, end = _sentence_around(claim.text, claim.start)
    sentence = [] if written else [  # "768 TFLOP / (8 × 5,230 TFLOPS) ≈ 18 ms": its own arithmetic judges it
        o for o in ctx.claims[max(0, claim.index - 12): claim.index + 12]
        if o.text == claim.text and o.index != claim.index and not o.quoted and not o.operand and start <= o.start < end]
    for work_kind, rate_kind in (("flops", "flop_rate"), ("bytes", "bandwidth")):
        rates = [o for o in sentence if (o.kind == rate_kind or (rate_kind == "flop_rate" and o.metric == "peak_flops"))
                 and _AT.search(claim.text[: o.start])]
        works = [o for o in sentence if (o.kind == work_kind or (work_kind == "flops" and o.metric in _FLOP_AMOUNTS))
                 and o.metric != "peak_flops" and o not in rates]
        if len(works) == 1 and len(rates) == 1 and rates[0].value > 0:
            work, rate = works[0], rates[0]
            return (work.value / rate.value, "work / stated rate", f"{_fmt(work)} / {_fmt(rate)}",
                    {"premises": (work.index,)})
    if claim.metric not in _PREFILL_TIMES:
        return None
    flops = next((o for o in reversed(ctx.claims[max(0, claim.index - _NEAR): claim.index])
                  if o.group == claim.group and o.metric in _FLOP_AMOUNTS and not o.quoted and not o.operand), None)
    if flops is None or not _same_conditions(claim, flops, ctx):
        return None
    devices: tuple[str, ...] = ("tp",) if claim.metric == "ttft" else ("tp", "pp")
    if flops.metric == "flops_per_device":
        devices = ()  # the report already divided the work
    totals: list[tuple[float, float, float]] = []
    for scenario in ctx.scenarios_for(claim):
        count = 1.0
        for d in devices:
            count *= ctx.figure(scenario, d)
        peak = ctx.report_peak or ctx.figure(scenario, "peak_flops")
        totals.append((count * peak, count, peak))
    total_rate, count, peak = max(totals)
    if total_rate <= 0:
        return None
    floor = flops.value / total_rate
    if claim.value >= floor * (1 - 0.05):
        return None  # slower than peak is only an efficiency below 100%
    return (floor, "FLOPs / peak of the devices",
            f"{_fmt(flops)} / ({count:g} x {format_quantity(peak, 'FLOP/s')})", {"premises": (flops.index,)})


_WRITTEN_RESULT = regex(r"/[^=≈;.]*+[=≈]\s*+[~≈]?\s*$")
"""A time that is the result of a division written before it."""
_SENTENCE_BREAK = regex(r"(?<!\bi\.e)(?<!\be\.g)(?<!\bvs)[.!?]\s+(?=[A-Z])")


def _sentence_around(text: str, at: int) -> tuple[int, int]:
    """The sentence of `text` around offset `at` (a list item holds several)."""
    start = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, at)), default=0)
    after = _SENTENCE_BREAK.search(text, at)
    return start, after.start() + 1 if after else len(text)


def _same_conditions(claim: Claim, premise: Claim, ctx: Context) -> bool:
    """Whether a premise from another sentence holds under the claim's conditions: the FLOPs of "a 4K prompt"
    are not the work of "a 256-token prompt". The premise's conditions are its own or its sentence's."""
    if premise.text == claim.text:
        return True
    stated = dict(premise.conditions)
    for o in ctx.claims[max(0, premise.index - 12): premise.index + 12]:
        if o.text == premise.text:
            stated = {**dict(o.conditions), **stated}
    own = dict(claim.conditions)
    for s in ctx.scenarios_for(claim):
        prompt, output = ctx.estimates[s]["input_tokens_max"].value, ctx.estimates[s].get("output_tokens_max")
        design = {"prompt": prompt, "context": prompt + (output.value if output else 0.0)}
        if all(_near(stated.get(n, design[n]), own.get(n, design[n])) for n in {*stated, *own} & design.keys()):
            return True
    return False


def _near(a: float, b: float) -> bool:
    """Two token counts that are one as people write them: "10K" and 10,240 (a K of 1,024), 4,000 and 4,096."""
    return abs(a - b) <= 0.03 * max(a, b)


def _arithmetic(claim: Claim, ctx: Context):
    """ "2.63 PFLOPs / (2 x 1,979 TFLOPS) ≈ 0.33 s": the arithmetic written out must give its result
    (`audit.judge.arithmetic`: as written up to a unit prefix, or in base units)."""
    if claim.operand or claim.index == 0:
        return None
    readings = expressions_before(claim.text, claim.start, claim.figure)
    result = as_written(claim.figure)
    if not readings or result is None or result == 0:
        return None
    if any(holds(w, result, claim.value, _TOLERANCE) for w in readings):
        return None  # wrong only when every way of reading it is wrong
    if claim.kind != "count" and any(_scales(w, claim, ctx) for w in readings):
        return None  # "96 KiB per token, so 32 chats × 2,048 tokens = 6.4 GB": counts times the figure before them
    if claim.kind != "count" and _significant(claim.figure, claim.approx) == 1 \
            and any(abs(w.value - result) <= _half_its_digit(result) for w in readings):
        return None  # "3 * 2 * 80 / 212 = 2 sec": 2.26 written to one digit
    longer = _TIME_IN.match(claim.text, claim.start + len(claim.figure))  # "1,375 s × 64 chips = 24.4 chip-h"
    if longer and any(_IN_SECONDS_WRITTEN.search(w.text) and holds(
            _in_longer_unit(w, _IN_SECONDS[longer.group("unit").lower()]), result, claim.value, _TOLERANCE)
            for w in readings):
        return None
    written = readings[0]
    expected = written.in_base if written.in_base is not None else written.value * claim.value / result
    # what the arithmetic gives, in the claim's unit: "2,226 TFLOP / 8.8 PFLOPS" is 0.253 s, not 253
    return expected, written.text, f"{written.text} = {written.as_written}"


_TOLERANCE = 0.05
_TIME_IN = regex(r"\s*(?:[\w]+-)?(?P<unit>h|hrs?|hours?|mins?|minutes?|days?)\b", re.I)
"""A result in hours of something ("24.4 chip-h", "3.1 GPU-hours") of arithmetic in seconds."""
_IN_SECONDS = {"h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0, "min": 60.0, "mins": 60.0,
               "minute": 60.0, "minutes": 60.0, "day": 86400.0, "days": 86400.0}


def _scales(w: Written, claim: Claim, ctx: Context) -> bool:
    """Whether counts alone ("32 chats × 2,048 tokens") give a result in a unit ("= 6.4 GB") by scaling a figure of
    that kind written before them in its sentence (5%)."""
    if any(f.quantity.kind != "count" for f in find_figures(w.text)) or not w.value:
        return False
    lo = _sentence_around(claim.text, claim.start)[0]
    return any(abs(claim.value / (w.value * o.value) - 1) <= 0.05 for o in ctx.claims[max(0, claim.index - 12): claim.index]
               if o.text == claim.text and lo <= o.start and o.kind == claim.kind and o.value and not o.operand)


def _in_longer_unit(w: Written, seconds: float) -> Written:
    """Arithmetic in seconds counted in a longer unit, `seconds` of which make one."""
    return replace(w, value=w.value / seconds, in_base=w.in_base / seconds if w.in_base else None)


_IN_SECONDS_WRITTEN = regex(r"\d\s*(?:s|sec|secs|seconds?)\b")
"""A term written in seconds ("1,375 s")."""


def _half_its_digit(value: float) -> float:
    """Half the place of a number's one significant digit: a result written "2" stands for 1.5 to 2.5, "≈ 200" for
    150 to 250."""
    return 0.5 * 10 ** math.floor(math.log10(abs(value))) if value else 0.0


def _significant(figure: str, approx: bool = False) -> int:
    """How many significant digits a figure's number is written with ("2" and "0.3" one; "100" three, as it may be
    exact, but "≈ 10" one: an approximation's trailing zeros hold no digit)."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", figure)
    if m is None:
        return 0
    whole, _, decimals = m.group(0).replace(",", "").partition(".")
    if approx and not decimals:
        whole = whole.rstrip("0") or "0"
    return len((whole + decimals).lstrip("0"))

_RATES = ("throughput", "decode_throughput", "prefill_throughput")
_SHARE = regex(r"^\(?(?P<total>[\d.e+]+)\)?\s*/\s*(?P<k>\d+(?:\.0)?)$")


def _per_device(claim: Claim, ctx: Context):
    """A throughput per device is the report's own total over the devices that produce it: a deployment's
    over its devices, a node's over the devices of a node, a replica's over TP x PP. "2,462 / 8 ≈ 308
    tok/s/GPU" after "two_node: 2,462 tok/s" (16 GPUs) divides by 8; "| tok/s per GPU | 4,923 |" under
    "| tok/s per node | 9,846 |" on 4 GPUs is a replica's share. The total is the figure of the division
    written on the line or in the figure's own parenthesis, else the nearest total of the scenario stated
    beside it (the same table, the same list); a total known only by its value makes a warning."""
    if claim.kind != "token_rate" or claim.operand:
        return None
    if "per_node" in claim.qualifier.split() and "per_device" not in claim.qualifier.split():
        return _per_node(claim, ctx)
    if "per_device" not in claim.qualifier.split():
        return None
    share = _share_written(claim)
    if share is not None:
        total_value, k = share
        total = _total_by_value(total_value, claim, ctx)
        scenario = claim.scenario or (total.scenario if total is not None else None) or _only(ctx)
        if scenario is None:
            return None
        counts = device_counts(ctx, scenario)
        if total is not None:
            devices = counts[counted(total)]
            if abs(k - devices) < 0.5:
                return None
            sure = total.evidence.confident and claim.scenario is not None \
                and claim.evidence.scenario not in ("", "sentence", "paragraph")
        else:
            if any(abs(k - n) < 0.5 for n in counts.values()):
                return None  # a total we cannot place, divided by a count of the layout: nothing to hold it to
            devices, sure = counts["deployment"], False
        return (total_value / devices, "total / devices that produce it",
                f"{format_quantity(total_value, 'tok/s')} / {devices:g} devices of {scenario} (not {k:g})", {"unsure": not sure})
    total = total_beside(claim, ctx)
    if total is None or total.scenario is None:
        return None
    devices = device_counts(ctx, total.scenario)[counted(total)]
    return (total.value / devices, "total / devices that produce it",
            f"{_fmt(total)} (line {total.line}) / {devices:g} devices of {total.scenario}", {"unsure": True})


def _per_node(claim: Claim, ctx: Context):
    """ "Quote A's 5,333 tok/s works out to 667 tok/s per server": a node's share of the deployment's total stated
    beside it is the total over its nodes. Known by place: a warning at most."""
    if "bound" in claim.qualifier.split() or claim.versus or claim.comparison \
            or _AGAINST.search(claim.text, max(0, claim.start - 24), claim.start):
        return None  # a bound, or what it is set against ("up from 2,000 tokens/s per node last quarter")
    total = total_beside(claim, ctx)
    if total is None or total.scenario is None or counted(total) != "deployment" or total.text != claim.text:
        return None  # a total on another line may be a replica's or a node's own ("Each replica decodes 8,000")
    counts = device_counts(ctx, total.scenario)
    if not counts["deployment"] or not counts["node"]:
        return None
    nodes = counts["deployment"] / counts["node"]
    if nodes != int(nodes):
        return None  # 12 GPUs on nodes of 8: how they are placed is not known
    return (total.value / nodes, "total / nodes that produce it",
            f"{_fmt(total)} (line {total.line}) / {nodes:g} nodes of {total.scenario}", {"unsure": True})


def _share_written(claim: Claim) -> tuple[float, float] | None:
    """(total, divisor) of "T / k = X" written before the figure, or of "X (T / k)" right after it."""
    for w in expressions_before(claim.text, claim.start, claim.figure):
        m = _SHARE.match(w.as_written.replace(" ", ""))
        if m:
            return float(m.group("total")), float(m.group("k"))
    aside = re.fullmatch(r"\s*(?P<total>[\d,.]+[Kk]?)\s*/\s*(?P<k>\d+)\s*", _own_parenthesis(claim))
    if aside:
        total = as_written(aside.group("total"))
        if total:
            return total, float(aside.group("k"))
    return None


def _total_by_value(value: float, claim: Claim, ctx: Context) -> Claim | None:
    """The report's own total throughput of that value, stated before the figure (the latest)."""
    totals = [o for o in reversed(ctx.claims[: claim.index])
              if o.metric in _RATES and not o.operand and not o.quoted and "per_device" not in o.qualifier.split()
              and abs(o.value - value) <= 0.005 * value]
    named = next((o for o in totals if o.scenario is not None and claim.scenario in (None, o.scenario)), None)
    if named is not None or claim.scenario is None:
        return named
    # "≈ 3.6K tok/s for the node with either layout", then "tp4_dp2 gives 3.6K / 4": a node's, of every scenario
    return next((evolve(o, scenario=claim.scenario) for o in totals if o.scenario is None and "per_node" in o.qualifier.split()),
                None)


def total_beside(claim: Claim, ctx: Context) -> Claim | None:
    """The total throughput the figure stands beside: the same scenario, the same section, within a few lines,
    in a table when the figure is in one; the nearest."""
    if claim.scenario is None:
        return None
    near = [o for o in ctx.claims[max(0, claim.index - _NEAR): claim.index + _NEAR]
            if o.index != claim.index and o.metric in _RATES and o.scenario == claim.scenario
            and not o.operand and not o.quoted and not o.versus and o.scope[:-1] == claim.scope[:-1]
            and abs(o.line - claim.line) <= 4 and bool(o.column) == bool(claim.column)
            and not {"per_device", "per_replica", "min"} & set(o.qualifier.split())
            and ("bound" in o.qualifier.split()) == ("bound" in claim.qualifier.split())  # a ceiling is no total
            and (o.evidence.confident or o.line == claim.line)
            and (None in (_phase(o.metric), _phase(claim.metric)) or _phase(o.metric) == _phase(claim.metric))]
    if not near:
        return None
    return min(near, key=lambda o: (abs(o.line - claim.line), abs(o.index - claim.index)))


def _phase(metric: str | None) -> str | None:
    return {"decode_throughput": "decode", "prefill_throughput": "prefill"}.get(metric or "")


def counted(total: Claim) -> str:
    q = total.qualifier.split()
    return "node" if "per_node" in q else "replica" if "per_replica" in q else "deployment"


def device_counts(ctx: Context, scenario: str) -> dict[str, float]:
    devices = ctx.figure(scenario, "device_count")
    return {"deployment": devices, "node": min(devices, ctx.figure(scenario, "devices_per_node")),
            "replica": ctx.figure(scenario, "devices_per_replica")}


def _only(ctx: Context) -> str | None:
    return next(iter(ctx.estimates)) if len(ctx.estimates) == 1 else None


def _utilization_at(claim: Claim, ctx: Context):
    """A utilization at a time the report states: "tp2's 170 ms is ~79% MFU" is the time at 100% of peak over
    170 ms (the TTFT floor of the scenario, a batch's prefill floor for a burst). Wrong only when every
    reading of the floor disagrees."""
    if claim.metric not in _FLOOR_OF_UTILIZATION or claim.operand or claim.value >= 0.99:
        return None  # "at 100% MFU" is the floor itself
    from audit.expression import compile_formula
    from audit.judge.rules import NAMES

    floor = _FLOOR_OF_UTILIZATION[claim.metric]
    if floor == "ttft_floor" and _BURST.search(claim.text):
        floor = "batch_prefill_floor"
    formula = compile_formula(floor, NAMES)
    at_peak = [c.value for s in ctx.scenarios_for(claim) for c in ctx.candidates(formula, s, conditions=claim.conditions)]
    time = _time_beside(claim, ctx, at_peak)
    if time is None or time.value <= 0:
        return None
    scenarios = [s for s in ctx.scenarios_for(claim) if time.scenario in (None, s)]
    if not scenarios:
        return None  # "At 40% MFU: TTFT 32 ms (tp8) and 95 ms (ep8)": the time of another scenario than its own
    if time.metric == "batch_prefill_time" and floor != "batch_prefill_floor":
        formula = compile_formula("batch_prefill_floor", NAMES)
    cands = [c for s in scenarios for c in ctx.candidates(formula, s, conditions=time.conditions)]
    if not cands:
        return None
    shares = [c.value / time.value for c in cands]
    written = [o.value / time.value for o in ctx.claims[max(0, claim.index - 8): claim.index]  # "64 × 2,226 TFLOP /
               if o.text == claim.text and o.kind == "time" and o is not time and 0 < o.value < time.value  # 17.6 PFLOPS
               and (o.comparison in (">=", "≥") or "bound" in o.qualifier.split())]  # ≥ 8.1 s; measured 19.5 s → 42%"
    if any(abs(claim.value - v) <= _LOOSE * v for v in shares + written):
        return None
    best = min(range(len(cands)), key=lambda i: abs(math.log(claim.value / shares[i])) if claim.value > 0 else 0)
    c = cands[best]
    return (shares[best], f"{floor} / time", f"{format_quantity(c.value, 's')} ({c.substitution}) / {_fmt(time)}",
)


def _utilization_of_rate(claim: Claim, ctx: Context):
    """ "16.8 GB / 18 ms = 0.93 TB/s, MBU 93%": a utilisation after the rate a run achieved in its sentence is that
    rate over the peak of the devices moving it - one device, a TP group, a replica, a node or the deployment.
    Wrong only when none of them gives it; a peak written beside it ("of the pair's 1,728 GB/s") is the
    percentage's own whole (CON002)."""
    kind, peak_metric = _RATE_OF_UTILIZATION.get(claim.metric or "", ("", ""))
    if not kind or claim.operand or claim.quoted:
        return None
    sentence = [o for o in ctx.claims[max(0, claim.index - 12): claim.index] if o.text == claim.text]
    rates = [o for o in sentence if (o.kind == kind or o.unit == _UNIT[kind]) and not o.quoted]  # "TFLOPS": its metric says rate
    if not rates or rates[-1].metric not in _ACHIEVED_RATES:
        return None  # the nearest rate is a peak (the whole), or there is none
    rate = rates[-1]
    if _CUT.search(claim.text, rate.start, claim.start) or re.match(
            r"\s*(?:of|out of)\s+(?:the\s+|a\s+|its\s+|one\s+)?[\w' -]{0,20}?[~≈]?\d", claim.text[claim.start + len(claim.figure):]):
        return None  # "0.93 TB/s. ... 40%": another sentence's; "84% of the 1.8 TB/s": the whole is written
    readings = []
    for scenario in ctx.scenarios_for(claim):
        peak = ctx.figure(scenario, peak_metric)
        counts = {1.0, ctx.figure(scenario, "tp"), *device_counts(ctx, scenario).values()}
        readings += [(rate.value / (n * peak), n, peak) for n in sorted(counts) if n * peak > 0]
    if not readings or any(abs(claim.value - v) <= 0.1 * v for v, _, _ in readings):
        return None
    value, n, peak = readings[0]
    return (value, "achieved rate / peak", f"{_fmt(rate)} / {format_quantity(peak, _UNIT[kind])} (one device; "
            f"no group of devices the scenario has gives {_fmt(claim)})", {"premises": (rate.index,)})


_RATE_OF_UTILIZATION = {"bandwidth_utilization": ("bandwidth", "memory_bandwidth"),
                        "compute_utilization": ("flop_rate", "peak_flops")}
_ACHIEVED_RATES = frozenset({"achieved_bandwidth", "achieved_flops"})
_UNIT = {"bandwidth": "B/s", "flop_rate": "FLOP/s"}

_FLOOR_OF_UTILIZATION = {"compute_utilization": "ttft_floor"}
"""An MBU is not judged this way: what a step reads (KV at which context, weights once or per micro-batch) is
the report's to say."""
_BURST = regex(r"\b(burst|whole batch|full batch|all \d+ prompts|\d+ × \d+K? prompts)\b", re.I)
_LOOSE = 0.3
"""How far a utilization may be from the floor over the time and still be right: MFU is quoted roughly."""


def _time_beside(claim: Claim, ctx: Context, at_peak: list[float]) -> Claim | None:
    """The time a utilization is of: after it when it is a rate assumed ("at ~40% MFU, ≈ 41 ms"), else the
    nearest before it in its sentence ("170 ms is ~79% MFU"), else the first after it; never the time at
    100% of peak itself (the floor the sentence may start from)."""
    sentence = [o for o in ctx.claims[max(0, claim.index - 12): claim.index + 12]
                if o.text == claim.text and o.kind == "time" and not o.quoted and o.index != claim.index
                and "bound" not in o.qualifier.split() and not any(abs(o.value - v) <= 0.02 * v for v in at_peak[:1])]
    before = [o for o in sentence if o.start < claim.start and claim.start - o.start <= _WITHIN
              and not _CUT.search(claim.text, o.start, claim.start)]
    after = [o for o in sentence if o.start > claim.start and o.start - claim.start <= _WITHIN
             and not _CUT.search(claim.text, claim.start, o.start)]
    if after and re.search(r"\bat\s+(?:a\s+)?(?:\w+\s+)?[~≈]?$", claim.text[: claim.start]):
        return after[0]
    return before[-1] if before else after[0] if after else None


_CUT = regex(r"[;.]\s")
_WITHIN = 80
"""Characters between a utilization and the time it is of, at most."""


METRIC_RELATIONS = frozenset({"product", "work_over_rate", "utilization_at", "utilization_of_rate"})
"""Relations whose premise is the figure's metric (a device count, a time), not only the report's arithmetic."""

_RELATIONS = {
    "sum": _sum,
    "percent_of": _percent_of,
    "ratio": _ratio,
    "product": _product,
    "work_over_rate": _work_over_rate,
    "arithmetic": _arithmetic,
    "per_device": _per_device,
    "utilization_at": _utilization_at,
    "utilization_of_rate": _utilization_of_rate,
    "table_sum": _table_sum,
    "table_share": _table_share,
}
