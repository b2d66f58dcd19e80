"""The catalog (names, aliases, published figures), Hugging Face config conversion (`spec from-hf`),
and catalog specs under `audit check`.

Sources: published figures (ISCA'25 "Insights into DeepSeek-V3", Table 1; the models' cards), the
models' Hugging Face config.json files (tests/data/specs/hf_configs.yaml, provenance in its header),
vendor datasheets, and hand arithmetic written out next to each row.
"""

from __future__ import annotations

import json
import re
from argparse import Namespace
from pathlib import Path

import pytest
import yaml

from audit.cli import main
from audit.commands import catalog as catalog_command
from audit.commands import spec as spec_command
from audit.errors import AuditError
from audit.physics.model import evaluate
from audit.records import Estimate
from audit.spec.catalog import accelerators, hardware_entry, hardware_name, model_entry, model_name, models
from audit.spec.hf import SUPPORTED_MODEL_TYPES, precision_from_hf_config, spec_from_hf_config
from audit.spec.load import load_spec
from audit.spec.schema import Hardware, ModelSpec

HF_CONFIGS = yaml.safe_load((Path(__file__).parent / "data" / "specs" / "hf_configs.yaml").read_text())["models"]
HF_SUPPORTED = [n for n, m in HF_CONFIGS.items() if m["config"]["model_type"] in SUPPORTED_MODEL_TYPES]


@pytest.mark.parametrize(("written", "canonical"), [
    ("H100-SXM", "H100-SXM"),
    ("H100", "H100-SXM"),
    ("h100-sxm5-80gb", "H100-SXM"),
    ("H100 SXM", "H100-SXM"),
    ("h100_pcie", "H100-PCIe"),
    ("A100-SXM4-80GB", "A100-80GB"),
    ("a100", "A100-80GB"),
    ("H200", "H200"),
    ("b200", "B200"),
    ("MI300X", "MI300X"),
    ("mi325x", "MI325X"),
    ("ascend-910b", "Ascend-910B"),
])
def test_hardware_name(written, canonical):
    assert hardware_name(written) == canonical


@pytest.mark.parametrize(("written", "canonical"), [
    ("Qwen3-235B-A22B", "Qwen3-235B-A22B"),
    ("qwen/qwen3-235b-a22b", "Qwen3-235B-A22B"),
    ("deepseek-ai/DeepSeek-V3", "DeepSeek-V3"),
    ("Meta-Llama-3.1-405B", "Llama-3.1-405B"),
    ("mixtral-8x7b-v0.1", "Mixtral-8x7B"),
])
def test_model_name(written, canonical):
    assert model_name(written) == canonical


@pytest.mark.parametrize(("lookup", "name", "known"), [
    (hardware_entry, "Z100", "H100-SXM"),
    (model_entry, "GPT-5", "Qwen3-235B-A22B"),
])
def test_unknown_name_lists_the_known(lookup, name, known):
    with pytest.raises(AuditError, match=f"unknown .*'{name}'.*{known}"):
        lookup(name)


def test_aliases_are_unambiguous():
    for entries in (accelerators(), models()):
        seen: dict[str, str] = {}
        for name, entry in entries.items():
            for alias in (name, *entry.get("aliases", ())):
                key = re.sub(r"[\s_\-]+", "", alias).casefold()
                assert seen.setdefault(key, name) == name, (alias, name, seen[key])


@pytest.mark.parametrize(("name", "field", "expected"), [
    # NVIDIA H100 spec table: sparse BF16 1,979 / FP8 3,958 TFLOPS -> dense 989.5 / 1,979; 3.35 TB/s; 80 GB
    ("H100-SXM", "peak_flops.bf16", 989.5e12),
    ("H100-SXM", "peak_flops.fp8", 1979e12),
    ("H100-SXM", "memory_bandwidth", 3.35e12),
    ("H100-SXM", "memory", 80e9),
    # A100 datasheet: BF16 312 dense, 2,039 GB/s; no fp8 units
    ("A100-80GB", "peak_flops.bf16", 312e12),
    ("A100-80GB", "memory_bandwidth", 2.039e12),
    # H100 PCIe: sparse FP8 3,026 -> 1,513 dense; 2.0 TB/s
    ("H100-PCIe", "peak_flops.fp8", 1513e12),
    ("H100-PCIe", "memory_bandwidth", 2.0e12),
    # H200: H100 compute, 141 GB at 4.8 TB/s
    ("H200", "memory", 141e9),
    ("H200", "memory_bandwidth", 4.8e12),
    ("H200", "peak_flops.fp8", 1979e12),
    # HGX B200: sparse FP4 18 PF, FP8 9 PF -> 9 PF, 4.5 PF dense; 180 GB, 7.7 TB/s
    ("B200", "peak_flops.fp4", 9e15),
    ("B200", "peak_flops.fp8", 4.5e15),
    ("B200", "memory_bandwidth", 7.7e12),
    # AMD MI300X (ROCm table, dense): FP16 1,307.4, FP8 2,614.9 TFLOPS; 192 GB; 5.3 TB/s
    ("MI300X", "peak_flops.fp16", 1307.4e12),
    ("MI300X", "peak_flops.fp8", 2614.9e12),
    ("MI300X", "memory", 192e9),
    ("MI300X", "memory_bandwidth", 5.3e12),
    # MI325X: MI300X compute, 256 GB at 6.0 TB/s
    ("MI325X", "memory", 256e9),
    ("MI325X", "memory_bandwidth", 6.0e12),
])
def test_accelerator_figures(name, field, expected):
    hardware = Hardware.model_validate({**hardware_entry(name), "devices": 8})
    value = hardware
    for part in field.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    assert value == pytest.approx(expected)


def test_a100_has_no_fp8_peak():
    assert "fp8" not in hardware_entry("A100-80GB")["peak_flops"]


@pytest.mark.parametrize("name", list(accelerators()))
def test_every_accelerator_has_a_source_and_loads(name):
    assert accelerators()[name]["source"].strip()
    entry = {**hardware_entry(name), "devices": 8}
    if "peak_flops" not in entry:  # no verified figure (Ascend 910B, A10G): a spec must give it, and the source says so
        assert "NOT" in accelerators()[name]["source"]
        entry.setdefault("memory_bandwidth", "1.6 TB/s")
        entry["peak_flops"] = {"fp16": "320 TFLOPS"}
    assert Hardware.model_validate(entry).memory > 0


@pytest.mark.parametrize("name", list(models()))
def test_every_model_has_a_source_and_loads(name):
    assert models()[name]["source"].strip()
    assert ModelSpec.model_validate(model_entry(name)).layers > 0


def test_entry_is_a_copy():
    hardware_entry("H100")["peak_flops"]["fp8"] = "1 TFLOPS"
    assert hardware_entry("H100")["peak_flops"]["fp8"] == "1979 TFLOPS"


def _expected_fields(config: dict, head_dim_effective: int | None) -> dict:
    """What the spec must say, read straight from the config (field names of transformers)."""
    expected = {"layers": config["num_hidden_layers"], "hidden_size": config["hidden_size"],
                "vocab_size": config["vocab_size"],
                # Gemma's config class ties the embeddings when the config does not say
                "tie_word_embeddings": config.get("tie_word_embeddings", config["model_type"].startswith("gemma")),
                "attention.heads": config["num_attention_heads"]}
    kind = config["model_type"]
    if kind.startswith("deepseek"):
        expected.update({f"attention.{k}": config[k] for k in
                         ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")})
        expected.update({"attention.kind": "mla", "moe.experts": config["n_routed_experts"],
                         "moe.shared_experts": config["n_shared_experts"],
                         "moe.first_dense_layers": config["first_k_dense_replace"],
                         "moe.expert_intermediate_size": config["moe_intermediate_size"],
                         "intermediate_size": config["intermediate_size"]})
    else:
        expected.update({"attention.kv_heads": config["num_key_value_heads"],
                         "attention.head_dim": head_dim_effective})
    if kind == "mixtral":  # intermediate_size is the expert size
        expected.update({"moe.experts": config["num_local_experts"],
                         "moe.expert_intermediate_size": config["intermediate_size"]})
    if kind == "qwen3_moe":  # every layer is MoE
        expected.update({"moe.experts": config["num_experts"],
                         "moe.expert_intermediate_size": config["moe_intermediate_size"],
                         "moe.first_dense_layers": 0})
    if "num_experts_per_tok" in config:
        expected["moe.experts_per_token"] = config["num_experts_per_tok"]
    else:
        expected["moe"] = None
    return expected


@pytest.mark.parametrize("name", HF_SUPPORTED)
def test_from_hf_reference_models(tmp_path, name):
    config, head_dim = HF_CONFIGS[name]["config"], HF_CONFIGS[name]["head_dim_effective"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    model = ModelSpec.model_validate(spec_from_hf_config(json.loads(path.read_text()), str(path)))
    for field, expected in _expected_fields(config, head_dim).items():
        value = model
        for part in field.split("."):
            value = getattr(value, part)
        assert value == expected, field


@pytest.mark.parametrize("name", HF_SUPPORTED)
def test_catalog_models_match_their_config(name):
    config, head_dim = HF_CONFIGS[name]["config"], HF_CONFIGS[name]["head_dim_effective"]
    model = ModelSpec.model_validate(model_entry(name))
    for field, expected in _expected_fields(config, head_dim).items():
        value = model
        for part in field.split("."):
            value = getattr(value, part)
        assert value == expected, field


# fields of published config.json files that the reference table does not cover
@pytest.mark.parametrize(("config", "field", "expected"), [
    # mistralai/Mistral-Nemo-Base-2407: head_dim 128 although 5120 / 32 = 160
    ({"model_type": "mistral", "num_hidden_layers": 40, "hidden_size": 5120, "intermediate_size": 14336,
      "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072},
     "attention.head_dim", 128),
    # a Llama without num_key_value_heads is multi-head: kv_heads = heads
    ({"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 11008,
      "num_attention_heads": 32, "vocab_size": 32000}, "attention.kv_heads", 32),
    # deepseek-ai/DeepSeek-V2-Lite: q_lora_rank null (full q projection), 2 shared experts, 1 dense layer
    ({"model_type": "deepseek_v2", "num_hidden_layers": 27, "hidden_size": 2048, "intermediate_size": 10944,
      "moe_intermediate_size": 1408, "num_attention_heads": 16, "num_key_value_heads": 16,
      "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1,
      "q_lora_rank": None, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
      "v_head_dim": 128, "vocab_size": 102400}, "attention.q_lora_rank", None),
    ({"model_type": "qwen2", "num_hidden_layers": 24, "hidden_size": 896, "intermediate_size": 4864,
      "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True},
     "tie_word_embeddings", True),  # Qwen2.5-0.5B ties its embeddings
])
def test_from_hf_field(config, field, expected):
    value = ModelSpec.model_validate(spec_from_hf_config(config, "config.json"))
    for part in field.split("."):
        value = getattr(value, part)
    assert value == expected


@pytest.mark.parametrize(("config", "fragment"), [
    (HF_CONFIGS["PaLM-540B"]["config"], "unsupported model_type 'palm'"),
    ({"model_type": "llama", "hidden_size": 4096}, "num_hidden_layers"),
    ({"model_type": "llama", "num_hidden_layers": "32", "hidden_size": 4096}, "num_hidden_layers"),
    ([1, 2], "JSON object"),
])
def test_from_hf_refuses(config, fragment):
    with pytest.raises(AuditError) as info:
        spec_from_hf_config(config, "x/config.json")
    assert str(info.value).startswith("x/config.json: ") and fragment in str(info.value)


def test_unsupported_lists_the_supported():
    with pytest.raises(AuditError) as info:
        spec_from_hf_config({"model_type": "gpt2"}, "config.json")
    for kind in ("llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "deepseek_v3"):
        assert kind in str(info.value)


@pytest.mark.parametrize(("config", "dtype"), [
    ({"torch_dtype": "bfloat16"}, "bf16"),
    ({"torch_dtype": "float16"}, "fp16"),
    ({"torch_dtype": "bfloat16", "quantization_config": {"quant_method": "fp8", "fmt": "e4m3"}}, "fp8"),
    ({"torch_dtype": "float16", "quantization_config": {"quant_method": "awq", "bits": 4}}, "int4"),
    ({}, "bf16"),
])
def test_weights_precision_from_config(config, dtype):
    assert precision_from_hf_config(config) == dtype


def _run_from_hf(tmp_path, config: dict, hardware: str | None) -> Path:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    out = tmp_path / "spec.yaml"
    written: list[str] = []
    assert spec_command.run(Namespace(config=str(config_path), hardware=hardware, output=str(out)),
                       lambda text, output: written.append((text, output))) == 0
    (text, output), = written
    assert output == str(out)
    out.write_text(text)
    return out


@pytest.mark.parametrize(("name", "hardware"), [(n, "H100") for n in HF_SUPPORTED] + [
    ("Qwen3-235B-A22B", "MI300X"), ("Llama-3.1-8B", "A100-SXM4-80GB"), ("DeepSeek-V3", "b200")])
def test_from_hf_output_loads(tmp_path, name, hardware):
    config = HF_CONFIGS[name]["config"]
    spec = load_spec(_run_from_hf(tmp_path, config, hardware)).spec
    assert spec.model.layers == config["num_hidden_layers"]
    assert spec.hardware.devices == 8  # the one-node default, commented as such
    assert spec.hardware.name == accelerators()[hardware_name(hardware)]["name"]


def test_from_hf_without_hardware_leaves_a_placeholder(tmp_path):
    path = _run_from_hf(tmp_path, HF_CONFIGS["Qwen3-32B"]["config"], None)
    assert "# hardware:" in path.read_text()
    with pytest.raises(AuditError, match="field required: hardware"):
        load_spec(path)


def test_catalog_table_lists_everything():
    out: list[str] = []
    assert catalog_command.run(Namespace(), lambda text, output: out.append(text)) == 0
    assert out == [catalog_command.render_catalog()]
    rows = [line for line in out[0].splitlines() if line.startswith("| ")]
    for name in (*accelerators(), *models()):
        assert any(row.startswith(f"| {name} |") for row in rows), name
    assert any(row.startswith("| H100-SXM |") and "989.5 TFLOPS" in row for row in rows)


# --- published figures from `spec from-hf` specs (oracles.md) ---------------------------------

def from_hf(tmp_path: Path, name: str, hardware: str = "H100") -> dict[str, Estimate]:
    """The estimates, on one device, of the spec `audit spec from-hf` writes for the config.json of `name`."""
    config = tmp_path / name / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps(HF_CONFIGS[name]["config"]), encoding="utf-8")
    spec = tmp_path / name / "spec.yaml"
    assert main(["spec", "from-hf", str(config), "--hardware", hardware, "-o", str(spec)]) == 0
    return evaluate(load_spec(spec).scenario("one device"))


def reading(est: Estimate, **options: str) -> float:
    """The canonical reading, or the first that takes these options (axis=option, audit.physics.axes)."""
    found = [r.value for r in est.readings if all(r.assumes(a) == o for a, o in options.items())]
    assert found, [r.interpretation for r in est.readings]
    return found[0]


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
    assert from_hf(tmp_path, name)["kv_cache_per_token"].value == expected


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
    e = from_hf(tmp_path, name)
    assert e["params_total"].value == pytest.approx(total, rel=0.005)
    # the model-card count of active parameters includes the embedding
    assert reading(e["params_active"], embedding="counted") == pytest.approx(active or total, rel=0.005)


def test_from_hf_qwen3_head_dim_is_the_configs(tmp_path):
    # oracles.md trap: Qwen3-235B-A22B head_dim 128, not 4096 / 64 = 64 -> KV 2 * 94 * 4 * 128 * 2 B
    assert from_hf(tmp_path, "Qwen3-235B-A22B")["kv_cache_per_token"].value == 192_512


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


# --- issue 11: the new accelerators and small models, `audit catalog NAME`, JSON, 100 columns, from-hf ----

@pytest.mark.parametrize(("name", "field", "expected"), [
    # NVIDIA L4 datasheet: sparse FP8 485, FP16/BF16 242 -> dense 242.5 / 121; 24 GB at 300 GB/s
    ("L4", "peak_flops.fp8", 242.5e12), ("L4", "peak_flops.bf16", 121e12), ("L4", "memory_bandwidth", 300e9),
    # aiconfigurator l40s.yaml (NVIDIA): 362.05 TFLOPS fp16 tensor, 733 fp8; 864 GB/s; 48 GB
    ("L40S", "peak_flops.bf16", 362.05e12), ("L40S", "peak_flops.fp8", 733e12), ("L40S", "memory", 48e9),
    # NVIDIA T4 datasheet: 65 TFLOPS FP16, 130 TOPS INT8, 16 GB at 320 GB/s, no bf16 units
    ("T4", "peak_flops.fp16", 65e12), ("T4", "peak_flops.int8", 130e12), ("T4", "memory_bandwidth", 320e9),
    # aiconfigurator h20_3e.yaml / h20_sxm.yaml (NVIDIA): 148 TFLOPS fp16, 296 fp8, 4.0 TB/s
    ("H20", "peak_flops.bf16", 148e12), ("H20", "peak_flops.fp8", 296e12), ("H20", "memory_bandwidth", 4.0e12),
    # Intel Gaudi 3 (Hot Chips 2024): 1,835 TFLOPS BF16 and FP8 matrix, 128 GB HBM2e at 3.67 TB/s
    ("Gaudi-3", "peak_flops.bf16", 1835e12), ("Gaudi-3", "memory_bandwidth", 3.67e12), ("Gaudi-3", "memory", 128e9),
    # A10G (AWS): 24 GB at 600 GB/s, no published tensor peak
    ("A10G", "memory_bandwidth", 600e9),
])
def test_new_accelerator_figures(name, field, expected):
    entry = {**hardware_entry(name), "devices": 1}
    entry.setdefault("peak_flops", {"fp16": "1 TFLOPS"})
    value = Hardware.model_validate(entry)
    for part in field.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    assert value == pytest.approx(expected)
    assert "source" in accelerators()[name] and len(accelerators()[name]["source"]) > 80


def test_t4_and_a10g_say_what_they_lack():
    assert "bf16" not in hardware_entry("T4")["peak_flops"]  # Turing: a bf16 spec runs at the fp16 peak
    assert "peak_flops" not in hardware_entry("A10G")


@pytest.mark.parametrize(("name", "total"), [
    # hand arithmetic, 2 x L x h x d_h x (n_h + n_kv) + 3 x L x h x d_ff + V x h (x 2 untied):
    # Qwen2.5-7B: 28 x (2 x 3584 x 128 x 32 + 3 x 3584 x 18944) + 2 x 152064 x 3584 = 7.615e9 (card: 7.61B)
    ("Qwen2.5-7B-Instruct", 7.615e9),
    # Mistral-7B: 32 x (2 x 4096 x 128 x 40 + 3 x 4096 x 14336) + 2 x 32000 x 4096 = 7.241e9
    ("Mistral-7B-v0.1", 7.241e9),
    # Llama-3.2-1B: 16 x (2 x 2048 x 64 x 40 + 3 x 2048 x 8192) + 128256 x 2048 (tied) = 1.236e9
    ("Llama-3.2-1B", 1.236e9),
    # Llama-3.2-3B: 28 x (2 x 3072 x 128 x 32 + 3 x 3072 x 8192) + 128256 x 3072 (tied) = 3.213e9
    ("Llama-3.2-3B", 3.213e9),
    # Gemma-2-9B: 42 x (2 x 3584 x 256 x 24 + 3 x 3584 x 14336) + 256000 x 3584 (tied) = 9.241e9
    ("Gemma-2-9B", 9.241e9),
    # Gemma-2-2B: 26 x (2 x 2304 x 256 x 12 + 3 x 2304 x 9216) + 256000 x 2304 (tied) = 2.614e9
    ("Gemma-2-2B", 2.614e9),
])
def test_small_models_parameter_counts(tmp_path, name, total):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"model: {name}\nhardware: {{catalog: L40S, devices: 1}}\nprecision: {{weights: bf16}}\n"
                    "workload: {batch_size: 1, input_tokens: 2048}\n", encoding="utf-8")
    estimates = evaluate(load_spec(spec).default_scenarios()["default"])
    assert estimates["params_total"].value == pytest.approx(total, rel=0.001)


def test_gemma_2_windows_every_other_layer():
    model = ModelSpec.model_validate(model_entry("Gemma-2-9B"))
    assert (model.sliding_window, model.sliding_window_layers, model.tie_word_embeddings) == (4096, 21, True)
    converted = spec_from_hf_config(HF_CONFIGS["Gemma-2-2B"]["config"], "x/config.json")
    assert (converted["sliding_window"], converted["sliding_window_layers"]) == (4096, 13)


def test_catalog_fits_100_columns_and_shows_one_entry(capsys):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    for name in ("L4", "T4", "H20", "Gaudi-3", "Qwen2.5-7B-Instruct", "Gemma-2-9B", "Llama-3.2-1B"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
    assert main(["catalog", "gaudi3"]) == 0  # an alias
    one = capsys.readouterr().out
    assert one.startswith("Gaudi-3 (accelerator)") and "peak_flops.bf16: 1835" in one
    assert "Hot Chips 2024" in " ".join(one.split())  # the source, wrapped
    assert max(len(line) for line in one.splitlines()) <= 100


def test_catalog_json(capsys):
    assert main(["catalog", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"accelerators", "models"} and "H100-SXM" in doc["accelerators"]
    assert main(["catalog", "Mistral-7B", "--format", "json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert (entry["kind"], entry["name"], entry["sliding_window"]) == ("model", "Mistral-7B-v0.1", 4096)


def test_catalog_unknown_name_is_one_line(capsys):
    assert main(["catalog", "H1OO"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no accelerator or model named 'H1OO'" in err


# (config, --name, the model's name in the spec)
FROM_HF_NAMES = [
    ({"_name_or_path": "Qwen/Qwen2.5-7B-Instruct"}, None, "Qwen2.5-7B-Instruct"),
    ({"architectures": ["Gemma2ForCausalLM"]}, None, "Gemma2ForCausalLM"),  # not "config", after the file
    ({"_name_or_path": "x/y"}, "My-Model", "My-Model"),
]


@pytest.mark.parametrize(("extra", "name", "expected"), FROM_HF_NAMES)
def test_from_hf_names_the_model(tmp_path, monkeypatch, capsys, extra, name, expected):
    config = {k: v for k, v in HF_CONFIGS["Gemma-2-2B"]["config"].items() if k not in ("architectures",)}
    config.update(extra)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    argv = ["spec", "from-hf", "config.json", "--hardware", "L4", "--devices", "2", "-o", "spec.yaml"]
    assert main(argv + (["--name", name] if name else [])) == 0
    spec = load_spec(tmp_path / "spec.yaml").spec
    assert (spec.model.name, spec.hardware.devices) == (expected, 2)


def test_from_hf_warns_about_what_it_drops(tmp_path, capsys):
    config = dict(HF_CONFIGS["Qwen2.5-7B-Instruct"]["config"], sliding_window=131072, attention_bias=True)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    assert main(["spec", "from-hf", str(path), "-o", str(tmp_path / "spec.yaml")]) == 0
    err = capsys.readouterr().err
    assert "sliding_window (131072): off (use_sliding_window: false)" in err
    assert "attention_bias (true): attention bias terms are left out" in err
    assert "not in the spec: attention_bias" in (tmp_path / "spec.yaml").read_text(encoding="utf-8")
