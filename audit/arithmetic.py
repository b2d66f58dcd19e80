"""Written arithmetic: "2 × 80 layers × 8 KV heads × 128 × 2 B = 327,680 B", "(43.0 + 3.5) GB / 4.8 TB/s ≈
9.7 ms", "64 × 275 = 17.6 PFLOPS". The expression before an equals sign is read back, figure by figure,
as far as it is arithmetic: between two figures there may be the first one's unit words, one
operator, the second one's label words and parentheses. An aside in parentheses after a figure
("8.5 GB (32 × 9,216 × 224 KiB / 8)") is left out. Reading stops at anything else; when what precedes
the first figure read is itself an operator, the expression is incomplete and is not judged.

Writers compute with the numbers as they write them, in units of their choice ("17.6 + 6.7 = 24.3 GB",
"(16.1 + 12.9 GB) / 2.039 TB/s ≈ 14.2 ms", "64 × 275 = 17.6 PFLOPS" with 275 in TFLOPS): the result
holds when the numbers as written give it up to a unit prefix (a power of 1,000), or when the values
in base units give it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from audit import units
from audit.expression import FormulaError, compile_formula
from audit.precompiled import regex

_EQUALS = regex(r"(?:=|≈|~=|≃|≅|≒)\s*$")
_WORD = r"(?:[^\W\d_](?:[\w.'&/-]*[\w'&/-])?|\([^()]*\))"  # no word ends in a full stop: a sentence ends there
_WORDS = rf"(?:\s*{_WORD}(?:\s+{_WORD})*)?"
_DIVIDED = r"(?:(?:divided|spread|split|sharded|distributed)\s+(?:over|across|among|between|by)|over|across)"
_TIMES = r"(?:times|multiplied by)"
_LATEX = r"\$?\\(?:times|cdot)\$?|\$[×·]\$"
_OPERATOR = (r"(?:[+*×·∙÷]|/(?![^\W\d_])|(?:(?<=[\s\d)])|^)[-−–](?=[\s\d(]|$)|(?<=[\s\d])x(?=[\s\d(])"
             rf"|{_LATEX}|(?<=\s){_DIVIDED}(?=\s)|(?<=\s){_TIMES}(?=\s))")
"""An operator between two figures: a sign ("/" not right before a word: "GB/GPU" is a unit), LaTeX's ("2 $\\times$ 34.5"), or words ("16.1 GB spread over
the 4 GPUs = 4.0 GB")."""
_GAP = regex(rf"^(?P<close>[\s)]*)(?P<exp>\^\s*\d|[²³])?{_WORDS}\s*(?P<op>{_OPERATOR}){_WORDS}\s*(?P<open>[\s(]*)$", re.I)
_TAIL = regex(rf"^(?P<close>[\s)]*)(?P<exp>\^\s*\d|[²³])?{_WORDS}\s*$")
_ASIDE = regex(r"(?<=[^\s+\-−–*×·∙/÷(])\s*\([^()]*\)")
_WRITTEN = regex(r"[~≈∼]?\s*(?:about |approximately |approx\. |around |roughly )?"
                      r"(?P<num>\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<mult>[KkMBT](?![a-zA-Z]))?")
_MULT = {"K": 1e3, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_SYMBOLS = str.maketrans({"−": "-", "–": "-", "×": "*", "·": "*", "∙": "*", "÷": "/", "x": "*", "X": "*"})


@dataclass(frozen=True, slots=True)
class Written:
    """An expression read back from a report and what it gives."""

    text: str
    """As written: "2 × 80 layers × 8 KV heads × 128 × 2 B"."""
    as_written: str
    """The numbers as written: "2*80*8*128*2"."""
    value: float
    """What the numbers as written give."""
    in_base: float | None
    """What the values in base units give (None when that cannot be read)."""


def expressions_before(text: str, start: int, figure: str,
                       replace: Mapping[int, float] | None = None) -> list[Written]:
    """The readings of the arithmetic written before the figure at `start` of `text`, if the figure is its
    result: with the parenthesised asides after figures left out, and as written."""
    if replace is None:
        return list(_as_written_before(text, start, figure))
    return _readings(text, start, figure, replace)


@lru_cache(maxsize=1024)  # one figure's arithmetic is read by bind, the arithmetic rule and each carried pass
def _as_written_before(text: str, start: int, figure: str) -> tuple[Written, ...]:
    return tuple(_readings(text, start, figure, None))


def _readings(text: str, start: int, figure: str, replace: Mapping[int, float] | None) -> list[Written]:
    found = [expression_before(text, start, figure, asides, replace) for asides in (True, False)]
    found += [_last_term(w) for w in found if w is not None]
    return [w for n, w in enumerate(found) if w is not None and w not in found[:n]]


def _last_term(w: Written) -> Written | None:
    """The product after the last top-level "+" or "-" read on its own: in "65.5 GB weights + 16 × 2.15 GB =
    34.4 GB KV" the result is the KV term's, the weights being another figure the sentence adds after."""
    def split(expr: str) -> int:
        depth, at = 0, -1
        for i, ch in enumerate(expr):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and ch in "+-" and i > 0 and expr[i - 1] not in "*/(eE+-":
                at = i
        return at
    cut, cut_base = split(w.as_written), split(w.text.translate(_SYMBOLS))
    if cut < 0 or cut_base < 0:
        return None
    rest = w.as_written[cut + 1:]
    if not re.search(r"[*/]", rest):
        return None  # a single figure after the sign: no arithmetic of its own
    value = _evaluate(rest)
    if value is None:
        return None
    text = w.text[cut_base + 1:].strip()
    return Written(text, rest, value, None)


_WORD_END = regex(r"[^\W\d_]\s*$")


def _closes_at_end(text: str) -> bool:
    """Whether the parenthesis `text` opens is the one that closes it last ("(108.8 / 4,096) "), not one that
    closes early ("(29.4 − 16.2) / 16.2")."""
    depth = 0
    for n, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return not text[n + 1:].strip()
    return False


def expression_before(text: str, start: int, figure: str, asides: bool = True,
                      replace: Mapping[int, float] | None = None) -> Written | None:
    """The arithmetic written before the figure at `start` of `text`, if the figure is its result; `asides`:
    a parenthesis right after a figure's words is an aside, left out. `replace`: the operand that starts at
    an offset of `text` taken as another number, written in the same unit ("what if 2.9 were 18.42")."""
    head = text[:start]
    if figure[:1] == "≈" and not _EQUALS.search(head):
        eq = len(head.rstrip())  # "... / 8 ≈ 5.4 GB": the figure's own sign is the equals
        previous = units.find_figures(head)
        unit_rate = bool(previous) and re.fullmatch(r"\s*per\s+[^\W\d_]+\s*", head[previous[-1].end: eq] + " ") is not None
        if not head.rstrip().endswith(")") and not (previous and previous[-1].end >= eq) and not unit_rate:
            return None  # "8 GPUs at ≈ 40%": an approximation, not a result ("0.1456 TFLOP per token ≈" is one)
    else:
        m = _EQUALS.search(head)
        if m is None:
            return None
        eq = m.start()
    lhs = _ASIDE.sub(lambda a: " " * len(a.group(0)), text[:eq]) if asides else text[:eq]
    lhs = _INNER_RESULT.sub(lambda r: "(" + " " * len(r.group(1)) + r.group(2) + ")", lhs)  # "/ (32 × 275 = 8.8 P)": 8.8
    figures = [f for f in units.find_figures(lhs) if f.end <= eq]
    if not figures:
        return None
    if asides and _SHARE_ASIDE.search(text, figures[-1].end, eq):
        return None  # "82.0 / 180 GB (46%) = 4.3 GB + ...": the aside gave its share; what "=" starts is another's
    chain = [figures[-1]]
    tail = _TAIL.match(lhs[figures[-1].end:])
    if tail is None or re.search(r"\bper\s+(?:gpu|device|node|replica|card|chip|rank|host|server|stage)", tail.group(0), re.I):
        return None  # "8 × 400 Gb/s per node = 50 GB/s per GPU": a change of what is counted, not a result
    gaps: list[re.Match] = []
    for earlier in reversed(figures[:-1]):
        gap = _GAP.match(lhs[earlier.end: chain[0].start])
        if gap is None:
            break
        chain.insert(0, earlier)
        gaps.insert(0, gap)
    inner = _inner_open(lhs, chain[0].start, eq)
    if inner is not None:  # "2,226 TFLOP / (32 × 275 TFLOPS = 8.8 PFLOPS)": the "=" is inside the parenthesis,
        keep = [n for n, f in enumerate(chain) if f.start > inner]  # its arithmetic starts there
        if not keep:
            return None
        gaps = gaps[keep[0]:]
        chain = chain[keep[0]:]
    if len(chain) < 2:
        return None
    if any(_in_words(g.group("op")) for g in gaps) and not _same_kind(chain[0], figure):
        return None  # "KV for 32 seqs split over 2 cards = 34.4 GB": words about the figure, not its arithmetic
    lead = lhs[: chain[0].start]
    open_at = lead.rfind("(")
    if not asides and open_at >= 0 and ")" not in lead[open_at:] and _WORD_END.search(lead, 0, open_at) \
            and _closes_at_end(lhs[open_at:eq]):
        return None  # "... / 26.6 GFLOP per token (108.8 TFLOP / 4,096) ≈ 394K": the aside's arithmetic, not the result's
    if chain[0].text.lstrip()[:1] in "=≈" and re.search(r"\d\S*\s*$", lead) and any("·" in g.group("op") for g in gaps):
        return None  # "1.0K / 16 ≈ 63 · 1.8K / 16 ≈ 113": the first term read is another expression's result, a dot
        # between the two; "2 × 8.03B × 2,048 ≈ 32.9 TFLOP / 1,979 TFLOPS ≈ 17 ms" goes on from the result
    if re.search(rf"(?:{_OPERATOR}|\^|\bat|@)[\s(`~≈]*$", lead) and inner is None:
        return None  # "64 路 × 5,120 × ...", "4 × 362 TFLOPS at ~45% MFU / ...", "^(1/10)": it began before what was read
    if re.search(r"[=≈][\s(`~≈]*$", lead) and any(re.search(r"[^\W\d_]", g.group(0)) for g in gaps):
        return None  # "= 16.3 PFLOP over 16 × 1,979 TFLOPS = ...": after an equals only bare arithmetic is a new term
    opening = lead[len(lead.rstrip("( ")):].count("(")
    read = lhs[chain[0].start: eq]
    unclosed = lead.rfind("(") > lead.rfind(")") and not opening and read.count(")") > read.count("(")
    if unclosed and re.search(rf"\d|{_OPERATOR}", lead[lead.rfind("(") + 1:]):
        return None  # "(2 ⊗ 34.5 + 5.4) GB": what was read closes a parenthesis opened before its first term
    written, base = ["(" * opening], ["(" * opening]
    for n, fig in enumerate(chain):
        gap = gaps[n - 1] if n else None
        if gap is not None:
            joint = (f"{')' * gap.group('close').count(')')}{_exponent(gap)} {_symbol(gap.group('op'))} "
                     f"{'(' * gap.group('open').count('(')}")
            written.append(joint)
            base.append(joint)
        value = as_written(fig.text)
        if value is None:
            return None
        if fig.quantity.kind == "percent":
            value /= 100  # "× 50%" multiplies by 0.5
        base_value = fig.quantity.value
        new = next((v for at, v in (replace or {}).items() if fig.start <= at < fig.end or at <= fig.start <= at + 2), None)
        if new is not None:  # the operand starts at `at` (a claim's figure may begin with "~" or "≈ ")
            value, base_value = new, base_value * new / value if value else 0.0
        written.append(repr(value))
        base.append(repr(base_value))
    closing = f"{')' * tail.group('close').count(')')}{_exponent(tail)}"
    expr, expr_base = _balanced("".join(written) + closing), _balanced("".join(base) + closing)
    value = _evaluate(expr)
    if value is None:
        return None
    return Written(text[chain[0].start: eq].strip(), expr, value, _evaluate(expr_base))


_INNER_RESULT = regex(r"\(([^()=≈]*[=≈]\s*)([^()=≈]*)\)")
""""(32 × 275 TFLOPS = 8.8 PFLOPS)": a parenthesis giving a term's arithmetic and its result; the result is the term."""


def _inner_open(text: str, start: int, end: int) -> int | None:
    """Where the last parenthesis opened between `start` and `end` and left open there starts, if one is."""
    open_at: list[int] = []
    for i in range(start, end):
        if text[i] == "(":
            open_at.append(i)
        elif text[i] == ")" and open_at:
            open_at.pop()
    return open_at[-1] if open_at else None


def _same_kind(first: units.Figure, figure: str) -> bool:
    """The first term is the same kind of quantity as the result (what a division in words divides)."""
    found = units.find_figures(figure)
    return bool(found) and found[0].quantity.kind == first.quantity.kind


def _in_words(op: str) -> bool:
    """ "spread over", "times": an operator written in words (not "x", not LaTeX's "\\times")."""
    return op[:1].isalpha() and len(op) > 1


def _symbol(op: str) -> str:
    """The operator as Python writes it: "×" -> "*", "spread over" -> "/", "times" -> "*"."""
    if re.fullmatch(_LATEX, op):
        return "*"
    if _in_words(op):
        return "*" if re.fullmatch(_TIMES, op, re.I) else "/"
    return op.translate(_SYMBOLS)


def _balanced(expr: str) -> str:
    depth = expr.count("(") - expr.count(")")
    return "(" * -depth + expr if depth < 0 else expr + ")" * depth


def chain_before(text: str, start: int, figure: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of each reading of the arithmetic whose result is the figure at `start`: the
    figures inside them are its operands."""
    spans = []
    for w in expressions_before(text, start, figure):
        first = text.rfind(w.text, 0, start)
        if first >= 0:
            spans.append((first, first + len(w.text)))
    return spans


def holds(w: Written, result_as_written: float, result_in_base: float, tolerance: float) -> bool:
    """Whether the expression gives the result: as written up to a unit prefix, or in base units."""
    if result_as_written and w.value:
        ratio = w.value / result_as_written
        if ratio > 0:
            k = round(math.log10(ratio) / 3)
            if abs(ratio / 10.0 ** (3 * k) - 1) <= tolerance:
                return True
            if abs(ratio / 100 - 1) <= tolerance or abs(ratio * 100 - 1) <= tolerance:
                return True  # a fraction written as a percentage, or the reverse
    return w.in_base is not None and result_in_base != 0 and abs(w.in_base / result_in_base - 1) <= tolerance


@lru_cache(maxsize=4096)  # a figure's text is read back in several passes of bind and judge (~4 per figure)
def as_written(figure: str) -> float | None:
    """The number as written, with a K/M/B/T multiplier but no unit prefix: "~3,556 tok/s" -> 3556, "8192^2"
    -> 67108864."""
    m = _WRITTEN.match(figure.strip())
    if m is None:
        return None
    power = _POWER.match(figure.strip(), m.end())  # "8192^2", "1984²": the figure is the power
    exponent = float({"²": 2, "³": 3}.get(power.group(0), 0) or power.group(0).lstrip("^ ")) if power else 1.0
    try:
        return (float(m.group("num").replace(",", "")) * _MULT.get(m.group("mult") or "", 1.0)) ** exponent
    except OverflowError:  # "10^400": no number a report computes with
        return None


_SHARE_ASIDE = regex(r"\(\s*[~≈]?\s*\d[\d.,]*\s*%\s*\)\s*$")
""""(46%)" right before an "=": the share the expression before it makes, written as its value."""
_POWER = regex(r"\^\s*\d+|[²³]")


def _exponent(gap: re.Match) -> str:
    exp = gap.group("exp")
    if not exp:
        return ""
    return "**" + {"²": "2", "³": "3"}.get(exp, exp.lstrip("^ "))


def _evaluate(expr: str) -> float | None:
    try:
        value = compile_formula(expr, frozenset())({})
    except FormulaError:
        return None
    return value if math.isfinite(value) else None
