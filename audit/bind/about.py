"""What a figure is about when its own words name another model or accelerator than the spec's.

"DeepSeek has roughly 10B params per layer, which will not fit into Trillium's 32GiB of HBM", in a
report judged against Llama-3.1-8B on H200: the 32 GiB is a TPU's memory and the 10B a DeepSeek layer,
and neither is the spec's to compare with. The name nearest before the figure in its sentence, list
item or table row (its column header first, else the words right after it) decides, each kind apart:
a name of the same kind nearer to the figure that is the spec's own wins.

A name is the spec's when it fits one of the spec's names (the model and accelerator of every scenario,
with their catalog aliases). An accelerator fits when one name is inside the other once spaces, dashes
and case are dropped ("H100" is "H100-SXM"). A model fits when its family is the same and neither its
version nor its size, where both are written, differ ("Llama 70B" and "Llama 3.1" are Llama-3.1-70B;
"Llama-2-70B" and "Llama-3.1-8B" are not). A spec whose own name is no recognisable model or
accelerator ("tiny", "model") says nothing of what is another one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from audit.precompiled import regex
from audit.records import Claim

MODELS = regex(
    r"\b(?:llama|code[- ]?llama|qwen|qwq|deepseek|mixtral|mistral|gemma|gpt|kimi|palm|falcon|intern(?:lm|-?s\d|vl)"
    r"|chatglm|glm-?\d|phi-?\d|grok|olmo|dbrx|jamba|minimax|baichuan|nemotron|granite|bert|roberta)"
    r"(?!(?!v\d)[a-z]|\.cpp)(?:[\s_.-]?(?:\d+(?:\.\d+)*[a-z]?|v\d+(?:\.\d+)?|\d+x\d+b|a\d+(?:\.\d+)?b|r\d|moe)\b)*", re.I)
"""A model's name: a family word (not inside a longer word: "GPTQ", nor "llama.cpp"; "DeepseekV2" is one), with
the version and size parts written after it."""

ACCELERATORS = regex(
    r"\b(?:a10g?|a100|a30|a40|a800|h100|h200|h20|h800|b100|b200|b300|gb[23]00|l4|l40s?|t4|v100|mi\d{3}x?"
    r"|gaudi[\s-]?\d?|tpu[\s-]?v\d[a-z]?|v[56][ep]|trillium|ascend[\s-]?\d{3}[a-z]?|910[bc]|inferentia\d?"
    r"|trainium\d?|rtx[\s-]?\d{4})s?\b", re.I)
"""An accelerator's name: NVIDIA's letter-and-number names (A100, H200, L40S, B200, GB200), AMD's MI
series, Gaudi, TPUs, Ascend, AWS's chips."""

_KINDS = (MODELS, ACCELERATORS)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", name.casefold())


Names = tuple[frozenset[str], frozenset[str], frozenset[str]]
"""(model names, accelerator names, scenario names and aliases) of a spec, as `about` compares them."""


def spec_names(names: Iterable[str], scenarios: Iterable[str] = ()) -> Names:
    """The spec's model and accelerator names (only those recognisable as one), and its scenarios' names
    and aliases: "llama_v090" names a scenario, not another Llama."""
    names = list(names)
    models = {name for name in names if MODELS.search(name)}
    accelerators = {_key(name) for name in names if ACCELERATORS.search(name)}
    return frozenset(models), frozenset(accelerators), frozenset(_key(s) for s in scenarios)


def about(claim: Claim, ours: Names, metric: str | None = None,
          found: dict[tuple[str, str], list[str]] | None = None) -> str:
    """The other model or accelerator the figure's words name, or "" (none named, or the spec's); `metric`, the
    one the figure is bound to: a model's own figure may be said of some model in general. `found` keeps the
    names found in each text searched, for the next figure of one bind (a list item's figures share its label)."""
    models, accelerators, scenarios = ours
    named = _nearest(MODELS, claim, found) if models else ""
    if named and _key(named) not in scenarios and not any(_same_model(named, m) for m in models):
        return named
    if (metric or claim.metric) in SHAPE_METRICS and not named and models:
        # "DeepseekV2-Chat ships 60 layers. This model ...", "## bert-base" over "- 12 attention heads": the model
        # the paragraph or the section is about, when the figure's own sentence names none
        context = next((hits for text in (*reversed(claim.earlier), *reversed(claim.scope))
                        if (hits := _names(MODELS, text[-_REACH:], found))), [])
        other = next((n for n in reversed(context) if _key(n) not in scenarios
                      and not any(_same_model(n, m) for m in models)), "")
        if other and not any(_same_model(n, m) for n in context for m in models):
            return other
    if (metric or claim.metric) in SHAPE_METRICS and not named:
        anonymous = _nearest(_SOME_MODEL, claim, found)
        size = re.match(r"(\d+(?:\.\d+)?)\s*([TBM])", anonymous)
        if anonymous and not (size and any(f"{size.group(1)}{size.group(2)}".lower() in m.lower() for m in models)):
            return anonymous.strip()  # "the 1T parameter model", "if a model has 24 layers"; not "the 235B model"
    named = _nearest(ACCELERATORS, claim, found) if accelerators else ""
    if named and _key(named) not in scenarios and not any(_same_accelerator(named, m) for m in accelerators):
        return named
    return ""


def _same_accelerator(named: str, ours: str) -> bool:
    """One name inside the other, not followed by a digit: "H100" is "h100sxm"; "H20" is not "h200", "L4"
    not "l40s"; "A100s" is "A100"; "MI300X" is "amdinstinctmi300x192gb"."""
    key = re.sub(r"(?<=\d)s$", "", _key(named))
    short, long = sorted((key, _MEMORY_SUFFIX.sub("", ours)), key=len)
    at = long.find(short)
    return at >= 0 and not long[at + len(short): at + len(short) + 1].isdigit()


_MEMORY_SUFFIX = regex(r"(?<=[a-z])\d+(?:gb|g|gib)$")
""""192gb" at the end of "amdinstinctmi300x192gb": the card's memory, not part of its name ("H200 141GB" is no
H20)."""


def _same_model(named: str, ours: str) -> bool:
    (family, version, sizes), (our_family, our_version, our_sizes) = _model_parts(named), _model_parts(ours)
    if family is None or our_family is None:
        return True  # not a model's name after all: nothing to tell apart
    return (family == our_family and not (version and our_version and not _one_version(version, our_version))
            and not (sizes and our_sizes and not sizes & our_sizes))


def _one_version(a: str, b: str) -> bool:
    """ "3" and "3.1" may be one version, written short; "2" and "3.1", or "3.1" and "3.3", are not."""
    short, long = sorted((a.split("."), b.split(".")), key=len)
    return long[: len(short)] == short


def _model_parts(name: str) -> tuple[str | None, str, frozenset[str]]:
    """(family, version, sizes) of a model's name: ("llama", "3.1", {"70b"}) for "meta-llama/Llama-3.1-70B",
    ("phi", "3", {}) for "Phi-3-mini"."""
    text = name.casefold().rsplit("/", 1)[-1]  # no "meta-llama/"
    m = MODELS.search(text)
    family = re.match(r"[a-z]+", text[m.start():]) if m else None
    if m is None or family is None:
        return None, "", frozenset()
    tokens = [t for t in re.split(r"[\s_-]+", text[m.start() + family.end():]) if t]
    version = tokens[0] if tokens and re.fullmatch(r"v?\d+(\.\d+)*", tokens[0]) else ""
    sizes = frozenset(t for t in tokens if re.fullmatch(r"(\d+x)?\d+(\.\d+)?[bm]", t))
    return family.group(), version.removeprefix("v"), sizes


SHAPE_METRICS = frozenset({"layers", "heads", "kv_heads", "head_dim", "hidden_size", "vocab_size", "experts",
                           "experts_per_token", "sliding_window", "params_total", "params_active", "params_experts"})
"""The model's own figures: a sentence about some model in general says them of another."""
_SOME_MODEL = regex(
    r"\b(?:(?:a|an|any|some|another|other|each such)\s+(?:(?!of\b|the\b|this\b|our\b|its\b|your\b)[\w.-]+\s+){0,2}?models?\b"
    r"(?!\s+(?:replica|instance|copy|copies|shard|server))"
    r"|\d+(?:\.\d+)?\s*(?:[TBM]|billion|trillion|million)[- ]?param(?:eter)?s?\s+models?\b"
    r"|\d+(?:/\d+)*[- ]layers?\s+models?\b)", re.I)
"""A model the sentence speaks of in general or by another size: "if a model has 24 layers", "the 1T
parameter model contains 128 layers", "2-/1-bit 6/5-layer models"."""

_CLAUSE_END = regex(r"[.;!?]\s")
_REACH = 240
"""How far before a figure a name is looked for: a sentence's length, and the cost of a line of 10^4
figures stays linear."""


def _nearest(kind: re.Pattern, claim: Claim, found: dict[tuple[str, str], list[str]] | None = None) -> str:
    if claim.column:
        named = _names(kind, claim.column[:_REACH], found)
        if named:
            return named[-1]
    window = claim.text[max(0, claim.start - _REACH): claim.start]
    sentence = window[max((m.end() for m in _CLAUSE_END.finditer(window)), default=0):]
    before = _names(kind, sentence, found) or _names(kind, claim.label[:_REACH], found)  # else a cell's row label
    if before:
        return before[-1]
    after = _names(kind, claim.after, found)
    return after[0] if after else ""


def _names(kind: re.Pattern, text: str, found: dict[tuple[str, str], list[str]] | None) -> list[str]:
    """`kind.findall(text)` (no name is empty), once per text when `found` keeps them."""
    if not text:
        return []
    if found is None:
        return kind.findall(text)
    key = (kind.pattern, text)
    if key not in found:
        found[key] = kind.findall(text)
    return found[key]
