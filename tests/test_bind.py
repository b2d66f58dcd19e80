"""Bind: the words around a figure name its metric. A table of phrases as reports write them, each
with the metric a reviewer reads in it; the first figure of the line is the one judged."""

from __future__ import annotations

import pytest

from audit.bind import bind
from audit.bind.vocabulary import load_vocabulary
from audit.extract import extract
from audit.physics.formulas import METRICS


def metric_of(line: str, figure: int = 0) -> str | None:
    claims = bind(extract(line), {}, load_vocabulary())
    return claims[figure].metric


@pytest.mark.parametrize(("line", "metric"), [
    # memory
    ("- Model weights per GPU: 2.86 GB", "weights_per_device"),
    ("- KV cache per GPU: 15.8 GB", "kv_cache_per_device"),
    ("- Total per GPU: 45.2 GB", "memory_per_device"),
    ("- Memory utilization: 70.6%", "memory_utilization"),
    ("- KV cache per token: 96,256 bytes", "kv_cache_per_token"),
    ("Each token of context costs 320 KiB of KV cache.", "kv_cache_per_token"),
    ("- Checkpoint size: 470 GB", "weights_total"),
    # the model and the hardware
    ("- Total parameters: 235B", "params_total"),
    ("- Active parameters: 22B", "params_active"),
    ("- Layers: 94", "layers"),
    ("- KV heads: 4", "kv_heads"),
    ("- 64 attention heads", "heads"),
    ("- Head dimension: 128", "head_dim"),
    ("- 128 experts, 8 active per token", "experts"),
    ("- HBM bandwidth: 3.35 TB/s", "memory_bandwidth"),
    ("- Peak FP8 compute: 400 TFLOPS", "peak_flops"),
    ("- NVLink: 900 GB/s", "interconnect_bandwidth"),
    ("- GPU memory: 80 GB", "memory_capacity"),
    # the layout
    ("- Tensor Parallel (TP): 4", "tp"),
    ("- TP=4", "tp"),
    ("- Pipeline Parallel: 2", "pp"),
    ("- DP=2", "dp"),
    ("- Expert parallelism: 8", "ep"),
    ("- Batch size: 128", "batch_size"),
    ("- 32 GPUs in total", "device_count"),
    ("- Heads per GPU: 16", "heads_per_device"),
    ("- KV heads per GPU: 1", "kv_heads_per_device"),
    ("- Layers per stage: 24", "layers_per_stage"),
    ("- Prompt length: 10240 tokens", "input_tokens"),
    # compute
    ("- Prefill FLOPs: 603 TFLOPs", "prefill_flops"),
    ("- Attention FLOPs: 299 TFLOPs", "prefill_flops_attention"),
    ("- MoE FLOPs: 292 TFLOPs", "prefill_flops_mlp"),
    ("- MFU: 45%", "compute_utilization"),
    # time
    ("- TTFT: 0.8 s", "ttft"),
    ("- Time to first token: 2.1 s", "ttft"),
    ("- TPOT: 40 ms", "decode_step_time"),
    ("- Inter-token latency: 25 ms", "decode_step_time"),
    ("- Decode step time: 12 ms", "decode_step_time"),
    ("- Prefill of the whole batch: 24 s", "batch_prefill_time"),
    ("- End-to-end latency: 30 s", "e2e_latency"),
    ("- TTFT requirement: 30 s", "requirement_ttft"),
    # throughput
    ("- Decode throughput: 1,700 tokens/s", "decode_throughput"),
    ("- Prefill throughput: 54K tokens/s", "prefill_throughput"),
    ("- Throughput: 12K tokens/s", "throughput"),
    ("- 3.5x faster than the original", "ratio"),
])
def test_phrase_names_its_metric(line, metric):
    assert metric_of(line) == metric


@pytest.mark.parametrize(("line", "figure", "metric"), [
    # what a figure is part of, or a multiple of
    ("- Aggregate HBM bandwidth across the 32 devices: 57.6 TB/s", 1, None),  # a total, not a device's
    ("- 186 GB per GPU, 8 TB/s; 13.4 TB and 576 TB/s for the rack", 3, None),
    ("- A replica needs 2 GPUs, one per TP rank", 0, "devices_per_replica"),
    ("- 64 chips span 16 hosts of 4 chips", 2, "devices_per_node"),
    ("- B splits the 8 KV heads 4 per GPU", 0, "kv_heads"),  # "per GPU" is the 4's
    ("- B splits the 8 KV heads 4 per GPU", 1, "kv_heads_per_device"),
    ("- Per-replica batch: 64 sequences", 0, "batch_per_replica"),
    ("- A TP2 pair has 2.61 PFLOPS dense, so the floor is 0.49 s", 0, None),  # a group's, not a device's peak
    ("- Each GPU has 1,307 TFLOPS dense", 0, "peak_flops"),
    # what a figure is not
    ("- Tested on the Data Center GPU Max 1550 GPU", 0, None),  # a product's number
    ("- The NVMe SSD reads at 7 GB/s, so loading takes a while", 0, None),
    ("- Achieved HBM bandwidth: 2.4 TB/s", 0, "achieved_bandwidth"),
    ("- Measured 520 TFLOPS per device during prefill", 0, "achieved_flops"),
    ("- Expert parameters: 227.1B", 0, "params_experts"),
    ("- Attention and embeddings are 1.5B of non-expert parameters", 0, None),
    # a requirement by its line's label; a time by the work written before it
    ("**Requirement:** TTFT ≤ 1.5 s.", 0, "requirement_ttft"),
    ("Time at peak: 2.63 PFLOPs / (8 × 1,979 TFLOPS) ≈ 0.17 s", 3, "ttft"),
    ("Step: (16.1 GB + 12.9 GB) / 2.039 TB/s ≈ 14.2 ms", 3, "decode_step_time"),
    ("- Context length: 10,240 tokens", 0, "context_tokens"),
    ("- Offline at batch 128 and 2K context the KV cache needs 34.4 GB", 1, "context_tokens"),  # not a batch
    ("- Llama-3.1 supports a 128K context window", 0, None),  # the model's window, not the workload's
    ("- Max context length: 20,000 tokens", 0, "context_tokens"),  # the workload's longest
    ("- The router balances 64 contexts across the replicas", 0, None),  # a count of contexts
    # a device as the subject: its share of the model
    ("- TP4: a GPU holds 16 query heads and 2 KV heads", 0, "heads_per_device"),
    ("- TP4: a GPU holds 16 query heads and 2 KV heads", 1, "kv_heads_per_device"),
    ("- With EP16 a GPU keeps 8 experts per layer", 0, None),  # no metric counts a device's experts
    ("- Only the 8 routed experts are read per token", 0, "experts_per_token"),
    ("- Only 8 of its 128 experts fire per token", 1, "experts"),
    # what a clause restates; devices busy at once
    ("- The 1.55K was per replica, i.e. 4 cards", 1, "devices_per_replica"),
    ("- Stages run in series, 8 GPUs at a time", 0, "device_group"),
    # a command-line flag's value is named by its flag, not by the next flag
    ("`serve --input-len 2048 --output-len 512 --max-concurrency 128`", 1, None),
    ("`serve --input-len 2048 --output-len 512 --max-concurrency 128`", 2, "batch_size"),
    ("- `--max-num-batched-tokens` defaults to 8192", 0, None),
    ("`vllm serve --tensor-parallel-size 4 --pipeline-parallel-size 2`", 1, "pp"),
    # words after the figure that describe a device say nothing of what the figure counts
    ("- The weights take 16 GB in BF16, which is more than a GPU has", 0, "weights_total"),
    ("- TTFT--the time to first token--is 120 ms", 0, "ttft"),  # an em-dash written "--" is no flag
    # words after "and" that lead to the next figure are that figure's
    ("- Realistic at 45% MFU: ~0.95 s on A/C and a burst of 32 prompts needs 6.8 s", 1, "ttft"),
    ("- Realistic at 45% MFU: ~0.95 s on A/C and a burst of 32 prompts needs 6.8 s", 3, "batch_prefill_time"),
    # the words inside a figure name its phase ("200K decode tok/s"), before its unit names a rate
    ("i.e. up to 256 / 1.25 ms ≈ 200K decode tok/s per node.", 2, "decode_throughput"),
    ("Our pool does 30.1K × 32 GPUs ≈ 960K output tok/s at peak.", 2, "decode_throughput"),
    ("- Decode: 9.6k generated tokens/s across the pool", 0, "decode_throughput"),
    ("- 48K input tokens/s per node at 100% MFU", 0, "prefill_throughput"),
    ("- The node serves 12K tok/s", 0, "throughput"),
    # "slowed" is no SLO: a requirement's words are whole words
    ("- Decode slowed too: 69.0 GB / 2.039 TB/s ≈ 34 ms", 2, "decode_step_time"),
    ("- ITL SLO: 50 ms", 0, "requirement_tpot"),
    # a bare number whose own words name a throughput is a token rate
    ("- In per-GPU terms the 25.2K pool throughput is ~3.2K tok/s per GPU", 0, "throughput"),
    ("- The pool serves 25.2K users", 0, "batch_size"),  # users: a count still
    # an expression's result takes the words that lead into it
    ("On the pair a full prompt is 279.6 / (835.5 × 0.45) ≈ 0.74 s at 45% MFU.", 3, "ttft"),
    ("16 prompts landing together need 16 × 279.6 / (2 × 835.5) ≈ 2.7 s at peak.", 5, "batch_prefill_time"),
    # a share kept back is no utilisation; a heading's number is no figure
    ("- Largest batch if 10% of HBM is kept for activations", 0, None),
    ("- Memory utilization: 10%", 0, "memory_utilization"),
    # a figure whose own words name a component is a part of what the line's label names
    ("- weights per GPU: 17.1 GB dense part + 653.9 GB / 16 = 40.9 GB experts → 58.0 GB", 3, None),
    ("- weights per GPU: 17.1 GB dense part + 653.9 GB / 16 = 40.9 GB experts → 58.0 GB", 4, "weights_per_device"),
    ("- Weights per GPU: 40.9 GB", 0, "weights_per_device"),
    # an arrow or a middle dot ends a figure's clause: what follows it counts something else
    ("- 61 layers → 31 + 30 per stage · 16 GPUs", 0, "layers"),
    ("- 31 layers per stage · 16 GPUs", 0, "layers_per_stage"),
    # what the weights are subtracted from, and what is left after them
    ("- The pool is 0.9 × 80 GiB = 77.3 GB minus the weights: 8.3 GB per GPU", 2, None),
    ("- The pool is 0.9 × 80 GiB = 77.3 GB minus the weights: 8.3 GB per GPU", 3, "free_memory"),
    ("- The weights: 8.3 GB per GPU", 0, "weights_per_device"),
    ("> 0.9 × 141 = 126.9 GB usable, minus 50.7 GB of weights = 76.2 GB for KV per GPU.", 4, "free_memory"),
    # serving capacity is no memory; some of the GPUs are not the deployment's; a threshold is no batch
    ("- One replica down costs 25% of capacity instead of 12.5%", 0, None),
    ("- Memory use: 59% of the 80 GB capacity", 0, "memory_utilization"),
    ("- Lost one replica: the remaining 4 GPUs serve 32 seqs at most", 0, None),
    ("- Use scheme B only when concurrency grows over ~60", 0, None),
    ("- Tomás: 48 fewer GPUs with B, i.e. 40% fewer", 0, None),  # a difference, not the deployment's
    ("- 64 concurrent sequences already touch ~126 of the 128 experts", 0, None),  # a threshold: "even at 64"
    ("- the matmuls cost 3,308 TFLOP and the attention products only 4.3 TFLOP", 1, "prefill_flops_attention"),
    ("- Rerun bf16-pp at 256 seqs once the hang is fixed", 0, "batch_size"),  # "pp" inside a name is no PP
    ("| | A |\n|---|---|\n| Conversation memory per GPU | 3.4 GB |\n", 0, "kv_cache_per_device"),  # the KV in words
    ("- Canary on one node first (8 replicas, half the pool)", 0, None),  # some of them
    ("| | A |\n|---|---|\n| GPUs | 16 (2 nodes) |\n", 1, None),  # what its own noun counts, not the row
    ("| | A |\n|---|---|\n| GPUs | 16 (2 nodes) |\n", 0, "device_count"),
    ("- B needs 16 GPUs", 0, "device_count"),
    ("- The rack's 72 GPUs hold nine TP8 replicas", 0, None),  # the rack's, not the deployment's
    # one token's KV on one device, as the device's own words say
    ("- With one KV head per GPU, each FP8-TP8 GPU stores 64.5 KB per token", 0, "kv_cache_per_token_per_device"),
    ("- KV cache per token: 516 KB", 0, "kv_cache_per_token"),
    ("- chat: 77.3 - 35.3 = 42.0 GB for KV per GPU", 2, "free_memory"),  # what is left, not the cache
    # room for sequences is not the batch
    ("- The KV pool holds barely 12 full-length sequences per replica", 0, None),
    ("- What is left fits 40 sequences", 0, None),
    ("- Each replica runs 32 sequences per replica at peak", 0, "batch_per_replica"),
    ("- The scheduler keeps 64 concurrent requests", 0, "batch_size"),
    # an engine's room for a cache is not the workload's cache
    ("- KV cache per GPU: 15.8 GB", 0, "kv_cache_per_device"),
    ("- With 0.90 utilisation the KV pool is ~98 GB per GPU", 1, None),
    # the devices of one replica or node, by their owner
    ("- Spread over a Flash replica's 8 GPUs, that is 96 TFLOP each", 0, "devices_per_replica"),
    ("- Output per compute tray (4 GPUs): 10.2K tok/s", 0, "devices_per_node"),
    ("- Each p5.48xlarge instance (8 GPUs) holds half a replica", 0, "device_group"),  # a cloud's node or a replica
    ("- The deployment spans 64 GPUs", 0, "device_count"),
    # what a step reads of the weights is not what a device holds
    ("- C1 would still read 12.9 GB of weights per GPU per step", 0, None),
    ("- Each GPU holds 46.7 GB of weights", 0, "weights_per_device"),
    # a figure's own noun right after it names it before the line's label does
    ("- Headroom on B: 256 chats → 68.7 GB KV", 1, "kv_cache_total"),
    # the words right after a figure are its own, not the arithmetic's that follows them
    ("- A: 64 chats per replica hit all experts: 8 × (1 − 0.75^64) ≈ 8.0 of 8", 4, None),
    ("| | tp2 |\n|---|---|\n| KV cache per token held on one GPU (KiB) | 160 |", 0, "kv_cache_per_token_per_device"),
    # a deployment's counts are whole: a fraction is a need worked out on the way to a size
    ("- 1,832 sequences → 38.2 replicas", 1, None),
    ("- That is 4 replicas", 0, "dp"),
    # what one could take before memory runs out is no batch
    ("- Option 1 could take about 122 sequences per replica before HBM runs out", 0, None),
    ("- 42.0 GB left for KV → ~100 full-length seqs per replica", 1, None),  # how many fit at full length
    ("- Each replica runs 32 sequences of 4K tokens", 0, "batch_per_replica"),
    # a component's weights are a part of what a device holds, not all of it
    ("- every GPU keeps its own 17.1 GB of non-expert weights", 0, None),
    ("- 46.7B params total, 12.9B params active", 1, "params_active"),
    # "of dim 128" after heads is their dimension; a RoPE dim is no head's
    ("- 32 layers, 8 KV heads of dim 128", 2, "head_dim"),
    ("- MLA with a decoupled RoPE dim 64", 0, None),
])
def test_what_a_figure_counts(line, figure, metric):
    assert metric_of(line, figure) == metric


def test_every_vocabulary_metric_is_a_metric_of_the_registry():
    for term in load_vocabulary():
        assert term.metric in METRICS
        assert term.unit == METRICS[term.metric].unit


def test_a_figure_nothing_names_is_unbound():
    assert metric_of("- Sprint 14 retrospective: 3 items") is None


@pytest.mark.parametrize(("header", "row", "metric"), [
    ("| layout | Weights per GPU |", "| tp8 | 14.7 GB |", "weights_per_device"),  # a row per scenario: the column
    ("| Item | v2 |", "| Weights / GPU, tp8 | 14.7 GB |", "weights_per_device"),  # the row's words beside the name
    ("| Item | v2 |", "| TTFT floor (tp8) | 11 ms |", "ttft"),
    ("| Item | v2 |", "| tp8 (measured) | 11 ms |", None),  # nothing but the scenario names it
])
def test_a_row_label_naming_a_scenario_names_the_metric_with_its_other_words(header, row, metric):
    claims = bind(extract(f"{header}\n|---|---|\n{row}\n"), {"tp8": [], "tp4": []}, load_vocabulary())
    assert (claims[0].metric, claims[0].scenario) == (metric, "tp8")


# the spec: Llama-3.1-70B on H100-SXM (with the catalog's aliases, as `Auditor.names` gives them)
OURS = ("Llama-3.1-70B", "meta-llama/Llama-3.1-70B", "H100-SXM", "H100")


@pytest.mark.parametrize(("line", "figure", "other"), [
    ("- The weights take 141 GB, so TP 2 on H100 gives 70.6 GB per GPU", 0, ""),
    ("- Llama 70B needs 141 GB of weights", 0, ""),  # the same model, written short
    ("- Llama-3.1-8B, by comparison, has 8.03B parameters", 0, "Llama-3.1-8B"),
    ("- Llama-2-70B had no GQA: 2.5 MB of KV per token", 0, "Llama-2-70B"),  # another version
    ("- An A100 has 80 GB of HBM and 2.0 TB/s, an H100 3.35 TB/s", 1, "A100"),
    ("- An A100 has 80 GB of HBM and 2.0 TB/s, an H100 3.35 TB/s", 2, ""),  # the spec's, named nearer
    ("- It will not fit into Trillium's 32GiB of HBM", 0, "Trillium"),
    ("| Accelerator | HBM |\n|---|---|\n| MI300X | 192 GB |", 0, "MI300X"),
    ("- Our old A100s have 40 GB", 0, "A100s"),
    ("- An H20 has 96 GB of HBM", 0, "H20"),
    ("- GPTQ-quantized weights: 35 GB per GPU", 0, ""),  # a quantisation method, not GPT
    ("- Llama 3 has 80 layers", 0, ""),  # the version written short
    ("- Unlike DeepSeek-V3, we use GQA. Our KV cache per token is 320 KB", 0, ""),  # another sentence's name
    ("- For example, if a model has 24 layers and 4 GPUs", 0, "a model"),  # some model, in general
    ("- The 1T parameter model contains 128 layers", 1, "1T parameter model"),  # another size
    ("- Each model replica holds 35 GB of weights per GPU", 0, ""),  # a replica of the spec's model
    ("- The model has 80 layers", 0, ""),
    ("- The 70B parameter model has 80 layers", 1, ""),  # the spec's size: ours
    ("- Each layer of the model has 64 heads", 0, ""),  # "a"/"each layer of the model" is no other model
    ("- DeepseekV2-Chat got 60 layers, so 30 layers go to each GPU", 0, "DeepseekV2"),  # no separator
    # a model's own figure its sentence names no model for is about the model its paragraph or section names
    ("Qwen3-Next does not support TP 16. Since this model has 16 query heads, GQA degenerates.", 1, "Qwen3"),
    ("## bert-base\n\n- 12 attention heads\n", 0, "bert"),
    ("## Llama-3.1-70B on H100\n\n- 64 attention heads\n", 0, ""),  # the spec's model
    ("## Llama-3.1-70B vs Llama-3.1-8B\n\n- 64 attention heads\n", 0, ""),  # ours among them: unsure, ours
    ("## bert-base\n\n- 80 GB of HBM per GPU\n", 0, ""),  # no model's own figure
])
def test_a_figure_about_another_model_or_accelerator_says_which(line, figure, other):
    from audit.bind.about import spec_names

    claims = bind(extract(line), {}, load_vocabulary(), names=spec_names(OURS))
    assert claims[figure].about == other


@pytest.mark.parametrize(("line", "other"), [
    ("- MI300X is rated at 1.3 PFLOPS BF16", ""),  # the spec's card, named without its memory
    ("- An MI325X has 256 GB of HBM", "MI325X"),
])
def test_a_card_named_with_its_memory_is_the_card(line, other):
    from audit.bind.about import spec_names

    claims = bind(extract(line), {}, load_vocabulary(), names=spec_names(["DeepSeek-V3", "AMD Instinct MI300X 192GB"]))
    assert claims[0].about == other


@pytest.mark.parametrize(("named", "ours", "same"), [
    ("MI300X", "AMD Instinct MI300X 192GB", True),  # the card's memory is no part of its name
    ("H20", "NVIDIA H200 141GB", False),  # one digit short of the spec's card: another card
    ("A10", "NVIDIA A100 80GB", False),
    ("H100", "H100-SXM", True),
])
def test_a_card_is_the_specs_by_its_name_less_its_memory(named, ours, same):
    from audit.bind.about import _key, _same_accelerator

    assert _same_accelerator(named, _key(ours)) is same


def test_a_spec_named_nothing_recognisable_has_no_others():
    from audit.bind.about import spec_names

    claims = bind(extract("- Llama-3.1-8B has 8.03B parameters"), {}, load_vocabulary(),
                  names=spec_names(["tiny", "64 GB accelerator"]))
    assert claims[0].about == ""


@pytest.mark.parametrize(("line", "scenario"), [
    ("- On A the floor is 0.48 s", "opt_a"),
    ("- At a realistic 40% MFU that's 1.2 s", None),  # "a" is an article, not option A
    ("- Option B: 0.24 s", "opt_b"),
    ("- A realistic 40% MFU gives 1.2 s", None),  # the article that starts a sentence
    ("- At 8K, TTFT is 0.3 s", "8k"),  # two characters: any case
    ("- b ttft p50 0.71 s", "opt_b"),  # no article: a lowercase letter before a word still names it
])
def test_a_one_letter_scenario_name_is_a_name_only_as_written(line, scenario):
    claims = bind(extract(line), {"opt_a": ["A", "option A"], "opt_b": ["B", "b", "option B"], "8k": []},
                  load_vocabulary())
    assert claims[-1].scenario == scenario


@pytest.mark.parametrize(("line", "scenario"), [
    ("- with that, B needs 20 GiB of KV per GPU", "optB"),  # the letter its name ends in, inside a sentence
    ("- each B card holds 2.5 GiB of KV", "optB"),
    ("- A: keep 10% of the card, so 68 GB per GPU for KV", None),  # the answer of a Q & A, not option A
    ("| Generated tok/s, whole cluster (Annex A.5) | 5,333 |", None),  # a part of the document, not option A
    ("- Table B gives 4,923 tok/s", None),
    ("- At a realistic 40% MFU that's 1.2 s", None),
])
def test_names_that_differ_by_a_last_letter_are_called_by_it(line, scenario):
    claims = bind(extract(line), {"optA": [], "optB": []}, load_vocabulary())
    assert claims[-1].scenario == scenario


def test_a_times_sign_or_a_pronoun_is_no_letter_alias():
    claims = bind(extract("- the node does 4 X 400 TFLOPS, as I said"), {"layout_x": [], "layout_i": []}, load_vocabulary())
    assert all(c.scenario is None for c in claims)


def test_names_that_differ_by_more_than_a_letter_have_no_letter_alias():
    claims = bind(extract("- with that, B needs 20 GiB of KV per GPU"), {"optA": [], "planB": []}, load_vocabulary())
    assert claims[-1].scenario is None


_LAYOUTS = {"before": {"tp": 4, "dp": 8, "batch_size": 256}, "incident": {"tp": 2, "dp": 16, "batch_size": 512},
            "fix": {"tp": 4, "dp": 8, "batch_size": 384}}


@pytest.mark.parametrize(("text", "figure", "evidence"), [
    # under the incident's heading, a layout another scenario has is contested: a warning at most
    ("## Incident\n\n- PR #4471 moved the pool from 8 replicas of TP=4 to TP=2\n", 0, "contested"),
    ("## Incident\n\n- PR #4471 moved the pool from 8 replicas of TP=4 to TP=2\n", 1, "section"),
    ("## Incident\n\n- The pool then served a batch of 384 sequences\n", 0, "contested"),
    ("## Incident\n\n- TP=8 across 4 replicas\n", 0, "section"),  # no scenario has it: a contradiction of the section's
    ("## Incident\n\n- The incident ran TP=4\n", 0, "clause"),  # its own clause names the scenario
])
def test_a_layout_figure_another_scenario_has_is_contested(text, figure, evidence):
    claims = bind(extract(text), {name: [] for name in _LAYOUTS}, load_vocabulary(), layouts=_LAYOUTS)
    layout = [c for c in claims if c.metric in ("tp", "dp", "batch_size")]
    assert layout[figure].scenario == "incident" and layout[figure].evidence.scenario == evidence


def test_a_layout_a_heading_sets_beside_another_scenarios_name_is_contested():
    # "TP=4 vs the incident": the heading names one scenario, and its TP=4 is another's (before's, fix's)
    claims = bind(extract("# Pool: TP=4 vs the incident\n\nText.\n"), {name: [] for name in _LAYOUTS},
                  load_vocabulary(), layouts=_LAYOUTS)
    [tp] = [c for c in claims if c.metric == "tp"]
    assert (tp.scenario, tp.evidence.scenario) == ("incident", "contested")


@pytest.mark.parametrize(("line", "scenarios"), [
    # a short parenthesis right after a figure names its scenario; one that compares does not
    ("- At 40% MFU: TTFT 32 ms (tp8) and 95 ms (ep8) for an 8K prompt", ["tp8", "ep8"]),
    # the part of its sentence after a ";" names it before the rest does
    ("- Option tp8 needs two 8-GPU servers (16 GPUs); Option ep8 fits on one (8 GPUs)", ["tp8", "ep8"]),
    # a parenthesis after the figure's noun names it too, unless it holds a figure of its own
    ("- Can we raise tp8 back to 16 GPUs (\"ep8\")?", ["ep8"]),
    ("- tp8 uses 16 GPUs (8 for ep8)", ["tp8"]),
    ("## tp8\n\n- TTFT is 95 ms on this layout (ep8 halves this)", ["tp8"]),  # a clause, not a name
    # a parenthesis about where a figure comes from names no scenario of its own
    ("## ep8\n\n- TTFT is now 95 ms (down from tp8)", ["ep8"]),
])
def test_the_nearest_words_name_a_figures_scenario(line, scenarios):
    claims = bind(extract(line), {"tp8": [], "ep8": []}, load_vocabulary())
    assert [c.scenario for c in claims if c.metric in ("ttft", "device_count")] == scenarios


@pytest.mark.parametrize(("line", "figures"), [
    # the number of a scenario's name is no figure; a number after a noun that names nothing is one
    ("So Setup 1 needs 0.53x the GPUs of Setup 2.", ["0.53x"]),
    ("Option 2 serves 4,000 tok/s.", ["4,000 tok/s"]),
    ("Setup 1 runs on 2 GPUs.", ["2"]),
    ("batch 64 holds 12 GB of KV.", ["64", "12 GB"]),  # "batch 64" is a scenario's name and its batch size
])
def test_the_number_of_a_scenarios_name_is_no_figure(line, figures):
    claims = bind(extract(line), {"setup1": ["Setup 1"], "setup2": ["Setup 2"], "opt2": ["Option 2"],
                                  "b64": ["batch 64"]}, load_vocabulary())
    assert [c.figure.strip() for c in claims] == figures
    assert [c.index for c in claims] == list(range(len(claims)))


@pytest.mark.parametrize(("line", "scenario"), [
    # the scenario its sentence names beats the layout "the pair" would make it (TP 2)
    ("- Setup 2 does 2,690 tok/s on the pair", "setup2"),
    ("- It does 1,420 tok/s on the pair", "setup1"),  # the pair alone: the TP2 scenario
])
def test_a_name_in_its_sentence_beats_a_layout_a_word_implies(line, scenario):
    layouts = {"setup1": {"tp": 2, "pp": 1, "dp": 1}, "setup2": {"tp": 1, "pp": 1, "dp": 2}}
    claims = bind(extract(line), {"setup1": ["Setup 1"], "setup2": ["Setup 2"]}, load_vocabulary(), layouts)
    assert claims[-1].scenario == scenario


@pytest.mark.parametrize(("text", "scenario"), [
    # a list naming no scenario whose layout fits one is that one's
    ("- TP=4, DP=4\n- per GPU: 16 query heads\n", "pool-b"),
    # a list whose items name both is about both: a figure no item names is no one's
    ("- pool-a: 16 GPUs, one replica per box\n- pool-b: 4 replicas per box\n- per GPU: 16 query heads\n", None),
    # a layout along an axis no scenario has (sequence parallelism) is none of theirs, whatever its DP
    ("- 2D parallelism (SP=2, DP=4) across 8 GPUs\n- per GPU: 16 query heads\n", None),
    ("- 2D parallelism (TP=4, DP=4) across 16 GPUs\n- per GPU: 16 query heads\n", "pool-b"),
])
def test_a_list_is_the_scenario_its_layout_fits_unless_it_names_two(text, scenario):
    layouts = {"pool-a": {"tp": 8, "pp": 1, "dp": 2, "ep": 1}, "pool-b": {"tp": 4, "pp": 1, "dp": 4, "ep": 1}}
    claims = bind(extract(text), {"pool-a": [], "pool-b": []}, load_vocabulary(), layouts)
    [heads] = [c for c in claims if c.metric == "heads_per_device"]
    assert heads.scenario == scenario


def test_a_chat_messages_speaker_names_no_scenario_for_sure():
    # "[10:15 AM] ep8: ..." is who says it: a scenario named so is known as loosely as by an earlier sentence
    [gpus] = bind(extract("- [10:15 AM] ep8: a replica is 2 GPUs"), {"tp8": [], "ep8": []}, load_vocabulary())
    assert (gpus.scenario, gpus.evidence.scenario) == ("ep8", "sentence")


_TWO = {"before": ["TP16"], "after": ["DP16"]}


@pytest.mark.parametrize(("text", "scenario", "evidence"), [
    # an earlier sentence of the paragraph names the scenario of the sentences after it, over the section's
    # title: a warning at most, since the section says otherwise
    ("## After: DP16\n\nSince March we ran one TP16 instance. Each GPU held 41.9 GB of weights.\n",
     "before", "paragraph"),
    # the paragraph agrees with its section: as sure as the section alone
    ("## After: DP16\n\nThe change moved to DP16. Each GPU holds 58 GB of weights.\n", "after", "section"),
    # a paragraph naming both ("than under TP16") names neither: its section decides
    ("## After: DP16\n\nThe change moved to DP16, 38% more weight than under TP16. Each GPU holds 58 GB of weights.\n",
     "after", "section"),
    # a list item is no sentence of a paragraph: an earlier item's scenario is not its own
    ("## After: DP16\n\n- we ran one TP16 instance\n- each GPU holds 58 GB of weights\n", "after", "section"),
    # a later sentence is no context of an earlier one
    ("## After: DP16\n\nEach GPU holds 58 GB of weights. We ran one TP16 instance before.\n", "after", "section"),
])
def test_an_earlier_sentence_of_its_paragraph_names_a_figures_scenario(text, scenario, evidence):
    claims = bind(extract(text), _TWO, load_vocabulary())
    [weights] = [c for c in claims if c.metric == "weights_per_device"]
    assert (weights.scenario, weights.evidence.scenario) == (scenario, evidence)


@pytest.mark.parametrize(("line", "about"), [
    # two values of one degree a sentence joins as options are the choices it lists, none the deployment's
    ("Choose TP=1 or TP=2 according to the available devices.", ["one of the options its sentence lists"] * 2),
    ("To deploy TP=2, TP=4, or ZeRO over 2 or 4 GPUs the network matters.", ["one of the options its sentence lists"] * 3),
    ("We run TP=4, and 16 GPUs in all.", ["", ""]),  # two figures of two kinds: no options
])
def test_options_a_sentence_lists_are_no_layout(line, about):
    claims = bind(extract(line), {}, load_vocabulary())
    assert [c.about for c in claims if c.metric in ("tp", "device_count")] == about


@pytest.mark.parametrize(("table", "about"), [
    # a table that sizes a fleet for a demand counts that fleet's GPUs, not the deployment's
    ("### Fleet (Q1 forecast: 120K tok/s)\n\n| Option | Nodes needed | GPUs |\n|---|---|---|\n| current | 20 | 160 |\n",
     "a fleet sized for a demand"),
    ("### Layouts\n\n| Option | Nodes | GPUs |\n|---|---|---|\n| current | 4 | 32 |\n", ""),
    # so does a sentence that sizes one: a conditional, or a demand it is for
    ("- Meeting the target with current's layout would take 36 GPUs\n", "a fleet sized for a demand"),
    ("- For 12,000 tok/s: 12,000 / 333 = 36 GPUs with current's layout\n", "a fleet sized for a demand"),
    ("- For 100K decode tok/s: 7.5 nodes, i.e. 60 GPUs of current\n", "a fleet sized for a demand"),  # its lead's demand
    ("- The current layout takes 32 GPUs\n", ""),
    ("- For every million daily users we estimate about 2,064 GPUs\n", "a fleet sized for a demand"),
    ("- B: 3,000 / 1,024 → 3 nodes (24 GPUs)\n", "a fleet sized for a demand"),  # a demand divided into nodes
    ("## GPUs needed for the Q3 forecast\n\n- We need 24 GPUs\n", "a fleet sized for a demand"),
    ("- Go with current: 5 nodes, 40 GPUs\n", "a fleet of 5 nodes"),  # devices given with the nodes that hold them
    ("- Go with current: one node, 8 GPUs\n", ""),
])
def test_a_fleet_sized_for_a_demand_is_not_the_deployment(table, about):
    claims = bind(extract(table), {"current": []}, load_vocabulary())
    [gpus] = [c for c in claims if c.metric == "device_count"]
    assert gpus.about == about


@pytest.mark.parametrize(("text", "layout"), [
    ("with TP=4 each GPU holds", {"tp": 4}),
    ("16 prompts landing together on the pair need", {"tp": 2}),  # one request's devices
    ("and on a single card", {"tp": 1}),
    ("spread on a pair of nodes", {}),  # nodes, not a TP group
    ("from TP=2 to TP=1", {}),  # two layouts
])
def test_a_clause_names_its_layout(text, layout):
    from audit.bind.scope import layout_named

    assert layout_named(text) == layout


@pytest.mark.parametrize(("line", "figure", "qualifier"), [
    ("- In per-GPU terms the 25.2K pool throughput is ~3.2K tok/s per GPU", 0, ""),  # its own noun: the pool's
    ("- In per-GPU terms the 25.2K pool throughput is ~3.2K tok/s per GPU", 1, "per_device"),
    ("- In per-GPU terms: 3.2K tok/s", 0, "per_device"),
])
def test_what_a_rate_counts_over(line, figure, qualifier):
    claims = bind(extract(line), {}, load_vocabulary())
    assert claims[figure].qualifier == qualifier


def test_a_corner_cell_naming_the_rows_makes_their_figures_one_rows_own():
    table = ("| replica | GPUs | decode tok/s | tok/s/GPU |\n|---|---|---|---|\n"
             "| b-0 | 4 | 5.93K tok/s | 1,482 tok/s |\n")
    claims = bind(extract(table), {"pool_b": ["b-0"]}, load_vocabulary())
    gpus, rate, per_gpu = claims
    assert gpus.metric == "devices_per_replica"  # 4 GPUs of one replica, not the deployment's
    assert "per_replica" in rate.qualifier.split() and "per_device" in per_gpu.qualifier.split()


@pytest.mark.parametrize(("row", "qualifier"), [
    ("| Decode measured (tok/s) | 2.3K |", "per_device"),  # the corner's "per GPU"
    ("| Decode measured, node (tok/s) | 18.2K |", ""),  # the row notes its own count
])
def test_a_row_noting_what_it_counts_over_overrides_its_corner_cell(row, qualifier):
    table = f"| per GPU unless noted | tp4 |\n|---|---|\n{row}\n"
    [rate] = bind(extract(table), {"tp4": []}, load_vocabulary())
    assert rate.qualifier == qualifier


@pytest.mark.parametrize(("row", "metric"), [
    ("| HBM per GPU, GB (% of 141 GB) | 79.9 (57%) |", "memory_per_device"),  # its own share: memory in use
    ("| HBM per GPU, GB | 141 |", "memory_capacity"),
])
def test_a_devices_memory_with_its_own_share_is_memory_in_use(row, metric):
    claims = bind(extract(f"| | tp8 |\n|---|---|\n{row}\n"), {"tp8": []}, load_vocabulary())
    assert claims[0].metric == metric


def test_a_column_header_says_what_its_cells_count_over():
    table = "| Layout | GPUs / replica | GPUs |\n|---|---|---|\n| tp1x8 | 1 | 8 |\n"
    per_replica, gpus = bind(extract(table), {"tp1x8": ["A"]}, load_vocabulary())
    assert (per_replica.metric, gpus.metric) == ("devices_per_replica", "device_count")
