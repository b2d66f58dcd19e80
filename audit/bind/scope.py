"""What a figure counts over: one device, one replica, one pipeline stage, one node, or a group of devices.

"8 query heads and 1 KV head per GPU", "each GPU holds 2 of the 4 KV heads", "each stage keeps its 30
layers", "devices per replica: 6", "4 replicas of 2 GPUs": the words of the figure's clause (the
parenthesis or the comma-separated clause it sits in, other figures included, so that a scope written
once covers every figure it is said of) and its label say what the count is of. A figure of the whole
model or deployment (heads, KV heads, experts, layers, devices, the batch) said of a part becomes that
part's metric (`REFINED`), or no metric at all when none describes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from audit.precompiled import regex
from audit.records import Claim

_DEVICE = r"(?:gpu|device|npu|card|chip|accelerator|tp rank|rank|shard|xpu|package)s?"  # "per package": an Ascend 910C
_PHRASE_ENDS = r"(?=\s*(?:[^\w\s]|$))"  # "... each," "... each (TP4)", "... on each.": no noun follows
_SCOPES: tuple[tuple[str, re.Pattern], ...] = (
    ("device", regex(rf"(?:\bper\s+|/\s*|\beach\s+|\bon each\s+|\bevery\s+|\bper-){_DEVICE}\b|每卡|单卡|每张卡"
                          rf"|\b(?:each|every)\s+(?:[\w-]+\s+)?{_DEVICE}\s+(?:holds?|keeps?|stores?|has|gets?|sees?|reads?|owns?)\b"
                          rf"|\b(?:held|stored|kept|cached|resident)\s+(?:on|in)\s+(?:one|a single|each|every|a)\s+{_DEVICE}\b"
                          rf"|\blocal\b|\b(?:on|per|for) each{_PHRASE_ENDS}", re.I)),  # "1 KV head on each."
    ("replica", regex(r"(?:\bper[\s-]+|/\s*|\beach\s+|\bevery\s+)(?:replica|instance|dp rank|copy)\b"
                           r"|\b(?:a|one|each)\s+(?:model\s+)?(?:replica|copy)\s+(?:needs|uses|takes|spans|has|is)\b", re.I)),
    ("stage", regex(r"(?:\bper\s+|/\s*|\beach\s+|\bevery\s+)(?:pipeline\s+)?stage\b|\bstages? (?:holds?|keeps?)\b",
                         re.I)),
    ("node", regex(r"(?:\bper[\s-]+|/\s*|\beach\s+|\bevery\s+)(?:(?:compute\s+)?tray|node|server|host|machine|box)\b", re.I)),
    ("pair", regex(r"\b(?:a|the|one|each)\s+(?:tp\d+\s+)?(?:pair|group|replica)\s+(?:has|have|gives|delivers|offers|provides)\b",
                   re.I)),
    ("total", regex(r"\b(?:aggregate|combined|in all|in total|cluster[- ]wide|fleet[- ]wide|summed)\b"
                         r"|\bfor (?:the )?(?:whole |entire )?(?:rack|cluster|pod|fleet|system|deployment)\b"
                         r"|\bacross (?:all |the )?(?:\d+ )?(?:gpus|devices|chips|cards|nodes)\b", re.I)),
)
_GROUP = regex(r"\b(?:each|replicated|spread|shared|split|lives?|sits?|runs?)\b.{0,40}\b(?:on|over|across|by)\s*$"
                    r"|\b(?:replicas?|pairs?|groups?|instances?|canary|stages?) of\s*$", re.I)
_NODES_OF = regex(r"\b(?:nodes?|servers?|hosts?|machines?|boxes|trays?) of\s*$", re.I)
""""16 GPUs in two nodes of 8": the 8 counts a node's devices."""
_PART_OF = regex(r"^\s*(?:of|out of)\s+(?:the\s+|its\s+|all\s+)?[~≈]?\d", re.I)
_BOUNDARY = regex(r"[;:]\s|,\s|\.\s|\s[-–—]\s|\s(?:→|->|⇒|·)\s")

REFINED: dict[tuple[str, str], str | None] = {
    ("heads", "device"): "heads_per_device",
    ("kv_heads", "device"): "kv_heads_per_device",
    ("experts", "device"): None,
    ("layers", "device"): "layers_per_stage",
    ("layers", "stage"): "layers_per_stage",
    ("batch_size", "device"): None,
    ("batch_size", "node"): None,
    ("batch_size", "stage"): None,
    ("batch_size", "replica"): "batch_per_replica",
    ("device_count", "replica"): "devices_per_replica",
    ("device_count", "node"): "devices_per_node",
    ("device_count", "stage"): None,
    ("weights_total", "device"): "weights_per_device",
    ("kv_cache_total", "device"): "kv_cache_per_device",
    ("weights_total", "node"): "weights_per_node",
    ("kv_cache_total", "node"): "kv_cache_per_node",
    ("params_total", "device"): None,
    ("vocab_size", "device"): None,
    ("kv_cache_per_token", "device"): "kv_cache_per_token_per_device",
    ("memory_capacity", "node"): None,
    ("memory_capacity", "replica"): None,
    ("memory_bandwidth", "node"): None,
    ("peak_flops", "node"): None,
    ("memory_capacity", "total"): None,
    ("memory_bandwidth", "total"): None,
    ("peak_flops", "total"): None,
    ("memory_capacity", "pair"): None,
    ("memory_bandwidth", "pair"): None,
    ("peak_flops", "pair"): None,
}
"""(metric of the whole, what the figure counts over) -> the metric of the part (None: no metric)."""

_WHOLE = frozenset(m for m, _ in REFINED)
_REFINED_BY_OWN_WORDS = frozenset({"kv_cache_per_token"})
"""Metrics of the model that a section about a part does not make the part's: "KV cache per token: 35.1 KB" under
"Memory per GPU" is the model's figure; "each GPU stores 64.5 KB per token" is a device's."""


def clause_of(claim: Claim, asides: bool = False) -> str:
    """The figure's clause with the other figures in it: the innermost parenthesis around it, else the text
    between the clause boundaries (";", ":", ", ", ". ", " - ") around it, its parenthesised asides left
    out unless `asides`."""
    text, start = claim.text, claim.start
    open_at = text.rfind("(", 0, start)
    if open_at >= 0 and text.rfind(")", 0, start) < open_at:
        close_at = text.find(")", start)
        return text[open_at + 1: close_at if close_at >= 0 else len(text)]
    before = max((m.end() for m in _BOUNDARY.finditer(text, 0, start)), default=0)
    after = _BOUNDARY.search(text, start + len(claim.figure))
    clause = text[before: after.start() if after else len(text)]
    return clause if asides else _PARENTHESIS.sub(" ", clause)  # asides are not its words


OWNER = r"[\w-]+(?:'s|’s)"
"""A possessive before a whole ("B's 48.6 GB", "original's 41 ms"): whose it is, checked by `owners_fit`."""
_POSSESSIVE = regex(r"(?<![\w-])(?!(?:what|that|it|here|there|who|which|where|how)(?:'s|’s))([\w-]+)(?:'s|’s)", re.I)
"""An owner: "what's resident" and "that's" say "is", they own nothing."""
_OWNER_WORD = regex(r"(?:gpu|device|card|npu|chip|node|replica)|(?-i:[A-Z][\w-]{0,15})|[\w-]*\d[\w-]*|[A-Za-z]", re.I)


def owners_fit(text: str, names: Callable[[str], bool]) -> bool:
    """Whether every owner `text` names is a device's, a node's or a scenario's: a name `names` knows, or one that
    looks like one (capitalised, with a digit, one letter); "the checkpoint's footprint" is no device's."""
    return all(_OWNER_WORD.fullmatch(m.group(1)) or names(m.group(1)) for m in _POSSESSIVE.finditer(text))
OF_A_DEVICE = regex(r"\s*(?:of|out of)\s+(?:the\s+|its\s+|each\s+|every\s+|one\s+|a\s+)?"
                    r"(?:(?:gpu|device|card|npu|chip|accelerator)(?:'s|’s)?\s+)?"
                    r"(?:hbm\d?e?|vram|(?:memory\s+)?capacity|device memory|gpu memory|(?:card|gpu|device)\b(?!['’]))"
                    r"(?!\s+(?:in use|used|occupied)\b)", re.I)
"""The words after a share that name its whole as one device's memory, with no number: "14.4 GB is 36% of HBM", "20%
of the card", "60% of each card's HBM"; "of the 45.2 GB each GPU holds" is not one."""
SHARE_LEAD = regex(r"\s*+(?:per\s+(?:gpu|device|card|npu)\s*+)?(?:(?:,|\(|=|:|—|–|-|\bis\b|\bare\b|\bi\.e\.,?|\bor\b|"
                   r"\bwhich is\b|\bthat'?s\b|\bonly\b|\bjust\b|\babout\b|\broughly\b)\s*+)*+[~≈]?\s*", re.I)
"""What may stand between a memory figure and the share of it that follows ("14.4 GB is 36% of HBM", "KV is 14.2 GB,
only 7.4% of the footprint", "53.7 GB per GPU, 60%"): `fullmatch` it on the text between the two."""
_PARENTHESIS = regex(r"\([^()]*\)")
_NEXT_COUNT = regex(r"[^\d/,;+×*=]*?[A-Za-z][^\d/,;+×*=]*?\s(\d+)\s+(?:per|each|/)\b", re.I)
"""Words, then another count with its own "per X": the scope words are that count's."""
_ASSIGNED = regex(r"\b(?:TP|PP|DP|EP|CP|SP)\s*=\s*\d", re.I)
"""A parallel degree given its value ("TP=4"): the words after it are that figure's."""


_WHOLE_OF = regex(r"\d\S*\s+(?:of|out of)\s+(?:the|its|all)\s+$", re.I)


def scope_of(claim: Claim) -> str | None:
    """"device", "replica", "stage", "node" or "group" when the figure's own words say what it counts over."""
    tail = claim.text[claim.start + len(claim.figure):]
    if _WHOLE_OF.search(claim.text[: claim.start]):
        return None  # "2 of the 4 KV heads": the 4 is the whole
    if claim.metric == "device_count" and _NODES_OF.search(claim.text[: claim.start]):
        return "node"
    owner = _OWNER.search(claim.text[: claim.start]) if claim.metric == "device_count" else None
    if owner:  # "a Flash replica's 8 GPUs", "per compute tray (4 GPUs)": the devices of one replica or node
        return _WHOSE.get(owner.group("what").lower(), "node")
    its = _ITS.search(claim.text, max(0, claim.start - 120), claim.start) if claim.metric == "device_count" else None
    subject = list(_SUBJECT_NOUN.finditer(claim.text, its.start(), claim.start)) if its else []
    if its and subject and subject[-1].group("what").lower() == its.group("what").lower():
        return _ITS_SCOPE.get(its.group("what").lower(), "group")  # "The replica holds ... across its 4 GPUs"
    if claim.metric == "device_count" and (_GROUP.search(claim.text[: claim.start]) or _AT_A_TIME.match(tail)):
        return "group"  # "4 replicas of 2 GPUs", "replicated on 2 GPUs": the size of a group, not the deployment
    if claim.metric in _WHOLE and _PART_OF.match(tail):
        return "part"  # "2 of the 4 KV heads": a share of the whole
    inside = claim.text.rfind("(", 0, claim.start) > claim.text.rfind(")", 0, claim.start)
    clause = clause_of(claim)
    at = clause.find(claim.figure)
    assigned = _ASSIGNED.search(clause, at + len(claim.figure)) if at >= 0 else None
    clause = clause[: assigned.start()] if assigned else clause  # "32 GPUs ... with TP=4 within each stage"
    after = _NEXT_COUNT.match(clause, at + len(claim.figure)) if at >= 0 else None
    clause = clause[: after.start(1)] if after else clause  # "the 8 KV heads 4 per GPU": "per GPU" is the 4's
    region = clause if inside and not claim.column else f"{clause} {claim.label}"  # an aside keeps to its words; a
    # cell's aside to its row's: "| KV / token / GPU | 23.5 KiB (1 KV head) |" is one GPU's head
    restates = _RESTATES.search(claim.text[: claim.start])
    if restates:  # "the 1.55K was per replica, i.e. 4 cards": said of the clause before
        before = claim.text[: restates.start()]
        region = f"{before[max((m.end() for m in _BOUNDARY.finditer(before)), default=0):]} {region}"
    for name, pattern in _SCOPES:
        if pattern.search(region):
            return name
    return "device" if at >= 0 and _SUBJECT.search(clause[:at]) else None


_OWNER = regex(r"\b(?P<what>replica|instance|copy|node|server|host|box|tray)(?:(?:'s|’s)\s+|\s*\(\s*)[~≈]?$", re.I)
""""a replica's 8 GPUs", "per compute tray (4 GPUs)": the devices a count names are one replica's or node's."""
_WHOSE = {"replica": "replica", "copy": "replica", "instance": "group"}
"""An instance may be a replica (of a server) or a node (of a cloud): its devices are a group's, known by neither."""
_ITS = regex(r"\b(?:the|a|one|each|every)\s+(?P<what>replica|copy|node|server|host|box|stage|pair|instance|group|pod)\b"
             r"[^.;:]*\bits\s+[~≈]?$", re.I)
"""A subject's own devices: "the replica ... across its 4 GPUs" counts the replica's."""
_SUBJECT_NOUN = regex(r"\b(?:the|a|one|each|every)\s+(?P<what>[^\W\d_]+)\b", re.I)
"""The last "the X" before "its" is what "its" is (not "the cluster ... across its 32 GPUs" after "each replica")."""
_ITS_SCOPE = {**_WHOSE, "node": "node", "server": "node", "host": "node", "box": "node", "stage": "stage"}
_SUBJECT = regex(rf"\b(?:a|one|any)\s+{_DEVICE}\s+(?:then\s+|only\s+|now\s+)?"
                      rf"(?:holds?|keeps?|stores?|has|gets?|sees?|reads?|owns?|computes?|serves?)\b[^,;:.]*$", re.I)
""""a GPU holds 16 query heads": a device as the subject before the figure ("more than a GPU has", after
it, says nothing of what the figure counts)."""
_AT_A_TIME = regex(rf"\s*(?:[^\W\d_]+\s+){{0,2}}(?:at a time\b|(?:each|apiece){_PHRASE_ENDS})", re.I)
""""8 GPUs at a time": the devices busy at once; "two stages of 4 GPUs each": the devices of each; a part of the
deployment either way."""
_RESTATES = regex(r"[,;(]\s*(?:i\.?\s?e\.?|that is|namely)[\s,]*(?:[^\W\d_]+\s+){0,2}$", re.I)
""""..., i.e. 4 cards": the words before it restated, their scope is the figure's."""


def section_scope(claim: Claim) -> str | None:
    """What the figure's section titles say it counts over ("### Per-chip figures")."""
    return scope_of_titles(" ".join(s for s in claim.scope if s and s != claim.column))


@lru_cache(maxsize=4096)
def scope_of_titles(sections: str) -> str | None:
    # every figure of a section has the same titles: searched once (~45 us each, the patterns start anywhere)
    return next((name for name, pattern in _SCOPES if pattern.search(sections)), None)


_OVER_NODE = {"weights_per_device": "weights_per_node", "kv_cache_per_device": "kv_cache_per_node",
              "memory_per_device": "memory_per_node", "memory_utilization": None, "free_memory": None}
"""A device's memory figure under a column that counts over a node or a pool: the node's, or no metric."""
_NODE_NOUN = regex(r"(?:per|/|for (?:the|a|each|one))\s*(?:node|server|host|box)\b", re.I)
_POOL = regex(r"(?:\bper[\s-]+|/\s*)(?:pool|cluster|fleet|deployment)\b", re.I)


def refine(claim: Claim) -> Claim:
    """`claim` with the metric of what it counts over, when its words say it is a part of the whole; said
    only by its section, the part's metric binds loosely (a warning at most). A table's column header
    says it before its section does ("| Per node (GB) |" under "Memory (per GPU unless the column says
    otherwise)")."""
    if claim.metric in _OVER_NODE and claim.column and claim.evidence.phrase in ("section", "column", "label", "row"):
        over = "total" if _POOL.search(claim.column) else scope_of_titles(claim.column)
        if over in ("node", "total"):
            return _rebound(claim, _OVER_NODE[claim.metric or ""] if over == "node" else None)
    if claim.metric in _OVER_NODE and claim.evidence.phrase in ("label", "clause", "section") \
            and _NODE_NOUN.match(claim.after):  # "Weights per GPU: 29.4 GB × 8 = 235 GB per node": its own noun
        return _rebound(claim, _OVER_NODE[claim.metric or ""])
    if claim.metric not in _WHOLE:
        return claim
    scope = scope_of(claim)
    if scope is None and claim.column and claim.evidence.phrase in ("column", "row"):
        scope = scope_of_titles(claim.column)  # "| GPUs / replica |": the header says what its cells count over
        scope = scope if (claim.metric, scope) in REFINED else None
    if scope is None:
        sectioned = section_scope(claim)
        refined = REFINED.get((claim.metric or "", sectioned or ""))
        if sectioned and refined and claim.metric not in _REFINED_BY_OWN_WORDS:
            from audit.records import evolve

            return evolve(claim, metric=refined, evidence=evolve(claim.evidence, phrase="section"))
        return claim
    if scope == "group":
        return _rebound(claim, "device_group")
    if scope == "part":
        device = next((name for name, pattern in _SCOPES if name == "device" and pattern.search(clause_of(claim))), None)
        return _rebound(claim, REFINED.get((claim.metric or "", "device")) if device else None)
    if (claim.metric, scope) not in REFINED:
        return claim
    return _rebound(claim, REFINED[(claim.metric or "", scope)])


def parts(claims: list[Claim]) -> list[Claim]:
    """ "2 of the 4 KV heads": a figure followed by "of the" and a figure of a whole is a part of it, per
    device when its clause says so, otherwise of no metric."""
    out = list(claims)
    for n, claim in enumerate(out[:-1]):
        whole = out[n + 1]
        if claim.metric is not None or whole.text != claim.text or whole.metric not in _WHOLE or claim.kind != whole.kind:
            continue
        if not _PART_OF.match(claim.text[claim.start + len(claim.figure):]):
            continue
        device = _SCOPES[0][1].search(f"{clause_of(claim)} {claim.label}")
        metric = REFINED.get((whole.metric or "", "device")) if device else None
        if metric is not None:
            from audit.records import evolve

            out[n] = evolve(claim, metric=metric, unit=whole.unit, evidence=whole.evidence)
    return out


_DEGREE = regex(r"\b(?P<name>TP|PP|DP|EP)\s*(?:=|:)?\s*(?P<n>\d{1,4})\b(?!\s*(?:%|x\b|×))", re.I)
_OTHER_DEGREE = regex(r"\b(?:SP|CP)\s*(?:=|:)?\s*(?P<n>\d{1,4})\b(?!\s*(?:%|x\b|×))", re.I)


def other_axis(text: str) -> bool:
    """Whether `text` lays out along an axis the spec's scenarios do not describe: sequence or context parallelism
    ("SP=2", "cp 4")."""
    return any(int(m.group("n")) > 1 for m in _OTHER_DEGREE.finditer(text))
_WAY = regex(r"\b(?P<n>\d{1,4})-way\s+(?P<name>tensor|pipeline|data|expert)\b", re.I)
_REPLICAS = regex(r"\b(?P<n>\d{1,3}|two|three|four|five|six|eight|sixteen)\s+(?:\w+\s+){0,2}?replicas\b", re.I)
_TP_GROUP = regex(r"\b(?:on|over|across|with|using)\s+(?:the|a|one)\s+(?:(?P<pair>pair)(?!\s+of\b(?!\s+(?:gpus|cards|devices|chips|accelerators)\b))"
                  r"|single\s+(?:card|gpu|device|chip))\b", re.I)
""""on the pair", "on a single card": the devices one request runs on, a TP group of 2 or 1."""
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "sixteen": 16}
_WAYS = {"tensor": "tp", "pipeline": "pp", "data": "dp", "expert": "ep"}


def layout_named(text: str, groups: bool = True) -> dict[str, int]:
    """The parallel degrees a clause states: "with TP=4", "under TP8", "a TP4 replica", "8-way tensor",
    "two independent replicas" (DP), and, with `groups`, "on the pair" (TP 2), "on a single card" (TP 1)."""
    if other_axis(text):
        return {}  # "2D parallelism (SP=2, DP=2)": a layout along an axis no scenario has, none of theirs
    seen: dict[str, set[int]] = {}
    for m in _DEGREE.finditer(text):
        seen.setdefault(m.group("name").lower(), set()).add(int(m.group("n")))
    lower = text.lower()  # letters no other one matches in any case: a text without the words is not searched
    for m in _WAY.finditer(text) if "-way" in lower else ():
        seen.setdefault(_WAYS[m.group("name").lower()], set()).add(int(m.group("n")))
    for m in _REPLICAS.finditer(text) if "repl" in lower else ():
        n = m.group("n").lower()
        seen.setdefault("dp", set()).add(int(_WORDS.get(n, n)))
    for m in _TP_GROUP.finditer(text) if groups else ():
        seen.setdefault("tp", set()).add(2 if m.group("pair") else 1)
    if any(len(values) > 1 for values in seen.values()):
        return {}  # "from TP=2 to TP=1": the clause is about two layouts
    return {name: values.pop() for name, values in seen.items()}


def _rebound(claim: Claim, metric: str | None) -> Claim:
    from audit.records import evolve

    return evolve(claim, metric=metric)
