"""`audit catalog [NAME]`: the accelerators and models shipped with audit, with their sources.

    audit catalog                  # two tables that fit a 100-column terminal
    audit catalog H100             # one entry, every field and its source (name or alias)
    audit catalog --format json    # everything, as the data files hold it
    audit catalog --format markdown
"""

from __future__ import annotations

import json
import textwrap

from audit.commands import Write
from audit.errors import AuditError
from audit.spec.catalog import accelerators, hardware_name, model_name, models

WIDTH = 100


def run(args, write: Write) -> int:
    """`audit catalog`: the tables, one entry, or the JSON of the catalog."""
    fmt = getattr(args, "format", "markdown") or "markdown"
    name = getattr(args, "name", None)
    if name:
        kind, canonical, entry = find(name)
        if fmt == "json":
            text = json.dumps({"kind": kind, "name": canonical, **entry}, indent=2, ensure_ascii=False) + "\n"
        else:
            text = render_entry(kind, canonical, entry)
    elif fmt == "json":
        text = json.dumps({"accelerators": accelerators(), "models": models()}, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "text":
        text = render_terminal()
    else:
        text = render_catalog()
    write(text, getattr(args, "output", None))
    return 0


def find(name: str) -> tuple[str, str, dict]:
    """("accelerator" | "model", catalog name, entry) of a name or alias; AuditError listing the closest."""
    import difflib

    for kind, resolve, entries in (("accelerator", hardware_name, accelerators), ("model", model_name, models)):
        try:
            canonical = resolve(name)
        except AuditError:
            continue
        return kind, canonical, entries()[canonical]
    names = [*accelerators(), *models()]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (`audit catalog` lists them)"
    raise AuditError(f"no accelerator or model named '{name}' in the catalog{hint}")


def render_entry(kind: str, name: str, entry: dict) -> str:
    """One catalog entry: every field, then its source, wrapped to 100 columns."""
    lines = [f"{name} ({kind})", ""]

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            lines.append(f"  {prefix}: {', '.join(str(v) for v in value)}")
        else:
            lines.append(f"  {prefix}: {value}")

    walk("", {k: v for k, v in entry.items() if k not in ("source",)})
    lines += ["", "source:"]
    lines += textwrap.wrap(" ".join(str(entry.get("source", "")).split()), WIDTH - 2, initial_indent="  ",
                           subsequent_indent="  ")
    form = (f"hardware: {{catalog: {name}, devices: 8}}" if kind == "accelerator" else f"model: {name}")
    lines += ["", f"In a spec: {form}"]
    return "\n".join(lines) + "\n"


def render_terminal() -> str:
    """Two plain tables that fit 100 columns; `audit catalog NAME` shows the aliases and the source of one."""
    accel = [["name", "memory", "bandwidth", "TFLOPS bf16/fp16", "fp8", "int8", "fp4"]]
    for name, e in accelerators().items():
        peak = e.get("peak_flops", {})
        accel.append([name, e.get("memory", "-"), e.get("memory_bandwidth", "-"),
                      peak.get("bf16") or peak.get("fp16") or "-", peak.get("fp8", "-"), peak.get("int8", "-"),
                      peak.get("fp4", "-")])
    model_rows = [["name", "layers", "hidden", "attention", "heads (kv)", "experts (top-k)", "params"]]
    for name, e in models().items():
        att, moe = e["attention"], e.get("moe")
        kind = att.get("kind", "gqa")
        heads = f"{att['heads']} ({att.get('kv_heads', att['heads'])})" if kind != "mla" else str(att["heads"])
        if e.get("sliding_window"):
            kind += f", window {e['sliding_window']}"
        experts = f"{moe['experts']} ({moe['experts_per_token']})" if moe else "dense"
        stated = " / ".join(str(e[k]) for k in ("stated_params", "stated_active_params") if k in e) or "-"
        model_rows.append([name, e["layers"], e["hidden_size"], kind, heads, experts, stated])
    out = ["Accelerators (dense peaks; memory is the vendor label, GiB in practice)", ""]
    out += _table(accel)
    out += ["", "Models", ""]
    out += _table(model_rows)
    out += ["", "`audit catalog NAME` shows one entry with its aliases and its source;",
            "`audit catalog --format markdown` (or json) shows every entry with its source.", ""]
    return "\n".join(line[:WIDTH].rstrip() for line in out)


def _table(rows: list[list]) -> list[str]:
    text = [["" if c is None else " ".join(str(c).split()).removesuffix(" TFLOPS") for c in row] for row in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(text[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in text]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


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
