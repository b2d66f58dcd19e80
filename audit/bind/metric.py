"""Which metric a figure's words name: the first vocabulary term that admits its quantity kind and
matches one of its phrases, tried from the most specific (the words right after the figure) to the
most general (the section it sits in)."""

from __future__ import annotations

import re

from audit.bind.vocabulary import Term
from audit.records import Claim

PHRASE_ORDER = ("noun", "key", "label", "prefix", "scoped", "bare")
_ACHIEVED = re.compile(r"\b(achiev\w*|actual(ly)?|measured|observed|reach\w*|deliver\w*|got|gets|hits?)\b", re.I)


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


