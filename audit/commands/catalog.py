"""`audit catalog`: the accelerators and models shipped with audit, with their sources."""

from __future__ import annotations

from audit.commands import Write
from audit.spec.catalog import accelerators, models


def run(args, write: Write) -> int:
    """`audit catalog`: Markdown tables of the shipped accelerators and models."""
    write(render_catalog(), getattr(args, "output", None))
    return 0


def render_catalog() -> str:
    """The catalog as Markdown: one table of accelerators, one of models, each row with its source."""
    lines = ["# Catalog", "", "## Accelerators", "",
             "Dense peaks; memory is the vendor label (GB), which is GiB in practice. "
             "A spec names one as `hardware: NAME` (one node of 8) or `hardware: {catalog: NAME, devices: N}`.", "",
             "| name | aliases | memory | bandwidth | bf16 | fp8 | fp4 | int8 | interconnect | source |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in accelerators().items():
        peak = e.get("peak_flops", {})
        cells = [name, ", ".join(e.get("aliases", ())), e.get("memory"), e.get("memory_bandwidth"),
                 peak.get("bf16"), peak.get("fp8"), peak.get("fp4"), peak.get("int8"),
                 e.get("interconnect_bandwidth"), e.get("source")]
        lines.append(_row(cells))
    lines += ["", "## Models", "", "A spec names one as `model: NAME` or `model: {catalog: NAME, ...}`.", "",
              "| name | layers | hidden | attention | heads (kv) | head dim | MoE experts (top-k, shared) "
              "| vocab | stated params | source |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in models().items():
        att, moe = e["attention"], e.get("moe")
        kind = att.get("kind", "gqa")
        heads = f"{att['heads']} ({att.get('kv_heads', att['heads'])})" if kind != "mla" else str(att["heads"])
        head_dim = (att.get("head_dim") if kind != "mla" else
                    f"qk {att['qk_nope_head_dim']}+{att['qk_rope_head_dim']}, v {att['v_head_dim']}, "
                    f"kv rank {att['kv_lora_rank']}")
        experts = (f"{moe['experts']} ({moe['experts_per_token']}, {moe.get('shared_experts', 0)})"
                   if moe else "dense")
        stated = " / ".join(str(e[k]) for k in ("stated_params", "stated_active_params") if k in e)
        lines.append(_row([name, e["layers"], e["hidden_size"], kind, heads, head_dim, experts,
                           e["vocab_size"], stated, e.get("source")]))
    return "\n".join(lines) + "\n"


def _row(cells: list) -> str:
    text = [" ".join(str("" if c is None else c).split()).replace("|", "\\|") for c in cells]
    return "| " + " | ".join(text) + " |"
