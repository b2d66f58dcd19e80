"""Loading specs: good specs give base units and whole scenarios; a bad spec gives one line per problem,
each naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.errors import AuditError
from audit.records import Scenario
from audit.spec.load import compute_precision, load_spec, peak_flops, spec_from_data
from audit.spec.schema import Hardware, Precision, Spec
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
    (SEED, "workload.input_tokens.min", 128),
    (SEED, "workload.input_tokens.max", 10240),
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
    (SPECS / "good" / "ascend.yaml", "scenarios.sixteen.pp", 2),
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
    spec = load_spec(path).spec
    assert isinstance(spec, Spec)
    assert _get(spec, field) == (pytest.approx(expected) if isinstance(expected, float) else expected)


OVERRIDES = SPECS / "good" / "overrides.yaml"


@pytest.mark.parametrize(("scenario", "field", "expected"), [
    # per-scenario workload: chat at 2K prompts and 256 output tokens beside summaries at 8K
    ("chat", "input_tokens", (2048, 2048)),
    ("chat", "output_tokens", (256, 256)),
    ("summaries", "input_tokens", (8192, 8192)),
    ("summaries", "output_tokens", (512, 512)),  # the workload's
    ("on_h200", "input_tokens", (128, 4096)),  # the workload's range
    # no workload.batch_size: every scenario sets its own
    ("chat", "batch_size", 64),
    ("summaries", "batch_size", 16),
    # another accelerator by catalog name: the H200's 141 GB and 4.8 TB/s, the fleet's 16 devices
    ("on_h200", "hardware.memory", 141e9),
    ("on_h200", "hardware.memory_bandwidth", 4.8e12),
    ("on_h200", "hardware.devices", 16),
    ("chat", "hardware.memory_bandwidth", 3.35e12),  # the top level's H100
    # fields over the top level's accelerator: 96 GB, the H100's bandwidth kept
    ("bigger_card", "hardware.memory", 96e9),
    ("bigger_card", "hardware.memory_bandwidth", 3.35e12),
    # another precision, in Hugging Face's spelling: float8_e4m3fn is fp8; matmuls run at fp8
    ("fp8", "precision.weights", "fp8"),
    ("fp8", "precision.compute", "fp8"),
    ("fp8", "precision.kv_cache", "fp8"),  # defaults to the activations
    ("chat", "precision.weights", "bf16"),  # bfloat16
    ("chat", "precision.kv_cache", "bf16"),
    # another model by catalog name
    ("small_model", "model.layers", 32),
    ("chat", "model.layers", 80),
])
def test_a_scenario_is_a_whole_deployment(scenario, field, expected):
    sc = load_spec(OVERRIDES).scenarios[scenario]
    assert isinstance(sc, Scenario)
    assert _get(sc, field) == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize(("path", "scenario", "heads_per_device"), [
    # PaLM 540B on 64 TPU v4 chips (Pope et al. 2022): heads split over gcd(48, 64) = 16 ranks -> 3 each
    (SPECS / "good" / "tp64_palm.yaml", "tp64", 3),
    (SPECS / "good" / "tp_not_dividing_heads.yaml", "odd", 8),  # gcd(8, 3) = 1: every rank holds all 8
])
def test_tp_that_does_not_divide_the_heads_loads(path, scenario, heads_per_device):
    from audit.physics.model import evaluate

    sc = load_spec(path).scenarios[scenario]
    assert evaluate(sc)["heads_per_device"].value == heads_per_device


def test_head_dim_has_one_default():
    # DeepSeek-V3 (MLA): 128, the v_head_dim, not hidden_size / heads = 7168 / 128 = 56
    assert load_spec(SPECS / "good" / "ascend.yaml").spec.model.head_dim == 128
    # Llama-3.1-8B from config.json: 4096 / 32 = 128; Qwen3 sets its own 128 (hidden 4096 / 64 heads = 64)
    assert load_spec(SPECS / "good" / "hf_config.yaml").spec.model.head_dim == 128
    assert load_spec(SEED).spec.model.head_dim == 128


@pytest.mark.parametrize(("weights", "activations", "compute"), [
    ("fp8", "bf16", "fp8"),  # the seed: W8A16 on an fp8 part runs fp8 GEMMs
    ("bf16", "bf16", "bf16"),
    ("int4", "bf16", "bf16"),  # W4A16: weights dequantised to the activations' precision
    ("fp4", "fp8", "fp8"),
    ("fp8", "fp8", "fp8"),
    ("bf16", "fp8", "fp8"),
])
def test_compute_precision(weights, activations, compute):
    assert compute_precision(Precision(weights=weights, activations=activations)) == compute
    assert compute_precision(Precision(weights=weights, activations=activations, compute="fp16")) == "fp16"


@pytest.mark.parametrize(("name", "problems"), [
    # each problem: (line, fragments that must all be in that line)
    ("wrong_type", [(4, ["model.layers", "whole number", "'four'"])]),
    ("missing_field", [(2, ["field required: model.layers"])]),  # the parent's line
    ("unknown_unit", [(12, ["hardware.memory", "GX"])]),
    ("yaml_syntax", [(9, ["YAML syntax error"])]),
    ("alias_bomb", [(2, ["YAML aliases are not allowed"])]),
    ("python_tag", [(3, ["python/object/apply", "not allowed"])]),
    ("duplicate_key", [(14, ["duplicate key 'memory'", "line 12"])]),
    # a misspelt key is said once, where it is misspelt (not again as a missing memory_bandwidth)
    ("unknown_key", [(13, ["hardware.memroy_bandwidth", "unknown field", "memory_bandwidth"])]),
    ("negative_size", [(12, ["hardware.memory", "> 0"])]),
    ("negative_layers", [(4, ["model.layers", "> 0", "-4"])]),
    ("boolean_count", [(11, ["hardware.devices", "whole number"])]),
    ("input_range_incomplete", [(18, ["field required: workload.input_tokens.max"])]),
    ("mla_incomplete", [(8, ["model.attention", "kv_lora_rank"])]),
    ("pp_larger_than_layers", [(20, ["scenarios.base", "16 devices", "the 8 of hardware.devices"]),
                               (20, ["scenarios.base.pp", "PP 8", "4 layers"])]),
    ("unknown_precision", [(16, ["precision.weights", "fp7", "bf16", "fp8"])]),
    ("no_peak_for_weights", [(15, ["precision", "fp8", "weights fp8 and activations bf16", "has: fp4"])]),
    ("catalog_unknown", [(9, ["hardware.catalog", "Z100", "H100-SXM", "MI300X"])]),
    ("catalog_ascend_incomplete", [(9, ["field required: hardware.memory_bandwidth", "Ascend-910B"])]),
    ("catalog_name_as_name", [(9, ["field required: hardware.memory_bandwidth", "`catalog: H100-SXM` takes"])]),
    ("not_a_mapping", [(1, ["expected a mapping"])]),
    ("hf_unsupported", [(2, ["palm/config.json", "unsupported model_type 'palm'", "qwen3_moe"])]),
    # a layout beyond the hardware, and a compute precision without a peak, name both figures
    ("one_device_tp2", [(19, ["scenarios.pair", "TP 2 x PP 1 x DP 1 = 2 devices", "the 1 of hardware.devices"])]),
    ("fp8_activations_bf16_peak", [(15, ["precision", "fp8", "has: bf16"])]),
    ("no_batch_anywhere", [(19, ["scenarios.without.batch_size", "workload.batch_size is not set"])]),
    # every problem of a file at once, one line each
    ("several", [(4, ["model.layers", "'four'"]), (12, ["hardware.memory", "GX"]),
                 (15, ["precision.weights", "fp9"]), (17, ["workload.batch_size", "> 0"])]),
    ("several_semantic", [(19, ["scenarios.wide", "16 devices"]), (20, ["scenarios.deep.pp", "PP 8"]),
                          (21, ["scenarios.fp8.precision", "fp8", "has: bf16"])]),
])
def test_bad_spec_is_a_line_per_problem_naming_file_line_field(name, problems):
    path = SPECS / "bad" / f"{name}.yaml"
    with pytest.raises(AuditError) as info:
        load_spec(path)
    lines = info.value.lines()
    assert len(lines) == len(problems), lines
    for text, (line, fragments) in zip(lines, problems, strict=True):
        assert text.startswith(f"{path}:{line}: "), text
        for fragment in fragments:
            assert fragment in text, (fragment, text)


def test_the_cli_prints_every_problem_and_exits_2(capsys):
    from audit.cli import main

    path = SPECS / "bad" / "several.yaml"
    assert main(["calc", "--spec", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [e.split(":")[2] for e in err] == ["4", "12", "15", "17"]
    assert all(e.startswith(f"audit: {path}:") for e in err)


def test_alias_bomb_is_refused_at_its_first_anchor():
    path = SPECS / "bad" / "alias_bomb.yaml"
    assert path.stat().st_size < 400  # 9**7 strings if expanded
    with pytest.raises(AuditError, match="aliases are not allowed"):
        load_spec(path)


def test_a_spec_may_be_plain_data():
    data, _ = load_yaml(SEED)
    assert spec_from_data(data, "seed").scenarios["optimized"].layout == (4, 4, 2, 1, 512)
    with pytest.raises(AuditError) as info:
        spec_from_data({**data, "hardware": {**data["hardware"], "memory": "64 GX"}}, "in memory")
    assert str(info.value).startswith("in memory:1: hardware.memory: unknown unit")


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
    ({"fp8": 400e12, "bf16": 200e12}, "fp8", 400e12),
    ({"fp16": 320e12}, "bf16", 320e12),  # bf16 and fp16 run at the same rate on every part
    ({"bf16": 312e12}, "fp16", 312e12),
    ({"bf16": 312e12}, "fp8", None),  # A100 has no fp8: the spec must say what matmuls run at
    ({"fp4": 9000e12}, "fp8", None),
])
def test_peak_flops(peaks, dtype, expected):
    hardware = Hardware(devices=1, memory=1e9, memory_bandwidth=1e12, peak_flops=peaks)
    assert peak_flops(hardware, dtype) == expected


@pytest.mark.parametrize("path", [SEED, SPECS / "good" / "catalog.yaml", SPECS / "good" / "hf_config.yaml", OVERRIDES])
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
