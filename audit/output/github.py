"""`--format github`: workflow commands that GitHub Actions shows as annotations on the changed files.

    ::error file=reports/qwen3.md,line=42,title=MEM001 weights-per-device::Weights per device: ...

error and warning findings become `::error` and `::warning`, info findings `::notice`. Values are
escaped exactly as the Actions toolkit does (@actions/core, packages/core/src/command.ts:
`escapeData` and `escapeProperty`), and the Markdown verdict can be appended to the job summary
($GITHUB_STEP_SUMMARY, "Adding a job summary" in GitHub's workflow-commands documentation).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from audit.errors import AuditError
from audit.output import Run, shown
from audit.records import ReportResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(value: str) -> str:
    """A command's message: % -> %25, CR -> %0D, LF -> %0A (@actions/core `escapeData`)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A command's property value: as `escape_data`, and : -> %3A, , -> %2C (@actions/core `escapeProperty`)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, object], message: str) -> str:
    """One workflow command, ``::name key=value,key=value::message``; empty properties are left out."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v not in (None, ""))
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    """One annotation per unsuppressed finding, reports in order, findings by line; with
    $GITHUB_STEP_SUMMARY set, the Markdown verdicts are appended to the job summary."""
    from audit.output.markdown import document

    write_step_summary(document(results, run or Run()))
    lines = [
        command(
            COMMANDS.get(finding.severity, "notice"),
            {"file": result.path, "line": finding.line if finding.line > 0 else None,
             "title": f"{finding.rule} {finding.name}".strip()},
            finding.message,
        )
        for result, finding in shown(results)
    ]
    return "".join(line + "\n" for line in lines)


def write_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> bool:
    """Append `markdown` to the job summary when $GITHUB_STEP_SUMMARY is set; True when written."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with open(target, "a", encoding="utf-8", newline="\n") as f:
            f.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as e:
        raise AuditError(f"cannot write the job summary: {e.strerror or e}", target) from None
    return True
