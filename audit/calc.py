"""`audit calc`: every first-principles figure of a spec, per scenario, with formula and numbers.

    audit calc --spec qwen3.yaml                       # a Markdown table per scenario
    audit calc --spec qwen3.yaml --scenario original --format json

JSON: {"scenarios": {NAME: {METRIC: {"value", "unit", "formula", "substitution", "range",
"readings": [{"name", "value"}, ...]}}}}; "value" is the default reading in base units and
"range" is [low, high] over all readings.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from audit.errors import AuditError
from audit.model import Estimate, Model, ScenarioParams

_BOUND = {"floor": ">= ", "ceiling": "<= ", "value": ""}


def run_calc(args, write: Callable[[str, str | None], None]) -> int:
    """Load `args.spec`, evaluate its scenarios (or `args.scenario`) and write them out."""
    from audit.specload import load_spec

    spec = load_spec(args.spec)
    model = Model(spec)
    scenarios = select_scenarios(model, args.scenario, args.spec)
    results = {name: model.evaluate(sc) for name, sc in scenarios.items()}
    if args.format == "json":
        text = to_json(results)
    else:
        text = to_markdown(results, scenarios, f"{spec.model.name} on {spec.hardware.name}")
    write(text, args.output)
    return 0


def select_scenarios(model: Model, wanted: str | None, spec_path: str) -> dict[str, ScenarioParams]:
    """All scenarios, or the one named `wanted` (by name or alias); AuditError when unknown."""
    scenarios = model.scenarios()
    if wanted is None:
        return scenarios
    if wanted in scenarios:
        return {wanted: scenarios[wanted]}
    for name, declared in model.spec.scenarios.items():
        if wanted in declared.aliases:
            return {name: scenarios[name]}
    raise AuditError(f"unknown scenario {wanted!r}; the spec has: {', '.join(scenarios)}", spec_path)


def estimate_json(est: Estimate) -> dict:
    """One metric as the JSON contract of `audit calc` has it."""
    return {
        "value": est.value, "unit": est.unit, "formula": est.formula, "substitution": est.substitution,
        "range": [est.low, est.high], "readings": [{"name": r.name, "value": r.value} for r in est.readings],
    }


def to_json(results: dict[str, dict[str, Estimate]]) -> str:
    doc = {"scenarios": {name: {metric: estimate_json(est) for metric, est in estimates.items()}
                         for name, estimates in results.items()}}
    return json.dumps(doc, indent=2) + "\n"


def to_markdown(results: dict[str, dict[str, Estimate]], scenarios: dict[str, ScenarioParams], title: str) -> str:
    from audit.units import format_quantity

    lines = [f"# First-principles figures: {title}", ""]
    lines += ["Floors (>=) are at 100% of peak compute or bandwidth; ceilings (<=) likewise. The range spans "
              "every interpretation the audit accepts (DESIGN.md, \"Judging a claim\").", ""]
    for name, estimates in results.items():
        sc = scenarios[name]
        lines += [f"## Scenario `{name}`: TP {sc.tp}, PP {sc.pp}, DP {sc.dp}, EP {sc.ep}, batch {sc.batch_size} (global)",
                  "", "| Metric | Value | Formula | Substitution | Range over interpretations |",
                  "|---|---|---|---|---|"]
        for metric, est in estimates.items():
            value = _BOUND[est.kind] + format_quantity(est.value, est.unit)
            spread = "" if est.low == est.high else (
                f"{format_quantity(est.low, est.unit)} – {format_quantity(est.high, est.unit)} ({len(est.readings)} readings)")
            lines.append(f"| {metric} | {value} | `{est.formula}` | `{est.substitution}` | {spread} |")
        lines.append("")
    return "\n".join(lines)
