"""The spec file format: the model, the hardware, the precision and the workload a report is audited
against, and the scenarios (whole deployments) the report compares.

The format is a fixed interface (docs/spec.md); other tools read it. Quantities are strings with
units ("64 GB", "1.8 TB/s", "400 TFLOPS", "30 s") or plain numbers in base units. These pydantic
models describe the file; `audit.spec.load` resolves catalog names and per-scenario overrides and
turns every scenario into one `audit.records.Scenario`.

No `from __future__ import annotations` here: pydantic then reads each field's type as it is instead of
evaluating its text (a sixth of what building these models costs at every start).
"""

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from audit import units


def _quantity(kind: str):
    def parse(v):
        if isinstance(v, bool):
            raise ValueError(f"expected a {kind} quantity, got a boolean")
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, str):
            return units.parse_quantity(v, kind)
        raise ValueError(f"expected a {kind} quantity such as {units.EXAMPLES[kind]!r}")

    return BeforeValidator(parse)


def _schema(example: str, base_unit: str) -> WithJsonSchema:
    """JSON Schema of a quantity: what the file holds ("64 GB" or a number), not the parsed float."""
    return WithJsonSchema({
        "anyOf": [{"type": "string", "examples": [example]}, {"type": "number", "exclusiveMinimum": 0}],
        "description": f"a quantity with a unit, such as {example!r}, or a plain number ({base_unit})",
    })


Bytes = Annotated[float, _quantity("bytes"), Field(gt=0), _schema("64 GB", "bytes")]
Bandwidth = Annotated[float, _quantity("bandwidth"), Field(gt=0), _schema("1.8 TB/s", "bytes per second")]
FlopRate = Annotated[float, _quantity("flop_rate"), Field(gt=0), _schema("400 TFLOPS", "FLOP per second")]
Seconds = Annotated[float, _quantity("time"), Field(gt=0), _schema("30 s", "seconds")]
TokenRate = Annotated[float, _quantity("token_rate"), Field(gt=0), _schema("5000 tokens/s", "tokens per second")]
Count = Annotated[float, _quantity("count"), Field(gt=0), _schema("235B", "a count")]
PosInt = Annotated[int, Field(gt=0, strict=True)]  # strict: `true` or 2.5 is not a count
NonNegInt = Annotated[int, Field(ge=0, strict=True)]

DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nf4")
BYTES_PER_ELEMENT: dict[str, float] = {
    "fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5, "nf4": 0.5,
}
BITS = {dtype: size * 8 for dtype, size in BYTES_PER_ELEMENT.items()}

HF_DTYPES: dict[str, str] = {
    "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "float32": "fp32", "float": "fp32",
    "float8_e4m3fn": "fp8", "float8_e4m3fnuz": "fp8", "float8_e5m2": "fp8", "float8_e5m2fnuz": "fp8",
    "e4m3": "fp8", "e5m2": "fp8", "uint4": "int4", "mxfp4": "fp4", "nvfp4": "fp4",
}
"""The spellings of Hugging Face's `torch_dtype` and quantisation configs, as the spec's precisions."""


def _dtype(v: object) -> object:
    return HF_DTYPES.get(v.strip().lower(), v.strip().lower()) if isinstance(v, str) else v


Dtype = Annotated[Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nf4"],
                  BeforeValidator(_dtype),
                  WithJsonSchema({"type": "string", "enum": [*DTYPES, *HF_DTYPES],
                                  "description": "a precision; Hugging Face's spellings (bfloat16, float8_e4m3fn) too"})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attention(_Strict):
    """GQA/MHA (heads, kv_heads, head_dim) or MLA (low-rank q and kv projections)."""

    kind: Literal["gqa", "mha", "mla"] = "gqa"
    heads: PosInt
    kv_heads: PosInt | None = None  # GQA; defaults to heads (MHA)
    head_dim: PosInt | None = None  # defaults to hidden_size / heads (`ModelSpec.head_dim`)
    # MLA (DeepSeek-V2/V3)
    q_lora_rank: PosInt | None = None  # None: q is a full projection
    kv_lora_rank: PosInt | None = None
    qk_nope_head_dim: PosInt | None = None
    qk_rope_head_dim: PosInt | None = None
    v_head_dim: PosInt | None = None

    @model_validator(mode="after")
    def _mla_fields(self):
        if self.kind == "mla":
            missing = [f for f in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
                       if getattr(self, f) is None]
            if missing:
                raise ValueError(f"MLA attention needs {', '.join(missing)}")
        elif self.kv_heads is not None and self.kv_heads > self.heads:
            raise ValueError(f"kv_heads {self.kv_heads} is larger than heads {self.heads}")
        return self


class MoE(_Strict):
    experts: PosInt
    experts_per_token: PosInt
    expert_intermediate_size: PosInt
    shared_experts: NonNegInt = 0
    shared_intermediate_size: PosInt | None = None  # defaults to expert_intermediate_size
    first_dense_layers: NonNegInt = 0  # use intermediate_size

    @model_validator(mode="after")
    def _topk(self):
        if self.experts_per_token > self.experts:
            raise ValueError("experts_per_token is larger than experts")
        return self


class ModelSpec(_Strict):
    name: str = "model"
    layers: PosInt
    hidden_size: PosInt
    vocab_size: PosInt
    tie_word_embeddings: bool = False
    intermediate_size: PosInt | None = None
    attention: Attention
    moe: MoE | None = None
    sliding_window: PosInt | None = None
    """Tokens of KV a sequence keeps in the windowed layers (Mistral, Gemma); None: full attention."""
    sliding_window_layers: PosInt | None = None
    """How many layers use the window (Gemma 2 alternates); defaults to every layer."""
    stated_params: Count | None = None
    stated_active_params: Count | None = None

    @model_validator(mode="after")
    def _dense_mlp(self):
        if self.intermediate_size is None and (self.moe is None or self.moe.first_dense_layers):
            raise ValueError("intermediate_size is required for dense MLP layers")
        if self.moe and self.moe.first_dense_layers > self.layers:
            raise ValueError("moe.first_dense_layers is larger than layers")
        if self.sliding_window_layers is not None and self.sliding_window_layers > self.layers:
            raise ValueError("sliding_window_layers is larger than layers")
        return self

    @property
    def kv_heads(self) -> int:
        """KV heads (GQA); MHA without kv_heads has one per query head; MLA caches one latent."""
        a = self.attention
        return 1 if a.kind == "mla" else a.kv_heads or a.heads

    @property
    def head_dim(self) -> int:
        """The one default of the head dimension: the spec's, else hidden_size / heads; MLA: v_head_dim."""
        a = self.attention
        if a.kind == "mla":
            return a.v_head_dim or 0
        return a.head_dim or self.hidden_size // a.heads

    @property
    def windowed_layers(self) -> int:
        """Layers whose KV the sliding window bounds (0 without a window)."""
        return 0 if self.sliding_window is None else self.sliding_window_layers or self.layers


class Hardware(_Strict):
    name: str = "accelerator"
    devices: PosInt
    devices_per_node: PosInt = 8
    memory: Bytes
    memory_bandwidth: Bandwidth
    peak_flops: dict[Dtype, FlopRate]
    interconnect_bandwidth: Bandwidth | None = None


class Precision(_Strict):
    weights: Dtype = "bf16"
    kv_cache: Dtype | None = None  # defaults to activations, as serving engines do
    activations: Dtype = "bf16"
    compute: Dtype | None = None
    """The precision matmuls run at; defaults to the narrower of weights and activations, with 4-bit
    (and narrower) weights dequantised to the activations' precision (W4A16)."""


class PrecisionOverride(_Strict):
    """Fields of `precision` a scenario sets for itself."""

    weights: Dtype | None = None
    kv_cache: Dtype | None = None
    activations: Dtype | None = None
    compute: Dtype | None = None


class TokenRange(_Strict):
    min: PosInt
    max: PosInt

    @model_validator(mode="after")
    def _order(self):
        if self.min > self.max:
            raise ValueError("min is larger than max")
        return self


Tokens = PosInt | TokenRange


class Workload(_Strict):
    batch_size: PosInt | None = None  # global; may be left out when every scenario sets its own
    input_tokens: Tokens
    output_tokens: Tokens | None = None


class Requirements(_Strict):
    ttft: Seconds | None = None
    tpot: Seconds | None = None
    throughput: TokenRate | None = None


def _catalog_forms(schema: dict, model: type) -> None:
    """Let editors accept what `audit.spec.load` accepts: catalog names and `{catalog: NAME, ...}`; in a
    scenario also some fields only, over the top level's."""
    partial = model.__name__ == "ScenarioSpec"
    forms = {
        "model": "a model from `audit catalog`, or a Hugging Face config.json relative to the spec",
        "hardware": "an accelerator from `audit catalog` (then give `devices` in the mapping form)",
    }
    props = schema.get("properties", {})
    for key, what in forms.items():
        if key in props:
            described = f"{what}, with fields overridden" + (", or fields over the top level's" if partial else "")
            mapping: dict = {"type": "object", "description": described, "properties": {"catalog": {"type": "string"}}}
            if not partial:
                mapping["required"] = ["catalog"]
            props[key] = {"anyOf": [props[key], {"type": "string", "description": what}, mapping]}


class ScenarioSpec(_Strict):
    """A scenario as the file writes it: a layout, plus anything it sets apart from the top level.

    `hardware` and `model` arrive here already resolved into whole mappings by the loader (a catalog
    name, a config.json path or fields over the top level's)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_catalog_forms)

    tp: PosInt = 1
    pp: PosInt = 1
    dp: PosInt = 1
    ep: PosInt = 1
    batch_size: PosInt | None = None  # global; defaults to workload.batch_size
    input_tokens: Tokens | None = None
    output_tokens: Tokens | None = None
    precision: PrecisionOverride | None = None
    hardware: Hardware | None = None
    model: ModelSpec | None = None
    aliases: list[str] = []


class Spec(_Strict):
    """A whole spec file. Catalog references are resolved by `audit.spec.load.load_spec`."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_catalog_forms)

    model: ModelSpec
    hardware: Hardware
    precision: Precision = Precision()
    workload: Workload
    requirements: Requirements = Requirements()
    scenarios: dict[str, ScenarioSpec] = {}
