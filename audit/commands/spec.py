"""`audit spec from-hf CONFIG_JSON [--hardware NAME] [--devices N] [--name NAME] [-o FILE]`: a Hugging Face
config.json becomes a spec. What the spec cannot say of the config (an MTP module, bias terms, a window
that is off) is named on stderr and in the spec's comments."""

from __future__ import annotations

import sys

from audit.commands import Write
from audit.spec.hf import dropped_fields, read_hf_config, render_spec


def run(args, write: Write) -> int:
    config = read_hf_config(args.config)
    name = getattr(args, "name", None)
    text = render_spec(config, args.config, getattr(args, "hardware", None), name, getattr(args, "devices", None))
    for note in dropped_fields(config):
        print(f"audit: warning: {args.config}: {note}", file=sys.stderr)
    if not name and not config.get("_name_or_path"):
        print(f"audit: warning: {args.config}: no _name_or_path; the model is named after its architecture or "
              "folder (give --name)", file=sys.stderr)
    write(text, getattr(args, "output", None))
    return 0
