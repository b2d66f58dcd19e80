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
    if name == "Ascend-910B":  # no verified bandwidth or FLOPS: a spec must give them
        assert "memory_bandwidth" not in entry and "peak_flops" not in entry
        entry.update(memory_bandwidth="1.6 TB/s", peak_flops={"fp16": "320 TFLOPS"})
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
                "vocab_size": config["vocab_size"], "tie_word_embeddings": config["tie_word_embeddings"],
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
