"""`--format text`: one line per finding, ``path:line: ID level message``, as ruff and flake8 print them.

    reports/qwen3.md:42: MEM001 error Weights per device: claimed 2.86 GB, first principles give 29.4 GB
    reports/qwen3.md:57: TTFT002 warning TTFT needs 94% MFU
    2 errors, 1 warning in 1 report

Suppressed findings are left out; the last line counts errors and warnings over all reports.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.output import Run, shown
from audit.records import ReportResult


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    """The findings of `results` as lines, then the summary line."""
    lines, errors, warnings = [], 0, 0
    for result, finding in shown(results):
        message = " ".join(finding.message.split())
        lines.append(f"{result.path}:{finding.line}: {finding.rule} {finding.severity} {message}")
        errors += finding.severity == "error"
        warnings += finding.severity == "warning"
    lines.append(f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(len(results), 'report')}")
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
