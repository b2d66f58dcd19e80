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
