"""Which metric a figure's words name: the first vocabulary term that admits its quantity kind and
matches one of its phrases, tried from the most specific (the words right after the figure) to the
most general (the section it sits in)."""

from __future__ import annotations

import re

from audit.bind.scope import clause_of
from audit.bind.vocabulary import Term
from audit.precompiled import regex
from audit.records import Claim

PHRASE_ORDER = ("noun", "key", "label", "loose", "prefix", "scoped", "bare")
_CONJUNCTION = regex(r"\b(?:and|plus|while|whereas|but)\b", re.I)
_AFTER_END = regex(r"[,;()\[\]|]|\s[-–—]\s|→|->|\bvs\.?\s|\bversus\b|\.\s|:\s(?=\S)")
_ACHIEVED = regex(r"\b(achiev\w*|actual(ly)?|measured|observed|reach\w*|deliver\w*|got|gets|hits?)\b", re.I)


def _admits(term: Term, claim: Claim) -> bool:
    if claim.kind in term.kinds:
        return True
    # "TFLOPs" written loosely: the metric decides amount or rate
    return claim.ambiguous_flops and ({"flops", "flop_rate"} & term.kinds) != set()


_FIGURE = regex(r"[~≈]?\d[\d,.]*[KMBT]?(?:\s?(?:[KMGTPE]?i?B|[KMGTPE]?(?:FLOPS|FLOPs|Flops|FLOP)(?:/s)?|"
                     r"[KMGT]i?B/s|[KMGT]Bps|tokens/s(?:ec(?:ond)?)?|tok/s|ms|µs|us|s|sec|seconds?|%|x|×)\b)?")
_PREFIX_KINDS = frozenset({"time", "token_rate", "flops", "flop_rate", "bytes"})


def own_words(claim: Claim, next_start: int | None) -> tuple[str, str]:
    """The figure's own words before and after it: `before` from the last conjunction on ("36 GB of weights
    and 5.4 GB of cache": "of weights" is the 36 GB's), `after` up to the next figure or boundary (past
    the whole of "X% of Y")."""
    before = re.split(r"=|≈|:\s", _CONJUNCTION.split(claim.before)[-1])[-1].strip() if re.search(
        r"=|≈|:\s\S", claim.before) else _CONJUNCTION.split(claim.before)[-1]
    before = before.strip().rstrip(":").strip()
    end = claim.start + len(claim.figure)
    tail = claim.text[end: next_start if next_start is not None and next_start > end else len(claim.text)]
    if re.fullmatch(r"\s*(?:out )?of\s+(?:the\s+)?", tail):  # "6.0% of 64GB capacity": the whole is its words
        tail = claim.text[end:]
    stop = _AFTER_END.search(tail)
    if next_start is not None and next_start > end:  # "0.95 s on A/C and a burst of 32 ...": the next one's words
        stop = min((m for m in (stop, _CONJUNCTION.search(tail)) if m is not None), key=lambda m: m.start(),
                   default=None)
    after = " ".join((tail[: stop.start()] if stop else tail).split()[:6])
    if re.match(r"[^×*/+÷=]*\s[=≈]\s", tail[: stop.start()] if stop else tail):
        after = ""  # "≈ 26 ms decode floor = 8.0 GB / ...": the words name the next expression ("TP=4" is a key)
    return before, after


_FLAG = regex(r"(?:^|(?<=[\s`]))--(?P<flag>[a-z][\w-]*)`?(?:\s+(?:defaults? to|is|was|set to|of|at))?\s*=?\s*$", re.I)
"""A command-line flag the figure is the value of ("--max-concurrency 128", "`--dp` defaults to 8")."""


def _phrases(claim: Claim, previous: Claim | None, next_start: int | None = None) -> dict[str, list[str]]:
    flag = _FLAG.search(claim.before)
    if flag:  # its flag's words alone name it: the words after it are the next flag's
        words = [flag.group("flag").replace("-", " ").replace("_", " ")]
        if re.search(r"\btokens?\b", words[0]):
            words = []  # "--max-num-batched-tokens 8192": a budget of tokens, no figure of a deployment
        return {"noun": [], "key": words, "label": words, "loose": [], "prefix": [], "scoped": [], "bare": []}
    before, after = own_words(claim, next_start)
    if claim.unit_words:  # "200K decode tok/s per node": the words inside the figure are its own first
        after = f"{claim.figure[claim.figure.rfind(claim.unit_words):]} {after}".strip()
    if previous is not None and previous.text == claim.text and previous.kind == "count" and before:
        noun = claim.text[previous.start + len(previous.figure): claim.start]
        if re.match(r"\s*[^\W\d_]+(?:\s+[^\W\d_]+){0,2}\s*[:=]?\s*$", noun):
            before = ""  # "4 GPUs: 2 × TP2": "GPUs" is the 4's
    clause = f"{before} {after}".strip() if after else ""
    labels = [p for p in (before, clause, claim.label) if p]
    sections = [s for s in claim.scope[-3:] if s]
    scoped = [" ".join([*sections, p]) for p in labels] or [" ".join(sections)]
    keys = [claim.before] if claim.before else []
    if previous is not None and len(before.split()) <= 2 and previous.text == claim.text:
        keys.append(f"{previous.figure} {claim.before}")  # "19% of" 141 GB
    # other figures' units are not words; only a figure of these kinds is named by its sentence
    prefix = _FIGURE.sub(" ", claim.text[: claim.start]).strip() if claim.kind in _PREFIX_KINDS else ""
    return {"noun": [after] if after else [], "key": keys, "label": labels, "loose": [after] if after else [],
            "prefix": [p for p in (prefix[-100:], f"{prefix[-100:]} {after}" if after else "")
                       if p] if prefix and prefix != before and claim.kind in _PREFIX_KINDS else [],
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
              label_applies: bool = True, next_start: int | None = None) -> tuple[Term | None, str, str]:
    """The first vocabulary term that admits the claim's kind and matches one of its phrases, with the
    evidence: where its words were found (`Evidence.phrase`) and which words they were.
    The line's label names its first figure of a kind (and what continues it), not every later one."""
    candidates = _terms_for(claim, vocabulary)
    phrases = _phrases(claim, previous, next_start)
    if not label_applies:
        phrases["label"] = [p for p in phrases["label"] if p != claim.label]
        phrases["scoped"] = phrases["bare"] = []
    order: tuple[str, ...] = PHRASE_ORDER
    if re.search(r"(=|\b(at|@))\s*$", claim.before, re.I):  # "TP=1 replicas", "at 989.5 TFLOPS per GPU": the key decides
        order = ("key", *(k for k in PHRASE_ORDER if k != "key"))
    ruled_out: list[bool | None] = [None] * len(candidates)  # by the term's `unless` words, once each
    clause = ""  # the figure's clause, label and words, where `unless` words are looked for: read when a term with some matches

    def excluded(n: int) -> bool:
        nonlocal clause
        if ruled_out[n] is None:
            clause = clause or f"{clause_of(claim)} {claim.label} {claim.before}"  # "8192 → 4096": 4096's words are 8192's
            ruled_out[n] = any(u.search(clause) for u in candidates[n].unless)
        return bool(ruled_out[n])

    def first(kind: str) -> tuple[Term, str, re.Pattern] | None:
        field = "label" if kind == "prefix" else kind
        at_start = kind in ("noun", "loose")
        for text in dict.fromkeys(phrases[kind]):  # a text said twice ("Label: 3 GB" is its label) is tried once
            for n, term in enumerate(candidates):
                pats = term.patterns[field]
                if not pats:
                    continue
                pat = pats[0]
                if (pat.match(text) if at_start else pat.search(text)) and not (term.unless and excluded(n)):
                    return term, text, pat
        return None

    loose = first("loose")
    part = bool(phrases["noun"]) and _COMPONENT.match(phrases["noun"][0]) is not None
    counts_other = loose is None and claim.kind == "count" and COUNTED.match(claim.after) is not None
    for kind in order:
        hit = loose if kind == "loose" else first(kind)
        if hit is None:
            continue
        term, text, pat = hit
        if (part or counts_other) and kind in ("label", "prefix", "scoped", "bare"):
            # "weights per GPU: ... = 40.9 GB experts → 58.0 GB": a part of what the line names;
            # "| GPUs | 16 (2 nodes) |": what its own noun counts, not what the row does
            return None, "", ""
        if kind in ("label", "prefix", "scoped", "bare") and loose is not None and loose[0].metric != term.metric \
                and text == claim.label:
            term, text, pat = loose  # "GPUs: 2 replicas × TP8": the figure's own noun, not the line's label
            return term, "loose", text
        return term, _evidence(kind, text, claim, pat), text
    for n, term in enumerate(candidates):
        if term.fallback and not (term.unless and excluded(n)):
            return term, "fallback", claim.figure
    return None, "", ""


COUNTED = regex(r"(?:nodes?|servers?|hosts?|machines?|boxes|racks?|trays?|replicas?|instances?|stages?|pods?|"
                 r"clusters?|layers?|heads?|experts?)\b", re.I)
"""The noun right after a count that says what it counts."""
_COMPONENT = regex(r"(?:of\s+)?(?:the\s+)?(?:dense|experts?|attention|embeddings?|shared|routed|non-expert|ffn|mlp|lm[_ ]head|"
                   r"activations?)(?: part| weights| params| parameters| layers| blocks)?(?:\s|$|[.,;)])", re.I)
"""The words of a figure that name a component ("40.9 GB experts", "17.1 GB dense part"): a part of what
the line's label names, not the whole of it."""


def _evidence(kind: str, text: str, claim: Claim, pattern: re.Pattern) -> str:
    """`Evidence.phrase` of a match: the figure's own words ("noun", "key", "clause", "label", "row",
    "column"), words earlier in its sentence ("sentence"), or its section's title ("section")."""
    if kind in ("noun", "key", "loose"):
        return kind
    if kind == "prefix":
        return "sentence"
    if kind in ("label", "bare"):
        if text == claim.label and claim.label != claim.before.strip().rstrip(":").strip():
            return "row" if claim.column else "label"
        return "clause"
    # "scoped": the section titles with the figure's label. A table's column header is the figure's own;
    # words a section title adds are not: such a binding is a warning at most
    sections = " ".join(s for s in claim.scope[-3:] if s and s != claim.column)
    if claim.column and not pattern.search(" ".join(p for p in (sections, claim.label) if p)):
        return "column"
    return "section"
