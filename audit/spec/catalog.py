"""The accelerators and models shipped with audit (audit/data/*.yaml), and `audit catalog`.

Entries are in the spec's format, so a spec can name one (`hardware: {catalog: H100-SXM,
devices: 16}`, `model: Qwen3-235B-A22B`) and override single fields. Names are matched
case-insensitively, ignoring '-', '_' and spaces, against the name and its aliases.
Every entry carries a `source:`; see the data files for the conventions (dense peaks,
vendor "GB" labels).
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

from audit.errors import AuditError

DATA = Path(__file__).parent / "data"
_NOT_SPEC_FIELDS = ("aliases", "source", "hf_id")


def accelerators() -> dict[str, dict]:
    """Every accelerator entry by its catalog name, as in the data file (with aliases, source)."""
    return _load("hardware.yaml", "accelerators")


def models() -> dict[str, dict]:
    """Every model entry by its catalog name, as in the data file (with aliases, source)."""
    return _load("models.yaml", "models")


def hardware_name(name: str) -> str:
    """The catalog name an accelerator name or alias stands for ("h100-sxm5-80gb" -> "H100-SXM")."""
    return _resolve(name, accelerators(), "accelerator")


def model_name(name: str) -> str:
    """The catalog name a model name or alias stands for."""
    return _resolve(name, models(), "model")


def hardware_entry(name: str) -> dict:
    """The `hardware:` mapping of a catalog accelerator, without `devices` (the spec gives it)."""
    return _spec_fields(accelerators()[hardware_name(name)])


def model_entry(name: str) -> dict:
    """The `model:` mapping of a catalog model."""
    return _spec_fields(models()[model_name(name)])


def _spec_fields(entry: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in entry.items() if k not in _NOT_SPEC_FIELDS}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


def _resolve(name: str, entries: dict[str, dict], what: str) -> str:
    wanted = _key(name)
    for canonical, entry in entries.items():
        if wanted in {_key(canonical), *(_key(a) for a in entry.get("aliases", ()))}:
            return canonical
    raise AuditError(f"unknown {what} {name!r} (known: {', '.join(entries)})")


@functools.cache
def _load(file: str, section: str) -> dict[str, dict]:
    from audit.yamlio import load_yaml

    data, _ = load_yaml(DATA / file)
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise AuditError(f"expected a mapping '{section}:'", str(DATA / file))
    return data[section]
