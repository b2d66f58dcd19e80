"""Loading specs: good specs give base units, every bad spec one line naming file, line and field."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audit.errors import AuditError
from audit.spec import Hardware, Spec
from audit.specload import load_spec, peak_flops_for
from audit.yamlio import load_yaml, parse_yaml

HERE = Path(__file__).parent
SPECS = HERE / "data" / "specs"
SEED = HERE.parent / "reports" / "qwen3-235b" / "qwen3.yaml"  # the seed spec, reports/qwen3-235b


def _get(obj: object, dotted: str) -> object:
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


@pytest.mark.parametrize(("path", "field", "expected"), [
    # seed spec: "64 GB" with GB = 1e9 B; "1.8 TB/s" = 1.8e12 B/s; "400 TFLOPS" = 4e14 FLOP/s; "30 s"
    (SEED, "hardware.memory", 64e9),
    (SEED, "hardware.memory_bandwidth", 1.8e12),
    (SEED, "hardware.peak_flops.fp8", 4e14),
    (SEED, "requirements.ttft", 30),
    (SEED, "hardware.devices", 32),
    (SEED, "hardware.devices_per_node", 8),  # default
    (SEED, "model.attention.head_dim", 128),
    (SEED, "model.moe.experts_per_token", 8),
    (SEED, "model.stated_params", 235e9),  # "235B"
    (SEED, "workload.input_min", 128),
    (SEED, "workload.input_max", 10240),
    (SEED, "precision.kv_cache", "fp8"),
    (SEED, "scenarios.optimized.dp", 2),
    (SEED, "scenarios.optimized.ep", 1),  # default
    (SPECS / "good" / "minimal.yaml", "precision.kv_cache", None),  # defaults to activations later
    (SPECS / "good" / "minimal.yaml", "requirements.ttft", None),
    # catalog: override single fields, keep the rest (H100 SXM: 3.35 TB/s, FP8 3,958 sparse = 1,979 dense)
    (SPECS / "good" / "catalog.yaml", "hardware.memory", 64e9),
    (SPECS / "good" / "catalog.yaml", "hardware.devices", 16),
    (SPECS / "good" / "catalog.yaml", "hardware.memory_bandwidth", 3.35e12),
    (SPECS / "good" / "catalog.yaml", "hardware.peak_flops.fp8", 1979e12),
    (SPECS / "good" / "catalog.yaml", "hardware.peak_flops.fp4", 3958e12),  # merged into the catalog's
    (SPECS / "good" / "catalog.yaml", "model.layers", 94),  # Qwen3-235B-A22B config.json
    (SPECS / "good" / "catalog.yaml", "model.stated_params", 235e9),
    # Ascend-910B: memory from the catalog, the unverified figures from the spec
    (SPECS / "good" / "ascend.yaml", "hardware.memory", 64e9),
    (SPECS / "good" / "ascend.yaml", "hardware.memory_bandwidth", 1.6e12),
    (SPECS / "good" / "ascend.yaml", "hardware.peak_flops.fp16", 320e12),
    (SPECS / "good" / "ascend.yaml", "model.attention.kv_lora_rank", 512),  # DeepSeek-V3 MLA
    (SPECS / "good" / "ascend.yaml", "scenarios.over_budget.tp", 16),  # 32 devices > 16: not a spec error
    # model from a config.json beside the spec: Llama-3.1-8B, head_dim = 4096 / 32 = 128
    (SPECS / "good" / "hf_config.yaml", "model.attention.kv_heads", 8),
    (SPECS / "good" / "hf_config.yaml", "model.attention.head_dim", 128),
    (SPECS / "good" / "hf_config.yaml", "model.intermediate_size", 14336),
    (SPECS / "good" / "hf_config.yaml", "hardware.memory", 80e9),  # vendor label "80 GB"
    # `hardware: H100-SXM` named alone: one node of 8
    (SPECS / "good" / "catalog_one_node.yaml", "hardware.devices", 8),
    (SPECS / "good" / "catalog_one_node.yaml", "hardware.memory_bandwidth", 3.35e12),
])
def test_good_spec_field(path, field, expected):
    spec = load_spec(path)
    assert isinstance(spec, Spec)
    assert _get(spec, field) == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize(("name", "line", "fragments"), [
    ("wrong_type", 4, ["model.layers", "whole number", "'four'"]),
    ("missing_field", 2, ["field required: model.layers"]),  # the parent's line
    ("unknown_unit", 12, ["hardware.memory", "GX"]),
    ("yaml_syntax", 9, ["YAML syntax error"]),
    ("alias_bomb", 2, ["YAML aliases are not allowed"]),
    ("python_tag", 3, ["python/object/apply", "not allowed"]),
    ("duplicate_key", 14, ["duplicate key 'memory'", "line 12"]),
    ("unknown_key", 13, ["hardware.memroy_bandwidth", "unknown field", "memory_bandwidth"]),
    ("negative_size", 12, ["hardware.memory", "> 0"]),
    ("negative_layers", 4, ["model.layers", "> 0", "-4"]),
    ("boolean_count", 11, ["hardware.devices", "whole number"]),
    ("input_range_incomplete", 18, ["field required: workload.input_tokens.max"]),
    ("mla_incomplete", 8, ["model.attention", "kv_lora_rank"]),
    ("tp_not_dividing_heads", 21, ["scenarios.odd.tp", "TP 3", "8 attention heads"]),
    ("pp_larger_than_layers", 20, ["scenarios.base.pp", "PP 8", "4 layers"]),
    ("unknown_precision", 16, ["precision.weights", "fp7", "bf16", "fp8"]),
    ("no_peak_for_weights", 14, ["hardware.peak_flops", "fp8", "bf16"]),
    ("catalog_unknown", 9, ["hardware.catalog", "Z100", "H100-SXM", "MI300X"]),
    ("catalog_ascend_incomplete", 9, ["field required: hardware.memory_bandwidth", "Ascend-910B"]),
    ("not_a_mapping", 1, ["expected a mapping"]),
    ("hf_unsupported", 2, ["palm/config.json", "unsupported model_type 'palm'", "qwen3_moe"]),
])
def test_bad_spec_is_one_line_naming_file_line_field(name, line, fragments):
    path = SPECS / "bad" / f"{name}.yaml"
    with pytest.raises(AuditError) as info:
        load_spec(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert "\n" not in text
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_alias_bomb_fails_fast():
    path = SPECS / "bad" / "alias_bomb.yaml"
    assert path.stat().st_size < 400  # 9**7 strings if expanded
    start = time.perf_counter()
    with pytest.raises(AuditError):
        load_spec(path)
    assert time.perf_counter() - start < 0.5


def test_first_error_counts_the_others(tmp_path):
    # three fields wrong: layers (line 4), memory (line 12), batch_size (line 17)
    path = tmp_path / "three.yaml"
    path.write_text((SPECS / "good" / "minimal.yaml").read_text()
                    .replace("layers: 4", "layers: x").replace("memory: 64 GB", "memory: 64 GX")
                    .replace("batch_size: 8", "batch_size: -1"))
    with pytest.raises(AuditError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}:4: model.layers: ")
    assert str(info.value).endswith("(and 2 more)")


@pytest.mark.parametrize(("content", "line", "fragment"), [
    (b"a: 1\nb: \xff\n", 2, "not UTF-8"),
    (b"a: 1\nb: \x07\n", 2, "U+0007"),
    (b"a: 1\n---\nb: 2\n", 2, "single document"),
    (b"a: 1\n? [x, y]\n: 2\n", 2, "unhashable"),
    (b"a: !custom 1\n", 1, "'!custom' is not allowed"),
    (b"base: &b {x: 1}\nother: {<<: *b}\n", 1, "aliases are not allowed"),
])
def test_yaml_problem_is_one_line(tmp_path, content, line, fragment):
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(AuditError) as info:
        load_yaml(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda d: d / "missing.yaml", "cannot read"),
    (lambda d: d, "is a directory"),
])
def test_unreadable_file(tmp_path, make, fragment):
    path = make(tmp_path)
    with pytest.raises(AuditError) as info:
        load_yaml(path)
    assert str(info.value).startswith(f"{path}: ") and fragment in str(info.value)


LINES_DOC = """\
model:
  name: x
  attention:
    heads: 8
list:
  - a
  - {k: v}
"""


@pytest.mark.parametrize(("path", "line"), [
    (("model",), 1),
    (("model", "attention", "heads"), 4),
    (("list", 0), 6),
    (("list", 1, "k"), 7),
    (("model", "layers"), 1),  # not in the file: the parent's line
    (("model", "attention", "kv_heads"), 3),
    (("nothing",), 1),
])
def test_line_map(path, line):
    _, lines = parse_yaml(LINES_DOC, "doc.yaml")
    assert lines.line(path) == line


def test_empty_document_is_none():
    assert parse_yaml("", "x.yaml")[0] is None


@pytest.mark.parametrize(("peaks", "dtype", "expected"), [
    ({"fp8": 400e12, "bf16": 200e12}, "fp8", ("fp8", 400e12)),  # weights at their own precision
    ({"bf16": 312e12}, "fp8", ("bf16", 312e12)),  # A100 has no fp8: 16-bit fallback
    ({"fp16": 320e12}, "int4", ("fp16", 320e12)),  # W4A16 runs at fp16
    ({"fp4": 9000e12}, "fp8", None),
])
def test_peak_flops_fallback(peaks, dtype, expected):
    hardware = Hardware(devices=1, memory=1e9, memory_bandwidth=1e12, peak_flops=peaks)
    assert peak_flops_for(hardware, dtype) == expected


@pytest.mark.parametrize("path", [SEED, SPECS / "good" / "catalog.yaml", SPECS / "good" / "hf_config.yaml"])
def test_json_schema_accepts_what_the_loader_accepts(path):
    jsonschema = pytest.importorskip("jsonschema")
    data, _ = load_yaml(path)
    jsonschema.validate(data, Spec.model_json_schema())


@pytest.mark.parametrize(("field", "value"), [
    (("hardware", "memory"), "64 GB"),
    (("hardware", "memory"), 64e9),
    (("requirements", "ttft"), "30 s"),
])
def test_json_schema_quantity_is_string_or_number(field, value):
    jsonschema = pytest.importorskip("jsonschema")
    data, _ = load_yaml(SEED)
    data[field[0]][field[1]] = value
    jsonschema.validate(data, Spec.model_json_schema())
    data[field[0]][field[1]] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, Spec.model_json_schema())
