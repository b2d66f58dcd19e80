"""`audit schema spec|output`: the JSON Schema of the spec format (for editors) or of `--format json`."""

from __future__ import annotations

import json

from audit.commands import Write


def run(args, write: Write) -> int:
    if args.what == "output":
        from audit.output.json import schema

        doc = schema()
    else:
        from audit.spec.schema import Spec

        doc = Spec.model_json_schema()
    write(json.dumps(doc, indent=2, sort_keys=True) + "\n", None)
    return 0
