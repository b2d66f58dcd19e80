"""Issue 4 end to end: published figures from `spec from-hf` specs, `audit calc` on the seed,
catalog specs under `audit check`, expert parallelism (PAR009) and uneven pipeline splits.

Sources: shared/reference/oracles.md (ISCA'25 "Insights into DeepSeek-V3", Table 1; model cards),
the `config:` blocks of shared/reference/models.yaml (copied to tests/data/hf/configs.yaml),
reports/qwen3-235b/answer-key.yaml `truth`, and hand arithmetic written out next to each row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from audit.check import Auditor
from audit.cli import main
from audit.model import Estimate, Model
from audit.specload import load_spec

ROOT = Path(__file__).resolve().parent.parent
HF_CONFIGS = yaml.safe_load((Path(__file__).parent / "data" / "hf" / "configs.yaml").read_text())["models"]


def from_hf(tmp_path: Path, name: str, hardware: str = "H100") -> Model:
    """The model of `audit spec from-hf` run on the config.json of `name` written into tmp_path."""
    config = tmp_path / name / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps(HF_CONFIGS[name]["config"]), encoding="utf-8")
    spec = tmp_path / name / "spec.yaml"
    assert main(["spec", "from-hf", str(config), "--hardware", hardware, "-o", str(spec)]) == 0
    return Model(load_spec(spec))


def static(model: Model) -> dict[str, Estimate]:
    return model.evaluate(model.scenario("one device"))


def reading(est: Estimate, contains: str | None) -> float:
    """The default reading, or the one whose name contains `contains`."""
    if contains is None:
        return est.value
    found = [r.value for r in est.readings if contains in r.name]
    assert found, [r.name for r in est.readings]
    return found[0]


# --- oracles.md from `spec from-hf` -----------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    # ISCA'25 DeepSeek-V3 paper, Table 1 (BF16): 61 layers x (512 + 64) x 2 B
    pytest.param("DeepSeek-V3", 61 * (512 + 64) * 2, id="DeepSeek-V3-70272"),
    # same table: 2 x 80 layers x 8 KV heads x 128 x 2 B
    pytest.param("Qwen2.5-72B-Instruct", 2 * 80 * 8 * 128 * 2, id="Qwen2.5-72B-327680"),
    # same table: 2 x 126 x 8 x 128 x 2 B (8 KV heads, not the 16 of early configs)
    pytest.param("Llama-3.1-405B", 2 * 126 * 8 * 128 * 2, id="Llama-3.1-405B-516096"),
])
def test_kv_cache_per_token_from_hf_is_exact(tmp_path, name, expected):
    assert expected in (70_272, 327_680, 516_096)  # the published figures, as printed
    assert static(from_hf(tmp_path, name))["kv_cache_per_token"].value == expected


@pytest.mark.parametrize("name, total, active", [
    # oracles.md "computed total" and "computed active (incl. embedding)"; None: dense (active = total)
    ("Qwen3-235B-A22B", 235.09e9, 22.19e9),
    ("Qwen3-30B-A3B", 30.53e9, 3.35e9),
    ("Qwen3-32B", 32.76e9, None),
    ("DeepSeek-V3", 671.03e9, 37.55e9),  # without the MTP module
    ("Llama-3.1-8B", 8.03e9, None),
    ("Llama-3.1-70B", 70.55e9, None),
    ("Llama-3.1-405B", 405.85e9, None),
    ("Mixtral-8x7B", 46.70e9, 12.88e9),
    ("Qwen2.5-72B-Instruct", 72.71e9, None),
])
def test_parameter_counts_from_hf_within_half_a_percent(tmp_path, name, total, active):
    e = static(from_hf(tmp_path, name))
    assert e["params_total"].value == pytest.approx(total, rel=0.005)
    # the model-card count of active parameters includes the embedding
    assert reading(e["params_active"], "with the embedding") == pytest.approx(active or total, rel=0.005)


def test_from_hf_qwen3_head_dim_is_the_configs(tmp_path):
    # oracles.md trap: Qwen3-235B-A22B head_dim 128, not 4096 / 64 = 64 -> KV 2 * 94 * 4 * 128 * 2 B
    assert static(from_hf(tmp_path, "Qwen3-235B-A22B"))["kv_cache_per_token"].value == 192_512


# --- `audit calc` on the seed -----------------------------------------------------------------

SEED_SPEC = ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"


@pytest.fixture(scope="module")
def seed_calc(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("calc") / "calc.json"
    assert main(["calc", "--spec", str(SEED_SPEC), "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))["scenarios"]


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
    # every expert read once per step: (4 * 29.39e9 + 15.77e9) / 1.8e12; (4 * 14.69e9 + 15.77e9) / 1.8e12
    ("original", "decode_step_floor_uniform", "the replica batch as one micro-batch", 0.0741),
    ("optimized", "decode_step_floor_uniform", "the replica batch as one micro-batch", 0.0414),
    ("original", "prefill_throughput_ceiling", None, 54_324),  # 8 * 400e12 * 10240 / 603.2e12
    ("optimized", "prefill_throughput_ceiling", None, 217_296),  # 32 * 400e12 * 10240 / 603.2e12
    ("original", "decode_throughput_ceiling", None, 1728),  # 128 * 1.8e12 / (4 * 29.39e9 + 15.77e9)
    ("optimized", "decode_throughput_ceiling", None, 12_363),  # 512 * 1.8e12 / (4 * 14.69e9 + 15.77e9)
    ("original", "prefill_flops", None, 603.2e12),  # causal, one 10240-token request
])
def test_calc_prints_the_seed_truth(seed_calc, scenario, metric, which, truth):
    entry = seed_calc[scenario][metric]
    value = entry["value"] if which is None else next(r["value"] for r in entry["readings"] if which in r["name"])
    assert value == pytest.approx(truth, rel=0.01)


# --- a catalog spec end to end ----------------------------------------------------------------

CATALOG_SPEC = """\
model: Llama-3.1-70B
hardware: {catalog: H100-SXM, devices: 16}
precision: {weights: bf16}
workload: {batch_size: 32, input_tokens: 4096}
"""

CATALOG_REPORT = """\
# Llama-3.1-70B on two H100 nodes

## Layout

- TP=8, PP=2, DP=1
- Total GPUs: 16
- Model weights per GPU: 8.8 GB
- KV cache per GPU: 2.7 GB
- TTFT: 10 ms
- Memory bandwidth: 3.35 TB/s
"""


@pytest.fixture
def catalog_check(tmp_path) -> tuple[int, dict]:
    (tmp_path / "spec.yaml").write_text(CATALOG_SPEC, encoding="utf-8")
    (tmp_path / "report.md").write_text(CATALOG_REPORT, encoding="utf-8")
    out = tmp_path / "verdict.json"
    code = main(["check", str(tmp_path / "report.md"), "--spec", str(tmp_path / "spec.yaml"),
                 "--format", "json", "-o", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8"))["reports"][0]


@pytest.mark.parametrize("line, rule", [
    (5, None),  # TP=8, PP=2, DP=1
    (6, None),  # 8 * 2 * 1 = 16
    (7, None),  # 70.55e9 * 2 B / (8 * 2) = 8.82e9
    (8, None),  # 32 * 4096 * 327,680 B / (PP 2 * min(TP 8, 8 KV heads)) = 2.68e9
    # one 4096-token request: (2 * 69.50e9 * 4096 + 80 * 64 * 256 * 4096^2) / (8 * 989.5e12) = 74.7 ms
    (9, "LAT001"),
    (10, None),  # H100 SXM: 3.35 TB/s
])
def test_catalog_spec_works_with_check(catalog_check, line, rule):
    code, report = catalog_check
    assert code == 1
    errors = [f["rule"] for f in report["findings"] if f["line"] == line and f["severity"] == "error"]
    assert errors == ([rule] if rule else [])


# --- expert parallelism: EP ranks come from the TP x DP devices of a stage ---------------------

@pytest.fixture(scope="module")
def deepseek_auditor(tmp_path_factory) -> Auditor:
    path = tmp_path_factory.mktemp("ep") / "spec.yaml"
    path.write_text("model: DeepSeek-V3\nhardware: {catalog: H200, devices: 16}\nprecision: {weights: fp8}\n"
                    "workload: {batch_size: 64, input_tokens: 4096}\n", encoding="utf-8")
    return Auditor.load(str(path))


@pytest.mark.parametrize("layout, flagged", [
    ("- TP=2, PP=2, DP=4, EP=16", True),  # 16 > 2 * 4
    ("- TP=2, PP=2, DP=4, EP=8", False),  # 8 = 2 * 4
    ("- TP=8, DP=2, EP=16", False),  # 16 = 8 * 2
    ("- TP=4, DP=2, EP=16", True),  # 16 > 4 * 2
    ("- TP=8, EP=16", True),  # DP 1: 16 > 8 * 1
    ("| Parameter | Value |\n|---|---|\n| Tensor Parallel | 4 |\n| Data Parallel | 1 |\n| Expert Parallel | 8 |",
     True),  # 8 > 4 * 1
])
def test_ep_beyond_tp_times_dp_is_an_error(deepseek_auditor, layout, flagged):
    result = deepseek_auditor.audit_text(f"# Plan\n\n## Layout\n\n{layout}\n")
    par009 = [f for f in result.findings if f.rule == "PAR009"]
    assert [f.severity for f in par009] == (["error"] if flagged else [])


def test_ep_message_shows_the_arithmetic(deepseek_auditor):
    result = deepseek_auditor.audit_text("# Plan\n\n## Layout\n\n- TP=2, PP=2, DP=4, EP=16\n")
    finding, = (f for f in result.findings if f.rule == "PAR009")
    assert finding.line == 5 and finding.expected == (0.0, 8.0)
    assert "EP=16" in finding.message and "(2 * 4)" in finding.message


@pytest.mark.parametrize("metric, which, expected", [
    # DeepSeek-V3 FP8 on H200, TP 8, PP 1, DP 2, EP 16, global batch 128 (answer-key.yaml of
    # reports/deepseek-v3-ep): routed experts 58 * 256 * 3 * 7168 * 2048 = 653.91e9, the rest 17.12e9
    ("weights_per_device", None, 17.117e9 / 8 + 653.909e9 / 16),
    # MLA latent not split by TP: 64 per replica * 8192 * 70,272 B
    ("kv_cache_per_device", None, 64 * 8192 * 70_272),
    ("kv_cache_per_device", "KV / TP", 64 * 8192 * 70_272 / 8),
    # routed experts 2 * 58 * 8 * 44.04e6 * 8192 = 334.80e12 over max(TP 8, EP 16); the rest
    # 767.73e12 - 334.80e12 over TP 8, at 1979e12 FLOP/s
    ("ttft_floor", None, (767.73e12 - 334.80e12) / (8 * 1979e12) + 334.80e12 / (16 * 1979e12)),
    ("prefill_flops_mlp", "routed experts only", 334.80e12),
    ("device_count", None, 16),
])
def test_expert_parallel_production_layout(metric, which, expected):
    spec = load_spec(ROOT / "reports" / "deepseek-v3-ep" / "spec.yaml")
    model = Model(spec)
    e = model.evaluate(model.scenario("production", tp=8, pp=1, dp=2, ep=16, batch_size=128))
    assert reading(e[metric], which) == pytest.approx(expected, rel=0.005)


# --- uneven pipeline splits: 61 layers over 2 stages ------------------------------------------

@pytest.fixture(scope="module")
def uneven() -> dict[str, Estimate]:
    model = Model(load_spec(ROOT / "reports" / "deepseek-v3-ep" / "spec.yaml"))
    return model.evaluate(model.scenario("fallback", tp=8, pp=2, dp=1, ep=8, batch_size=64))


@pytest.mark.parametrize("metric, which, expected", [
    ("layers_per_stage", "heaviest", 31),  # ceil(61 / 2)
    ("layers_per_stage", "average", 30.5),
    ("weights_per_device", "evenly", 671.03e9 / 16),  # 41.94e9
    # 31 of 61 layers of average size; embedding + lm_head (2 * 129280 * 7168 = 1.853e9) over PP:
    # (671.03e9 - 1.853e9) / 8 * 31 / 61 + 1.853e9 / 16 = 42.62e9
    ("weights_per_device", "heaviest stage", (671.03e9 - 1.853e9) / 8 * 31 / 61 + 1.853e9 / 16),
    # the KV cache on top: 64 * 8192 * 70,272 / 2 stages = 18.42e9
    ("memory_per_device", "heaviest stage", 42.62e9 + 18.42e9),
    ("memory_per_device", "evenly", 41.94e9 + 18.42e9),
])
def test_uneven_split_has_the_heaviest_stage_and_the_average(uneven, metric, which, expected):
    assert reading(uneven[metric], which) == pytest.approx(expected, rel=0.002)


def test_heaviest_stage_is_close_to_the_real_one(uneven):
    # vLLM's split puts the extra layer first: stage 2 holds 30 MoE layers + lm_head, the heaviest:
    # 30 * (187.105e6 attention + 11,320.16e6 MoE) + 926.68e6 = 346.15e9 params / TP 8 = 43.27e9 B
    assert reading(uneven["weights_per_device"], "heaviest stage") == pytest.approx(43.27e9, rel=0.02)


@pytest.mark.parametrize("claim, rule", [
    ("Model weights per GPU: 41.9 GB", None),  # the average, 41.94e9: accepted
    ("Model weights per GPU: 43.3 GB", None),  # the heaviest stage, 43.27e9: accepted
    ("Model weights per GPU: 21 GB", "MEM001"),  # half of either
    ("Total memory per GPU: 61.0 GB", None),  # heaviest: 42.62e9 + 18.42e9 = 61.04e9
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
    result = Auditor.load(str(ROOT / "reports" / "deepseek-v3-ep" / "spec.yaml")).audit(
        str(ROOT / "reports" / "deepseek-v3-ep" / "report.md"))
    key = yaml.safe_load((ROOT / "reports" / "deepseek-v3-ep" / "answer-key.yaml").read_text())
    line = next(item["line"] for item in key["must_flag"] if "EP=16 with TP=4" in item["why"])
    assert [f.line for f in result.findings if f.rule == "PAR009"] == [line]

