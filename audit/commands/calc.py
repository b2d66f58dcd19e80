"""`audit calc`: every first-principles figure of a spec, per scenario, with formula and numbers.

    audit calc --spec qwen3.yaml                       # a Markdown table per scenario
    audit calc --spec qwen3.yaml --scenario original --format json
    audit calc --spec qwen3.yaml --charts charts/        # and a roofline chart (SVG) per scenario

JSON: {"scenarios": {NAME: {METRIC: {"value", "unit", "kind", "formula", "substitution", "range",
"readings": [{"name", "value"}, ...], "description"}}}}; "value" is the canonical reading in base
units, "range" [low, high] over all readings, and "name" what each reading assumes.
"""

from __future__ import annotations

import json
from pathlib import Path

from audit.commands import Write
from audit.errors import AuditError
from audit.physics.formulas import METRICS
from audit.physics.model import evaluate
from audit.records import Estimate, Scenario
from audit.spec.load import LoadedSpec, load_spec

_BOUND = {"floor": ">= ", "ceiling": "<= "}


def run(args, write: Write) -> int:
    """Load `args.spec`, evaluate its scenarios (or `args.scenario`) and write them out."""
    loaded = load_spec(args.spec)
    scenarios = select_scenarios(loaded, args.scenario)
    results = {name: evaluate(sc) for name, sc in scenarios.items()}
    if args.format == "json":
        text = to_json(results)
    else:
        spec = loaded.spec
        text = to_markdown(results, scenarios, f"{spec.model.name} on {spec.hardware.name}")
    write(text, args.output)
    if getattr(args, "charts", None):
        write_charts(args.charts, results, scenarios)
    return 0


def write_charts(directory: str, results: dict[str, dict[str, Estimate]], scenarios: dict[str, Scenario]) -> list[Path]:
    """A roofline chart (SVG) per scenario into `directory`: the roofs and the prefill and decode points."""
    import re

    from audit.output.chart import calc_chart

    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AuditError(f"cannot create the charts directory: {e.strerror or e}", directory) from None
    written = []
    for name, estimates in results.items():
        sc = scenarios[name]
        svg = calc_chart(f"Roofline, scenario {name}: TP {sc.tp}, PP {sc.pp}, DP {sc.dp}, batch {sc.batch_size}",
                         estimates)
        if svg is None:
            continue
        path = target / f"roofline-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.svg"
        try:
            path.write_text(svg, encoding="utf-8", newline="\n")
        except OSError as e:
            raise AuditError(f"cannot write: {e.strerror or e}", str(path)) from None
        written.append(path)
    return written


def select_scenarios(loaded: LoadedSpec, wanted: str | None) -> dict[str, Scenario]:
    """All scenarios, or the one named `wanted` (by name or alias); AuditError when unknown."""
    scenarios = loaded.default_scenarios()
    if wanted is None:
        return scenarios
    for name, sc in scenarios.items():
        if wanted == name or wanted in sc.aliases:
            return {name: sc}
    raise AuditError(f"unknown scenario {wanted!r}; the spec has: {', '.join(scenarios)}", loaded.path)


def estimate_json(est: Estimate) -> dict:
    """One metric as the JSON contract of `audit calc` has it."""
    return {
        "value": est.value, "unit": est.unit, "kind": est.kind, "formula": est.formula,
        "substitution": est.substitution, "range": [est.low, est.high],
        "readings": [{"name": r.interpretation, "value": r.value} for r in est.readings],
        "description": METRICS[est.metric].description,
    }


def to_json(results: dict[str, dict[str, Estimate]]) -> str:
    doc = {"scenarios": {name: {metric: estimate_json(est) for metric, est in estimates.items()}
                         for name, estimates in results.items()}}
    return json.dumps(doc, indent=2) + "\n"


def to_markdown(results: dict[str, dict[str, Estimate]], scenarios: dict[str, Scenario], title: str) -> str:
    from audit.units import format_quantity

    lines = [f"# First-principles figures: {title}", ""]
    lines += ["Floors (>=) and ceilings (<=) are at 100% of peak compute or bandwidth: real systems are slower. "
              "The range spans every interpretation the audit accepts (docs/physics.md).", ""]
    for name, estimates in results.items():
        sc = scenarios[name]
        where = f"{sc.hardware.name}, {sc.model.name}"
        lines += [f"## Scenario `{name}`: TP {sc.tp}, PP {sc.pp}, DP {sc.dp}, EP {sc.ep}, batch {sc.batch_size} "
                  f"(global); {where}", "",
                  "| Metric | Value | Formula | Substitution | Range over interpretations |", "|---|---|---|---|---|"]
        for metric, est in estimates.items():
            if est.kind == "figure":
                continue
            value = _BOUND.get(est.kind, "") + format_quantity(est.value, est.unit)
            spread = "" if est.low == est.high else (
                f"{format_quantity(est.low, est.unit)} – {format_quantity(est.high, est.unit)} "
                f"({len(est.readings)} readings)")
            lines.append(f"| {metric} | {value} | `{est.formula}` | `{est.substitution}` | {spread} |")
        lines.append("")
    return "\n".join(lines)
