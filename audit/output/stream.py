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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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
    wrong: int = 0
    """Figures with an unsuppressed error (several findings on one figure count once)."""

    @classmethod
    def of(cls, result: ReportResult) -> Tally:
        shown = [f for f in result.findings if f.suppressed is None]
        per_rule = Counter((f.rule, f.name) for f in shown)
        counts = Counter(f.severity for f in shown)
        from audit.output import figures

        wrong = figures.summary(figures.judged(result))["wrong"] if counts["error"] else 0
        return cls(result.path, result.spec, result.result, counts["error"], counts["warning"], counts["info"],
                   len(result.findings) - len(shown), tuple((r, n, k) for (r, n), k in sorted(per_rule.items())),
                   wrong)


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

    doc = fmt.report_json(result, rules, fmt._text(result, run))
    return Piece(indented(dumps_indented(doc), "    "), Tally.of(result))


def dumps_indented(value: object) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, the same text: with an indent the standard
    library encodes in Python, a generator per container; this walks plain JSON values (str keys) once,
    with the C string encoder, about three times as fast. Anything else goes to `json.dumps`."""
    out: list[str] = []
    try:
        _indented(value, out, "\n")
    except (TypeError, RecursionError):  # a key or value JSON has no plain form for: as json.dumps has it
        return _json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (_INFINITY, -_INFINITY):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


_INFINITY = float("inf")
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _json.encoder.encode_basestring,  # type: ignore[attr-defined]
    int: int.__repr__, float: _float, bool: lambda b: "true" if b else "false", type(None): lambda _: "null"}
"""The text of a scalar of each exact type, as `json.dumps` writes it (a subclass takes `_indented`'s longer way)."""


def _indented(value: object, out: list[str], newline: str) -> None:
    """Append the text of `value` to `out`; `newline` is a newline and the indent of the value's line."""
    if isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        between = "[" + inner
        for item in value:
            scalar = _SCALARS.get(type(item))
            if scalar is not None:
                out.append(between + scalar(item))
            else:
                out.append(between)
                _indented(item, out, inner)
            between = "," + inner
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        between = "{" + inner
        encode = _SCALARS[str]
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("a key that is not a string")
            scalar = _SCALARS.get(type(item))
            if scalar is not None:
                out.append(between + encode(key) + ": " + scalar(item))
            else:
                out.append(between + encode(key) + ": ")
                _indented(item, out, inner)
            between = "," + inner
        out.append(newline + "}")
    elif isinstance(value, str):  # a subclass: the exact types are `_SCALARS`
        out.append(_SCALARS[str](value))
    elif value is None or isinstance(value, bool):
        out.append(_SCALARS[type(value)](value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    else:
        raise TypeError(f"{type(value).__name__} is no JSON value")


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
    from audit.output.text import summary_line

    errors = warnings = reports = wrong = 0
    for p in pieces:
        yield p.text
        errors, warnings, reports = errors + p.tally.errors, warnings + p.tally.warnings, reports + 1
        wrong += p.tally.wrong
    yield summary_line(errors, warnings, reports, wrong) + "\n"


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
    from audit.output import source_text

    seen: dict[str, int] = {}
    items = []
    text = source_text(result.path, run) if any(f.claim is not None for f in result.findings) else None
    lines = text.split("\n") if text is not None else None
    for finding in sorted(result.findings, key=lambda f: (f.line, f.rule)):
        item = fmt._result(result, finding, index.get(finding.rule, -1), Path(run.root), seen, lines)
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
SUMMARY_FIRST = True
"""Where `audit.output.markdown.document` puts the summary table of several reports: first."""
_VERDICTS = {"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}


def markdown_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's verdict and its row of the summary table."""
    from audit.output import markdown as fmt

    row, wrong = fmt.summary_row(result, rules)
    tally = Tally.of(result)
    return Piece(fmt.markdown(result, rules, run.charts.get(result.path, ())), replace(tally, wrong=wrong), row)


def _summary(rows: Sequence[str], results: Sequence[str], wrong: int = 0) -> str:
    """`audit.output.markdown.summary_table` from its rows, each report's result and the wrong figures in all."""
    from audit.output.markdown import summary_text

    return summary_text(rows, results, wrong)


def markdown_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    """The verdicts one after another; with several reports the summary table, built from the rows.
    Rows are kept (a line per report); verdicts are written as they come, or spooled when the
    summary goes first."""
    import tempfile

    rows: list[str] = []
    results: list[str] = []
    wrong = 0
    if not SUMMARY_FIRST:
        for p in pieces:
            yield ("\n" if rows else "") + p.text
            rows.append(p.row)
            results.append(p.tally.result)
            wrong += p.tally.wrong
        if len(rows) > 1:
            yield "\n" + _summary(rows, results, wrong)
        return
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8", newline="") as spool:
        for p in pieces:
            spool.write(("\n" if rows else "") + p.text)
            rows.append(p.row)
            results.append(p.tally.result)
            wrong += p.tally.wrong
        if len(rows) > 1:
            yield _summary(rows, results, wrong) + "\n"
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            yield chunk


# --- github --------------------------------------------------------------------------------------


def github_piece(result: ReportResult, rules: Sequence, run: Run) -> Piece:
    """The report's annotations and, with $GITHUB_STEP_SUMMARY set, its verdict for the job summary."""
    from audit.output import github as fmt

    text = "".join(line + "\n" for _, line in fmt.annotate([result], run))
    if not os.environ.get("GITHUB_STEP_SUMMARY"):
        return Piece(text, Tally.of(result))
    verdict = markdown_piece(result, rules, run)
    return Piece(text, verdict.tally, verdict.row, verdict.text)


def github_join(pieces: Iterator[Piece], run: Run) -> Iterator[str]:
    """The annotations in order, as they come; then the job summary (`audit.output.github.compose_summary`:
    the summary table first, the verdicts that fit under GitHub's limit), spooled until the run ends."""
    import tempfile

    from audit.output import github as fmt

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        for p in pieces:
            yield p.text
        return
    rows: list[str] = []
    results: list[str] = []
    counts = {"error": 0, "warning": 0}
    wrong = 0
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8", newline="") as spool:
        offsets: list[tuple[int, int]] = []
        for p in pieces:
            yield p.text
            counts["error"] += p.text.count("::error ")
            counts["warning"] += p.text.count("::warning ")
            rows.append(p.row)
            results.append(p.tally.result)
            wrong += p.tally.wrong
            start = spool.tell()
            offsets.append((start, spool.write(p.summary)))  # (position, characters)

        def verdicts() -> Iterator[str]:
            for start, size in offsets:
                spool.seek(start)
                yield spool.read(size)

        table = _summary(rows, results, wrong) if len(rows) > 1 else ""
        text = fmt.compose_summary(table, counts, verdicts())
    fmt.write_step_summary(text)


FORMATS: dict[str, tuple[Callable[[ReportResult, Sequence, Run], Piece], Callable[[Iterator[Piece], Run], Iterator[str]]]] = {
    "json": (json_piece, json_join),
    "text": (text_piece, text_join),
    "sarif": (sarif_piece, sarif_join),
    "markdown": (markdown_piece, markdown_join),
    "github": (github_piece, github_join),
}
"""Format name (`audit.output.FORMATS`) -> (piece, join)."""
