"""`--format json`: one document for every report, the output contract (docs/output.md).

The document's shape is declared once, by the typed dictionaries below; `audit schema output`
prints the JSON Schema generated from them, and the tests validate every example report's output
against it. Version 1 may grow fields, never lose or change them. Values are in base units, a
percentage is a fraction with unit "%", and the same inputs give byte-identical output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Literal, TypedDict

from audit.output import Run
from audit.records import Claim, Finding, ReportResult

Severity = Literal["error", "warning", "info"]


class ClaimJSON(TypedDict):
    """A figure the report states."""

    line: int
    text: str
    value: float | None
    unit: str
    metric: str | None
    scenario: str | None
    quoted: bool
    label: str
    kind: str
    figure: str
    scope: list[str]


class _FindingRequired(TypedDict):
    rule: str
    name: str
    severity: Severity
    line: int
    scenario: str | None
    metric: str | None
    claimed: float | None
    expected: float | list[float | None] | None
    unit: str
    ratio: float | None
    interpretation: str
    formula: str
    substitution: str
    message: str


class FindingJSON(_FindingRequired, total=False):
    """A rule's judgement of one figure; `expected` is a number, or [low, high] for a bound or a range
    (null for an open end)."""

    suppressed: str


class ReportJSON(TypedDict):
    path: str
    spec: str
    result: Literal["pass", "warn", "fail"]
    claims: list[ClaimJSON]
    findings: list[FindingJSON]


class DocumentJSON(TypedDict):
    """What `audit check --format json` prints."""

    version: Literal[1]
    reports: list[ReportJSON]


def _number(v):
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return [_number(x) for x in v]
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.6g}")


def claim_json(c: Claim) -> ClaimJSON:
    return {"line": c.line, "text": c.text, "value": _number(c.value), "unit": c.unit, "metric": c.metric,
            "scenario": c.scenario, "quoted": c.quoted, "label": c.label, "kind": c.kind,
            "figure": c.figure, "scope": list(c.scope)}


def finding_json(f: Finding) -> FindingJSON:
    out: FindingJSON = {
        "rule": f.rule, "name": f.name, "severity": f.severity, "line": f.line,  # type: ignore[typeddict-item]
        "scenario": f.scenario, "metric": f.metric, "claimed": _number(f.claimed), "expected": _number(f.expected),
        "unit": f.unit, "ratio": _number(f.ratio), "interpretation": f.interpretation, "formula": f.formula,
        "substitution": f.substitution, "message": f.message}
    if f.suppressed is not None:
        out["suppressed"] = f.suppressed
    return out


def report_json(r: ReportResult) -> ReportJSON:
    return {"path": r.path, "spec": r.spec, "result": r.result,  # type: ignore[typeddict-item]
            "claims": [claim_json(c) for c in r.claims],
            "findings": [finding_json(f) for f in r.findings]}


def document(results: Sequence[ReportResult]) -> DocumentJSON:
    return {"version": 1, "reports": [report_json(r) for r in results]}


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict:
    """The JSON Schema of the document, generated from `DocumentJSON`."""
    from pydantic import TypeAdapter

    out = TypeAdapter(DocumentJSON).json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "audit check --format json"
    return out
