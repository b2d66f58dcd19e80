"""`--format text`: one line per finding, ``path:line:col: ID level message``, as ruff and flake8 print them,
with the correction in brackets when there is one.

    reports/qwen3.md:42:24: MEM001 error weights per device: claimed 2.86 GB, first principles give 29.39 GB [fix: 29.39 GB]
    reports/qwen3.md:65:18: LAT004 warning decode step 10 ms is below 40.82 ms ... [fix: >= 40.9 ms]
    27 errors, 7 warnings in 1 report (18 wrong figures)

The column is the figure's (1-based, in characters) when the report's text can be read, else 1; a
finding about the whole report (no spec, no figures) is on line 1, column 1. Suppressed findings are
left out; the last line counts errors and warnings over all reports, and the wrong figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.output import Run, figures, shown
from audit.records import ReportResult


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    """The findings of `results` as lines, then the summary line."""
    run = run or Run()
    lines: list[str] = []
    errors = warnings = wrong = 0
    for result in results:
        lines.extend(lines_of(result, run))
        e, w, k = counts_of(result)
        errors, warnings, wrong = errors + e, warnings + w, wrong + k
    lines.append(summary_line(errors, warnings, len(results), wrong))
    return "\n".join(lines) + "\n"


def lines_of(result: ReportResult, run: Run) -> list[str]:
    """The lines of one report's unsuppressed findings, by (line, rule)."""
    from audit.output import source_text
    from audit.output.fix import locate

    text = source_text(result.path, run) if any(f.claim is not None for f in result.findings) else None
    source = text.split("\n") if text is not None else None
    out = []
    for _, finding in shown([result]):
        message = " ".join(finding.message.split())
        line, column = (finding.line, 1) if finding.line > 0 else (1, 1)
        if source is not None and finding.claim is not None:
            place = locate(finding.claim, source, result.claims)
            if place is not None:
                column = place.start
        fix = f" [fix: {finding.suggestion}]" if finding.suggestion else ""
        out.append(f"{result.path}:{line}:{column}: {finding.rule} {finding.severity} {message}{fix}")
    return out


def counts_of(result: ReportResult) -> tuple[int, int, int]:
    """(errors, warnings, wrong figures) of one report, unsuppressed."""
    shown_ = [f for f in result.findings if f.suppressed is None]
    return (sum(f.severity == "error" for f in shown_), sum(f.severity == "warning" for f in shown_),
            figures.summary(figures.judged(result))["wrong"])


def summary_line(errors: int, warnings: int, reports: int, wrong: int) -> str:
    tail = f" ({_count(wrong, 'wrong figure')})" if wrong else ""
    return f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(reports, 'report')}{tail}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
