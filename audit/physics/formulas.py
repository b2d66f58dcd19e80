"""Every metric of a deployment, declared once: name, unit, kind, formula, axes, place in the verdict.

A metric is one declaration here. `@metric(...)` registers a first-principles formula (a sympy
expression over named symbols) with what it is measured in, whether it is a value, a floor or a
ceiling, the interpretation axes its formula varies over (`audit.physics.axes`) and a one-line
description that cites its source; `figure(...)` a figure of the spec itself; `stated(...)` a
figure reports state that is judged against others (a TTFT against the TTFT floor). The model,
the formula cache, `audit calc`, the rule files' schema, the vocabulary and the verdict all read
`METRICS`; registration order is the order of the verdict's tables.

Formulas read like the maths: the symbols below are sympy Symbols, bound when a formula is first
built (`bind_symbols`); a run evaluates the generated cache (`audit.physics.cache`) and never
imports sympy. A formula takes `f`, the features of the scenario's model and layout (`f.moe`,
`f.mla`, `f.ep`, ...), and `r`, the option of each of its own axes (`r.stage == "heaviest"`).
A formula may use another metric through that metric's `symbol`: its value under the same reading.

Symbols (base figures of a scenario)
    L layers, h hidden size, V vocabulary, n_h query heads, n_kv KV heads, d_h head dim;
    MLA: r_q q_lora_rank, r_kv kv_lora_rank, d_nope / d_rope qk head dims, d_v v head dim;
    d_qk, d_v the q·k and v widths per head; d_ff dense intermediate size, L_dense dense layers of a
    MoE, E experts, k experts per token, d_e expert intermediate size, n_s shared experts, d_s shared
    intermediate size; W sliding window, L_w windowed layers; b_w / b_kv bytes per weight / KV
    element; TP PP DP EP parallel degrees, TP_h = gcd(n_h, TP) ranks that split heads; B global
    batch; s_max / s_min longest / shortest prompt, o_max longest output; R dense peak FLOP/s per
    device at the compute precision; BW memory bytes/s per device; M_hbm memory per device as the
    spec gives it; N devices available, N_node devices per node; T_ttft, T_tpot, X_req requirements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BASE_SYMBOLS = (
    "L h V n_h n_kv d_h r_q r_kv d_nope d_rope d_v d_qk d_ff L_dense E k d_e n_s d_s W L_w b_w b_kv "
    "TP PP DP EP TP_h B s_max s_min o_max R BW M_hbm N N_node T_ttft T_tpot X_req"
).split()
FEATURES = ("mla", "q_lora", "moe", "dense_layers", "shared", "tied", "window", "ep")
"""What decides which formula a metric uses: the model's shape and whether experts are parallel."""


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: what a figure of a report can be bound to, and how first principles compute it."""

    name: str
    unit: str
    """Base unit: "1", "B", "B/s", "FLOP", "FLOP/s", "s", "tok/s", "%" (a fraction), "x"."""
    description: str
    """One line: what it is and the source of its formula."""
    kind: str = "value"
    """"value", "floor" (the truth is at least this), "ceiling" (at most this), "figure" (of the spec),
    "stated" (reports state it; rules judge it against other metrics)."""
    symbol: str | None = None
    """The symbol other formulas use for its value."""
    axes: tuple[str, ...] = ()
    """The interpretation axes its own formula varies over."""
    pins: tuple[tuple[str, str], ...] = ()
    """Axes held to one option, for it and what it is built from (a floor takes no embedding FLOPs)."""
    shown: bool = False
    """A row of the verdict's and `audit calc`'s recomputed-figures table."""
    needs: str | None = None
    """What the metric exists only with: a feature ("moe", "window") or a figure the spec may leave out
    ("output", "req_ttft", "req_tpot", "req_throughput")."""
    plausible: tuple[float, float] | None = None
    """The range a figure of this metric can have at all (a parameter count is not 128): outside it, a
    figure is not this metric, whatever its words."""
    expression: Callable[[Any, Any], Any] | None = None

    @property
    def computed(self) -> bool:
        return self.expression is not None


METRICS: dict[str, Metric] = {}


def metric(name: str, unit: str, description: str, *, kind: str = "value", symbol: str | None = None,
           axes: tuple[str, ...] = (), pins: dict[str, str] | None = None, shown: bool = False,
           needs: str | None = None, plausible: tuple[float, float] | None = None):
    """Register the decorated formula as metric `name`."""
    def register(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        _add(Metric(name, unit, description, kind, symbol, axes, tuple(sorted((pins or {}).items())), shown,
                    needs, plausible, fn))
        return fn
    return register


def figure(name: str, symbol: str, unit: str, description: str, needs: str | None = None,
           plausible: tuple[float, float] | None = None) -> None:
    """A figure of the spec (layers, a parallel degree, the peak): its own symbol, as specified."""
    _add(Metric(name, unit, description, "figure", symbol, needs=needs, plausible=plausible,
                expression=lambda f, r: globals()[symbol]))


def stated(name: str, unit: str, description: str, plausible: tuple[float, float] | None = None) -> None:
    """A figure reports state that is not recomputed as such (a TTFT is held to the TTFT floor)."""
    _add(Metric(name, unit, description, "stated", plausible=plausible))


def _add(m: Metric) -> None:
    if m.name in METRICS:
        raise ValueError(f"metric {m.name} is declared twice")
    METRICS[m.name] = m


# Symbols: placeholders until `bind_symbols` makes them sympy Symbols (and Min, Max, ceiling sympy's).
_UNBOUND: Any = None
L = h = V = n_h = n_kv = d_h = r_q = r_kv = d_nope = d_rope = d_v = d_qk = d_ff = L_dense = E = k = _UNBOUND
d_e = n_s = d_s = W = L_w = b_w = b_kv = TP = PP = DP = EP = TP_h = B = s_max = s_min = o_max = R = _UNBOUND
BW = M_hbm = N = N_node = T_ttft = T_tpot = X_req = P_total = P_act = P_emb = P_head = P_experts = _UNBOUND
P_routed = P_attn = P_ffn = kv_tok = B_r = c = c_kv = W_dev = KV_dev = M = s = F = F_att = F_mlp = N_in = _UNBOUND
F_exp = B_mb = W_read = X_p = X_d = Min = Max = ceiling = _UNBOUND


def bind_symbols() -> None:
    """Make every symbol a positive sympy Symbol (and Min, Max, ceiling sympy's); imports sympy."""
    if Min is not _UNBOUND:
        return
    import sympy as sp

    names = BASE_SYMBOLS + [m.symbol for m in METRICS.values() if m.symbol and m.symbol not in BASE_SYMBOLS]
    for name in names:
        globals()[name] = sp.Symbol(name, positive=True)
    globals().update(Min=sp.Min, Max=sp.Max, ceiling=sp.ceiling)


# --- the spec's own figures ---------------------------------------------------------------------

figure("layers", "L", "1", "Transformer layers.", plausible=(1, 1000))
figure("hidden_size", "h", "1", "Hidden size.", plausible=(64, 1e6))
figure("vocab_size", "V", "1", "Vocabulary.", plausible=(1000, 1e7))
figure("heads", "n_h", "1", "Query heads per layer.", plausible=(1, 1024))
figure("kv_heads", "n_kv", "1", "KV heads per layer (MLA: one latent).", plausible=(1, 1024))
figure("head_dim", "d_h", "1", "Head dimension: the spec's, else hidden_size / heads (MLA: v_head_dim).", plausible=(16, 2048))
figure("experts", "E", "1", "Routed experts per MoE layer.", needs="moe", plausible=(2, 4096))
figure("experts_per_token", "k", "1", "Routed experts each token uses (top-k).", needs="moe", plausible=(1, 256))
figure("sliding_window", "W", "1", "Tokens of KV a sequence keeps in the windowed layers.", needs="window")
figure("tp", "TP", "1", "Tensor-parallel degree.")
figure("pp", "PP", "1", "Pipeline-parallel degree.")
figure("dp", "DP", "1", "Data-parallel degree (replicas).")
figure("ep", "EP", "1", "Expert-parallel degree.")
figure("batch_size", "B", "1", "Global batch: sequences in flight over the whole deployment.", plausible=(1, 1e7))
figure("devices_available", "N", "1", "Devices the hardware has (hardware.devices).", plausible=(1, 1e6))
figure("devices_per_node", "N_node", "1", "Devices per node (hardware.devices_per_node).")
figure("memory_bandwidth", "BW", "B/s", "HBM bandwidth per device.", plausible=(1e11, 1e14))
figure("peak_flops", "R", "FLOP/s", "Dense peak per device at the precision matmuls run at.")
figure("input_tokens_min", "s_min", "1", "The shortest prompt of the workload.")
figure("input_tokens_max", "s_max", "1", "The longest prompt of the workload: its design point.")
figure("output_tokens_max", "o_max", "1", "The longest output of the workload.", needs="output")
figure("requirement_ttft", "T_ttft", "s", "The TTFT the spec requires.", needs="req_ttft")
figure("requirement_tpot", "T_tpot", "s", "The time per output token the spec requires.", needs="req_tpot")
figure("requirement_throughput", "X_req", "tok/s", "The throughput the spec requires.",
       needs="req_throughput")


# --- parameters of the architecture ---------------------------------------------------------------

def _attention(f) -> Any:
    """Attention weights of one layer (norms and biases ignored: < 0.01% of every model here).

    GQA/MHA: q and o are h x n_h*d_h, k and v are h x n_kv*d_h -> 2*h*d_h*(n_h + n_kv).
    MLA (DeepSeek-V2 paper, sec. 2.1; DeepSeek-V3 config): q_a h x r_q, q_b r_q x n_h*(d_nope+d_rope)
    (or one h x n_h*(d_nope+d_rope) without q_lora), kv_a h x (r_kv+d_rope), kv_b r_kv x n_h*(d_nope+d_v),
    o n_h*d_v x h.
    """
    if not f.mla:
        return 2 * h * d_h * (n_h + n_kv)
    q = h * r_q + r_q * n_h * (d_nope + d_rope) if f.q_lora else h * n_h * (d_nope + d_rope)
    return q + h * (r_kv + d_rope) + r_kv * n_h * (d_nope + d_v) + n_h * d_v * h


def _moe_layer(f, experts: Any) -> Any:
    """One MoE MLP: `experts` SwiGLU experts of 3*h*d_e, the router h x E, shared experts."""
    layer = 3 * experts * h * d_e + h * E
    return layer + 3 * n_s * h * d_s if f.shared else layer


def _layers(f, experts: Any) -> Any:
    """All transformer layers: attention + MLP (dense SwiGLU 3*h*d_ff, or MoE with `experts`)."""
    attn = _attention(f)
    if not f.moe:
        return L * (attn + 3 * h * d_ff)
    if not f.dense_layers:
        return L * (attn + _moe_layer(f, experts))
    return L * attn + 3 * L_dense * h * d_ff + (L - L_dense) * _moe_layer(f, experts)


@metric("params_total", "1", "Every weight: layers, the embedding and an untied lm_head (model cards agree "
        "within 0.5%: Qwen3-235B-A22B 235.09e9, DeepSeek-V3 671.03e9 without MTP).", symbol="P_total", shown=True,
        plausible=(1e6, 1e14))
def params_total(f, r):
    return _layers(f, E) + (V * h if f.tied else 2 * V * h)


@metric("params_active", "1", "Parameters one token multiplies by: attention, top-k and shared experts, router, "
        "lm_head; model cards also count the embedding (Qwen3-235B-A22B 21.57e9, 22.19e9 with it).",
        symbol="P_act", axes=("embedding",), shown=True, plausible=(1e6, 1e14))
def params_active(f, r):
    active = _layers(f, k) + V * h
    return active + V * h if r.embedding == "counted" else active


@metric("params_embedding", "1", "The input embedding V x h when untied (tied: it is the lm_head).", symbol="P_emb")
def params_embedding(f, r):
    return 0 * V if f.tied else V * h


@metric("params_lm_head", "1", "The lm_head matmul V x h (tied embeddings too: the logits are computed).",
        symbol="P_head")
def params_lm_head(f, r):
    return V * h


def _moe_layers(f) -> Any:
    return L - L_dense if f.dense_layers else L


@metric("params_experts", "1", "Routed expert weights over all MoE layers: (L - L_dense)*E*3*h*d_e.",
        symbol="P_experts", needs="moe")
def params_experts(f, r):
    return 3 * _moe_layers(f) * E * h * d_e


@metric("params_routed_active", "1", "Routed expert weights one token uses: (L - L_dense)*k*3*h*d_e.",
        symbol="P_routed", needs="moe")
def params_routed_active(f, r):
    return 3 * _moe_layers(f) * k * h * d_e


@metric("params_attention_layer", "1", "Attention weights of one layer (q, k, v, o; MLA's low-rank projections).",
        symbol="P_attn")
def params_attention_layer(f, r):
    return _attention(f)


@metric("params_ffn_active", "1", "MLP / MoE weights one token multiplies by, all layers (router, shared experts in).",
        symbol="P_ffn")
def params_ffn_active(f, r):
    if not f.moe:
        return 3 * L * h * d_ff
    if not f.dense_layers:
        return L * _moe_layer(f, k)
    return 3 * L_dense * h * d_ff + (L - L_dense) * _moe_layer(f, k)


@metric("kv_cache_per_token", "B", "K and V of every layer: 2*L*n_kv*d_h*b_kv; MLA caches the latent and the rope "
        "key, L*(r_kv + d_rope)*b_kv (ISCA'25 DeepSeek-V3 paper, Table 1).", symbol="kv_tok", shown=True)
def kv_cache_per_token(f, r):
    if f.mla:
        return L * (r_kv + d_rope) * b_kv
    return 2 * L * n_kv * d_h * b_kv


# --- the layout ---------------------------------------------------------------------------------

@metric("device_count", "1", "Devices of a deployment: TP x PP x DP.", shown=True)
def device_count(f, r):
    return TP * PP * DP


@metric("devices_per_replica", "1", "Devices of one replica: TP x PP.")
def devices_per_replica(f, r):
    return TP * PP


@metric("replicas_per_node", "1", "Replicas a node holds: DP, at most the node's devices over a replica's TP x PP.")
def replicas_per_node(f, r):
    return Min(DP, N_node / (TP * PP))


@metric("devices_in_node", "1", "Devices of one node the deployment uses: all of the node's, or all of the "
        "deployment's when it is smaller than a node.", symbol="N_in")
def devices_in_node(f, r):
    return Min(N_node, TP * PP * DP)


@metric("heads_per_device", "1", "Query heads a device holds: heads / gcd(heads, TP); TP beyond that splits "
        "attention by batch (PaLM 540B: 48 heads on 64 chips, Pope et al. 2022).")
def heads_per_device(f, r):
    return n_h / TP_h


@metric("kv_heads_per_device", "1", "KV heads a device holds: kv_heads / min(TP, kv_heads); TP beyond the KV heads "
        "replicates them (MLA's one latent is on every device).")
def kv_heads_per_device(f, r):
    return n_kv / Min(TP, n_kv)


@metric("layers_per_stage", "1", "Layers of a pipeline stage: L / PP, the heaviest stage ceil(L / PP).",
        axes=("stage",))
def layers_per_stage(f, r):
    return ceiling(L / PP) if r.stage == "heaviest" else L / PP


@metric("layers_per_node", "1", "Layers a node holds: all of them when a replica fits in a node, else L over the nodes "
        "a replica spans (TP*PP/N_node), its stages' share.", axes=("stage",))
def layers_per_node(f, r):
    nodes = Max(1, TP * PP / N_node)
    return ceiling(L / nodes) if r.stage == "heaviest" else L / nodes


@metric("batch_per_replica", "1", "Sequences a replica serves: the global batch over DP.", symbol="B_r",
        axes=("batch",))
def batch_per_replica(f, r):
    return B if r.batch == "per_replica" else B / DP


@metric("context_tokens", "1", "Tokens of context a sequence holds KV for: the longest prompt (first decode step), "
        "or prompt + output.", symbol="c", axes=("context",))
def context_tokens(f, r):
    return s_max + o_max if r.context == "input_output" else s_max


@metric("kv_context_tokens", "1", "Tokens of KV a sequence keeps: the context, at most the window in the windowed "
        "layers (Mistral, Gemma), averaged over the layers.", symbol="c_kv", needs="window")
def kv_context_tokens(f, r):
    return ((L - L_w) * c + L_w * Min(c, W)) / L


# --- memory ---------------------------------------------------------------------------------------

@metric("weights_per_device", "B", "Weight bytes per device: P_total*b_w/(TP*PP); with EP the routed experts shard "
        "over EP*PP; the heaviest stage of an uneven split holds ceil(L/PP) layers of average size.",
        symbol="W_dev", axes=("stage",), shown=True)
def weights_per_device(f, r):
    vocab = P_head if f.tied else P_emb + P_head
    if r.stage != "heaviest":
        if not f.ep:
            return P_total * b_w / (TP * PP)
        return (P_total - P_experts) * b_w / (TP * PP) + P_experts * b_w / (EP * PP)
    stage = ceiling(L / PP) / L
    if not f.ep:
        return b_w * ((P_total - vocab) * stage + vocab / PP) / TP
    return b_w * (((P_total - vocab - P_experts) / TP + P_experts / EP) * stage + vocab / (PP * TP))


@metric("kv_cache_per_device", "B", "KV bytes per device for a replica's batch: B_r*c*kv_tok over PP and "
        "min(TP, kv_heads) (TP beyond the KV heads replicates them; MLA's latent is not split by TP).",
        symbol="KV_dev", axes=("kv_split", "stage"), shown=True)
def kv_cache_per_device(f, r):
    tokens = c_kv if f.window else c
    layers = ceiling(L / PP) / L if r.stage == "heaviest" else 1 / PP
    if r.kv_split == "batch":
        ranks = TP
    else:
        ranks = 1 if f.mla else Min(TP, n_kv)
    return B_r * tokens * kv_tok * layers / ranks


@metric("kv_cache_per_token_per_device", "B", "KV bytes of one token a device holds: kv_tok over PP and min(TP, "
        "kv_heads); MLA's latent, or a batch split when TP is beyond the KV heads, keeps each token whole on its device.",
        axes=("kv_split", "stage"))
def kv_cache_per_token_per_device(f, r):
    layers = ceiling(L / PP) / L if r.stage == "heaviest" else 1 / PP
    ranks = 1 if f.mla or r.kv_split == "batch" else Min(TP, n_kv)
    return kv_tok * layers / ranks


@metric("weights_per_node", "B", "Weight bytes a node holds: W_dev on each device of it the deployment uses.")
def weights_per_node(f, r):
    return W_dev * N_in


@metric("kv_cache_per_node", "B", "KV bytes a node holds: KV_dev on each device of it the deployment uses.")
def kv_cache_per_node(f, r):
    return KV_dev * N_in


@metric("memory_capacity", "B", "Memory per device: the spec's figure; a vendor's \"80 GB\" is 80 GiB in practice "
        "(an H100 reports 81,559 MiB).", symbol="M", axes=("capacity",), plausible=(1e9, 1e13))
def memory_capacity(f, r):
    return M_hbm * 2**30 / 10**9 if r.capacity == "gib" else M_hbm


@metric("memory_per_device", "B", "Memory a device needs at least: its weights and its KV cache (activations and "
        "workspace come on top).", kind="floor", shown=True)
def memory_per_device(f, r):
    return W_dev + KV_dev


@metric("memory_per_node", "B", "Memory a node needs at least: the memory floor of each device of it the deployment "
        "uses.", kind="floor")
def memory_per_node(f, r):
    return (W_dev + KV_dev) * N_in


@metric("memory_utilization", "%", "Memory a device needs at least, as a fraction of its capacity.", kind="floor",
        shown=True)
def memory_utilization(f, r):
    return (W_dev + KV_dev) / M


@metric("free_memory", "B", "Memory a device has left: its capacity less its weights (room for the KV cache), or "
        "less its weights and KV cache.", axes=("free_of",))
def free_memory(f, r):
    return M - W_dev if r.free_of == "weights" else M - W_dev - KV_dev


@metric("kv_share_of_capacity", "%", "The KV cache's share of a device's capacity, as its words say: KV_dev/M.",
        axes=("share_of",), pins={"share_of": "capacity"})
@metric("kv_share_of_footprint", "%", "The KV cache's share of what a device holds, as its words say: "
        "KV_dev/(W_dev + KV_dev).", axes=("share_of",), pins={"share_of": "held"})
@metric("kv_share", "%", "The KV cache's share of a device's memory: of what it holds (KV_dev/(W_dev + KV_dev)) "
        "or of its capacity (KV_dev/M).", axes=("share_of",))
def kv_share(f, r):
    return KV_dev / (W_dev + KV_dev) if r.share_of == "held" else KV_dev / M


@metric("weights_share_of_capacity", "%", "The weights' share of a device's capacity, as its words say: W_dev/M.",
        axes=("share_of",), pins={"share_of": "capacity"})
@metric("weights_share_of_footprint", "%", "The weights' share of what a device holds, as its words say: "
        "W_dev/(W_dev + KV_dev).", axes=("share_of",), pins={"share_of": "held"})
@metric("weights_share", "%", "The weights' share of a device's memory: of what it holds (W_dev/(W_dev + KV_dev)) "
        "or of its capacity (W_dev/M).", axes=("share_of",))
def weights_share(f, r):
    return W_dev / (W_dev + KV_dev) if r.share_of == "held" else W_dev / M


# --- prefill --------------------------------------------------------------------------------------

@metric("prompt_tokens", "1", "The prompt a prefill figure is about: the design point (longest), or the shortest.",
        symbol="s", axes=("prompt",))
def prompt_tokens(f, r):
    return s_min if r.prompt == "shortest" else s_max


def _scores(f, r) -> Any:
    """Attention scores (QK^T and AV) of one s-token request, all layers: 2*n_h*(d_qk + d_v) FLOPs per
    query-key pair, s**2/2 pairs when causal; a window of W keys leaves s*W - W**2/2 pairs."""
    pairs = n_h * (d_qk + d_v) * (1 if r.causal == "causal" else 2)
    if not f.window:
        return L * pairs * s**2
    w = Min(s, W)
    return ((L - L_w) * s**2 + L_w * (2 * s * w - w**2)) * pairs


@metric("prefill_flops", "FLOP", "Prefill FLOPs of one request: 2*P_act*s for the matmuls + the attention scores, "
        "halved when causal; engines compute the lm_head for the last token only (Kaplan et al. 2020, eq. 2.2).",
        symbol="F", axes=("causal", "lm_head"), pins={"prompt": "design"}, shown=True)
def prefill_flops(f, r):
    if r.lm_head == "last":
        return 2 * (P_act - P_head) * s + 2 * P_head + _scores(f, r)
    return 2 * P_act * s + _scores(f, r)


@metric("prefill_flops_batch", "FLOP", "Prefill FLOPs of a batch of requests: the deployment's or one replica's.",
        axes=("batch_scope",), pins={"prompt": "design"})
def prefill_flops_batch(f, r):
    return B_r * F if r.batch_scope == "replica" else B * F


@metric("prefill_flops_attention", "FLOP", "Attention FLOPs of one request: projections 2*L*P_attn*s + scores; "
        "reports also call the scores alone attention FLOPs.", symbol="F_att", axes=("causal", "attention_part"),
        pins={"prompt": "design"})
def prefill_flops_attention(f, r):
    return _scores(f, r) if r.attention_part == "scores" else 2 * L * P_attn * s + _scores(f, r)


@metric("prefill_flops_attention_batch", "FLOP", "Attention FLOPs of a batch of requests.", axes=("batch_scope",),
        pins={"prompt": "design"})
def prefill_flops_attention_batch(f, r):
    return B_r * F_att if r.batch_scope == "replica" else B * F_att


@metric("prefill_flops_mlp", "FLOP", "MLP / MoE FLOPs of one request: 2*P_ffn*s (top-k, router, shared experts), "
        "or the routed experts alone.", symbol="F_mlp", axes=("mlp_part",), pins={"prompt": "design"})
def prefill_flops_mlp(f, r):
    return 2 * P_routed * s if r.mlp_part == "routed" else 2 * P_ffn * s


@metric("prefill_flops_mlp_batch", "FLOP", "MLP / MoE FLOPs of a batch of requests.", axes=("batch_scope",),
        pins={"prompt": "design"})
def prefill_flops_mlp_batch(f, r):
    return B_r * F_mlp if r.batch_scope == "replica" else B * F_mlp


@metric("prefill_flops_experts", "FLOP", "The routed experts' share of one request's prefill: 2*P_routed*s.",
        symbol="F_exp", needs="moe")
def prefill_flops_experts(f, r):
    return 2 * P_routed * s


def _ttft(f, r):
    if not f.ep:
        return F / (TP * R)
    return (F - F_exp) / (TP * R) + F_exp / (Max(TP, EP) * R)


metric("ttft_floor", "s", "TTFT of a lone request at 100% of peak, stages one after another: F/(TP*R); with EP the "
       "routed experts run on max(TP, EP) devices.", kind="floor", pins={"embedding": "free", "prompt": "design"},
       shown=True)(_ttft)
metric("ttft_floor_min_prompt", "s", "The TTFT floor at the shortest prompt (a minimum, median or short-prompt TTFT).",
       kind="floor", pins={"embedding": "free", "prompt": "shortest"}, shown=True)(_ttft)


@metric("batch_prefill_floor", "s", "Prefill of a replica's whole batch on its TP*PP devices at 100% of peak.",
        kind="floor", pins={"embedding": "free", "prompt": "design"}, shown=True)
def batch_prefill_floor(f, r):
    return B_r * F / (TP * PP * R)


# --- decode ---------------------------------------------------------------------------------------

@metric("tokens_per_micro_batch", "1", "Tokens a MoE layer routes per step: a replica's batch, times the replicas "
        "feeding one EP group (EP / TP), over the PP micro-batches in flight.", symbol="B_mb",
        axes=("micro_batch",), needs="moe")
def tokens_per_micro_batch(f, r):
    group = B_r * Max(1, EP / TP) if f.ep else B_r
    return group if r.micro_batch == "whole" else Max(1, group / PP)


@metric("weights_read_per_device", "B", "Weight bytes a device reads per decode micro-batch: all but the embedding "
        "table; of the routed experts the top-k (every token routed alike) or E*(1 - (1 - k/E)**B_mb) per layer "
        "(uniform routing).", symbol="W_read", axes=("routing",))
def weights_read_per_device(f, r):
    weights = P_total if f.tied else P_total - P_emb
    if not f.moe:
        return weights * b_w / (TP * PP)
    share = k / E if r.routing == "topk" else 1 - (1 - k / E) ** B_mb
    if not f.ep:
        return (weights - (1 - share) * P_experts) * b_w / (TP * PP)
    return (weights - P_experts) * b_w / (TP * PP) + share * P_experts * b_w / (EP * PP)


@metric("decode_bytes_per_device", "B", "Bytes a device reads per decode step: PP x the weights it reads per micro-batch "
        "+ its KV cache.")
def decode_bytes_per_device(f, r):
    return PP * W_read + KV_dev


def _decode_step(f, r):
    return (PP * W_read + KV_dev) / BW


def _decode_ceiling(f, r):
    return Min(DP * B_r * BW / (PP * W_read + KV_dev), TP * PP * DP * R / (2 * P_act))


metric("decode_step_floor", "s", "Time per output token at least: a stage reads its weights once per micro-batch and "
       "its KV once per cycle, (PP*W_read + KV_dev)/BW; a MoE step reads at least the top-k experts.", kind="floor",
       pins={"routing": "topk"}, shown=True)(_decode_step)
metric("decode_step_floor_uniform", "s", "The decode step floor when the batch's tokens are routed uniformly: the "
       "experts they touch are read.", kind="floor", pins={"routing": "uniform"}, shown=True, needs="moe")(_decode_step)
metric("decode_throughput_ceiling", "tok/s", "Decode tokens/s at most: every sequence gets a token per step, "
       "DP*B_r*BW/(PP*W_read + KV_dev) (the same read as the step floor), capped by compute TP*PP*DP*R/(2*P_act).",
       kind="ceiling", symbol="X_d", pins={"routing": "topk", "embedding": "free"}, shown=True)(_decode_ceiling)
metric("decode_throughput_ceiling_uniform", "tok/s", "The decode ceiling when the batch's tokens are routed "
       "uniformly (the same read as the uniform step floor).", kind="ceiling",
       pins={"routing": "uniform", "embedding": "free"},
       shown=True, needs="moe")(_decode_ceiling)


@metric("prefill_throughput_ceiling", "tok/s", "Prefill tokens/s at most: every device at peak over the FLOPs per "
        "token of a design-point prompt, TP*PP*DP*R*s/F.", kind="ceiling", symbol="X_p",
        pins={"embedding": "free", "prompt": "design"}, shown=True)
def prefill_throughput_ceiling(f, r):
    return TP * PP * DP * R * s / F


@metric("throughput_ceiling", "tok/s", "A throughput that does not say its phase stays under the larger of the "
        "prefill and decode ceilings.", kind="ceiling")
def throughput_ceiling(f, r):
    return Max(X_p, X_d)


# --- figures reports state, judged against the metrics above ----------------------------------------

stated("ttft", "s", "Time to first token of a request: at least its TTFT floor.")
stated("batch_prefill_time", "s", "Time to prefill a whole batch: at least the batch prefill floor.")
stated("decode_step_time", "s", "Time per output token (TPOT, ITL): at least the decode step floor.")
stated("e2e_latency", "s", "End-to-end latency of a request.")
stated("throughput", "tok/s", "Tokens per second of no stated phase: under the larger ceiling.")
stated("decode_throughput", "tok/s", "Output tokens per second: under the decode ceiling.")
stated("prefill_throughput", "tok/s", "Prompt tokens per second: under the prefill ceiling.")
stated("device_group", "1", "Devices of a group of the layout a report names (\"replicated on 2 GPUs\", \"4 replicas "
       "of 2 GPUs\"): some group of the layout.")
stated("ratio", "x", "\"Nx\" between two figures: their quotient.")
stated("weights_total", "B", "Weights of the whole model.")
stated("kv_cache_total", "B", "KV cache of the whole deployment or batch.")
stated("activation_memory", "B", "Activation memory.")
stated("flops_per_device", "FLOP", "Prefill FLOPs one device computes.")
stated("compute_utilization", "%", "Model FLOPs utilisation (MFU).")
stated("bandwidth_utilization", "%", "Memory bandwidth utilisation (MBU): bytes moved over time, as a fraction of the HBM "
       "bandwidth.")
stated("interconnect_bandwidth", "B/s", "Interconnect bandwidth (NVLink, ICI, ...).")
stated("achieved_bandwidth", "B/s", "Memory bandwidth a run achieved (measured, effective): at most the HBM bandwidth.")
stated("achieved_flops", "FLOP/s", "FLOP rate a run achieved per device (measured, effective): at most the peak.")
stated("input_tokens", "1", "A prompt length the report names: inside the workload's range.")
