"""Rule files: what to check, against which figure, how strictly — data, validated on load.

A rule reads like a sentence of the domain:

    - id: MEM001
      name: weights-per-device
      check: recompute
      metric: weights_per_device
      expected: weights_per_device
      tolerance: 10%
      level: error
      message: "Weights per device: claimed {claimed}, first principles give {expected}"

Formulas (`expected`, `floor`, `ceiling`) go through `audit.expression` (numbers, the names of
computed metrics and figures of the spec, arithmetic); a rule's `metric` must be a metric of
`audit.physics.formulas.METRICS`; messages are filled by a whitelist of placeholders, never
`str.format`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from audit.errors import AuditError, from_validation
from audit.expression import Formula, FormulaError, compile_formula
from audit.physics.formulas import METRICS
from audit.precompiled import regex
from audit.records import RuleInfo
from audit.yamlio import LineMap

Check = Literal["recompute", "bound", "consistency", "requirement", "carried"]
Relation = Literal["sum", "percent_of", "ratio", "product", "work_over_rate", "arithmetic", "per_device", "utilization_at", "utilization_of_rate", "table_sum", "table_share"]
RELATIONS = get_args(Relation)
PLACEHOLDERS = frozenset({
    "claimed", "expected", "ratio", "formula", "substitution", "interpretation", "scenario", "metric",
    "label", "bound", "parts", "figure", "premise", "how",
})

NAMES = frozenset(name for name, m in METRICS.items() if m.computed)
"""Names a formula may use: every metric the model computes and every figure of the spec."""

_PLACEHOLDER = regex(r"\{([^{}]*)\}")


def _percent(v: object) -> float:
    if isinstance(v, bool):
        raise ValueError("expected a percentage such as '10%' or a fraction such as 0.1")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", v):
        return float(v.strip().rstrip("%")) / 100
    raise ValueError("expected a percentage such as '10%' or a fraction such as 0.1")


class RuleSpec(BaseModel):
    """One entry of a rule file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z]{2,5}\d{3}$")
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    check: Check
    metric: list[str]  # "*": every figure, bound to a metric or not
    level: Literal["error", "warning", "info"]
    message: str
    ceiling_message: str | None = None  # bound: the message of a figure above the ceiling, when it differs
    description: str
    example: str = ""
    expected: list[str] | None = None  # recompute: any of these; defaults to the estimate named like the metric
    floor: str | None = None
    ceiling: str | None = None
    min_prompt_floor: str | None = None  # the floor for a claim about the shortest prompt
    list_total: str | None = None  # a list claim ("[24, 23, 24, 23]") must add up to this
    unscoped_expected: list[str] | None = None  # also accepted when a claim is about no one scenario
    relation: Relation | None = None
    tolerance: float = 0.10
    warn_margin: float | None = None  # a bound met by less than this margin is a warning
    include_quoted: bool = False
    include_operands: list[str] = []  # metrics judged also as terms of written arithmetic their noun names

    @field_validator("metric", "expected", "unscoped_expected", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("metric")
    @classmethod
    def _known_metrics(cls, v: list[str]) -> list[str]:
        for name in v:
            if name != "*" and name not in METRICS:
                close = difflib.get_close_matches(name, METRICS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else " (`audit calc` and docs/rules.md list them)"
                raise ValueError(f"unknown metric {name!r}{hint}")
        return v

    @field_validator("tolerance", "warn_margin", mode="before")
    @classmethod
    def _pct(cls, v):
        return None if v is None else _percent(v)

    @field_validator("message", "ceiling_message")
    @classmethod
    def _placeholders(cls, v: str | None) -> str | None:
        if v is None:
            return v
        for m in _PLACEHOLDER.finditer(v):
            if m.group(1) not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{m.group(1)}}} (allowed: "
                                 f"{', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})")
        return v


@dataclass(frozen=True, slots=True)
class Rule:
    """A loaded rule: its spec with formulas compiled."""

    spec: RuleSpec
    source: str
    formulas: dict  # field name -> tuple of Formula (alternatives)

    @property
    def id(self) -> str:
        return self.spec.id

    def info(self) -> RuleInfo:
        s = self.spec
        return RuleInfo(s.id, s.name, s.level, s.check, s.description, s.example)

    def message(self, values: dict[str, str], above_ceiling: bool = False) -> str:
        """The message with each whitelisted placeholder replaced by its text (`ceiling_message` for a figure
        above the ceiling, when the rule has one)."""
        template = (self.spec.ceiling_message if above_ceiling else None) or self.spec.message
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


@dataclass(frozen=True, slots=True)
class _Prefixed:
    """Line lookup for the n-th entry of a list document."""

    lines: LineMap
    n: int

    def line(self, loc) -> int:
        return self.lines.line((self.n, *loc))


def load_rule_file(path: Path) -> list[Rule]:
    from audit.yamlio import load_yaml

    data, lines = load_yaml(path)
    if not isinstance(data, list):
        raise AuditError("a rule file is a list of rules (- id: ...)", str(path), 1)
    rules = []
    for n, entry in enumerate(data):
        try:
            spec = RuleSpec.model_validate(entry)
        except ValidationError as e:
            raise from_validation(e, str(path), _Prefixed(lines, n)) from None
        formulas: dict[str, tuple[Formula, ...]] = {}
        for fld in ("expected", "unscoped_expected", "floor", "ceiling", "min_prompt_floor", "list_total"):
            texts = getattr(spec, fld)
            if texts is None:
                continue
            try:
                formulas[fld] = tuple(compile_formula(t, NAMES) for t in ([texts] if isinstance(texts, str) else texts))
            except FormulaError as e:
                raise AuditError(f"{spec.id}.{fld}: {e}", str(path), lines.line((n, fld))) from None
        if spec.check == "recompute" and spec.expected is None:  # each metric against its own estimate
            for m in spec.metric:
                try:
                    formulas[f"expected.{m}"] = (compile_formula(m, NAMES),)
                except FormulaError as e:
                    raise AuditError(f"{spec.id}.metric: {e}", str(path), lines.line((n, "metric"))) from None
        _require(spec, formulas, path, lines.line((n,)))
        rules.append(Rule(spec, str(path), formulas))
    return rules


def _require(spec: RuleSpec, formulas, path, line) -> None:
    need = {"requirement": ("expected",)}.get(spec.check, ())
    if spec.check == "bound" and not ({"floor", "ceiling"} & formulas.keys()):
        raise AuditError(f"{spec.id}: a bound rule needs floor or ceiling", str(path), line)
    if spec.check == "consistency" and spec.relation is None:
        raise AuditError(f"{spec.id}: a consistency rule needs relation ({', '.join(RELATIONS)})", str(path), line)
    for f in need:
        if f not in formulas:
            raise AuditError(f"{spec.id}: a {spec.check} rule needs {f}", str(path), line)


def rules_dir() -> Path:
    """The rule files shipped with the package (a source checkout keeps them at the top level)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise AuditError("the rules directory shipped with audit is missing", str(here / "rules"))


def load_rules(extra_dirs: tuple[Path, ...] = ()) -> list[Rule]:
    """Every rule shipped with audit plus those in `extra_dirs`, ids unique, sorted by id."""
    files = sorted(rules_dir().glob("*.yaml"))
    for d in extra_dirs:
        if not Path(d).is_dir():
            raise AuditError("rule directory not found", str(d))
        files += sorted(Path(d).glob("*.yaml"))
    seen: dict[str, str] = {}
    rules: list[Rule] = []
    for f in files:
        for r in load_rule_file(f):
            if r.id in seen:
                raise AuditError(f"rule id {r.id} is already defined in {seen[r.id]}", str(f))
            seen[r.id] = str(f)
            rules.append(r)
    return sorted(rules, key=lambda r: r.id)
