"""`--format json`: one document for every report, the output contract (docs/output.md).

The document's shape is declared once, by the typed dictionaries below; `audit schema output`
prints the JSON Schema generated from them, and the tests validate every example report's output
against it. Version 1 may grow fields, never lose or change them: each claim has grown its `status` and
the indices of its `findings`, each finding its `suggestion` (the corrected figure as the report would
write it), `bound`, `canonical` and `off_by`, each report its `summary` (counts of figures). Values are in base units, a
percentage is a fraction with unit "%", and the same inputs give byte-identical output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Literal

from typing_extensions import TypedDict  # pydantic reads field types of it on Python 3.11 too

from audit.output import Run
from audit.records import Claim, Finding, ReportResult

Severity = Literal["error", "warning", "info"]
_DOCUMENTED = {"use_attribute_docstrings": True}
"""The field docstrings below become the descriptions of the published schema."""


class _ClaimRequired(TypedDict):
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
    status: Literal["pass", "fail", "warn", "unverified"]
    """pass: judged and confirmed; fail: an error; warn: a warning; unverified: not checkable with the spec,
    quoted to be disputed, about another model or accelerator (`about`), or bound to no metric."""
    findings: list[int]
    """Indices (into the report's `findings`) of the findings about this figure, the most telling first."""


class ClaimJSON(_ClaimRequired, total=False):
    """A figure the report states."""


    column: str
    """The table column the figure sits in."""
    note: str
    """Said of a figure no rule flags: a GB/GiB mix-up within the tolerance."""
    about: str
    """Another model or accelerator than the spec's that the figure's own words name: the spec does not
    describe it, so no rule compares the figure with the spec."""


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
    suggestion: str
    """The corrected figure as the report would write it: "29.39 GB", ">= 45.16 GB" for a floor."""
    column: int
    """1-based column of the figure on its line (Unicode code points)."""
    end_column: int
    """The column just past the figure."""
    bound: Literal["value", "floor", "ceiling"]
    """What `expected` is: a value to match, a floor (the truth is at least it) or a ceiling."""
    canonical: float | None
    """The canonical first-principles value, beside the (closest or most lenient) reading `expected` names."""
    unsure: str
    """Why the binding is not sure enough for an error (the finding is a warning at most)."""
    off_by: str
    """How far off, in words: "10.3x too low"."""


class SummaryJSON(TypedDict):
    """Counts of figures, not findings: several rules on one figure count once."""


    figures: int
    """Figures read."""
    checked: int
    """Figures judged: wrong, warnings and confirmed."""
    wrong: int
    warnings: int
    confirmed: int
    unverified: int
    errors: int
    """Unsuppressed error findings (several may concern one figure)."""


class ReportJSON(TypedDict):
    path: str
    spec: str
    result: Literal["pass", "warn", "fail"]
    claims: list[ClaimJSON]
    findings: list[FindingJSON]
    summary: SummaryJSON


class DocumentJSON(TypedDict):
    """What `audit check --format json` prints."""


    version: Literal[1]
    reports: list[ReportJSON]


for _documented in (_ClaimRequired, ClaimJSON, _FindingRequired, FindingJSON, SummaryJSON, ReportJSON, DocumentJSON):
    setattr(_documented, "__pydantic_config__", _DOCUMENTED)  # noqa: B010 (a TypedDict has no such attribute for mypy)


def _number(v):
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return [_number(x) for x in v]
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.6g}")


def claim_json(c: Claim, status: str = "unverified", findings: Sequence[int] = (), note: str = "") -> ClaimJSON:
    out: ClaimJSON = {
        "line": c.line, "text": c.text, "value": _number(c.value), "unit": c.unit, "metric": c.metric,
        "scenario": c.scenario, "quoted": c.quoted, "label": c.label, "kind": c.kind, "figure": c.figure,
        "scope": list(c.scope), "status": status, "findings": list(findings)}  # type: ignore[typeddict-item]
    if c.column:
        out["column"] = c.column
    if note:
        out["note"] = note
    if c.about:
        out["about"] = c.about
    return out


def finding_json(f: Finding, estimates: dict | None = None, place=None) -> FindingJSON:
    from audit.output import figures

    out: FindingJSON = {
        "rule": f.rule, "name": f.name, "severity": f.severity, "line": f.line,  # type: ignore[typeddict-item]
        "scenario": f.scenario, "metric": f.metric, "claimed": _number(f.claimed), "expected": _number(f.expected),
        "unit": f.unit, "ratio": _number(f.ratio), "interpretation": f.interpretation, "formula": f.formula,
        "substitution": f.substitution, "message": f.message}
    if f.suppressed is not None:
        out["suppressed"] = f.suppressed
    if f.suggestion is not None:
        out["suggestion"] = f.suggestion
    if place is not None:
        out["column"], out["end_column"] = place.start, place.end
    if f.expected is not None:
        target, kind = figures.reference(f.expected)
        out["bound"] = kind  # type: ignore[typeddict-item]
        canonical = figures.canonical_of(f, estimates)
        out["canonical"] = _number(canonical)
        words = figures.off_by(f.claimed, canonical if canonical is not None else target)
        if words:
            out["off_by"] = words
    if f.unsure:
        out["unsure"] = f.unsure
    return out


def report_json(r: ReportResult, rules: Sequence = (), text: str | None = None) -> ReportJSON:
    from audit.output import figures
    from audit.output.fix import locate
    from audit.output.markdown import _note

    checks = {rule.id: rule.spec.check for rule in rules}
    judged = figures.judged(r, figures.covered_metrics(rules), checks)
    position = {id(f): i for i, f in enumerate(r.findings)}
    by_claim = {j.claim.index: j for j in judged if j.claim is not None}
    lines = text.split("\n") if text is not None else None
    claims = []
    for c in r.claims:
        j = by_claim[c.index]
        claims.append(claim_json(c, j.status, [position[id(f)] for f in j.findings], _note(j, r.estimates)))
    findings = []
    for f in r.findings:
        place = locate(f.claim, lines, r.claims) if lines is not None and f.claim is not None else None
        findings.append(finding_json(f, r.estimates, place))
    counts = figures.summary(judged)
    summary: SummaryJSON = {
        "figures": counts["figures"], "checked": counts["checked"], "wrong": counts["wrong"],
        "warnings": counts["warnings"], "confirmed": counts["confirmed"], "unverified": counts["unverified"],
        "errors": sum(1 for f in r.findings if f.severity == "error" and f.suppressed is None)}
    return {"path": r.path, "spec": r.spec, "result": r.result,  # type: ignore[typeddict-item]
            "claims": claims, "findings": findings, "summary": summary}


def document(results: Sequence[ReportResult], run: Run | None = None) -> DocumentJSON:
    run = run or Run()
    rules = list(run.rules) or [()] * len(results)
    return {"version": 1, "reports": [report_json(r, rs, _text(r, run)) for r, rs in zip(results, rules, strict=True)]}


def _text(result: ReportResult, run: Run) -> str | None:
    from audit.output import source_text

    return source_text(result.path, run) if any(f.claim is not None for f in result.findings) else None


def render(results: Sequence[ReportResult], run: Run | None = None) -> str:
    return json.dumps(document(results, run), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict:
    """The JSON Schema of the document, generated from `DocumentJSON`."""
    from pydantic import TypeAdapter

    out = TypeAdapter(DocumentJSON).json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "audit check --format json"
    return out
