"""`--format sarif`: SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for GitHub code
scanning and other SARIF viewers.

One run; `tool.driver` carries every rule (id, name, short and full description, help, default
level); each finding is a result with its rule, level, message, the report's path relative to the
repository root (uriBaseId %SRCROOT%), line and columns, and a partial fingerprint that survives lines moving:
a hash of the rule id, the claim's text (whitespace folded, case ignored) and the scenario, with an
occurrence number when the same claim repeats. Suppressed findings stay, with
``suppressions: [{"kind": "inSource", "justification": ...}]`` (SARIF 2.1.0 section 3.35), so code
scanning shows them as dismissed. A finding with a correction carries it as a `fix` (3.55): one artifact
change replacing the figure's region with the corrected figure. Columns (and so fixes) need the report's
text (`Run.sources`, else the file); without it a result has its line only. Keys are sorted and nothing depends on the clock.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from audit import __version__
from audit.output import Run, source_text
from audit.records import Finding, ReportResult, RuleInfo

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "auditClaimHash/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
"""Our severities -> SARIF `level` (3.27.10: none, note, warning, error)."""


def render(results: Sequence[ReportResult], run: Run) -> str:
    """The SARIF log of `results` as JSON text; paths are made relative to `run.root` (the repository)."""
    root = run.root
    descriptors = _rules(run.infos, results)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    sarif_results = []
    for result in results:
        seen: dict[str, int] = {}
        text = source_text(result.path, run) if any(f.claim is not None for f in result.findings) else None
        lines = text.split("\n") if text is not None else None
        for finding in sorted(result.findings, key=lambda f: (f.line, f.rule)):
            sarif_results.append(_result(result, finding, index[finding.rule], Path(root), seen, lines))
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "audit",
                        "version": __version__,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def fingerprint(finding: Finding) -> str:
    """Stable identity of a finding across edits that move it: sha256 of rule, claim text and scenario.

    The line number is left out on purpose (SARIF 3.27.17: partialFingerprints should not change
    when unrelated lines are added). Findings without a claim use their message instead.
    """
    text = finding.claim.text if finding.claim is not None else finding.message
    parts = (finding.rule, " ".join(text.split()).casefold(), finding.scenario or "")
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _rules(rules: Sequence[RuleInfo], results: Sequence[ReportResult]) -> list[dict]:
    """reportingDescriptor objects sorted by id; rules that only appear in findings get a plain one."""
    by_id = {r.id: r for r in rules}
    for result in results:
        for f in result.findings:
            if f.rule not in by_id:
                by_id[f.rule] = RuleInfo(id=f.rule, name=f.name, level=f.severity, check="", description=f.name)
    return [_descriptor(by_id[rule_id]) for rule_id in sorted(by_id)]


def _descriptor(rule: RuleInfo) -> dict:
    description = " ".join(rule.description.split()) or rule.name or rule.id
    short = description.split(". ")[0].rstrip(".") + "."
    help_text = description if not rule.example else f"{description}\n\nExample:\n{rule.example}"
    help_markdown = description if not rule.example else f"{description}\n\nExample:\n\n```\n{rule.example}\n```"
    descriptor = {
        "id": rule.id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS.get(rule.level, "warning")},
    }
    if rule.name:
        descriptor["name"] = rule.name
    if rule.check:
        descriptor["properties"] = {"tags": [rule.check]}
    return descriptor


def _result(report: ReportResult, finding: Finding, rule_index: int, root: Path, seen: dict[str, int],
            lines: list[str] | None = None) -> dict:
    from audit.output.fix import locate

    digest = fingerprint(finding)
    seen[digest] = seen.get(digest, 0) + 1
    artifact = _artifact(report.path, root)
    physical: dict = {"artifactLocation": artifact}
    place = locate(finding.claim, lines, report.claims) if lines is not None and finding.claim is not None else None
    if place is not None:
        physical["region"] = {"startLine": place.line, "startColumn": place.start, "endColumn": place.end}
    elif finding.line >= 1:
        physical["region"] = {"startLine": finding.line}
    out: dict = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: f"{digest}:{seen[digest]}"},
    }
    properties = {
        k: v
        for k, v in (
            ("scenario", finding.scenario),
            ("metric", finding.metric),
            ("claimed", _number(finding.claimed)),
            ("expected", [_number(v) for v in finding.expected] if isinstance(finding.expected, tuple)
             else _number(finding.expected)),
            ("unit", finding.unit or None),
            ("interpretation", finding.interpretation or None),
            ("suggestion", finding.suggestion),
        )
        if v is not None
    }
    if properties:
        out["properties"] = properties
    if finding.suppressed is not None:
        out["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
    if place is not None and finding.suggestion is not None:
        out["fixes"] = [{
            "description": {"text": f"Correct {finding.claim.figure if finding.claim else 'the figure'} "
                                    f"to {finding.suggestion}"},
            "artifactChanges": [{
                "artifactLocation": artifact,
                "replacements": [{
                    "deletedRegion": {"startLine": place.line, "startColumn": place.start, "endColumn": place.end},
                    "insertedContent": {"text": finding.suggestion},
                }],
            }],
        }]
    return out


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: an unbounded side of a range becomes null."""
    return value if value is None or math.isfinite(value) else None


def _artifact(path: str, root: Path) -> dict:
    """artifactLocation of a report: POSIX path relative to `root` under %SRCROOT%, else a file: URI."""
    resolved = Path(path).resolve()
    try:
        relative = resolved.relative_to(root.resolve())
    except ValueError:
        return {"uri": resolved.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}
