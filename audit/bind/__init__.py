"""Bind: each claim gets the metric its words name (`metric`, with the vocabulary of `vocabulary`)
and the scenario its section is about (`scenario`)."""

from __future__ import annotations

import re

from audit.bind.metric import _ACHIEVED, metric_of
from audit.bind.scenario import LAYOUT_METRICS, scenario_matchers, scenario_of

__all__ = ["LAYOUT_METRICS", "bind", "qualifiers"]
from audit.bind.vocabulary import Term
from audit.records import Claim, evolve


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
