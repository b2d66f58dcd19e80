"""The kinds of check. Each is one small module with `check(rule, claims, ctx) -> Iterator[Finding]`;
what varies between checks of one kind is data in rules/*.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from audit.expression import Formula
from audit.records import Claim, Estimate, Finding, Reading


@dataclass(frozen=True, slots=True)
class Candidate:
    """One value a formula takes under one scenario and one interpretation."""

    value: float
    scenario: str
    interpretation: str
    formula: str
    substitution: str


@dataclass
class Context:
    """What every check may look at: the model's estimates per scenario, and the report's claims."""

    estimates: dict  # scenario -> metric -> Estimate
    claims: list[Claim]
    report_peak: float | None = None
    derive: Callable[[str, tuple], dict] | None = None
    """(scenario, a claim's conditions) -> the estimates of that scenario at them (`Claim.conditions`)."""
    ingredients: Callable[[str, str], frozenset[str]] | None = None
    """(scenario, metric) -> the metrics its formula is built from (`audit.physics.model.ingredients`)."""
    held: Callable[[str, str, dict[str, float]], Estimate] | None = None
    """(scenario, metric, {ingredient: value}) -> the metric with those ingredients held at the report's
    figures (`audit.physics.model.evaluate_with`)."""
    matchers: dict = field(default_factory=dict)
    """Scenario -> the pattern of its name and aliases (`audit.bind.scenario.scenario_matchers`)."""
    unsure_layouts: dict[str, str] = field(default_factory=dict)
    """Scenario -> why its layout is unsure: neither the spec nor the report states one (one device is
    assumed), or the report states it more than one way and names no scenario (the first is taken)."""
    read_layouts: dict[str, str] = field(default_factory=dict)
    """Scenario -> why a layout figure (TP, a device count, a batch) that contradicts its layout is unsure: the
    layout is read from the report, stated once, and the figure that disagrees with it may be the right one."""
    flagged: tuple[Finding, ...] = ()
    """What the rules found so far: the wrong figures other figures may be built on (check `carried`)."""
    _cache: dict = field(default_factory=dict)
    """(formula, scenario, mode, conditions) -> `candidates`; the Auditor gives the audits of one set of
    scenarios one cache (`audit.pipeline.Auditor`)."""

    def scenarios_for(self, claim: Claim) -> list[str]:
        if claim.scenario is not None and claim.scenario in self.estimates:
            return [claim.scenario]
        return list(self.estimates)

    def figure(self, scenario: str, metric: str) -> float:
        """The canonical value of `metric` in `scenario` (a parallel degree, devices per node)."""
        return self.estimates[scenario][metric].value

    def candidates(self, formula: Formula, scenario: str, mode: str = "all", conditions: tuple = ()) -> list[Candidate]:
        """The values of `formula` in a scenario: for a bare metric name one per reading (mode "all": the
        readings a recompute may accept; "min" / "max": the lowest / highest of every reading), otherwise
        one with each metric at its canonical (mode "all"), lowest or highest reading. `conditions`: what
        the claim says it was measured at, in place of the design point."""
        key = (formula.text, scenario, mode, conditions)
        if key in self._cache:
            return self._cache[key]
        estimates = self.derive(scenario, conditions) if conditions and self.derive else self.estimates[scenario]
        names = formula.names
        out: list[Candidate] = []
        if len(names) == 1 and formula.text in estimates:
            est = estimates[formula.text]
            readings = est.accepted() if mode == "all" else est.readings
            if mode in ("min", "max"):
                pick = min if mode == "min" else max
                readings = (pick(readings, key=lambda r: r.value),)
            out = [Candidate(r.value, scenario, r.interpretation, r.formula, r.substitution) for r in readings]
        elif all(n in estimates for n in names):
            env, parts, readings_used = {}, [], []
            for n in sorted(names):
                est = estimates[n]
                rs = est.readings
                r: Reading = (min(rs, key=lambda x: x.value) if mode == "min"
                              else max(rs, key=lambda x: x.value) if mode == "max" else rs[0])
                env[n] = r.value
                if est.kind != "figure":
                    parts.append(f"{n} = {r.substitution}")
                if r.interpretation:
                    readings_used.append(r.interpretation)
            value = formula(env)
            sub = formula.text
            for n in sorted(names, key=len, reverse=True):
                sub = _replace_name(sub, n, _num(env[n]))
            if parts:
                sub += "; " + "; ".join(parts)
            out = [Candidate(value, scenario, "; ".join(dict.fromkeys(readings_used)), formula.text, sub)]
        self._cache[key] = out
        return out


def _replace_name(text: str, name: str, value: str) -> str:
    import re

    return re.sub(rf"\b{re.escape(name)}\b", value, text)


def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def closeness(claimed: float, expected: float) -> float:
    """How far apart two figures are, symmetric in log space (0 = equal)."""
    if claimed == expected:
        return 0.0
    if claimed <= 0 or expected <= 0:
        return math.inf
    return abs(math.log(claimed / expected))


def ratio(claimed: float, expected: float) -> float | None:
    return round(claimed / expected, 4) if expected else None


def message_values(claim: Claim | None, **kw) -> dict[str, str]:
    from audit.units import format_quantity

    unit = kw.pop("unit", claim.unit if claim else "")
    values: dict[str, str] = {}
    for k, v in kw.items():
        if isinstance(v, float | int) and not isinstance(v, bool) and k in ("claimed", "expected", "bound"):
            values[k] = format_quantity(float(v), unit)
        elif isinstance(v, float):
            values[k] = f"{v:.3g}"
        else:
            values[k] = "" if v is None else str(v)
    if claim is not None:
        values.setdefault("label", claim.label or claim.before)
        values.setdefault("figure", claim.figure)
        values.setdefault("metric", claim.metric or "")
        values.setdefault("scenario", claim.scenario or "any scenario")
    return values


def registry() -> dict[str, Callable[..., Iterator[Finding]]]:
    """Check kind -> check function. An explicit table, no plugin magic."""
    from audit.judge.checks import bound, carried, consistency, recompute, requirement

    return {
        "carried": carried.check,
        "recompute": recompute.check,
        "bound": bound.check,
        "consistency": consistency.check,
        "requirement": requirement.check,
    }
