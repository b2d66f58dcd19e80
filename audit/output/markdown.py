"""`--format markdown`: the verdict a person reads (jinja2 templates shipped in the package), one per
report; with several reports the summary table comes first.

A verdict opens with its result and one row per judged figure: line, label, the figure as claimed,
first principles (the canonical value, with the accepted lenient reading named beside it), how far
off in words, the rules, and the correction. Counts are of figures; the findings several rules make
about one figure are merged (`audit.output.figures`). Everything else a reviewer may want (the
confirmed figures of a failing report, the formulas and numbers, the recomputed tables, suppressed
findings, figures not verified, conventions) follows in collapsible `<details>` sections.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

from audit.output import Run, figures
from audit.precompiled import regex
from audit.records import Claim, Finding, ReportResult

PREAMBLE = ("Floors (>=) and ceilings (<=) are first principles at 100% of peak compute or memory bandwidth: "
            "real systems are slower, so a figure beyond one is impossible and one close to it implausible. "
            "GB = 1e9 bytes, GiB = 2^30 bytes: a figure off by 1.074 is named a GB/GiB mix-up.")

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
    "First principles name the canonical reading; the reading a figure was accepted or judged under, when "
    "another, is named beside it.",
)

VERDICTS = {"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}
MARKS = {"fail": "✗", "warn": "⚠", "pass": "✓", "note": "ℹ"}
_MD_SPECIAL = regex(r"([\\`*_\[\]<>#|~])")
_LABEL_CHARS = 60


def md_escape(text: object) -> str:
    """Report text shown in the verdict: Markdown and HTML special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def cell(text: object) -> str:
    """Our own text in a table cell: one line, pipes escaped (">= 45.16 GB" stays readable in the source)."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def fmt(value, unit: str) -> str:
    from audit.units import format_quantity

    if value is None:
        return "-"
    if isinstance(value, tuple | list):
        lo, hi = value
        if hi is None or (isinstance(hi, float) and math.isinf(hi)):
            return f">= {fmt(lo, unit)}"
        if not lo:
            return f"<= {fmt(hi, unit)}"
        return f"{fmt(lo, unit)} to {fmt(hi, unit)}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format_quantity(float(value), unit)


TEMPLATE_NAME = "verdict.md.j2"
_OPTIONS = {"autoescape": False, "keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True}


def options_key() -> str:
    """What the compiled template depends on besides its text and jinja2's version."""
    return repr(sorted(_OPTIONS.items())) + " StrictUndefined"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("audit.output", "templates"), undefined=StrictUndefined, **_OPTIONS)
    env.filters["md"] = md_escape
    env.filters["q"] = fmt
    return env


@lru_cache(maxsize=1)
def _template():
    """The verdict's template: jinja2's compiled form of it (audit/output/_verdict.py, `python -m
    audit.precompiled`) when it was compiled from this text with this jinja2, else compiled here."""
    import hashlib

    import jinja2

    env = _environment()
    try:
        from audit.output import _verdict as compiled
    except ImportError:
        compiled = None
    if compiled is not None and compiled.JINJA2 == jinja2.__version__ and compiled.OPTIONS == options_key():
        source, _, _ = env.loader.get_source(env, TEMPLATE_NAME)
        if compiled.SOURCE == hashlib.sha256(source.encode("utf-8")).hexdigest():
            return env.template_class.from_module_dict(env, compiled.__dict__, env.make_globals(None))
    return env.get_template(TEMPLATE_NAME)


# --- one report ----------------------------------------------------------------------------------


def markdown(result: ReportResult, rules: Sequence = (), charts: Sequence[tuple[str, str]] = ()) -> str:
    """The Markdown verdict of one report; `rules` are those that ran for it (the figures they judge count
    as checked), `charts` (scenario, path) the roofline charts to show."""
    checks = {r.id: r.spec.check for r in rules}
    judged = figures.judged(result, figures.covered_metrics(rules), checks)
    counts = figures.summary(judged)
    estimates = result.estimates
    flagged = [j for j in judged if j.status in ("fail", "warn") or _note(j, estimates)]
    confirmed = [j for j in judged if j.claim is not None and j.status == "pass" and not _note(j, estimates)]
    judging: dict[str, list[str]] = {}
    for rule in rules:
        for metric in rule.spec.metric:
            judging.setdefault(metric, []).append(rule.id)
    rows = [_row(j, estimates, judging) for j in flagged]
    shown_confirmed = [_row(j, estimates, judging) for j in confirmed]
    if not flagged:  # a PASS verdict lists what it confirmed, up front
        rows, shown_confirmed = shown_confirmed, []
    return _template().render(
        r=result, verdict=VERDICTS[result.result], headline=headline(counts), preamble=PREAMBLE,
        rows=rows, confirmed=shown_confirmed, evidence=[_evidence(j) for j in judged if j.findings],
        charts=[{"scenario": s, "path": p} for s, p in charts],
        tables={name: _table(est) for name, est in estimates.items()},
        suppressed=[f for f in result.findings if f.suppressed is not None],
        unverified=[j.claim for j in judged if j.claim is not None and j.status == "unverified"],
        conventions=CONVENTIONS,
    )


def headline(counts: Mapping[str, int]) -> str:
    """"4 of 10 checked figures wrong (on 3 lines), 1 doubtful, 5 confirmed; 12 figures read, 2 not verified"."""
    checked, wrong, doubtful = counts["checked"], counts["wrong"], counts["warnings"]
    parts = []
    if wrong:
        lines = counts["wrong_lines"]
        parts.append(f"{wrong} of {checked} checked figure{_s(checked)} wrong"
                     + (f" (on {lines} line{_s(lines)})" if lines != wrong else ""))
    elif checked:
        parts.append(f"no wrong figure among {checked} checked")
    else:
        parts.append("no figure checked")
    if doubtful:
        parts.append(f"{doubtful} doubtful")
    if counts["confirmed"]:
        parts.append(f"{counts['confirmed']} confirmed")
    other = counts["other_errors"] + counts["other_warnings"]
    if other:
        parts.append(f"{other} other finding{_s(other)}")
    text = ", ".join(parts)
    return text + f"; {counts['figures']} figure{_s(counts['figures'])} read, {counts['unverified']} not verified"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _label(claim: Claim | None) -> str:
    if claim is None:
        return "—"
    label = claim.label or claim.before or claim.clause or claim.text
    if claim.column and claim.column not in label:
        label = f"{label} ({claim.column})"
    label = " ".join(label.split())
    if len(label) > _LABEL_CHARS:
        label = label[: _LABEL_CHARS - 1].rstrip() + "…"
    return md_escape(label)


def _truth(f: Finding, estimates: Mapping) -> str:
    """First principles for a finding: the canonical value, and the accepted reading beside it when it differs."""
    canonical = figures.canonical_of(f, estimates)
    expected = fmt(f.expected, f.unit)
    if f.interpretation == "the report's own figures":
        return cell(f"{expected} (the report's own figures)")
    if canonical is None:
        return cell(expected)
    target, kind = figures.reference(f.expected)
    prefix = {"floor": ">= ", "ceiling": "<= "}.get(kind, "")
    text = prefix + fmt(canonical, f.unit)
    if target is not None and not math.isclose(canonical, target, rel_tol=5e-4):
        reading = figures.accepted_reading(f, estimates)
        text += f" ({expected} accepted{': ' + reading if reading else ''})"
    return cell(text)


def _confirmed_truth(claim: Claim, estimates: Mapping) -> str:
    est = estimates.get(claim.scenario, {}).get(claim.metric) if claim.scenario and claim.metric else None
    if est is None or est.kind not in ("value", "floor", "ceiling", "figure") or claim.qualifier:
        return "within tolerance"
    return cell({"floor": ">= ", "ceiling": "<= "}.get(est.kind, "") + fmt(est.value, est.unit))


def _note(j: figures.Judged, estimates: Mapping) -> str:
    """A confirmed figure that is off by 1.074 (a GB/GiB mix-up within the tolerance): said, not hidden."""
    claim = j.claim
    if j.status != "pass" or claim is None or j.findings or not claim.scenario or not claim.metric:
        return ""
    est = estimates.get(claim.scenario, {}).get(claim.metric)
    if est is None or est.kind != "value" or claim.qualifier or claim.metric == "memory_capacity":
        return ""
    if figures.gib_mixup(claim.value, est.value, claim.unit):
        return figures.mixup_words(claim.value, est.value)
    return ""


def _row(j: figures.Judged, estimates: Mapping, judging: Mapping[str, list[str]]) -> dict:
    claim, f = j.claim, j.primary
    note = _note(j, estimates)
    rules = ", ".join(j.rules) or ", ".join(judging.get(claim.metric or "", ()) if claim is not None else ())
    row = {"mark": MARKS["note"] if note else MARKS[j.status], "line": j.line, "label": _label(claim),
           "claimed": md_escape(claim.figure) if claim is not None else "—",
           "rules": rules, "fix": "", "off": "", "truth": ""}
    if f is None:
        row["truth"] = _confirmed_truth(claim, estimates) if claim is not None else ""
        if note and claim is not None and claim.scenario and claim.metric:
            est = estimates[claim.scenario][claim.metric]
            row["off"] = cell(f"{figures.off_by(claim.value, est.value)}: {note}")
        return row
    if f.expected is None:
        row["truth"] = md_escape(f.message)
        return row
    row["truth"] = _truth(f, estimates)
    canonical = figures.canonical_of(f, estimates)
    ref = canonical if canonical is not None else figures.reference(f.expected)[0]
    off = figures.off_by(f.claimed, ref)
    if figures.gib_mixup(f.claimed, ref, f.unit):
        off = f"{off}: {figures.mixup_words(f.claimed or 0.0, ref or 0.0)}"
    row["off"] = cell(off)
    row["fix"] = cell(f.suggestion) if f.suggestion else ""
    return row


def _evidence(j: figures.Judged) -> dict:
    f = j.findings[0]
    what = md_escape(j.claim.figure) if j.claim is not None else f"{f.rule} {f.name}"
    return {"line": j.line, "title": what, "quote": md_escape(j.claim.text) if j.claim is not None else "",
            "findings": j.findings}


def _table(estimates: dict) -> list[dict]:
    """The recomputed figures: the metrics declared `shown`, in declaration order."""
    from audit.physics.formulas import METRICS

    rows = []
    for metric, est in estimates.items():
        if metric not in METRICS or not METRICS[metric].shown:
            continue
        values = [r.value for r in est.readings]
        lo, hi = min(values), max(values)
        rows.append({"metric": metric, "value": fmt(est.readings[0].value, est.unit),
                     "range": "" if math.isclose(lo, hi, rel_tol=1e-9) else f"{fmt(lo, est.unit)} to {fmt(hi, est.unit)}",
                     "formula": est.formula, "substitution": est.readings[0].substitution,
                     "kind": est.kind})
    return rows


# --- many reports ----------------------------------------------------------------------------------


SUMMARY_HEAD = ("# Summary", "", "| report | result | wrong figures | doubtful | confirmed | not verified | suppressed |",
                "|---|---|---|---|---|---|---|")


def summary_row(result: ReportResult, rules: Sequence = ()) -> tuple[str, int]:
    """One report's row of the summary table, and its count of wrong figures."""
    checks = {rule.id: rule.spec.check for rule in rules}
    c = figures.summary(figures.judged(result, figures.covered_metrics(rules), checks))
    suppressed = sum(1 for f in result.findings if f.suppressed is not None)
    wrong_cell = str(c["wrong"]) + (f" (+{c['other_errors']} other)" if c["other_errors"] else "")
    row = (f"| {md_escape(result.path)} | {VERDICTS[result.result]} | {wrong_cell} | "
           f"{c['warnings'] + c['other_warnings']} | {c['confirmed']} | {c['unverified']} | {suppressed} |")
    return row, c["wrong"]


def summary_text(rows: Sequence[str], states: Sequence[str], wrong: int) -> str:
    """The summary table from its rows, each report's result (pass, warn, fail) and the wrong figures in all."""
    totals = {state: sum(1 for s in states if s == state) for state in ("fail", "warn", "pass")}
    lines = [*SUMMARY_HEAD, *rows, "", f"{len(rows)} reports: {totals['fail']} fail, {totals['warn']} pass with "
             f"warnings, {totals['pass']} pass; {wrong} wrong figure{_s(wrong)} in all."]
    return "\n".join(lines) + "\n"


def summary_table(results: Sequence[ReportResult], rules: Sequence[Sequence] = ()) -> str:
    """The multi-report summary: one row per report (wrong figures first among the counts), then the totals."""
    rules = list(rules) or [()] * len(results)
    rows = [summary_row(r, rs) for r, rs in zip(results, rules, strict=True)]
    return summary_text([row for row, _ in rows], [r.result for r in results], sum(n for _, n in rows))


def document(results: Sequence[ReportResult], run: Run) -> str:
    """The Markdown verdicts one after another; with several reports, the summary table first."""
    rules = list(run.rules) or [()] * len(results)
    parts = [markdown(r, rs, run.charts.get(r.path, ())) for r, rs in zip(results, rules, strict=True)]
    if len(results) > 1:
        parts.insert(0, summary_table(results, rules))
    return "\n".join(parts)


def render(results: Sequence[ReportResult], run: Run) -> str:
    return document(results, run)
