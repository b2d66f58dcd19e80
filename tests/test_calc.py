"""`audit calc`: the JSON contract, the Markdown tables, scenario selection and errors, and the seed's
answer-key truth as `audit calc` prints it (reports/qwen3-235b/answer-key.yaml `truth`, hand arithmetic
written out next to each row)."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from audit.cli import main
from audit.commands import calc as calc_command
from audit.errors import AuditError
from audit.physics.axes import AXES

ROOT = Path(__file__).resolve().parent.parent

# the seed spec (reports/qwen3-235b/qwen3.yaml), with an alias added to one scenario
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
    code = calc_command.run(Namespace(spec=spec, scenario=scenario, format=fmt, output=None),
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
            assert set(entry) == {"value", "unit", "kind", "formula", "substitution", "range", "readings",
                                  "description"}
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


# --- the seed's truth, as `audit calc` prints it -----------------------------------------------

SEED_SPEC_FILE = ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"


@pytest.fixture(scope="module")
def seed_calc(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("calc") / "calc.json"
    assert main(["calc", "--spec", str(SEED_SPEC_FILE), "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))["scenarios"]


def json_reading(entry: dict, **options: str) -> float:
    """The canonical value, or the first reading whose interpretation takes these options (axis=option):
    a reading's "name" is the labels of its options (audit.physics.axes), joined by "; "."""
    if not options:
        return entry["value"]
    labels = {AXES[axis].option(name).label for axis, name in options.items()}
    found = [r["value"] for r in entry["readings"] if labels <= set(r["name"].split("; "))]
    assert found, [r["name"] for r in entry["readings"]]
    return found[0]


ONE_MICRO_BATCH = {"micro_batch": "whole"}


@pytest.mark.parametrize("scenario, metric, which, truth", [
    # reports/qwen3-235b/answer-key.yaml `truth`
    ("original", "params_total", None, 235.09e9),
    ("original", "params_active", None, 21.57e9),  # matmul params: lm_head in, embedding lookup out
    ("original", "kv_cache_per_token", None, 96_256),  # 2 * 94 * 4 * 128 * 1 B
    ("original", "device_count", None, 8),  # 2 * 4 * 1
    ("optimized", "device_count", None, 32),  # 4 * 4 * 2
    ("original", "weights_per_device", None, 29.39e9),  # 235.09e9 * 1 B / (2 * 4)
    ("optimized", "weights_per_device", None, 14.69e9),  # / (4 * 4)
    ("original", "kv_cache_per_device", None, 15.77e9),  # 128 * 10240 * 96256 / (4 * 2)
    ("optimized", "kv_cache_per_device", None, 15.77e9),  # 256 * 10240 * 96256 / (4 * 4)
    ("original", "memory_utilization", None, 0.706),  # (29.39e9 + 15.77e9) / 64e9
    ("optimized", "memory_utilization", None, 0.476),  # (14.69e9 + 15.77e9) / 64e9
    ("original", "ttft_floor", None, 0.754),  # 603.2e12 / (2 * 400e12)
    ("optimized", "ttft_floor", None, 0.377),  # 603.2e12 / (4 * 400e12)
    ("original", "batch_prefill_floor", None, 24.1),  # 128 * 603.2e12 / (8 * 400e12)
    ("optimized", "batch_prefill_floor", None, 24.1),  # 256 * 603.2e12 / (16 * 400e12)
    # every expert read once per step: (4 * 29.39e9 + 15.77e9) / 1.8e12; (4 * 14.69e9 + 15.77e9) / 1.8e12.
    # Uniform routing of the whole replica batch (128, 256 tokens) reads 127.97 of 128 experts (and
    # 128.00 of 128), the embedding table (0.62e9) not at all: within 1% of every expert.
    ("original", "decode_step_floor_uniform", ONE_MICRO_BATCH, 0.0741),
    ("optimized", "decode_step_floor_uniform", ONE_MICRO_BATCH, 0.0414),
    ("original", "prefill_throughput_ceiling", None, 54_324),  # 8 * 400e12 * 10240 / 603.2e12
    ("optimized", "prefill_throughput_ceiling", None, 217_296),  # 32 * 400e12 * 10240 / 603.2e12
    # the same read as the all-experts step: 128 * 1.8e12 / (4 * 29.39e9 + 15.77e9);
    # 512 * 1.8e12 / (4 * 14.69e9 + 15.77e9)
    ("original", "decode_throughput_ceiling_uniform", ONE_MICRO_BATCH, 1728),
    ("optimized", "decode_throughput_ceiling_uniform", ONE_MICRO_BATCH, 12_363),
    ("original", "prefill_flops", None, 603.2e12),  # causal, one 10240-token request
])
def test_calc_prints_the_seed_truth(seed_calc, scenario, metric, which, truth):
    assert json_reading(seed_calc[scenario][metric], **(which or {})) == pytest.approx(truth, rel=0.01)
