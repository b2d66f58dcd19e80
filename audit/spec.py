"""The spec: the model, the hardware, the precision and the workload a report is audited against.

The format is a fixed interface (see DESIGN.md, "Spec format"); other tools read it.
Quantities are strings with units ("64 GB", "1.8 TB/s", "400 TFLOPS", "30 s") or plain
numbers in base units.
"""

from __future__ import annotations

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

Dtype = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nf4"]
BYTES_PER_ELEMENT: dict[str, float] = {
    "fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5, "nf4": 0.5,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attention(_Strict):
    """GQA/MHA (heads, kv_heads, head_dim) or MLA (low-rank q and kv projections)."""

    kind: Literal["gqa", "mha", "mla"] = "gqa"
    heads: PosInt
    kv_heads: PosInt | None = None  # GQA; defaults to heads (MHA)
    head_dim: PosInt | None = None  # defaults to hidden_size / heads
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
    stated_params: Count | None = None
    stated_active_params: Count | None = None

    @model_validator(mode="after")
    def _dense_mlp(self):
        if self.intermediate_size is None and (self.moe is None or self.moe.first_dense_layers):
            raise ValueError("intermediate_size is required for dense MLP layers")
        if self.moe and self.moe.first_dense_layers > self.layers:
            raise ValueError("moe.first_dense_layers is larger than layers")
        return self


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


class TokenRange(_Strict):
    min: PosInt
    max: PosInt

    @model_validator(mode="after")
    def _order(self):
        if self.min > self.max:
            raise ValueError("min is larger than max")
        return self


class Workload(_Strict):
    batch_size: PosInt
    input_tokens: PosInt | TokenRange
    output_tokens: PosInt | TokenRange | None = None

    @property
    def input_max(self) -> int:
        t = self.input_tokens
        return t if isinstance(t, int) else t.max

    @property
    def input_min(self) -> int:
        t = self.input_tokens
        return t if isinstance(t, int) else t.min


class Requirements(_Strict):
    ttft: Seconds | None = None
    tpot: Seconds | None = None
    throughput: TokenRate | None = None


class Scenario(_Strict):
    tp: PosInt = 1
    pp: PosInt = 1
    dp: PosInt = 1
    ep: PosInt = 1
    batch_size: PosInt | None = None  # global; defaults to workload.batch_size
    aliases: list[str] = []


def _catalog_forms(schema: dict) -> None:
    """Let editors accept what `audit.specload` accepts: catalog names and `{catalog: NAME, ...}`."""
    props = schema.get("properties", {})
    forms = {
        "model": "a model from `audit catalog`, or a Hugging Face config.json relative to the spec",
        "hardware": "an accelerator from `audit catalog` (then give `devices` in the mapping form)",
    }
    for key, what in forms.items():
        if key in props:
            props[key] = {"anyOf": [
                props[key],
                {"type": "string", "description": what},
                {"type": "object", "required": ["catalog"], "description": f"{what}, with fields overridden",
                 "properties": {"catalog": {"type": "string"}}},
            ]}


class Spec(_Strict):
    """A whole spec file. Catalog references are resolved by `audit.specload.load_spec`."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_catalog_forms)

    model: ModelSpec
    hardware: Hardware
    precision: Precision = Precision()
    workload: Workload
    requirements: Requirements = Requirements()
    scenarios: dict[str, Scenario] = {}
