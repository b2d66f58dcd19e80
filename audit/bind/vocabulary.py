"""The vocabulary: the words that bind a figure to a metric (audit/bind/vocabulary.yaml, data, not code).

Each entry names a metric of `audit.physics.formulas.METRICS`; its unit, and so the quantity kinds
it admits, come from there. The patterns of a term and phrase are compiled once per process, as one
alternation (their programs kept by `audit.precompiled`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from audit.errors import AuditError
from audit.precompiled import regex

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


@lru_cache(maxsize=1)
def _file_model() -> Any:
    """The pydantic model of the file, built when a file is not plainly well formed (`_well_formed`): it says
    what is wrong, and where."""
    from pydantic import BaseModel, ConfigDict, field_validator

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

    return _VocabularyFile


_LISTS = ("noun", "key", "label", "loose", "scoped", "bare", "unless")
_FIELDS = frozenset(("metric", *_LISTS, "achieved", "fallback"))


class _Entry:
    """One entry of a well-formed file, as the model would give it."""

    __slots__ = ("metric", *_LISTS, "achieved", "fallback")

    def __init__(self, entry: dict) -> None:
        for name in _LISTS:
            setattr(self, name, entry.get(name, []))
        self.metric, self.achieved, self.fallback = entry["metric"], entry.get("achieved"), entry.get("fallback", False)


def _well_formed(data: object, metrics) -> list[_Entry] | None:
    """The entries of a file whose every value already has the model's type (strings, lists of strings, a
    boolean) and names a known metric: the model would give them unchanged, so it need not be built. None
    for anything else, which the model reads (and whose errors it words)."""
    if type(data) is not dict or list(data) != ["metrics"] or type(data["metrics"]) is not list:
        return None
    out = []
    for entry in data["metrics"]:
        if type(entry) is not dict or not _FIELDS.issuperset(entry) or type(entry.get("metric")) is not str \
                or entry["metric"] not in metrics or type(entry.get("fallback", False)) is not bool:
            return None
        achieved = entry.get("achieved")
        if achieved is not None and (type(achieved) is not str or achieved not in metrics):
            return None
        for name in _LISTS:
            words = entry.get(name, [])
            if type(words) is not list or any(type(w) is not str for w in words):
                return None
        out.append(_Entry(entry))
    return out


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
    entries = _well_formed(data, METRICS)
    if entries is None:
        from pydantic import ValidationError

        try:
            entries = _file_model().model_validate(data).metrics
        except ValidationError as e:
            raise from_validation(e, str(path), lines) from None
    terms = []
    for n, t in enumerate(entries):
        compiled = {}
        for phrase in PATTERN_FIELDS:
            pats = getattr(t, phrase)
            # one regular expression per term and phrase: the patterns as alternatives; a pattern of
            # lookaheads ("contains both X and Y") is anchored, or searching it costs quadratic time
            either = "|".join(f"(?:^{p})" if p.startswith("(?=.*") else f"(?:{p})" for p in pats)
            if phrase == "key":  # matched at the end of the words before the figure
                either = f"(?:{either}){_KEY_TAIL}"
            compiled[phrase] = (_compiled(either, pats, path, lines, (n, phrase)),) if pats else ()
        unless = tuple(_compiled(u, [u], path, lines, (n, "unless")) for u in t.unless)
        unit = METRICS[t.metric].unit
        terms.append(Term(t.metric, unit, KINDS_OF_UNIT[unit], compiled, t.achieved, t.fallback, unless))
    return tuple(terms)


def _compiled(pattern: str, parts: list[str], path: Path, lines, where: tuple[int, str]) -> re.Pattern:
    """`pattern`, made of `parts`, compiled once (its program kept, `audit.precompiled`); when it does not
    compile, the error names the first part that does not, and its line."""
    try:
        return regex(pattern, re.I)
    except re.error as whole:
        for p in parts:  # only now is each part compiled alone: to say which one is wrong
            try:
                regex(p, re.I)
            except re.error as e:
                raise AuditError(f"bad pattern {p!r}: {e}", str(path), lines.line(("metrics", *where))) from None
        raise AuditError(f"bad pattern {pattern!r}: {whole}", str(path), lines.line(("metrics", *where))) from None
