"""Output written as a run goes: each report's part rendered where it was audited, the parts joined
in input order, so that no process holds the whole run (`audit.batch.stream`).

A worker turns a `ReportResult` into a `Piece`: the report's text in the run's format, plus a
`Tally`, the little the parent keeps of it (counts for the summary line, the exit status and
`--statistics`). Each format has a pair below, `piece(result, rules, run) -> Piece` (in the worker)
and `join(pieces, run) -> Iterator[str]` (in the parent), built from the format module's own
functions, and `"".join(join(pieces))` is byte for byte what the module's `render(results, run)`
writes: tests/test_stream.py holds every format to that, so a change to a format that the pair
does not follow fails there.
"""

from __future__ import annotations

import json as _json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.errors import AuditError
from audit.output import Run
from audit.records import ReportResult

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Tally:
    """What a run keeps of one report once its part of the output is written: a few hundred bytes."""

    path: str
    spec: str
    result: str
    """pass | warn | fail, as `ReportResult.result`."""
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    """Unsuppressed findings per severity."""
    suppressed: int = 0
    rules: tuple[tuple[str, str, int], ...] = ()
    """(rule id, rule name, unsuppressed findings) per rule that spoke, by id."""

    @classmethod
    def of(cls, result: ReportResult) -> Tally:
        shown = [f for f in result.findings if f.suppressed is None]
        per_rule = Counter((f.rule, f.name) for f in shown)
        counts = Counter(f.severity for f in shown)
        return cls(result.path, result.spec, result.result, counts["error"], counts["warning"], counts["info"],
                   len(result.findings) - len(shown), tuple((r, n, k) for (r, n), k in sorted(per_rule.items())))


@dataclass(frozen=True, slots=True)
class Piece:
    """One report's part of a run's output, rendered in the process that audited it."""

    text: str
    tally: Tally
    row: str = ""
    """Its line of a summary table (the Markdown summary), when the format has one."""
    summary: str = ""
    """Its Markdown verdict for a job summary (`--format github` with $GITHUB_STEP_SUMMARY set)."""


@dataclass(frozen=True, slots=True)
class Renderer:
    """What a worker needs to render pieces: the format and what the run knows (picklable)."""

    name: str
    run: Run

    def piece(self, result: ReportResult, rules: Sequence) -> Piece:
        return FORMATS[self.name][0](result, rules, self.run)

    def join(self, pieces: Iterable[Piece]) -> Iterator[str]:
        return FORMATS[self.name][1](iter(pieces), self.run)


def statistics(tallies: Iterable[Tally]) -> str:
    """`audit.output.statistics` from tallies: findings per rule, most frequent first."""
    from audit.output import format_statistics

    counts: Counter = Counter()
    for tally in tallies:
        for rule, name, n in tally.rules:
            counts[rule, name] += n
    return format_statistics(counts)


def indented(text: str, prefix: str) -> str:
    """`text` with `prefix` before every line (JSON pieces nested in a document's array)."""
    return prefix + text.replace("\n", "\n" + prefix)


def around_empty(document: str, key: str) -> tuple[str, str, str]:
    """(head, tail, indent of the array's items) of a JSON `document` rendered with `"key": []`: a
    streamed run writes head, its items (indented, separated by ",\n"), tail."""
    at = document.index(f'"{key}": []')
    line_start = document.rindex("\n", 0, at) + 1
    indent = " " * (at - line_start)
    bracket = document.index("[", at)
    return document[:bracket + 1] + "\n", "\n" + indent + "]" + document[bracket + 2:], indent + "  "


# --- json ----------------------------------------------------------------------------------------


def json_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's object, indented as in the document."""
    from audit.output import json as fmt

    return Piece(indented(_json.dumps(fmt.report_json(result), indent=2, ensure_ascii=False), "    "), Tally.of(result))


def json_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    from audit.output import json as fmt

    empty = fmt.render([], run)
    first = next(pieces, None)
    if first is None:
        yield empty
        return
    head, tail, _ = around_empty(empty, "reports")
    yield head + first.text
    for p in pieces:
        yield ",\n" + p.text
    yield tail


# --- text ----------------------------------------------------------------------------------------


def text_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's lines: those `render` gives for it alone, without the summary line."""
    from audit.output import text as fmt

    lines = fmt.render([result], run)
    return Piece(lines[: lines.rstrip("\n").rfind("\n") + 1], Tally.of(result))


def text_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    from audit.output.text import _count

    errors = warnings = reports = 0
    for p in pieces:
        yield p.text
        errors, warnings, reports = errors + p.tally.errors, warnings + p.tally.warnings, reports + 1
    yield f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(reports, 'report')}\n"


# --- sarif ---------------------------------------------------------------------------------------

_SARIF_INDEX: dict[int, tuple[Sequence, dict[str, int]]] = {}
"""id(run.infos) -> (run.infos, rule id -> index of its descriptor): once per run and process."""


def sarif_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's SARIF results, indented as in the log. Every rule of the run is in `run.infos`
    (`audit check` puts them there); a finding of another rule has no ruleIndex."""
    from audit.output import sarif as fmt

    cached = _SARIF_INDEX.get(id(run.infos))
    if cached is None or cached[0] is not run.infos:
        descriptors = fmt._rules(run.infos, ())
        cached = _SARIF_INDEX[id(run.infos)] = (run.infos, {d["id"]: i for i, d in enumerate(descriptors)})
    index = cached[1]
    seen: dict[str, int] = {}
    items = []
    for finding in sorted(result.findings, key=lambda f: (f.line, f.rule)):
        item = fmt._result(result, finding, index.get(finding.rule, -1), Path(run.root), seen)
        if item["ruleIndex"] < 0:
            del item["ruleIndex"]
        items.append(indented(_json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False), " " * 8))
    return Piece(",\n".join(items), Tally.of(result))


def sarif_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    from audit.output import sarif as fmt

    empty = fmt.render([], run)
    head, tail, _ = around_empty(empty, "results")
    started = False
    for p in pieces:
        if p.text:
            yield (",\n" if started else head) + p.text
            started = True
    yield tail if started else empty


# --- markdown ------------------------------------------------------------------------------------

SPOOL_BYTES = 8_000_000
"""Verdicts that must wait for a summary table written before them stay in memory up to this size,
then go to a temporary file."""
SUMMARY_FIRST = False
"""Where `audit.output.markdown.document` puts the summary table of several reports."""
_VERDICTS = {"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}


def markdown_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's verdict and its row of the summary table."""
    from audit.output import markdown as fmt

    row = (f"| {fmt.md_escape(result.path)} | {fmt.md_escape(result.spec)} | {_VERDICTS[result.result]} | ")
    tally = Tally.of(result)
    row += f"{tally.errors} | {tally.warnings} | {tally.infos} | {tally.suppressed} |"
    return Piece(fmt.markdown(result, rules), tally, row)


def _summary(rows: Sequence[str], results: Sequence[str]) -> str:
    """`audit.output.markdown.summary_table` from its rows and each report's result."""
    lines = ["# Summary", "", "| report | spec | result | errors | warnings | info | suppressed |",
             "|---|---|---|---|---|---|---|", *rows]
    totals = {state: sum(r == state for r in results) for state in ("fail", "warn", "pass")}
    lines += ["", f"{len(rows)} reports: {totals['fail']} fail, {totals['warn']} pass with warnings, "
              f"{totals['pass']} pass."]
    return "\n".join(lines) + "\n"


def markdown_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    """The verdicts one after another; with several reports the summary table, built from the rows.
    Rows are kept (a line per report); verdicts are written as they come, or spooled when the
    summary goes first."""
    import tempfile

    rows: list[str] = []
    results: list[str] = []
    if not SUMMARY_FIRST:
        for p in pieces:
            yield ("\n" if rows else "") + p.text
            rows.append(p.row)
            results.append(p.tally.result)
        if len(rows) > 1:
            yield "\n" + _summary(rows, results)
        return
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8", newline="") as spool:
        for p in pieces:
            spool.write(("\n" if rows else "") + p.text)
            rows.append(p.row)
            results.append(p.tally.result)
        if len(rows) > 1:
            yield _summary(rows, results) + "\n"
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            yield chunk


# --- github --------------------------------------------------------------------------------------


def github_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's annotations and, with $GITHUB_STEP_SUMMARY set, its verdict for the job summary."""
    from audit.output import github as fmt
    from audit.output import shown

    text = "".join(fmt.command(fmt.COMMANDS.get(f.severity, "notice"),
                               {"file": r.path, "line": f.line if f.line > 0 else None,
                                "title": f"{f.rule} {f.name}".strip()}, f.message) + "\n"
                   for r, f in shown([result]))
    if not os.environ.get("GITHUB_STEP_SUMMARY"):
        return Piece(text, Tally.of(result))
    verdict = markdown_piece(result, rules, run)
    return Piece(text, verdict.tally, verdict.row, verdict.text)


def github_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    """The annotations in order; the verdicts appended to the job summary as they come."""
    from collections import deque

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        for p in pieces:
            yield p.text
        return
    waiting: deque[str] = deque()

    def verdicts() -> Iterator[Piece]:
        for p in pieces:
            waiting.append(p.text)
            yield Piece(p.summary, p.tally, p.row)

    try:
        with open(target, "a", encoding="utf-8", newline="\n") as f:
            last = ""  # an empty run still writes its newline, as `render` does
            for chunk in markdown_join(verdicts(), run):
                if chunk:
                    f.write(chunk)
                    last = chunk[-1]
                while waiting:
                    yield waiting.popleft()
            if last != "\n":
                f.write("\n")
    except OSError as e:
        raise AuditError(f"cannot write the job summary: {e.strerror or e}", target) from None
    yield from waiting


FORMATS: dict[str, tuple[Callable[[ReportResult, Sequence, Run], Piece], Callable[[Iterator[Piece], Run], Iterator[str]]]] = {
    "json": (json_piece, json_join),
    "text": (text_piece, text_join),
    "sarif": (sarif_piece, sarif_join),
    "markdown": (markdown_piece, markdown_join),
    "github": (github_piece, github_join),
}
"""Format name (`audit.output.FORMATS`) -> (piece, join)."""
