"""Judge: rule files (validated on load, errors as file:line, formulas and messages through whitelists),
and the findings the rules give a report's figures: a dense decode floor, expert parallelism (PAR009)
and uneven pipeline splits, the DeepSeek-V3 EP example.

Sources: reports/deepseek-v3-ep/answer-key.yaml, the models' config.json files (tests/data/specs/hf_configs.yaml),
and hand arithmetic written out next to each row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.bind.vocabulary import load_vocabulary
from audit.errors import AuditError
from audit.expression import FormulaError, compile_formula
from audit.judge.rules import NAMES, load_rule_file, load_rules
from audit.physics.formulas import METRICS
from audit.physics.model import evaluate
from audit.pipeline import Auditor
from audit.spec.load import load_spec, spec_from_data

ROOT = Path(__file__).resolve().parent.parent
DEEPSEEK = ROOT / "reports" / "deepseek-v3-ep"

GOOD = """\
- id: TST001
  name: weights-again
  check: recompute
  metric: weights_per_device
  expected: weights_per_device
  tolerance: 5%
  level: warning
  description: A test rule.
  message: "claimed {claimed}, expected {expected}"
"""

BAD = [
    # (what, the rule file, text the error must hold, the line it must name)
    ("unknown key", GOOD.replace("  level: warning\n", "  level: warning\n  severity: high\n"), "severity", 8),
    ("unknown level", GOOD.replace("level: warning", "level: fatal"), "level", 7),
    ("unknown check kind", GOOD.replace("check: recompute", "check: guess"), "check", 3),
    ("bad tolerance", GOOD.replace("tolerance: 5%", "tolerance: lots"), "tolerance", 6),
    ("unknown placeholder", GOOD.replace("{expected}", "{secret}"), "unknown placeholder {secret}", 9),
    ("attribute in a placeholder", GOOD.replace("{expected}", "{expected.__class__}"), "placeholder", 9),
    ("unknown name in a formula", GOOD.replace("expected: weights_per_device", "expected: weights * 2"),
     "unknown name 'weights'", 5),
    ("unknown metric", GOOD.replace("  metric: weights_per_device", "  metric: weights_per_gpu"),
     "unknown metric 'weights_per_gpu'", 4),
    ("a call in a formula", GOOD.replace("expected: weights_per_device", "expected: __import__('os')"),
     "not allowed", 5),
    ("bad id", GOOD.replace("TST001", "test-1"), "id", 1),
    ("not a list", "id: TST001\n", "a rule file is a list", 1),
    ("bound without floor or ceiling", GOOD.replace("check: recompute", "check: bound").replace(
        "  expected: weights_per_device\n", ""), "needs floor or ceiling", 1),
    ("consistency without relation", GOOD.replace("check: recompute", "check: consistency"), "needs relation", 1),
]


@pytest.mark.parametrize(("what", "text", "needle", "line"), BAD, ids=[b[0] for b in BAD])
def test_bad_rule_file_is_one_line_with_file_and_line(tmp_path, what, text, needle, line):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(AuditError) as err:
        load_rule_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert needle in message and "\n" not in message


def test_good_rule_file_loads_and_fills_its_message(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    (rule,) = load_rule_file(path)
    assert rule.spec.tolerance == 0.05
    assert rule.message({"claimed": "2.86 GB", "expected": "29.39 GB"}) == "claimed 2.86 GB, expected 29.39 GB"


def test_duplicate_id_across_directories_is_refused(tmp_path):
    (tmp_path / "extra.yaml").write_text(GOOD.replace("TST001", "MEM001"))
    with pytest.raises(AuditError, match="MEM001 is already defined"):
        load_rules((tmp_path,))


def test_shipped_rules_load_and_explain_themselves():
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules) >= 30
    for r in rules:
        assert r.spec.description and r.spec.message, r.id


def test_formula_names_are_the_models_estimates():
    # the names a rule formula may use are what audit.physics computes, for MoE (GQA) and MLA models: every
    # metric evaluated is a name, and a name not evaluated is one that exists only with what this spec
    # leaves out (a sliding window, a requirement)
    assert NAMES == {name for name, m in METRICS.items() if m.computed}
    for spec_path in (ROOT / "reports" / "qwen3-235b" / "qwen3.yaml", DEEPSEEK / "spec.yaml"):
        sc = load_spec(spec_path).scenario("any", tp=2, pp=2, dp=2, ep=2, batch_size=8)
        evaluated = set(evaluate(sc))
        assert evaluated <= NAMES
        assert all(METRICS[name].needs for name in NAMES - evaluated), NAMES - evaluated


FORMULAS = [
    # (formula, environment, value by hand)
    ("tp * pp * dp", {"tp": 2, "pp": 4, "dp": 1}, 8),
    ("batch_size / dp", {"batch_size": 512, "dp": 2}, 256),
    ("0.9 * throughput_ceiling", {"throughput_ceiling": 1000}, 900),
    ("2 ** 3", {}, 8),
    ("-tp + 3", {"tp": 1}, 2),
    ("max(tp, ep) * 2", {"tp": 4, "ep": 16}, 32),
    ("ceil(layers / pp)", {"layers": 61, "pp": 2}, 31),
]


@pytest.mark.parametrize(("text", "env", "value"), FORMULAS)
def test_formula_values(text, env, value):
    assert compile_formula(text, NAMES)(env) == value


REFUSED = ["__import__('os')", "().__class__", "tp.real", "[tp][0]", "lambda: 1", "tp if pp else dp",
           "9 ** 9 ** 9", "2 ** 0.5", "open('x')", "tp; pp", "x" * 300, "(" * 100 + "1" + ")" * 100, ""]


@pytest.mark.parametrize("text", REFUSED)
def test_formula_refused(text):
    with pytest.raises(FormulaError):
        compile_formula(text, NAMES)


# --- the rules over a report's figures ------------------------------------------------------------

# Llama-3.1-8B (models.yaml config) in BF16 on one A100-80GB (2.039 TB/s), batch 8, 4,096-token prompts
DENSE = {
    "model": {"name": "Llama-3.1-8B", "layers": 32, "hidden_size": 4096, "vocab_size": 128256,
              "intermediate_size": 14336, "attention": {"heads": 32, "kv_heads": 8, "head_dim": 128}},
    "hardware": {"devices": 1, "memory": "80 GB", "memory_bandwidth": "2.039 TB/s",
                 "peak_flops": {"bf16": "312 TFLOPS"}},
    "precision": {"weights": "bf16", "kv_cache": "bf16"},
    "workload": {"batch_size": 8, "input_tokens": 4096},
}


# two scenarios of one layout, the KV cache stored at BF16 and at FP8: per GPU, 8 sequences x 4,096 tokens x
# (2 x 32 layers x 8 KV heads x 128 x 2 B = 131,072 B) = 4.295 GB at BF16, half of it, 2.147 GB, at FP8
TWO_PRECISIONS = {**DENSE, "scenarios": {"bf16kv": {"tp": 1, "pp": 1, "dp": 1, "batch_size": 8},
                                         "fp8kv": {"tp": 1, "pp": 1, "dp": 1, "batch_size": 8,
                                                   "precision": {"kv_cache": "fp8"}}}}


@pytest.mark.parametrize(("line", "found"), [
    ("- KV cache per GPU: 2.15 GB", [("MEM002", "error")]),  # the section's BF16: 2.15 is half of 4.29
    ("- With fp8 the KV cache per GPU halves to 2.15 GB", []),  # the scenario of its layout stored at FP8
    # and held to it, 2.15 GB, as sure as a scenario known by a precision alone is: a warning
    ("- With fp8 the KV cache per GPU halves to 1.07 GB", [("MEM002", "warning")]),
    ("- In int4 the KV cache per GPU would be 1.07 GB", []),  # neither stores int4: about a precision of no scenario
    ("- KV cache per GPU: 2.15 GB (fp8 would halve this)", [("MEM002", "error")]),  # an aside's what-if is not its own
])
def test_a_figure_at_a_precision_its_scenario_stores_nothing_at(line, found):
    auditor = Auditor(spec_from_data(TWO_PRECISIONS, "two.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text(f"# Memory\n\n## bf16kv\n\n{line}\n")
    assert [(f.rule, f.severity) for f in result.findings] == found


# two models in one spec: Llama-3.1-8B on one GPU ("small", alias "v1") and Llama-3.1-70B on two ("big")
TWO_MODELS = {**DENSE, "hardware": {**DENSE["hardware"], "devices": 2},
              "scenarios": {"small": {"tp": 1, "pp": 1, "dp": 1, "batch_size": 8, "aliases": ["v1"]},
                            "big": {"tp": 2, "pp": 1, "dp": 1, "batch_size": 8,
                                    "model": {"name": "Llama-3.1-70B", "layers": 80, "hidden_size": 8192, "vocab_size": 128256,
                                              "intermediate_size": 28672,
                                              "attention": {"heads": 64, "kv_heads": 8, "head_dim": 128}}}}}


@pytest.mark.parametrize(("line", "rules"), [
    ("- v1: `--tp 2`", ["PAR004"]),  # the small model on one GPU: TP 1
    ("- Llama-3.1-70B, v1: `--tp 2`", []),  # its sentence names the other scenario's model: held to any scenario
])
def test_a_figure_naming_another_scenarios_model_is_not_its_alias_scenarios(line, rules):
    auditor = Auditor(spec_from_data(TWO_MODELS, "two.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text(f"# Layouts\n\n{line}\n")
    assert [f.rule for f in result.findings if f.severity == "error"] == rules


# the same decode step below its floor (9.47 ms, below), stated, asked, and planned
@pytest.mark.parametrize(("line", "found"), [
    ("- Decode step: 2 ms", [("LAT003", "error")]),
    ("- So is the decode step really 2 ms? That would beat the floor", [("LAT003", "warning")]),  # asked, not stated
    ("- [ ] rerun with a decode step of 2 ms next week", []),  # an open item for later: a plan
    ("- [ ] decode step: 2 ms", [("LAT003", "error")]),  # an open item of a review's checklist states what to check
])
def test_a_figure_asked_or_planned_is_not_stated(line, found):
    auditor = Auditor(spec_from_data(DENSE, "dense.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text(f"# Decode\n\n{line}\n")
    assert [(f.rule, f.severity) for f in result.findings] == found


def test_arithmetic_gives_its_result_in_the_claims_unit():
    # 2,226 TFLOP / (32 x 275 TFLOPS = 8.8 PFLOPS) = 2.226e15 / 8.8e15 = 0.2530 s: the prefixes differ, the unit is s
    auditor = Auditor(spec_from_data(DENSE, "dense.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text("# Floor\n\n- Floor: 2,226 TFLOP / (32 × 275 TFLOPS = 8.8 PFLOPS) = 0.5 s\n")
    [wrong] = [f for f in result.findings if f.rule == "CON006"]
    assert isinstance(wrong.expected, float) and 0.2525 < wrong.expected < 0.2535


# two scenarios on two kinds of device: "slow" on the A100 (312 TFLOPS), "fast" on one at 624 TFLOPS
TWO_DEVICES = {**DENSE, "scenarios": {"slow": {"tp": 1, "pp": 1, "dp": 1, "batch_size": 8},
                                      "fast": {"tp": 1, "pp": 1, "dp": 1, "batch_size": 8,
                                               "hardware": {"peak_flops": {"bf16": "624 TFLOPS"}}}}}


def test_the_peak_a_report_states_for_one_device_is_not_anothers():
    # "slow" states the A100's 312 TFLOPS; fast's 61.6 TFLOP / 624 TFLOPS = 98.7 ms is its own rate's time
    auditor = Auditor(spec_from_data(TWO_DEVICES, "two.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text("# Plan\n\n## slow\n\n- Peak compute: 312 TFLOPS\n\n## fast\n\n"
                                "- TTFT floor: 61.6 TFLOP / (1 × 624 TFLOPS) = 99 ms\n")
    assert not [f for f in result.findings if f.rule == "CON005"]


def test_a_dense_decode_step_below_its_floor_is_one_error():
    # the floor: the weights read once (the embedding table is not read in decode: 7.50e9 x 2 B = 15.0 GB)
    # plus the KV cache (8 x 4096 tokens x 2 x 32 x 8 x 128 x 2 B = 4.29 GB), over 2.039 TB/s = 9.47 ms.
    # A dense model's uniform-routing floor is that same bound: one error, and no warning beside it.
    auditor = Auditor(spec_from_data(DENSE, "dense.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text("# Decode\n\n- Decode step: 2 ms\n")
    assert [(f.rule, f.severity) for f in result.findings] == [("LAT003", "error")]
    assert 0.0094 < result.findings[0].expected[0] < 0.0095


# the TTFT floor of one 4,096-token prompt on the A100 at 312 TFLOPS: linear layers 2 x 6.979e9 non-embedding
# parameters (32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336)) x 4096 = 5.717e13, causal attention
# 32 x 2 x 4096^2 x 4096 = 4.40e12, the lm_head on the last token 2 x 4096 x 128256 = 1.05e9: 6.157e13 FLOPs,
# 0.1974 s. LAT001 allows 3% below it and warns within 10% above it.
@pytest.mark.parametrize(("ttft", "severity", "words"), [
    ("50 ms", "error", "is below the physical floor 0.1974 s"),  # 4x below
    ("0.193 s", "warning", "below it, within the 3% tolerance"),  # 2.2% below
    ("0.200 s", "warning", "is just above the physical floor 0.1974 s"),  # above it, at 99% of peak
])
def test_a_figure_near_its_floor_is_told_on_which_side(ttft, severity, words):
    """Once "TTFT 0.2 s is below the physical floor 0.1974 s": the rule's words, untrue on the possible side."""
    auditor = Auditor(spec_from_data(DENSE, "dense.yaml"), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text(f"# Prefill\n\n- TTFT: {ttft}\n")
    [finding] = [f for f in result.findings if f.rule == "LAT001"]
    assert (finding.severity, words in finding.message) == (severity, True), finding.message


# --- expert parallelism: EP ranks come from the TP x DP devices of a stage ---------------------

@pytest.fixture(scope="module")
def deepseek_auditor(tmp_path_factory) -> Auditor:
    path = tmp_path_factory.mktemp("ep") / "spec.yaml"
    path.write_text("model: DeepSeek-V3\nhardware: {catalog: H200, devices: 16}\nprecision: {weights: fp8}\n"
                    "workload: {batch_size: 64, input_tokens: 4096}\n", encoding="utf-8")
    return Auditor.load(str(path))


@pytest.mark.parametrize("layout, severity", [
    ("- TP=2, PP=2, DP=4, EP=16", "error"),  # 16 > 2 * 4
    ("- TP=2, PP=2, DP=4, EP=8", None),  # 8 = 2 * 4
    ("- TP=8, DP=2, EP=16", None),  # 16 = 8 * 2
    ("- TP=4, DP=2, EP=16", "error"),  # 16 > 4 * 2
    ("- TP=8, EP=16", "warning"),  # 16 > 8 * 1 only if the DP it leaves unsaid is 1: DP=2 would hold EP 16
    ("| Parameter | Value |\n|---|---|\n| Tensor Parallel | 4 |\n| Data Parallel | 1 |\n| Expert Parallel | 8 |",
     "error"),  # 8 > 4 * 1
])
def test_ep_beyond_tp_times_dp_is_an_error(deepseek_auditor, layout, severity):
    result = deepseek_auditor.audit_text(f"# Plan\n\n## Layout\n\n{layout}\n")
    par009 = [f for f in result.findings if f.rule == "PAR009"]
    assert [f.severity for f in par009] == ([severity] if severity else [])


def test_ep_message_shows_the_arithmetic(deepseek_auditor):
    result = deepseek_auditor.audit_text("# Plan\n\n## Layout\n\n- TP=2, PP=2, DP=4, EP=16\n")
    finding, = (f for f in result.findings if f.rule == "PAR009")
    assert finding.line == 5 and finding.expected == (0.0, 8.0)
    assert "EP=16" in finding.message and "(2 * 4)" in finding.message


# --- uneven pipeline splits: 61 layers over 2 stages ------------------------------------------

@pytest.mark.parametrize("claim, rule", [
    ("Model weights per GPU: 41.9 GB", None),  # the average, 41.94e9: accepted
    ("Model weights per GPU: 43.3 GB", None),  # the heaviest stage, 43.27e9: accepted
    ("Model weights per GPU: 21 GB", "MEM001"),  # half of either
    # above the 60.36e9 floor of the average stage (41.94e9 + 18.42e9); the heaviest stage needs
    # 42.62e9 + 64 * 8192 * 70,272 * 31 / 61 = 42.62e9 + 18.72e9 = 61.34e9
    ("Total memory per GPU: 61.0 GB", None),
    ("Total memory per GPU: 40 GB", "MEM004"),  # below the 60.36e9 floor of the average stage
    ("Layer split: [31, 30] layers per stage", None),  # 61
    ("Layer split: [31, 31] layers per stage", "PAR003"),  # 62
    ("Layer split: [16, 15, 15, 16] layers per stage", "PAR003"),  # 62 over 4 stages, not 61
])
def test_uneven_split_claims(deepseek_auditor, claim, rule):
    text = f"# Plan\n\n## Layout\n\n- TP=8, PP=2, DP=1, EP=8\n- Batch size: 64\n- {claim}\n"
    result = deepseek_auditor.audit_text(text)
    errors = [f.rule for f in result.findings if f.line == 7 and f.severity == "error"]
    assert errors == ([rule] if rule else [])


# --- the example report ---------------------------------------------------------------------

def test_deepseek_example_flags_the_ep_layout():
    result = Auditor.load(str(DEEPSEEK / "spec.yaml")).audit(str(DEEPSEEK / "report.md"))
    key = yaml.safe_load((DEEPSEEK / "answer-key.yaml").read_text())
    line = next(item["line"] for item in key["must_flag"] if "EP=16 with TP=4" in item["why"])
    assert [f.line for f in result.findings if f.rule == "PAR009"] == [line]


# --- a layout the report states more than one way, with no scenario to tell them apart ----------

def test_a_layout_stated_two_ways_without_a_scenario_is_a_guess():
    """Llama-3.1-8B on 8 x H200 with no scenarios: the report's first TP (4) is taken as its layout, so
    "TP=2" later on is held to it: a guess, a warning that says so, not an error."""
    auditor = Auditor.load(str(ROOT / "tests" / "corpus" / "llama8b-h200-noscenarios" / "spec.yaml"))
    one = auditor.audit_text("# Plan\n\n- Layout: TP=4, DP=2\n- Weights per GPU: 4.0 GB\n")
    two = auditor.audit_text("# Plan\n\n- Layout: TP=4, DP=2\n- Weights per GPU: 4.0 GB\n\n"
                             "# Another example\n\nExample with TP=2, DP=4.\n")
    # 8.03e9 x 2 B / TP 4 = 4.02 GB: right; the layout stated once is the report's own, firmly
    assert [(f.rule, f.severity) for f in one.findings] == []
    [tp] = [f for f in two.findings if f.rule == "PAR004"]
    assert tp.severity == "warning" and "states its layout more than one way (TP 4 and 2" in tp.unsure


@pytest.mark.parametrize(("report", "rule", "severity"), [
    # the layout stated once is the report's own: a device count that contradicts it (4 x 2 = 8, not 16) may be
    # the figure that is right, so a warning; a figure the layout only feeds (4.0 GB = 8.03e9 x 2 B / TP 4) is
    # judged against it as firmly as against a spec's
    ("# Plan\n\n- Layout: TP=4, DP=2\n- We serve it on 16 GPUs\n", "PAR001", "warning"),
    ("# Plan\n\n- Layout: TP=4, DP=2\n- Weights per GPU: 8.0 GB\n", "MEM001", "error"),
    # options a sentence lists are no layout: nothing to hold the count to
    ("# Plan\n\nChoose TP=1 or TP=2 according to the devices, over 1 or 2 GPUs.\n", "PAR001", None),
])
def test_a_layout_figure_against_the_reports_own_layout_is_a_warning(report, rule, severity):
    auditor = Auditor.load(str(ROOT / "tests" / "corpus" / "llama8b-h200-noscenarios" / "spec.yaml"))
    found = [f.severity for f in auditor.audit_text(report).findings if f.rule == rule]
    assert found == ([severity] if severity else [])
