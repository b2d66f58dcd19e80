"""Bind: each claim gets the metric its words name and the scenario its section is about.

Metrics come from the vocabulary in rules/vocabulary.yaml (data, not code); scenarios from the
spec's names and aliases, or, when the spec has none, from the parallel layouts the report
itself states ("Tensor Parallel | 2 | 4", "TP=4, PP=4").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from audit.errors import AuditError
from audit.records import Claim, evolve

PHRASE_ORDER = ("noun", "key", "label", "prefix", "scoped", "bare")
PATTERN_FIELDS = ("noun", "key", "label", "scoped", "bare")
LAYOUT_METRICS = ("tp", "pp", "dp", "ep", "batch_size")


class _TermFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str
    unit: Literal["1", "B", "B/s", "FLOP", "FLOP/s", "s", "tok/s", "%", "x"]
    kinds: list[Literal["bytes", "flops", "flop_rate", "bandwidth", "time", "token_rate", "count", "percent",
                        "ratio"]]
    noun: list[str] = []
    key: list[str] = []
    label: list[str] = []
    scoped: list[str] = []
    bare: list[str] = []
    unless: list[str] = []  # words before the figure that rule this metric out ("routed experts are 653.91e9")
    achieved: str | None = None
    fallback: bool = False


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


def rules_dir() -> Path:
    """The rule files shipped with the package (a source checkout keeps them at the top level)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise AuditError("the rules directory shipped with audit is missing", str(here / "rules"))


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | None = None) -> tuple[Term, ...]:
    from audit.errors import from_validation
    from audit.yamlio import load_yaml

    path = path or rules_dir() / "vocabulary.yaml"
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
        terms.append(Term(t.metric, t.unit, frozenset(t.kinds), compiled, t.achieved, t.fallback, unless))
    return tuple(terms)


# --- metric ----------------------------------------------------------------------------------

_ACHIEVED = re.compile(r"\b(achiev\w*|actual(ly)?|measured|observed|reach\w*|deliver\w*|got|gets|hits?)\b", re.I)
_KEY_TAIL = r"\s*(=|:|of|is|at|was|were|from|to|size)?\s*$"


def _admits(term: Term, claim: Claim) -> bool:
    if claim.kind in term.kinds:
        return True
    # "TFLOPs" written loosely: the metric decides amount or rate
    return claim.ambiguous_flops and ({"flops", "flop_rate"} & term.kinds) != set()


_FIGURE = re.compile(r"[~≈]?\d[\d,.]*[KMBT]?(?:\s?(?:[KMGTPE]?i?B|[KMGTPE]?(?:FLOPS|FLOPs|Flops|FLOP)(?:/s)?|"
                     r"[KMGT]i?B/s|[KMGT]Bps|tokens/s(?:ec(?:ond)?)?|tok/s|ms|µs|us|s|sec|seconds?|%|x|×)\b)?")
_PREFIX_KINDS = frozenset({"time", "token_rate", "flops", "flop_rate", "bytes"})


def _phrases(claim: Claim, previous: Claim | None) -> dict[str, list[str]]:
    before = claim.before.strip().rstrip(":").strip()
    clause = f"{before} {claim.after}".strip() if claim.after else ""
    labels = [p for p in (before, clause, claim.label) if p]
    sections = [s for s in claim.scope[-3:] if s]
    scoped = [" ".join([*sections, p]) for p in labels] or [" ".join(sections)]
    keys = [claim.before] if claim.before else []
    if previous is not None and len(before.split()) <= 2 and previous.text == claim.text:
        keys.append(f"{previous.figure} {claim.before}")  # "19% of" 141 GB
    prefix = _FIGURE.sub(" ", claim.text[: claim.start]).strip()  # other figures' units are not words
    return {"noun": [claim.after] if claim.after else [], "key": keys, "label": labels,
            "prefix": [prefix[-100:]] if prefix and prefix != before and claim.kind in _PREFIX_KINDS else [],
            "scoped": scoped,
            "bare": labels}


_BY_KIND: dict[tuple[int, str, bool], tuple[Term, ...]] = {}


def _terms_for(claim: Claim, vocabulary: tuple[Term, ...]) -> tuple[Term, ...]:
    """The terms that admit the claim's quantity kind, in vocabulary order (built once per kind)."""
    key = (id(vocabulary), claim.kind, claim.ambiguous_flops)
    if key not in _BY_KIND:
        _BY_KIND[key] = tuple(t for t in vocabulary if _admits(t, claim))
    return _BY_KIND[key]


def metric_of(claim: Claim, vocabulary: tuple[Term, ...], previous: Claim | None = None,
              label_applies: bool = True) -> Term | None:
    """The first vocabulary term that admits the claim's kind and matches one of its phrases.
    The line's label names its first figure of a kind (and what continues it), not every later one."""
    candidates = _terms_for(claim, vocabulary)
    phrases = _phrases(claim, previous)
    if not label_applies:
        phrases["label"] = [p for p in phrases["label"] if p != claim.label]
        phrases["scoped"] = phrases["bare"] = []
    order: tuple[str, ...] = PHRASE_ORDER
    if re.search(r"(=|\b(at|@))\s*$", claim.before, re.I):  # "TP=1 replicas", "at 989.5 TFLOPS per GPU": the key decides
        order = ("key", *(k for k in PHRASE_ORDER if k != "key"))
    for kind in order:
        field = "label" if kind == "prefix" else kind
        for text in phrases[kind]:
            for term in candidates:
                if not term.patterns[field]:
                    continue
                if term.unless and any(u.search(claim.text[: claim.start]) for u in term.unless):
                    continue
                pat = term.patterns[field][0]
                if pat.match(text) if kind == "noun" else pat.search(text):
                    return term
    for term in candidates:
        if term.fallback:
            return term
    return None


# --- scenario --------------------------------------------------------------------------------


def _word_pattern(words: list[str]) -> re.Pattern | None:
    alts = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(a).replace(r"\_", "[ _-]").replace(r"\ ", r"[ _-]")
                                              for a in alts) + r")(?![\w-])", re.I)


def scenario_matchers(names: dict[str, list[str]]) -> list[tuple[str, re.Pattern]]:
    """Scenario name -> pattern of the words (its name, its aliases) that point at it."""
    out = []
    for name, aliases in names.items():
        pat = _word_pattern([name, name.replace("_", " "), *aliases])
        if pat:
            out.append((name, pat))
    return out


def scenario_of(claim: Claim, matchers: list[tuple[str, re.Pattern]]) -> str | None:
    """The scenario named closest to the figure: its own clause, its label, the sentence before it,
    then its sections inside out. The other side of a comparison belongs to no section."""
    column = claim.scope[-1:] if claim.scope and claim.text.strip() == claim.figure.strip() else ()
    if claim.versus:
        places = list(column)
    else:
        own = claim.clause or claim.figure
        prefix = "" if claim.in_parens else claim.text[: claim.start]
        places = [own, claim.label, prefix, *reversed(claim.scope)]
    for place in places:
        if not place:
            continue
        hits = {name for name, pat in matchers if pat.search(place)}
        if len(hits) == 1:
            return hits.pop()
        if len(hits) > 1:  # "original vs optimized": the section is about both
            return None
    return None


# --- scenarios read from the report ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """A parallel layout the report states for one of its scenarios."""

    name: str
    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    ep: int | None = None
    batch_size: int | None = None


def layouts_from_report(claims: list[Claim]) -> dict[str, Layout]:
    """Scenarios the report itself describes: one per table column stating TP/PP/DP/EP/batch, or,
    when no table does, one per section stating them."""
    stated = [c for c in claims if c.metric in LAYOUT_METRICS and not c.quoted and not c.operand
              and c.value > 0 and c.value == int(c.value)]
    in_tables = [c for c in stated if _is_cell(c)]
    if in_tables:
        stated = in_tables
    # a section is a scenario when it states a parallel degree itself; its subsections belong to it
    sections = {_innermost_section(c) for c in stated if c.metric != "batch_size"} - {""}
    found: dict[str, dict[str, int]] = {}
    order: list[str] = []
    for c in stated:
        assert c.metric is not None  # stated figures are bound ones
        where = _layout_scope(c, sections)
        if where not in found:
            found[where] = {}
            order.append(where)
        if c.metric == "batch_size" and re.search(r"per (replica|instance)", f"{c.label} {c.before} {c.after}", re.I):
            found[where].setdefault("batch_per_replica", int(c.value))
        else:
            found[where].setdefault(c.metric, int(c.value))
    named = [w for w in order if w]
    if len(named) <= 1:
        merged: dict[str, int] = {}
        for w in order:
            for k, v in found[w].items():
                merged.setdefault(k, v)
        return {"report": _layout("report", merged)} if merged else {}
    out = {}
    for w in named:
        out[w] = _layout(w, found[w])
    if "" in found:  # figures outside any scenario section fill what the sections leave open
        for w in named:
            out[w] = evolve(out[w], **{k: v for k, v in found[""].items()
                                        if k in LAYOUT_METRICS and getattr(out[w], k) is None})
    return out


def _layout(name: str, figures: dict[str, int]) -> Layout:
    """A layout from what a report states; a batch per replica becomes the global batch."""
    per_replica = figures.pop("batch_per_replica", None)
    if per_replica and "batch_size" not in figures:
        figures["batch_size"] = per_replica * figures.get("dp", 1)
    return Layout(name, **figures)


def _is_cell(claim: Claim) -> bool:
    return bool(claim.scope and claim.scope[-1] and claim.label and claim.scope[-1] != claim.label
                and claim.text.strip() == claim.figure.strip())


def _innermost_section(claim: Claim) -> str:
    if _is_cell(claim):
        return claim.scope[-1]  # a table cell: the column is the scenario
    sections = [s for s in claim.scope[1:] if s]
    return sections[-1] if sections else ""


def _layout_scope(claim: Claim, sections: set[str]) -> str:
    if _is_cell(claim):
        return claim.scope[-1]
    return next((s for s in reversed(claim.scope) if s in sections), "")


# --- the stage -------------------------------------------------------------------------------


def bind(claims: list[Claim], scenarios: dict[str, list[str]], vocabulary: tuple[Term, ...],
         layouts: dict[str, dict[str, float]] | None = None) -> list[Claim]:
    """Claims with metric, unit and scenario set. `scenarios` maps each name to its aliases;
    `layouts` (name -> tp/pp/dp/ep/batch_size) lets a list that states "TP=4, PP=4" name its scenario."""
    out: list[Claim] = []
    matchers = scenario_matchers(scenarios)
    only = next(iter(scenarios)) if len(scenarios) == 1 else None
    previous: Claim | None = None
    kinds_seen: set[tuple] = set()
    for c in claims:
        where = (c.text, c.line, c.scope, c.kind)  # one segment: a line, a sentence or a table cell
        first_of_kind = where not in kinds_seen
        kinds_seen.add(where)
        label_applies = first_of_kind or _continues(c, previous) or bool(_ACHIEVED.search(c.before))
        term = _restated(c, previous, out) or metric_of(c, vocabulary, previous, label_applies)
        previous = c
        metric, unit = (term.metric, term.unit) if term else (None, c.unit)
        if term and term.achieved and _ACHIEVED.search(c.before):
            metric = term.achieved
        if term and c.ambiguous_flops:
            unit = term.unit
        scenario = scenario_of(c, matchers) or only
        quoted = c.quoted or (c.versus and len(scenarios) < 2)  # "from X to Y" with no other scenario to be
        out.append(evolve(c, metric=metric, unit=unit, scenario=scenario, quoted=quoted, qualifier=qualifiers(c)))
    if layouts:
        out = _scenarios_by_layout(out, layouts)
    return out


_QUALIFIERS = (
    ("min", re.compile(r"\b(min(imum)?|shortest|smallest|short[- ]prompt|best[- ]case)\b", re.I)),
    ("per_device", re.compile(r"(per|/|each)\s*(gpu|device|npu|card|chip|accelerator)\b", re.I)),
    ("per_node", re.compile(r"(per|/|each)\s*(node|server|host|machine)\b", re.I)),
    ("per_replica", re.compile(r"(per|/|each)\s*(replica|instance|dp rank)\b", re.I)),
)


def qualifiers(claim: Claim) -> str:
    """Words that change what a figure counts: the shortest prompt, per device, per node, per replica."""
    if claim.kind not in ("time", "token_rate"):  # only latencies and rates are read this way
        return ""
    words = " ".join((claim.label, claim.before, claim.after, *claim.scope[-1:]))
    return " ".join(name for name, pat in _QUALIFIERS if pat.search(words))


_CONTINUES = {"to", "vs", "vs.", "versus", "→", "->", "and", "or", "-", "–", "/"}


def _continues(claim: Claim, previous: Claim | None) -> bool:
    """ "17.2 GB vs 4.3 GB", "from 2 to 4", "6.0% → 24.2%": the second figure is the first one's kind."""
    if previous is None or previous.text != claim.text:
        return False
    between = claim.text[previous.start + len(previous.figure): claim.start].strip().lower()
    return claim.versus or between in _CONTINUES or between.endswith(("vs", "vs.", "→", "to"))


def _restated(claim: Claim, previous: Claim | None, bound: list[Claim]) -> Term | None:
    """ "16K tokens (16,384)", "327,680 bytes (320 KiB)": a figure alone in parentheses right after another
    of its kind says the same thing again."""
    if previous is None or not bound or previous.text != claim.text or previous.kind != claim.kind:
        return None
    between = claim.text[previous.start + len(previous.figure): claim.start]
    if not re.fullmatch(r"\s*(tokens?|bytes?)?\s*\(\s*", between) or not re.match(r"(\s*[a-z]+){0,3}\s*\)", claim.text[
            claim.start + len(claim.figure):]):
        return None
    metric = bound[-1].metric
    return Term(metric, bound[-1].unit, frozenset({claim.kind}), {}, None, False) if metric else None


def _scenarios_by_layout(claims: list[Claim], layouts: dict[str, dict[str, float]]) -> list[Claim]:
    """Figures of a list or paragraph that names no scenario, but whose TP/PP/DP/EP/batch fit exactly one."""
    stated: dict[int, list[Claim]] = {}
    for c in claims:
        if c.metric in LAYOUT_METRICS and not c.quoted and not c.operand and not c.versus:
            stated.setdefault(c.group, []).append(c)
    chosen: dict[int, str] = {}
    for group, figures in stated.items():
        fits = [name for name, lay in layouts.items()
                if all(lay.get(f.metric or "") == f.value for f in figures)]
        if len(fits) == 1:
            chosen[group] = fits[0]
    if not chosen:
        return claims
    return [evolve(c, scenario=chosen[c.group]) if c.scenario is None and c.group in chosen and not c.versus
            else c for c in claims]
