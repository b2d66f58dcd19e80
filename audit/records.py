"""The records that flow through the pipeline: claims in, findings out.

Frozen, slotted dataclasses; pydantic is used only at the edges where files come in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.spec.schema import Hardware, ModelSpec, Precision, Requirements


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a claim is bound to its metric and its scenario: the words that matched, and how sure that is.

    An error needs a confident binding: the figure's own words (its clause, its label, its table row or
    column) name the metric, and its scenario is named or is the only one. A figure bound by a section
    heading alone, a fallback entry, a unit alone, or a scenario guessed among several is judged as a
    warning at most, and the finding says why."""

    phrase: str = ""
    """Where the metric's words were found: "noun" (right after the figure), "key" (right before it),
    "clause", "label", "row", "column", "sentence", "section", "fallback", "restated", "role" (the rate a time
    written out divides by), "" (unbound)."""
    words: str = ""
    """The words that matched."""
    scenario: str = ""
    """How the scenario was found: "clause", "label", "sentence", "paragraph" (an earlier sentence of its
    paragraph), "section", "table" (the section of a table cell whose column names none), "column", "layout",
    "only" (the spec has one), "contested" (a layout figure only its section puts in its scenario, with another
    scenario's value), "precision" (the one scenario of its layout stored at the precision its words name, when
    the one it was named by stores nothing at it), "" (none: any scenario)."""

    @property
    def confident(self) -> bool:
        return self.phrase in CONFIDENT_PHRASES

    def doubt(self, scenarios: int) -> str:
        """Why the binding is not sure enough for an error ("" when it is)."""
        if not self.confident:
            why = {"sentence": "named only earlier in its sentence", "section": "named only by its section",
                   "fallback": "bound by its unit alone", "role": "known by its role in the arithmetic",
                   "": "bound by nothing"}.get(self.phrase, "bound loosely")
            return f"the figure's metric is {why}" + (f" ({self.words!r})" if self.words else "")
        if scenarios > 1 and self.scenario in ("", "sentence", "paragraph", "table", "contested", "precision"):
            return {"sentence": "its scenario is named only earlier in its sentence",
                    "precision": "its scenario is known only by the precision its words name",
                    "paragraph": "its scenario is named only in an earlier sentence of its paragraph",
                    "table": "its column names no scenario, only the table's section does",
                    "contested": "only its section names its scenario, and another scenario has this layout"}.get(
                        self.scenario, "the figure names none of the scenarios")
        return ""


CONFIDENT_PHRASES = frozenset({"noun", "key", "clause", "label", "row", "column", "restated"})


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
    asked: bool = False
    """In a sentence that asks ("Do I only need memory for 3B parameters?"): a figure put to the reader, not stated."""
    clause: str = ""
    """The figure's own clause as written, from `before` through `after`."""
    evidence: Evidence = Evidence()
    """Why it is bound as it is (set by `audit.bind`)."""
    column: str = ""
    """The header of the table column the figure sits in ("" outside tables); also the last of `scope`."""
    conditions: tuple[tuple[str, float], ...] = ()
    """What the figure says it was measured at, in place of the workload's design point: (("prompt", 2048),)
    for "one 2,048-token prompt", (("context", 4096),) for "KV at a 4K context" (set by `audit.bind`)."""
    comparison: str = ""
    """The sign written before the figure, part of `figure`: ">" in ">30 billion", ">=", "<", "<="; "" for none."""
    about: str = ""
    """Another model or accelerator than the spec's that the figure's own words name ("Trillium's 32GiB of
    HBM"): the spec does not describe it, so no rule compares the figure with the spec (`audit.bind.about`)."""
    unit_words: str = ""
    """Words written between the number and its unit, part of `figure`: "generated" in "12.5k generated
    tokens/s", "input" in "48K input tokens/s per node" (they say which rate it is)."""
    length_of: str = ""
    """What the figure is the token length of, when it is a length and not a count: "prompt" for "8K prompts",
    "1K-token prompts", "a 3K prompt"; "context" for "32K context"; "output", "sequence", "request"; "" else."""
    earlier: tuple[str, ...] = ()
    """The sentences of its prose paragraph before its own, nearest last: where a paragraph that opens "Since
    March the endpoint has run as a single TP16 instance" names the scenario of the sentences after it."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to a question a report leaves open (an interpretation axis, `audit.physics.axes`)."""

    axis: str
    """"batch", "capacity", "causal", ..."""
    name: str
    """"global", "gib", "causal", ..."""
    label: str
    """What is assumed, for people: "batch global, split over DP"."""
    bounds_only: bool = False
    """A reading for floors and ceilings only: a recompute rule never accepts it."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A metric's value under one interpretation: the options assumed, and the numbers behind it."""

    value: float
    options: tuple[Option, ...]
    """The options of every axis with a choice in this scenario, in axis order."""
    formula: str
    """The symbolic formula of this reading, e.g. "P_total*b_w/(PP*TP)"."""
    template: str = ""
    args: tuple[float, ...] = ()

    @property
    def interpretation(self) -> str:
        """What this reading assumes: "batch global, split over DP; causal attention"."""
        return "; ".join(o.label for o in self.options)

    @property
    def substitution(self) -> str:
        """The formula with the scenario's numbers in it, as a reviewer writes the arithmetic."""
        from audit.physics.compiled import number

        return self.template.format(*[number(x) for x in self.args]) if self.template else ""

    @property
    def bounds_only(self) -> bool:
        return any(o.bounds_only for o in self.options)

    def assumes(self, axis: str) -> str | None:
        """The option this reading takes on `axis`, None when the axis offered no choice."""
        return next((o.name for o in self.options if o.axis == axis), None)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric recomputed for one scenario: every interpretation's reading, the canonical one first."""

    metric: str
    unit: str
    """Base unit: "1", "B", "B/s", "FLOP", "FLOP/s", "s", "tok/s", "%" (a fraction)."""
    kind: str
    """"value", "floor" (the truth is at least this) or "ceiling" (at most this)."""
    readings: tuple[Reading, ...]

    @property
    def canonical(self) -> Reading:
        return self.readings[0]

    @property
    def value(self) -> float:
        """The canonical reading's value."""
        return self.readings[0].value

    @property
    def formula(self) -> str:
        return self.readings[0].formula

    @property
    def substitution(self) -> str:
        return self.readings[0].substitution

    @property
    def low(self) -> float:
        return min(r.value for r in self.readings)

    @property
    def high(self) -> float:
        return max(r.value for r in self.readings)

    def accepted(self) -> tuple[Reading, ...]:
        """The readings a recompute may match: all but those kept for bounds only."""
        return tuple(r for r in self.readings if not r.bounds_only) or self.readings[:1]


@dataclass(frozen=True, slots=True, eq=False)
class Scenario:
    """A whole deployment: layout, workload, precision, hardware and model, every field resolved.

    Spec loading makes one per scenario of the spec (per-scenario overrides applied); a spec without
    scenarios gets them from the layouts the report states (`audit.spec.load.scenario_from`).
    Compared and hashed by identity: the physics of one Scenario object is computed once."""

    name: str
    tp: int
    pp: int
    dp: int
    ep: int
    batch_size: int
    """Global batch: sequences in flight over the whole deployment; splits over DP."""
    input_tokens: tuple[int, int]
    """Prompt length (min, max); the max is the design point."""
    output_tokens: tuple[int, int] | None
    model: ModelSpec
    hardware: Hardware
    precision: Precision
    """Resolved: `kv_cache` and `compute` always set."""
    requirements: Requirements
    aliases: tuple[str, ...] = ()
    origin: str = "spec"
    """Where the layout comes from: "spec", "report" (stated in the report) or "default" (one device)."""

    @property
    def devices(self) -> int:
        return self.tp * self.pp * self.dp

    @property
    def layout(self) -> tuple[int, int, int, int, int]:
        return (self.tp, self.pp, self.dp, self.ep, self.batch_size)


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
    unsure: str = ""
    """Why the binding is not sure enough for an error (then the finding is a warning at most); "" when sure."""
    canonical: float | None = None
    """The metric's canonical first-principles value in the finding's scenario, beside the reading that
    `expected` names (the closest or the most lenient)."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    suggestion: str | None = None
    """The corrected figure as the report would write it ("29.39 GB", ">= 45.16 GB" for a bound); set by the
    output layer (`audit.output.figures.suggest`), None when there is nothing to correct."""


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
    """Scenario name -> metric -> audit.records.Estimate, for the recomputed-figures tables."""

    @property
    def result(self) -> str:
        """fail | warn | pass, counting unsuppressed findings only."""
        levels = {f.severity for f in self.findings if f.suppressed is None}
        return "fail" if "error" in levels else "warn" if "warning" in levels else "pass"


def evolve(record, **changes):
    """`dataclasses.replace` for the hot path: a copy of a frozen, slotted record with some fields changed
    (no __init__, no field introspection: the slots copied at C speed, then the changes set; three times
    as fast as `replace`, which tells on a run over many reports). Names that are not slots are ignored."""
    cls = type(record)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    slots, values, names = plan
    new = _new(cls)
    _consume(map(_set, repeat(new), slots, values(record)))
    for name, value in changes.items():
        if name in names:
            _set(new, name, value)
    return new


def _plan(cls: type) -> tuple:
    slots: tuple[str, ...] = tuple(getattr(cls, "__slots__"))  # noqa: B009 -- every record is slotted
    values: Callable[[Any], tuple]
    if len(slots) > 1:
        values = attrgetter(*slots)
    else:
        def values(record, _slots=slots):
            return tuple(getattr(record, name) for name in _slots)
    return slots, values, frozenset(slots)


_PLANS: dict[type, tuple] = {}
"""A record class -> its slots, a getter of their values, and their names."""
_new = object.__new__
_set = object.__setattr__
_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend
