"""The vocabulary: the words that bind a figure to a metric (audit/bind/vocabulary.yaml, data, not code).

Each entry names a metric of `audit.physics.formulas.METRICS`; its unit, and so the quantity kinds
it admits, come from there. Patterns are compiled once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from audit.errors import AuditError

PATTERN_FIELDS = ("noun", "key", "label", "loose", "scoped", "bare")
VOCABULARY = Path(__file__).resolve().parent / "vocabulary.yaml"
KINDS_OF_UNIT: dict[str, frozenset[str]] = {
    "1": frozenset({"count"}), "B": frozenset({"bytes"}), "B/s": frozenset({"bandwidth"}),
    "FLOP": frozenset({"flops"}), "FLOP/s": frozenset({"flop_rate"}), "s": frozenset({"time"}),
    "tok/s": frozenset({"token_rate"}), "%": frozenset({"percent"}), "x": frozenset({"ratio"}),
}
"""The quantity kinds (`audit.units.Kind`) a figure bound to a metric of that unit may have."""


def _known_metric(name: str) -> str:
    from audit.physics.formulas import METRICS

    if name not in METRICS:
        import difflib

        close = difflib.get_close_matches(name, METRICS, n=1)
        raise ValueError(f"unknown metric {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return name


class _TermFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str
    noun: list[str] = []
    key: list[str] = []
    label: list[str] = []
    loose: list[str] = []  # words right after the figure that suggest the metric without naming it ("64 requests")
    scoped: list[str] = []
    bare: list[str] = []
    unless: list[str] = []  # words of the figure's clause that rule this metric out ("of non-expert parameters")
    achieved: str | None = None
    fallback: bool = False

    @field_validator("metric", "achieved")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        return v if v is None else _known_metric(v)


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metrics: list[_TermFile]


@dataclass(frozen=True, slots=True)
class Term:
    """One metric and the words that name it."""

    metric: str
    unit: str
    kinds: frozenset[str]
    patterns: dict  # phrase kind -> tuple[re.Pattern, ...]
    achieved: str | None
    fallback: bool
    unless: tuple = ()


_KEY_TAIL = r"\s*(=|:|of|is|at|was|were|from|to|size)?\s*$"


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | None = None) -> tuple[Term, ...]:
    from audit.errors import from_validation
    from audit.physics.formulas import METRICS
    from audit.yamlio import load_yaml

    path = path or VOCABULARY
    data, lines = load_yaml(path)
    try:
        parsed = _VocabularyFile.model_validate(data)
    except ValidationError as e:
        raise from_validation(e, str(path), lines) from None
    terms = []
    for n, t in enumerate(parsed.metrics):
        compiled = {}
        for phrase in PATTERN_FIELDS:
            pats = []
            for p in getattr(t, phrase):
                try:
                    pats.append(re.compile(p, re.I))
                except re.error as e:
                    raise AuditError(f"bad pattern {p!r}: {e}", str(path),
                                     lines.line(("metrics", n, phrase))) from None
            # one regular expression per term and phrase: the patterns as alternatives; a pattern of
            # lookaheads ("contains both X and Y") is anchored, or searching it costs quadratic time
            either = "|".join(f"(?:^{p.pattern})" if p.pattern.startswith("(?=.*") else f"(?:{p.pattern})"
                              for p in pats)
            if phrase == "key":  # matched at the end of the words before the figure
                either = f"(?:{either}){_KEY_TAIL}"
            compiled[phrase] = (re.compile(either, re.I),) if pats else ()
        unless = tuple(re.compile(u, re.I) for u in t.unless)
        unit = METRICS[t.metric].unit
        terms.append(Term(t.metric, unit, KINDS_OF_UNIT[unit], compiled, t.achieved, t.fallback, unless))
    return tuple(terms)
