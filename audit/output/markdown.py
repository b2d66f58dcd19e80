"""`--format markdown`: the verdict a person reads (jinja2 templates shipped in the package), one per
report, and with several reports a summary table."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from audit.output import Run
from audit.records import ReportResult

CONVENTIONS = (
    "GB = 1e9 bytes, GiB = 2^30 bytes; the report's own unit is honoured.",
    "Batch sizes are global and split over DP; per-replica batches are accepted as an interpretation.",
    "KV cache shards over PP and min(TP, kv_heads); beyond that TP replicates KV heads "
    "(batch-partitioned attention, dividing by TP, is accepted for floors and ceilings).",
    "Prefill FLOPs = 2 x active params x tokens + attention scores (causal halving and lm_head on "
    "the last token only are accepted interpretations).",
    "TTFT floor: one request at the prompt's design-point length at 100% of peak, pipeline stages one "
    "after another; a whole-batch prefill claim is held to the batch floor.",
    "Decode step floor: (PP x weights per device + KV per device) / bandwidth; an MoE step reads at "
    "least the top-k experts of each layer.",
    "Device memory: a vendor's \"80 GB\" is accepted as GB or GiB.",
    "Tolerances and levels are those of the rule files; a bound met by less than its warn margin is a warning.",
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: object) -> str:
    """Report text shown in the verdict: Markdown and HTML special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def fmt(value, unit: str) -> str:
    from audit.units import format_quantity

    if value is None:
        return "-"
    if isinstance(value, tuple | list):
        lo, hi = value
        if hi is None:
            return f">= {fmt(lo, unit)}"
        if not lo:
            return f"<= {fmt(hi, unit)}"
        return f"{fmt(lo, unit)} to {fmt(hi, unit)}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format_quantity(float(value), unit)


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("audit.output", "templates"), undefined=StrictUndefined,
                      autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = md_escape
    env.filters["q"] = fmt
    return env


def markdown(result: ReportResult, rules: Sequence = ()) -> str:
    """The Markdown verdict of one report."""
    findings = [f for f in result.findings if f.suppressed is None]
    counts = {level: sum(1 for f in findings if f.severity == level) for level in ("error", "warning", "info")}
    checked = {f.claim.index for f in result.findings if f.claim is not None}
    covered = {m for r in rules for m in r.spec.metric}
    unverified = [c for c in result.claims if not c.quoted and (c.metric is None or c.metric not in covered)]
    verified = [c for c in result.claims if c.metric in covered and not c.quoted]
    tables = {name: _table(est) for name, est in result.estimates.items()}
    return _environment().get_template("verdict.md.j2").render(
        r=result, findings=findings, suppressed=[f for f in result.findings if f.suppressed is not None],
        counts=counts, unverified=unverified, verified=len(verified), checked=len(checked),
        tables=tables, conventions=CONVENTIONS,
        verdict={"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}[result.result],
    )


def _table(estimates: dict) -> list[dict]:
    """The recomputed figures a reviewer looks at first: the metrics declared `shown`, in declaration order."""
    from audit.physics.formulas import METRICS

    rows = []
    for metric, est in estimates.items():
        if not METRICS[metric].shown:
            continue
        values = [r.value for r in est.readings]
        lo, hi = min(values), max(values)
        rows.append({"metric": metric, "value": fmt(est.readings[0].value, est.unit),
                     "range": "" if math.isclose(lo, hi, rel_tol=1e-9) else f"{fmt(lo, est.unit)} to {fmt(hi, est.unit)}",
                     "formula": est.formula, "substitution": est.readings[0].substitution,
                     "kind": est.kind})
    return rows


def summary_table(results: Sequence[ReportResult]) -> str:
    """Markdown table of a multi-report verdict: one row per report, then the totals."""
    verdicts = {"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}
    lines = ["# Summary", "", "| report | spec | result | errors | warnings | info | suppressed |",
             "|---|---|---|---|---|---|---|"]
    totals = dict.fromkeys(("fail", "warn", "pass"), 0)
    for r in results:
        shown = [f for f in r.findings if f.suppressed is None]
        counts = [sum(f.severity == level for f in shown) for level in ("error", "warning", "info")]
        lines.append(f"| {md_escape(r.path)} | {md_escape(r.spec)} | {verdicts[r.result]} | "
                     + " | ".join(str(n) for n in counts) + f" | {len(r.findings) - len(shown)} |")
        totals[r.result] += 1
    lines += ["", f"{len(results)} reports: {totals['fail']} fail, {totals['warn']} pass with warnings, "
              f"{totals['pass']} pass."]
    return "\n".join(lines) + "\n"


def document(results: Sequence[ReportResult], run: Run) -> str:
    """The Markdown verdicts one after another; with several reports, the summary table last."""
    rules = run.rules or [()] * len(results)
    parts = [markdown(r, rs) for r, rs in zip(results, rules, strict=True)]
    if len(results) > 1:
        parts.append(summary_table(results))
    return "\n".join(parts)


def render(results: Sequence[ReportResult], run: Run) -> str:
    return document(results, run)
