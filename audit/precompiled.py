"""What every start would otherwise work out again: the shipped YAML files parsed and the Markdown verdict's
template compiled.

Generated files in the package, written by ``python -m audit.precompiled`` (``--check`` exits 1 when one
is out of date; so does `tests/test_precompiled.py`): `audit/_shipped.json`, every shipped YAML file
parsed (rule files, vocabulary, catalog), found by the hash of the file's bytes and used only with the
`audit.yamlio` it was parsed by, so an edited file, or an edited parser, is simply parsed again; and
`audit/output/_verdict.py`, the verdict's template as jinja2 compiles it, used only with the jinja2
version, options and template text it was compiled from. Neither depends on the Python version.

Regular expressions are compiled by `re` in each process (`regex`, once per pattern): nothing compiled is
read back from outside the package, since a program read from a user's cache would reach the regular
expression engine unchecked.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path


@cache
def regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, once per process."""
    return re.compile(pattern, int(flags))


# --- the generated files ---------------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent
SHIPPED = PACKAGE / "_shipped.json"
TEMPLATE = PACKAGE / "output" / "_verdict.py"


def shipped_files() -> list[Path]:
    """The YAML files shipped with audit: rule files, vocabulary, catalog."""
    from audit.judge.rules import rules_dir

    return [*sorted(rules_dir().glob("*.yaml")), PACKAGE / "bind" / "vocabulary.yaml",
            *sorted((PACKAGE / "spec" / "data").glob("*.yaml"))]


def parser_hash() -> str:
    """The hash of `audit.yamlio`'s source: what a parsed file depends on besides its bytes."""
    import hashlib

    return hashlib.sha256((PACKAGE / "yamlio.py").read_bytes()).hexdigest()


def shipped_source() -> str:
    """The text of `audit/_shipped.json`: every shipped YAML file as `audit.yamlio` parses it today.

    JSON, so that reading it costs the same whether or not Python keeps bytecode: ``{"parser": the
    SHA-256 of audit/yamlio.py, "files": {the SHA-256 of a file's bytes: the JSON text of [its name, its
    data, its lines as [[key, ...], line] pairs]}}``; each file's data is decoded anew at every use."""
    import hashlib
    import json

    from audit import yamlio

    files = {}
    for path in shipped_files():
        raw = path.read_bytes()
        data, lines = yamlio.parse_yaml(raw.decode("utf-8-sig"), str(path))
        entry = [f"{path.parent.name}/{path.name}", data, [[list(key), line] for key, line in lines.lines.items()]]
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        back = json.loads(text)
        if repr(back[1]) != repr(data):  # a key or value JSON cannot hold as it is (an int key, a date): parsed
            continue
        files[hashlib.sha256(raw).hexdigest()] = text
    document = {"generated": "by `python -m audit.precompiled` from the shipped YAML files: do not edit",
                "parser": parser_hash(), "files": files}
    return json.dumps(document, ensure_ascii=False, indent=0) + "\n"


def template_source() -> str:
    """The text of `audit/output/_verdict.py`: the Markdown verdict's template as jinja2 compiles it today."""
    import hashlib

    import jinja2

    from audit.output.markdown import TEMPLATE_NAME, _environment, options_key

    env = _environment()
    source, filename, _ = env.loader.get_source(env, TEMPLATE_NAME)
    code = env.compile(source, TEMPLATE_NAME, None, raw=True, defer_init=True)
    head = ['"""Generated from audit/output/templates/verdict.md.j2 by `python -m audit.precompiled`: do not edit.',
            "", "jinja2's compiled form of the template (`Environment.compile_templates`), used only with the jinja2",
            'version, the template text and the environment options it was compiled with."""', "",
            "# fmt: off", "# ruff: noqa", "# mypy: ignore-errors", f"JINJA2 = {jinja2.__version__!r}",
            f"SOURCE = {hashlib.sha256(source.encode('utf-8')).hexdigest()!r}", f"OPTIONS = {options_key()!r}", ""]
    return "\n".join(head) + "\n" + code + "\n"


def generated() -> dict[Path, str]:
    return {SHIPPED: shipped_source(), TEMPLATE: template_source()}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: python -m audit.precompiled [--check]", file=sys.stderr)
        return 2
    stale = 0
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current == text:
            if not args:
                print(f"{path} is up to date")
            continue
        if args:
            print(f"{path}: out of date; run `python -m audit.precompiled`", file=sys.stderr)
            stale += 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
