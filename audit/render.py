"""Render: findings become the Markdown verdict (jinja2 templates shipped in the package) or the
JSON document of DESIGN.md's output contract."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache

from audit.records import Claim, Finding, ReportResult

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

    env = Environment(loader=PackageLoader("audit", "templates"), undefined=StrictUndefined,
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


_TABLE_ORDER = (
    "device_count", "params_total", "params_active", "kv_cache_per_token", "weights_per_device",
    "kv_cache_per_device", "memory_per_device", "memory_utilization", "prefill_flops", "ttft_floor",
    "ttft_floor_min_prompt", "batch_prefill_floor", "decode_step_floor", "decode_step_floor_uniform",
    "prefill_throughput_ceiling", "decode_throughput_ceiling",
)


def _table(estimates: dict) -> list[dict]:
    rows = []
    for metric in _TABLE_ORDER:
        est = estimates.get(metric)
        if est is None:
            continue
        values = [r.value for r in est.readings]
        lo, hi = min(values), max(values)
        rows.append({"metric": metric, "value": fmt(est.readings[0].value, est.unit),
                     "range": "" if math.isclose(lo, hi, rel_tol=1e-9) else f"{fmt(lo, est.unit)} to {fmt(hi, est.unit)}",
                     "formula": est.formula, "substitution": est.readings[0].substitution,
                     "kind": est.kind})
    return rows


# --- JSON --------------------------------------------------------------------------------------


def _number(v):
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return [_number(x) for x in v]
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.6g}")


def claim_json(c: Claim) -> dict:
    return {"line": c.line, "text": c.text, "value": _number(c.value), "unit": c.unit, "metric": c.metric,
            "scenario": c.scenario, "quoted": c.quoted, "label": c.label, "kind": c.kind,
            "figure": c.figure, "scope": list(c.scope)}


def finding_json(f: Finding) -> dict:
    out = {"rule": f.rule, "name": f.name, "severity": f.severity, "line": f.line, "scenario": f.scenario,
           "metric": f.metric, "claimed": _number(f.claimed), "expected": _number(f.expected), "unit": f.unit,
           "ratio": _number(f.ratio), "interpretation": f.interpretation, "formula": f.formula,
           "substitution": f.substitution, "message": f.message}
    if f.suppressed is not None:
        out["suppressed"] = f.suppressed
    return out


def report_json(r: ReportResult) -> dict:
    return {"path": r.path, "spec": r.spec, "result": r.result,
            "claims": [claim_json(c) for c in r.claims],
            "findings": [finding_json(f) for f in r.findings]}


def json_document(results: Sequence[ReportResult]) -> str:
    return json.dumps({"version": 1, "reports": [report_json(r) for r in results]},
                      indent=2, ensure_ascii=False) + "\n"
