"""The records that flow through the pipeline: claims in, findings out.

Frozen, slotted dataclasses; pydantic is used only at the edges where files come in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Claim:
    """One figure the report states, with where it stands and what it is about."""

    line: int
    """1-based line of the report the figure is on."""
    text: str
    """The raw text of the list item, cell row or sentence the figure came from."""
    figure: str
    """The figure as written ("~0.06 seconds", "2,480.50 TFLOPs")."""
    label: str
    """What the report calls it ("Model weights per GPU", row label of a table)."""
    value: float
    """Value in base units (B, FLOP, FLOP/s, B/s, s, tokens/s, count; percent as a fraction)."""
    unit: str
    """Base unit of `value`: B, FLOP, FLOP/s, B/s, s, tok/s, 1, %, x."""
    kind: str
    """Quantity kind from `audit.units.Kind`."""
    scope: tuple[str, ...] = ()
    """Heading path, then bold pseudo-heading and table column header, outermost first."""
    metric: str | None = None
    """Bound metric name (see rules/vocabulary.yaml), None when unrecognised."""
    scenario: str | None = None
    """Bound scenario name, None when the claim is not specific to one."""
    quoted: bool = False
    """True when the report quotes the figure to dispute it ("claimed X vs actual Y")."""
    approx: bool = False
    """Written with "~", "≈" or "about"."""
    values: tuple[float, ...] = ()
    """Every element of a range or list ("[24, 23, 24, 23]"), base units."""
    qualifier: str = ""
    """Words that change what is measured: "min", "batch", "per_node", "per_replica", "per_device"."""
    index: int = 0
    """Position of the figure in the document, for stable ordering."""
    start: int = 0
    """Character offset of the figure in `text`."""
    before: str = ""
    """Words between the start of the figure's clause and the figure ("Increased TP from")."""
    after: str = ""
    """Words right after the figure, up to the end of its clause ("heads per GPU")."""
    group: int = 0
    """Id of the list, table row or paragraph the figure sits in (siblings share it)."""
    ambiguous_flops: bool = False
    """Written "TFLOPs"/"TFLOPS" with no "/s": the metric decides amount or rate."""
    operand: bool = False
    """A term of arithmetic written out ("2 x 80 x 8 x 128 x 2 B = 327,680 B"): only the result is claimed."""
    versus: bool = False
    """The other side of a comparison ("17.2 GB vs 4.3 GB", "from 2 to 4"): not about the sentence's scenario."""
    in_parens: bool = False
    """Inside parentheses that compare ("(16.1 GB vs 8.0 GB, 2x)"): not the sentence's subject."""
    clause: str = ""
    """The figure's own clause as written, from `before` through `after`."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One interpretation of an ambiguous metric and the value it gives."""

    name: str
    """What was assumed: "batch global; GB = 1e9 B; causal"."""
    value: float
    substitution: str
    """The formula with numbers substituted, as printed in the verdict."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's judgement of one claim."""

    rule: str
    name: str
    severity: str
    """error | warning | info"""
    line: int
    message: str
    claim: Claim | None = None
    scenario: str | None = None
    metric: str | None = None
    claimed: float | None = None
    expected: float | tuple[float, float] | None = None
    unit: str = ""
    ratio: float | None = None
    interpretation: str = ""
    formula: str = ""
    substitution: str = ""
    suppressed: str | None = None
    """Justification when an in-source comment suppresses the finding."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What output formats need to know of a rule (SARIF `rules`, `audit rules`)."""

    id: str
    name: str
    level: str
    check: str
    description: str
    example: str = ""


@dataclass(frozen=True, slots=True)
class ReportResult:
    """The audit of one report: what every output format is rendered from."""

    path: str
    spec: str
    claims: tuple[Claim, ...]
    findings: tuple[Finding, ...]
    """In line order; suppressed findings included (with `suppressed` set)."""
    estimates: dict = field(default_factory=dict, compare=False, hash=False)
    """Scenario name -> metric -> audit.model.Estimate, for the recomputed-figures tables."""

    @property
    def result(self) -> str:
        """fail | warn | pass, counting unsuppressed findings only."""
        levels = {f.severity for f in self.findings if f.suppressed is None}
        return "fail" if "error" in levels else "warn" if "warning" in levels else "pass"


def evolve(record, **changes):
    """`dataclasses.replace` for the hot path: a copy of a frozen, slotted record with some fields changed
    (no __init__, no field introspection; twice as fast, which tells on a run over many reports)."""
    new = object.__new__(type(record))
    for name in type(record).__slots__:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(record, name))
    return new
