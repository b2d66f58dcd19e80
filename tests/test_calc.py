"""`audit calc`: the JSON contract, the Markdown tables, scenario selection and errors."""

from __future__ import annotations

import json
from argparse import Namespace

import pytest

from audit.calc import run_calc
from audit.cli import main
from audit.errors import AuditError

# shared/seed/qwen3.yaml, with an alias added to one scenario
SEED_SPEC = """\
model:
  name: Qwen3-235B-A22B
  layers: 94
  hidden_size: 4096
  vocab_size: 151936
  tie_word_embeddings: false
  attention: {heads: 64, kv_heads: 4, head_dim: 128}
  moe: {experts: 128, experts_per_token: 8, expert_intermediate_size: 1536}
  stated_params: 235B
hardware:
  name: 64 GB accelerator
  devices: 32
  memory: 64 GB
  memory_bandwidth: 1.8 TB/s
  peak_flops: {fp8: 400 TFLOPS}
precision: {weights: fp8, kv_cache: fp8, activations: bf16}
workload:
  batch_size: 128
  input_tokens: {min: 128, max: 10240}
requirements: {ttft: 30 s}
scenarios:
  original: {tp: 2, pp: 4, dp: 1, batch_size: 128}
  optimized: {tp: 4, pp: 4, dp: 2, batch_size: 512, aliases: [Optimized Strategy]}
"""

CONTRACT_METRICS = """params_total params_active kv_cache_per_token weights_per_device kv_cache_per_device
memory_per_device memory_utilization prefill_flops ttft_floor batch_prefill_floor decode_step_floor
decode_throughput_ceiling prefill_throughput_ceiling device_count""".split()


@pytest.fixture
def seed_spec(tmp_path):
    path = tmp_path / "qwen3.yaml"
    path.write_text(SEED_SPEC, encoding="utf-8")
    return str(path)


def calc(spec: str, scenario: str | None = None, fmt: str = "json") -> str:
    written: list[tuple[str, str | None]] = []
    code = run_calc(Namespace(spec=spec, scenario=scenario, format=fmt, output=None),
                    lambda text, output: written.append((text, output)))
    assert code == 0 and len(written) == 1
    return written[0][0]


def test_json_has_every_contract_metric_in_the_contract_shape(seed_spec):
    doc = json.loads(calc(seed_spec))
    assert list(doc) == ["scenarios"]
    assert list(doc["scenarios"]) == ["original", "optimized"]
    for metrics in doc["scenarios"].values():
        assert set(CONTRACT_METRICS) <= set(metrics)
        for entry in metrics.values():
            assert set(entry) == {"value", "unit", "formula", "substitution", "range", "readings"}
            low, high = entry["range"]
            assert low <= entry["value"] <= high
            assert entry["readings"][0]["value"] == entry["value"]
            assert all(set(r) == {"name", "value"} for r in entry["readings"])


@pytest.mark.parametrize("scenario, metric, truth", [
    # answer-key truth: 235.09e9 * 1 B / (2 * 4);  (4 * 4)
    ("original", "weights_per_device", 29.39e9),
    ("optimized", "weights_per_device", 14.69e9),
    # (29.39e9 + 15.77e9) / 64e9
    ("original", "memory_utilization", 0.706),
    # 8 * 400e12 * 10240 / 603.2e12
    ("original", "prefill_throughput_ceiling", 54324),
    ("optimized", "device_count", 32),  # 4 * 4 * 2
])
def test_json_values_are_base_units(seed_spec, scenario, metric, truth):
    entry = json.loads(calc(seed_spec))["scenarios"][scenario][metric]
    assert entry["value"] == pytest.approx(truth, rel=0.01)


def test_json_formula_and_substitution(seed_spec):
    entry = json.loads(calc(seed_spec, "original"))["scenarios"]["original"]["weights_per_device"]
    assert (entry["unit"], entry["formula"], entry["substitution"]) == ("B", "P_total*b_w/(PP*TP)", "235.09e9*1/(4*2)")


@pytest.mark.parametrize("wanted, selected", [
    ("original", ["original"]),
    ("optimized", ["optimized"]),
    ("Optimized Strategy", ["optimized"]),  # an alias selects its scenario
])
def test_scenario_selects_one(seed_spec, wanted, selected):
    assert list(json.loads(calc(seed_spec, wanted))["scenarios"]) == selected


def test_unknown_scenario_lists_the_names(seed_spec):
    with pytest.raises(AuditError) as err:
        calc(seed_spec, "bogus")
    assert str(err.value) == f"{seed_spec}: unknown scenario 'bogus'; the spec has: original, optimized"


def test_unknown_scenario_exits_2_with_one_line(seed_spec, capsys):
    assert main(["calc", "--spec", seed_spec, "--scenario", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "original, optimized" in err


def test_markdown_has_a_table_per_scenario(seed_spec):
    text = calc(seed_spec, fmt="markdown")
    assert text.count("\n## Scenario ") == 2
    assert "## Scenario `original`: TP 2, PP 4, DP 1, EP 1, batch 128 (global)" in text
    assert text.count("| Metric | Value | Formula | Substitution | Range over interpretations |") == 2
    row = next(line for line in text.splitlines() if line.startswith("| weights_per_device |"))
    assert "`P_total*b_w/(PP*TP)`" in row and "`235.09e9*1/(4*2)`" in row
    floor = next(line for line in text.splitlines() if line.startswith("| ttft_floor |"))
    assert floor.split("|")[2].strip().startswith(">= ")  # floors are marked as bounds


def test_output_is_deterministic_and_goes_to_the_file(seed_spec, tmp_path):
    out = tmp_path / "calc.json"
    assert main(["calc", "--spec", seed_spec, "--format", "json", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == calc(seed_spec)


def test_spec_without_scenarios_has_a_default_one(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(SEED_SPEC.split("scenarios:")[0], encoding="utf-8")
    doc = json.loads(calc(str(path)))
    # one device: 235.09e9 * 1 B / (1 * 1)
    assert doc["scenarios"]["default"]["weights_per_device"]["value"] == pytest.approx(235.09e9, rel=0.005)
