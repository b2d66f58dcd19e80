"""What every format says about one figure of a report: its findings merged, its status, how far off it is
in words, and the correction a writer can apply.

A figure is judged once: the findings several rules make about one claim are merged into one `Judged`
figure, the most telling first (errors before warnings, physics before the report's own arithmetic,
whose premise may be the wrong figure); the others are its evidence. Counts in the verdicts are of
figures, not of findings.

    suggest(finding)          "29.39 GB" for "2.86 GB" (MEM001); ">= 45.16 GB" for "3.84 GB" (a floor)
    off_by(2.86e9, 29.39e9)   "10.3x too low"
    gib_mixup(27.37e9, 29.39e9, "B")   True: the figure is off by 2^30 / 1e9 = 1.074

The suggestion is the corrected figure written as the report writes it: the same unit, the same
number of decimals (at least three significant digits), the approximation sign kept for a value and
replaced by ">=" / "<=" for a bound, rounded so that the corrected figure satisfies its bound.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from audit.precompiled import regex
from audit.records import Claim, Finding, ReportResult, evolve

GIB_PER_GB = 2**30 / 1e9
"""1.0737: a figure computed in GiB and written as GB (or the reverse) is off by this factor."""
_GIB_TOLERANCE = 0.004
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
STATUSES = ("fail", "warn", "pass", "unverified")
"""A claim's status: fail (an error), warn (a warning), pass (judged and confirmed), unverified."""


# --- one figure, its findings merged ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judged:
    """One figure of a report with every unsuppressed finding about it, the most telling first."""

    claim: Claim | None
    """None for a finding about no figure (a suppression comment, a report without a spec)."""
    findings: tuple[Finding, ...]
    status: str
    """fail | warn | pass | unverified (`STATUSES`)."""

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def line(self) -> int:
        return self.claim.line if self.claim is not None else (self.findings[0].line if self.findings else 0)

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))


def rank(finding: Finding, checks: Mapping[str, str] | None = None) -> tuple:
    """Sort key of the findings of one figure: the one to show first. Errors before warnings; a consistency
    finding (the report's own arithmetic, whose premise may be the wrong figure) after physics."""
    check = (checks or {}).get(finding.rule, "")
    return (_SEVERITY_ORDER.get(finding.severity, 3), check == "consistency", finding.rule)


def covered_metrics(rules: Iterable) -> set[str] | None:
    """The metrics the rules of a run always judge; None when the rules are not known (every bound claim counts).

    A consistency rule judges a figure only when the report states what it relates to (the parts of a
    total, both sides of a ratio): a figure it alone covers and does not flag is not verified."""
    rules = list(rules)
    if not rules:
        return None
    return {m for r in rules if r.spec.check != "consistency" for m in r.spec.metric if m != "*"}


def judged(result: ReportResult, covered: set[str] | None = None,
           checks: Mapping[str, str] | None = None) -> list[Judged]:
    """Every figure of the report (claims in document order) and then the findings about no figure."""
    by_claim: dict[int, list[Finding]] = {}
    loose: list[Finding] = []
    for f in result.findings:
        if f.suppressed is not None:
            continue
        if f.claim is not None:
            by_claim.setdefault(f.claim.index, []).append(f)
        else:
            loose.append(f)
    out = []
    for claim in result.claims:
        findings = tuple(sorted(by_claim.pop(claim.index, ()), key=lambda f: rank(f, checks)))
        out.append(Judged(claim, findings, status_of(claim, findings, covered)))
    for rest in by_claim.values():  # findings whose claim is not in the result's claims (built by hand)
        findings = tuple(sorted(rest, key=lambda f: rank(f, checks)))
        out.append(Judged(findings[0].claim, findings, status_of(findings[0].claim, findings, covered)))
    for f in sorted(loose, key=lambda f: (f.line, f.rule)):
        out.append(Judged(None, (f,), "fail" if f.severity == "error" else "warn" if f.severity == "warning"
                          else "pass"))
    return out


def status_of(claim: Claim | None, findings: Sequence[Finding], covered: set[str] | None) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "fail"
    if "warning" in severities:
        return "warn"
    if findings:
        return "pass"
    if claim is None or claim.quoted or claim.about or claim.metric is None:
        return "unverified"
    if covered is None or claim.metric in covered:
        return "pass"
    return "unverified"


def summary(figures: Sequence[Judged]) -> dict[str, int]:
    """Counts of a report's figures: read, checked, wrong, warnings, unverified, confirmed, and the lines
    with a wrong figure."""
    claims = [j for j in figures if j.claim is not None]
    count = {s: sum(1 for j in claims if j.status == s) for s in STATUSES}
    return {
        "figures": len(claims),
        "checked": count["fail"] + count["warn"] + count["pass"],
        "wrong": count["fail"],
        "warnings": count["warn"],
        "confirmed": count["pass"],
        "unverified": count["unverified"],
        "wrong_lines": len({j.line for j in claims if j.status == "fail"}),
        "other_errors": sum(1 for j in figures if j.claim is None and j.status == "fail"),
        "other_warnings": sum(1 for j in figures if j.claim is None and j.status == "warn"),
    }


# --- how far off, in words ---------------------------------------------------------------------


def reference(expected) -> tuple[float | None, str]:
    """(the number a claim is compared with, "floor" | "ceiling" | "value") of a finding's `expected`."""
    if isinstance(expected, tuple | list):
        lo, hi = expected
        if hi is None or (isinstance(hi, float) and math.isinf(hi)):
            return lo, "floor"
        if not lo:
            return hi, "ceiling"
        return (lo + hi) / 2, "value"
    return expected, "value"


def off_by(claimed: float | None, expected: float | None) -> str:
    """How far `claimed` is from `expected`, in words: "10.3x too low", "15% too high"; "" when unknown."""
    if claimed is None or expected is None or claimed <= 0 or expected <= 0 or not math.isfinite(expected):
        return ""
    r = claimed / expected
    if math.isclose(r, 1.0, rel_tol=5e-4):
        return "equal"
    word = "too high" if r > 1 else "too low"
    factor = max(r, 1 / r)
    if factor < 1.5:
        return f"{abs(r - 1) * 100:.3g}% {word}"
    return f"{factor:.3g}x {word}"


def gib_mixup(claimed: float | None, expected: float | None, unit: str) -> bool:
    """True when a byte figure is off by 2^30 / 1e9 = 1.074 either way: GiB written as GB, or GB as GiB."""
    if unit not in ("B", "B/s") or not claimed or not expected or claimed <= 0 or expected <= 0:
        return False
    r = claimed / expected
    return any(abs(r / f - 1) <= _GIB_TOLERANCE for f in (GIB_PER_GB, 1 / GIB_PER_GB))


def mixup_words(claimed: float, expected: float) -> str:
    if claimed < expected:
        return "a GB/GiB mix-up: the figure is in GiB but written as GB (off by 1.074)"
    return "a GB/GiB mix-up: the figure is in GB but written as GiB, or the reverse (off by 1.074)"


# --- canonical value and the accepted reading --------------------------------------------------


def canonical_of(finding: Finding, estimates: Mapping | None) -> float | None:
    """The canonical first-principles value beside the reading `expected` names: the finding's own, else the
    canonical reading of the estimate of its metric when that estimate is what the rule compares with."""
    if finding.canonical is not None:
        return finding.canonical
    est = _estimate(finding, estimates)
    return est.value if est is not None else None


def _estimate(finding: Finding, estimates: Mapping | None):
    if not estimates or finding.scenario is None or finding.metric is None or finding.expected is None:
        return None
    est = estimates.get(finding.scenario, {}).get(finding.metric)
    if est is None or (finding.claim is not None and finding.claim.qualifier):
        return None
    _, kind = reference(finding.expected)
    return est if est.kind == kind else None


def accepted_reading(finding: Finding, estimates: Mapping | None) -> str:
    """What the accepted (closest or most lenient) reading assumes beyond the canonical one ("the GB capacity
    read as GiB"), "" when that is not known or nothing."""
    text = finding.interpretation
    if finding.scenario and text.startswith(f"{finding.scenario}: "):
        text = text[len(finding.scenario) + 2:]
    elif text == finding.scenario:
        text = ""
    labels = [p.strip() for p in text.split(";") if p.strip()]
    est = _estimate(finding, estimates)
    if est is not None:
        canonical = {o.label for o in est.canonical.options}
        labels = [label for label in labels if label not in canonical]
    return "; ".join(labels)


# --- corrections -------------------------------------------------------------------------------

_WRITTEN = regex(
    r"^(?P<cmp>(?:>=|<=|≥|≤|>|<|at least|at most|up to)\s*)?"
    r"(?P<approx>(?:[~≈∼]|about|approximately|approx\.|around|roughly)\s*)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<post>(?![eE][+-]?\d)(?![\d,.]).*)$",
    re.S,
)
_MULTIPLIER = regex(r"^(?P<m>[KkMBT])(?![a-zA-Z])")
_MULTIPLIERS = ("", "K", "M", "B", "T")
_UNIT_PREFIX = regex(r"^(?P<space>\s*)(?P<p>[kKMGTP])(?P<i>i?)(?P<rest>B(?:/s|ps)?(?![a-zA-Z])|FLOPS?|FLOPs|"
                          r"Flops?|flops?|OPS)")
_PREFIXES = "KMGTP"


@dataclass(frozen=True, slots=True)
class Written:
    """A figure as the report writes it: "~" + "2,480.50" + " TFLOPs"."""

    approx: str
    number: str
    post: str

    @property
    def value(self) -> float:
        return float(self.number.replace(",", ""))

    @property
    def decimals(self) -> int:
        return len(self.number.partition(".")[2])


def written(figure: str) -> Written | None:
    """The parts of a figure as written; None for forms a correction does not rewrite (ranges, lists,
    scientific notation)."""
    m = _WRITTEN.match(figure.strip())
    if m is None or re.match(r"\s*[-–—]\s*\d", m.group("post")) or m.group("post").startswith(("^", "×", "e")):
        return None
    return Written(m.group("approx") or "", m.group("num"), m.group("post"))


def suggest(finding: Finding, canonical: float | None = None) -> str | None:
    """The corrected figure of an error or warning finding, as the report would write it; None when there is
    nothing to correct (no claim, no expected value, a list of figures, a figure written in another form)."""
    claim = finding.claim
    if claim is None or finding.expected is None or finding.severity not in ("error", "warning"):
        return None
    if len(claim.values) >= 2 or not claim.figure:
        return None
    target, kind = reference(finding.expected)
    if target is None or not math.isfinite(target) or target <= 0:
        return None
    if canonical is not None and math.isfinite(canonical) and canonical > 0 and (
            (kind == "floor" and canonical >= target) or (kind == "ceiling" and canonical <= target)):
        target = canonical  # the canonical value satisfies the accepted bound and says more
    form = written(claim.figure)
    if form is None or form.value <= 0 or claim.value <= 0:
        return None
    scale = (finding.claimed / claim.value) if finding.claimed and claim.value else 1.0
    per_unit = claim.value / form.value  # base units of one written unit
    number = target / scale / per_unit
    post = form.post
    if form.value >= 1 and number < 1 or number >= 10_000:
        number, post = _rescaled(number, post)
    text = _format(number, form, kind, integral=claim.unit == "1" and "." not in form.number)
    if text is None:
        return None
    if kind == "floor":
        return f">= {text}{post}"
    if kind == "ceiling":
        return f"<= {text}{post}"
    return f"{form.approx}{text}{post}"


def _rescaled(number: float, post: str) -> tuple[float, str]:
    """Another prefix of the same unit that brings `number` to between 1 and 1000 ("0.217M" -> "217K")."""
    m = _MULTIPLIER.match(post)
    if m:
        ladder, at, rest = _MULTIPLIERS, _MULTIPLIERS.index(m.group("m").upper()), post[1:]

        def render(i: int) -> str:
            return ladder[i] + rest
    else:
        p = _UNIT_PREFIX.match(post)
        if p is None or p.group("i"):
            return number, post
        ladder, at = ("", *_PREFIXES), 1 + _PREFIXES.index(p.group("p").upper())
        head, rest = p.group("space"), post[p.end("p"):]

        def render(i: int) -> str:
            return head + ladder[i] + rest
    i = at
    while number < 1 and i > 0:
        number, i = number * 1000, i - 1
    while number >= 1000 and i < len(ladder) - 1:
        number, i = number / 1000, i + 1
    return number, render(i) if i != at else post


def _format(number: float, form: Written, kind: str, integral: bool = False) -> str | None:
    """`number` with the decimals the report writes, at least three significant digits, rounded so that a
    floor stays a floor (up) and a ceiling a ceiling (down); None when that is the figure as written (a
    figure at its bound, judged a warning for needing 100% of peak, has nothing to correct)."""
    if number <= 0 or not math.isfinite(number):
        return None
    if integral:  # a count stays a whole number
        decimals = form.decimals
    else:
        decimals = min(max(form.decimals, 2 - math.floor(math.log10(number))), 12)
    factor = 10**decimals
    if kind == "floor":
        rounded = math.ceil(number * factor - 1e-9) / factor
    elif kind == "ceiling":
        rounded = math.floor(number * factor + 1e-9) / factor
    else:
        rounded = round(number, decimals)
    text = f"{rounded:,.{decimals}f}" if "," in form.number and rounded >= 1000 else f"{rounded:.{decimals}f}"
    if text.replace(",", "") == form.number.replace(",", ""):  # the figure already says it, as written
        return None
    return text


def with_suggestions(result: ReportResult, checks: Mapping[str, str] | None = None) -> ReportResult:
    """`result` with `suggestion` set on its error and warning findings (requirement findings excepted:
    the figure may be right and the design short of its requirement)."""
    changed = False
    findings = []
    for f in result.findings:
        if f.suggestion is None and (checks or {}).get(f.rule) != "requirement":
            text = suggest(f, canonical_of(f, result.estimates))
            if text is not None:
                f = evolve(f, suggestion=text)
                changed = True
        findings.append(f)
    if not changed:
        return result
    from dataclasses import replace

    return replace(result, findings=tuple(findings))
