"""`audit spec from-hf CONFIG_JSON [--hardware NAME] [-o FILE]`: a Hugging Face config.json becomes a spec."""

from __future__ import annotations

from audit.commands import Write
from audit.spec.hf import read_hf_config, render_spec


def run(args, write: Write) -> int:
    config = read_hf_config(args.config)
    write(render_spec(config, args.config, getattr(args, "hardware", None)), getattr(args, "output", None))
    return 0
