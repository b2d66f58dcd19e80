"""Claims: every figure of a segment, with the words around it (`before`, `after`, its clause) and
what the text says of it (quoted, an operand of written arithmetic, the other side of a comparison).
Metric and scenario are left to `audit.bind`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from audit import units
from audit.errors import AuditError
from audit.extract.read import DEFAULT_MAX_BYTES
from audit.extract.segments import Segment, segments
from audit.records import Claim, evolve

DEFAULT_MAX_FIGURES = DEFAULT_MAX_BYTES // 400  # one figure costs ~0.2 ms to audit: 10,000 take ~2 s
_NUMBER = re.compile(r"\d+")


# --- figures within a segment ----------------------------------------------------------------

_BOUNDARY = re.compile(r"[,;()\[\]|]|\s[-–—]\s|→|->|\bvs\.?\s|\bversus\b|\.\s|:\s(?=\S)")
_QUOTE_WORDS = re.compile(r"\b(claimed|reported|stated|previous(ly)?|originally claimed)\b", re.I)
_ACTUAL = re.compile(r"\b(actual(ly)?|measured|real|recomputed|correct(ed)?|true)\b", re.I)
_CONTINUATION = {"to", "vs", "vs.", "versus", "→", "->", "and", "or", "from", ""}
_OPERATOR_BEFORE = re.compile(r"([×*/+]|[\d)]\s*[xX]|\s[xX])\s*\(?\s*$")
_OPERATOR_AFTER = re.compile(r"^\s*\)?\s*([A-Za-z][\w-]*\s+){0,3}[×*]\s*\(?\s*[\d~]|^\s*\)?\s*[/+]\s*\(?\s*[\d~]"
                             r"|^\s*[xX]\s*\d"
                             r"|^\s*\)?\s*([A-Za-z][\w-]*\s+){0,3}[xX]\s+\(?\s*[\d~]")
_TOP_K = re.compile(r"\btop[- ]?(\d{1,3})\b", re.I)
_ORDINAL = re.compile(r"\b(option|layout|scenario|step|phase|table|figure|fig\.|section|case|plan|variant|node|gpu|"
                      r"rank|version|v|q[1-4]|no\.|#)\s*#?$", re.I)


def _clause_before(text: str, start: int, prev_end: int) -> str:
    """Text from the last clause boundary (or the previous figure) up to a figure."""
    chunk = text[prev_end:start]
    last = 0
    for m in _BOUNDARY.finditer(chunk):
        if m.group(0).startswith(":"):
            continue  # "Label: 3 GB" keeps its label
        last = m.end()
    return chunk[last:].strip()


def _clause_after(text: str, end: int) -> str:
    chunk = text[end:]
    m = _BOUNDARY.search(chunk)
    words = (chunk[: m.start()] if m else chunk).split()
    return " ".join(words[:6])


def claims_of(seg: Segment, start_index: int = 0) -> list[Claim]:
    """Every figure in a segment as an unbound claim."""
    figures = [f for f in units.find_figures(seg.text) if not _is_ordinal(seg.text, f)]
    figures = _with_top_k(seg.text, figures)
    if seg.unit:
        figures = [_with_unit(f, seg.unit) for f in figures]
    figures = _units_carried(seg.text, figures)
    out: list[Claim] = []
    prev_end = 0
    prev_before = ""
    quoted_column = bool(_QUOTE_WORDS.search(seg.column))
    for n, fig in enumerate(figures):
        before = _clause_before(seg.text, fig.start, prev_end)
        after = _clause_after(seg.text, fig.end)
        between = seg.text[prev_end:fig.start].strip().lower()
        continues = n > 0 and between in _CONTINUATION
        if continues:
            before = prev_before
        quoted = quoted_column or _is_quoted(seg.text, fig)
        line = seg.line + sum(1 for s in seg.line_starts[1:] if s <= fig.start)
        q = fig.quantity
        head = seg.text[: fig.start]
        out.append(Claim(
            line=line, text=seg.text, figure=fig.text, label=seg.label, value=q.value, unit=q.unit,
            kind=q.kind, scope=seg.scope + ((seg.column,) if seg.column else ()), quoted=quoted,
            approx=q.approx, values=q.values, index=start_index + n, start=fig.start, before=before,
            after=after, group=seg.group, ambiguous_flops=fig.flops_ambiguous,
            operand=bool(_OPERATOR_BEFORE.search(head) or _OPERATOR_AFTER.search(seg.text[fig.end:])),
            versus=not quoted and _is_versus(seg.text, fig, n), in_parens=_in_comparison(seg.text, fig.start),
            clause=_clause(seg.text, fig, before, after), column=seg.column,
        ))
        prev_end, prev_before = fig.end, before
    return out


def _is_quoted(text: str, fig) -> bool:
    """ "Claimed X vs actual Y" quotes X: the report disputes it rather than asserts it."""
    tail = text[fig.end:]
    head = text[: fig.start]
    vs_after = re.match(r"\s*(\([^)]*\)\s*)?(vs\.?|versus)\b(.*)", tail, re.I)
    return bool(vs_after and (_ACTUAL.search(vs_after.group(3)[:40]) or _QUOTE_WORDS.search(head[-60:])))


def _is_versus(text: str, fig, n: int) -> bool:
    """The other side of a comparison: "Y" in "X vs Y", "X" in "from X to Y"."""
    head, tail = text[: fig.start], text[fig.end:]
    if re.search(r"\bfrom\s*$", head, re.I) and re.match(r"\s*\S*\s*(to|→|->)", tail, re.I):
        return True
    return n > 0 and bool(re.search(r"\b(vs\.?|versus)\s*$", head, re.I)) and not _ACTUAL.search(head[-30:])


def _in_comparison(text: str, start: int) -> bool:
    """Inside parentheses that set figures against each other: "(16.1 GB vs 8.0 GB, 2x)"."""
    open_at = text.rfind("(", 0, start)
    if open_at < 0 or text.rfind(")", 0, start) > open_at:
        return False
    close_at = text.find(")", start)
    inner = text[open_at: close_at if close_at > 0 else len(text)]
    return bool(re.search(r"\b(vs\.?|versus)\b|→|->", inner, re.I))


def _clause(text: str, fig, before: str, after: str) -> str:
    start = text.rfind(before, 0, fig.start) if before else fig.start
    end = text.find(after, fig.end) + len(after) if after and text.find(after, fig.end) >= 0 else fig.end
    return text[max(start, 0): end]


def _is_ordinal(text: str, fig) -> bool:
    """ "Option 2", "GPU 0", "stage 3": a name, not a quantity."""
    return fig.quantity.kind == "count" and not fig.unit_text and bool(_ORDINAL.search(text[max(0, fig.start - 40): fig.start]))


def _with_top_k(text: str, figures: list) -> list:
    """ "top-2 routing": the scanner leaves numbers inside hyphenated words alone; this one is a count."""
    taken = [(f.start, f.end) for f in figures]
    extra = []
    for m in _TOP_K.finditer(text):
        if not any(a < m.end() and m.start(1) < b for a, b in taken):
            q = units.Quantity(float(m.group(1)), "1", "count")
            extra.append(units.Figure(m.start(1), m.end(1), m.group(1), q, "", False))
    return sorted(figures + extra, key=lambda f: f.start) if extra else figures


def _units_carried(text: str, figures: list) -> list:
    """ "from ~9.1K to ~20K tokens/s", "1.1K vs 1.3K tokens/s": the bare side takes the other's unit."""
    out = list(figures)
    for n in range(len(out) - 1):
        a, b = out[n], out[n + 1]
        between = text[a.end: b.start].strip().lower()
        if between in ("to", "vs", "vs.", "versus", "→", "->", "-", "–", "or", "and") \
                and a.unit_text.strip() in ("", "K", "M", "B", "T") and a.quantity.kind == "count" \
                and b.quantity.kind != "count":
            unit = b.unit_text.strip()
            if unit[:1] in "KMBT" and " " in unit:
                unit = unit.split(" ", 1)[1]
            out[n] = _with_unit(a, unit)
    return out


def _with_unit(fig, unit: str):
    """A bare number in a table whose row or column names the unit."""
    if fig.unit_text.strip() not in ("", "K", "M", "B", "T") or fig.quantity.kind != "count":
        return fig
    found = units.find_figures(f"{fig.text.strip()} {unit}")
    if len(found) != 1:
        return fig
    f = found[0]
    return units.Figure(fig.start, fig.end, fig.text, f.quantity, f.unit_text, f.flops_ambiguous)


def extract(text: str, max_figures: int = DEFAULT_MAX_FIGURES) -> list[Claim]:
    """All figures a report states, unbound, in document order."""
    if sum(1 for _ in _NUMBER.finditer(text)) > 3 * max_figures:  # refuse before the expensive parse
        raise AuditError(f"more than {3 * max_figures:,} numbers; a report this dense is data, not a design "
                         "document (raise the limit with --max-report-bytes)", location=1)
    out: list[Claim] = []
    for seg in segments(text):
        for piece in _bounded(seg):
            out.extend(claims_of(piece, len(out)))
        if len(out) > max_figures:
            raise AuditError(f"more than {max_figures:,} figures (the last ones from here on); a report this "
                             "dense is data, not a design document (raise the limit with --max-report-bytes)",
                             location=out[max_figures].line)
    return out


_PIECE = 1000  # characters: the work per figure looks at its neighbourhood, never at a whole long line


def _bounded(seg: Segment) -> Iterator[Segment]:
    """A segment in pieces of at most about `_PIECE` characters, cut after a clause where possible, so that
    a megabyte-long line costs linear time."""
    if len(seg.text) <= 2 * _PIECE:
        yield seg
        return
    pos = 0
    while pos < len(seg.text):
        end = min(pos + _PIECE, len(seg.text))
        if end < len(seg.text):
            cut = max(seg.text.rfind(c, pos + _PIECE // 2, end) for c in (". ", "; ", ", ", " "))
            end = cut + 1 if cut > pos else end
        lines = tuple(s - pos for s in seg.line_starts if pos < s < end)
        line = seg.line + sum(1 for s in seg.line_starts[1:] if s <= pos)
        yield evolve(seg, text=seg.text[pos:end], line=line, line_starts=(0, *lines),
                     label=seg.label if pos == 0 else "")
        pos = end
