"""First-principles formulas of an LLM deployment, as sympy expressions over named symbols.

Each function returns one expression; `audit.model` compiles each once per process (lambdify
with ``modules="math"``) and prints it once as the formula and once as a substitution template.
The conventions are those of DESIGN.md, "Physics conventions"; each docstring names its source.

Two levels keep the verdict readable. Architecture expressions (parameter counts, KV bytes per
token) are over the config's own symbols, so a substitution shows the config's numbers:
``94*(2*128*4096*(64 + 4) + ...)``. Deployment expressions use their results as symbols
(``P_total*b_w/(PP*TP)`` -> ``235.09e9*1/(4*2)``), the way a reviewer writes the arithmetic.

Symbols
    L layers, h hidden size, V vocabulary, n_h query heads, n_kv KV heads, d_h head dim;
    MLA: r_q q_lora_rank, r_kv kv_lora_rank, d_nope / d_rope qk head dims, d_v v head dim;
    d_ff dense intermediate size, L_dense dense layers of a MoE, E experts, k experts per token,
    d_e expert intermediate size, n_s shared experts, d_s shared intermediate size;
    b_w / b_kv bytes per weight / KV element; TP PP DP EP parallel degrees; B global batch;
    s tokens (prompt or context); R peak FLOP/s per device; BW memory bytes/s per device;
    M memory capacity per device; N devices available.
    Derived (values of the architecture expressions): P_total, P_act (matmul params per token,
    lm_head in, embedding lookup out), P_emb (untied embedding), P_head (lm_head matmul),
    P_experts (routed experts, all layers), P_routed (routed experts active per token, all
    layers), P_attn (attention per layer), P_ffn (MLP/MoE active per token, all layers, router and
    shared experts in), kv_tok (KV bytes per token), d_qk, F (prefill FLOPs of one request),
    F_exp (its routed-expert part), W_dev (weight bytes per device), W_read (weight bytes a
    decode micro-batch reads per device), KV_dev (KV bytes per device), B_mb (tokens per
    micro-batch), X_p / X_d (prefill / decode throughput ceilings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy as sp

if TYPE_CHECKING:
    from audit.model import Shape

_NAMES = (
    "L h V n_h n_kv d_h r_q r_kv d_nope d_rope d_v d_qk d_ff L_dense E k d_e n_s d_s b_w b_kv "
    "TP PP DP EP B s R BW M N P_total P_act P_emb P_head P_experts P_routed P_attn P_ffn kv_tok "
    "F F_exp W_dev W_read KV_dev B_mb X_p X_d"
)
SYMBOLS: dict[str, sp.Symbol] = {name: sp.Symbol(name, positive=True) for name in _NAMES.split()}
(L, h, V, n_h, n_kv, d_h, r_q, r_kv, d_nope, d_rope, d_v, d_qk, d_ff, L_dense, E, k, d_e, n_s, d_s,
 b_w, b_kv, TP, PP, DP, EP, B, s, R, BW, M, N, P_total, P_act, P_emb, P_head, P_experts, P_routed,
 P_attn, P_ffn, kv_tok, F, F_exp, W_dev, W_read, KV_dev, B_mb, X_p, X_d) = SYMBOLS.values()


# --- architecture --------------------------------------------------------------------------

def attention_params(shape: Shape) -> sp.Expr:
    """Attention weights of one layer (norms and biases ignored: < 0.01% of every model here).

    GQA/MHA: q and o are h x n_h*d_h, k and v are h x n_kv*d_h -> 2*h*d_h*(n_h + n_kv).
    MLA (DeepSeek-V2 paper, sec. 2.1; DeepSeek-V3 config): q_a h x r_q, q_b r_q x n_h*(d_nope+d_rope)
    (or one h x n_h*(d_nope+d_rope) without q_lora), kv_a h x (r_kv+d_rope), kv_b
    r_kv x n_h*(d_nope+d_v), o n_h*d_v x h.
    """
    if not shape.mla:
        return 2 * h * d_h * (n_h + n_kv)
    q = h * r_q + r_q * n_h * (d_nope + d_rope) if shape.q_lora else h * n_h * (d_nope + d_rope)
    return q + h * (r_kv + d_rope) + r_kv * n_h * (d_nope + d_v) + n_h * d_v * h


def _moe_layer(shape: Shape, experts: sp.Expr) -> sp.Expr:
    """One MoE MLP: `experts` SwiGLU experts of 3*h*d_e, the router h x E, shared experts."""
    layer = 3 * experts * h * d_e + h * E
    return layer + 3 * n_s * h * d_s if shape.shared else layer


def _layers(shape: Shape, experts: sp.Expr) -> sp.Expr:
    """All transformer layers: attention + MLP (dense SwiGLU 3*h*d_ff, or MoE with `experts`)."""
    attn = attention_params(shape)
    if not shape.moe:
        return L * (attn + 3 * h * d_ff)
    if not shape.dense_layers:
        return L * (attn + _moe_layer(shape, experts))
    return L * attn + 3 * L_dense * h * d_ff + (L - L_dense) * _moe_layer(shape, experts)


def params_total(shape: Shape) -> sp.Expr:
    """Every weight: layers + embedding + an untied lm_head (V x h each).

    Checked within 0.5% against models.yaml for every model there (Qwen3-235B-A22B 235.09e9,
    DeepSeek-V3 671.03e9 without the MTP module).
    """
    return _layers(shape, E) + (V * h if shape.tied else 2 * V * h)


def params_active(shape: Shape, embedding: bool) -> sp.Expr:
    """Parameters one token multiplies by: layers with top-k experts + lm_head (DESIGN.md).

    The embedding lookup costs no FLOPs; model cards count it (`embedding=True`): Qwen3-235B-A22B
    21.57e9 without, 22.19e9 with. A tied embedding is the lm_head, counted once.
    """
    active = _layers(shape, k) + V * h
    return active + V * h if embedding and not shape.tied else active


def ffn_params_active(shape: Shape) -> sp.Expr:
    """MLP/MoE parameters one token multiplies by, all layers: top-k + router + shared experts."""
    if not shape.moe:
        return 3 * L * h * d_ff
    moe = _moe_layer(shape, k)
    if not shape.dense_layers:
        return L * moe
    return 3 * L_dense * h * d_ff + (L - L_dense) * moe


def routed_experts(shape: Shape, experts: str) -> sp.Expr:
    """Routed expert weights over all MoE layers: (L - L_dense) * experts * 3*h*d_e (0 when dense);
    `experts` is "E" (all of them, P_experts) or "k" (those one token uses, P_routed)."""
    if not shape.moe:
        return sp.Integer(0)
    moe_layers = L - L_dense if shape.dense_layers else L
    return 3 * moe_layers * SYMBOLS[experts] * h * d_e


def embedding_params(shape: Shape) -> sp.Expr:
    """The input embedding V x h when untied (tied: it is the lm_head, counted there)."""
    return sp.Integer(0) if shape.tied else V * h


def lm_head_params() -> sp.Expr:
    """The lm_head matmul V x h, present for tied embeddings too (the logits are computed)."""
    return V * h


def kv_cache_per_token(shape: Shape) -> sp.Expr:
    """K and V for every layer: 2*L*n_kv*d_h*b_kv (GQA); MLA caches the latent and the rope key:
    L*(r_kv + d_rope)*b_kv. Source: ISCA'25 DeepSeek-V3 paper, Table 1 (70,272 / 327,680 /
    516,096 bytes in BF16 for DeepSeek-V3 / Qwen2.5-72B / Llama-3.1-405B)."""
    if shape.mla:
        return L * (r_kv + d_rope) * b_kv
    return 2 * L * n_kv * d_h * b_kv


# --- deployment ----------------------------------------------------------------------------

def device_count() -> sp.Expr:
    """Devices of a deployment: TP x PP x DP (DESIGN.md)."""
    return TP * PP * DP


def heads_per_device() -> sp.Expr:
    """Query heads a tensor-parallel rank holds."""
    return n_h / TP


def layers_per_stage(heaviest: bool) -> sp.Expr:
    """Layers of a pipeline stage: the heaviest stage ceil(L/PP) or the average L/PP."""
    return sp.ceiling(L / PP) if heaviest else L / PP


def weights_per_device(ep: bool, heaviest: bool, tied: bool) -> sp.Expr:
    """Weight bytes per device (DESIGN.md): P_total*b_w/(TP*PP); with EP > 1 the routed experts
    shard over EP*PP instead. `heaviest`: the stage with ceil(L/PP) layers of average size, the
    embedding and lm_head spread over the stages."""
    vocab = P_head if tied else P_emb + P_head
    if not heaviest:
        if not ep:
            return P_total * b_w / (TP * PP)
        return (P_total - P_experts) * b_w / (TP * PP) + P_experts * b_w / (EP * PP)
    stage = sp.ceiling(L / PP) / L
    if not ep:
        return b_w * ((P_total - vocab) * stage + vocab / PP) / TP
    return b_w * (((P_total - vocab - P_experts) / TP + P_experts / EP) * stage + vocab / (PP * TP))


def weights_read_per_device(ep: bool, moe: bool, experts_read: str, tied: bool) -> sp.Expr:
    """Weight bytes a device reads for one decode micro-batch: every weight but the embedding
    table (a lookup of B rows), and of the routed experts only those the micro-batch touches.

    experts_read: "all"; "topk" (every token routed alike: k of E per layer, the hard floor);
    "uniform" (uniform routing of B_mb tokens: E*(1 - (1 - k/E)**B_mb) per layer expected).
    """
    weights = P_total if tied else P_total - P_emb
    if not moe or experts_read == "all":
        share = sp.Integer(1)
    elif experts_read == "topk":
        share = k / E
    else:
        share = 1 - (1 - k / E) ** B_mb
    if not ep:
        return (weights - (1 - share) * P_experts) * b_w / (TP * PP) if moe else weights * b_w / (TP * PP)
    return (weights - P_experts) * b_w / (TP * PP) + share * P_experts * b_w / (EP * PP)


def kv_cache_per_device(split: str, per_replica: bool) -> sp.Expr:
    """KV bytes per device for the batch of a replica at context s (DESIGN.md).

    split: "heads" shards over PP and min(TP, n_kv) (TP beyond the KV heads replicates them);
    "tp" divides by TP (attention partitioned by batch, Pope et al. 2022); "none" for MLA (the
    latent is not split by TP). per_replica: the scenario batch B is per replica, not B/DP.
    """
    batch = B if per_replica else B / DP
    shards = {"heads": PP * sp.Min(TP, n_kv), "tp": PP * TP, "none": PP}[split]
    return batch * s * kv_tok / shards


def memory_per_device() -> sp.Expr:
    """Memory floor per device: weights + KV cache (activations and workspace come on top)."""
    return W_dev + KV_dev


def memory_utilization() -> sp.Expr:
    """Memory floor as a fraction of the device capacity M."""
    return (W_dev + KV_dev) / M


def prefill_flops(causal: bool, head_last: bool, embedding: bool) -> sp.Expr:
    """Prefill FLOPs of one request of s tokens (DESIGN.md; Kaplan et al. 2020, eq. 2.2 form):
    2*P_act*s for the matmuls + 2*n_h*(d_qk + d_v)*s**2 per layer for the scores (QK^T and AV),
    halved when causal. `head_last`: logits for the last token only, as engines do.
    `embedding`: the embedding counted as a matmul (model-card active count)."""
    scores = L * n_h * (d_qk + d_v) * s**2 * (1 if causal else 2)
    matmuls = 2 * (P_act - P_head) * s + 2 * P_head if head_last else 2 * P_act * s
    if embedding:
        matmuls += 2 * P_emb * s
    return matmuls + scores


def prefill_flops_attention(causal: bool, projections: bool = True) -> sp.Expr:
    """Attention FLOPs of one request: projections 2*L*P_attn*s + scores (see `prefill_flops`).
    Reports also call the scores alone (QK^T and AV) "attention FLOPs": `projections=False`."""
    scores = L * n_h * (d_qk + d_v) * s**2 * (1 if causal else 2)
    return 2 * L * P_attn * s + scores if projections else scores


def prefill_flops_mlp() -> sp.Expr:
    """MLP/MoE FLOPs of one request: 2*P_ffn*s (top-k experts, router and shared experts in)."""
    return 2 * P_ffn * s


def routed_expert_flops() -> sp.Expr:
    """The routed experts' share of prefill FLOPs: 2*P_routed*s."""
    return 2 * P_routed * s


def batch_flops(per_replica: bool) -> sp.Expr:
    """FLOPs of a batch of requests of F FLOPs each: the global batch B or a replica's B/DP."""
    return B * F / DP if per_replica else B * F


def ttft_floor(ep: bool) -> sp.Expr:
    """Lone-request TTFT at 100% of peak, the PP stages one after another (DESIGN.md):
    F/(TP*R); with EP > 1 the routed experts run on max(TP, EP) devices per stage."""
    if not ep:
        return F / (TP * R)
    return (F - F_exp) / (TP * R) + F_exp / (sp.Max(TP, EP) * R)


def batch_prefill_floor(per_replica: bool) -> sp.Expr:
    """Prefill of a replica's whole batch on all its TP*PP devices at 100% of peak (DESIGN.md).
    per_replica: the scenario batch B is per replica."""
    batch = B if per_replica else B / DP
    return batch * F / (TP * PP * R)


def decode_step_floor() -> sp.Expr:
    """Time per output token, memory bound (DESIGN.md): a stage reads its weights once per
    micro-batch (PP micro-batches in flight) and its KV once per cycle: (PP*W_read + KV_dev)/BW."""
    return (PP * W_read + KV_dev) / BW


def decode_throughput_ceiling(per_replica: bool) -> sp.Expr:
    """Decode tokens/s (DESIGN.md): every sequence of the batch gets one token per step,
    B*BW/(PP*W_read + KV_dev), capped by compute TP*PP*DP*R/(2*P_act).
    per_replica: the scenario batch B is per replica (DP*B sequences in all)."""
    sequences = DP * B if per_replica else B
    return sp.Min(sequences * BW / (PP * W_read + KV_dev), TP * PP * DP * R / (2 * P_act))


def prefill_throughput_ceiling() -> sp.Expr:
    """Prefill tokens/s: all devices at peak over the FLOPs per token of an s-token prompt."""
    return TP * PP * DP * R * s / F


def throughput_ceiling() -> sp.Expr:
    """A throughput that does not say its phase stays under the larger ceiling (DESIGN.md)."""
    return sp.Max(X_p, X_d)


def figure(name: str) -> sp.Expr:
    """A figure of the spec itself (layers, peak FLOP/s, ...): its symbol."""
    return SYMBOLS[name]
