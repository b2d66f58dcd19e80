"""The Python API, for pipelines in which a program (an agent) writes a report and must fix it:

    import audit

    result = audit.check("plan.md", "specs/qwen3.yaml")       # or the report's text, a spec dict
    for finding in result.errors:
        print(finding.line, finding.rule, finding.message, "->", finding.suggestion)
    fixed = audit.fix(text, spec)                             # confident errors corrected
    fixed.text, fixed.diff, fixed.result.ok

`check(report, spec, *, select=None, ignore=None)` audits one report: `report` is a path or the
report's text, `spec` a path, YAML text, a mapping or a `audit.spec.schema.Spec`. It returns a frozen
`Result`: the claims, the findings (each error and warning with its `suggestion`, the corrected figure
as the report would write it), the status of each figure, the counts, and the JSON the contract
(docs/output.md) gives for the report. Bad input raises `audit.AuditError` (a line naming the file and
the place). Nothing is evaluated from the input; results are deterministic.

The command line runs on the same steps (`finish`, `validate_selection`): what `audit check` prints for a
report is what `check` returns for it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.errors import AuditError
from audit.records import Claim, Finding, ReportResult

if TYPE_CHECKING:
    from audit.pipeline import Auditor

__all__ = ["AuditError", "Fixed", "Result", "check", "fix"]


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of a report's figures (several findings on one figure count once)."""

    figures: int
    checked: int
    wrong: int
    warnings: int
    confirmed: int
    unverified: int


@dataclass(frozen=True, slots=True)
class Result:
    """The audit of one report."""

    path: str
    spec: str
    result: str
    """"pass", "warn" (warnings only) or "fail" (an error), counting unsuppressed findings."""
    claims: tuple[Claim, ...]
    findings: tuple[Finding, ...]
    """In line order; suppressed ones included (with `suppressed` set)."""
    status: tuple[str, ...]
    """The status of each claim, in the order of `claims`: pass | fail | warn | unverified."""
    summary: Summary
    report: ReportResult = field(repr=False, compare=False)
    """The pipeline's own record (what every output format renders)."""
    text: str = field(default="", repr=False, compare=False)
    """The report's text as audited."""
    rules: tuple = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """No unsuppressed error."""
        return self.result != "fail"

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error" and f.suppressed is None)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning" and f.suppressed is None)

    def to_json(self) -> dict[str, Any]:
        """The report as `audit check --format json` gives it (one element of `reports`)."""
        from audit.output.json import report_json

        return dict(report_json(self.report, self.rules, self.text))

    def to_markdown(self) -> str:
        """The Markdown verdict."""
        from audit.output.markdown import markdown

        return markdown(self.report, self.rules)


@dataclass(frozen=True, slots=True)
class Fixed:
    """A report with its confident errors corrected."""

    text: str
    """The corrected report."""
    diff: str
    """The unified diff from the report to `text` ("" when nothing was corrected)."""
    lines: tuple[int, ...]
    """The lines corrected."""
    result: Result
    """The audit of the corrected report: what is left."""


def check(report: str | os.PathLike, spec: Any, *, select: Sequence[str] | None = None,
          ignore: Sequence[str] | None = None, rule_dirs: Sequence[str | os.PathLike] = (),
          require_figures: bool = False, path: str | None = None) -> Result:
    """Audit one report against a spec (see the module docstring); `path` names a report given as text."""
    auditor = _auditor(spec, rule_dirs)
    text, name = _report_text(report, path)
    select, ignore = _selectors(select, "select"), _selectors(ignore, "ignore")
    validate_selection(select, ignore, auditor, "select", "ignore")
    raw = auditor.audit_text(text, name, max_figures=len(text.encode("utf-8")) // 400 + 10_000)
    return _result(finish(raw, auditor, select, ignore, require_figures), auditor, text)


def fix(report: str | os.PathLike, spec: Any, *, select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None, rule_dirs: Sequence[str | os.PathLike] = (),
        path: str | None = None) -> Fixed:
    """The report with its confident errors corrected, and figures of its own arithmetic that follow from
    them; the corrected report is audited again (`Fixed.result`)."""
    from audit.output import fix as fixing

    auditor = _auditor(spec, rule_dirs)
    text, name = _report_text(report, path)
    select, ignore = _selectors(select, "select"), _selectors(ignore, "ignore")
    validate_selection(select, ignore, auditor, "select", "ignore")
    new, result, changed = fix_text(text, name, auditor, select, ignore)
    return Fixed(new, fixing.unified_diff(text, new, name), tuple(sorted(changed)), _result(result, auditor, new))


# --- the steps `audit check` shares --------------------------------------------------------------


def known_rules(auditor: Auditor) -> dict[str, str]:
    """Rule id -> name of every rule a run with `auditor` knows: its rules, suppressions, run-level ones."""
    from audit import paths, suppress

    out = {r.id: r.spec.name for r in auditor.rules}
    out.update((r.id, r.name) for r in (*suppress.RULES, *paths.RULES))
    return out


def checks_of(auditor: Auditor) -> dict[str, str]:
    from audit import paths, suppress

    out = {r.id: r.check for r in (*suppress.RULES, *paths.RULES)}
    out.update((r.id, r.spec.check) for r in auditor.rules)
    return out


def validate_selection(select: Sequence[str], ignore: Sequence[str], auditor: Auditor,
                       select_from: str = "--select", ignore_from: str = "--ignore") -> None:
    """An AuditError (exit 2) for an entry of `select` or `ignore` that is no rule id and the prefix of none;
    `*_from` says where the entries come from: a flag, or "path:line" of a configuration file."""
    from audit.config import unknown_selectors

    known = list(known_rules(auditor))
    for entries, where, key in ((select, select_from, "select"), (ignore, ignore_from, "ignore")):
        for entry, close in unknown_selectors(entries, known):
            hint = f" (did you mean {', '.join(close)}?)" if close else " (`audit rules` lists them)"
            path, sep, line = where.rpartition(":")
            if sep and line.isdigit():
                raise AuditError(f"'{key}': '{entry}' is no rule id and the prefix of none{hint}", path, int(line))
            raise AuditError(f"{where}: '{entry}' is no rule id and the prefix of none{hint}")


def finish(result: ReportResult, auditor: Auditor, select: Sequence[str] = (), ignore: Sequence[str] = (),
           require_figures: bool = False) -> ReportResult:
    """What every run does after the pipeline: suppressions naming no rule told apart (SUP003), a report
    without a checked figure said (RUN002), the selection applied, and the corrections computed."""
    from audit import config as cfg
    from audit import paths, suppress
    from audit.output import figures

    result = suppress.name_unknown(result, known_rules(auditor))
    counts = figures.summary(figures.judged(result, figures.covered_metrics(auditor.rules)))
    if counts["checked"] == 0:
        what = ("no figure read" if counts["figures"] == 0 else
                f"{counts['figures']} figure{'s' if counts['figures'] != 1 else ''} read, none the spec can check")
        level = "error" if require_figures else "warning"
        note = Finding(rule=paths.NO_FIGURES.id, name=paths.NO_FIGURES.name, severity=level, line=0,
                       message=f"{what}: the report is not verified by this audit")
        result = replace(result, findings=(note, *result.findings))
    if select or ignore:
        result = replace(result, findings=tuple(f for f in result.findings if cfg.selected(f.rule, select, ignore)))
    return figures.with_suggestions(result, checks_of(auditor))


def fix_text(text: str, name: str, auditor: Auditor, select: Sequence[str] = (), ignore: Sequence[str] = (),
             max_figures: int | None = None) -> tuple[str, ReportResult, set[int]]:
    """(corrected text, its audit, lines changed) of a report (`audit.output.fix.fixed`)."""
    from audit.output import fix as fixing

    checks = checks_of(auditor)
    limit = max_figures if max_figures is not None else len(text.encode("utf-8")) // 400 + 10_000

    def audit(t: str) -> ReportResult:
        return finish(auditor.audit_text(t, name, max_figures=limit), auditor, select, ignore)

    return fixing.fixed(text, audit, lambda f: checks.get(f.rule) == "consistency")


def _result(result: ReportResult, auditor: Auditor, text: str) -> Result:
    from audit.output import figures

    rules = tuple(auditor.rules)
    judged = figures.judged(result, figures.covered_metrics(rules), checks_of(auditor))
    by_claim = {j.claim.index: j.status for j in judged if j.claim is not None}
    c = figures.summary(judged)
    summary = Summary(c["figures"], c["checked"], c["wrong"], c["warnings"], c["confirmed"], c["unverified"])
    return Result(result.path, result.spec, result.result, result.claims, result.findings,
                  tuple(by_claim.get(claim.index, "unverified") for claim in result.claims), summary,
                  result, text, rules)


# --- inputs ---------------------------------------------------------------------------------------

_AUDITORS: dict[tuple, Auditor] = {}
"""Auditors by what they were loaded from: an agent loop re-checking against one spec loads it once."""


def _auditor(spec: Any, rule_dirs: Sequence[str | os.PathLike] = ()) -> Auditor:
    from audit.bind.vocabulary import load_vocabulary
    from audit.judge.rules import load_rules
    from audit.pipeline import Auditor
    from audit.spec.load import LoadedSpec, load_spec, spec_from_data
    from audit.spec.schema import Spec

    dirs = tuple(os.path.realpath(d) for d in rule_dirs)
    if isinstance(spec, LoadedSpec):
        key: tuple = ("loaded", id(spec), dirs)
    elif isinstance(spec, Spec):
        key = ("model", spec.model_dump_json(), dirs)
    elif isinstance(spec, Mapping):
        key = ("data", json.dumps(spec, sort_keys=True, default=str), dirs)
    elif isinstance(spec, str | os.PathLike) and _is_path(spec):
        p = Path(spec)
        stat = p.stat() if p.exists() else None
        key = ("path", os.path.realpath(p), stat.st_mtime_ns if stat else 0, dirs)
    elif isinstance(spec, str):
        key = ("yaml", hashlib.sha256(spec.encode("utf-8")).hexdigest(), dirs)
    else:
        raise AuditError(f"spec: expected a path, YAML text, a mapping or a Spec, not {type(spec).__name__}")
    found = _AUDITORS.get(key)
    if found is not None:
        return found
    if isinstance(spec, LoadedSpec):
        loaded = spec
    elif isinstance(spec, Spec):
        loaded = spec_from_data(spec.model_dump(mode="json", exclude_none=True), "<spec>")
    elif isinstance(spec, Mapping):
        loaded = spec_from_data(dict(spec), "<spec>")
    elif key[0] == "path":
        loaded = load_spec(spec)
    else:
        from audit.yamlio import parse_yaml

        data, lines = parse_yaml(str(spec), "<spec>")
        loaded = spec_from_data(data, "<spec>", lines)
    auditor = Auditor(loaded, tuple(load_rules(tuple(Path(d) for d in dirs))), load_vocabulary())
    if len(_AUDITORS) > 32:
        _AUDITORS.clear()
    _AUDITORS[key] = auditor
    return auditor


def _is_path(value: str | os.PathLike) -> bool:
    """A path, not a text: a PathLike, or one line without a mapping's colon-space ("specs/q.yaml")."""
    if not isinstance(value, str):
        return True
    return "\n" not in value and ": " not in value and not value.lstrip().startswith("{")


def _report_text(report: str | os.PathLike, path: str | None) -> tuple[str, str]:
    """(text, name) of a report given as a path or as text."""
    from audit.extract import read_report

    if not isinstance(report, str) or ("\n" not in report and report.strip().endswith((".md", ".markdown"))
                                       and len(report) < 4096):
        return read_report(Path(report)), path or str(report)
    return report.replace("\r\n", "\n").replace("\r", "\n"), path or "<report>"


def _selectors(values: Sequence[str] | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    import re

    out = []
    for value in values:
        for item in (v.strip() for v in str(value).split(",")):
            if not item:
                continue
            if not re.fullmatch(r"[A-Za-z]+[0-9]*", item):
                raise AuditError(f"{what}: '{item}' is not a rule id or prefix (like MEM001, MEM or ALL)")
            out.append(item.upper())
    return tuple(out)
