"""Output formats for many reports at once: `text` (ruff-like lines), `github` (workflow
annotations), `sarif` (SARIF 2.1.0 for code scanning), plus `--statistics`.

Each takes the `ReportResult`s of one run, in the order they were given, and returns a string;
the same results give byte-identical output.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from audit.records import Finding, ReportResult


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
    counts = Counter((f.rule, f.name) for _, f in shown(results))
    if not counts:
        return ""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    count_width = max(len(str(n)) for _, n in rows)
    id_width = max(len(rule) for (rule, _), _ in rows)
    return "".join(f"{n:>{count_width}}\t{rule:<{id_width}}\t{name}\n" for (rule, name), n in rows)
