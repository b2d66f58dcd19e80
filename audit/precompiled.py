"""What every start would otherwise work out again: the shipped YAML files parsed, the Markdown verdict's
template compiled and the programs of the regular expressions audit uses.

Generated files in the package, written by ``python -m audit.precompiled`` (``--check`` exits 1 when one
is out of date; so does `tests/test_precompiled.py`): `audit/_shipped.json`, every shipped YAML file
parsed (rule files, vocabulary, catalog), found by the hash of the file's bytes and used only with the
`audit.yamlio` it was parsed by, so an edited file, or an edited parser, is simply parsed again; and
`audit/output/_verdict.py`, the verdict's template as jinja2 compiles it, used only with the jinja2
version, options and template text it was compiled from. Neither depends on the Python version; the third,
below, does.

Regular expressions: `audit/_regex.json` holds the programs `re` compiles for the patterns audit uses
(every pattern passed to `regex` while the package's modules are imported and the shipped reports are
audited), written by the same command for the interpreter it runs on and used only by an interpreter
whose regular expression engine is the same (`sys.implementation.cache_tag`, `_sre.MAGIC`, `_sre.CODESIZE`);
any other pattern, or any other interpreter, is compiled by `re`. The programs come from inside the
package, as trusted as its code: nothing compiled is read back from outside it (the engine checks a program's
structure only, not that it is what its pattern compiles to, so a program from a user's cache could make a
pattern match something else). The key is the interpreter's minor version and the engine's magic number, not
its patch release: `tests/test_precompiled.py` compares every program with what `re` compiles, on the
interpreter the suite runs on.
"""

from __future__ import annotations

import _sre
import json
import re
import sys
from array import array
from base64 import b64decode, b64encode
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PROGRAMS = PACKAGE / "_regex.json"


@cache
def regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, once per process; its program taken from `audit/_regex.json` when
    that holds it for this interpreter."""
    program = _programs().get((pattern, int(flags)))
    if program is None:
        if _recording is not None:
            _recording.add((pattern, int(flags)))
        return re.compile(pattern, int(flags))
    final, code, groups, groupindex, indexgroup = program
    try:
        return _sre.compile(pattern, final, array("I", b64decode(code)).tolist(), groups, groupindex, tuple(indexgroup))
    except (ValueError, TypeError, RuntimeError):  # a damaged entry ("invalid SRE code"): what re compiles
        return re.compile(pattern, int(flags))


def _engine() -> list:
    """What a compiled program depends on: the interpreter, its regular expression engine, and the width of
    the words its code is written in."""
    return [sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE, array("I").itemsize]


@cache
def _programs() -> dict[tuple[str, int], list]:
    """`audit/_regex.json`'s programs (none while patterns are being recorded)."""
    if _recording is not None:
        return {}
    try:
        return read_programs(PROGRAMS.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def read_programs(text: str) -> dict[tuple[str, int], list]:
    """The programs of an `audit/_regex.json` text by (pattern, flags): none when it was written for another
    engine, or is not such a text."""
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(document, dict) or document.get("engine") != _engine() or not isinstance(
            document.get("programs"), list):
        return {}
    programs = {}
    for entry in document["programs"]:
        if not (isinstance(entry, list) and len(entry) == 7 and isinstance(entry[0], str) and isinstance(entry[3], str)):
            return {}  # not a file this module wrote: compile everything
        pattern, flags, *program = entry
        programs[(pattern, flags)] = program
    return programs


_recording: set[tuple[str, int]] | None = None
"""While `regex_source` runs: every (pattern, flags) compiled, to be written out."""


def program(pattern: str, flags: int) -> list:
    """What `re` passes `_sre.compile` for a pattern: its final flags, code (unsigned 32-bit words, in
    base64), group count and names."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    names = parsed.state.groupdict
    indexgroup = [None] * parsed.state.groups
    for name, index in names.items():
        indexgroup[index] = name
    code = array("I", _compiler._code(parsed, flags)).tobytes()
    return [pattern, flags, int(flags | parsed.state.flags), b64encode(code).decode("ascii"),
            parsed.state.groups - 1, dict(names), indexgroup]


# --- the generated files ---------------------------------------------------------------------------

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


def regex_source() -> str:
    """The text of `audit/_regex.json`: the program of every pattern `regex` compiles while audit's modules
    are imported, its shipped files loaded and the shipped example reports audited, in a fresh process
    (so that every module-level pattern is seen), for this interpreter."""
    import subprocess

    found = subprocess.run([sys.executable, "-c", _RECORD], capture_output=True, text=True, check=True,
                           cwd=PACKAGE.parent).stdout
    patterns = sorted({(pattern, flags) for pattern, flags in json.loads(found)})
    document = {"generated": "by `python -m audit.precompiled`: do not edit", "engine": _engine(),
                "programs": [program(pattern, flags) for pattern, flags in patterns]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


_RECORD = """
import contextlib, importlib, io, json, pkgutil
from pathlib import Path
from audit import precompiled
precompiled._recording = set()
import audit
for module in sorted(m.name for m in pkgutil.walk_packages(audit.__path__, "audit.")):
    if not module.endswith("__main__"):
        importlib.import_module(module)
from audit.cli import main
for report in sorted(Path("reports").glob("*/report.md")):
    spec = next(p for p in sorted(report.parent.glob("*.yaml")) if p.name != "answer-key.yaml")
    for form in ("markdown", "text", "json", "sarif", "github"):
        with contextlib.redirect_stdout(io.StringIO()):
            main(["check", str(report), "--spec", str(spec), "--format", form])
print(json.dumps(sorted(precompiled._recording)))
"""


def generated() -> dict[Path, str]:
    return {SHIPPED: shipped_source(), TEMPLATE: template_source(), PROGRAMS: regex_source()}


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
