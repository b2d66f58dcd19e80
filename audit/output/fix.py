"""Corrections applied to a report: where each figure stands in the source, the report with its confident
errors corrected, and the unified diff of the two (`audit check --diff`, `--fix`, SARIF `fixes`).

A figure is found on its line by the figure as written; when it is written more than once on the line,
the claims of that line with the same text, in document order, say which occurrence it is. A figure
written in a form the source does not hold verbatim (inline Markdown inside it) has no place and is
not corrected.

Only confident errors are corrected (an unsure binding is a warning at most, and warnings are left to
the writer). Figures that follow from a corrected one in the report's own arithmetic (a total, a
percentage of it, a ratio) are corrected with it: values that physics recomputes are corrected first,
the report is audited again, and the errors of its own arithmetic that the corrections leave (a total
that is no longer the sum of its corrected parts) are corrected in turn, then the floors and ceilings,
a few rounds at most.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from audit.precompiled import regex
from audit.records import Claim, Finding, ReportResult

MAX_ROUNDS = 8
_COMPARATOR = regex(r"(?:>=|<=|≥|≤)\s*$")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a figure is written: 1-based line, 1-based start column and the column just past it
    (Unicode code points, as SARIF's `columnKind: unicodeCodePoints` counts them)."""

    line: int
    start: int
    end: int


def locate(claim: Claim, lines: Sequence[str], claims: Sequence[Claim] = ()) -> Place | None:
    """The place of `claim`'s figure in the report `lines` (without line ends), None when it is not there."""
    if not claim.figure or not 1 <= claim.line <= len(lines):
        return None
    positions, same = _occurrences(lines, claims, claim.line, claim.figure)
    if not positions:
        return None
    rank = same.get(claim.index, 0) if len(positions) > 1 else 0  # written more than once: the claims before it tell
    at = positions[min(rank, len(positions) - 1)]
    return Place(claim.line, at + 1, at + 1 + len(claim.figure))


_SEEN: list = [None, None, {}, {}]
"""The lines and claims of the report last located in; (line, figure) -> each claim's rank among its line's claims
of that figure, and -> where the figure stands on the line: a line of 10^4 figures is located in linear time."""


def _occurrences(lines: Sequence[str], claims: Sequence[Claim], line: int, figure: str) -> tuple[list[int], dict[int, int]]:
    if _SEEN[0] is not lines or _SEEN[1] is not claims:
        ranks: dict[tuple[int, str], dict[int, int]] = {}
        for c in claims:
            of = ranks.setdefault((c.line, c.figure), {})
            of[c.index] = len(of)
        _SEEN[:] = [lines, claims, ranks, {}]
    ranks, found = _SEEN[2], _SEEN[3]
    key = (line, figure)
    if key not in found:
        text, positions = lines[line - 1], []
        at = text.find(figure)
        while at >= 0:
            positions.append(at)
            at = text.find(figure, at + len(figure))
        found[key] = positions
    return found[key], ranks.get(key, {})


def confident(finding: Finding) -> bool:
    """An error the tool is sure of: unsuppressed, not unsure, with a correction."""
    return (finding.severity == "error" and finding.suppressed is None and not finding.unsure
            and finding.suggestion is not None and finding.claim is not None)


def corrections(result: ReportResult, lines: Sequence[str],
                consistency: Callable[[Finding], bool] = lambda f: False) -> dict[Place, str]:
    """Place -> replacement for the confident errors of `result` this round, one per figure, leaving out
    those the text already says.

    A figure is corrected on the first of these that applies: a value physics recomputes; the report's own
    arithmetic (a total of its parts, a share of its whole), once no other figure of its list, row or
    paragraph waits for a correction of its own (its premises are right); a physics floor or ceiling.
    Values go alone in a round: the totals and shares they feed are audited again before they are touched."""
    from audit.output.figures import rank, reference

    kinds: dict[int, dict[str, Finding]] = {}
    for f in result.findings:
        if not confident(f):
            continue
        assert f.claim is not None
        kind = "arithmetic" if consistency(f) else "value" if reference(f.expected)[1] == "value" else "bound"
        held = kinds.setdefault(f.claim.index, {}).get(kind)
        if held is None or rank(f) < rank(held):
            kinds[f.claim.index][kind] = f
    claims = {c.index: c for c in result.claims}
    pending_groups: dict[int, set[int]] = {}
    for index, by_kind in kinds.items():
        if "value" in by_kind or "bound" in by_kind:
            group = claims[index].group if index in claims else -1
            pending_groups.setdefault(group, set()).add(index)

    def premises_clean(index: int) -> bool:
        group = claims[index].group if index in claims else -1
        return not (pending_groups.get(group, set()) - {index})

    values = {i: k["value"] for i, k in kinds.items() if "value" in k}
    if values:
        chosen = values
    else:
        chosen = {}
        for index, by_kind in kinds.items():
            if "arithmetic" in by_kind and premises_clean(index):
                chosen[index] = by_kind["arithmetic"]
            elif "bound" in by_kind:
                chosen[index] = by_kind["bound"]
    out: dict[Place, str] = {}
    for f in chosen.values():
        assert f.claim is not None and f.suggestion is not None
        place = locate(f.claim, lines, result.claims)
        if place is not None and f.suggestion.startswith((">=", "<=")):  # ">= 0.37 s" -> ">= 0.52 s", not ">= >="
            before = _COMPARATOR.search(lines[place.line - 1][: place.start - 1])
            if before:
                place = Place(place.line, before.start() + 1, place.end)
        suggestion = f.suggestion
        if place is None:  # "$14.7$ GB", "15.2&nbsp;GB": the number as written, where the unit is written apart
            place, suggestion = _number_place(f.claim, lines, f.suggestion)
        if place is None or lines[place.line - 1][place.start - 1: place.end - 1] == suggestion:
            continue
        out[place] = suggestion
    return out


_NUMBER = regex(r"[~≈]?\s*\d[\d,]*(?:\.\d+)?")


def _number_place(claim: Claim, lines: Sequence[str], suggestion: str) -> tuple[Place | None, str]:
    """The figure's number alone, when the line writes it once and the correction keeps the figure's unit:
    "$14.7$ GB" corrected to 29.4 GB is "$29.4$ GB"."""
    figure, fix = _NUMBER.match(claim.figure), _NUMBER.match(suggestion)
    if figure is None or fix is None or claim.figure[figure.end():].strip() != suggestion[fix.end():].strip():
        return None, suggestion
    number = figure.group(0).lstrip("~≈ ")
    text = lines[claim.line - 1] if 1 <= claim.line <= len(lines) else ""
    found = [m.start() for m in re.finditer(rf"(?<![\d.,]){re.escape(number)}(?![\d.,]*\d)", text)]
    if len(found) != 1:
        return None, suggestion
    return Place(claim.line, found[0] + 1, found[0] + 1 + len(number)), fix.group(0).lstrip("~≈ ")


def apply(text: str, changes: dict[Place, str]) -> str:
    """`text` with each place replaced; places on one line are applied right to left."""
    lines = text.split("\n")
    for place in sorted(changes, key=lambda p: (p.line, -p.start)):
        line = lines[place.line - 1]
        lines[place.line - 1] = line[: place.start - 1] + changes[place] + line[place.end - 1:]
    return "\n".join(lines)


def fixed(text: str, audit: Callable[[str], ReportResult], consistency: Callable[[Finding], bool]) \
        -> tuple[str, ReportResult, set[int]]:
    """The report with its confident errors corrected, the audit of the corrected text, and the lines changed.

    `audit(text)` audits a text (suggestions set); `consistency(finding)` tells the findings of the report's
    own arithmetic. Each round corrects what `corrections` picks, and the report is audited again, so that a
    total or a percentage is recomputed from its corrected parts."""
    result = audit(text)
    changed: set[int] = set()
    for _ in range(MAX_ROUNDS):
        changes = corrections(result, text.split("\n"), consistency)
        if not changes:
            break
        text = apply(text, changes)
        changed |= {p.line for p in changes}
        result = audit(text)
    return text, result, changed


def unified_diff(before: str, after: str, path: str) -> str:
    """`git diff`-style unified diff of a report; empty when nothing changed."""
    if before == after:
        return ""
    diff = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in diff:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
