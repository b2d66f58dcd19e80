"""Bind: each claim gets the metric its words name (`metric`, with the vocabulary of `vocabulary`)
and the scenario its section is about (`scenario`)."""

from __future__ import annotations

import re

from audit.arithmetic import as_written, chain_before
from audit.bind.about import Names, about
from audit.bind.conditions import conditions_of
from audit.bind.metric import _ACHIEVED, COUNTED, metric_of, own_words
from audit.bind.scenario import LAYOUT_METRICS, names_not_figures, scenario_matchers, scenario_of
from audit.bind.scope import (
    OF_A_DEVICE,
    OWNER,
    SHARE_LEAD,
    layout_named,
    other_axis,
    owners_fit,
    parts,
    refine,
)
from audit.bind.vocabulary import Term
from audit.extract.claims import number_offset
from audit.extract.segments import HEADING_GROUP, SENTENCE_END
from audit.precompiled import regex
from audit.records import Claim, Evidence, evolve

__all__ = ["LAYOUT_METRICS", "SHAPE_FIGURES", "bind", "qualifiers"]

SHAPE_FIGURES = ("layers", "kv_heads", "heads", "head_dim")
"""The model's shape figures a layout carries too: written arithmetic over them says what it computes."""


def bind(claims: list[Claim], scenarios: dict[str, list[str]], vocabulary: tuple[Term, ...],
         layouts: dict[str, dict[str, float]] | None = None,
         names: Names = (frozenset(), frozenset(), frozenset())) -> list[Claim]:
    """Claims with metric, unit, scenario and the evidence for both set. `scenarios` maps each name to its
    aliases; `layouts` (name -> tp/pp/dp/ep/batch_size) lets a list that states "TP=4, PP=4" name its
    scenario; `names` (`audit.bind.about.spec_names`) tells the spec's model and accelerator from others."""
    out: list[Claim] = []
    matchers = scenario_matchers(scenarios)
    claims = names_not_figures(claims, matchers)
    names_found: dict[str, frozenset[str]] = {}  # the scenarios each text searched names (`scenario_of`)
    names_in: dict[tuple[str, str], list[str]] = {}  # the models and accelerators each text names (`about`)
    only = next(iter(scenarios)) if len(scenarios) == 1 else None
    previous: Claim | None = None
    kinds_seen: set[tuple] = set()
    chains = _written_arithmetic(claims)
    results = set(chains)
    operands = set().union(*chains.values()) - results if chains else set()
    for n, c in enumerate(claims):
        where = (c.text, c.line, c.scope, c.kind)  # one segment: a line, a sentence or a table cell
        first_of_kind = where not in kinds_seen and n not in operands
        kinds_seen.add(where)
        # the line's label names its first figure, or the result of the arithmetic written on it
        label_applies = first_of_kind or n in results or _continues(c, previous) or bool(_ACHIEVED.search(c.before))
        if c.label and not c.column and (len(c.label.split()) > 5 or "," in c.label) and (
                c.label not in c.text or SENTENCE_END.search(c.text, c.text.find(c.label) + len(c.label), c.start)):
            label_applies = False  # "Decode slowed too, but not from bandwidth: ... . If every step ...": a sentence, no label of the next
        if n in operands:
            label_applies = False
            c = evolve(c, operand=True)
        elif n in results:
            first = min(chains[n])
            c = _with_lead(c, claims[first], claims[first - 1] if first else None)
        if c.kind == "count" and c.value >= 100 and _RATE_NOUN.match(c.after):  # not "we ran 3 throughput tests"
            c = evolve(c, kind="token_rate", unit="tok/s")  # "current's 25.2K pool throughput": a rate in its words
        following = claims[n + 1] if n + 1 < len(claims) else None
        next_start = following.start if following is not None and following.text == c.text else None
        restated = _restated(c, previous, out)
        term: Term | None
        if restated is not None:  # as sure as the figure it says again
            term, phrase, words = restated, out[-1].evidence.phrase, out[-1].evidence.words
        elif c.column and c.label and _names_a_scenario(c.label, matchers):
            # a table with a row per scenario: the column header names the metric
            term, phrase, words = metric_of(evolve(c, label=c.column), vocabulary, previous, label_applies, next_start)
            phrase = "column" if phrase in ("row", "label") else phrase
            rest = _without_scenarios(c.label, matchers)
            if term is None and rest:  # "| Weights / GPU, tp8dp2 | 14.7 GB |": the row's other words name it
                term, phrase, words = metric_of(evolve(c, label=rest), vocabulary, previous, label_applies,
                                                next_start)
        else:
            term, phrase, words = metric_of(c, vocabulary, previous, label_applies, next_start)
        previous = c
        metric, unit = (term.metric, term.unit) if term else (None, c.unit)
        if term and term.achieved and _ACHIEVED.search(c.before):
            metric = term.achieved
        elif metric in _COMPUTED_RATE and phrase == "fallback" and (n in chains and c.kind not in {
                claims[m].kind for m in chains[n]} or _IMPLIED.search(c.before)):
            metric = _COMPUTED_RATE[metric]  # "16.8 GB / 18 ms = 0.93 TB/s": what a run moved, not the datasheet's
        elif metric == "throughput" and phrase == "fallback" and n in chains \
                and {claims[m].kind for m in chains[n]} >= {"count", "time"} \
                and not {claims[m].kind for m in chains[n]} & {"flops", "flop_rate", "bytes", "bandwidth"} \
                and "/" in c.text[claims[min(chains[n])].start: c.start]:
            metric, phrase = "decode_throughput", "role"  # "128 / 2.2 ms ≈ 58K tok/s": sequences over a step
        elif metric == "kv_cache_per_device" and n in chains and _SUBTRACTS.search(c.text, claims[min(chains[n])].start, c.start):
            metric = "free_memory"  # "77.3 - 35.3 = 42.0 GB for KV per GPU": the room left, not the cache
        elif metric == "kv_share" and not _KV_WORD.search(words) and not OF_A_DEVICE.match(c.text, c.start + len(c.figure)) \
                and not ((whole := _OF_FOOTPRINT.match(c.text, c.start + len(c.figure)))
                         and owners_fit(whole.group(0), lambda word: _names_a_scenario(word, matchers))):
            metric = None  # "the cache is 12% of our monthly bill": a cache named so is the KV only as a share of memory
        elif metric in ("kv_share", "weights_share") and OF_A_DEVICE.match(c.text, c.start + len(c.figure)):
            metric = f"{metric}_of_capacity"  # "the KV alone is ~68% of each card's HBM": of the capacity, not of what it holds
        elif metric in ("kv_share", "weights_share") and (whole := _OF_FOOTPRINT.match(c.text, c.start + len(c.figure))) \
                and owners_fit(whole.group(0), lambda word: _names_a_scenario(word, matchers)):
            metric = f"{metric}_of_footprint"  # "~76% of each GPU's footprint": of what it holds, not of the capacity
        elif metric in _REQUIRED and _REQUIREMENT_LABEL.search(c.label) and not _ACHIEVED.search(c.before):
            metric = _REQUIRED[metric]  # "**Requirement:** TTFT ≤ 1.5 s": the line's label says what it is
        if term and c.ambiguous_flops:
            unit = term.unit
        scenario, found = scenario_of(c, matchers, names_found)
        scenario, found = _by_layout_named(c, metric, scenario, found, layouts)
        if scenario is None and only is not None:
            scenario, found = only, "only"
        quoted = (c.quoted or (c.versus and len(scenarios) < 2)  # "from X to Y" with no other scenario to be
                  or bool(c.column and _SUPERSEDED.search(c.column) and not _names_a_scenario(c.column, matchers)))
        bound = evolve(c, metric=metric, unit=unit, scenario=scenario, quoted=quoted, qualifier=qualifiers(c),
                       evidence=Evidence(phrase, words, found), about=about(c, names, metric, names_in))
        bound = _plausible(refine(bound))
        conditions = conditions_of(bound) if bound.metric else ()
        out.append(evolve(bound, conditions=conditions) if conditions or bound.conditions else bound)
    out = _parts_of_totals(_rates_of_times(_times_of_work(_formula_operands(parts(out), chains), chains), chains), chains)
    out = _kv_per_token_written(out, chains, layouts or {})
    out = _sparse_peaks(_alternatives(_capacity_in_use(_shares_of_a_part(_fleets(_said_again(_elliptic_per(_flops_of_params(
        out, chains))))))))
    if layouts:
        out = _other_layouts(_scenarios_by_layout(out, layouts), layouts)
    return out


_WHOLE_NOUN = regex(r"(?:[\w-]+\s+)?(?:pool|aggregate|cluster|fleet|deployment)\b", re.I)
"""A figure's own noun naming the whole deployment ("25.2K pool throughput")."""
_RATE_NOUN = regex(r"(?:(?:pool|node|cluster|replica|decode|prefill|output|aggregate|total|peak)\s+){0,2}throughput\b",
                   re.I)
"""The words right after a bare number that make it a token rate ("25.2K pool throughput")."""
_LEADS = regex(r"(?::|\b(?:is|are|was|takes?|took|needs?|costs?|gives?|comes to))\s*$", re.I)
"""How words end that lead into an expression ("Compute ceiling per node:", "a full prompt is")."""


def _with_lead(result: Claim, first: Claim, previous: Claim | None = None) -> Claim:
    """The result of arithmetic with no words of its own before it takes the words its expression follows: "Compute
    ceiling per node: 8 × 989.5 TFLOPS / (2 × 235.1B) ≈ 16.8K tok/s" is a ceiling per node, "a full prompt is
    279.6 / (835.5 × 0.45) ≈ 0.74 s" a prompt's prefill time. Words right after another figure (`previous`) are
    that figure's when a colon closes them: "64 chats per replica hit all experts: 8 × (1 − 0.75^64) ≈ 8.0" counts
    no chats ("16 prompts need 16 × 279.6 / ... ≈ 2.7 s" is what they need)."""
    lead = own_words(first, None)[0]
    if not lead or not _LEADS.search(first.before) or own_words(result, None)[0]:
        return result  # "Weights 35.2 GB + KV 8.5 GB = 43.7 GB": "Weights" is the first operand's alone
    gap = first.text[previous.start + len(previous.figure): first.start] if previous is not None \
        and previous.text == first.text and previous.start < first.start else ""
    if gap.lstrip()[:1].isalpha() and not gap.replace(first.before, "").strip() and first.before.rstrip().endswith(":"):
        return result  # a clause of the figure before it, closed by its colon ("16 prompts need 16 × ..." leads on)
    return evolve(result, before=f"{lead} {result.before}".strip())


def _by_layout_named(claim: Claim, metric: str | None, scenario: str | None, found: str,
                     layouts: dict[str, dict[str, float]] | None) -> tuple[str | None, str]:
    """A figure whose own clause states a layout ("with TP=4 each GPU holds 70.3 GB", "a TP4 replica
    serving 32 sequences needs ...") is about the scenario with that layout, whatever its section says;
    stating a layout no scenario has, it is about none of them. `metric` is the one the figure is bound to."""
    if not layouts or metric in LAYOUT_METRICS or metric == "device_count":
        return scenario, found
    where, named = "clause", layout_named(f"{claim.clause} {claim.label}")
    if not named:
        where, named = "sentence", layout_named(claim.text[: claim.start])
    if not named:
        return scenario, found
    fits = [name for name, lay in layouts.items() if all(lay.get(k) == v for k, v in named.items())]
    if scenario is not None and scenario not in fits and found in ("clause", "label", "sentence") and not layout_named(
            f"{claim.clause} {claim.label}" if where == "clause" else claim.text[: claim.start], groups=False):
        return scenario, found  # "Setup 2 does 2,690 on the pair": its name beats what "the pair" would make it
    if len(fits) == 1:
        return fits[0], where if where == "clause" or found != "clause" else found
    if not fits or scenario not in fits:
        return None, ""
    return scenario, found


_WHOLE_COUNTS = frozenset({*LAYOUT_METRICS, "device_count", "devices_per_replica", "devices_per_node", "replicas_per_node",
                           "batch_per_replica"})
"""Counts a deployment has in whole numbers: a fraction of one is arithmetic on the way to a size."""


def _plausible(claim: Claim) -> Claim:
    """A figure outside the range its metric can have at all is not that metric ("128 total" is no
    parameter count; a layer count is a whole number)."""
    from audit.physics.formulas import METRICS

    values = claim.values or (claim.value,)
    if claim.metric in _WHOLE_COUNTS and not all(float(v).is_integer() for v in values):
        return evolve(claim, metric=None, evidence=Evidence())  # "→ 38.2 replicas": a need worked out, no layout
    m = METRICS.get(claim.metric or "")
    if m is None or m.plausible is None:
        return claim
    lo, hi = m.plausible
    values = claim.values or (claim.value,)
    whole = m.kind != "figure" or m.unit != "1" or all(float(v).is_integer() for v in values)
    if whole and all(lo <= v <= hi for v in values):
        return claim
    return evolve(claim, metric=None, evidence=Evidence())


def _written_arithmetic(claims: list[Claim]) -> dict[int, set[int]]:
    """The claims that are the result of arithmetic written before them, each with its operands."""
    chains: dict[int, set[int]] = {}
    for n, c in enumerate(claims):
        if c.operand or not (_EQUALS_BEFORE.search(c.text[: c.start]) or c.figure.startswith("≈")):
            continue
        spans = chain_before(c.text, c.start, c.figure)
        members = {m for m in range(max(0, n - 40), n) if claims[m].text == c.text  # "≈ 32.9 TFLOP / ...": its number
                   and any(lo <= claims[m].start + number_offset(claims[m].figure) < hi for lo, hi in spans)}
        if members:
            chains[n] = members
    return chains


_TIME_FORMULAS = {"ttft": "prefill_flops", "batch_prefill_time": "prefill_flops_batch"}


def _formula_operands(claims: list[Claim], chains: dict[int, set[int]]) -> list[Claim]:
    """The work and the rate inside a prefill time written out ("3,852 TFLOPs / (8 × 1,307 TFLOPS) = 0.37 s"):
    the FLOPs before the division are the request's (or the batch's) prefill FLOPs, a FLOP rate after it the
    peak; each is judged as that, loosely (a warning at most, since only the result is claimed for sure)."""
    out = list(claims)
    for n, members in chains.items():
        work = _TIME_FORMULAS.get(out[n].metric or "")
        if work is None:
            continue
        slash = out[n].text.find("/", min(out[m].start for m in members))
        for m in sorted(members):
            o = out[m]
            if o.metric is not None or o.kind not in ("flops", "flop_rate") \
                    or (m in chains and (o.kind == "flop_rate" or 0 <= slash < o.start)):
                continue  # "/ (32 × 275 TFLOPS = 8.8 PFLOPS)": a rate that is a result of its own is a group's
            metric = "peak_flops" if o.kind == "flop_rate" or (0 <= slash < o.start) else work
            if metric != "peak_flops" and o.kind != "flops":
                continue
            unit = "FLOP/s" if metric == "peak_flops" else "FLOP"
            out[m] = evolve(o, metric=metric, unit=unit, operand=False,
                            evidence=Evidence("loose", f"a term of the {out[n].metric} written out", o.evidence.scenario))
    return out


_OF_FOOTPRINT = regex(rf"\s*of\s+(?:the\s+|its\s+|each\s+|every\s+|one\s+|a\s+)?(?:{OWNER}\s+)?"
                      r"(?:per[- ](?:gpu|device|card|npu)\s+)?(?:footprint|resident(?: memory| set)?|(?:memory|hbm|vram) in use|"
                      r"what (?:it|each (?:gpu|device|card)|a (?:gpu|device|card)|the (?:gpu|device|card)) holds)\b", re.I)
"""The words after a share that name its whole as what a device holds ("of the per-GPU footprint", "of B's
footprint")."""
_SHARE_OF_PART = {"kv_cache_per_device": "kv_share", "weights_per_device": "weights_share"}
_KV_WORD = regex(r"\b(?:kv|key[- ]value)\b", re.I)


_OPTIONS = regex(r"\s*+(?:(?:,|;|\bor\b|\band\b|/|\beither\b)\s*+)++(?:[\w=-]++\s*+){0,2}+", re.I)
"""What joins the options of a list of layouts: "TP=2, TP=4, or", "TP=2 and TP=4", "1 or 2 GPUs" (not "vs": the sides
of a comparison are its scenarios')."""


_OR = regex(r"\s*(?:or|and|/)\s*", re.I)
"""What joins a bare option to the next one ("over 2 or 4 GPUs"): the bare count counts what the other does."""


def _alternatives(claims: list[Claim]) -> list[Claim]:
    """Two values of one layout degree in a sentence that names no scenario for either, joined as options ("deploy
    TP=2, TP=4, or ZeRO over 2 or 4 GPUs", "Choose TP=1 or TP=2"): the choices it lists, none the deployment's."""
    out = list(claims)
    for n in range(1, len(out)):
        a, b = out[n - 1], out[n]
        if a.metric is None and a.kind == "count" and a.text == b.text and b.metric in (*LAYOUT_METRICS, "device_count") \
                and _OR.fullmatch(b.text, a.start + len(a.figure), b.start):
            a = evolve(a, metric=b.metric)  # "over 2 or 4 GPUs": the bare option counts what the other does
        if a.text != b.text or a.metric != b.metric or a.metric not in (*LAYOUT_METRICS, "device_count") \
                or a.value == b.value or "clause" in (a.evidence.scenario, b.evidence.scenario) or a.versus or b.versus \
                or not _OPTIONS.fullmatch(b.text, a.start + len(a.figure), b.start):
            continue
        for m in (n - 1, n):
            out[m] = evolve(out[m], about=out[m].about or "one of the options its sentence lists")
    return out


def _shares_of_a_part(claims: list[Claim]) -> list[Claim]:
    """A percentage right after the KV or weights figure of a device, of what the device holds: "KV is 14.2 GB, only
    7.4% of the footprint", "KV cache: 21.1 GB (42% of the per-GPU footprint)" is that part's share of it, as sure
    as the part's own binding."""
    out = list(claims)
    for n in range(1, len(out)):
        c, part = out[n], out[n - 1]
        share = _SHARE_OF_PART.get(part.metric or "")
        if c.kind != "percent" or c.metric not in (None, "memory_utilization") or share is None \
                or part.text != c.text or not SHARE_LEAD.fullmatch(c.text, part.start + len(part.figure), c.start):
            continue
        whole = _OF_FOOTPRINT.match(c.text, c.start + len(c.figure))
        if whole:
            phrase = "sentence"  # a footprint may count more than weights and KV (activations, a graph pool)
            out[n] = evolve(c, metric=f"{share}_of_footprint", unit="%", scenario=c.scenario or part.scenario,
                            evidence=Evidence(phrase, whole.group(0).strip(), c.evidence.scenario or part.evidence.scenario))
    return out


def _capacity_in_use(claims: list[Claim]) -> list[Claim]:
    """A device's memory with its own share right after it is memory in use, not the capacity: "| HBM per GPU, GB (%
    of 141 GB) | 79.9 (57%) |" holds 79.9 GB of the 141; so is a table row of a device's memory whose cells differ.
    Its words named the device's memory, so it is bound as loosely as they were (a warning at most)."""
    out = list(claims)
    for n in range(len(out) - 1):
        c, share = out[n], out[n + 1]
        if c.metric == "memory_capacity" and share.kind == "percent" and share.text == c.text \
                and _OWN_SHARE.fullmatch(c.text, c.start + len(c.figure), share.start):
            out[n] = evolve(c, metric="memory_per_device", evidence=evolve(c.evidence, phrase="section"))
    rows: dict[tuple[int, int], set[float]] = {}  # "| HBM per package (GB) | 33.2 | 46.0 |": a row of the memory each
    for c in out:  # scenario uses; one device's capacity is one figure, whatever the column
        if c.metric == "memory_capacity" and c.column:
            rows.setdefault((c.group, c.line), set()).add(c.value)
    return [evolve(c, metric="memory_per_device", evidence=evolve(c.evidence, phrase="section"))
            if c.metric == "memory_capacity" and c.column and len(rows[(c.group, c.line)]) > 1 else c for c in out]


_OWN_SHARE = regex(r"\s*\(\s*[~≈]?\s*")
""""79.9 (57%)": the share opens a parenthesis right after the figure."""

_COMPUTED_RATE = {"memory_bandwidth": "achieved_bandwidth", "peak_flops": "achieved_flops"}
"""A rate known by its unit alone that written arithmetic computes from other kinds (bytes over a time), or that
a time is said to imply ("52 ms would mean 1.64 TB/s"), is what a run achieved."""
_SUBTRACTS = regex(r"\s[-−–]\s|\bminus\b")
_IMPLIED = regex(r"\b(?:would mean|means|impl(?:y|ies|ied))\s*$", re.I)
_REQUIRED = {"ttft": "requirement_ttft", "decode_step_time": "requirement_tpot", "throughput": "requirement_throughput"}
"""A metric -> the requirement on it, for a figure under a line labelled as a requirement."""
_REQUIREMENT_LABEL = regex(r"^\W*(requirements?|targets?|slos?|slas?|goals?|constraints?)\W*$", re.I)

_EQUALS_BEFORE = regex(r"(?:=|≈|~=|≃|≅)\s*$")
_AT_PEAK = regex(r"\b(?:mfu|(?:of|at) (?:the )?peak|at peak)\b", re.I)


_PER_DEVICE_WORDS = regex(r"\b(?:per|/|each|a|every)\s*(?:gpu|device|chip|card|npu|accelerator|rank)\b|每卡|单卡", re.I)
_PART_NOUNS = (("weights_per_device", regex(r"^\W*(?:of\s+)?(?:\w+\s+)?weights?\b", re.I)),
               ("kv_cache_per_device", regex(r"^\W*(?:of\s+)?(?:\w+\s+)?(?:kv|cache|mla cache|kv cache)\b", re.I)))
_PER_DEVICE_TOTALS = frozenset({"memory_per_device", "decode_bytes_per_device", "decode_step_time"})


def _parts_of_totals(claims: list[Claim], chains: dict[int, set[int]]) -> list[Claim]:
    """The parts of a per-device total written out are per-device figures: "8.8 GB weights + 13.4 GB KV = 22.2 GB
    per GPU", "(17.6 GB + 5.4 GB of FP8 KV) / 4.8 TB/s = 4.8 ms". A part is what its own noun says (weights,
    KV), or, bare, the per-device figure of the same number stated on an earlier line ("18.2 + 85.9 = 104.1 GB"
    after "145.4 / 8 = 18.2 GB per GPU"); a total of such parts is the memory per device. Bound loosely, and
    judged as figures of their own: an operand is a premise the report asserts."""
    out = list(claims)
    for n, members in chains.items():
        total = out[n]
        over_bandwidth = total.kind == "time" and any(out[m].kind == "bandwidth" for m in members)
        per_device = (total.metric in _PER_DEVICE_TOTALS or over_bandwidth
                      or (total.kind == "bytes" and bool(_PER_DEVICE_WORDS.search(total.text[total.start:]))))
        parts = [m for m in sorted(members) if out[m].kind == "bytes"]
        if not per_device or len(parts) < 2 or (total.kind == "time" and not over_bandwidth):
            continue
        named = []
        for m in parts:
            o = out[m]
            own = o.text[o.start + len(o.figure): o.start + len(o.figure) + 30]
            metric = next((name for name, pattern in _PART_NOUNS if pattern.match(own)), None)
            why = "a part of a per-device total"
            if metric is None:
                earlier = _stated_before(o, out)
                metric, why = (earlier.metric, f"the line {earlier.line} figure it restates") if earlier else (None, "")
            if metric is None or (o.metric not in (None, total.metric) and o.evidence.confident):
                continue  # (the line's label names the total, not its part: "Resident on each GPU: 29.4 GB + ...")
            out[m] = evolve(o, metric=metric, operand=False, evidence=Evidence("loose", why, o.evidence.scenario))
            named.append(metric)
        other = {"weights_per_device": "kv_cache_per_device", "kv_cache_per_device": "weights_per_device"}
        if len(parts) == 2 and len(named) == 1 and named[0] in other and total.metric in (None, "memory_per_device"):
            m = next(m for m in parts if out[m].metric != named[0])  # "(17.6 GB + 5.4 GB of FP8 KV)": 17.6 is the weights
            o = out[m]
            if not (o.metric not in (None, total.metric) and o.evidence.confident):
                out[m] = evolve(o, metric=other[named[0]], operand=False,
                                evidence=Evidence("loose", "the other part of weights + KV", o.evidence.scenario))
                named.append(other[named[0]])
        if total.kind == "bytes" and total.metric is None and len(named) == len(parts) and set(named) == {
                "weights_per_device", "kv_cache_per_device"}:
            out[n] = evolve(total, metric="memory_per_device", unit="B",
                            evidence=Evidence("loose", "weights + KV per device", total.evidence.scenario))
    return out


def _kv_per_token_written(claims: list[Claim], chains: dict[int, set[int]],
                          layouts: dict[str, dict[str, float]]) -> list[Claim]:
    """Bytes written out as a product over the model's layers, its (KV) heads and its head dimension are KV
    bytes per token, whatever the words: "126 × 8 × 128 × 2 B = 258,048 B". Bound loosely."""
    out = list(claims)
    shapes = [lay for lay in layouts.values() if {"layers", "head_dim"} <= lay.keys()]
    for n, members in chains.items():
        c = out[n]
        if c.kind != "bytes" or (c.metric is not None and c.evidence.confident) or len(members) < 3:
            continue
        counts = [as_written(out[m].figure) for m in members if out[m].kind == "count"]  # "128 KiB" is no head dim
        if any(_uses(counts, lay["layers"], lay["head_dim"], lay.get("kv_heads")) or
               _uses(counts, lay["layers"], lay["head_dim"], lay.get("heads")) for lay in shapes):
            out[n] = evolve(c, metric="kv_cache_per_token", unit="B",
                            evidence=Evidence("loose", "layers x heads x head dim written out", c.evidence.scenario))
    return out


_PER_ONLY = regex(r"^\s*(?:per|/|each)\s*(gpu|device|card|chip|npu|rank|replica|node)\b", re.I)
_PER_SCOPE = {"gpu": "device", "device": "device", "card": "device", "chip": "device", "npu": "device",
              "rank": "device", "replica": "replica", "node": "node"}


_PARAMS = regex(r"^\s*~?\d[\d,.]*\s*[BM]\b")


def _flops_of_params(claims: list[Claim], chains: dict[int, set[int]]) -> list[Claim]:
    """FLOPs written out as 2 x parameters (x tokens) are a prefill's matmul FLOPs, at the tokens written (one
    token when none is): "2 × 235.1B × 6,144 ≈ 2,889 TFLOP", "each decoded token costs 2 × 671B ≈ 1.34 TFLOP".
    Bound loosely, at the prompt the product names."""
    out = list(claims)
    for n, members in chains.items():
        c = out[n]
        if c.kind != "flops" or (c.metric is not None and c.evidence.confident):
            continue
        terms = [out[m] for m in sorted(members)]
        params = [t for t in terms if _PARAMS.match(t.figure) and t.value >= 1e8]
        counts = [as_written(t.figure) for t in terms if t not in params]
        if len(params) != 1 or 2.0 not in counts or any(t.kind not in ("count",) for t in terms):
            continue
        tokens = [x for x in counts if x is not None and x != 2.0]
        if len(tokens) > 1:
            continue
        out[n] = evolve(c, metric="prefill_flops", unit="FLOP", conditions=(("prompt", float(tokens[0] if tokens else 1)),),
                        evidence=Evidence("loose", "2 x parameters x tokens written out", c.evidence.scenario))
    return out


def _elliptic_per(claims: list[Claim]) -> list[Claim]:
    """A bare count followed only by "per GPU" says the previous count's noun again, per GPU: "the 8 KV heads
    4 per GPU" is 4 KV heads per GPU. Bound loosely."""
    from audit.bind.scope import REFINED

    out = list(claims)
    for n, c in enumerate(out):
        m = _PER_ONLY.match(c.after or "")
        if c.metric is not None or c.kind != "count" or m is None or n == 0:
            continue
        prev = out[n - 1]
        part = REFINED.get((prev.metric or "", _PER_SCOPE[m.group(1).lower()]))
        if prev.text == c.text and prev.kind == "count" and 0 < c.start - prev.start <= 40 and part:
            out[n] = evolve(c, metric=part, unit="1",
                            evidence=Evidence("loose", f"{prev.figure} {prev.after[:20]} again", c.evidence.scenario))
    return out


_SIZING = regex(r"\b(needed|required|forecast\w*|demand|projected|to serve)\b", re.I)
"""Words of a table's headers or section saying its counts size a fleet for a demand ("Nodes needed", "Fleet (Q1
forecast: 120K tok/s)"), not the deployment the spec describes."""


_SIZED = regex(r"\bwould (?:take|need|require|cost)\b|\b(?:to|would|could) (?:meet|hit|reach|serve|handle|sustain)\b"
               r"|\bif (?:you|we|one|they)\b|\bestimat\w*\b"
               r"|\bfor (?:every|each|a) (?:[\w.,]+ )?(?:million|thousand|[\d.,]+\s*[kKmM]?) (?:\w+ )?(?:users|requests|conversations|sessions|chats)\b"
               r"|\bmeet(?:ing)? (?:the |that |this |our )?(?:target|demand|goal|sla|slo|peak)\b"
               r"|^for [~≈]?[\d.,]+\s*[kKmM]?\s*(?:[\w-]+\s+)?(?:tok|tokens|req|requests|qps|rps|users|sessions)\b", re.I)
"""Words of a sentence sizing a fleet for a demand or a case: "meeting the target would take 36 cards", "For 12,000
tok/s: 12,000 / 333 = 36 cards", "if you have 8 GPUs you can do"."""
_SIZED_LEAD = regex(r"(?:^|[.!?]\s+|\n)(?:[-*]\s+)?for [~≈]?[\d.,]+\s*[kKmM]?\s*(?:[\w-]+\s+)?(?:tok|tokens|req|requests|qps|rps|"
                    r"users|sessions)\b[^.;:]*:[^;]*$", re.I)
""""For 100K decode tok/s: 60 GPUs (7.5 nodes) of bf16-tp2 or 24 GPUs of fp8-tp1": a sentence led by the demand it sizes
for, every count of it."""


_DIVIDED_INTO = regex(r"\d\s*/\s*[~≈]?[\d.,]+\s*[kKmM]?\s*(?:→|->|=|≈)\s*[~≈]?[\d.,]+\s*"
                      r"(?:nodes?|servers?|replicas?|boxes|instances?|pairs?|racks?)\b", re.I)
""""3,000 / 1,024 → 3 nodes (24 GPUs)": a demand divided into the units that serve it."""


def _fleets(claims: list[Claim]) -> list[Claim]:
    """Device counts that size a fleet for a demand, in a table or in a sentence: about that fleet, not the
    spec's layout."""
    out = list(claims)
    for n, c in enumerate(out):
        if c.metric != "device_count" or c.about:
            continue
        if c.column:
            headers = {o.column for o in claims[max(0, n - 20): n + 20] if o.group == c.group and o.line == c.line}
            sized = _SIZING.search(" ".join([*headers, *c.scope[:-1]]))
        else:
            sized = _SIZED.search(c.before) or _SIZED.search(c.label) or _SIZING.search(" ".join(c.scope)) \
                or _DIVIDED_INTO.search(c.text, 0, c.start) or _SIZED_LEAD.search(c.text, max(0, c.start - 200), c.start)
        if sized:
            out[n] = evolve(c, about="a fleet sized for a demand")
        elif (nodes := _NODES_BESIDE.search(c.text, 0, c.start)) and int(nodes.group("n")) >= 2:
            out[n] = evolve(c, about=f"a fleet of {nodes.group('n')} nodes")  # "5 nodes, 40 GPUs": a fleet it sizes
    return out


_NODES_BESIDE = regex(r"\b(?P<n>\d{1,4})\s+(?:nodes?|servers?|boxes|hosts)\s*(?:,|/|=)\s*[~≈]?$", re.I)
""""5 nodes, 40 GPUs", "7 nodes / 56 GPUs": a count of devices given with the nodes that hold them."""


def _said_again(claims: list[Claim]) -> list[Claim]:
    """A figure no words bind that repeats, to three digits and in its unit, a figure bound by its own words on
    an earlier line is that metric again ("Layout B is the same 58.8 GB per GPU" after "weights per GPU:
    58.8 GB"), judged in its own scenario. Bound loosely: a warning at most."""
    bound: dict[tuple[str, float], Claim] = {}
    out = list(claims)
    for n, c in enumerate(out):
        written = as_written(c.figure)
        if written is None or c.kind not in _SAID_AGAIN or len(re.sub(r"\D", "", c.figure.split(".")[0] + (
                c.figure.split(".")[1] if "." in c.figure else ""))) < 3:
            continue
        key = (c.unit, written)
        if c.metric is not None:
            if (c.evidence.confident or c.evidence.words in _KNOWN_BY_WORK) and not c.operand and not c.quoted:
                bound.setdefault(key, c)  # "349.5 TFLOP / (16 × 1,504 TFLOPS) = 14.5 ms", then "(58 ms → 14.5 ms)"
            continue
        earlier = bound.get(key)
        if earlier is not None and earlier.line < c.line and not c.operand:
            out[n] = evolve(c, metric=earlier.metric, unit=earlier.unit, qualifier=qualifiers(evolve(c, metric=earlier.metric)),
                            evidence=Evidence("loose", f"the figure of line {earlier.line} said again",
                                              c.evidence.scenario))
    return out


_SAID_AGAIN = frozenset({"bytes", "time", "token_rate", "flops", "flop_rate"})
_PREFILL_WORK, _STEP_WORK = "a prefill's FLOPs over a FLOP rate", "bytes over a bandwidth"
_KNOWN_BY_WORK = frozenset({_PREFILL_WORK, _STEP_WORK})
"""The words of a time `_times_of_work` binds: known by its arithmetic, as sure as words."""


def _uses(counts: list[float | None], *figures: float | None) -> bool:
    """Each of `figures` is a different one of the written counts."""
    left = list(counts)
    for f in figures:
        if f is None or f not in left:
            return False
        left.remove(f)
    return True


def _stated_before(operand: Claim, claims: list[Claim]) -> Claim | None:
    """The per-device weights or KV figure stated on an earlier line with the number a bare operand repeats."""
    written = as_written(operand.figure)
    for c in reversed(claims[: operand.index]):
        if (c.line < operand.line and c.metric in ("weights_per_device", "kv_cache_per_device") and not c.operand
                and c.kind == "bytes" and as_written(c.figure) == written
                and (operand.scenario is None or c.scenario in (None, operand.scenario))):
            return c
    return None


_A_PROMPT = regex(r"\b(?:a|one|each|single|lone)\s+(?:[\w,.-]+\s+){0,2}prompt\b|\bprefill\w*", re.I)
"""The words of one prompt's prefill: "roofline for one 2K prompt" (not "a batch of 128 prompts")."""
_A_STEP = regex(r"\b(?<!prefill )(?:steps?|itl|tpot|inter-token)\b", re.I)
"""The words of a decode step ("step", "ITL", "TPOT"): a time they name is no prefill, whatever its arithmetic."""


def _times_of_work(claims: list[Claim], chains: dict[int, set[int]]) -> list[Claim]:
    """A time no words name, known by the work it is the time of: FLOPs over a FLOP rate written out ("2.63
    PFLOPs / (8 × 1,979 TFLOPS) ≈ 0.17 s"), or a time at some MFU or share of peak, is a prefill time; bytes
    over a bandwidth is a decode step. Bound loosely: a warning at most."""
    out = list(claims)
    for n, c in enumerate(out):
        if c.kind != "time" or c.operand or c.quoted:
            continue
        kinds = {out[m].kind for m in chains.get(n, ())} | {out[m].metric for m in chains.get(n, ())}
        flops = [m for m in chains.get(n, ()) if out[m].kind == "flops"]
        computed = {"flops", "flop_rate"} <= kinds or {"flops", "peak_flops"} <= kinds or len(flops) >= 2
        if c.metric is not None:
            # "b32 roofline for one 2K prompt: 2 × 8.03B × 2,048 ≈ 32.9 TFLOP / 1,979 TFLOPS ≈ 17 ms": a prompt's
            # FLOPs, no decode step, whatever "roofline" says
            if not (c.metric == "decode_step_time" and computed and c.evidence.phrase in ("label", "section")
                    and _A_PROMPT.search(f"{c.label} {c.before}") and not _A_STEP.search(f"{c.label} {c.before}")):
                continue
        if computed:  # "607 TFLOP / (4 × 9 PFLOPS)": FLOPS may read as FLOPs
            metric, why = "ttft", _PREFILL_WORK
        elif not kinds and _AT_PEAK.search(c.text):
            metric, why = "ttft", "a time at a share of peak"
        elif {"bytes", "bandwidth"} <= kinds:
            metric, why = "decode_step_time", _STEP_WORK
        else:
            continue
        out[n] = evolve(c, metric=metric, unit="s", evidence=Evidence("loose", why, c.evidence.scenario))
    return out

def _rates_of_times(claims: list[Claim], chains: dict[int, set[int]]) -> list[Claim]:
    """The rate a time divides its work by: "(61.1 + 19.3) GB / 3.35 TB/s ≈ 24 ms" reads the bytes at the device's
    memory bandwidth, "1.98 PFLOP / (4 × 2,615 TFLOPS)" computes at its peak. Known by that role alone (a
    warning at most), and not when the words say it is a rate achieved ("at an effective 2.4 TB/s")."""
    out = list(claims)
    for n, c in enumerate(out):
        if c.kind != "time" or n not in chains:
            continue
        members = sorted(chains[n])
        first = min(out[k].start for k in members)
        for m in members:
            o = out[m]
            if "/" not in o.text[first: o.start] or _LINK_WORDS.search(o.text[max(0, o.start - 120): o.start + 40]) \
                    or m in chains:  # "/ (32 × 275 TFLOPS = 8.8 PFLOPS)": the rate of a group of devices
                continue  # the work, not what divides it; or a link's bandwidth ("2 × 64 MB / 900 GB/s over NVLink")
            rate = o.kind == "flop_rate" or (o.ambiguous_flops and o.figure.rstrip()[-1:] in "Ss")  # "800 TFLOPS"
            work = any(out[k].kind == "flops" and k != m for k in members)
            role = ("memory_bandwidth" if o.kind == "bandwidth"  # a time over a bandwidth reads bytes at it
                    else "peak_flops" if rate and work else None)
            if role is None or o.metric not in (None, role) or o.evidence.confident \
                    or _ACHIEVED.search(o.text[max(0, o.start - 60): o.start + len(o.figure) + 20]) \
                    or _EFFECTIVE.search(o.text[max(0, o.start - 30): o.start + len(o.figure) + 20]):
                continue
            out[m] = evolve(o, metric=role, unit="B/s" if role == "memory_bandwidth" else "FLOP/s",
                            evidence=Evidence("role", f"the rate {c.figure.strip()} is the time of", o.evidence.scenario))
    return out


_LINK_WORDS = regex(r"\b(nvlink|pcie|infiniband|ib|roce|ethernet|network|interconnect|all-?reduce|all-?gather|"
                         r"all-?to-?all|xgmi|infinity fabric|ici|nccl|ssd|nvme|disk|storage)\b", re.I)
_EFFECTIVE = regex(r"\b(effective|sustained|realistic|achieved|measured|observed|derated|MBU|MFU|efficiency)\b|\d\s*%", re.I)
"""Words that make the rate of a time the report's own assumption, not the datasheet's."""

_SUPERSEDED = regex(r"^\W*(v0|v1|old|previous|prior|draft|superseded|was|claimed|reported|stated)\b", re.I)
"""A table column of figures the report replaces or disputes: they are quoted, not asserted."""


def _names_a_scenario(text: str, matchers: list[tuple[str, re.Pattern]]) -> bool:
    return any(pattern.search(text) for _, pattern in matchers)


def _without_scenarios(text: str, matchers: list[tuple[str, re.Pattern]]) -> str:
    """The words of a row label beside the scenario names in it, if any are words."""
    for _, pattern in matchers:
        text = pattern.sub(" ", text)
    text = re.sub(r"[\s,;:()\[\]|/-]+$|^[\s,;:()\[\]|/-]+", "", " ".join(text.split()))
    return text if re.search(r"[^\W\d_]{2}", text) else ""


_QUALIFIERS = (
    ("min", regex(r"\b(min(imum)?|shortest|smallest|short[- ]prompt|best[- ]case)\b", re.I)),
    ("per_device", regex(r"(per|/|each)[\s-]*(gpu|device|npu|card|chip|accelerator|package)\b|每\s*张?卡|单卡|/\s*卡", re.I)),
    ("per_node", regex(r"(per|/|each)[\s-]*(node|server|host|machine)\b|\((node|server|host)\)"
                            r"|\b(for|of|on) (the|a|one|each|the whole) (node|server|host|box)\b|\bnode[- ]wide\b", re.I)),
    ("per_replica", regex(r"(per|/|each)[\s-]*(replica|instance|dp rank)\b|每\s*(实例|副本)|单\s*(实例|副本)", re.I)),
    ("bound", regex(r"\b(floors?|ceilings?|roofline|caps?|theoretical|lower bound|upper bound|at (the )?peak|"
                         r"100% (mfu|of (the )?peak)|at 100%|at best|at most|at least|no less than|can'?t go below)\b"
                         r"|下限|上限|理论", re.I)),
)
"""`bound`: the figure is a bound the report computes (a floor at 100% of peak), not a time it achieves."""


def qualifiers(claim: Claim) -> str:
    """Words that change what a figure counts: the shortest prompt, per device, per node, per replica."""
    if claim.kind not in ("time", "token_rate"):  # only latencies and rates are read this way
        return ""
    if _WHOLE_NOUN.match(claim.after):  # "in per-GPU terms, the 25.2K pool throughput": its own noun says the whole
        return " ".join(name for name, pat in _QUALIFIERS if name == "bound" and pat.search(claim.after))
    corner = claim.scope[-2:-1] if claim.column and claim.scope[-2:-1] and claim.scope[-2].lower().startswith("per ") else ()
    if corner and _ROW_SCOPE.search(claim.label):
        corner = ()  # "| Decode ceiling, node (tok/s) |" under a "per GPU unless noted" corner: the row notes its own
    since = max(0, claim.start - 300)  # a sentence's lead is near: the search stays linear in a long paragraph
    leads = list(_SENTENCE_LEAD.finditer(claim.text, since, claim.start)) if claim.text.find(",", since, claim.start) >= 0 else []
    lead = leads[-1] if leads else None  # "Per GPU, C2 thus delivers 1,032 tok/s": its sentence's lead
    lead_words = lead.group("lead") if lead and not _LEAD_ENDS.search(claim.text, lead.end(), claim.start) \
        and not _OWN_SCOPE.search(claim.before) else ""  # "..., and the deployment's 33,000 tok/s" is the deployment's
    words = " ".join((claim.label, claim.before, claim.after, *corner, *claim.scope[-1:], lead_words))  # a corner cell too
    return " ".join(name for name, pat in _QUALIFIERS if pat.search(words))


_SENTENCE_LEAD = regex(r"(?:^|[.!?]\s+)(?P<lead>(?:in\s+)?(?:per|each)[\s-]+(?:gpu|device|npu|card|chip|accelerator|node|server|"
                       r"host|replica|instance)(?:\s+terms)?),\s", re.I)
"""A sentence that opens with what its figures count over: "Per GPU, C2 thus delivers 1,032 tok/s"."""
_LEAD_ENDS = regex(r"(?<!\bi\.e)(?<!\be\.g)[.!?;]\s")
"""Where a sentence's lead stops applying: the sentence's end, or a ";"."""
_GROUP_WORDS = "node|server|host|box|pool|cluster|fleet|deployment|replica|rack|tray"
"""What a figure may count over besides one device."""
_OWN_SCOPE = regex(rf"\b(?:{_GROUP_WORDS})(?:'s|’s)(?:\s+[\w-]+){{0,3}}\s*$", re.I)
""""the deployment's decode throughput is": the figure's own words say what it counts over, whatever the lead."""


_ROW_SCOPE = regex(rf"\b(?:{_GROUP_WORDS}|total|aggregate)\b", re.I)
"""Words of a row's label that say what its cells count over, whatever its table's corner cell says."""


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
    if claim.kind == "count" and COUNTED.match(claim.after):
        return None  # "16 (2 nodes)": what its own noun counts, not the figure before it again
    metric = bound[-1].metric
    return Term(metric, bound[-1].unit, frozenset({claim.kind}), {}, None, False) if metric else None




def _sparse_peaks(claims: list[Claim]) -> list[Claim]:
    """A peak its words call sparse ("2,614.9 TFLOPS per GPU (the sheet's FP8 dense / BF16 sparse)", "1,979 with
    sparsity") is the datasheet's sparse figure, no dense peak the spec holds: not that metric."""
    out = list(claims)
    for n, c in enumerate(out):
        if c.metric != "peak_flops":
            continue
        end = c.start + len(c.figure)
        after = next((o.start for o in out[n + 1: n + 2] if o.text == c.text), len(c.text))
        if _SPARSE.search(c.text, end, min(after, end + 80)):
            out[n] = evolve(c, metric=None, evidence=Evidence())
    return out


_SPARSE = regex(r"(?<!without )(?<!\bno )(?<!non-)\bspars(?:e|ity)\b|\b2:4\b", re.I)
"""The words of a sparse peak ("with sparsity", "2:4"); "without sparsity" is the dense one."""


def _other_layouts(claims: list[Claim], layouts: dict[str, dict[str, float]]) -> list[Claim]:
    """A layout figure its section puts in one scenario, but which is another scenario's ("PR #4471 switched
    16 replicas of TP=2 back to TP=4" under the incident's heading), or one a heading states beside another
    scenario's name ("# ... TP=1 vs TP=2 replicas"): its scenario is contested, so a contradiction of its
    section's layout is a warning at most (`Evidence.doubt`)."""
    out = []
    for c in claims:
        own = layouts.get(c.scenario or "", {}).get(c.metric or "")
        if c.metric in LAYOUT_METRICS and own is not None and own != c.value \
                and (c.evidence.scenario in ("section", "table", "sentence", "paragraph")
                     or (c.group == HEADING_GROUP and c.evidence.scenario == "label")) \
                and any(lay.get(c.metric or "") == c.value for lay in layouts.values()):
            c = evolve(c, evidence=evolve(c.evidence, scenario="contested"))
        out.append(c)
    return out


_REPLY = regex(r"\s*(?:↳|@|↪)\s*[\w.@-]{1,40}:\s")
"""A reply in a thread: "↳ **dkowalski**: ..." (its text without the bold), a speaker after the reply's mark."""


def _scenarios_by_layout(claims: list[Claim], layouts: dict[str, dict[str, float]]) -> list[Claim]:
    """Figures of a list or paragraph that names no scenario, but whose TP/PP/DP/EP/batch fit exactly one. A list
    whose items name two scenarios ("pool-a = ...", "pool-b = ...") is about both: its other figures are no one's."""
    stated: dict[int, list[Claim]] = {}
    named: dict[int, set[str]] = {}
    for c in claims:
        if c.metric in LAYOUT_METRICS and not c.quoted and not c.operand and not c.versus:
            stated.setdefault(c.group, []).append(c)
        if c.scenario is not None and c.evidence.scenario in ("clause", "label", "sentence"):
            named.setdefault(c.group, set()).add(c.scenario)
    chosen: dict[int, str] = {}
    for group, figures in stated.items():
        texts = {f.text for f in figures}
        if len(named.get(group, ())) > 1 or any(other_axis(text) for text in texts) \
                or any(_REPLY.match(text) for text in texts):
            continue  # "2D parallelism (SP=2, DP=2)": along an axis no scenario has, none of theirs; "↳ **mreyes**: ...
            # Same math on TP=2": one reply of a thread, whose others are about what they say
        fits = [name for name, lay in layouts.items()
                if all(lay.get(f.metric or "") == f.value for f in figures)]
        if len(fits) == 1:
            chosen[group] = fits[0]
    if not chosen:
        return claims
    return [evolve(c, scenario=chosen[c.group], evidence=evolve(c.evidence, scenario="layout"))
            if c.scenario is None and c.group in chosen and not c.versus else c for c in claims]
