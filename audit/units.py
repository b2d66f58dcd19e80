"""Quantities with units: strict parsing of spec fields, lenient scanning of report text, printing.

Conventions (docs/physics.md, "Units"):

- Base units: bytes B, an amount of work FLOP, compute rate FLOP/s, bandwidth B/s, time s,
  token rate tok/s, counts 1, percentages as a fraction (unit "%"), ratios x.
- KB, MB, GB, TB, PB are decimal (1e3 ...); KiB, MiB, GiB, TiB are binary (2^10 ...) — the SI/IEC
  prefixes of IEC 80000-13, whatever the case of the letter before "i" ("kiB"). Gb/s, Gbps, Gbit/s and
  Gbit are bits: 1 Gb/s = 0.125e9 B/s. A lone "b" after a prefix ("80 Gb", "100 kib") is no unit: it
  is bits as often as a careless "B".
- Words spell prefixes too ("PetaFLOPS", "gigabytes", "GB per second", "terabytes a second"), as speech
  does ("81.6 gigs", "790 meg": GB and MB); µs and μs are both micro.
- Numbers may be powers: "2^40", "2⁴⁰", "1.2 × 10^12", "1.2·10¹²", "3,072²". A superscript after a
  unit ("52%¹") is a footnote mark. Clock times ("10:02") are no figures.
- "TFLOPs", "TFLOPS", "TFlops" and "FLOPs" are read as an amount and flagged ambiguous: whether a
  figure is an amount or a rate is decided by the metric it is bound to, not by letter case.
  "TFLOP" is an amount, "TFLOP/s" and "TFLOPS/s" are rates.
- A K/M/B/T written straight after a number is thousand/million/billion/trillion ("235B",
  "302K"); "B" after a space ("120 B") is bytes.
- A token rate may carry a word or two of its own before the unit ("12.5k generated tokens/s"); a
  comparison sign before a figure is part of it (">30 billion"). Both are kept on the `Figure`.

    >>> parse_quantity("1.8 TB/s", "bandwidth")
    1800000000000.0
    >>> [f.text for f in find_figures("Throughput: ~1.2M tokens/second on 32 GPUs")]
    ['~1.2M tokens/second', '32']
    >>> format_quantity(29.39e9, "B")
    '29.39 GB'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from audit.errors import UnitError
from audit.precompiled import regex

Kind = Literal["bytes", "flops", "flop_rate", "bandwidth", "time", "token_rate", "count", "percent", "ratio"]

BASE_UNITS: dict[str, str] = {
    "bytes": "B", "flops": "FLOP", "flop_rate": "FLOP/s", "bandwidth": "B/s", "time": "s",
    "token_rate": "tok/s", "count": "1", "percent": "%", "ratio": "x",
}
"""The base unit of each kind; values are always given in it (percent as a fraction)."""

EXAMPLES: dict[str, str] = {
    "bytes": "64 GB", "flops": "600 TFLOP", "flop_rate": "400 TFLOPS", "bandwidth": "1.8 TB/s",
    "time": "30 s", "token_rate": "1.2M tok/s", "count": "235B", "percent": "63.8%", "ratio": "4x",
}
"""A well-formed example of each kind, for error messages."""


@dataclass(frozen=True, slots=True)
class Quantity:
    """A value in base units and what kind of quantity it is."""

    value: float
    """Base units; the first element for a range or list."""
    unit: str
    """"B", "FLOP", "FLOP/s", "B/s", "s", "tok/s", "1", "%" (value is a fraction) or "x"."""
    kind: str
    """One of `Kind`."""
    values: tuple[float, ...] = ()
    """Every element of a range ("24-30", "[128, 10240]") or list ("[24, 23, 24, 23]"); () otherwise."""
    is_range: bool = False
    """Two elements written as a range (a dash, or a bracketed pair), not a list."""
    approx: bool = False
    """Written after "~", "≈", "about", "approximately", "around" or "roughly"."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure found in free text, with its character span."""

    start: int
    """Offset of the first character (the approximation marker when there is one)."""
    end: int
    """Offset just past the unit."""
    text: str
    """`text[start:end]` of the scanned text."""
    quantity: Quantity
    unit_text: str
    """Everything written after the number: "GB", "TFlops", "tok/s", "K tokens/second", "B" (billion);
    "" for a bare number."""
    flops_ambiguous: bool
    """Written "FLOPs"/"FLOPS"/"Flops" without "/s": amount or rate is left to the binder."""
    comparison: str = ""
    """The sign written before it, part of the figure: ">" in ">30 billion", "<=", ">=", "<"; "" for none."""
    words: str = ""
    """Words between the number and its unit ("generated" in "12.5k generated tokens/s"), part of the figure."""


# ---------------------------------------------------------------------------------------------
# Unit spellings. Each family is one regex used twice: inside the scanner and, anchored, to
# resolve a unit as written into (kind, base unit, factor). Longer spellings come first so that
# "B/s" is never read as "B" followed by "/s".

_SPACES = " \u00a0\u202f\u2009"  # a space, no-break, narrow no-break and thin ("21&thinsp;ms"); never a line break
_SP = f"[{_SPACES}]"  # one of them

_DECIMAL = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60}
_BYTE_WORDS = {"": 1.0, "kilo": 1e3, "mega": 1e6, "giga": 1e9, "tera": 1e12, "peta": 1e15,
               "kibi": 2.0**10, "mebi": 2.0**20, "gibi": 2.0**30, "tebi": 2.0**40}
_FLOP_WORDS = {"kilo": 1e3, "mega": 1e6, "giga": 1e9, "tera": 1e12, "peta": 1e15, "exa": 1e18}
# seconds per unit as (factor, divisor): 1 ms = 1 / 1e3 s
_TIME = {
    "s": (1.0, 1.0), "sec": (1.0, 1.0), "secs": (1.0, 1.0), "second": (1.0, 1.0), "seconds": (1.0, 1.0),
    "ms": (1.0, 1e3), "msec": (1.0, 1e3), "msecs": (1.0, 1e3), "millisecond": (1.0, 1e3),
    "milliseconds": (1.0, 1e3), "µs": (1.0, 1e6), "μs": (1.0, 1e6), "us": (1.0, 1e6), "usec": (1.0, 1e6),
    "µsec": (1.0, 1e6), "μsec": (1.0, 1e6), "microsecond": (1.0, 1e6), "microseconds": (1.0, 1e6),
    "ns": (1.0, 1e9), "nsec": (1.0, 1e9), "nanosecond": (1.0, 1e9), "nanoseconds": (1.0, 1e9),
    "min": (60.0, 1.0), "mins": (60.0, 1.0), "minute": (60.0, 1.0), "minutes": (60.0, 1.0),
    "h": (3600.0, 1.0), "hr": (3600.0, 1.0), "hrs": (3600.0, 1.0), "hour": (3600.0, 1.0), "hours": (3600.0, 1.0),
}
_SPELLINGS = {  # for "did you mean" when only the letter case is wrong
    "bytes": ("KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"),
    "bandwidth": ("GB/s", "TB/s", "GiB/s", "GBps", "TBps"),
    "flops": ("GFLOP", "TFLOP", "PFLOP"), "flop_rate": ("TFLOP/s", "PFLOP/s"),
    "time": ("s", "ms", "min", "h"), "token_rate": ("tok/s", "tokens/s"),
}
_MULTIPLIERS = {"K": 1e3, "k": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12,
                "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

_PER_SECOND = rf"(?:/s(?:ec(?:ond)?)?|{_SP}(?:per|a){_SP}sec(?:ond)?)"  # "tokens a second", as people say it
_WORD_PREFIX = "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _FLOP_WORDS)  # "Peta", "peta"
_FLOP_RE = (rf"(?:(?P<fp>[kKMGTPEmgtpe]?)|(?P<fw>{_WORD_PREFIX}))(?:FLOP|Flop|flop)(?P<fs>[sS]?)(?P<fr>{_PER_SECOND})?"
            r"|(?P<op>[GTP])OPS|(?P<pf>P)F(?:/s)?")  # "2.6 PF": a petaFLOPS, as spec sheets shorten it
_BYTE_WORD_RE = "|".join(w for w in _BYTE_WORDS if w)
# bits only where "b" cannot be a careless "B": a rate ("Gb/s", "Gbps") or spelled out ("Gbit", "Mbits")
_BANDWIDTH_RE = (rf"(?P<bwp>[kKMGTPE]i?)?B(?:/s(?:ec(?:ond)?)?|ps|{_SP}(?:per|a){_SP}sec(?:ond)?)"
                 rf"|(?P<bww>{_BYTE_WORD_RE})?bytes?{_PER_SECOND}"
                 rf"|(?P<bitp>[kKMGTP]i?)(?:b/s(?:ec)?|bps|bits?{_PER_SECOND})")
_TOKEN_RATE_RE = rf"(?:tokens?|toks?|t){_PER_SECOND}"
_SPOKEN_BYTES = {"gig": 1e9, "gigs": 1e9, "meg": 1e6, "megs": 1e6}  # "81.6 gigs per GPU", as a talk says it
_BYTES_RE = (rf"(?P<byp>[kKMGTPE]i?)?B|(?P<byw>{_BYTE_WORD_RE})?bytes?|(?P<bitw>[kKMGTP]i?)bits?"
             rf"|(?P<bysp>{'|'.join(_SPOKEN_BYTES)})")
_TIME_RE = "|".join(sorted((re.escape(t) for t in _TIME), key=len, reverse=True))
_PERCENT_RE = "%|percent"
# "4x", "13.5×", "2 × faster"; never "4 x 4", "4x4", "40 × (256 + 32)", "40×(", "2 × TP2" (a factor of
# written arithmetic), nor "4× (2 + 2)" (a parenthesis of arithmetic alone)
_ARITHMETIC_PARENS = r"\([\d.,\s+\-−×*/·]+\)"
_RATIO_RE = (rf"(?<!{_SP})[×xX](?!{_SP}?\d)(?![(\[])(?!{_SP}{_ARITHMETIC_PARENS})"
             rf"|(?<={_SP})×(?!{_SP}?[\d(\[A-Z])")

_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, regex(pattern)) for name, pattern in (
        ("flop", _FLOP_RE), ("bandwidth", _BANDWIDTH_RE), ("token_rate", _TOKEN_RATE_RE),
        ("bytes", _BYTES_RE), ("time", _TIME_RE), ("percent", _PERCENT_RE), ("ratio", _RATIO_RE),
    )
)
_UNIT_RE = "|".join(f"(?:{p.pattern})" for _, p in _FAMILIES)
# named groups may occur once per pattern: strip them for the combined scanner
_UNIT_RE = regex(r"\(\?P<\w+>").sub("(?:", _UNIT_RE)

# A number: thousands separators only in groups of three ("2,480.50"), scientific "2.94e10",
# "2.94 × 10^10", "1.2·10¹²", or a power ("2^40", "2⁴⁰", "10¹²", "3,072²"). Atomic, so that "2.94e10abc" is not
# re-read as "2". A superscript after a unit is a footnote mark ("52%¹"), after a number an exponent.
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_EXPONENT = f"[⁺⁻]?[{_SUPERSCRIPTS}]{{1,3}}"
_NUM_RE = (r"(?>(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)"
           rf"(?:[eE][+-]?\d+|{_SP}?[×x·*]{_SP}?10(?:\^[+-]?\d+|{_SUPER_EXPONENT})|\^[+-]?\d{{1,4}}|{_SUPER_EXPONENT})?)")
_ELEMENT_RE = r"(?>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"  # inside [..] a comma separates elements
_MULT_RE = rf"[KkMBT](?![\w/])|bn(?!\w)|{_SP}(?i:thousand|million|billion|trillion)(?!\w)"
_APPROX_SIGN_RE = r"[~≈∼][ \t\u00a0]*"
_APPROX_WORDS = ("about", "approximately", "approx.", "around", "roughly")
_APPROX_LAST_LETTERS = frozenset("tTyYdD.")  # last characters of the words: a cheap first test
# "12.5k generated tokens/s", "48K input tok/s": a token rate may have a word or two of its own
# between the number and the unit (never a word that starts a phrase of its own: "64 users at 30 tok/s")
_RATE_WORDS_RE = (rf"(?:(?!(?:per|at|of|in|on|for|to|and|or|with|by|from|vs|the|a|an|each|across|over|is|are|"
                  rf"was|were|into|than)\b)[a-z][a-z-]{{1,20}}{_SP}){{1,2}}")
_END = f"(?![^\\W{_SUPERSCRIPTS}])"  # not inside a word; a superscript after a unit is a footnote mark

# Where a figure may start: a digit, "[" or "~" not inside an identifier ("H100", "fp8",
# "Qwen3-235B", "Llama-3.1-70B", "v1.2.3"). A plain character class first lets the regex engine
# skip to candidates at C speed; the lookbehinds then look at the character before it.
_START = regex(r"[\d\[~≈∼](?<![\w.].)(?<!\w-.)")
_BODY = regex(
    r"(?P<skip>\d{4}-\d{2}-\d{2}(?!\d)|\d+(?:\.\d+){2,}|\d{1,2}:\d{2}(?::\d{2})?(?![\d.,])"  # dates, versions, clock times,
    r"|\d{1,2}(?:st|nd|rd|th)?[ \u00a0](?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?(?![\w-]))"  # a day of a month: "12 Dec"
    r"|(?P<product>\d+(?:\.\d+)?(?:[x×]\d+(?:\.\d+)?)+)(?![\w.])"  # "4x4x2": three counts
    rf"|(?P<devices>\d+)(?=[xX×]{_SP}?[A-Z]{{1,4}}\d)"  # "8x H100", "8xA100": a count, not a ratio
    rf"|(?P<figure>(?P<approx>{_APPROX_SIGN_RE})?"
    rf"(?:\[\s*(?P<list>{_ELEMENT_RE}(?:\s*,\s*{_ELEMENT_RE})+)\s*\]"
    rf"|(?P<num>{_NUM_RE})(?:(?:-|—|{_SP}?–{_SP}?)(?P<num2>{_NUM_RE}))?)"  # "8–16", "8 – 16", "8—16"; "8 — 4x" is a dash
    rf"(?P<mult>{_MULT_RE})?(?:{_SP}?(?P<unit>{_UNIT_RE}){_END}"
    rf"|{_SP}(?P<words>{_RATE_WORDS_RE})(?P<rate>{_TOKEN_RATE_RE}){_END})?{_END})"
)
_STRICT = regex(rf"\s*(?P<num>[+-]?{_NUM_RE})(?P<mult>{_MULT_RE})?\s*(?P<unit>.*?)\s*", re.S)
_PRODUCT_SPLIT = regex(r"[x×]")
_TIMES_TEN = regex(rf"{_SP}?[×x·*]{_SP}?10\^")
_SUPER_TO_CARET = regex(f"(?:{_SUPER_EXPONENT})")
_SUPER_DIGITS = str.maketrans(_SUPERSCRIPTS + "⁺⁻", "0123456789+-")


@dataclass(frozen=True, slots=True)
class _Unit:
    kind: str
    factor: float
    divisor: float = 1.0
    ambiguous: bool = False


@lru_cache(maxsize=512)
def _resolve_unit(written: str) -> _Unit | None:
    """The kind and factor to base units of a unit as written, None when it is no unit we know."""
    for family, pattern in _FAMILIES:
        m = pattern.fullmatch(written)
        if m is None:
            continue
        if family == "flop":
            if m.group("op"):
                return _Unit("flops", _DECIMAL[m.group("op")], ambiguous=True)
            if m.group("pf"):
                return _Unit("flop_rate", _DECIMAL["P"])
            word = m.group("fw")
            factor = _FLOP_WORDS[word.lower()] if word else _DECIMAL[m.group("fp").upper()]
            if m.group("fr"):
                return _Unit("flop_rate", factor)
            return _Unit("flops", factor, ambiguous=bool(m.group("fs")))
        if family == "bandwidth":
            if m.group("bitp"):
                return _Unit("bandwidth", _byte_factor(m.group("bitp"), ""), divisor=8.0)  # bits
            return _Unit("bandwidth", _byte_factor(m.group("bwp") or "", m.group("bww") or ""))
        if family == "bytes":
            if m.group("bysp"):
                return _Unit("bytes", _SPOKEN_BYTES[m.group("bysp")])
            if m.group("bitw"):
                return _Unit("bytes", _byte_factor(m.group("bitw"), ""), divisor=8.0)  # "Gbit", "Kibits"
            return _Unit("bytes", _byte_factor(m.group("byp") or "", m.group("byw") or ""))
        if family == "time":
            return _Unit("time", *_TIME[written])
        if family == "token_rate":
            return _Unit("token_rate", 1.0)
        if family == "percent":
            return _Unit("percent", 1.0, divisor=100.0)
        return _Unit("ratio", 1.0)
    return None


def _byte_factor(prefix: str, word: str) -> float:
    if word:
        return _BYTE_WORDS[word]
    if prefix.endswith("i"):  # "KiB", "kiB", "GiB": binary whatever the case of the letter before "i"
        return _BINARY[prefix[0].upper() + "i"]
    return _DECIMAL[prefix]


def _number(text: str) -> float:
    """A number as written: "2,480.50", "2.94e10", "2.94 × 10^10", "1.2·10¹²", "2^40", "2⁴⁰"."""
    if "," in text:
        text = text.replace(",", "")
    if text[-1] in _SUPERSCRIPTS:
        text = _SUPER_TO_CARET.sub(lambda m: "^" + m.group(0).translate(_SUPER_DIGITS), text)
    if "^" not in text:
        return float(text)
    parts = _TIMES_TEN.split(text, maxsplit=1)
    if len(parts) == 2:
        return float(parts[0]) * 10.0 ** int(parts[1])
    base, exponent = text.split("^")
    return float(base) ** int(exponent)


def _multiplier(mult: str | None) -> float:
    """"302K" -> 1e3, "235B" -> 1e9, "3.5 billion" -> 1e9; 1 without a multiplier."""
    if not mult:
        return 1.0
    word = mult.strip()
    return _MULTIPLIERS[word] if word in _MULTIPLIERS else _MULTIPLIERS[word.lower()]


def _in_base(number: float, unit: _Unit | None, multiplier: float = 1.0) -> float:
    """Divide rather than multiply by 1e-3 or 0.01, so "63.8%" is exactly 63.8 / 100."""
    if unit is None:
        return number * multiplier
    return number * multiplier * unit.factor / unit.divisor


# ---------------------------------------------------------------------------------------------
# Strict parsing of spec fields


def parse_quantity(text: str, kind: str) -> float:
    """The value of `text` in the base unit of `kind` ("64 GB" as bytes -> 64e9).

    A bare number is already in base units. Raises UnitError naming the unit and what was expected.
    """
    if kind not in BASE_UNITS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    expected = f"expected a {kind} quantity such as {EXAMPLES[kind]!r}"
    m = _STRICT.fullmatch(text)
    if m is None:
        raise UnitError(f"cannot read a number in {text!r} ({expected})")
    try:
        number = _number(m.group("num"))
    except (OverflowError, ZeroDivisionError, ValueError):
        number = math.inf  # "1 × 10^400", "0⁻²", an exponent of 5,000 digits; reported as not finite below
    mult, written = m.group("mult"), m.group("unit")
    if written == "" and mult and mult.strip() == "B" and kind == "bytes":
        mult, written = None, "B"  # the field says bytes: "64B" is 64 bytes
    if kind == "count" and not mult and (written in _MULTIPLIERS or written.lower() in _MULTIPLIERS):
        mult, written = written, ""  # the field says count: "235 B" is 235 billion
    unit = None
    if written:
        unit = _resolve_unit(written)
        if unit is None:
            hint = next((f"; did you mean {c!r}?" for c in _SPELLINGS.get(kind, ()) if c.lower() == written.lower()), "")
            raise UnitError(f"unknown unit {written!r} in {text!r} ({expected}{hint})")
        found = unit.kind
        if unit.ambiguous and kind in ("flops", "flop_rate"):
            found = kind  # the field decides amount or rate
        if found != kind:
            if unit.ambiguous:
                found = "flop_rate" if written.endswith("S") else "flops"
            raise UnitError(f"{text.strip()!r} is a {found}, expected {kind} such as {EXAMPLES[kind]!r}")
    value = _in_base(number, unit, _multiplier(mult))
    if not math.isfinite(value):
        raise UnitError(f"{text.strip()!r} is not a finite number ({expected})")
    return value


# ---------------------------------------------------------------------------------------------
# Lenient scanning of report text


def find_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order, with its span; never raises.

    Numbers inside identifiers ("H100", "Qwen3-235B", "fp8"), ISO dates and dotted versions are
    skipped; "4x4x2" and "4 x 4 x 2" give three counts; "128 to 512" gives two figures.
    """
    figures: list[Figure] = []
    pos = 0
    reference_end = -1  # where the last number that names a figure, table or section ends
    while (candidate := _START.search(text, pos)) is not None:
        m = _BODY.match(text, candidate.start())
        if m is None:
            pos = candidate.end()
            continue
        pos = m.end()
        what = m.lastgroup
        if what == "figure" and m.group("unit") is None and m.group("mult") is None and m.group("words") is None and (
                _REFERENCE_BEFORE.search(text, max(0, m.start() - 14), m.start())
                or (reference_end >= 0 and _REFERENCE_LIST.fullmatch(text, reference_end, m.start())
                    and _NO_WORD_AFTER.match(text, pos))):
            reference_end = pos  # "as shown in Figures 2 (left) and 8", "Table 4", "§3.2": where to look, no figure
            continue
        if what == "figure" and _difference(text, m):  # "30 + (5-1) x 5": a subtraction, not a range
            for g in ("num", "num2"):
                figures.append(Figure(m.start(g), m.end(g), m.group(g), Quantity(_number(m.group(g)), "1", "count"), "",
                                      False))
        elif what == "figure":
            figure = _figure(text, m)
            if figure is not None:
                figures.append(figure)
        elif what == "product":
            figures.extend(_product(m))
        elif what == "devices":
            figures.append(Figure(m.start(), pos, m.group(0), Quantity(float(m.group(0)), "1", "count"), "", False))
    return figures


_REFERENCE_BEFORE = regex(r"(?:\b(?:Figures?|Figs?\.|Tables?|Sections?|Secs?\.|Eqs?\.|Equations?|Chapters?|Ch\.|"
                          r"Appendix|Listings?|Algorithms?|Exercises?|Lines?)|§)[ \u00a0]?$", re.I)
"""The word of a reference before its number ("Figure 3", "Table 4", "§3.2", "Exercise 7.1", "line 48")."""
_NO_WORD_AFTER = regex(r"\s*(?:[^\w\s]|$)")
"""No word after a number: "and 8*," ends a list of references, "and 5 hold" goes on as a sentence."""
_REFERENCE_LIST = regex(r"\s*(?:\([^()\d]{0,20}\)\s*)?(?:and|&|to|–|-)\s*")
""""Figures 2 (left) and 8": the next number of a list of references."""


def _difference(text: str, m: re.Match[str]) -> bool:
    """ "(5-1)": two bare numbers joined by a hyphen that a parenthesis holds alone are a subtraction."""
    return (m.group("num2") is not None and m.group("unit") is None and m.group("mult") is None
            and text[m.start() - 1: m.start()] == "(" and text[m.end("num2"): m.end("num2") + 1] == ")"
            and text[m.end("num"): m.start("num2")] == "-")


_UNIT_AT = regex(rf"{_SP}?(?:{_UNIT_RE}){_END}")


def unit_at(text: str, pos: int) -> str:
    """The unit written at `pos` of `text` (after one space at most), "" when none is: "GB" in "(30.5 + 9.7) GB"."""
    m = _UNIT_AT.match(text, pos)
    return m.group(0).strip() if m else ""


def _product(m: re.Match[str]) -> list[Figure]:
    out, pos = [], m.start()
    for part in _PRODUCT_SPLIT.split(m.group("product")):
        out.append(Figure(pos, pos + len(part), part, Quantity(float(part), "1", "count"), "", False))
        pos += len(part) + 1
    return out


def _figure(text: str, m: re.Match[str]) -> Figure | None:
    listed, num, num2, written, mult, sign = m.group("list", "num", "num2", "unit", "mult", "approx")
    words = ""
    if written is None and m.group("rate") is not None:
        written, words = m.group("rate"), m.group("words").strip()
    try:
        unit = _resolve_unit(written) if written else None
        # multiply, then divide: "63.8%" is exactly 63.8 / 100 and "41.4 ms" 41.4 / 1000
        factor = _multiplier(mult) * (unit.factor if unit is not None else 1.0)
        divisor = unit.divisor if unit is not None else 1.0
        if listed is not None:
            values = tuple([float(e) * factor / divisor for e in listed.split(",")])
            value = values[0]
            number_end = text.index("]", m.end("list")) + 1
        elif num2 is None:
            value, values = _number(num) * factor / divisor, ()
            number_end = m.end("num")
        else:
            values = (_number(num) * factor / divisor, _number(num2) * factor / divisor)
            value = values[0]
            number_end = m.end("num2")
    except (ValueError, OverflowError, ZeroDivisionError, KeyError):  # never raise on report text ("0⁻²")
        return None
    start, end = m.span()
    approx = sign is not None
    if not approx and start > 1 and text[start - 2] in _APPROX_LAST_LETTERS:
        word = _approx_word_before(text, start)
        if word is not None:
            start, approx = word, True
    comparison = ""
    if start > 0 and text[start - 1] in _COMPARISON_LAST:
        start, comparison = _comparison_before(text, start)
    kind = unit.kind if unit is not None else "count"
    quantity = Quantity(value, BASE_UNITS[kind], kind, values, len(values) == 2, approx)
    ambiguous = unit is not None and unit.ambiguous
    return Figure(start, end, text[start:end], quantity, text[number_end:end].strip(), ambiguous, comparison, words)


_COMPARISON_LAST = frozenset("<>≤≥=⩽⩾" + _SPACES)
_COMPARISONS = {"<": "<", ">": ">", "≤": "<=", "≥": ">=", "⩽": "<=", "⩾": ">=", "<=": "<=", ">=": ">="}


def _comparison_before(text: str, start: int) -> tuple[int, str]:
    """ ">30 billion", "≥ 80%", "<= 5 ms": the sign right before a figure (never an arrow "->", "=>")."""
    at = start - 1 if text[start - 1] in _SPACES else start
    for sign in ("<=", ">=", "<", ">", "≤", "≥", "⩽", "⩾"):
        begin = at - len(sign)
        if begin >= 0 and text.startswith(sign, begin) and (begin == 0 or text[begin - 1] not in "-=<>"):
            return begin, _COMPARISONS[sign]
    return start, ""


def _approx_word_before(text: str, start: int) -> int | None:
    """Start of "about", "approximately", "approx.", "around" or "roughly" right before `start`."""
    low = max(0, start - 20)
    head = text[low:start].rstrip().lower()
    for word in _APPROX_WORDS:
        if head.endswith(word):
            at = low + len(head) - len(word)
            if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
                return at
    return None


# ---------------------------------------------------------------------------------------------
# Printing

_BYTE_PREFIXES = (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3))  # decimal, as docs/physics.md
_SI_PREFIXES = (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3))
_COUNT_SUFFIXES = (("T", 1e12), ("B", 1e9), ("M", 1e6))


def _sig(value: float, digits: int = 4) -> str:
    """`value` to `digits` significant digits, without trailing zeros or exponent ("400", "29.39")."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rounded(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits - 1}e}")


def _scaled(value: float, prefixes: tuple[tuple[str, float], ...], unit: str, space: str = " ") -> str:
    """`value` with the largest prefix that keeps it at 1 or more ("29.39 GB", "603.2 TFLOP")."""
    magnitude = abs(_rounded(value))
    for prefix, factor in prefixes:
        if magnitude >= factor:
            return f"{_sig(value / factor)}{space}{prefix}{unit}"
    return f"{_sig(value)}{space}{unit}"


def format_quantity(value: float, unit: str) -> str:
    """`value` (base units) for people: four significant digits, a sensible prefix, deterministic.

    "29.39 GB", "603.2 TFLOP", "400 TFLOP/s", "1.8 TB/s", "0.754 s", "41.4 ms", "54.32K tok/s",
    "1,728 tok/s", "70.6%" (value a fraction), "4.0x", "235.09B" and "32" (counts).
    """
    if not math.isfinite(value):
        return f"{value} {unit}".strip()
    if unit == "B":
        return _scaled(value, _BYTE_PREFIXES, "B")
    if unit == "B/s":
        return _scaled(value, _BYTE_PREFIXES, "B/s")
    if unit in ("FLOP", "FLOP/s"):
        return _scaled(value, _SI_PREFIXES, unit)
    if unit == "s":
        magnitude = abs(_rounded(value))
        if magnitude >= 0.1 or magnitude == 0:
            return f"{_sig(value)} s"
        if magnitude >= 1e-4:
            return f"{_sig(value * 1e3)} ms"
        return f"{_sig(value * 1e6)} µs"
    if unit == "tok/s":
        if abs(_rounded(value)) >= 1e4:
            return _scaled(value, _SI_PREFIXES, " tok/s", space="")
        return f"{_grouped(value)} tok/s"
    if unit == "%":
        return f"{_sig(value * 100)}%"
    if unit == "x":
        text = _sig(value)
        return f"{text}x" if "." in text or abs(value) >= 100 else f"{text}.0x"
    if unit in ("1", ""):
        for suffix, factor in _COUNT_SUFFIXES:
            if abs(value) >= factor:
                return f"{round(value / factor, 2):.2f}".rstrip("0").rstrip(".") + suffix
        return _grouped(value)
    return f"{_sig(value)} {unit}"


def _grouped(value: float) -> str:
    """Thousands separators when there are four or more integer digits ("1,728"), else four digits."""
    if abs(value) >= 1000:
        return f"{round(value):,}"
    return _sig(value)
