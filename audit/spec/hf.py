"""Hugging Face `config.json` -> the spec's `model:` mapping, and `audit spec from-hf`.

Field names follow the `transformers` configuration classes (LlamaConfig, MistralConfig,
MixtralConfig, Qwen2Config, Qwen3Config, Qwen3MoeConfig, DeepseekV2Config, DeepseekV3Config,
GemmaConfig, Gemma2Config). The model's name is the config's `_name_or_path`, else its
`architectures`, else the folder it is in (`--name` overrides them); fields that change the
parameters, the FLOPs or the KV cache but that the spec does not model are named in a warning
(`dropped_fields`), never left out in silence.
Traps the conversion handles (reference/oracles.md): Qwen3's `head_dim` (128) is not
hidden_size / heads; Qwen3-MoE's `intermediate_size` is unused since every layer is MoE;
Mixtral's `intermediate_size` is the size of each expert.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from audit.errors import AuditError

_GQA_TYPES = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "gemma", "gemma2")
_TIED_BY_DEFAULT = ("gemma", "gemma2")
"""Model types whose transformers class ties the embeddings unless the config says otherwise."""
_MLA_TYPES = ("deepseek_v2", "deepseek_v3")
SUPPORTED_MODEL_TYPES = _GQA_TYPES + _MLA_TYPES

_TORCH_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "float8_e4m3fn": "fp8"}


def spec_from_hf_config(config: dict, path: str) -> dict:
    """The `model:` mapping (spec format) for a Hugging Face config; `path` names it in errors."""
    if not isinstance(config, dict):
        raise AuditError("expected a JSON object (a Hugging Face config.json)", path)
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise AuditError(f"unsupported model_type {model_type!r} (supported: {', '.join(SUPPORTED_MODEL_TYPES)})",
                         path)

    def need(key: str) -> int:
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise AuditError(f"{model_type} config needs a positive integer {key}, got {value!r}", path)
        return value

    def maybe(key: str) -> int | None:
        return need(key) if config.get(key) is not None else None

    model: dict = {
        "name": _model_name(config, path),
        "layers": need("num_hidden_layers"),
        "hidden_size": need("hidden_size"),
        "vocab_size": need("vocab_size"),
        # the transformers classes default to untied embeddings, Gemma's to tied ones
        "tie_word_embeddings": bool(config.get("tie_word_embeddings", model_type in _TIED_BY_DEFAULT)),
    }
    heads = need("num_attention_heads")
    if model_type in _MLA_TYPES:
        attention = {"kind": "mla", "heads": heads, "q_lora_rank": maybe("q_lora_rank"),
                     "kv_lora_rank": need("kv_lora_rank"), "qk_nope_head_dim": need("qk_nope_head_dim"),
                     "qk_rope_head_dim": need("qk_rope_head_dim"), "v_head_dim": need("v_head_dim")}
        model["attention"] = {k: v for k, v in attention.items() if v is not None}
    else:
        # head_dim from the config when present: Qwen3 (128 with hidden 4096 / 64 heads) and
        # Mistral-Nemo set it apart from hidden_size / heads
        head_dim = maybe("head_dim") or model["hidden_size"] // heads
        model["attention"] = {"heads": heads, "kv_heads": maybe("num_key_value_heads") or heads,
                              "head_dim": head_dim}

    if model_type == "mixtral":
        model["moe"] = {"experts": need("num_local_experts"), "experts_per_token": need("num_experts_per_tok"),
                        "expert_intermediate_size": need("intermediate_size")}
    elif model_type == "qwen3_moe":
        if config.get("mlp_only_layers") or config.get("decoder_sparse_step", 1) != 1:
            raise AuditError("qwen3_moe with dense layers (mlp_only_layers, decoder_sparse_step) is not supported",
                             path)
        model["intermediate_size"] = maybe("intermediate_size")  # unused: every layer is MoE
        model["moe"] = {"experts": need("num_experts"), "experts_per_token": need("num_experts_per_tok"),
                        "expert_intermediate_size": need("moe_intermediate_size")}
    elif model_type in _MLA_TYPES:
        model["intermediate_size"] = need("intermediate_size")  # the first_k_dense_replace dense layers
        if config.get("n_routed_experts"):
            if config.get("moe_layer_freq", 1) != 1:
                raise AuditError("moe_layer_freq other than 1 is not supported", path)
            model["moe"] = {"experts": need("n_routed_experts"), "experts_per_token": need("num_experts_per_tok"),
                            "expert_intermediate_size": need("moe_intermediate_size"),
                            "shared_experts": int(config.get("n_shared_experts") or 0),
                            "first_dense_layers": int(config.get("first_k_dense_replace") or 0)}
    else:
        model["intermediate_size"] = need("intermediate_size")
    # Mistral's window bounds the KV of every layer, Gemma 2's that of every other layer (local and global
    # attention alternate); Qwen2 and Qwen3 carry one that is off by default
    if config.get("sliding_window") and config.get("use_sliding_window", True):
        model["sliding_window"] = need("sliding_window")
        if model_type == "gemma2":
            model["sliding_window_layers"] = model["layers"] // 2
    return {k: v for k, v in model.items() if v is not None}


# field -> why it matters; named in a warning when a config holds it and the spec cannot say it
_CONSEQUENTIAL = {
    "num_nextn_predict_layers": "multi-token-prediction layers are not part of the spec's model (their weights "
                                "are left out of the parameter count)",
    "attention_bias": "attention bias terms are left out of the parameter count",
    "qkv_bias": "attention bias terms are left out of the parameter count",
    "mlp_bias": "MLP bias terms are left out of the parameter count",
    "layer_types": "per-layer attention types are not modelled: every layer is read as full attention",
    "max_window_layers": "the window applies to every layer, not to the layers past max_window_layers",
    "text_config": "a multimodal config: only the language model's top-level fields are read",
    "vision_config": "the vision tower is not part of the spec's model",
    "n_shared_experts_intermediate_size": "shared-expert sizes other than the routed experts' are not read",
    "shared_expert_intermediate_size": "shared-expert sizes other than the routed experts' are not read",
}


def dropped_fields(config: dict) -> list[str]:
    """What the spec `spec_from_hf_config` writes leaves out of a config, one sentence each."""
    out = []
    for key, why in _CONSEQUENTIAL.items():
        value = config.get(key)
        if value in (None, False, 0, [], {}):
            continue
        if key == "max_window_layers" and not (config.get("use_sliding_window") and config.get("sliding_window")):
            continue
        if key in ("attention_bias", "mlp_bias", "qkv_bias") and value is not True:
            continue
        out.append(f"{key} ({_short(value)}): {why}")
    if config.get("sliding_window") and config.get("use_sliding_window", True) is False:
        out.append(f"sliding_window ({config['sliding_window']}): off (use_sliding_window: false), so every layer "
                   "keeps the whole context")
    if "tie_word_embeddings" not in config:
        tied = config.get("model_type") in _TIED_BY_DEFAULT
        out.append(f"tie_word_embeddings: not in the config, read as {str(tied).lower()} (the transformers default)")
    return out


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def precision_from_hf_config(config: dict) -> str:
    """Weights dtype: an fp8 or 4-bit `quantization_config`, else `torch_dtype`, else bf16."""
    quant = config.get("quantization_config") or {}
    if isinstance(quant, dict):
        if quant.get("quant_method") == "fp8" or str(quant.get("fmt", "")).startswith("e4m3"):
            return "fp8"
        if quant.get("bits") == 4:
            return "int4"
    return _TORCH_DTYPES.get(str(config.get("torch_dtype") or config.get("dtype")), "bf16")


def read_hf_config(path: str) -> dict:
    """Read a config.json; one-line AuditError when it is missing or not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except IsADirectoryError:
        raise AuditError("is a directory, expected a config.json", path) from None
    except (OSError, UnicodeDecodeError) as e:
        raise AuditError(f"cannot read: {getattr(e, 'strerror', None) or e}", path) from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise AuditError(f"invalid JSON: {e.msg}", path, e.lineno) from None
    if not isinstance(config, dict):
        raise AuditError("expected a JSON object (a Hugging Face config.json)", path)
    return config


def _model_name(config: dict, path: str) -> str:
    """The config's `_name_or_path` (its last part), else its first architecture ("Qwen2ForCausalLM"), else the
    folder a config.json is in, else the file's name."""
    named = str(config.get("_name_or_path") or "").rstrip("/")
    if named:
        return named.rsplit("/", 1)[-1]
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures and isinstance(architectures[0], str) and architectures[0]:
        return architectures[0]
    file = Path(path).resolve()
    return file.parent.name if file.stem == "config" and file.parent.name else file.stem


def render_spec(config: dict, path: str, hardware: str | None = None, name: str | None = None,
                devices: int | None = None) -> str:
    """A complete spec YAML for the model of `config`; hardware from the catalog when named, with `devices`
    devices (default: one node of 8); the model named `name` when given."""
    import yaml

    from audit.spec.catalog import accelerators, hardware_entry, hardware_name

    model = spec_from_hf_config(config, path)
    if name:
        model["name"] = name
    dtype = precision_from_hf_config(config)
    out = [f"# Spec written by `audit spec from-hf {path}`: check every figure before relying on it.", ""]
    out.append(f"# model: from {path}")
    for note in dropped_fields(config):
        out += ["# " + line for line in textwrap.wrap(f"not in the spec: {note}", 98)]
    out.append(yaml.safe_dump({"model": model}, sort_keys=False, default_flow_style=False).rstrip())
    out.append("")
    if hardware:
        try:
            name = hardware_name(hardware)
        except AuditError as e:
            raise AuditError(f"--hardware: {e.message}") from None
        entry = hardware_entry(name)
        source = " ".join(str(accelerators()[name].get("source", "")).split())
        note = f"hardware: {name} from the audit catalog. Source: {source}"
        out += ["# " + line for line in textwrap.wrap(note, 98)]
        count = devices or 8
        block = {"hardware": {"name": entry["name"], "devices": count,
                              **{k: v for k, v in entry.items() if k != "name"}}}
        text = yaml.safe_dump(block, sort_keys=False, default_flow_style=False, width=100).rstrip()
        if devices is None:
            text = text.replace("  devices: 8", "  devices: 8  # default: one node; set the devices you have", 1)
        out.append(text)
    else:
        out += [
            "# hardware: FILL IN (or run again with --hardware NAME; `audit catalog` lists them).",
            "# The spec does not load until this block is uncommented and filled.",
            "# hardware:",
            "#   name: my accelerator",
            f"#   devices: {devices or 8}                 # available",
            "#   memory: 80 GB",
            "#   memory_bandwidth: 3.35 TB/s",
            "#   peak_flops: {bf16: 989.5 TFLOPS, fp8: 1979 TFLOPS}   # dense peaks",
            "#   interconnect_bandwidth: 900 GB/s   # optional",
        ]
    out += [
        "",
        "precision:",
        f"  weights: {dtype}      # from the config's torch_dtype / quantization_config",
        "  activations: bf16   # default",
        "  # kv_cache: fp8     # defaults to activations",
        "",
        "workload:            # defaults: set your design point",
        "  batch_size: 1      # global",
        "  input_tokens: 2048",
        "  output_tokens: 256",
        "",
        "# requirements: {ttft: 2 s, tpot: 50 ms}",
        "# scenarios:         # otherwise read from the report",
        "#   baseline: {tp: 8, pp: 1, dp: 1}",
        "",
    ]
    return "\n".join(out)
