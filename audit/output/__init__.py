"""Output: every format a run can be written in, as a registry, plus `--statistics`.

Each format is a module with `render(results, run) -> str`: the `ReportResult`s of one run, in the
order they were given, and what the run knows besides (the rules it ran, the repository root).
The same results give byte-identical output. `FORMATS` is the one list of them: the CLI's
`--format` choices, the configuration's `format:` values and the documentation come from it.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from audit.records import Finding, ReportResult, RuleInfo

FORMATS: dict[str, str] = {
    "markdown": "the verdict a person reads: a row per judged figure with its correction, then the evidence",
    "text": "one line per finding, path:line:col: ID level message [fix: correction], as ruff prints them",
    "json": "one JSON document for every report (`audit schema output` prints its JSON Schema)",
    "sarif": "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers",
    "github": "GitHub Actions annotations, and the Markdown verdicts in the job summary",
}
"""Format name -> what it is; the module `audit.output.<name>` renders it."""

CHOICES = ("auto", *FORMATS)
"""What --format and `format:` accept: a format, or auto (github under GitHub Actions, else markdown)."""


@dataclass(frozen=True, slots=True)
class Run:
    """What a format may need beyond the results."""

    rules: Sequence[Sequence] = ()
    """Per result, the rules that ran and were selected for it (the Markdown verdict's checked figures)."""
    infos: Sequence[RuleInfo] = ()
    """Every rule of the run, suppression rules included (SARIF's rule descriptors)."""
    root: Path = field(default_factory=Path.cwd)
    """The repository root that SARIF paths are relative to."""
    charts: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    """Report path -> (scenario, chart path) of the roofline charts written for it (`--charts DIR`)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Report path -> its text, when the run has it (SARIF fixes and columns need the lines)."""

    @property
    def checks(self) -> dict[str, str]:
        """Rule id -> its check kind (recompute, bound, consistency, requirement, suppression, run)."""
        out = {info.id: info.check for info in self.infos}
        for rules in self.rules:
            out.update((r.id, r.spec.check) for r in rules)
        return out


def source_text(path: str, run: Run) -> str | None:
    """The text of report `path` for columns and fixes: the run's, else the file's as it is now (None when it
    cannot be read: the formats then give lines without columns)."""
    text = run.sources.get(path)
    if text is not None:
        return text
    from audit.errors import AuditError
    from audit.extract import read_report

    try:
        return read_report(path)
    except (AuditError, OSError, ValueError):
        return None


def render(name: str, results: Sequence[ReportResult], run: Run) -> str:
    """The run's results in format `name` (a key of `FORMATS`)."""
    module = importlib.import_module(f"audit.output.{name}")
    return module.render(results, run)


def resolve_format(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The format `--format auto` stands for: github on GitHub Actions (GITHUB_ACTIONS=true), else
    markdown, the verdict a person reads. Other CI services get what they ask for with --format."""
    if name != "auto":
        return name
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "markdown"


def shown(results: Sequence[ReportResult]) -> Iterator[tuple[ReportResult, Finding]]:
    """(report, finding) for every unsuppressed finding: reports in order, findings by (line, rule)."""
    for result in results:
        for finding in sorted(result.findings, key=lambda f: (f.line, f.rule)):
            if finding.suppressed is None:
                yield result, finding


def statistics(results: Sequence[ReportResult]) -> str:
    """Unsuppressed findings counted per rule, most frequent first, like `ruff --statistics`.

    Lines are ``count<TAB>ID<TAB>name``, the count right-aligned and the id left-aligned to the
    widest of the column; empty when there is nothing to count.
    """
    return format_statistics(Counter((f.rule, f.name) for _, f in shown(results)))


def format_statistics(counts: Mapping[tuple[str, str], int]) -> str:
    """`statistics` of findings already counted per (rule, name) (a streamed run keeps only counts)."""
    if not counts:
        return ""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    count_width = max(len(str(n)) for _, n in rows)
    id_width = max(len(rule) for (rule, _), _ in rows)
    return "".join(f"{n:>{count_width}}\t{rule:<{id_width}}\t{name}\n" for (rule, name), n in rows)
