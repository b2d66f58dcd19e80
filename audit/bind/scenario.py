"""Which scenario a figure is about: the spec's names and aliases near it, or, when the spec has no
scenarios, the layouts the report itself states ("Tensor Parallel | 2 | 4", "TP=4, PP=4")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from audit.precompiled import regex
from audit.records import Claim, evolve

LAYOUT_METRICS = ("tp", "pp", "dp", "ep", "batch_size")


_NOT_A_PART = "".join(rf"(?<!\b{re.escape(w)} )" for w in ("annex", "appendix", "section", "table", "figure", "fig.", "exhibit",
                                                  "schedule", "part", "step", "item", "clause", "chapter"))
"""A letter after these words, or before ".5", names a part of the document ("Annex A.5", "Table B"), not a
scenario."""


def _word_pattern(words: list[str], letters: tuple[str, ...] = ()) -> re.Pattern | None:
    """The names as words, in any case; a name of one letter ("A", "B") only as written, and not as the
    article that starts a sentence: "At a realistic 40% MFU", "A realistic 40% MFU" are not option A."""
    alts = sorted({w.strip() if len(w.strip()) == 1 else w.strip().lower() for w in words if w.strip()},
                  key=len, reverse=True)
    if not alts:
        return None
    inside = [rf"{_NOT_A_PART}(?<=[\w,(] )(?-i:{re.escape(x)})(?!\.\d)" for x in letters if x not in alts]  # "with that, B needs"

    def one(a: str) -> str:
        text = re.escape(a).replace(r"\_", "[ _-]").replace(r"\ ", r"[ _-]")
        if len(a) > 1:
            return text
        # a letter as written; "a" (or "I") at the start of a sentence, before a lowercase word, is an article (a
        # pronoun), and before a colon the answer of a Q & A ("A: Keep ~10% ..."); "b ttft p50 +87% vs a" names b
        word = a.lower() in ("a", "i")
        start = rf"(?-i:{text})(?!\s+[a-z])(?!:)" if word else rf"(?-i:{text})(?!:)"
        return rf"{_NOT_A_PART}(?:(?<=[\w,(] )(?-i:{text})|{start})(?!\.\d)"

    return regex(r"(?<![\w-])(" + "|".join([*(one(a) for a in alts), *inside]) + r")(?![\w-])", re.I)


def _letters(names: list[str]) -> dict[str, tuple[str, ...]]:
    """ "optA", "optB"; "layout_a", "layout_b": names that differ only by a final letter after a common prefix
    are called by that letter too, inside a sentence ("with that, B needs 20 GiB", "each B card"; never the
    "A:" of a Q & A)."""
    if len(names) < 2:
        return {}
    found = {n: re.fullmatch(r"(?P<prefix>[A-Za-z]{2,}[ _-]?)(?P<letter>[A-Za-z])", n) for n in names}
    if not all(found.values()) or len({m.group("prefix").lower() for m in found.values() if m}) != 1:
        return {}
    letters = {n: m.group("letter").upper() for n, m in found.items() if m}
    if len(set(letters.values())) != len(names) or {"X", "I"} & set(letters.values()):
        return {}  # "4 X 400" is a product, "I" a pronoun
    return {n: (letter,) for n, letter in letters.items()}


_NAMING_NOUN = regex(r"(?<![\w-])(?:setup|option|config(?:uration)?|plan|tier|pool|variant|scenario|case|layout|design|"
                     r"proposal|alternative|candidate|phase|quote|offer|approach|strategy|profile|arm|trial|experiment|"
                     r"exp|run|build|cluster|site|region|rev(?:ision)?)[ _-]?$", re.I)
"""The nouns that a number after them makes a name ("Setup 1", "Option 2", "Tier 3"): that number counts nothing."""


def names_not_figures(claims: list[Claim], matchers: list[tuple[str, re.Pattern]]) -> list[Claim]:
    """The claims less the numbers that are part of a scenario's name ("So Setup 1 needs 0.53x the GPUs of Setup 2":
    neither 1 nor 2 is a figure), numbered again."""
    spans: dict[str, list[tuple[int, int]]] = {}
    kept = []
    for c in claims:
        if c.kind == "count" and c.unit == "1" and c.figure.strip().isdigit():
            if c.text not in spans:
                spans[c.text] = [m.span() for _, pattern in matchers for m in pattern.finditer(c.text)]
            end = c.start + len(c.figure)
            if any(lo < c.start and end <= hi and _NAMING_NOUN.search(c.text, lo, c.start) for lo, hi in spans[c.text]):
                continue
        kept.append(c)
    if len(kept) == len(claims):
        return claims
    return [evolve(c, index=i) if c.index != i else c for i, c in enumerate(kept)]


def scenario_matchers(names: dict[str, list[str]]) -> list[tuple[str, re.Pattern]]:
    """Scenario name -> pattern of the words (its name, its aliases) that point at it."""
    out = []
    letters = _letters(list(names))
    for name, aliases in names.items():
        pat = _word_pattern([name, name.replace("_", " "), *aliases], letters.get(name, ()))
        if pat:
            out.append((name, pat))
    return out


_ASIDE_AFTER = regex(r"(?:(?:\s+[^\W\d_]++){1,3}+\s*\((?![^()]*(?<![\w-])\d)|\s*\()(?![^()]*(?:\d\s*[x×]|\b(?:the|than|vs|versus|of|over|against|compared|faster|slower|"
                     r"more|less|better|worse|from|was|were|previously|unlike|down|up|before|after|instead)\b))([^()]{1,24})\)", re.I)
"""A short parenthesis right after a figure, or after its noun, that names, not compares: what it names is the figure's
own ("32 ms (tp8)", "64 sequences per replica ("cap-64")"; after its noun, one holding no figure: "256 users (384 for
C)" is the 384's); "12.8K tok/s (5.6x the original)" sets it against another."""


def scenario_of(claim: Claim, matchers: list[tuple[str, re.Pattern]],
                named: dict[str, frozenset[str]] | None = None) -> tuple[str | None, str]:
    """The scenario named closest to the figure, and where (`Evidence.scenario`): its own clause, its
    label, the sentence before it, then its sections inside out. The other side of a comparison belongs
    to no section. `named` keeps the names found in each text searched, for the next figure of one bind
    (every figure of a section searches its titles)."""
    column = claim.scope[-1:] if claim.scope and claim.text.strip() == claim.figure.strip() else ()
    if claim.versus:
        places = [("column", c) for c in column]
    else:
        own = claim.clause or claim.figure
        prefix = "" if claim.in_parens else claim.text[: claim.start]
        part = prefix[max(prefix.rfind("; "), prefix.rfind(" — ")) + 2:] if ("; " in prefix or " — " in prefix) else ""
        aside = _ASIDE_AFTER.match(claim.text, claim.start + len(claim.figure))
        if aside and not aside.group(0).lstrip().startswith("(") and not _ONLY_A_NAME.fullmatch(aside.group(1)):
            aside = None  # after the figure's noun only a parenthesis that is a name names it, not "(optimized halves this)"
        speaker = _SPEAKER_LINE.match(claim.text)
        if speaker:  # "[10:15 AM] mi_kat: a replica is 2 cards": who says it is not what it is about
            name = re.compile(rf"^\W*{re.escape(speaker.group('who'))}:\s*")
            own, prefix = name.sub("", own), prefix[speaker.end():] if len(prefix) >= speaker.end() else ""
        near = max(0, len(prefix) - 120)  # "..., and, for B, 4,571 tok/s over a stage ≈ 1,143": its clause is B's
        fronted = next((m for m in reversed(list(_FRONTED.finditer(prefix, near)))
                        if not _CLAUSE_END.search(prefix, m.end())), None) if ", " in prefix[near:] else None
        places = [("clause", aside.group(1) if aside else ""), ("clause", own),
                  ("clause", fronted.group("name") if fronted else ""), ("label", claim.label),
                  ("sentence", part), ("sentence", prefix)]  # "32 ms (tp8) and 95 ms (ep8)": its own aside first
        places += [("column" if s == claim.column else "section", s) for s in reversed(claim.scope)]
    def names(place: str) -> frozenset[str]:
        hits = named.get(place) if named is not None else None
        if hits is None:
            hits = frozenset(name for name, pat in matchers if pat.search(place))
            if named is not None:
                named[place] = hits
        return hits

    paragraph = None if claim.versus or claim.in_parens else _paragraph_scenario(claim, names)
    for where, place in places:
        if not place:
            continue
        if where == "section" and paragraph:
            break
        hits = names(place)
        if len(hits) == 1:
            if where == "section" and claim.column:
                where = "table"  # a cell whose column names no scenario: the section's may be any column's
            if where == "label" and _SPEAKER.match(place):
                where = "sentence"  # "[10:15 AM] mi_kat: a replica is 2 cards": who says it, not what it is about
            return next(iter(hits)), where
        if len(hits) > 1:  # "original vs optimized": the section is about both
            return None, ""
    if paragraph:
        section = next((h for s in reversed(claim.scope) if (h := names(s))), frozenset())
        return paragraph, "section" if section == {paragraph} else "paragraph"
    return None, ""


_FRONTED = regex(r"(?:^|[,;(]\s*|\band\s+|\bwhile\s+|\bbut\s+)(?:for|on|with|under)\s+(?P<name>[^,;()]{1,30}),\s", re.I)
""""A gets 440 tok/s and, for B, 4,571 tok/s": a phrase put before the figure's clause names what the clause is about."""
_CLAUSE_END = regex(r"[;:!?()]|[,.](?!\d)")
"""A mark that ends a clause (a comma or a point inside a number does not)."""
_ONLY_A_NAME = regex(r"\W*[\w.+-]+(?:[ _-][\w.+-]+)?\W*")
"""A parenthesis holding one or two words: a name ("cap-64", "tp8", "Option B"), not a clause."""
_STAMP = r"^\W*\d{1,4}[/:.\-]\d{1,2}"
_SPEAKER = regex(_STAMP)
"""A label that starts with a date or a time is a chat message's speaker ("[5/13/2025 10:15 AM] mi_kat")."""
_SPEAKER_LINE = regex(_STAMP + r"[^\]\n]{0,40}\]\s*(?P<who>[\w.@-]{1,40}):\s")
"""A chat message's time and speaker before its words."""


def _paragraph_scenario(claim: Claim, names: Callable[[str], frozenset[str]]) -> str | None:
    """The one scenario the earlier sentences of its paragraph name, when they name one and no other:
    "Since March the endpoint has run as a single TP16 instance. Splitting the weights sixteen ways puts
    41.9 GB on each GPU" is about TP16, whatever the section's title says about what came after; a
    paragraph that also says "than under DP16" names two, and its section decides."""
    hits = frozenset().union(*(names(sentence) for sentence in claim.earlier))
    return next(iter(hits)) if len(hits) == 1 else None


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
    conflicting: str = ""
    """The degrees the report states more than one way for it, with no scenario to tell them apart
    ("TP 4 and 16"): the first of each is taken."""


def layouts_from_report(claims: list[Claim]) -> dict[str, Layout]:
    """Scenarios the report itself describes: one per table column stating TP/PP/DP/EP/batch, or,
    when no table does, one per section stating them."""
    stated = [c for c in claims if c.metric in LAYOUT_METRICS and not c.quoted and not c.operand and not c.comparison
              and not c.about
              and 0 < c.value <= 1_000_000 and c.value == int(c.value)]  # "DP=1e400" is no layout
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
        seen: dict[str, list[int]] = {}
        for c in stated:
            if c.metric in LAYOUT_METRICS and int(c.value) not in seen.setdefault(c.metric, []):
                seen[c.metric].append(int(c.value))
        conflicting = ", ".join(f"{k.upper()} {' and '.join(map(str, v))}" for k, v in seen.items() if len(v) > 1)
        return {"report": evolve(_layout("report", merged), conflicting=conflicting)} if merged else {}
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
    return Layout(name, figures.get("tp"), figures.get("pp"), figures.get("dp"), figures.get("ep"),
                  figures.get("batch_size"))


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


