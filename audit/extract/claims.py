"""Claims: every figure of a segment, with the words around it (`before`, `after`, its clause) and
what the text says of it (quoted, an operand of written arithmetic, the other side of a comparison, a
comparison sign, the words inside a rate's unit, the token length it is of). Figures the text writes
once for several take their unit here: "120 / 340 ms", "(24.5 + 6.1) GB", "5 + 12 = 17 GB", "3,200 tok/s,
400 per GPU"; a label of parts names its figures part by part ("Layers / KV heads: 64 / 4").
Metric and scenario are left to `audit.bind`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from audit import units
from audit.errors import AuditError
from audit.extract.read import DEFAULT_MAX_BYTES
from audit.extract.segments import Segment, segments
from audit.precompiled import regex
from audit.records import Claim, evolve

DEFAULT_MAX_FIGURES = DEFAULT_MAX_BYTES // 400  # one figure costs ~0.2 ms to audit: 10,000 take ~2 s
_NUMBER = regex(r"\d+")


# --- figures within a segment ----------------------------------------------------------------

_BOUNDARY = regex(r"[,;()\[\]|]|\s[-–—]\s|→|->|\bvs\.?\s|\bversus\b|\.\s|:\s(?=\S)")
_QUOTE_WORDS = regex(r"\b(claimed|reported|stated|previous(ly)?|originally claimed)\b", re.I)
_ACTUAL = regex(r"\b(actual(ly)?|measured|real|recomputed|correct(ed)?|true)\b", re.I)
_CONTINUATION = {"to", "vs", "vs.", "versus", "→", "->", "and", "or", "from", ""}
_OPERATOR_BEFORE = regex(r"([×*/+]|[\d)]\s*[xX]|\s[xX])\s*\(?\s*$")
_OPERATOR_AFTER = regex(r"^\s*\)?\s*([A-Za-z][\w-]*\s+){0,3}[×*]\s*\(?\s*[\d~]|^\s*\)?\s*[/+]\s*\(?\s*[\d~]"
                             r"|^\s*[xX]\s*\d"
                             r"|^\s*\)?\s*([A-Za-z][\w-]*\s+){0,3}[xX]\s+\(?\s*[\d~]"
                             r"|^\s*([A-Za-z][\w-]*\s+){0,3}[×*/+]\s*\(?\s*[A-Za-z][\w-]*\s*\)?\s*[=≈]")  # "2 replicas × TP8 = 16"
_NAMED_TERM = regex(r"\s*(?:[A-Za-z][\w-]*\s+){0,3}[×*/+]\s*\(?\s*[A-Za-z][\w-]*\s*\)?\s*[=≈]\s*")
_TOP_K = regex(r"\btop[- ]?(\d{1,3})\b", re.I)
_ORDINAL = regex(r"\b(option|layout|scenario|step|phase|table|figure|fig\.|section|case|plan|variant|node|gpu|"
                      r"rank|version|v|q[1-4]|no\.|#)\s*#?$", re.I)

# Written arithmetic: the text between two figures that joins them by an operator, words allowed before it
# ("16 seqs × 2,560 tok", "5 GB dense + 12 GB expert", "(30.5 + 9.7) GB / 3.35 TB/s"), and the text between
# the last term and its result ("= 17 GB", "= ~17 GB", "≈ 447 GB/s").
_WORDS = r"(?:[A-Za-z][\w-]*\s+){0,3}"
_LINK = regex(rf"\s*\)*\s*{_WORDS}(?P<op>[×*/+−·]|(?<=\s)[xX](?=\s)|-(?=\s))\s*\(*\s*")
"""An operator between two figures, words of the first term before it ("5 GB dense + 12 GB expert")."""
_SIGN_AFTER_A_WORD = regex(r"(?:^|\s)(?:and|or|but|vs\.?|to|then)\s+$", re.I)
"""A conjunction before a "+" glued to the next number: the sign is that figure's own ("up 44% from Q2's 38 and +24%
on August")."""
_RESULT = regex(rf"\s*\)*\s*{_WORDS}(?:(?P<sign>=|≈|~=|≃|≅|:=)\s*)?")
_MULTIPLY = frozenset("×*xX·")
_ADD = frozenset("+−-")  # "-" only between spaces (`_LINK`)
_CLOSING_UNIT = regex(r"\s*\)")
_PER_DEVICE = regex(r"(?:\s*per\s+|/)(?:gpu|device|card|chip|accelerator|npu|tpu|node|host|server|replica|"
                         r"instance|rank|worker|user|request|sequence|stream)s?\b", re.I)
_QUALIFYING_PARENS = regex(r"[^(),;:]{0,60}\(\s*")  # "128 experts (" 8 active)
_ADJECTIVE_AFTER = regex(r"\s*(?P<word>[A-Za-z][\w-]*)(?P<rest>(?:\s+[\w/-]+){0,3})\s*\)")
_NOT_ADJECTIVES = frozenset({"each", "per", "of", "in", "at", "on", "for", "to", "and", "or", "total", "x"})
_LENGTH_NOUN = regex(r"(?P<token>-?\s?(?:tokens?|toks?)(?:-|\s))?(?P<noun>prompts?|inputs?|contexts?|sequences?|seqs?|"
                          r"requests?|completions?|outputs?|generations?|windows?)\b", re.I)
_LENGTH_NAMES = {"prompt": "prompt", "input": "prompt", "context": "context", "window": "context",
                 "sequence": "sequence", "seq": "sequence", "request": "request", "completion": "output",
                 "output": "output", "generation": "output"}
_ROUND_THOUSANDS = frozenset({1, 2, 4, 8, 16, 32, 64, 128, 256, 512})  # "8K prompts" is a length, "10K prompts" many


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
    text = seg.text.replace("\n", " ") if "\n" in seg.text else seg.text  # the same offsets, one line of words
    figures = _units_carried(text, figures)
    operands, results, figures = _arithmetic(text, figures)
    labels = _labels_side_by_side(seg.label, text, figures) if " / " in seg.label else None
    out: list[Claim] = []
    prev_end = 0
    prev_before = ""
    quoted_column = bool(_QUOTE_WORDS.search(seg.column))
    planned = _PLANNED.match(text) is not None  # "- [ ] B at batch 256 next week": a plan, none of its figures claimed
    scope = seg.scope + ((seg.column,) if seg.column else ())
    for n, fig in enumerate(figures):
        before = _clause_before(text, fig.start, prev_end)
        after = _clause_after(text, fig.end)
        between = text[prev_end:fig.start].strip().lower()
        if labels and n < len(labels):
            before = labels[n]  # "Layers / KV heads / head dim: 80 / 8 / 128": 8 is the KV heads
        elif results[n]:
            before = _result_words(text, fig.start, prev_end)  # "64 / 19 ms × 4 replicas ≈ 13.5K": not replicas
        elif n > 0 and between in _CONTINUATION:
            before = prev_before
        quoted = quoted_column or planned or _is_quoted(text, fig)
        q = fig.quantity
        clause = _clause(text, fig, before, after)
        if n > 0 and q.kind == "count" and _QUALIFYING_PARENS.fullmatch(text, prev_end, fig.start):
            after = _inherited_noun(text, fig, out[-1].after) or after
        out.append(Claim(
            line=seg.line_of(fig.start + number_offset(fig.text)), text=text, figure=text[fig.start: fig.end],
            label=labels[n] if labels and n < len(labels)
            else seg.label, value=q.value, unit=q.unit,
            kind=q.kind, scope=scope, quoted=quoted,
            approx=q.approx, values=q.values, index=start_index + n, start=fig.start, before=before,
            after=after, group=seg.group, ambiguous_flops=fig.flops_ambiguous, operand=operands[n],
            versus=not quoted and _is_versus(text, fig, n, figures[n + 1] if n + 1 < len(figures) else None),
            in_parens=_in_comparison(text, fig.start),
            clause=clause, column=seg.column, comparison=fig.comparison, unit_words=fig.words,
            length_of=_length_of(text, fig), earlier=seg.earlier, asked=_asked(text, fig.end),
        ))
        prev_end, prev_before = fig.end, before
    return out


_PLANNED = regex(r"\s*\[ \]\s.*?\b(?:next (?:week|time|sprint|run|quarter)|tomorrow|later|todo|to try|plan(?:ned)? to|"
                 r"we will|will try|try to)\b", re.I)
"""An open item of a task list that says it is for later ("- [ ] B at batch 256 next week"): a plan, not a claim (an
open item of a review's checklist states what is to be checked: "- [ ] ITL headroom: ... ≈ 1.4 ms")."""


def _asked(text: str, end: int) -> bool:
    """Whether the sentence a figure ends in asks: the first mark ending a sentence after it is a "?"."""
    m = _SENTENCE_END.search(text, end, end + 400)  # a sentence ends near: the search stays linear in a long line
    return m is not None and m.group(0)[0] == "?"


_SENTENCE_END = regex(r"\?|[.!](?=\s|$)|\n\n")
"""The mark that ends a sentence, whatever follows it (`segments.SENTENCE_END` splits sentences before a capital)."""


def number_offset(figure: str) -> int:
    """Where the number of a figure starts: its physical line is the number's, not that of an "about" or "~"
    that ends the line before."""
    for k, ch in enumerate(figure):
        if ch.isdigit() or ch == "[":
            return k
    return 0


def _arithmetic(text: str, figures: list) -> tuple[list[bool], list[bool], list]:
    """Which figures are terms of written arithmetic, which are its results, and the figures with the units such
    arithmetic implies.

    Figures joined by operators form a chain. A chain that multiplies or adds, or that ends in "= result", is
    arithmetic: its terms are operands. A chain joined by "/" alone with no result names figures side by side
    ("16 query / 8 kv heads", "p50 / p99: 110 / 310 ms") unless they are of different kinds ("671 GB / 16",
    "128 sequences / 1 ms"): its terms stay claims. The bare terms of a sum take the unit of its other terms or
    of its result ("5 + 12 = 17 GB", "(30.5 + 9.7) GB / 3.35 TB/s"). A figure outside any chain is an operand
    when an operator stands right beside it ("weights / 2")."""
    count = len(figures)
    links: list[re.Match[str] | None] = [None] * count  # links[k]: the operator between figures k - 1 and k
    for k in range(1, count):
        link = _LINK.fullmatch(text, figures[k - 1].end, figures[k].start)
        if link and link.group("op") in "+−" and link.end("op") == figures[k].start \
                and _SIGN_AFTER_A_WORD.search(text, figures[k - 1].end, link.start("op")):
            link = None  # "38 and +24%": a sign, no sum
        links[k] = link
    operand = [False] * count
    result_of = [False] * count
    figures = list(figures)
    k = 0
    while k < count:
        end = k
        while end + 1 < count and links[end + 1] is not None:
            end += 1
        if end > k:
            chain_ops = {m.group("op") for m in links[k + 1: end + 1] if m}
            result = _result_after(text, figures, end)
            if result is not None:
                result_of[end + 1] = True
            if not result and chain_ops <= {"/"}:
                if all(m and m.group(0).strip() == "/" for m in links[k + 1: end + 1]):
                    _shared_unit(figures, k, end)  # "110 / 310 ms"
                kinds = {f.quantity.kind for f in figures[k: end + 1]}
                operand[k: end + 1] = [len(kinds) > 1] * (end + 1 - k)
            elif result or chain_ops & (_MULTIPLY | {"+", "−"}):
                operand[k: end + 1] = [True] * (end + 1 - k)
                _sum_units(text, figures, links, k, end, result)
        else:
            fig = figures[k]
            signed = fig.start > 0 and text[fig.start - 1] == "+" and (fig.start == 1 or text[fig.start - 2] in " (|")
            operand[k] = bool((_OPERATOR_BEFORE.search(text, max(0, fig.start - 40), fig.start) and not signed)
                              or _OPERATOR_AFTER.match(text[fig.end: fig.end + 80]))  # "+42%" is a sign; each alternative starts at ^
            if k + 1 < count and _NAMED_TERM.fullmatch(text, fig.end, figures[k + 1].start):
                result_of[k + 1] = True  # "671 GB / TP8 = 83.9 GB": the figure after "=" is the result
        k = end + 1
    return operand, result_of, figures


def _result_words(text: str, start: int, prev_end: int) -> str:
    """The words of a result between its sign and itself ("= ~17 GB" has none): the words before the sign
    belong to the last term ("× 4 replicas ≈ 13.5K")."""
    chunk = text[prev_end:start]
    sign = max(chunk.rfind(c) for c in "=≈")
    return chunk[sign + 1:].strip() if sign >= 0 else ""


def _labels_side_by_side(label: str, text: str, figures: list) -> list[str] | None:
    """ "Layers / KV heads / head dim: 80 / 8 / 128", "TTFT p50 / p99 | 110 / 310 ms": a label of parts set side
    by side names, part by part, the figures set side by side; a word the parts share is written once
    ("Query / KV heads per GPU" is "Query heads per GPU" and "KV heads per GPU")."""
    parts = [p.strip() for p in label.split(" / ")]
    if len(parts) < 2 or len(figures) < len(parts) or not all(parts):
        return None
    first = figures[: len(parts)]
    if any(text[a.end: b.start].strip() != "/" for a, b in zip(first, first[1:], strict=False)) \
            or (len(figures) > len(parts) and text[first[-1].end: figures[len(parts)].start].strip() == "/"):
        return None
    words = [p.split() for p in parts]
    if len(words[0]) > 1 and all(len(w) == 1 for w in words[1:]):  # "TTFT p50 / p99"
        parts = [parts[0]] + [" ".join(words[0][:-1] + w) for w in words[1:]]
    elif len(words[-1]) > 1 and all(len(w) == 1 for w in words[:-1]):  # "Query / KV heads per GPU"
        parts = [" ".join(w + words[-1][1:]) for w in words[:-1]] + [parts[-1]]
    return parts


def _result_after(text: str, figures: list, last: int):
    """The figure that is the result of a chain ending at `last` ("= 17 GB", "≈ 447 GB/s"), or None."""
    if last + 1 >= len(figures):
        return None
    nxt = figures[last + 1]
    link = _RESULT.fullmatch(text, figures[last].end, nxt.start)
    if link is None or (link.group("sign") is None and not nxt.quantity.approx):
        return None
    return nxt


def _sum_units(text: str, figures: list, links: list, first: int, last: int, result) -> None:
    """Bare terms of a sum take the unit written with it: a term's, the one after its closing parenthesis
    ("(30.5 + 9.7) GB"), or, for a chain that only adds, the result's ("5 + 12 = 17 GB"). A figure beside a
    "×" or "/" is a factor, not a term ("17.12 GB / 8 + 653.91 GB / 16": 8 stays a count)."""
    def term_side(m: re.Match[str] | None, paren: str) -> bool:  # the chain's end, "+", "−", or a parenthesis
        return m is None or m.group("op") in _ADD or paren in m.group(0)

    terms = [j for j in range(first, last + 1)
             if term_side(links[j] if j > first else None, "(") and term_side(links[j + 1] if j < last else None, ")")]
    runs: list[list[int]] = []
    for j in terms:
        link = links[j]
        if runs and runs[-1][-1] == j - 1 and link is not None and link.group("op") in _ADD:
            runs[-1].append(j)
        else:
            runs.append([j])
    for run in runs:
        if len(run) < 2:
            continue
        members = [figures[j] for j in run]
        unit = next((f.unit_text for f in members if f.quantity.kind != "count"), "")
        if not unit:
            close = _CLOSING_UNIT.match(text, members[-1].end)
            if close is not None:
                unit = units.unit_at(text, close.end())
        if not unit and result is not None and run[0] == first and run[-1] == last and result.quantity.kind != "count":
            unit = result.unit_text
        if unit:
            for j in run:
                figures[j] = _with_unit(figures[j], unit)


def _shared_unit(figures: list, first: int, last: int) -> None:
    """ "110 / 310 ms": figures set side by side share the unit written once, after the last of them."""
    if figures[last].quantity.kind != "count":
        unit = figures[last].unit_text
        figures[first: last] = [_with_unit(f, unit) for f in figures[first: last]]


def _inherited_noun(text: str, fig, previous_after: str) -> str:
    """ "128 experts (8 active)": a count alone in parentheses with a word that qualifies it counts what the
    figure before it counts; its words become "active experts"."""
    m = _ADJECTIVE_AFTER.match(text, fig.end)
    if m is None or not previous_after:
        return ""
    word = m.group("word")
    if word.lower() in _NOT_ADJECTIVES or (word.endswith("s") and not word.isupper()):
        return ""  # "(4 stages)" names a thing of its own
    nouns = previous_after.split()
    noun = next((w for w in nouns if w.endswith("s") and len(w) > 2), nouns[0])
    return " ".join(p for p in (word, noun, m.group("rest").strip()) if p)


def _length_of(text: str, fig) -> str:
    """ "8K prompts", "1K-token prompts", "a 3K prompt", "32K context": the figure is a token length."""
    if fig.quantity.kind != "count" or fig.quantity.values:
        return ""
    pos = fig.end
    if pos < len(text) and text[pos] in " -\u00a0":
        pos += 1
    m = _LENGTH_NOUN.match(text, pos)
    if m is None:
        return ""
    noun = m.group("noun").lower()
    singular = noun.rstrip("s") if noun not in ("seqs",) else "seq"
    name = _LENGTH_NAMES.get(singular, _LENGTH_NAMES.get(noun, ""))
    value = fig.quantity.value
    thousands = fig.unit_text.strip() in ("K", "k") and (value / 1000) in _ROUND_THOUSANDS
    if m.group("token") or name == "context" or (singular == noun and value > 1) or thousands:
        return name
    return ""


_VS_AFTER = regex(r"\s*(\([^)]*\)\s*)?(vs\.?|versus)\b(.*)", re.I)
_FROM_BEFORE = regex(r"\bfrom\s*$", re.I)
_TO_AFTER = regex(r"\s*\S*\s*(to|→|->)", re.I)
_VS_BEFORE = regex(r"\b(vs\.?|versus)\s*$", re.I)
_INSTEAD_BEFORE = regex(r"\b(?:instead of|rather than|in place of)\s+(?:(?:the|a|an)\s+)?(?:(?:TP|PP|DP|EP)\s*=?\s*)?[~≈]?$", re.I)
_ARROW_BETWEEN = regex(r"\s*(?:[\w-]+\s+){0,3}(?:→|->)\s*[~≈]?\s*")
""""128 KiB in BF16 → 64 KiB": the first of two figures of a kind an arrow joins is what changed from."""
_COMPARES = regex(r"\b(vs\.?|versus)\b|→|->", re.I)


def _is_quoted(text: str, fig) -> bool:
    """ "Claimed X vs actual Y" quotes X: the report disputes it rather than asserts it."""
    vs_after = _VS_AFTER.match(text, fig.end)  # as on text[fig.end:]: the pattern looks at nothing before it
    return bool(vs_after and (_ACTUAL.search(vs_after.group(3)[:40])
                              or _QUOTE_WORDS.search(text[max(0, fig.start - 60): fig.start])))


def _is_versus(text: str, fig: units.Figure, n: int, following: units.Figure | None = None) -> bool:
    """The other side of a comparison: "Y" in "X vs Y" and in "instead of Y", "X" in "from X to Y" and in "X in BF16 →
    Y in FP8"."""
    # searched up to fig.start, matched from fig.end: as on the text before and after it, without copying them
    if _FROM_BEFORE.search(text, 0, fig.start) and _TO_AFTER.match(text, fig.end):
        return True
    if _INSTEAD_BEFORE.search(text, max(0, fig.start - 40), fig.start):
        return True  # "so instead of TP=2 we run two replicas": what is not done
    if following is not None and following.quantity.kind == fig.quantity.kind and fig.unit_text \
            and following.unit_text and _ARROW_BETWEEN.fullmatch(text, fig.end, following.start):
        return True
    return n > 0 and bool(_VS_BEFORE.search(text, 0, fig.start)) \
        and not _ACTUAL.search(text[max(0, fig.start - 30): fig.start])


def _in_comparison(text: str, start: int) -> bool:
    """Inside parentheses that set figures against each other: "(16.1 GB vs 8.0 GB, 2x)"."""
    open_at = text.rfind("(", 0, start)
    if open_at < 0 or text.rfind(")", 0, start) > open_at:
        return False
    close_at = text.find(")", start)
    inner = text[open_at: close_at if close_at > 0 else len(text)]
    return bool(_COMPARES.search(inner))


def _clause(text: str, fig, before: str, after: str) -> str:
    start = text.rfind(before, 0, fig.start) if before else fig.start
    end = text.find(after, fig.end) + len(after) if after and text.find(after, fig.end) >= 0 else fig.end
    return text[max(start, 0): end]


_ENUMERATOR = regex(r"[.)]\s+(?=[^\W\d_])")
""""12. Headroom", "3) Latency": a number ending in "." or ")" before a word, at the start of its text."""


_COUNTER = regex(r"^[^\w\d]*(\d{1,3})/(\d{1,3})(?=\s+\S)(?!\s+(?:of|the|as|an?)\b)")
""""6/12 batch 1 first": a post's place in its thread, at the start of its text."""


def _is_ordinal(text: str, fig) -> bool:
    """ "Option 2", "GPU 0", "stage 3": a name, not a quantity; "12. Headroom: ..." at the start of a heading or a
    paragraph, its number; "7/12" opening a post of a thread, its place."""
    if fig.quantity.kind != "count" or fig.unit_text:
        return False
    counter = _COUNTER.match(text) if fig.start < 12 else None
    if counter and fig.start in (counter.start(1), counter.start(2)) and int(counter[1]) <= int(counter[2]):
        return True
    return bool(_ORDINAL.search(text[max(0, fig.start - 40): fig.start])) or (
        not text[: fig.start].strip() and _ENUMERATOR.match(text, fig.end) is not None)


def _with_top_k(text: str, figures: list) -> list:
    """ "top-2 routing": the scanner leaves numbers inside hyphenated words alone; this one is a count."""
    if "top" not in text.lower():  # no letter but these matches them in any case
        return figures
    taken = [(f.start, f.end) for f in figures]
    extra = []
    for m in _TOP_K.finditer(text):
        if not any(a < m.end() and m.start(1) < b for a, b in taken):
            q = units.Quantity(float(m.group(1)), "1", "count")
            extra.append(units.Figure(m.start(1), m.end(1), m.group(1), q, "", False))
    return sorted(figures + extra, key=lambda f: f.start) if extra else figures


def _units_carried(text: str, figures: list) -> list:
    """ "from ~9.1K to ~20K tokens/s", "1.1K vs 1.3K tokens/s": the bare side takes the other's unit; so does a
    bare figure "per GPU" right after a figure with a unit ("1,000 tok/s in all, 250 per GPU")."""
    out = list(figures)
    for n in range(len(out) - 1):
        a, b = out[n], out[n + 1]
        between = text[a.end: b.start].strip().lower()
        if between in ("to", "vs", "vs.", "versus", "→", "->", "-", "–", "or", "and") \
                and a.unit_text.strip() in ("", "K", "M", "B", "T") and a.quantity.kind == "count" \
                and b.quantity.kind != "count" and not _KEYED.search(text, max(0, a.start - 12), a.start):
            unit = b.unit_text.strip()
            if unit[:1] in "KMBT" and " " in unit:
                unit = unit.split(" ", 1)[1]
            out[n] = _with_unit(a, unit)
    for n in range(1, len(out)):
        a, b = out[n - 1], out[n]
        if b.quantity.kind == "count" and b.unit_text.strip() in ("", "K", "k", "M") \
                and a.quantity.kind not in ("count", "percent", "ratio") \
                and b.start - a.end <= 40 and _PER_DEVICE.match(text, b.end) \
                and not text[a.end: b.start].rstrip().endswith("="):
            out[n] = _with_unit(b, a.unit_text.split(" ", 1)[1] if a.unit_text[:2] in ("K ", "k ", "M ") else a.unit_text)
    for n in range(len(out) - 1):
        a, b = out[n], out[n + 1]
        if text[a.end: b.start].strip().lower() in ("of", "out of") and a.unit_text.strip() == "" \
                and a.quantity.kind == "count" and b.unit_text.strip() and a.quantity.value <= _number_of(b):
            out[n] = _with_unit(a, b.unit_text.strip())  # "12.9 of 46.7 billion": a part in the whole's unit
    for n in range(len(out) - 1):
        a, b = out[n], out[n + 1]
        if re.fullmatch(r"(?:per\s+\w+\s+)?(?:vs\.?|versus)", text[a.end: b.start].strip(), re.I) and b.quantity.kind == "count" \
                and b.unit_text.strip() in ("", "K", "k", "M") and a.quantity.kind in ("token_rate", "bytes", "time"):
            unit = a.unit_text.strip()  # "4.8K per GPU vs 1.85K": the bare side after takes the unit before
            out[n + 1] = _with_unit(b, unit.split(" ", 1)[1] if unit[:1] in "KMBT" and " " in unit else unit)
    return out


def _number_of(fig) -> float:
    """The number a figure writes, without its unit ("46.7" of "46.7 billion")."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", fig.text)
    return float(m.group(0).replace(",", "")) if m else math.inf


_KEYED = regex(r"(?:\b(?:TP|PP|DP|EP)\s*=?\s*|=\s*)$", re.I)
"""A number that is a key's value ("at TP=2 and ~47 GB left"): a count of its own, whatever follows it."""


def _with_unit(fig, unit: str):
    """A bare number given the unit its table header, its row label or its neighbours write once."""
    if fig.unit_text.strip() not in ("", "K", "M", "B", "T") or fig.quantity.kind != "count" or not unit:
        return fig
    joined = unit[:1] in "KMB" and unit[1:2] == " "  # "K tok/s" is thousands of tokens per second
    found = units.find_figures(f"{fig.text.strip()}{'' if joined else ' '}{unit}")
    if len(found) != 1:
        return fig
    f = found[0]
    return units.Figure(fig.start, fig.end, fig.text, f.quantity, f.unit_text, f.flops_ambiguous, fig.comparison,
                        f.words)


def extract(text: str, max_figures: int = DEFAULT_MAX_FIGURES) -> list[Claim]:
    """All figures a report states, unbound, in document order."""
    if len(_NUMBER.findall(text)) > 3 * max_figures:  # refuse before the expensive parse
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
            cut = max(seg.text.rfind(c, pos + _PIECE // 2, end) for c in (". ", "; ", ", ", "\n", " "))
            end = cut + 1 if cut > pos else end
        lines = seg.line_starts[bisect_right(seg.line_starts, pos): bisect_left(seg.line_starts, end)]
        yield evolve(seg, text=seg.text[pos:end], line=seg.line_of(pos), line_starts=(0, *(s - pos for s in lines)),
                     label=seg.label if pos == 0 else "")
        pos = end
