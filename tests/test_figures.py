"""One figure in the output layer: the correction a writer can apply, how far off in words, the GB/GiB
mix-up, findings merged per figure, and the status of each claim.

Every expected figure is hand arithmetic written beside its row (seed spec: Qwen3-235B-A22B, 235.09e9
parameters, fp8 weights; scenario "original" TP 2 x PP 4).
"""

from __future__ import annotations

import pytest

from audit.output import figures
from audit.records import Claim, Finding, ReportResult


def claim(figure: str, value: float, unit: str = "B", index: int = 0, line: int = 1, **kw) -> Claim:
    return Claim(line=line, text=f"- x: {figure}", figure=figure, label="x", value=value, unit=unit, kind="bytes",
                 index=index, **kw)


def finding(c: Claim, expected, severity: str = "error", rule: str = "MEM001", claimed: float | None = None,
            **kw) -> Finding:
    return Finding(rule=rule, name=rule.lower(), severity=severity, line=c.line, message="m", claim=c,
                   claimed=c.value if claimed is None else claimed, expected=expected, unit=c.unit, **kw)


# (figure as written, its value in base units, expected (a value, or (low, None) a floor, (0, high) a ceiling),
#  canonical, the correction)
SUGGESTIONS = [
    # 235.09e9 x 1 B / (2 x 4) = 29.39e9: the same unit, the same two decimals
    ("2.86 GB", 2.86e9, 29.387e9, None, "29.39 GB"),
    # 128 x 10240 x 96,256 B / (4 x 2) = 15.77e9
    ("0.79 GB", 0.79e9, 15.771e9, None, "15.77 GB"),
    # a floor: weights + KV = 45.158e9, rounded up so that the correction is at least the floor
    ("3.84 GB", 3.84e9, (45.158e9, None), None, ">= 45.16 GB"),
    # a floor whose canonical value (70.56%) is above the lenient one (65.71%, GiB capacity): the canonical is said
    ("6.0%", 0.06, (0.6571, None), 0.7056, ">= 70.6%"),
    # a ceiling, rounded down; "~" is dropped for a bound; 55.5K in K with one decimal more than written
    ("~302K tokens/second", 302e3, (0.0, 55.496e3), None, "<= 55.4K tokens/second"),
    # 0.22M is not three digits: the prefix steps down, 221.98K rounded down
    ("~1.2M tokens/second", 1.2e6, (0.0, 221.986e3), None, "<= 221.9K tokens/second"),
    # a time with one significant digit: three are written (0.754 s)
    ("~0.06 seconds", 0.06, (0.754, None), None, ">= 0.754 seconds"),
    # a count stays a whole number: TP 2 x PP 4 x DP 1 = 8
    ("32", 32.0, 8.0, None, "8"),
    # thousands separators kept, two decimals kept: 2 x 14.243e9 x 10240 = 291.69e12
    ("2,480.50 TFLOPs", 2480.5e12, 291.69e12, None, "291.69 TFLOPs"),
    # an approximate value keeps its sign
    ("~3 GB", 3e9, 29.387e9, None, "~29.4 GB"),
    # a figure already written with a comparator is rewritten whole
    (">= 30.47 GB", 30.47e9, 31.26e9, None, "31.26 GB"),
]


@pytest.mark.parametrize(("written", "value", "expected", "canonical", "correction"), SUGGESTIONS)
def test_suggestion_is_written_as_the_report_writes(written, value, expected, canonical, correction):
    unit = "%" if written.endswith("%") else "tok/s" if "token" in written else "s" if "second" in written \
        else "1" if written == "32" else "B"
    c = claim(written, value, unit)
    assert figures.suggest(finding(c, expected), canonical) == correction


@pytest.mark.parametrize(("figure", "value", "expected"), [
    ("[24, 23, 24, 23]", 24.0, 94.0),  # a list: nothing to rewrite
    ("24-30 GB", 24e9, 29.4e9),  # a range
    ("2.94e10 B", 2.94e10, 29.4e9),  # scientific notation
])
def test_forms_that_are_not_rewritten(figure, value, expected):
    c = claim(figure, value, values=(24.0, 23.0) if figure.startswith("[") else ())
    assert figures.suggest(finding(c, expected)) is None


def test_no_suggestion_for_info_or_without_expected():
    c = claim("2.86 GB", 2.86e9)
    assert figures.suggest(finding(c, 29.387e9, severity="info")) is None
    assert figures.suggest(finding(c, None)) is None


def test_no_suggestion_when_the_figure_already_says_it():
    # "55.4K" under the ceiling 55.4966K, a warning for needing 100% of it: rounded down it is "55.4" again
    c = claim("55.4K tokens/second", 55.4e3, "tok/s")
    assert figures.suggest(finding(c, (0.0, 55.4966e3), severity="warning")) is None


def test_a_floor_correction_satisfies_its_floor():
    # 11.76 ms written in seconds with two decimals: 0.01 would be below the floor; 0.0118 is not
    c = claim("0.01 seconds", 0.01, "s")
    text = figures.suggest(finding(c, (0.011762, None)))
    assert text == ">= 0.0118 seconds" and 0.0118 >= 0.011762


# (claimed, expected, words): "10.3x too low" is 29.39 / 2.86 = 10.28
OFF_BY = [
    (2.86e9, 29.387e9, "10.3x too low"),
    (3307.33e12, 603.2e12, "5.48x too high"),
    (0.01, 0.011762, "15% too low"),
    (30e9, 29.387e9, "2.09% too high"),
    (29.387e9, 29.387e9, "equal"),
    (None, 1.0, ""),
    (1.0, 0.0, ""),
]


@pytest.mark.parametrize(("claimed", "expected", "words"), OFF_BY)
def test_off_by_in_words(claimed, expected, words):
    assert figures.off_by(claimed, expected) == words


@pytest.mark.parametrize(("claimed", "expected", "unit", "mixup"), [
    (27.37e9, 29.387e9, "B", True),    # 29.387e9 / 2^30 = 27.37: GiB written as GB (1.074 off)
    (31.55e9, 29.387e9, "B", True),    # 29.387 x 1.0737 = 31.55
    (29.4e9, 29.387e9, "B", False),
    (1.8e12 / 1.0737, 1.8e12, "B/s", True),
    (0.6571, 0.7056, "%", False),      # only bytes: a percentage off by 1.074 is the capacity's reading
])
def test_gib_mixup(claimed, expected, unit, mixup):
    assert figures.gib_mixup(claimed, expected, unit) is mixup


def test_findings_are_merged_per_figure_the_physics_first():
    a = claim("24.2%", 0.242, "%", index=3, line=51)
    b = claim("6.82 GB", 6.82e9, index=2, line=51)
    result = ReportResult("r.md", "s", (b, a), (
        finding(a, 0.1066, rule="CON002"), finding(a, (0.4433, None), rule="MEM005"),
        finding(b, (30.46e9, None), rule="MEM004"),
        Finding("SUP002", "unused-suppression", "warning", 9, "unused"),
    ))
    checks = {"CON002": "consistency", "MEM005": "bound", "MEM004": "bound"}
    judged = figures.judged(result, None, checks)
    assert [(j.line, j.rules, j.status) for j in judged] == [
        (51, ("MEM004",), "fail"), (51, ("MEM005", "CON002"), "fail"), (9, ("SUP002",), "warn")]
    counts = figures.summary(judged)
    assert (counts["wrong"], counts["wrong_lines"], counts["other_warnings"]) == (2, 1, 1)


@pytest.mark.parametrize(("kw", "covered", "status"), [
    ({"metric": "weights_per_device"}, {"weights_per_device"}, "pass"),
    ({"metric": "weights_per_device"}, None, "pass"),  # the rules unknown: a bound claim counts as judged
    ({"metric": "ratio"}, {"weights_per_device"}, "unverified"),  # no rule always judges it
    ({"metric": None}, None, "unverified"),
    ({"metric": "weights_per_device", "quoted": True}, None, "unverified"),
])
def test_status_of_a_claim_without_findings(kw, covered, status):
    assert figures.status_of(claim("1 GB", 1e9, **kw), (), covered) == status
