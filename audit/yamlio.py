"""Read a YAML input file (spec, rule file) safely, and remember where every key stands.

`yaml.safe_load` semantics, stricter: no anchors or aliases (a 400-byte "billion laughs"
document fails at its first anchor instead of expanding), no duplicate keys, no tags beyond
plain YAML (`!!python/object/apply` is refused before anything is constructed). Every failure
is one `AuditError` line, ``path:line: message``.

Where PyYAML was built with libyaml, the scanner and parser are its C ones (`yaml.CSafeLoader`'s
`CParser`, about 8x faster on the shipped rule files, vocabulary and catalog); the events they give
are composed and constructed by the same Python code as with the pure loader, so every refusal
above is the same code on both paths. A document the C path cannot read is read again by the pure
loader, whose error (message and line) is the one reported: errors do not depend on libyaml.

A shipped file (rule files, vocabulary, catalog) is not parsed at all: audit/_shipped.json holds each as
parsed here, found by the SHA-256 of the file's bytes and used only while this module's source is the
one that parsed it (`python -m audit.precompiled` writes it; an edited file is parsed as any other).

The `LineMap` maps a path of keys and indices (``("hardware", "memory")``) to the 1-based line
the key or sequence item stands on, so a pydantic error location can be pointed back at the file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from audit.bounded import read_bytes
from audit.errors import AuditError

PathKey = tuple[str | int, ...]

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences admitted: a spec or rule file needs four or five levels;
refusing at 64 keeps a hostile file from costing seconds or the recursion limit."""

MAX_BYTES = 16_000_000
"""Largest YAML file read (the shipped catalog is ~30 KB); a larger one, or a FIFO or device named as
a spec or rule file (a committed symlink to /dev/zero), is refused before it is read."""

MAX_INTEGER = 2**63
"""Largest integer magnitude admitted; beyond it a count is a typo or an attack (a 5,000-digit
literal would otherwise hit Python's int conversion limit, a 400-digit one overflow a float)."""

_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("null", "bool", "int", "float", "str", "map", "seq", "timestamp", "binary", "merge")
)


@dataclass(frozen=True, slots=True)
class LineMap:
    """Where each mapping key and sequence item of a YAML document stands."""

    lines: dict[PathKey, int] = field(default_factory=dict)
    """Path (mapping keys as text, sequence indices as int) -> 1-based line."""

    def line(self, path: Iterable[object]) -> int:
        """Line of `path`, or of its longest prefix that is in the file (1 for none).

        A missing field thus points at its parent, a field filled in from elsewhere at the
        key it came through.
        """
        best, prefix = 1, ()  # type: tuple[int, tuple[str | int, ...]]
        for part in path:
            key = part if isinstance(part, int) and (*prefix, part) in self.lines else str(part)
            prefix = (*prefix, key)
            if prefix not in self.lines:
                break
            best = self.lines[prefix]
        return best


class _Strict:
    """Composer and constructor overrides that refuse anchors, aliases, duplicate keys and nesting
    deeper than MAX_DEPTH; mixed into the pure loader and into the one over libyaml's events."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML aliases are not allowed (anchors '&' and aliases '*')", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent) and self._depth >= MAX_DEPTH:
            raise _Refused(f"YAML nested more than {MAX_DEPTH} levels deep", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = self.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        raise _Refused(f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark)
                    seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """The pure-Python SafeLoader, strict."""

    def fetch_flow_collection_start(self, token_class):
        # the scanner runs ahead of the composer and is quadratic in flow depth: stop it here
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(f"YAML nested more than {MAX_DEPTH} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)


_CSafeLoader = getattr(yaml, "CSafeLoader", None)  # None where PyYAML was built without libyaml
_CStrictLoader: Any = None
if _CSafeLoader is not None:
    class _CStrictLoaderImpl(_Strict, yaml.composer.Composer, _CSafeLoader):  # type: ignore[misc, valid-type]
        """libyaml's scanner and parser (C); PyYAML's composer (Python, so `_Strict` sees every
        event) and the safe constructor, strict. libyaml's parser keeps its nesting on a heap stack,
        not the C stack, and the composer stops at MAX_DEPTH."""

        def __init__(self, stream):
            _CSafeLoader.__init__(self, stream)
            self.anchors = {}  # Composer's state (its __init__ takes no stream)

    _CStrictLoader = _CStrictLoaderImpl


def _construct_int(loader: _StrictLoader, node) -> int:
    digits = str(node.value).lstrip("+-").replace("_", "")
    if len(digits) > 24:  # cheap guard before int() sees it; 2^63 has 19 digits, 0x/0o forms a few more
        raise _Refused(f"integer {str(node.value)[:24]}... is too large (at most {MAX_INTEGER:.3g})", node.start_mark)
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    if abs(value) > MAX_INTEGER:
        raise _Refused(f"integer {node.value} is too large (at most {MAX_INTEGER:.3g})", node.start_mark)
    return value


def _construct_float(loader: _StrictLoader, node) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise _Refused(f"{node.value!r} is not a finite number", node.start_mark)
    return value


_loader: Any
for _loader in (_StrictLoader, _CStrictLoader):
    if _loader is not None:
        _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
        _loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


class _Refused(Exception):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message, self.mark = message, mark


def load_yaml(path: str | Path) -> tuple[object, LineMap]:
    """Parse the YAML file at `path`: (data, where each key stands). Raises AuditError."""
    name = str(path)
    try:
        raw = read_bytes(path, MAX_BYTES, "YAML file", expected="a YAML file")
    except AuditError as e:
        if e.message == "no such file":  # a missing spec or rule file is said as it always was
            raise AuditError("cannot read: no such file", name) from None
        raise
    shipped = _shipped(raw)
    if shipped is not None:
        return shipped
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise AuditError(f"not UTF-8 text (byte 0x{raw[e.start]:02x})", name, line) from None
    return parse_yaml(text, name)


def _shipped(raw: bytes) -> tuple[object, LineMap] | None:
    """A shipped file (rule file, vocabulary, catalog) as parsed when audit/_shipped.json was generated (`python -m
    audit.precompiled`), when it is byte for byte that file and this module the one that parsed it."""
    import hashlib

    found = _generated().get(hashlib.sha256(raw).hexdigest())
    if found is None:
        return None
    import json

    _, data, lines = json.loads(found)
    return data, LineMap({tuple(key): line for key, line in lines})


@lru_cache(maxsize=1)
def _generated() -> dict[str, str]:
    """audit/_shipped.json's files, none when it is missing or was made by another version of this module."""
    import hashlib
    import json

    try:
        document = json.loads((Path(__file__).parent / "_shipped.json").read_text(encoding="utf-8"))
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except (OSError, ValueError):  # installed without it, or without this module's source: every file is parsed
        return {}
    return document["files"] if document.get("parser") == source else {}


def parse_yaml(text: str, name: str = "<string>") -> tuple[object, LineMap]:
    """Parse YAML `text`; `name` is the path errors are reported against."""
    if _CStrictLoader is not None:
        try:
            return _parse(_CStrictLoader, text, name)
        except Exception:  # noqa: S110 -- read again by the pure loader, whose error (message, line) is reported
            pass
    return _parse(_StrictLoader, text, name)


def _parse(loader_class: type, text: str, name: str) -> tuple[object, LineMap]:
    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            return None, LineMap({})
        lines: dict[PathKey, int] = {}
        _walk(node, (), lines)
        data = loader.construct_document(node)
    except _Refused as e:
        raise AuditError(e.message, name, e.mark.line + 1) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = ": ".join(str(p) for p in (e.context, e.problem) if p) or "invalid YAML"
        raise AuditError(f"YAML syntax error: {message}", name, mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as e:
        line = text[: max(e.position, 0)].count("\n") + 1
        raise AuditError(f"YAML syntax error: {e.reason} ({_codepoint(e.character)})", name, line) from None
    except yaml.YAMLError as e:
        raise AuditError(f"YAML syntax error: {e}", name) from None
    except RecursionError:
        raise AuditError("YAML nested too deeply", name) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, LineMap(lines)


def _walk(node, path: PathKey, lines: dict[PathKey, int]) -> None:
    """Record the line of every key and item below `node`; refuse tags that are not plain YAML."""
    if node.tag not in _PLAIN_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(f"YAML tag {tag!r} is not allowed (plain YAML only)", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag not in _PLAIN_TAGS:
                _walk(key_node, path, lines)
            key = (*path, str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?")
            lines.setdefault(key, key_node.start_mark.line + 1)
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines)


def _codepoint(character: object) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return f"character U+{code:04X}"
