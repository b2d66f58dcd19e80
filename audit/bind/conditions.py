"""What a figure says it was measured at: "one 2,048-token prompt: 94.8 TFLOPs", "short prompts (~500
tokens) see their first token in 90 ms", "KV at a context of 4K tokens", "FLOPs per token". A figure is
judged at the prompt or context it names, not at the workload's design point; a figure that names
none is judged at the design point. The figure's own clause says it, else its label, else the part of its
sentence before it that leads into it ("the load test used 512-token prompts, a 0.114 s TTFT floor", but not
"..., while the shortest prompts see 7 ms"); another figure's aside ("(9.3 ms at 2,560 tokens)") is that
figure's.
"""

from __future__ import annotations

import re

from audit.bind.scope import clause_of
from audit.precompiled import regex
from audit.records import Claim

_NUMBER = r"[~≈]?\s*(?:about\s+)?(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<k>[Kk](?![a-z]))?"
_PROMPT = (
    regex(rf"{_NUMBER}[- ]?tokens?[- ](?:long\s+)?(?:prompts?|inputs?|requests?|sequences?)\b", re.I),
    regex(rf"\b(?:prompts?|inputs?)\s+(?:of|at|with)\s+{_NUMBER}\s*tokens?\b", re.I),
    regex(rf"\b(?:prompts?|inputs?)\s*\((?:[^()]*?\b(?:is|are|of|at|=)\s*)?{_NUMBER}\s*tokens?\s*\)", re.I),
    regex(r"(?<![\w.])(?P<n>\d[\d,]*(?:\.\d+)?)\s?(?P<k>[Kk])[- ](?:token[- ])?prompts?\b(?!\s*tok)", re.I),
)
_CONTEXT = (
    regex(rf"\b(?:context|kv)\s+(?:length\s+)?(?:of|at)\s+{_NUMBER}\s*tokens?\b", re.I),
    regex(rf"\bat\s+(?:a\s+)?(?:context\s+of\s+)?{_NUMBER}\s*tokens?(?:\s+of\s+context)?\b", re.I),
    regex(rf"{_NUMBER}[- ]?tokens?[- ](?:context|start)\b", re.I),
    regex(rf"{_NUMBER}\s*tokens?\s+of\s+context\b", re.I),
)
_PER_TOKEN = regex(r"\bper\s+(?:prompt\s+|input\s+)?token\b", re.I)
_BATCH = (
    regex(r"\b(?:burst|batch|wave) of\s+(?P<n>\d[\d,]*)\b", re.I),
    regex(r"(?<![\d.,])(?P<n>\d[\d,]*)[- ](?:(?:fresh|new|concurrent|simultaneous|\d+[Kk]?|[\w-]+-token)[- ]){0,2}"
               r"(?:prompts?|requests?|sequences?|chats?)\b", re.I),
    regex(r"(?<![\d.,])(?P<n>\d[\d,]*)[- ]prompt\b", re.I),
    regex(r"(?<![\d.,])(?P<n>\d[\d,]*)\s*个", re.I),
)
_REPLICA_AFTER = regex(r"\s*(?:[\w-]+\s+){0,2}?(?:per|each|a|every|for one|on one|on a|in one|in a)\s+(?:[\w-]+\s+)?"
                       r"(?:replica|instance|copy)\b|\s*(?:个)?实例", re.I)
_REPLICA_BEFORE = regex(r"(?:\b(?:replica|instance|copy)(?:'s|’s)?|\b(?:one|a|each|every) (?:tp\S*|replica|instance|copy))"
                        r"\s+(?:[\w-]+\s+){0,3}$|实例\s*$", re.I)
""""32 prompts per replica", "32 prompts on one B replica", "a replica's 32 prompts": the count is one replica's."""

PROMPT_METRICS = frozenset({"ttft", "batch_prefill_time", "prefill_flops", "prefill_flops_attention",
                            "prefill_flops_mlp", "prefill_throughput"})
CONTEXT_METRICS = frozenset({"kv_cache_per_device", "memory_per_device", "memory_utilization", "decode_step_time",
                             "decode_throughput"})
_FLOPS = frozenset({"prefill_flops", "prefill_flops_attention", "prefill_flops_mlp"})


_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "double": 2, "twice": 2}
_COPIES = r"(?P<k>two|three|four|five|six|eight|[2-9])\s+(?:independent\s+|separate\s+|identical\s+|full\s+)?"
COPIED_METRICS = frozenset({"device_count", "batch_size", "throughput", "decode_throughput", "prefill_throughput"})


def copies_of(claim: Claim) -> float | None:
    """How many copies of its scenario a figure counts: "Two independent one_node replicas. Same 16 GPUs" is
    about 2 x one_node."""
    if claim.scenario is None or claim.metric not in COPIED_METRICS:
        return None
    name = re.escape(claim.scenario).replace(r"\_", "[ _-]")
    pattern = rf"\b{_COPIES}`?{name}`?\s+(?:replicas?|copies|instances|deployments|pools?|groups?)\b"
    m = re.search(pattern, f"{claim.label} {claim.text[: claim.start]}", re.I)
    if m is None:
        return None
    k = m.group("k").lower()
    return float(_WORDS.get(k) or int(k))


def conditions_of(claim: Claim) -> tuple[tuple[str, float], ...]:
    """(("prompt", tokens),) or (("context", tokens),) when the figure names what it was measured at; for a
    batch's prefill also ("batch", sequences) over the deployment, or ("replica_batch", sequences); for a
    figure about several copies of its scenario ("copies", k)."""
    if claim.metric in _FLOPS and _PER_TOKEN.search(f"{claim.text[claim.start:][:60]} {claim.label}"):
        return (("prompt", 1.0),)
    if claim.metric == "peak_flops":
        named = precision_named(claim)
        return (("precision", float(PRECISIONS.index(named))),) if named else ()
    k = copies_of(claim)
    if k is not None:
        return (("copies", k),)
    found: tuple[tuple[str, float], ...] = ()
    if claim.metric == "batch_prefill_time":
        region = f"{_own_asides(claim)} {claim.label} {claim.text[: claim.start]}"
        matches = [m for p in _BATCH for m in p.finditer(region) if 1 < int(m.group("n").replace(",", "")) <= 1_000_000]
        counts = {int(m.group("n").replace(",", "")) for m in matches}
        if len(counts) == 1:  # a replica's when the replica is said beside that count, not of another figure
            near = any(_REPLICA_AFTER.match(region, m.end()) or _REPLICA_BEFORE.search(region, max(0, m.start() - 40),
                                                                                          m.start()) for m in matches)
            found = (("replica_batch" if near else "batch", float(counts.pop())),)
    for name, metrics, patterns in (("prompt", PROMPT_METRICS, _PROMPT), ("context", CONTEXT_METRICS, _CONTEXT)):
        if claim.metric not in metrics:
            continue
        for place in (_own_asides(claim), claim.label, _lead_in(claim)):  # its clause, its label, its sentence
            lengths = {n for p in patterns for m in p.finditer(place) if (n := _tokens(m)) is not None}
            if len(lengths) == 1:
                return (*found, (name, lengths.pop()))
            if lengths:
                return found
    return found


_LEAD_END = regex(r"[.;!?]\s|,\s*(?:while|whereas|but|and)\s")
_OWN_LENGTH = regex(r"\b(?:shortest|longest|short|long|full|max\w*|min\w*|whole|entire|design)\b", re.I)


def _lead_in(claim: Claim) -> str:
    """Its sentence before the figure, from the last clause that could change the subject ("..., while the
    shortest prompts see 7 ms": nothing); none when its own words name a length of their own ("full context",
    "the shortest prompts")."""
    if _OWN_LENGTH.search(f"{clause_of(claim)} {claim.label}") or "min" in claim.qualifier.split():
        return ""
    head = claim.text[: claim.start]
    return head[max((m.end() for m in _LEAD_END.finditer(head)), default=0):]


PRECISIONS = ("bf16", "fp16", "fp8", "int8", "fp4", "int4")
"""The precisions a peak may be named at: ("precision", i) is PRECISIONS[i]."""
_PRECISION = regex(r"\b(?:(?P<bf16>bf16|bfloat16)|(?P<fp16>fp16|float16)|(?P<fp8>fp8|float8\w*)|(?P<int8>int8)"
                        r"|(?P<fp4>fp4|nvfp4|mxfp4)|(?P<int4>int4|w4a16))\b", re.I)


def precision_named(claim: Claim) -> str | None:
    """The precision a peak's own words name: the first of the words right after it ("2,615 TFLOPS FP8
    dense"), else the last before it in its clause ("Dense FP8 peak: 1,979 TFLOPS")."""
    after = _PRECISION.search(" ".join(claim.after.split()[:3]))
    found = after or next(reversed(list(_PRECISION.finditer(claim.before))), None)
    return next(name for name, value in found.groupdict().items() if value) if found else None


KV_METRICS = frozenset({"kv_cache_per_device", "kv_cache_per_token", "kv_cache_total", "kv_share"})
"""Figures of the KV cache's bytes: stored at the KV cache's precision."""
WEIGHT_METRICS = frozenset({"weights_per_device", "weights_total", "weights_share"})
"""Figures of the weights' bytes: stored at the weights' precision."""
PRECISION_METRICS = KV_METRICS | WEIGHT_METRICS | {"memory_per_device", "memory_utilization"}
"""Figures whose bytes depend on the precision they are stored at."""


_HYPOTHETICAL = regex(r"\([^()]*\b(?:would|could|if|instead|than|vs)\b[^()]*\)", re.I)
""""(FP8 would halve this)": an aside about another precision is not the figure's own."""


def precision_said(claim: Claim) -> str | None:
    """The one precision a figure's own words or its sentence's lead-in name ("BF16 doubles it to 192 KB a token,
    so DEP8 would carry about 50 gigs of KV"), or None: none, or several ("FP8 halves BF16's 70 GB")."""
    if not _PRECISION.search(claim.text) and not _PRECISION.search(claim.label):
        return None  # most figures' sentences name no precision: the places are not worth reading
    for place in (_HYPOTHETICAL.sub(" ", _own_asides(claim)), claim.label, _lead_in(claim)):
        named = {next(k for k, v in m.groupdict().items() if v) for m in _PRECISION.finditer(place)}
        if len(named) == 1:
            return named.pop()
        if named:
            return None
    return None


def _own_asides(claim: Claim) -> str:
    """The figure's clause with its own asides ("(~500 tokens)") but not another figure's ("(9.3 ms at 2,560
    tokens)": a parenthesis holding a figure of the claim's kind is that figure's)."""
    from audit.units import find_figures

    def keep(m: re.Match) -> str:
        inner = m.group(0)
        if claim.figure in inner or not any(f.quantity.kind == claim.kind for f in find_figures(inner)):
            return inner
        return " "

    return re.sub(r"\([^()]*\)", keep, clause_of(claim, asides=True))


def _tokens(m: re.Match) -> float | None:
    try:
        value = float(m.group("n").replace(",", "")) * (1000 if m.group("k") else 1)  # "2K": the lenient reading
    except ValueError:
        return None
    return value if 1 <= value <= 10_000_000 else None
