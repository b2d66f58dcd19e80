"""The first-principles model against published figures and hand arithmetic.

Sources: the ISCA'25 paper "Insights into DeepSeek-V3" (Table 1: KV bytes per token), the model cards and
config.json files (parameter counts), the seed's answer key reports/qwen3-235b/answer-key.yaml (`truth`).
Every expected value is written out as arithmetic or copied from a publication, never from the code.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit.physics.formulas import METRICS
from audit.physics.model import evaluate
from audit.records import Estimate
from audit.spec.load import LoadedSpec, spec_from_data

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
HARDWARE = {"name": "test part", "devices": 8, "memory": 80e9, "memory_bandwidth": 3.35e12,
            "peak_flops": {"bf16": 989.5e12}}
WORKLOAD = {"batch_size": 8, "input_tokens": 4096}


def spec(model: dict, **over) -> LoadedSpec:
    return spec_from_data({"model": model, "hardware": over.pop("hardware", HARDWARE),
                           "workload": over.pop("workload", WORKLOAD), **over})


# Configs hand-mapped from models.yaml (HF config.json field -> spec field).
QWEN3_235B = {"name": "Qwen3-235B-A22B", "layers": 94, "hidden_size": 4096, "vocab_size": 151936,
              "attention": {"heads": 64, "kv_heads": 4, "head_dim": 128},
              "moe": {"experts": 128, "experts_per_token": 8, "expert_intermediate_size": 1536}}
QWEN3_30B = {"layers": 48, "hidden_size": 2048, "vocab_size": 151936,
             "attention": {"heads": 32, "kv_heads": 4, "head_dim": 128},
             "moe": {"experts": 128, "experts_per_token": 8, "expert_intermediate_size": 768}}
QWEN3_32B = {"layers": 64, "hidden_size": 5120, "vocab_size": 151936, "intermediate_size": 25600,
             "attention": {"heads": 64, "kv_heads": 8, "head_dim": 128}}
DEEPSEEK_V3 = {"layers": 61, "hidden_size": 7168, "vocab_size": 129280, "intermediate_size": 18432,
               "attention": {"kind": "mla", "heads": 128, "q_lora_rank": 1536, "kv_lora_rank": 512,
                             "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128},
               "moe": {"experts": 256, "experts_per_token": 8, "expert_intermediate_size": 2048,
                       "shared_experts": 1, "first_dense_layers": 3}}
LLAMA31_8B = {"layers": 32, "hidden_size": 4096, "vocab_size": 128256, "intermediate_size": 14336,
              "attention": {"heads": 32, "kv_heads": 8}}
LLAMA31_70B = {"layers": 80, "hidden_size": 8192, "vocab_size": 128256, "intermediate_size": 28672,
               "attention": {"heads": 64, "kv_heads": 8}}
LLAMA31_405B = {"layers": 126, "hidden_size": 16384, "vocab_size": 128256, "intermediate_size": 53248,
                "attention": {"heads": 128, "kv_heads": 8}}
MIXTRAL = {"layers": 32, "hidden_size": 4096, "vocab_size": 32000,
           "attention": {"heads": 32, "kv_heads": 8},
           "moe": {"experts": 8, "experts_per_token": 2, "expert_intermediate_size": 14336}}
QWEN25_72B = {"layers": 80, "hidden_size": 8192, "vocab_size": 152064, "intermediate_size": 29568,
              "attention": {"heads": 64, "kv_heads": 8}}
LLAMA2_70B = {"layers": 80, "hidden_size": 8192, "vocab_size": 32000, "intermediate_size": 28672,
              "attention": {"heads": 64, "kv_heads": 8}}
PALM_540B = {"layers": 118, "hidden_size": 18432, "vocab_size": 256000, "intermediate_size": 73728,
             "tie_word_embeddings": True, "attention": {"heads": 48, "kv_heads": 1, "head_dim": 256}}


def estimates(model: dict, tp=1, pp=1, dp=1, ep=1, batch=8, **over) -> dict[str, Estimate]:
    return evaluate(spec(model, **over).scenario("t", tp, pp, dp, ep, batch))


def reading(est: Estimate, **options: str) -> float:
    """The canonical reading, or the first that takes these options (axis=option)."""
    found = [r.value for r in est.readings if all(r.assumes(a) == o for a, o in options.items())]
    assert found, [r.interpretation for r in est.readings]
    return found[0]


# --- architecture ------------------------------------------------------------------------

@pytest.mark.parametrize("model, expected", [
    # ISCA'25 "Insights into DeepSeek-V3", Table 1: 61 x (512 + 64) x 2 B
    pytest.param(DEEPSEEK_V3, 70_272, id="DeepSeek-V3-MLA-70.272KB"),
    # same table: 2 x 80 x 8 x 128 x 2 B
    pytest.param(QWEN25_72B, 327_680, id="Qwen2.5-72B-327.680KB"),
    # same table: 2 x 126 x 8 x 128 x 2 B
    pytest.param(LLAMA31_405B, 516_096, id="Llama-3.1-405B-516.096KB"),
])
def test_kv_cache_per_token_bf16_is_exact(model, expected):
    assert estimates(model)["kv_cache_per_token"].value == expected


def test_kv_cache_per_token_fp8_halves_it():
    # answer-key truth: 2 * 94 layers * 4 kv heads * 128 * 1 byte = 96256
    est = estimates(QWEN3_235B, precision={"weights": "fp8", "kv_cache": "fp8", "compute": "bf16"})
    assert est["kv_cache_per_token"].value == 2 * 94 * 4 * 128 * 1 == 96_256


@pytest.mark.parametrize("model, published", [
    pytest.param(QWEN3_235B, 235_093_634_560, id="Qwen3-235B-A22B-235.09B"),  # model card 235B
    pytest.param(QWEN3_30B, 30_532_122_624, id="Qwen3-30B-A3B-30.53B"),  # model card 30.5B
    pytest.param(QWEN3_32B, 32_762_123_264, id="Qwen3-32B-32.76B"),  # model card 32.8B
    pytest.param(DEEPSEEK_V3, 671_026_419_200, id="DeepSeek-V3-671.03B"),  # README 671B without MTP
    pytest.param(LLAMA31_8B, 8_030_261_248, id="Llama-3.1-8B-8.03B"),  # HF page 8.03B
    pytest.param(LLAMA31_70B, 70_553_706_496, id="Llama-3.1-70B-70.55B"),  # HF page 70.6B
    pytest.param(LLAMA31_405B, 405_853_388_800, id="Llama-3.1-405B-405.85B"),  # HF page 406B
    pytest.param(MIXTRAL, 46_702_792_704, id="Mixtral-8x7B-46.70B"),  # Mistral blog 46.7B
    pytest.param(QWEN25_72B, 72_706_203_648, id="Qwen2.5-72B-72.71B"),  # model card 72.7B
    pytest.param(LLAMA2_70B, 68_976_648_192, id="Llama-2-70B-68.98B"),  # models.yaml
    pytest.param(PALM_540B, 540_356_474_880, id="PaLM-540B-540.36B"),  # models.yaml (tied embedding)
])
def test_params_total_within_half_a_percent(model, published):
    assert estimates(model)["params_total"].value == pytest.approx(published, rel=0.005)


@pytest.mark.parametrize("model, embedding, published", [
    # oracles.md "computed active (incl. embedding)" and models.yaml matmul_params_per_token
    pytest.param(QWEN3_235B, "counted", 22.19e9, id="Qwen3-235B-with-embedding-22.19B"),
    pytest.param(QWEN3_235B, "free", 21.57e9, id="Qwen3-235B-matmul-21.57B"),
    pytest.param(QWEN3_30B, "counted", 3.35e9, id="Qwen3-30B-with-embedding-3.35B"),
    pytest.param(DEEPSEEK_V3, "counted", 37.55e9, id="DeepSeek-V3-with-embedding-37.55B"),
    pytest.param(DEEPSEEK_V3, "free", 36.63e9, id="DeepSeek-V3-matmul-36.63B"),
    pytest.param(MIXTRAL, "counted", 12.88e9, id="Mixtral-with-embedding-12.88B"),
    pytest.param(PALM_540B, None, 540.36e9, id="PaLM-dense-tied-540.36B"),  # tied: one reading
])
def test_params_active(model, embedding, published):
    est = estimates(model)["params_active"]
    value = reading(est, embedding=embedding) if embedding else reading(est)
    assert value == pytest.approx(published, rel=0.005)


# --- the seed: answer-key truth ------------------------------------------------------------

SEED = {
    "model": QWEN3_235B,
    "hardware": {"name": "64 GB accelerator", "devices": 32, "memory": 64e9, "memory_bandwidth": 1.8e12,
                 "peak_flops": {"fp8": 400e12}},
    "precision": {"weights": "fp8", "kv_cache": "fp8", "activations": "bf16"},
    "workload": {"batch_size": 128, "input_tokens": {"min": 128, "max": 10240}},
    "requirements": {"ttft": 30},
    "scenarios": {"original": {"tp": 2, "pp": 4, "dp": 1, "batch_size": 128},
                  "optimized": {"tp": 4, "pp": 4, "dp": 2, "batch_size": 512}},
}


@pytest.fixture(scope="module")
def seed() -> dict[str, dict[str, Estimate]]:
    return {name: evaluate(sc) for name, sc in spec_from_data(SEED).scenarios.items()}


ONE_MICRO_BATCH = {"micro_batch": "whole"}
NON_CAUSAL = {"causal": "full", "lm_head": "all", "embedding": "free"}


@pytest.mark.parametrize("scenario, metric, which, truth", [
    # 235.09e9 params * 1 B / (TP 2 * PP 4) = 29.39e9;  / (4 * 4) = 14.69e9
    ("original", "weights_per_device", None, 29.39e9),
    ("optimized", "weights_per_device", None, 14.69e9),
    # 128 * 10240 * 96256 / (PP 4 * TP 2) = 15.77e9;  (512 / DP 2) * 10240 * 96256 / (4 * 4) = 15.77e9
    ("original", "kv_cache_per_device", None, 15.77e9),
    ("optimized", "kv_cache_per_device", None, 15.77e9),
    ("original", "device_count", None, 8),  # 2 * 4 * 1
    ("optimized", "device_count", None, 32),  # 4 * 4 * 2
    # (29.39e9 + 15.77e9) / 64e9 = 0.706;  (14.69e9 + 15.77e9) / 64e9 = 0.476
    ("original", "memory_utilization", None, 0.706),
    ("optimized", "memory_utilization", None, 0.476),
    # 603.2e12 / (TP 2 * 400e12) = 0.754;  / (4 * 400e12) = 0.377
    ("original", "ttft_floor", None, 0.754),
    ("optimized", "ttft_floor", None, 0.377),
    # 128 * 603.2e12 / (8 * 400e12) = 24.1;  (512 / 2) * 603.2e12 / (16 * 400e12) = 24.1
    ("original", "batch_prefill_floor", None, 24.1),
    ("optimized", "batch_prefill_floor", None, 24.1),
    # truth is the all-experts figure: (4 * 29.39e9 + 15.77e9) / 1.8e12 = 0.0741; (4 * 14.69e9 + 15.77e9)
    # / 1.8e12 = 0.0414. Uniform routing of the whole replica batch (128, 256 tokens) reads
    # 128 * (1 - (1 - 8/128)^128) = 127.97 of 128 experts; the embedding table (0.62e9) is not read.
    ("original", "decode_step_floor_uniform", ONE_MICRO_BATCH, 0.0741),
    ("optimized", "decode_step_floor_uniform", ONE_MICRO_BATCH, 0.0414),
    # 8 devices * 400e12 * 10240 / 603.2e12 = 54324;  32 * ... = 217296
    ("original", "prefill_throughput_ceiling", None, 54324),
    ("optimized", "prefill_throughput_ceiling", None, 217296),
    # the uniform ceiling reads what the uniform floor reads: 128 / 65.9 ms = 1,942 tok/s (32 tokens per
    # micro-batch); the whole replica batch as one micro-batch, all experts: 128 * 1.8e12 / (4 * 29.39e9 +
    # 15.77e9) = 1728;  512 * 1.8e12 / (4 * 14.69e9 + 15.77e9) = 12363
    ("original", "decode_throughput_ceiling_uniform", None, 128 / ((4 * 25.71e9 + 15.77e9) / 1.8e12)),
    ("original", "decode_throughput_ceiling_uniform", ONE_MICRO_BATCH, 1728),
    ("optimized", "decode_throughput_ceiling_uniform", ONE_MICRO_BATCH, 12363),
    # 2 * 21.57e9 * 10240 = 441.7e12, + 94 * 64 * (128 + 128) * 10240^2 = 161.5e12 causal -> 603.2e12
    ("original", "prefill_flops", None, 603.2e12),
    ("original", "prefill_flops", NON_CAUSAL, 764.7e12),
])
def test_seed_reproduces_the_answer_key_truth(seed, scenario, metric, which, truth):
    assert reading(seed[scenario][metric], **(which or {})) == pytest.approx(truth, rel=0.01)


@pytest.mark.parametrize("metric, which, expected", [
    # answer key line 56: 2 * 94 * 71.30e6 attention params * 10240 = 137.3e12, + 161.5e12 scores = 299e12
    ("prefill_flops_attention", None, 137.3e12 + 161.5e12),
    ("prefill_flops_attention_batch", None, 128 * 298.8e12),  # 38 PFLOPs for the batch of 128
    # line 57: 2 * 94 * (8 * 3 * 4096 * 1536 + 4096 * 128 router) * 10240 = 291.7e12
    ("prefill_flops_mlp", None, 291.7e12),
    ("prefill_flops_mlp_batch", None, 128 * 291.7e12),
    ("prefill_flops_batch", None, 128 * 603.2e12),  # line 58: 77 PFLOPs for 128
    ("heads_per_device", None, 64 / 2),  # must_pass line 17
    ("layers_per_stage", {"stage": "heaviest"}, 24),  # ceil(94 / 4)
    ("layers_per_stage", None, 23.5),
    ("params_total", None, 235.09e9),
    # hard floor, top-k: W_read = (235.09e9 - 0.622e9 embedding - 227.10e9 experts * (1 - 8/128)) / 8
    # = 2.696e9; (4 * 2.696e9 + 15.77e9) / 1.8e12 = 14.75 ms
    ("decode_step_floor", None, (4 * 2.696e9 + 15.77e9) / 1.8e12),
    # uniform routing of 128 / PP 4 = 32 tokens: 1 - (1 - 8/128)^32 = 0.8732 of the experts;
    # W_read = (234.47e9 - 227.10e9 * 0.1268) / 8 = 25.71e9; (4 * 25.71e9 + 15.77e9) / 1.8e12 = 65.9 ms
    ("decode_step_floor_uniform", None, (4 * 25.71e9 + 15.77e9) / 1.8e12),
    # memory floor: 29.39e9 + 15.77e9
    ("memory_per_device", None, 45.16e9),
    # memory 64 GB read as 64 GiB: 45.16e9 / (64 * 2^30) = 0.657
    ("memory_utilization", {"capacity": "gib"}, 45.16e9 / (64 * 2**30)),
    # the KV cache's share of what a GPU holds: 15.77e9 / (29.39e9 + 15.77e9) = 0.349; of 64 GB: 0.246
    ("kv_share", None, 15.77e9 / 45.16e9),
    ("kv_share", {"share_of": "capacity"}, 15.77e9 / 64e9),
    # the weights' share: 29.39e9 / 45.16e9 = 0.651; of 64 GiB: 29.39e9 / 68.72e9 = 0.428
    ("weights_share", None, 29.39e9 / 45.16e9),
    ("weights_share", {"share_of": "capacity", "capacity": "gib"}, 29.39e9 / (64 * 2**30)),
    # a replica of TP 2 x PP 4 = 8 devices fits in an 8-device node: all 94 layers on it
    ("layers_per_node", None, 94),
    # a node of 8 devices holds the whole 8-device replica: 8 x 29.39e9 of weights, 8 x 15.77e9 of KV
    ("devices_in_node", None, 8),
    ("weights_per_node", None, 8 * 29.39e9),
    ("kv_cache_per_node", None, 8 * 15.77e9),
    ("memory_per_node", None, 8 * (29.39e9 + 15.77e9)),
    # memory left: 64e9 - 29.39e9 = 34.61e9 after the weights; - 15.77e9 more after the KV cache = 18.84e9
    ("free_memory", None, 64e9 - 29.39e9),
    ("free_memory", {"free_of": "weights_kv"}, 64e9 - 29.39e9 - 15.77e9),
    # ttft floor at the 128-token minimum prompt: (2 * 21.57e9 * 128 + 94 * 64 * 256 * 128^2) / 800e12
    ("ttft_floor_min_prompt", None, (2 * 21.57e9 * 128 + 94 * 64 * 256 * 128**2) / 800e12),
])
def test_seed_original_hand_arithmetic(seed, metric, which, expected):
    assert reading(seed["original"][metric], **(which or {})) == pytest.approx(expected, rel=0.005)


@pytest.mark.parametrize("metric, expected", [
    # top-k: W_read = 21.565e9 / 16 = 1.348e9; (4 * 1.348e9 + 15.77e9) / 1.8e12 = 11.76 ms
    ("decode_step_floor", (4 * 1.348e9 + 15.77e9) / 1.8e12),
    # uniform routing of 256 / 4 = 64 tokens: 1 - (15/16)^64 = 0.98392 of the experts;
    # W_read = (234.47e9 - 227.10e9 * 0.01608) / 16 = 14.426e9 -> (4 * 14.426e9 + 15.77e9) / 1.8e12 = 40.8 ms
    ("decode_step_floor_uniform", (4 * 14.426e9 + 15.77e9) / 1.8e12),
])
def test_seed_optimized_decode_floors(seed, metric, expected):
    assert seed["optimized"][metric].value == pytest.approx(expected, rel=0.005)


def test_seed_decode_floors_order(seed):
    # the hard (top-k) floor is below the uniform-routing floor, which is below the all-experts figure
    for name in ("original", "optimized"):
        e = seed[name]
        assert e["decode_step_floor"].low < e["decode_step_floor_uniform"].low < 0.99 * (0.0741 if name == "original" else 0.0414)


def test_seed_claims_the_answer_key_flags_are_outside(seed):
    # answer key lines 13, 60, 65, 70, 74: the claims are below the floors / above the ceilings
    orig, opt = seed["original"], seed["optimized"]
    assert 0.06 < orig["ttft_floor"].low  # line 13: TTFT ~0.06 s
    assert 0.05 < opt["ttft_floor"].low  # line 60: 0.05 s
    assert 0.01 < opt["decode_step_floor"].low  # line 65: 0.01 s, even under the hard floor
    assert 302e3 > orig["throughput_ceiling"].high  # line 70
    assert 1.2e6 > opt["throughput_ceiling"].high  # line 74
    assert 2.1 > opt["ttft_floor"].high  # must_pass line 34: 2.1 s is above the floor


# --- interpretations -----------------------------------------------------------------------

def test_expert_parallel_shards_experts_over_ep_and_pp():
    # Qwen3-235B fp8, TP 2, PP 4, EP 8: non-expert (235.09e9 - 227.10e9) / (2 * 4) + experts 227.10e9 / (8 * 4)
    e = estimates(QWEN3_235B, tp=2, pp=4, dp=4, ep=8, batch=128, precision={"weights": "fp8", "compute": "bf16"},
                  workload={"batch_size": 128, "input_tokens": 10240})
    assert e["weights_per_device"].value == pytest.approx((235.09e9 - 227.10e9) / 8 + 227.10e9 / 32, rel=0.005)
    # TTFT: routed experts 2 * 94 * 8 * 3 * 4096 * 1536 * 10240 = 290.7e12 FLOPs run on max(TP, EP) = 8
    # devices: (603.2e12 - 290.7e12) / (2 * 989.5e12) + 290.7e12 / (8 * 989.5e12)
    expected = (603.2e12 - 290.7e12) / (2 * 989.5e12) + 290.7e12 / (8 * 989.5e12)
    assert e["ttft_floor"].value == pytest.approx(expected, rel=0.005)


@pytest.mark.parametrize("model, tp, default, by_tp", [
    # MLA latent is not split by TP: 8 seqs * 4096 * 70272 B / PP 1; batch-partitioned attention / TP 8
    pytest.param(DEEPSEEK_V3, 8, 8 * 4096 * 70272, 8 * 4096 * 70272 / 8, id="MLA"),
    # PaLM has one KV head: TP 8 replicates it (/ min(8, 1)); batch-partitioned attention / 8
    pytest.param(PALM_540B, 8, 8 * 4096 * 2 * 118 * 256 * 2, 8 * 4096 * 2 * 118 * 256 * 2 / 8, id="PaLM-MQA"),
])
def test_kv_per_device_readings_for_replicated_kv(model, tp, default, by_tp):
    est = estimates(model, tp=tp)["kv_cache_per_device"]
    assert est.value == pytest.approx(default)
    assert reading(est, kv_split="batch") == pytest.approx(by_tp)
    assert est.accepted() == est.readings[:1]  # batch-split KV is for bounds only: no recompute accepts it
    # the floors accept the smaller figure (docs/physics.md: a real measurement is never called impossible)
    assert estimates(model, tp=tp)["memory_per_device"].low < estimates(model, tp=tp)["memory_per_device"].value


def test_kv_split_over_tp_up_to_the_kv_heads_has_one_reading():
    # Llama-3.1-70B, TP 8 = 8 KV heads: 8 seqs * 4096 * (2 * 80 * 8 * 128 * 2) / 8, nothing replicated
    est = estimates(LLAMA31_70B, tp=8)["kv_cache_per_device"]
    assert [r.value for r in est.readings] == [pytest.approx(8 * 4096 * 327680 / 8)]


def test_output_tokens_add_a_longer_context_reading():
    # context 4096 + 1024 = 5120: 8 * 5120 * 131072 B (Llama-3.1-8B bf16: 2 * 32 * 8 * 128 * 2)
    e = estimates(LLAMA31_8B, workload={"batch_size": 8, "input_tokens": 4096, "output_tokens": 1024})
    assert reading(e["kv_cache_per_device"], context="input_output") == pytest.approx(8 * 5120 * 131072)
    assert e["kv_cache_per_device"].value == pytest.approx(8 * 4096 * 131072)


def test_batch_per_replica_reading_only_with_data_parallelism():
    # DP 2, batch 8: global split gives 4 sequences per replica; the per-replica reading 8
    e = estimates(LLAMA31_8B, dp=2)["kv_cache_per_device"]
    assert [r.value for r in e.readings] == [pytest.approx(4 * 4096 * 131072), pytest.approx(8 * 4096 * 131072)]
    assert len(estimates(LLAMA31_8B, dp=1)["kv_cache_per_device"].readings) == 1


def test_dense_decode_floor_reads_every_weight_but_the_embedding():
    # Llama-3.1-8B bf16, TP 1: ((8.03e9 - 0.525e9 embedding) * 2 B + 8 * 4096 * 131072 KV) / 3.35e12
    e = estimates(LLAMA31_8B)
    expected = ((8.030e9 - 128256 * 4096) * 2 + 8 * 4096 * 131072) / 3.35e12
    assert e["decode_step_floor"].value == pytest.approx(expected, rel=0.005)
    assert "decode_step_floor_uniform" not in e  # routing is a question of MoE models only


def test_decode_ceiling_is_capped_by_compute():
    # Llama-3.1-8B bf16, batch 4096 at 16 tokens: bandwidth would allow 4096 * 3.35e12 /
    # ((8.03e9 - 0.525e9 embedding) * 2 B + 4096 * 16 * 131072) = 581K tok/s; compute caps it at
    # 989.5e12 / (2 * 7.505e9 matmul params) = 65.9K tok/s
    e = estimates(LLAMA31_8B, batch=4096, workload={"batch_size": 4096, "input_tokens": 16})
    assert e["decode_throughput_ceiling"].value == pytest.approx(989.5e12 / (2 * 7.505e9), rel=0.005)


def test_int4_weights_run_at_the_activations_peak():
    # W4A16: int4 weights are dequantised and run at the bf16 peak of 989.5 TFLOPS; weights 8.03e9 * 0.5 B
    e = estimates(LLAMA31_8B, precision={"weights": "int4"},
                  hardware={**HARDWARE, "peak_flops": {"bf16": 989.5e12, "fp8": 1979e12}})
    assert e["peak_flops"].value == 989.5e12
    assert e["weights_per_device"].value == pytest.approx(8.03e9 * 0.5, rel=0.005)


@pytest.mark.parametrize("metric, kind", [
    ("memory_per_device", "floor"), ("memory_utilization", "floor"), ("ttft_floor", "floor"),
    ("ttft_floor_min_prompt", "floor"), ("batch_prefill_floor", "floor"), ("decode_step_floor", "floor"),
    ("decode_step_floor_uniform", "floor"), ("decode_throughput_ceiling", "ceiling"),
    ("prefill_throughput_ceiling", "ceiling"), ("throughput_ceiling", "ceiling"), ("weights_per_device", "value"),
])
def test_bounds_have_their_kind(seed, metric, kind):
    assert seed["optimized"][metric].kind == kind


def test_every_computed_metric_is_there_for_a_moe_model(seed):
    # the seed is a MoE without a window or output tokens, with a TTFT requirement only
    absent = {"sliding_window", "kv_context_tokens", "output_tokens_max", "requirement_tpot",
              "requirement_throughput"}
    assert set(seed["original"]) == {name for name, m in METRICS.items() if m.computed} - absent


def test_formula_and_substitution_read_like_the_arithmetic(seed):
    est = seed["original"]["weights_per_device"]
    assert est.formula == "P_total*b_w/(PP*TP)"
    assert est.readings[0].substitution == "235.09e9*1/(4*2)"


def test_scenarios_default_without_any_in_the_spec():
    loaded = spec(LLAMA31_8B)
    (name, only), = loaded.default_scenarios().items()
    assert (name, only.layout, only.origin) == ("default", (1, 1, 1, 1, 8), "default")
    assert loaded.scenario("r", tp=4, pp=2).layout == (4, 2, 1, 1, 8)


def test_evaluating_a_scenario_does_not_import_sympy():
    code = ("import sys; from audit.spec.load import load_spec; from audit.physics.model import evaluate; "
            "[evaluate(sc) for sc in load_spec('reports/qwen3-235b/qwen3.yaml').scenarios.values()]; "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# --- expert parallelism and uneven pipeline splits: reports/deepseek-v3-ep ---------------------------
# DeepSeek-V3 FP8 on H200 (the catalog, via reports/deepseek-v3-ep/spec.yaml; answer-key.yaml there):
# 671.03e9 parameters; routed experts 58 * 256 * 3 * 7168 * 2048 = 653.91e9, the rest 17.12e9.

def deepseek_ep(name: str, tp: int, pp: int, dp: int, ep: int, batch: int) -> dict[str, Estimate]:
    from audit.spec.load import load_spec

    loaded = load_spec(ROOT / "reports" / "deepseek-v3-ep" / "spec.yaml")
    return evaluate(loaded.scenario(name, tp=tp, pp=pp, dp=dp, ep=ep, batch_size=batch))


@pytest.mark.parametrize("metric, which, expected", [
    # TP 8, PP 1, DP 2, EP 16, global batch 128: the experts shard over EP, the rest over TP
    ("weights_per_device", None, 17.117e9 / 8 + 653.909e9 / 16),
    # MLA latent not split by TP: 64 per replica * 8192 * 70,272 B
    ("kv_cache_per_device", None, 64 * 8192 * 70_272),
    ("kv_cache_per_device", {"kv_split": "batch"}, 64 * 8192 * 70_272 / 8),
    # routed experts 2 * 58 * 8 * 44.04e6 * 8192 = 334.80e12 over max(TP 8, EP 16); the rest
    # 767.73e12 - 334.80e12 over TP 8, at 1979e12 FLOP/s
    ("ttft_floor", None, (767.73e12 - 334.80e12) / (8 * 1979e12) + 334.80e12 / (16 * 1979e12)),
    ("prefill_flops_mlp", {"mlp_part": "routed"}, 334.80e12),
    ("device_count", None, 16),
])
def test_expert_parallel_production_layout(metric, which, expected):
    e = deepseek_ep("production", tp=8, pp=1, dp=2, ep=16, batch=128)
    assert reading(e[metric], **(which or {})) == pytest.approx(expected, rel=0.005)


@pytest.fixture(scope="module")
def uneven() -> dict[str, Estimate]:
    # 61 layers over PP 2: TP 8, DP 1, EP 8, batch 64
    return deepseek_ep("fallback", tp=8, pp=2, dp=1, ep=8, batch=64)


@pytest.mark.parametrize("metric, which, expected", [
    ("layers_per_stage", {"stage": "heaviest"}, 31),  # ceil(61 / 2)
    ("layers_per_stage", {"stage": "even"}, 30.5),
    ("weights_per_device", {"stage": "even"}, 671.03e9 / 16),  # 41.94e9
    # 31 of 61 layers of average size; embedding + lm_head (2 * 129280 * 7168 = 1.853e9) over PP:
    # (671.03e9 - 1.853e9) / 8 * 31 / 61 + 1.853e9 / 16 = 42.62e9
    ("weights_per_device", {"stage": "heaviest"}, (671.03e9 - 1.853e9) / 8 * 31 / 61 + 1.853e9 / 16),
    # the KV cache of the stage's layers on top: evenly 64 * 8192 * 70,272 / 2 stages = 18.42e9; the
    # heaviest stage holds 31 of the 61 layers' KV, 64 * 8192 * 70,272 * 31 / 61 = 18.72e9
    ("memory_per_device", {"stage": "heaviest"}, 42.62e9 + 64 * 8192 * 70_272 * 31 / 61),
    ("memory_per_device", {"stage": "even"}, 41.94e9 + 18.42e9),
])
def test_uneven_split_has_the_heaviest_stage_and_the_average(uneven, metric, which, expected):
    assert reading(uneven[metric], **which) == pytest.approx(expected, rel=0.002)


def test_heaviest_stage_is_close_to_the_real_one(uneven):
    # vLLM's split puts the extra layer first: stage 2 holds 30 MoE layers + lm_head, the heaviest:
    # 30 * (187.105e6 attention + 11,320.16e6 MoE) + 926.68e6 = 346.15e9 params / TP 8 = 43.27e9 B
    assert reading(uneven["weights_per_device"], stage="heaviest") == pytest.approx(43.27e9, rel=0.02)


@pytest.mark.parametrize(("model", "tp", "expected"), [
    (LLAMA31_70B, 4, 8 / 4),  # 8 KV heads over TP 4: 2 each
    (LLAMA31_70B, 8, 8 / 8),
    (LLAMA31_70B, 16, 8 / 8),  # TP 16 > 8 KV heads: each head on 2 ranks, still one per device
    (QWEN3_235B, 8, 4 / 4),  # 4 KV heads, TP 8: replicated beyond 4
    (PALM_540B, 64, 1 / 1),  # multi-query: the one KV head everywhere
])
def test_kv_heads_per_device(model, tp, expected):
    assert estimates(model, tp=tp)["kv_heads_per_device"].value == expected
