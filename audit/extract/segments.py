"""Segments: a Markdown report becomes the pieces figures are read from, each with its line and scope.

The token stream of markdown-it-py ("commonmark" plus tables, so HTML comments stay visible
for suppressions) is walked once. Every list item, table cell, paragraph sentence and
bold-labelled line becomes a `Segment`: its plain text, its label, the headings and list items
it sits in, the table column it is under.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from audit import units
from audit.errors import AuditError
from audit.records import evolve


@dataclass(frozen=True, slots=True)
class Segment:
    """A unit of text that figures are read from: a list item, a sentence, a table cell, a heading."""

    line: int
    """1-based line of the segment's first character."""
    text: str
    """Plain text, markup stripped."""
    label: str
    """The bold or colon label the segment opens with, or the table row label."""
    scope: tuple[str, ...]
    """Heading path, bold pseudo-heading, parent list items, outermost first."""
    column: str = ""
    """Table column header."""
    group: int = 0
    """Segments of one list, table or paragraph share a group."""
    line_starts: tuple[int, ...] = (0,)
    """Offsets in `text` where each following source line begins (for multi-line sentences)."""
    unit: str = ""
    """The unit a table's row label or column header gives its bare numbers ("Decode throughput (tokens/s)")."""


# --- segments from the token stream ---------------------------------------------------------

_VERB = re.compile(r"\b(is|are|was|were|has|have|had|uses?|used|needs?|takes?|gives?|makes?|requires?|costs?|"
                   r"reach(es)?|runs?|keeps?|means|shows?|drops?|fits?|becomes?|yields?)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[✓✔✗✘❌✅⚠️•→*\-+]|\[[ xX]\])\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*])")


_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"  # `code`, kept as text
    r"|(?P<strong>\*\*|__)(?=\S)(?P<strong_text>.+?)(?<=\S)(?P=strong)"  # **bold**: the labels
    r"|!?\[(?P<link_text>[^\]]*)\]\([^)]*\)"  # [text](url), ![alt](src)
    r"|<!--.*?-->|</?[A-Za-z][^>]*>"  # inline HTML: not text
    r"|(?<![\w*])\*(?=\S)(?P<em_star>[^*]+?)(?<=\S)\*(?!\*)"  # *emphasis*
    r"|(?<!\w)_(?=\S)(?P<em_under>[^_]+?)(?<=\S)_(?!\w)"  # _emphasis_ (not snake_case)
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"  # backslash escapes
)


def _inline_lines(token) -> list[tuple[str, list[tuple[int, int]]]]:
    """Plain text of an inline token, one entry per source line, with the bold spans of each.

    Inline Markdown is read here with one regular expression rather than by markdown-it's inline
    parser: a report needs only its text and where the bold labels are, and this is the hot path."""
    return [_plain(line) for line in token.content.split("\n")]


def _plain(line: str, depth: int = 0) -> tuple[str, list[tuple[int, int]]]:
    if depth > 8:  # "**a __b **c** b__ a**" nested deeper than any report writes: the rest stays as written
        return line, []
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = pos = 0
    for m in _INLINE.finditer(line):
        out.append(line[pos: m.start()])
        size += m.start() - pos
        pos = m.end()
        if m.group("strong"):
            inner, inner_spans = _plain(m.group("strong_text"), depth + 1)
            spans.append((size, size + len(inner)))
            spans.extend((a + size, b + size) for a, b in inner_spans)
        else:
            inner = next((m.group(g) for g in ("code_text", "link_text", "em_star", "em_under", "escaped")
                          if m.group(g) is not None), "")
            if m.group("em_star") or m.group("em_under"):
                inner = _plain(inner, depth + 1)[0]
        out.append(inner)
        size += len(inner)
    out.append(line[pos:])
    return "".join(out).rstrip("\\").rstrip(), spans


def _label_of(text: str, bold: list[tuple[int, int]]) -> tuple[str, bool]:
    """The label a line opens with ("**TTFT:** 1 s", "Total per GPU: 3.84 GB"), and whether it is bold."""
    lead = _BULLET.match(text)
    offset = lead.end() if lead else 0
    for start, end in bold:
        if start <= offset + 1 and text[:start].strip(" ✓✔✗✘❌✅⚠️•→*-+") == "":
            label = text[start:end].strip().rstrip(":").strip()
            return label, True
    head, sep, _ = text[offset:].partition(": ")
    if sep and 0 < len(head.split()) <= 8 and not head.rstrip().endswith(("http", "https")) \
            and not _VERB.search(head):
        return head.strip(), False
    return "", False


def _is_bold_heading(text: str, bold: list[tuple[int, int]]) -> bool:
    """A paragraph or list title that is nothing but bold text ("**Optimized Strategy:**")."""
    stripped = text.strip()
    return bool(bold) and bold[0][0] <= 1 and len(stripped) > 0 and (
        bold[0][1] >= len(stripped.rstrip(":")) - 1)


def _is_title_line(text: str) -> bool:
    """A short line that ends in a colon and introduces what follows: "Memory per GPU:"."""
    return text.endswith(":") and len(text.split()) <= 8


@lru_cache(maxsize=1)
def _markdown():
    """CommonMark plus tables; HTML stays HTML, so suppression comments remain visible."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    md.disable("inline")  # inline Markdown is read by `_plain`: only text and bold labels are needed
    md.options["maxNesting"] = MAX_NESTING  # commonmark's 20 would drop deeper blocks without a word
    return md


MAX_NESTING = 100


def segments(text: str) -> Iterator[Segment]:
    """Every piece of the report a figure can be read from, in document order."""
    tokens = _markdown().parse(text)
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MAX_NESTING - 1:  # markdown-it stops reading there
        line = next((t.map[0] + 1 for t in tokens if t.level >= MAX_NESTING - 2 and t.map), None)
        raise AuditError(f"Markdown nested deeper than {MAX_NESTING} levels (lists in lists, quotes in quotes); "
                         "audit would not see what is inside", location=line)
    headings: list[tuple[int, str]] = []
    bold_heading = ""
    items: list[str] = []  # titles of the open list items, outermost first
    item_has_title: list[bool] = []
    group = 0
    groups: list[int] = []  # group ids of open lists
    header: list[str] = []
    in_head = False
    row: list[tuple[int, str]] = []
    row_line = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1:])
            inline = tokens[i + 1]
            title = " ".join(t for t, _ in _inline_lines(inline)).strip()
            headings = [h for h in headings if h[0] < level] + [(level, title)]
            bold_heading = ""
            yield Segment(tok.map[0] + 1, title, title, tuple(h[1] for h in headings[:-1]), group=-1)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            group += 1
            groups.append(group)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            groups.pop()
        elif kind == "list_item_open":
            items.append("")
            item_has_title.append(False)
        elif kind == "list_item_close":
            items.pop()
            item_has_title.pop()
        elif kind == "thead_open":
            in_head, header = True, []
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row, row_line = [], tok.map[0] + 1 if tok.map else 0
            group += 1
        elif kind in ("th_open", "td_open"):
            inline = tokens[i + 1]
            cell = " ".join(t for t, _ in _inline_lines(inline)).strip()
            if in_head:
                header.append(cell)
            else:
                row.append((len(row), cell))
        elif kind == "tr_close" and not in_head and row:
            base = tuple(h[1] for h in headings) + ((bold_heading,) if bold_heading else ())
            label = row[0][1]
            for col, cell in row[1:]:
                column = header[col] if col < len(header) else ""
                yield Segment(row_line, cell, label, base, column=column, group=group,
                              unit=_unit_in_parens(label) or _unit_in_parens(column))
        elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
            first_line = tokens[i - 1].map[0] + 1
            lines = _inline_lines(tok)
            in_item = bool(items) and not item_has_title[-1]
            whole = " ".join(t for t, _ in lines).strip()
            if len(lines) == 1 and (_is_bold_heading(lines[0][0], lines[0][1]) or _is_title_line(whole)) \
                    and not units.find_figures(whole):
                title = whole.strip("*: ").rstrip(":")
                if items:
                    items[-1] = title
                    item_has_title[-1] = True
                else:
                    bold_heading = title
                i += 1
                continue
            if not items and _label_of(lines[0][0], lines[0][1])[1]:
                bold_heading = ""  # "**TTFT:** 0.4 s" is a sibling of "**Memory per GPU:**", not inside it
            scope = (tuple(h[1] for h in headings) + ((bold_heading,) if bold_heading else ())
                     + tuple(t for t in items[:-1] if t) + ((items[-1],) if items and items[-1] and not in_item
                                                             else ()))
            if in_item:
                item_has_title[-1] = True
                items[-1] = _label_of(lines[0][0], lines[0][1])[0] or whole[:80]
            grp = groups[-1] if groups else (group := group + 1)
            yield from _paragraph_segments(lines, first_line, scope, grp, in_list=bool(items))
            i += 1
            continue
        i += 1


def _paragraph_segments(lines, first_line: int, scope, group: int, in_list: bool) -> Iterator[Segment]:
    """A list item is one segment; a paragraph is one per checklist line or per sentence."""
    labelled = [bool(_BULLET.match(t) or _label_of(t, b)[1]) for t, b in lines]
    if in_list or len(lines) == 1 or all(labelled) or sum(labelled) > len(lines) // 2:
        if in_list and len(lines) > 1 and not all(labelled):
            yield _joined(lines, first_line, scope, group)
            return
        for n, (text, bold) in enumerate(lines):
            if text.strip():
                label, _ = _label_of(text, bold)
                yield from _sentences(Segment(first_line + n, text, label, scope, group=group), split=not in_list)
        return
    yield from _sentences(_joined(lines, first_line, scope, group), split=True)


def _joined(lines, first_line: int, scope, group: int) -> Segment:
    starts, text = [], ""
    for t, _ in lines:
        starts.append(len(text))
        text += t + " "
    label, _ = _label_of(lines[0][0], lines[0][1])
    return Segment(first_line, text.rstrip(), label, scope, group=group, line_starts=tuple(starts))


def _sentences(seg: Segment, split: bool) -> Iterator[Segment]:
    if not split:
        yield seg
        return
    pos = 0
    pieces = _SENTENCE_END.split(seg.text)
    for n, piece in enumerate(pieces):
        start = seg.text.index(piece, pos)
        pos = start + len(piece)
        line = seg.line + sum(1 for s in seg.line_starts[1:] if s <= start)
        starts = tuple(s - start for s in seg.line_starts if start < s < pos)
        label = seg.label if n == 0 else _label_of(piece, [])[0]
        yield evolve(seg, line=line, text=piece, label=label, line_starts=(0,) + starts)


_PARENS_UNIT = re.compile(r"\(([^()]{1,20})\)\s*$")


def _unit_in_parens(label: str) -> str:
    """ "Throughput (tokens/s)" -> "tokens/s", when the parenthesis holds a unit."""
    m = _PARENS_UNIT.search(label)
    if not m:
        return ""
    figures = units.find_figures("1 " + m.group(1))
    return m.group(1) if len(figures) == 1 and figures[0].quantity.kind != "count" \
        and figures[0].end == len(m.group(1)) + 2 else ""
