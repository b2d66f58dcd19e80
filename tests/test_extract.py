"""Every line of the seed answer key yields a claim with the right metric, scenario and value.

The expected rows are read off the report by hand (reports/qwen3-235b/report.md, the line numbers
of reports/qwen3-235b/answer-key.yaml); values are in base units (GB = 1e9 B,
TFLOPs = 1e12 FLOP, percentages as fractions).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.pipeline import Auditor

SEED = Path(__file__).resolve().parent.parent / "reports" / "qwen3-235b"

# line, figure value, metric, scenario — one row per figure a correct extractor must find
EXPECTED = [
    (12, 0.060, "memory_utilization", "original"),  # "... vs actual: 6.0%"
    (13, 0.06, "ttft", "original"),  # "vs actual: ~0.06 seconds"
    (17, 32, "heads_per_device", "original"),  # "(only 32 heads per GPU)"
    (17, 2, "tp", "original"),  # "TP=2"
    (22, 32, "device_count", "original"),  # "32 GPUs used"
    (22, 0.06, "memory_utilization", "original"),  # "6% memory utilization"
    (28, 4, "tp", "optimized"),  # "Increased TP from 2 to 4"
    (28, 2, "tp", None),  # the "from" side of the comparison belongs to no one section
    (28, 16, "heads_per_device", "optimized"),  # "(16 heads per GPU"
    (33, 0.242, "memory_utilization", "optimized"),
    (34, 2.1, "ttft", "optimized"),
    (42, 2.86e9, "weights_per_device", "original"),
    (43, 0.79e9, "kv_cache_per_device", "original"),
    (45, 3.84e9, "memory_per_device", "original"),
    (45, 0.060, "memory_utilization", "original"),  # "(6.0% of 64GB capacity)"
    (48, 2.86e9, "weights_per_device", "optimized"),
    (49, 3.16e9, "kv_cache_per_device", "optimized"),
    (51, 6.82e9, "memory_per_device", "optimized"),
    (51, 0.242, "memory_utilization", "optimized"),
    (56, 826.83e12, "prefill_flops_attention", "optimized"),  # the list states TP=4, PP=4 (line 59)
    (57, 2480.50e12, "prefill_flops_mlp", "optimized"),
    (58, 3307.33e12, "prefill_flops", "optimized"),
    (60, 0.05, "ttft", "optimized"),  # "Estimated time" under "Prefill Phase"
    (65, 0.01, "decode_step_time", "optimized"),  # "Estimated time" under "Decode Phase", 512 tokens/step
    (70, 302e3, "throughput", "original"),
    (74, 1.2e6, "throughput", "optimized"),
    (80, 400e12, "peak_flops", None),
    (81, 64e9, "memory_capacity", None),
    (82, 1.8e12, "memory_bandwidth", None),
    (86, 235e9, "params_total", None),
    (86, 32, "device_count", None),
    (87, 94, "layers", None),
    (87, 4, "pp", None),
    (92, 30, "requirement_ttft", "optimized"),  # the paragraph's batch 512 is the optimized layout
    (92, 2.1, "ttft", "optimized"),  # "Achieved 2.1 seconds"
    (100, 24, "layers_per_stage", "optimized"),  # "[24, 23, 24, 23]"
    (101, 32, "device_count", "optimized"),  # "32 GPUs ... with TP=4"
    (120, 0.060, "memory_utilization", None),
    (120, 0.242, "memory_utilization", None),
    (144, 0.06, "ttft", "original"),  # column "Original Actual"
    (144, 2.1, "ttft", "optimized"),
    (145, 0.060, "memory_utilization", "original"),
    (145, 0.242, "memory_utilization", "optimized"),
    (146, 302e3, "throughput", "original"),
    (146, 1.2e6, "throughput", "optimized"),
    (147, 128, "batch_size", "original"),
    (147, 512, "batch_size", "optimized"),
    (148, 2, "tp", "original"),
    (148, 4, "tp", "optimized"),
    (149, 1, "dp", "original"),
    (149, 2, "dp", "optimized"),
]

# figures the report quotes to dispute ("Claimed X vs actual Y", the "Original Claimed" column)
QUOTED = [(12, 0.638), (13, 28.5), (144, 28.5), (145, 0.638)]


@pytest.fixture(scope="module")
def claims():
    auditor = Auditor.load(str(SEED / "qwen3.yaml"))
    return auditor.audit(str(SEED / "report.md")).claims


def _find(claims, line, value):
    return [c for c in claims if c.line == line and abs(c.value - value) <= 1e-6 * max(abs(value), 1)]


@pytest.mark.parametrize(("line", "value", "metric", "scenario"), EXPECTED,
                         ids=[f"L{r[0]}-{r[2]}" for r in EXPECTED])
def test_seed_claim(claims, line, value, metric, scenario):
    found = _find(claims, line, value)
    assert found, f"no claim of {value} on line {line}"
    assert any(c.metric == metric and c.scenario == scenario and not c.quoted for c in found), \
        [(c.metric, c.scenario, c.quoted) for c in found]


@pytest.mark.parametrize(("line", "value"), QUOTED)
def test_seed_quoted(claims, line, value):
    assert all(c.quoted for c in _find(claims, line, value)) and _find(claims, line, value)


def test_every_answer_key_line_has_a_claim(claims):
    key = yaml.safe_load((SEED / "answer-key.yaml").read_text())
    lines = {x["line"] for x in key["must_flag"] + key["must_pass"]}
    assert len(lines) == 35
    assert lines <= {c.line for c in claims}
    assert lines <= {row[0] for row in EXPECTED} | {147, 148, 149}


def test_unrecognised_figures_are_kept():
    # a figure the vocabulary has no word for stays a claim, with metric None, never dropped
    from audit.bind import bind
    from audit.bind.vocabulary import load_vocabulary
    from audit.extract import extract

    claims = bind(extract("- Prefix cache hit rate: 37%\n- Weekly active users: 1.2M\n"), {}, load_vocabulary())
    assert [(c.line, c.value, c.metric) for c in claims] == [(1, 0.37, None), (2, 1.2e6, None)]


def test_seed_tp_comparison_binds_both_sides(claims):
    # "Upgrade TP configuration (4 vs 2)": 4 is the TP the line is about, 2 the other side
    assert [(c.metric, c.versus) for c in claims if c.line == 109] == [("tp", False), ("tp", True)]


@pytest.mark.parametrize(("text", "sides"), [
    # the first of two figures of a kind that an arrow joins is what changed from: the other side
    ("- KV per token: 128 KiB in BF16 → 64 KiB in FP8", [True, False]),
    ("- Step: 30 ms → 20 ms after the kernel fix", [True, False]),
    # what is not done: "instead of TP=2"
    ("- 46.7 GB of weights fits on one card, so instead of TP=2 we run two replicas", [False, True]),
    # an arrow to a figure of another kind is a consequence, not a change
    ("- 42.0 GB for KV per GPU → ~100 full-length seqs per replica", [False, False]),
    ("- 14.2 ms floor → ceiling 48 / 14.2 ms", [False, False, False]),
])
def test_an_arrow_between_two_figures_of_a_kind_makes_the_first_the_other_side(text, sides):
    assert [c.versus for c in _extract(text)] == sides


# ------------------------------------------------------------------------------------------------
# How real reports write figures (issue 10, extraction classes 1-5). Every input is written for this
# table; expected values are hand arithmetic (GB = 1e9 B, GiB = 2^30 B, ms = 1e-3 s, K = 1e3).


def _extract(markdown: str):
    from audit.extract import extract

    return extract(markdown)


def _row(c) -> tuple:
    return (c.line, c.figure, c.kind, c.operand)


def _values(claims) -> list[float]:
    return [c.value for c in claims]


ARITHMETIC = [
    # text, [(figure, kind, operand)], values (base units) — the result of written arithmetic is the claim
    ("- KV bytes per token: 36 × (192 + 64) × 2 B = 18,432 B",  # 36 x 256 x 2 = 18,432: 36 is a factor, no ratio
     [("36", "count", True), ("192", "count", True), ("64", "count", True), ("2 B", "bytes", True),
      ("18,432 B", "bytes", False)], [36, 192, 64, 2, 18432]),
    ("- KV bytes per token: 36 x (192 + 64) x 2 B = 18,432 B",  # "N x (" is a factor too
     [("36", "count", True), ("192", "count", True), ("64", "count", True), ("2 B", "bytes", True),
      ("18,432 B", "bytes", False)], [36, 192, 64, 2, 18432]),
    ("- Resident: 7 GB shared + 21 GB routed = 28 GB",  # unit words before "+" keep both terms
     [("7 GB", "bytes", True), ("21 GB", "bytes", True), ("28 GB", "bytes", False)], [7e9, 21e9, 28e9]),
    ("- Free: 80 − 62.5 = ~17.5 GB",  # "= ~X" is a result; bare terms of a sum take its unit: 80 - 62.5 = 17.5
     [("80", "bytes", True), ("62.5", "bytes", True), ("~17.5 GB", "bytes", False)], [80e9, 62.5e9, 17.5e9]),
    ("- Step floor: (24.5 + 6.1) GB / 2.0 TB/s ≈ 15.3 ms",  # 30.6e9 / 2e12 = 15.3 ms; GB after ")" is the terms'
     [("24.5", "bytes", True), ("6.1", "bytes", True), ("2.0 TB/s", "bandwidth", True), ("≈ 15.3 ms", "time", False)],
     [24.5e9, 6.1e9, 2e12, 0.0153]),
    ("- Weights per GPU: 140 GB / 8 = 17.5 GB",  # a divisor stays a count: 140 / 8 = 17.5
     [("140 GB", "bytes", True), ("8", "count", True), ("17.5 GB", "bytes", False)], [140e9, 8, 17.5e9]),
    ("- Weights per GPU: 9.6 GB / 4 + 70.4 GB / 8 = 11.2 GB",  # 2.4 + 8.8 = 11.2; 4 and 8 are divisors, not GB
     [("9.6 GB", "bytes", True), ("4", "count", True), ("70.4 GB", "bytes", True), ("8", "count", True),
      ("11.2 GB", "bytes", False)], [9.6e9, 4, 70.4e9, 8, 11.2e9]),
    ("- GPUs: 3 replicas × TP4 = 12",  # a factor beside a named one ("TP4") is a term too
     [("3", "count", True), ("12", "count", False)], [3, 12]),
    ("- Heads: 40 query / 8 KV per GPU",  # figures side by side, not a quotient
     [("40", "count", False), ("8", "count", False)], [40, 8]),
    ("- Latency: 120 / 340 ms",  # p50 / p99: the unit written once is both figures'
     [("120", "time", False), ("340 ms", "time", False)], [0.120, 0.340]),
    ("- Decode: 96 sequences / 24 ms",  # a quotient of different kinds, no result written: terms
     [("96", "count", True), ("24 ms", "time", True)], [96, 0.024]),
    ("- Pool rate: 32 / 20 ms × 8 replicas ≈ 12.8K tok/s",  # 32 / 0.020 x 8 = 12,800
     [("32", "count", True), ("20 ms", "time", True), ("8", "count", True), ("≈ 12.8K tok/s", "token_rate", False)],
     [32, 0.020, 8, 12800]),
    ("- Attention: 48 × 2 × 96 × 1,024² ≈ 9.66 TFLOP",  # 48 x 2 x 96 x 1,048,576 = 9.664e12; ² is an exponent
     [("48", "count", True), ("2", "count", True), ("96", "count", True), ("1,024²", "count", True),
      ("≈ 9.66 TFLOP", "flops", False)], [48, 2, 96, 1024**2, 9.66e12]),
    ("- ITL: 30 ms vs 52 ms, a change of +42%",  # a "+" joined to its figure, after words, is its sign
     [("30 ms", "time", False), ("52 ms", "time", False), ("42%", "percent", False)], [0.030, 0.052, 0.42]),
    ("- Demand: 68 at peak, up 79% from Q2's 38 and +24% on August",  # a sign glued to a figure after "and" is its
     [("68", "count", False), ("79%", "percent", False), ("38", "count", False), ("24%", "percent", False)],  # own
     [68, 0.79, 38, 0.24]),
    ("- Resident: 7 GB +21 GB = 28 GB",  # between two figures it adds
     [("7 GB", "bytes", True), ("21 GB", "bytes", True), ("28 GB", "bytes", False)], [7e9, 21e9, 28e9]),
    ("- Weights: 27.3 GB in all. Across the rack, 64 × 17.1 + 654 ≈ 1.75 TB",  # no word ends in a sentence's stop:
     [("27.3 GB", "bytes", False), ("64", "count", True), ("17.1", "count", True),  # "across" after it divides
      ("654", "count", True), ("≈ 1.75 TB", "bytes", False)], [27.3e9, 64, 17.1, 654, 1.75e12]),  # nothing
    ("- KV: $2 \\times 4096 \\cdot 160$ = 1,310,720 bytes",  # TeX operators are operators: 2 x 4096 x 160
     [("2", "count", True), ("4096", "count", True), ("160", "count", True), ("1,310,720 bytes", "bytes", False)],
     [2, 4096, 160, 1310720]),
]


@pytest.mark.parametrize(("text", "expected", "values"), ARITHMETIC, ids=[r[0][:40] for r in ARITHMETIC])
def test_written_arithmetic(text, expected, values):
    claims = _extract(text)
    assert [(c.figure, c.kind, c.operand) for c in claims] == expected
    assert _values(claims) == pytest.approx(values, rel=1e-12)


def test_a_result_does_not_take_the_last_terms_words():
    # "× 8 replicas ≈ 12.8K tok/s": "replicas" counts the 8, not the result; "/ TP8 =" is the term's
    [*_, result] = _extract("- Pool rate: 32 / 20 ms × 8 replicas ≈ 12.8K tok/s")
    assert result.before == ""
    total, per_gpu = _extract("- Weights: 140 GB / TP4 = 35 GB per GPU")
    assert (total.operand, per_gpu.operand, per_gpu.before) == (True, False, "")


SIDE_BY_SIDE_LABELS = [
    # label: figures, the label part each figure takes
    ("- **Layers / KV heads / head dim:** 64 / 4 / 128", ["Layers", "KV heads", "head dim"]),
    ("- **Query / KV heads per GPU:** 28 / 4", ["Query heads per GPU", "KV heads per GPU"]),  # shared tail
    ("- **TTFT p50 / p99:** 95 / 240 ms", ["TTFT p50", "TTFT p99"]),  # shared head
    ("| Hidden / vocab | 5,120 / 152,064 |\n|---|---|\n| x | 1 |", None),  # a header row is not a label
]


@pytest.mark.parametrize(("text", "labels"), SIDE_BY_SIDE_LABELS)
def test_labels_set_side_by_side_name_their_figures(text, labels):
    claims = [c for c in _extract(text) if c.line == 1]
    if labels is None:
        assert all(c.label == "" for c in claims)
        return
    assert [c.label for c in claims] == labels
    assert [c.before for c in claims] == labels


RATE_WORDS = [
    # text, figure, value (tok/s), the words between number and unit, what follows
    ("- Decode: 9.6k generated tokens/s across the pool", "9.6k generated tokens/s", 9600, "generated", "across the pool"),
    ("- Prefill: 36K prompt tok/s per node", "36K prompt tok/s", 36000, "prompt", "per node"),
    ("- Output: 2.1K output tokens per second", "2.1K output tokens per second", 2100, "output", ""),
]


@pytest.mark.parametrize(("text", "figure", "value", "words", "after"), RATE_WORDS)
def test_a_rate_with_words_before_its_unit(text, figure, value, words, after):
    [c] = _extract(text)
    assert (c.figure, c.kind, c.unit_words, c.after) == (figure, "token_rate", words, after)
    assert c.value == pytest.approx(value)


def test_words_that_start_a_phrase_are_not_a_rates_words():
    claims = _extract("- 24 users at 40 tok/s each")
    assert [(c.figure, c.kind) for c in claims] == [("24", "count"), ("40 tok/s", "token_rate")]


LENGTHS = [
    # text, figure, what it is the length of ("" for a count)
    ("- Sizing point: 4K prompts, 32 concurrent", "4K", "prompt"),
    ("- Sizing point: 2,048-token prompts", "2,048", "prompt"),
    ("- Sizing point: 3,000 token inputs", "3,000", "prompt"),
    ("- One 6K prompt needs 90 TFLOP", "6K", "prompt"),  # a single prompt: its size
    ("- Window: 128K context", "128K", "context"),
    ("- Replay: 10K prompts from last week's log", "10K", ""),  # ten thousand of them
    ("- Burst: 64 prompts at once", "64", ""),
    ("- Generation: 1K-token outputs", "1K", "output"),
]


@pytest.mark.parametrize(("text", "figure", "length_of"), LENGTHS)
def test_a_prompt_length_is_not_a_count_of_prompts(text, figure, length_of):
    claim = next(c for c in _extract(text) if c.figure == figure)
    assert claim.length_of == length_of


QUALIFIED = [
    # text, figure, its words (after)
    ("- Experts: 64 routed experts (6 active)", "6", "active experts"),
    ("- Experts: 64 experts (6 active per token)", "6", "active experts per token"),
    ("- Heads: 32 heads (4 KV)", "4", "KV heads"),
    ("- Pipeline: 60 layers (4 stages)", "4", "stages"),  # a noun of its own
]


@pytest.mark.parametrize(("text", "figure", "after"), QUALIFIED)
def test_a_count_in_parentheses_counts_what_the_figure_before_it_counts(text, figure, after):
    claim = next(c for c in _extract(text) if c.figure == figure)
    assert claim.after == after


PER_DEVICE = [
    # text, figure, kind, value: a bare figure "per GPU" after a figure with a unit takes that unit
    ("- Throughput: 3,200 tok/s for the node, 400 per GPU", "400", "token_rate", 400),
    ("- Weights: 96 GB in all, 12 per GPU", "12", "bytes", 12e9),
    ("- Weights: 96 GB in all, 12/GPU", "12", "bytes", 12e9),
    ("- Replicas: 64 seqs, 16 per GPU", "16", "count", 16),  # nothing to take
    ("- Layout: 96 GB with TP=4 each GPU holding a quarter", "4", "count", 4),  # "TP=4 each GPU" is no rate
    ("- so ~32.8 GB per card at TP=2 and ~47 GB left", "2", "count", 2),  # a key's value takes no unit from "and"
    ("- between 2 and 47 GB per card", "2", "bytes", 2e9),  # a range does
    ("- Weights per GPU: 14.7 vs 29.4 GB", "14.7", "bytes", 14.7e9),  # a label's colon is no key
]


@pytest.mark.parametrize(("text", "figure", "kind", "value"), PER_DEVICE)
def test_a_figure_per_device_takes_the_unit_of_the_figure_it_divides(text, figure, kind, value):
    claim = next(c for c in _extract(text) if c.figure == figure)
    assert (claim.kind, claim.value) == (kind, pytest.approx(value))


COMPARISONS = [
    ("- Parameters: >70 billion", ">70 billion", ">", 70e9),
    ("- TTFT ≤ 200 ms at p99", "≤ 200 ms", "<=", 0.2),
    ("- Memory: >= 40 GB free", ">= 40 GB", ">=", 40e9),
    ("- Batch: < 8 per replica", "< 8", "<", 8),
    ("- Upgrade A -> 5 GB", "5 GB", "", 5e9),  # an arrow is no comparison
    ("- Upgrade A => 5 GB", "5 GB", "", 5e9),
]


@pytest.mark.parametrize(("text", "figure", "sign", "value"), COMPARISONS)
def test_a_comparison_sign_stays_with_its_figure(text, figure, sign, value):
    [claim] = _extract(text)
    assert (claim.figure, claim.comparison) == (figure, sign)
    assert claim.value == pytest.approx(value)


HTML_TABLE = """# Plan

<table>
<tr><th>Per GPU</th><th>Plan A</th><th>Plan B</th></tr>
<tr><td>Weights<sup>(1)</sup></td><td>35.3&nbsp;GB</td><td>17.6&nbsp;GB</td></tr>
<tr>
  <td>Decode step</td>
  <td>21&thinsp;ms</td>
  <td>12 ms</td>
</tr>
<tr><td rowspan="2">KV cache</td><td>4.2 GB</td><td>8.4 GB</td></tr>

<tr><td>2.1 GB</td><td>4.2 GB</td></tr>
</table>
"""


def test_raw_html_tables_are_tables():
    claims = _extract(HTML_TABLE)
    rows = [(c.line, c.figure, c.value, c.label, c.column, c.scope) for c in claims]
    assert rows == [
        (5, "35.3\u00a0GB", 35.3e9, "Weights", "Plan A", ("Plan", "Per GPU", "Plan A")),
        (5, "17.6\u00a0GB", 17.6e9, "Weights", "Plan B", ("Plan", "Per GPU", "Plan B")),
        (8, "21\u2009ms", 0.021, "Decode step", "Plan A", ("Plan", "Per GPU", "Plan A")),
        (9, "12 ms", 0.012, "Decode step", "Plan B", ("Plan", "Per GPU", "Plan B")),
        (11, "4.2 GB", 4.2e9, "KV cache", "Plan A", ("Plan", "Per GPU", "Plan A")),
        (11, "8.4 GB", 8.4e9, "KV cache", "Plan B", ("Plan", "Per GPU", "Plan B")),
        (13, "2.1 GB", 2.1e9, "KV cache", "Plan A", ("Plan", "Per GPU", "Plan A")),  # the rowspan label
        (13, "4.2 GB", 4.2e9, "KV cache", "Plan B", ("Plan", "Per GPU", "Plan B")),
    ]


MARKUP = [
    # text, figures (text, value): entities decoded, footnote marks and HTML dropped, exponents kept
    ("Peak: 2&times; faster, 15.2&nbsp;GB resident", [("2×", 2.0), ("15.2\u00a0GB", 15.2e9)]),
    ("TTFT is 310 ms[^2] and 5.1 GB<sup>3</sup> per GPU [4].", [("310 ms", 0.31), ("5.1 GB", 5.1e9)]),
    ("TTFT 180 ms<sup>(1)</sup>, ITL 22 ms¹", [("180 ms", 0.18), ("22 ms", 0.022)]),
    ("Work: 3.6 × 10<sup>14</sup> FLOP", [("3.6 × 10^14 FLOP", 3.6e14)]),
    ("Line<br>one 4 GB<br/>two 8 GB", [("4 GB", 4e9), ("8 GB", 8e9)]),
    ("[^1]: measured at 512 tokens", [("512", 512)]),
    ("Link [12 GB card](https://example.com/x-80) and `code 3 GB` and **7 GB**", [("12 GB", 12e9), ("3 GB", 3e9),
                                                                               ("7 GB", 7e9)]),
    # inline TeX: its text, the unit written after the closing "$" its result's ("0.115$ s" is 0.115 s)
    ("TTFT $\\approx 288 / (4 \\times 624) \\approx 0.115$ s", [("≈ 288", 288), ("4", 4), ("624", 624),
                                                                ("≈ 0.115 s", 0.115)]),
    ("Step: $34.5\\,\\text{GB} / 2.039\\,\\text{TB/s}$", [("34.5 GB", 34.5e9), ("2.039 TB/s", 2.039e12)]),
    ("From $6.25 to $3.90 an hour", [("6.25", 6.25), ("3.90", 3.9)]),  # prices: no space-less closer
    # struck text is retracted: the page claims what follows it; a lone "~~" is text
    ("| Decode step floor | ~~13.3 ms~~ 2.7 ms |", [("2.7 ms", 0.0027)]),
    ("TTFT ~2 s, and ~~ 3 s at worst", [("~2 s", 2.0), ("~ 3 s", 3.0)]),
    # a heading's or a paragraph's own number is no figure: "12. Headroom", "3) Latency"
    ("12. Headroom: the largest batch if 10% of HBM is kept", [("10%", 0.10)]),
    ("3) Latency is 2 s", [("2 s", 2.0)]),
    ("12.5 GB of weights", [("12.5 GB", 12.5e9)]),
    ("Batch: 12. Then the prefill", [("12", 12)]),
    # a post's place in its thread is no figure either; a ratio of two counts is
    ("7/12 batch 64, same card (TP1): ITL goes to 28 ms", [("64", 64), ("28 ms", 0.028)]),
    ("🧵 1/9 how we serve 8B on one card", [("8B", 8e9)]),
    ("8/4 of the GPUs are idle", [("8", 8), ("4", 4)]),
    # a part of a whole takes the whole's unit
    ("So a token touches 12.9 of 46.7 billion, about 28% of the model", [("12.9", 12.9e9), ("46.7 billion", 46.7e9),
                                                                        ("about 28%", 0.28)]),
    ("| Q / KV heads per GPU | 8 / 8 |", [("8", 8), ("8", 8)]),
]


@pytest.mark.parametrize(("text", "figures"), MARKUP)
def test_inline_markup_is_read_as_text(text, figures):
    claims = _extract(text)
    assert [(c.figure, c.value) for c in claims] == [(f, pytest.approx(v)) for f, v in figures]


HEADERS = """| Layout | Output throughput (tok/s per GPU) | TTFT [ms] | Weights, GiB | Output tok/s ¹ | HBM used (of 96 GB) |
|---|---|---|---|---|---|
| wide | 1,250 | 85 | 16 | 9,800 | 30% |
|      | 1,100 | 92 | 8 | 8,600 | 20% |
"""


def test_table_headers_give_their_unit_and_empty_cells_inherit_the_row_above():
    claims = _extract(HEADERS)
    rows = [(c.line, c.figure, c.kind, c.value, c.label) for c in claims]
    assert rows == [
        (1, "96 GB", "bytes", 96e9, ""),  # a header states a figure of its own
        (3, "1,250", "token_rate", 1250, "wide"), (3, "85", "time", 0.085, "wide"),
        (3, "16", "bytes", 16 * 2**30, "wide"), (3, "9,800", "token_rate", 9800, "wide"),
        (3, "30%", "percent", 0.30, "wide"),
        (4, "1,100", "token_rate", 1100, "wide"), (4, "92", "time", 0.092, "wide"),  # the empty label inherits
        (4, "8", "bytes", 8 * 2**30, "wide"), (4, "8,600", "token_rate", 8600, "wide"),
        (4, "20%", "percent", 0.20, "wide"),
    ]
    assert claims[1].column == "Output throughput (tok/s per GPU)"  # "per GPU" stays for the binder


@pytest.mark.parametrize(("table", "kind"), [
    ("| layout | decode tok/s (node) |\n|---|---|\n| a | 9,846 |\n", "token_rate"),  # the unit before an aside
    ("| | a |\n|---|---|\n| Output tok/s, node (measured) | 5,050 |\n", "token_rate"),  # a row label's
    ("| layout | KV [GB], per GPU |\n|---|---|\n| a | 13.4 |\n", "bytes"),
    ("| | a |\n|---|---|\n| Output tok/s at full concurrency | 3.12K |\n", "token_rate"),  # what it is at follows
])
def test_a_unit_written_before_its_qualifiers_is_the_cells(table, kind):
    assert [c.kind for c in _extract(table)] == [kind]


HTML_TWO_HEADER_ROWS = """<table>
<thead>
<tr><th rowspan="2">Prompt (K)</th><th rowspan="2">GPUs</th><th colspan="2">With CP</th></tr>
<tr><th>TP</th><th>TFLOPS / GPU</th></tr>
</thead>
<tr><td>16</td><td>8</td><td>2</td><td>610</td></tr>
</table>
"""


@pytest.mark.parametrize(("label", "words", "value"), [
    # a row labelled with a script's key reads as its words, its last part as the unit of its bare cells
    ("ttft_p50_ms", "ttft p50 (ms)", 0.120),
    ("output_tok_s_per_gpu", "output tok/s per gpu", 120.0),
    ("kv_cache_gib", "kv cache (GiB)", 120.0 * 2**30),
    ("decode_tokens_per_s", "decode tokens/s", 120.0),  # a rate, not seconds
    ("mem_bw_gb_s", "mem bw (GB/s)", 120e9),
    ("Decode step (ms)", "Decode step (ms)", 0.120),  # words stay as written
])
def test_a_label_written_as_a_key_is_read_as_words(label, words, value):
    [claim] = _extract(f"| metric | before |\n|---|---|\n| {label} | 120.0 |\n")
    assert (claim.label, claim.value) == (words, pytest.approx(value))


def test_header_rows_of_an_html_table_add_up():
    claims = _extract(HTML_TWO_HEADER_ROWS)
    assert [(c.figure, c.column, c.kind, c.value) for c in claims] == [
        ("8", "GPUs", "count", 8), ("2", "With CP TP", "count", 2), ("610", "With CP TFLOPS / GPU", "flops", 610e12)]


CORNERS = [
    # corner cell, whether it scopes every cell of the table
    ("Per GPU", True), ("per GPU, at 8K context", True), ("GB", True), ("Metric", False), ("Scenario", False),
]


def test_a_corner_cell_naming_a_row_scopes_it_as_one_of_them():
    [claim] = [c for c in _extract("# T\n\n| replica | GPUs |\n|---|---|\n| b-0 | 4 |\n") if c.line == 5]
    assert claim.scope == ("T", "per replica", "GPUs")


@pytest.mark.parametrize(("corner", "scopes"), CORNERS)
def test_a_corner_cell_that_scopes_reaches_every_cell(corner, scopes):
    [claim] = [c for c in _extract(f"# T\n\n| {corner} | A |\n|---|---|\n| weights | 12 |\n") if c.line == 5]
    assert claim.scope == (("T", corner, "A") if scopes else ("T", "A"))
    assert claim.kind == ("bytes" if corner == "GB" else "count")


PHYSICAL_LINES = [
    # Markdown, [(line, figure)]: every figure carries its own physical line
    ("Capacity note for the pool,\nspread over 8 GPUs: weights take\nabout\n21 GB per card, and a step reads\n"
     "them in 9 ms.\n", [(2, "8"), (4, "about 21 GB"), (5, "9 ms")]),
    ("**ana** · 14:05\nB, per GPU: 12 GB\nand 3 GB of KV\n", [(2, "12 GB"), (3, "3 GB")]),  # no "05 B", no clock
    ("- first 4 GB\n  continued 8 GB\n  and 16 GB\n", [(1, "4 GB"), (2, "8 GB"), (3, "16 GB")]),
    ("> quoted 3 ms\n> and 9 ms\n", [(1, "3 ms"), (2, "9 ms")]),
    ("Intro.\n\n```suggestion\n- per GPU: 141 GB, 4.8 TB/s\n```\n", [(4, "141 GB"), (4, "4.8 TB/s")]),
    ("```bash\nvllm serve --max-num-seqs 64\n```\n", []),  # code is not prose
]


STATEMENTS = [
    # a paragraph, and which of its figures share a sentence: the lines its author ended on purpose are apart
    ("ITL 20 ms → 4.8K tok/s per replica\nthat's 4.8K per GPU vs 1.85K on TP1, as the canary shows on the test box\n"
     "→ TP2 is ~2.6x better\n", [["20 ms", "4.8K tok/s"], ["4.8K", "1.85K"], ["~2.6x"]]),  # a chat: a short line, an arrow
    ("The weights take 35 GB per GPU on the TP2 layout and the KV cache another 12 GB at the\nfull context, so the "
     "step reads 47 GB.\n", [["35 GB", "12 GB", "47 GB"]]),  # wrapped prose stays one sentence
    ("Each replica holds the model weights at 35 GB per GPU and we plan for a KV cache of about\n12 GB at 8K\n",
     [["35 GB", "about 12 GB", "8K"]]),  # a short last line ends its sentence anyway
    ("Per GPU, the numbers we measured on the canary box last week come out like this:\n12 GB weights\n",
     [[], ["12 GB"]]),  # a line ending in ":" ends
    # a line the next one's first word would have fitted on was ended on purpose (a post of a thread) ...
    ("batch 64 on the same card: ITL goes to 28 ms\n64 / 28 ms ≈ 2.3K tok/s total, ~25x the batch-1 throughput\n"
     "each user sees ~36 tok/s instead of 91, about 2.5x slower than at batch 1\n",
     [["64", "28 ms"], ["64", "28 ms", "≈ 2.3K tok/s", "~25x"], ["~36 tok/s", "91", "about 2.5x", "1"]]),
    # ... but not when it ends in a word that needs what follows, or the next line opens with an operator
    ("tomas: the floor gives a ceiling 48 / 14.2 ms ≈ 3.4K tok/s per replica, fine for now\n× 32 = 108K tok/s for "
     "the fleet, we are nowhere near that yet, so no action\n",
     [["48", "14.2 ms", "≈ 3.4K tok/s", "32", "108K tok/s"]]),
    ("Under BF16-PP2 the 126 layers are split in 2 stages and with one KV head per GPU under\nTP8, each GPU "
     "stores 64.5 KB per token, which is what we planned\n", [["126", "2", "64.5 KB"]]),
    ("at 5.2 PFLOPS of FP8 per card a 4K prompt's ~0.30 PFLOP should\nprefill in about 58 ms on one card, a "
     "tenth of the budget we have\n", [["5.2 PFLOPS", "4K", "~0.30 PFLOP", "about 58 ms"]]),  # a modal needs its verb
    ("[06:10] at 5.2 PFLOPS a 4K prompt's ~0.30 PFLOP is done\n        in about 58 ms on one card, a tenth of the "
     "budget we had\n", [["5.2 PFLOPS", "4K", "~0.30 PFLOP", "about 58 ms"]]),  # a hanging indent goes on
    # the width is the Markdown as written: a link's address makes its line long, not its text
    ("See [the vLLM docs](https://docs.vllm.ai/en/latest/serving/distributed_serving.html) for the 2\n"
     "GPUs of each replica and the 16 GB per GPU\n", [["2", "16 GB"]]),
]


@pytest.mark.parametrize(("text", "sentences"), STATEMENTS)
def test_lines_ended_on_purpose_are_statements_of_their_own(text, sentences):
    claims = _extract(text)
    texts = list(dict.fromkeys(c.text for c in claims))
    found = [[c.figure for c in claims if c.text == t] for t in texts]
    assert found == [s for s in sentences if s]


@pytest.mark.parametrize(("text", "expected"), PHYSICAL_LINES)
def test_every_figure_carries_its_own_physical_line(text, expected):
    assert [(c.line, c.figure) for c in _extract(text)] == expected


def test_a_closing_line_with_a_colon_titles_the_list_after_it():
    # a chat export: who posted, then "B, per GPU:" over the list it introduces
    claims = _extract("**sam** · 09:40\nB, per GPU:\n- weights 8 GB\n- KV 3 GB\n\nlater 5 GB\n")
    assert [(c.line, c.figure, c.scope) for c in claims] == [
        (3, "8 GB", ("B, per GPU",)), (4, "3 GB", ("B, per GPU",)), (6, "5 GB", ("B, per GPU",))]


def test_inline_reading_is_linear_in_the_line():
    """Unclosed markers ("**a **a ..."), unclosed links and comments cost time linear in the line: 8 times the
    line costs about 8 times the time (quadratic reading would cost 64 times). Ratios, not a time budget."""
    import time

    from audit.extract.segments import _plain

    def cost(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            _plain(text)
            best = min(best, time.perf_counter() - start)
        return best

    for shape in ("**a ", "[a ", "<!-- ", "`a ", "<a ", "*a "):
        small, large = cost(shape * 10_000), cost(shape * 80_000)
        assert large < 32 * small, (shape, small, large)


def test_a_paragraph_of_many_sentences_is_read_in_linear_time():
    """Each sentence keeps only the last few of its paragraph for what names it: 8 times the sentences cost about 8
    times the time and memory (keeping all the earlier ones cost 64 times). Ratios, not a time budget."""
    import time

    def cost(n: int) -> float:
        text = "# T\n\n" + " ".join(["It has 12 layers."] * n) + "\n"
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            claims = _extract(text)
            best = min(best, time.perf_counter() - start)
        assert len(claims) == n and max(len(c.earlier) for c in claims) <= 12
        return best

    small, large = cost(500), cost(4_000)
    assert large < 32 * small, (small, large)
