"""`--format github`: workflow commands that GitHub Actions shows as annotations on the changed files.

    ::error file=reports/qwen3.md,line=42,col=24,endColumn=31,title=MEM001 weights-per-device::weights per device: ...

One annotation per figure (the findings several rules make about one figure are one annotation, the
others named in it), with the correction when there is one: error and warning findings become
`::error` and `::warning`, info findings `::notice`. Values are escaped exactly as the Actions toolkit
does (@actions/core, packages/core/src/command.ts: `escapeData` and `escapeProperty`).

The Markdown verdicts are appended to the job summary ($GITHUB_STEP_SUMMARY, "Adding a job summary"
in GitHub's workflow-commands documentation), capped below GitHub's 1 MiB per step: the summary table
first, then as many verdicts as fit, then how many more there are. GitHub shows at most 10 error and 10
warning annotations per step; the summary says how many more the run found.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from audit.errors import AuditError
from audit.output import Run, figures
from audit.records import ReportResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
SUMMARY_LIMIT = 1_000_000
"""Bytes a step may append to the job summary: GitHub refuses more than 1 MiB (1,048,576) per step."""
ANNOTATIONS_SHOWN = 10
"""Annotations of each level (error, warning) GitHub shows per step."""


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


def annotate(results: Sequence[ReportResult], run: Run) -> list[tuple[str, str]]:
    """(level, command) per judged figure with a finding, reports in order, figures by line."""
    from audit.output import source_text
    from audit.output.fix import locate

    out = []
    checks = run.checks
    for result in results:
        found = [j for j in figures.judged(result, checks=checks) if j.findings]
        text = source_text(result.path, run) if any(j.claim is not None for j in found) else None
        lines = text.split("\n") if text is not None else None
        for j in sorted(found, key=lambda j: (j.line, j.rules)):
            f = j.findings[0]
            place = locate(j.claim, lines, result.claims) if lines is not None and j.claim is not None else None
            message = " ".join(f.message.split())
            if f.suggestion:
                message += f" Correct to: {f.suggestion}."
            others = j.findings[1:]
            if others:
                message += " Also: " + "; ".join(f"{g.rule} {' '.join(g.message.split())}" for g in others)
            level = COMMANDS.get(f.severity, "notice")
            props = {"file": result.path, "line": f.line if f.line > 0 else None,
                     "col": place.start if place else None, "endColumn": place.end if place else None,
                     "title": f"{f.rule} {f.name}".strip()}
            out.append((level, command(level, props, message)))
    return out


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    """One annotation per figure with findings; with $GITHUB_STEP_SUMMARY set, the Markdown verdicts (capped)
    are appended to the job summary."""
    run = run or Run()
    found = annotate(results, run)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        write_step_summary(step_summary(results, run, found))
    return "".join(line + "\n" for _, line in found)


def step_summary(results: Sequence[ReportResult], run: Run, found: Sequence[tuple[str, str]] = (),
                 limit: int = SUMMARY_LIMIT) -> str:
    """The job summary: the summary table, the verdicts that fit in `limit` bytes, then what was left out."""
    from audit.output.markdown import markdown, summary_table

    rules = list(run.rules) or [()] * len(results)
    table = summary_table(results, rules) if len(results) > 1 else ""
    counts = {level: sum(1 for lv, _ in found if lv == level) for level in ("error", "warning")}
    verdicts = (markdown(r, rs, run.charts.get(r.path, ())) for r, rs in zip(results, rules, strict=True))
    return compose_summary(table, counts, verdicts, limit)


def compose_summary(table: str, counts: Mapping[str, int], verdicts, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary from its parts: the summary table ("" for one report), the annotations per level, and
    the verdicts in order (an iterable: a streamed run gives them as they come)."""
    head = table
    beyond = {level: max(0, counts.get(level, 0) - ANNOTATIONS_SHOWN) for level in ("error", "warning")}
    if any(beyond.values()):
        head += (f"\nGitHub shows {ANNOTATIONS_SHOWN} error and {ANNOTATIONS_SHOWN} warning annotations per step: "
                 f"{beyond['error']} more error and {beyond['warning']} more warning annotation"
                 f"{'' if beyond['warning'] == 1 else 's'} are in the verdicts below and in `--format sarif`.\n")
    parts, size = [head] if head else [], len(head.encode("utf-8"))
    left_out = 0
    reserve = 400  # for the closing line
    for verdict in verdicts:
        need = len(verdict.encode("utf-8")) + 1
        if left_out or size + need > limit - reserve:
            left_out += 1
            continue
        parts.append(verdict)
        size += need
    if left_out:
        parts.append(f"\n{left_out} more report{'' if left_out == 1 else 's'} not shown: the job summary holds "
                     f"at most 1 MiB per step. The summary table above lists every report; run `audit check` "
                     "with `--format markdown -o verdicts.md` and upload it as an artifact to keep them all.\n")
    return "\n".join(parts)


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
