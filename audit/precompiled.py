"""What every start would otherwise work out again: the shipped YAML files parsed, the Markdown verdict's
template compiled, and the programs of the regular expressions a check compiles.

Two stores, each holding only what would be computed again:

- **Generated files in the package**, written by ``python -m audit.precompiled`` (``--check`` exits 1
  when one is out of date; so does `tests/test_precompiled.py`): `audit/_shipped.json`, every shipped
  YAML file parsed (rule files, vocabulary, catalog), found by the hash of the file's bytes and used
  only with the `audit.yamlio` it was parsed by, so an edited file, or an edited parser, is simply
  parsed again; and `audit/output/_verdict.py`, the verdict's template as jinja2 compiles it, used only
  with the jinja2 version, options and template text it was compiled from. Neither depends on the
  Python version.
- **The programs of regular expressions** (`regex`), kept per user: Python compiles a pattern in pure
  Python, and the patterns of a check (the unit scanner, the vocabulary) cost more at every start than
  auditing a report does. A program is kept under its pattern's text and flags for this Python build
  (the file's header holds ``sys.version`` and the regular expression engine's magic number: another
  build reads nothing), and only once the program built here gave a pattern equal to `re.compile`'s
  (same flags, same code, same text). The folder is ``$AUDIT_CACHE_DIR`` (empty: none), else
  ``$XDG_CACHE_HOME/audit``, ``~/.cache/audit`` (``~/Library/Caches/audit`` on macOS,
  ``%LOCALAPPDATA%\\audit`` on Windows); it is read once per process and written at exit when
  something was added, atomically. A file that cannot be read, is damaged or is another build's is
  ignored and replaced; a folder that cannot be written is left alone, without a word.
"""

from __future__ import annotations

import _sre
import marshal
import os
import re
import sys
from array import array
from pathlib import Path

_FORMAT = 1
MAX_ENTRIES = 4096
"""More programs than this and the file keeps only those this process used."""

_entries: dict[tuple, tuple] | None = None
"""What the file holds, read on first use."""
_new: dict[tuple, tuple] = {}
"""What this process added, written at exit."""
_used: set[tuple] = set()
_writable: list[bool] = []
enabled = True
"""False: compile every pattern, read and write nothing (the tests compare both paths)."""


def _header() -> tuple:
    return (_FORMAT, sys.version, sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE, sys.maxunicode)


def cache_dir() -> str | None:
    """The folder the programs are kept in (see above), None for none."""
    where = os.environ.get("AUDIT_CACHE_DIR")
    if where is not None:
        return where or None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "audit") if base and not base.startswith("~") else None


def cache_path() -> str | None:
    """The file the programs are kept in: one per Python build."""
    import zlib

    folder = cache_dir()
    if folder is None:
        return None
    return os.path.join(folder, f"regex-{sys.implementation.cache_tag}-{zlib.crc32(repr(_header()).encode()):08x}.bin")


def _load() -> dict[tuple, tuple]:
    global _entries
    if _entries is None:
        _entries = {}
        path = cache_path()
        if path is not None:
            try:
                with open(path, "rb") as f:
                    header, entries = marshal.load(f)
                if header == _header() and isinstance(entries, dict):
                    _entries = entries
            except Exception:  # noqa: S110 -- missing, unreadable or damaged: compiled again and rewritten
                pass
    return _entries


def _can_keep() -> bool:
    """Whether programs compiled here can be kept (the folder, or the nearest one above it, can be written)."""
    if not _writable:
        path = cache_path()
        folder = os.path.dirname(path) if path else ""
        while folder and not os.path.isdir(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        _writable.append(bool(folder) and os.access(folder, os.W_OK))
    return _writable[0]


def save() -> None:
    """Write the programs this process added (at exit; a folder that cannot be written is left alone)."""
    path = cache_path()
    if not _new or path is None:
        return
    entries = {**_load(), **_new}
    if len(entries) > MAX_ENTRIES:
        entries = {k: v for k, v in entries.items() if k in _used}
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as f:
            marshal.dump((_header(), entries), f)
        os.replace(temporary, path)  # a process reading it meanwhile sees the old file or the new one
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return
    _load().update(_new)
    _new.clear()


_CODE_TYPE = next((t for t in ("I", "L", "H") if array(t).itemsize == _sre.CODESIZE), None)


def regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, its program read from the cache when this Python build compiled it before."""
    flags = int(flags)
    if not enabled:
        return re.compile(pattern, flags)
    key = (pattern, flags)
    found = _load().get(key) or _new.get(key)
    if found is not None:
        try:
            compiled = _from_program(pattern, found)
            _used.add(key)
            return compiled
        except Exception:  # noqa: S110 -- a program this build does not take: compiled below
            pass
    compiled = re.compile(pattern, flags)
    program = _program(pattern, flags) if _can_keep() else None
    if program is not None:
        try:
            same = _from_program(pattern, program) == compiled  # flags, code and text: the very same program
        except Exception:
            same = False
        if same:
            if not _new:
                import atexit

                atexit.register(save)
            _new[key] = program
            _used.add(key)
    return compiled


def _program(pattern: str, flags: int) -> tuple | None:
    """What `re._compiler.compile` gives the engine for `pattern`, None where that is not known."""
    if _CODE_TYPE is None or sys.implementation.name != "cpython":
        return None
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        return (flags | parsed.state.flags, array(_CODE_TYPE, code).tobytes(), parsed.state.groups - 1,
                groupindex, tuple(indexgroup))
    except Exception:
        return None


def _from_program(pattern: str, program: tuple) -> re.Pattern[str]:
    flags, code, groups, groupindex, indexgroup = program
    codes = array(_CODE_TYPE or "I")
    codes.frombytes(code)
    return _sre.compile(pattern, flags, codes.tolist(), groups, dict(groupindex), tuple(indexgroup))


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
