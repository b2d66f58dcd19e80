"""Segments: a Markdown report becomes the pieces figures are read from, each with its line and scope.

The token stream of markdown-it-py ("commonmark" plus tables, so HTML comments stay visible
for suppressions) is walked once. Every list item, table cell (of a Markdown or a raw HTML table),
paragraph sentence and bold-labelled line becomes a `Segment`: its plain text, its label, the headings
and list items it sits in, the table column it is under. Inline Markdown is read by `_plain` in time
linear in the line; the lines of a paragraph stay apart ("\n"), so no figure runs across two of them
and each keeps its own physical line.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from audit import units
from audit.errors import AuditError
from audit.precompiled import regex
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
    """Offsets in `text` where each source line begins (for multi-line sentences); lines are joined by "\n"."""
    unit: str = ""
    """The unit a table's row label, column header or corner cell gives its bare numbers ("Decode throughput
    (tokens/s)", "tok/s per GPU", "TTFT, ms")."""
    earlier: tuple[str, ...] = ()
    """The sentences of its prose paragraph before it, nearest last, at most `_REACH_BACK` of them (empty in lists,
    tables and headings)."""
    source: tuple[str, ...] = ()
    """The Markdown source of each of its lines, as written (for where its author ended a line)."""

    def line_of(self, offset: int) -> int:
        """The physical line of the character at `offset` of `text`."""
        return self.line + bisect_right(self.line_starts, offset) - 1


# --- segments from the token stream ---------------------------------------------------------

_VERB = regex(r"\b(is|are|was|were|has|have|had|uses?|used|needs?|takes?|gives?|makes?|requires?|costs?|"
                   r"reach(es)?|runs?|keeps?|means|shows?|drops?|fits?|becomes?|yields?)\b", re.I)
_BULLET = regex(r"^\s*(?:[✓✔✗✘❌✅⚠️•→*\-+]|\[[ xX]\])\s*")
HEADING_GROUP = -1
"""The group of a heading's figures: no list, table or paragraph of the body."""
SENTENCE_END = regex(r"(?<=[.!?])\s+(?=[A-Z(\"'*])")


# --- inline Markdown, in time linear in the line -------------------------------------------

_SPECIAL = regex(r"[`*_\[!<\\&$~]")  # where inline markup may start
_ENTITY = regex(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_FOOTNOTE_MARK = regex(r"\[\^[^\]\s]{1,40}\]:?|\[\d{1,3}\](?![(\[:])")  # "[^2]", "[^note]:", "[3]"
_TAG = regex(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
_SPACED_TAGS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "table", "ul", "ol", "hr", "dd", "dt"})
_EXPONENT = regex(r"[+\-−]?\d{1,3}")
_POWER_BASE = regex(r"(?<![\d.,])(?:10|2)$")
_TEX_SYMBOLS = {"times": "×", "cdot": "·", "approx": "≈", "sim": "~", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥"}
_TEX = regex(r"\\(times|cdot|approx|sim|leq?|geq?)(?![A-Za-z])")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# closers found once per line, so that an opener finds its closer by bisection
_CLOSERS = {
    "**": regex(r"(?<=\S)(?=\*\*)"), "__": regex(r"(?<=\S)(?=__)"), "*": regex(r"\*"),
    "_": regex(r"_"), "]": regex(r"\]"), ")": regex(r"\)"), "-->": regex(r"-->"),
    ">": regex(r">"), "</sup>": regex(r"</sup\s*>", re.I), "`": regex(r"`+"),
    "$": regex(r"(?<=\S)\$(?!\d)"), "~~": regex(r"(?<=\S)~~"),
}


class _Closers:
    """Positions of each closing delimiter of a line, found on first use (one C-speed pass each), so that
    inline reading is O(n log n) however many openers stay unclosed ("**a **b **c ...")."""

    __slots__ = ("_line", "_found", "_runs")

    def __init__(self, line: str) -> None:
        self._line = line
        self._found: dict[str, list[int]] = {}
        self._runs: dict[int, list[int]] | None = None

    def after(self, closer: str, pos: int) -> int:
        """The first position >= pos where `closer` is, -1 when there is none."""
        found = self._found.get(closer)
        if found is None:
            found = self._found[closer] = [m.start() for m in _CLOSERS[closer].finditer(self._line)]
        k = bisect_left(found, pos)
        return found[k] if k < len(found) else -1

    def backticks(self, length: int, pos: int) -> int:
        """The first run of exactly `length` backticks at or after pos, -1 when there is none."""
        if self._runs is None:
            self._runs = {}
            for m in _CLOSERS["`"].finditer(self._line):
                self._runs.setdefault(m.end() - m.start(), []).append(m.start())
        found = self._runs.get(length, [])
        k = bisect_left(found, pos)
        return found[k] if k < len(found) else -1


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _plain(line: str, depth: int = 0) -> tuple[str, list[tuple[int, int]]]:
    """A line's plain text and the spans of its bold text: code kept as text, links as their text, HTML tags,
    comments and footnote marks dropped ("<br>" a space, "10<sup>12</sup>" an exponent), entities decoded
    ("15.2&nbsp;GB"), backslash escapes resolved. Unclosed markers stay as written."""
    if depth > 8 or _SPECIAL.search(line) is None:  # nested deeper than any report writes: the rest as written
        return line.rstrip("\\").rstrip(), []
    closers = _Closers(line)
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = flushed = pos = 0
    n = len(line)
    while (m := _SPECIAL.search(line, pos)) is not None:
        i = m.start()
        found = _construct(line, i, n, closers, depth)
        if found is None:
            pos = i + 1
            while line[i] == "`" and pos < n and line[pos] == "`":  # an unclosed run of backticks is text
                pos += 1
            continue
        end, inner, inner_spans, bold = found
        out.append(line[flushed:i])
        size += i - flushed
        if bold:
            spans.append((size, size + len(inner)))
        spans.extend((a + size, b + size) for a, b in inner_spans)
        out.append(inner)
        size += len(inner)
        flushed = pos = end
    out.append(line[flushed:])
    return "".join(out).rstrip("\\").rstrip(), spans


def _construct(line: str, i: int, n: int, closers: _Closers, depth: int):
    """The inline construct that starts at `i`: (end, plain text, its bold spans, whether it is bold itself),
    or None when the character there is plain text."""
    ch = line[i]
    nxt = line[i + 1] if i + 1 < n else ""
    if ch == "`":
        run = i + 1
        while run < n and line[run] == "`":
            run += 1
        close = closers.backticks(run - i, run + 1)
        return (close + run - i, line[run:close], [], False) if close > 0 else None
    if ch in "*_":
        if nxt == ch:  # **bold** or __bold__
            if i + 2 >= n or line[i + 2].isspace():
                return None
            close = closers.after(ch * 2, i + 3)
            if close < 0:
                return None
            inner, inner_spans = _plain(line[i + 2: close], depth + 1)
            return close + 2, inner, inner_spans, True
        before = line[i - 1] if i else ""
        if not nxt or nxt.isspace() or (before and (_is_word(before) or before == ch)):
            return None
        close = closers.after(ch, i + 1)
        if close < 0 or line[close - 1].isspace():
            return None
        after = line[close + 1] if close + 1 < n else ""
        if (ch == "*" and after == "*") or (ch == "_" and after and _is_word(after)):
            return None
        return close + 1, _plain(line[i + 1: close], depth + 1)[0], [], False
    if ch == "!":
        if nxt != "[":
            return None
        link = _link(line, i + 1, n, closers)
        return (link[0], link[1], [], False) if link else None
    if ch == "[":
        mark = _FOOTNOTE_MARK.match(line, i)
        if mark is not None:
            return mark.end(), "", [], False
        link = _link(line, i, n, closers)
        return (link[0], link[1], [], False) if link else None
    if ch == "$":
        return _math(line, i, n, closers, depth)
    if ch == "~":  # ~~struck~~: a figure the page has retracted ("~~38 GB~~ 47 GB" claims 47 GB)
        if nxt != "~" or i + 2 >= n or line[i + 2].isspace() or line[i + 2] == "~":
            return None
        close = closers.after("~~", i + 3)
        return (close + 2, "", [], False) if close > 0 else None
    if ch == "<":
        return _html(line, i, closers)
    if ch == "\\":
        if nxt.isalpha():  # TeX in $...$: "B \cdot 2048", "2 \times 80"
            tex = _TEX.match(line, i)
            return (tex.end(), _TEX_SYMBOLS[tex.group(1)], [], False) if tex else None
        return (i + 2, nxt, [], False) if nxt in _ESCAPABLE and nxt else None
    entity = _ENTITY.match(line, i)  # "&"
    return (entity.end(), html.unescape(entity.group(0)), [], False) if entity else None


def _link(line: str, i: int, n: int, closers: _Closers) -> tuple[int, str] | None:
    """ "[text](url)" at `i`: (end, text)."""
    close = closers.after("]", i + 1)
    if close < 0 or close + 1 >= n or line[close + 1] != "(":
        return None
    paren = closers.after(")", close + 2)
    return (paren + 1, line[i + 1: close]) if paren > 0 else None


def _math(line: str, i: int, n: int, closers: _Closers, depth: int):
    """Inline TeX "$...$" at `i`: its text, with "\\text{GB}" as GB and "^{2}" as ^2 ("$17.2 + 53.7 \\approx 70.9$
    GB" is "17.2 + 53.7 ≈ 70.9 GB"). As pandoc reads it: the opening "$" has no space after it, the closing one
    no space before it and no digit after it, so "$6.25 to $3.90" is two prices."""
    if i + 1 >= n or line[i + 1].isspace() or line[i + 1] == "$":
        return None
    close = closers.after("$", i + 2)
    if close < 0 or close - i > _MATH_SPAN:
        return None
    inner = _TEX_POWER.sub(lambda p: f"^{p.group(1)}" if p.group(1).isdigit() else f"^({p.group(1)})",
                           _TEX_GROUP.sub(r"\1", line[i + 1: close]))
    inner = _TEX_SPACE.sub(" ", inner).replace("{", "").replace("}", "")
    return close + 1, _plain(inner, depth + 1)[0], [], False


_MATH_SPAN = 300
"""Inline math spans at most this many characters: a "$" with no closer near it is a price or text."""
_TEX_GROUP = regex(r"\\(?:text|mathrm|mathbf|mathit|rm|operatorname)\s*\{([^{}]*)\}")
_TEX_POWER = regex(r"\^\{([^{}]*)\}")
"""A power in braces: "^{2}" is ^2, "^{1/10}" ^(1/10) (which written arithmetic does not read)."""
_TEX_SPACE = regex(r"\\[,;:! ]|\\q?quad\b|~")


def _html(line: str, i: int, closers: _Closers):
    """An HTML comment or tag at `i`: dropped; "<br>" and block tags a space; "<sup>" a footnote mark, or
    an exponent after 10 or 2 ("10<sup>12</sup>" is "10^12")."""
    if line.startswith("<!--", i):
        close = closers.after("-->", i + 4)
        return (close + 3, "", [], False) if close > 0 else None
    close = closers.after(">", i + 1)
    if close < 0:
        return None
    tag = _TAG.match(line, i, close + 1)
    if tag is None or tag.end() != close + 1:
        return None
    name = tag.group(2).lower()
    if name == "sup" and not tag.group(1):
        end = closers.after("</sup>", close + 1)
        if end > 0:
            content = line[close + 1: end]
            after_end = line.index(">", end) + 1
            if _EXPONENT.fullmatch(content) and _POWER_BASE.search(line[max(0, i - 6): i]):
                return after_end, "^" + content.replace("−", "-"), [], False
            return after_end, "", [], False
    return close + 1, " " if name in _SPACED_TAGS else "", [], False


def _inline_lines(token) -> list[tuple[str, list[tuple[int, int]]]]:
    """Plain text of an inline token, one entry per source line, with the bold spans of each.

    Inline Markdown is read by `_plain` rather than by markdown-it's inline parser: a report needs only
    its text and where the bold labels are, and this is the hot path."""
    return [_plain(line) for line in token.content.split("\n")]


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


def _introduces_list(line: str, tokens, i: int) -> bool:
    """The last line of a paragraph that ends in a colon right before a list titles that list ("measured B
    (one TP2 pair, 32 concurrent):"); its figures stay the paragraph's."""
    return line.rstrip().endswith(":") and len(line.split()) <= 12 and i + 2 < len(tokens) \
        and tokens[i + 2].type in ("bullet_list_open", "ordered_list_open")


def _is_title_line(text: str) -> bool:
    """A short line that ends in a colon and introduces what follows: "Memory per GPU:"."""
    return text.endswith(":") and len(text.split()) <= 8


@lru_cache(maxsize=32)
def _markdown(off: frozenset[str] = frozenset()):
    """CommonMark plus tables; HTML stays HTML, so suppression comments remain visible. The block rules in
    `off` are left out: `_parser` leaves out only rules that cannot match the text."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    md.disable("inline")  # inline Markdown is read by `_plain`: only text and bold labels are needed
    if off:
        md.disable(sorted(off))
    md.options["maxNesting"] = MAX_NESTING  # commonmark's 20 would drop deeper blocks without a word
    return md


# Block rules and what a text needs for them to match at all. markdown-it tries every block rule at the start
# of every block and every rule that may end a paragraph on each of its lines; a rule that cannot match
# returns False without touching the parser's state, so leaving it out gives the same tokens, faster (a
# third of the parse of a report without code fences, quotes, HTML, references, rules or setext headings).
# Each test is a necessary condition of the rule's own: a fence opens with three backticks or tildes, a
# quote with ">", an HTML block with "<", a reference definition has "]:" right after its label, an ATX
# heading has "#", a table's header line "|". A thematic break is a line that ends in three or more of one
# of "*", "-", "_" with only spaces or tabs among and after them, and a setext underline a line that ends in
# a run of "-" or "=" (then only spaces or tabs) preceded by the line's start, a space, a tab or ">": those two
# are read on the text reversed, each line then tried at its start only, in time linear in the text.
_HR_REVERSED = regex(r"^[ \t]*([*_-])(?:[ \t]*\1){2,}", re.M)
_UNDERLINE_REVERSED = regex(r"^[ \t]*(?:-+|=+)(?:[ \t>]|$)", re.M)
_NEEDS = (
    ("fence", lambda text, rev: "```" in text or "~~~" in text),
    ("blockquote", lambda text, rev: ">" in text),
    ("html_block", lambda text, rev: "<" in text),
    ("reference", lambda text, rev: "]:" in text),
    ("heading", lambda text, rev: "#" in text),
    ("table", lambda text, rev: "|" in text),
    ("hr", lambda text, rev: _HR_REVERSED.search(rev) is not None),
    ("lheading", lambda text, rev: _UNDERLINE_REVERSED.search(rev) is not None),
)


def _parser(text: str):
    """The parser for `text`: every block rule it may need, none it cannot."""
    if "\r" in text:  # lines as markdown-it reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    reverse = text[::-1]
    return _markdown(frozenset(name for name, needed in _NEEDS if not needed(text, reverse)))


MAX_NESTING = 100


_DOCUMENT_FENCES = frozenset({"suggestion", "markdown", "md"})  # a fence that holds document text, not code


def segments(text: str, depth: int = 0) -> Iterator[Segment]:
    """Every piece of the report a figure can be read from, in document order. A fenced block of document
    text (a review's "```suggestion", "```markdown") is read as the Markdown it holds."""
    tokens = _parser(text).parse(text)
    if max((t.level for t in tokens), default=0) >= MAX_NESTING - 1:  # markdown-it stops reading there
        line = next((t.map[0] + 1 for t in tokens if t.level >= MAX_NESTING - 2 and t.map), None)
        raise AuditError(f"Markdown nested deeper than {MAX_NESTING} levels (lists in lists, quotes in quotes); "
                         "audit would not see what is inside", location=line)
    headings: list[tuple[int, str]] = []
    bold_heading = ""
    items: list[str] = []  # titles of the open list items, outermost first
    item_has_title: list[bool] = []
    group = 0
    groups: list[int] = []  # group ids of open lists
    table: _Table | None = None
    html_table: _HtmlTable | None = None  # a raw HTML table may run over several HTML blocks
    in_head = False
    row: list[tuple[str, int]] = []
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
            yield Segment(tok.map[0] + 1, title, title, tuple(h[1] for h in headings[:-1]), group=HEADING_GROUP)
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
            in_head = True
        elif kind == "thead_close":
            in_head = False
            base = tuple(h[1] for h in headings) + ((bold_heading,) if bold_heading else ())
            group += 1
            table = _Table([c for c, _ in row], row_line, base, group)
            yield from table.header_segments()
        elif kind == "tr_open":
            row, row_line = [], tok.map[0] + 1 if tok.map else 0
        elif kind in ("th_open", "td_open"):
            row.append((" ".join(t for t, _ in _inline_lines(tokens[i + 1])).strip(), row_line))
        elif kind == "tr_close" and not in_head and table is not None:
            group += 1
            yield from table.row_segments(row, group)
        elif kind == "fence" and tok.map and depth < 2 and tok.info.strip().split(" ")[0].lower() in _DOCUMENT_FENCES:
            base = tuple(h[1] for h in headings) + ((bold_heading,) if bold_heading else ())
            first, top = tok.map[0] + 1, group
            for seg in segments(tok.content, depth + 1):
                inner = seg.group + top if seg.group >= 0 else seg.group
                group = max(group, inner)
                yield evolve(seg, line=seg.line + first, scope=base + seg.scope, group=inner)
        elif kind == "html_block" and tok.map:
            if html_table is None and _HTML_TABLE_START.search(tok.content) is None:
                i += 1
                continue
            base = tuple(h[1] for h in headings) + ((bold_heading,) if bold_heading else ())
            html_table = html_table or _HtmlTable()
            for cells, header, first, line in html_table.read(tok.content, tok.map[0] + 1):
                group += 1
                if first:
                    table = _Table([], line, base, group)
                if table is None:
                    continue
                if header and not table.rows:  # header rows at the top of the table
                    table.add_header([c for c, _ in cells])
                    yield from table.header_segments([c for c, _ in cells], line)
                else:
                    yield from table.row_segments(cells, group)
            if not html_table.open:
                html_table = None
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
            source = tuple(tok.content.split("\n"))
            yield from _paragraph_segments(lines, first_line, scope, grp, in_list=bool(items), source=source)
            if not items and len(lines) > 1 and _introduces_list(lines[-1][0], tokens, i):
                bold_heading = lines[-1][0].strip().rstrip(":").strip()  # "**raj** · 10:15\nB, per GPU:" then a list
            i += 1
            continue
        i += 1


# --- tables: Markdown and raw HTML ----------------------------------------------------------

_SCOPING = regex(r"\b(per|each|every|at|for|in)\b|@", re.I)
_ROW_UNIT = regex(r"^\W*(replica|instance|node|host|server|stage|gpu|device|rank)\W*$", re.I)
"""A corner cell naming, in the singular, what each row is: the figures of a row that names one count over it
("| replica | GPUs |" over "| b-0 | 4 |"); a plural corner over numbers ("| GPUs |" over "| 16 |") is a count."""
_DITTO = frozenset({"", '"', "〃", "″", "''", "ditto", "same", "^"})


class _Table:
    """A table being read: its header, the corner cell and the units its headers give, the row above."""

    __slots__ = ("header", "line", "base", "scope", "named_rows", "group", "units", "corner_unit", "above", "rows")

    def __init__(self, header: list[str], line: int, base: tuple[str, ...], group: int) -> None:
        self.header: list[str] = []
        self.line = line
        self.base = base
        self.group = group
        self.above: list[str] = []
        self.rows = 0  # body rows read
        self.add_header(header)

    def add_header(self, cells: list[str]) -> None:
        """A header row; a second one (an HTML table's "<th colspan=5>With CP</th>" over "TP", "PP", ...) adds
        to the header of each column: "With CP TP"."""
        cells = [identifier_words(cell) for cell in cells]
        for col, cell in enumerate(cells):
            if col >= len(self.header):
                self.header.append(cell)
            elif cell and cell != self.header[col]:
                self.header[col] = f"{self.header[col]} {cell}".strip()
        corner = self.header[0].strip() if self.header else ""
        self.units = [_unit_of(h) for h in self.header]
        self.corner_unit = self.units[0] if self.units else ""
        # a corner cell that scopes ("Per GPU", "Per GPU, at 4K context", "GB") says what every cell of the table
        # is; one that only names the row labels ("Metric", "Scenario") does not
        self.scope = self.base + ((corner,) if corner and (self.corner_unit or _SCOPING.search(corner)) else ())
        row_unit = _ROW_UNIT.match(corner)
        # "| replica | GPUs | ..." with a row per replica (named rows: "| b-0 | 4 |"): each row's figures are one's
        self.named_rows = self.base + (f"per {row_unit.group(1).lower()}",) if row_unit else self.scope

    def header_segments(self, cells: list[str] | None = None, line: int | None = None) -> Iterator[Segment]:
        """A header cell may state figures of its own ("one_node (TP8, 32 seqs)", "HBM used (of 256 GB)")."""
        for cell in self.header if cells is None else cells:
            if any(ch.isdigit() for ch in cell):
                yield Segment(self.line if line is None else line, cell, "", self.base, group=self.group)

    def row_segments(self, cells: list[tuple[str, int]], group: int) -> Iterator[Segment]:
        """One segment per cell after the row label, under its column. An empty cell takes the cell above when
        that one is a name (no figure): a row label, a model or layout written once for several rows."""
        if not cells:
            return
        texts = [c for c, _ in cells]
        for col, cell in enumerate(texts):
            if cell.strip() in _DITTO and col < len(self.above) and self.above[col].strip() \
                    and (col == 0 or not any(ch.isdigit() for ch in self.above[col])):
                texts[col] = self.above[col]
        self.above = texts
        self.rows += 1
        label = identifier_words(texts[0])
        label_unit = _unit_of(label)
        scope = self.named_rows if any(ch.isalpha() for ch in label) else self.scope  # "| 16 |" counts, names nothing
        for col in range(1, len(texts)):
            column = self.header[col] if col < len(self.header) else ""
            unit = label_unit or (self.units[col] if col < len(self.units) else "") or self.corner_unit
            yield Segment(cells[col][1], texts[col], label, scope, column=column, group=group, unit=unit)


_IDENTIFIER = regex(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
_UNIT_SUFFIX = {"ms": "ms", "s": "s", "us": "µs", "sec": "s", "gb": "GB", "gib": "GiB", "mb": "MB", "mib": "MiB",
                "tb": "TB", "tflops": "TFLOPS", "pct": "%", "percent": "%", "tps": "tok/s", "toks": "tok/s"}


_PER_SECOND_KEY = regex(r"\b(tok|tokens|req|requests) s\b", re.I)


def identifier_words(cell: str) -> str:
    """A label written as a script's key, in words: "ttft_p50_ms" is "ttft p50 (ms)", "output_tok_s_per_gpu"
    "output tok/s per gpu"; anything else as it is."""
    if not _IDENTIFIER.fullmatch(cell.strip()):
        return cell
    words = cell.strip().split("_")
    last = [w.lower() for w in words[-2:]]
    if len(words) > 2 and last[1] == "s" and last[0] in ("gb", "tb", "mb", "gib"):  # "mem_bw_gb_s": GB/s
        return f"{' '.join(words[:-2])} ({_UNIT_SUFFIX[last[0]]}/s)"
    if len(words) > 2 and last[1] == "s" and last[0] == "per":  # "decode_tokens_per_s": tokens/s
        return f"{' '.join(words[:-2])}/s"
    unit = _UNIT_SUFFIX.get(last[1]) if len(words) > 1 else None
    if unit and not (unit == "s" and last[0] in ("tok", "tokens", "req", "requests")):
        words = words[:-1]
    else:
        unit = None
    text = _PER_SECOND_KEY.sub(r"\1/s", " ".join(words))
    return f"{text} ({unit})" if unit else text


_HTML_TABLE_START = regex(r"<table\b", re.I)
_HTML_CELL_TAG = regex(r"<(/?)(table|thead|tbody|tfoot|tr|th|td)\b([^<>]{0,500})>", re.I)
_SPAN = regex(r"\b(row|col)span\s*=\s*[\"']?(\d{1,3})", re.I)


class _HtmlTable:
    """A raw HTML table read from one or more HTML blocks: rows of (cell text, line), header rows told apart."""

    __slots__ = ("open", "rows_read", "in_head", "row", "row_header", "cell", "spans")

    def __init__(self) -> None:
        self.open = False
        self.rows_read = 0
        self.in_head = False
        self.row: list[tuple[str, int]] | None = None
        self.row_header = True
        self.cell: tuple[int, int, str] | None = None  # (content start, line, tag) of the open cell
        self.spans: dict[int, tuple[int, tuple[str, int]]] = {}  # column -> (rows left, cell) from rowspan

    def read(self, content: str, first_line: int) -> Iterator[tuple[list[tuple[str, int]], bool, bool, int]]:
        """(cells, is a header row, is the table's first row, line) for every row that ends in `content`."""
        newlines = [m.start() for m in re.finditer("\n", content)]
        def line_at(offset: int) -> int:
            return first_line + bisect_left(newlines, offset)
        for m in _HTML_CELL_TAG.finditer(content):
            closing, name = m.group(1) == "/", m.group(2).lower()
            if self.cell is not None and name in ("td", "th", "tr", "table", "tbody", "thead", "tfoot"):
                self._end_cell(content, m.start(), line_at)
            if name == "table":
                if closing:
                    yield from self._end_row()
                    self.open = False
                else:
                    self.open, self.rows_read, self.spans = True, 0, {}
            elif not self.open:
                continue
            elif name == "thead":
                self.in_head = not closing
            elif name == "tr":
                yield from self._end_row()
                if not closing:
                    self.row, self.row_header = [], True
            elif name in ("td", "th") and not closing:
                if self.row is None:
                    self.row, self.row_header = [], True
                self.row_header = self.row_header and (name == "th" or self.in_head)
                self._fill_spans()
                self.cell = (m.end(), line_at(m.end()), m.group(3))
        if self.cell is not None:  # a cell running into the next block: read what this one holds
            self._end_cell(content, len(content), line_at)

    def _end_cell(self, content: str, end: int, line_at) -> None:
        assert self.cell is not None and self.row is not None
        start, line, attributes = self.cell
        self.cell = None
        pieces = [_plain(part)[0].strip() for part in content[start:end].split("\n")]
        text = " ".join(p for p in pieces if p)
        first = next((k for k, p in enumerate(pieces) if p), 0)
        cell = (text, line + first)
        spans = dict((kind.lower(), min(int(n), 100)) for kind, n in _SPAN.findall(attributes))
        for _ in range(max(spans.get("col", 1), 1)):
            if spans.get("row", 1) > 1:
                self.spans[len(self.row)] = (spans["row"] - 1, cell)
            self.row.append(cell)
            self._fill_spans()

    def _fill_spans(self) -> None:
        """Cells of rows above that span down into this one take their columns."""
        assert self.row is not None
        while (held := self.spans.get(len(self.row))) is not None:
            left, cell = held
            if left <= 1:
                del self.spans[len(self.row)]
            else:
                self.spans[len(self.row)] = (left - 1, cell)
            self.row.append(cell)

    def _end_row(self) -> Iterator[tuple[list[tuple[str, int]], bool, bool, int]]:
        if self.row:
            first = self.rows_read == 0
            self.rows_read += 1
            yield self.row, self.row_header, first, self.row[0][1]
        self.row = None


def _paragraph_segments(lines, first_line: int, scope, group: int, in_list: bool,
                        source: tuple[str, ...] = ()) -> Iterator[Segment]:
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
    yield from _sentences(evolve(_joined(lines, first_line, scope, group), source=source), split=True)


def _joined(lines, first_line: int, scope, group: int) -> Segment:
    """The lines of a paragraph or list item as one text, each line apart ("\n"): no figure is read across
    two lines ("10:15" at the end of one and "B, per GPU" at the start of the next are not "15 B")."""
    starts, pos = [], 0
    for t, _ in lines:
        starts.append(pos)
        pos += len(t) + 1
    text = "\n".join(t for t, _ in lines)
    label, _ = _label_of(lines[0][0], lines[0][1])
    return Segment(first_line, text.rstrip(), label, scope, group=group, line_starts=tuple(starts))


def _statements(text: str, source: tuple[str, ...] = ()) -> list[str]:
    """The text split where its author ended a line on purpose: a line much shorter than the paragraph's
    longest (a chat message, a tweet: "ITL 20 ms → 4.8K tok/s per replica" / "that's 4.8K per GPU"), or one
    the next line's first word would have fitted on, as written in `source` (prose filled to a width never
    leaves room for the next word); one ending in ":"; the line before one that starts with an arrow. The
    lines of wrapped prose stay one sentence, and so does a line ending in a word that needs what follows,
    followed by one that opens with an operator ("3.4K tok/s per replica" / "× 32 = 108K") or by an indented
    one (a hanging indent: "[06:10] ... should" / "        prefill in about 58 ms")."""
    lines = text.split("\n")
    if len(lines) < 2:
        return [text]
    written = source if len(source) == len(lines) else lines
    width = max((len(line.rstrip()) for line in written if "://" not in line), default=0)  # a URL is no width prose fills
    out, current = [], lines[0]
    for n, (line, following) in enumerate(zip(lines, lines[1:], strict=False)):
        size, word = len(written[n].rstrip()), written[n + 1].split(maxsplit=1)[0] if written[n + 1].strip() else ""
        ended = (size < _SHORT * width or size + 1 + len(word) <= width) and not _GOES_ON.search(line) \
            and not _OPERATOR_FIRST.match(following) and not written[n + 1][:1].isspace()  # a hanging indent goes on
        if ended or line.rstrip().endswith(":") or following.lstrip().startswith(("→", "->", "=>")) \
                or _NOTE_MARK.match(following):  # "² A: 32 sequences ...": a footnote of its own
            out.append(current)
            current = following
        else:
            current = f"{current}\n{following}"
    return [*out, current]


_NOTE_MARK = regex(r"\s*(?:[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[\^?\w{1,4}\]:?|\(\d{1,2}\))\s")
"""A line that opens with a footnote's mark ("² ...", "[^3]: ...", "(4) ..."): a note of its own, whatever its width."""
_GOES_ON = regex(r"(?:[,(~≈=+×*/-]|\b(?:about|around|approximately|roughly|of|the|a|an|and|or|but|to|for|with|by|at|in|"
                 r"on|from|is|are|was|were|takes?|needs?|gives?|per|than|vs\.?|so|which|that|under|over|into|onto|"
                 r"across|between|within|without|through|via|after|before|below|above|beyond|during|as|its|their|"
                 r"this|these|each|every|our|your|if|when|while|where|because|since|should|would|will|can|could|"
                 r"might|must))\s*$", re.I)
"""How a line that its sentence goes on from ends: a comma, an operator, a word that needs what follows."""
_OPERATOR_FIRST = regex(r"\s*(?:[×*+=/≈~]|[xX]\s|-\s|\.\.\.)")
"""A line that opens with an operator goes on with the line before it."""
_SHORT = 0.6
"""A line this much shorter than its paragraph's longest ends where its author ended it."""


_REACH_BACK = 12
"""How many sentences of its paragraph a figure looks back over for what names it: a paragraph's length, and a
paragraph of 10^5 sentences stays linear."""


def _sentences(seg: Segment, split: bool) -> Iterator[Segment]:
    if not split:
        yield seg
        return
    pos = 0
    pieces = [p for statement in _statements(seg.text, seg.source) for p in SENTENCE_END.split(statement)]
    for n, piece in enumerate(pieces):
        start = seg.text.index(piece, pos)
        pos = start + len(piece)
        starts = seg.line_starts[bisect_right(seg.line_starts, start): bisect_left(seg.line_starts, pos)]
        label = seg.label if n == 0 else _label_of(piece, [])[0]
        yield evolve(seg, line=seg.line_of(start), text=piece, label=label,
                     line_starts=(0, *(s - start for s in starts)), earlier=tuple(pieces[max(0, n - _REACH_BACK): n]))


_FOOTNOTE_SIGNS = " ⁰¹²³⁴⁵⁶⁷⁸⁹*†‡§"
_UNIT_PART = regex(r"\(([^()]{1,40})\)\s*$|\[([^\[\]]{1,40})\]\s*$|,\s*([^,]{1,40})$")
_PER_AFTER_UNIT = regex(r"\s*(?:$|(?:per|each|in|at|@)\b|/)", re.I)


def _unit_of(header: str) -> str:
    """The unit a table header, corner cell or row label gives the bare numbers under it: "Throughput
    (tokens/s)", "Output throughput (tok/s per GPU)", "TTFT [ms]", "Latency (p50, ms)", "TTFT, ms", "Output
    tok/s", "TFLOPS / GPU", "GB/GPU". What follows the unit ("per GPU") stays in the header, for the binder."""
    header = header.strip().rstrip(_FOOTNOTE_SIGNS).strip()  # "Achieved HBM GB/s ¹", "TTFT (ms)*"
    if not header or len(header) > 120 or "\n" in header:
        return ""
    words = header.split()
    candidates = [" ".join(words[-k:]) for k in (3, 2, 1) if len(words) > k] + [header]  # "Output tok/s"
    candidates += [" ".join(words[k:]) for k in range(1, min(len(words), 6))]  # "Output tok/s at full concurrency"
    m = _UNIT_PART.search(header)
    if m is not None:
        inner = next(g for g in m.groups() if g is not None)
        candidates[:0] = [part.strip() for part in reversed(inner.split(","))]  # "(p50, ms)": the last part
    bare = re.sub(r"\([^()]*\)|\[[^\]]*\]", " ", header)  # "decode tok/s (node)", "Output tok/s, node (measured)"
    for part in bare.split(","):
        tail = part.split()
        candidates += [" ".join(tail[-k:]) for k in (2, 1) if len(tail) >= k]
    candidates += [inner.strip() for inner in re.findall(r"[(\[]([^()\[\]]*)[)\]]", header)]  # "KV [GB], per GPU"
    return next((unit for unit in map(_unit_alone, candidates) if unit), "")


@lru_cache(maxsize=1024)
def _unit_alone(text: str) -> str:
    """`text` when it is a unit, perhaps followed by what it is per ("tok/s per GPU" -> "tok/s"); a bare
    "B" is left alone (a parameter count in billions as often as bytes)."""
    if not text or text == "B":
        return ""
    written = ("1" if text[:1] in "KMBT" and text[1:2] == " " else "1 ") + text  # "K tok/s" is thousands
    figures = units.find_figures(written)
    if not figures or figures[0].start != 0 or figures[0].quantity.kind == "count":
        return ""
    end = figures[0].end
    return figures[0].unit_text if _PER_AFTER_UNIT.match(written, end) else ""
