"""Load a spec file: YAML -> catalog references resolved -> `Spec` -> semantic checks.

Every problem is one `AuditError` line naming the file, the line, the dotted field and what
was expected, e.g. ``specs/x.yaml:12: hardware.memory: unknown unit 'GX' in '64 GX' (...)``;
only the first problem is shown, with "(and N more)" when there are others.

Catalog references (see `audit catalog`):

- ``hardware: H100-SXM`` or ``hardware: {catalog: H100-SXM, devices: 16, memory: 64 GB}``:
  the catalog entry with single fields overridden (mappings such as `peak_flops` are merged
  key by key). A catalog accelerator has no device count: without `devices`, one node of
  `devices_per_node` (default 8) is assumed.
- ``model: Qwen3-235B-A22B`` or ``model: {catalog: Qwen3-235B-A22B, stated_params: 235B}``.
- ``model: path/to/config.json`` (relative to the spec file): a Hugging Face config, see `audit.hf`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from audit.errors import AuditError
from audit.spec import Hardware, Spec
from audit.yamlio import LineMap, load_yaml

# weights run at their own precision when the part has a peak for it, else at 16 bits
PEAK_FLOPS_FALLBACK: tuple[str, ...] = ("bf16", "fp16")


def load_spec(path: str | Path) -> Spec:
    """Read and check the spec at `path`. Raises AuditError (one line) on any problem."""
    name = str(path)
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise AuditError("expected a mapping with model, hardware, precision, workload", name, 1)
    resolved, origins = resolve_references(data, lines, name)
    try:
        spec = Spec.model_validate(resolved)
    except ValidationError as e:
        loc, message, others = _first_problem([dict(err) for err in e.errors()], origins, resolved)
        raise AuditError(message + (f" (and {others} more)" if others else ""), name, lines.line(loc)) from None
    problems = semantic_problems(spec)
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AuditError(message + more, name, lines.line(loc))
    return spec


def peak_flops_for(hardware: Hardware, dtype: str) -> tuple[str, float] | None:
    """The dense peak matmuls in `dtype` run at: (precision used, FLOP/s).

    Falls back to bf16, then fp16, when the part has no peak for `dtype` (int4 weights are
    dequantised to 16 bits, W4A16); None when there is neither.
    """
    for candidate in (dtype, *PEAK_FLOPS_FALLBACK):
        if candidate in hardware.peak_flops:
            return candidate, hardware.peak_flops[candidate]
    return None


def semantic_problems(spec: Spec) -> list[tuple[tuple, str]]:
    """What a well-formed spec can still get wrong: (location, message) in file order.

    A scenario using more devices than `hardware.devices` is *not* a problem here: reports
    claim such deployments and the audit flags them.
    """
    problems: list[tuple[tuple, str]] = []
    weights = spec.precision.weights
    if peak_flops_for(spec.hardware, weights) is None:
        problems.append((("hardware", "peak_flops"),
                         f"hardware.peak_flops: no entry for the weights precision {weights} and no "
                         f"{' or '.join(PEAK_FLOPS_FALLBACK)} fallback (has: {', '.join(spec.hardware.peak_flops) or 'none'})"))
    heads, layers = spec.model.attention.heads, spec.model.layers
    for name, scenario in spec.scenarios.items():
        if heads % scenario.tp:
            problems.append((("scenarios", name, "tp"),
                             f"scenarios.{name}.tp: TP {scenario.tp} does not divide the {heads} attention heads"))
        if scenario.pp > layers:
            problems.append((("scenarios", name, "pp"),
                             f"scenarios.{name}.pp: PP {scenario.pp} is larger than the {layers} layers"))
    return problems


# --- catalog references ---------------------------------------------------------------

def resolve_references(data: dict, lines: LineMap, path: str) -> tuple[dict, dict[str, str]]:
    """Replace catalog names and config.json paths under `model` and `hardware` by mappings.

    Returns the new document and, per top-level key, the catalog entry it came from.
    """
    resolved, origins = dict(data), {}
    for key in ("model", "hardware"):
        value = data.get(key)
        where: tuple[str, ...]
        if isinstance(value, dict) and "catalog" in value:
            ref, overrides = value["catalog"], {k: v for k, v in value.items() if k != "catalog"}
            where = (key, "catalog")
        elif isinstance(value, str):
            ref, overrides, where = value, {}, (key,)
        else:
            continue
        if not isinstance(ref, str):
            raise AuditError(f"{'.'.join(where)}: expected a catalog name, got {ref!r}", path, lines.line(where))
        try:
            base = _model_ref(ref, path) if key == "model" else _hardware_ref(ref)
        except AuditError as e:  # an error inside a referenced config.json names that file too
            raise AuditError(f"{'.'.join(where)}: {e}", path, lines.line(where)) from None
        if key == "hardware" and "devices" not in overrides:  # an accelerator named alone: one node of it
            base = {**base, "devices": overrides.get("devices_per_node", base.get("devices_per_node", 8))}
        resolved[key] = _merge(base, overrides)
        origins[key] = ref
    return resolved, origins


def _hardware_ref(ref: str) -> dict:
    from audit.catalog import hardware_entry

    return hardware_entry(ref)


def _model_ref(ref: str, spec_path: str) -> dict:
    if ref.lower().endswith(".json"):
        from audit.hf import read_hf_config, spec_from_hf_config

        config_path = str(Path(spec_path).parent / ref)
        return spec_from_hf_config(read_hf_config(config_path), config_path)
    from audit.catalog import model_entry

    return model_entry(ref)


def _merge(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` applied; nested mappings are merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- pydantic errors -> one line --------------------------------------------------------

def _first_problem(errors: list[dict], origins: dict[str, str], data: object = None) -> tuple[tuple, str, int]:
    """(location in the file, message, number of other fields with problems) for the first problem."""
    by_field: dict[tuple, list[dict]] = {}
    # a problem on a line the user wrote beats a missing field (a misspelt key causes both)
    for err in sorted(errors, key=lambda e: e["type"] == "missing"):
        by_field.setdefault(_field_path(err["loc"], data), []).append(err)
    fields = list(by_field)
    first = fields[0]
    # a union reports each alternative; when one alternative went deeper, that is the real problem
    deeper = [f for f in fields[1:] if f[: len(first)] == first and len(f) > len(first)]
    target = deeper[0] if deeper else first
    others = len([f for f in fields if f[: len(first)] != first])
    group = by_field[target]
    err = group[0]
    dotted = ".".join(str(p) for p in target)
    if err["type"] == "missing":
        message = f"field required: {dotted}" + _catalog_hint(target, origins)
        return target[:-1], message, others
    specific = [e for e in group if e["type"] in ("value_error", "assertion_error")]
    if len(group) > 1 and specific:  # one alternative of the union fitted in form but not in value
        return target, f"{dotted}: {_message(specific[0], target)}", others
    if len(group) > 1:  # alternatives of a union, none of which fits
        wanted = " or ".join(dict.fromkeys(_expected(e) for e in group))
        return target, f"{dotted}: expected {wanted}, got {_show(err.get('input'))}", others
    message = _message(err, target)
    return target, f"{dotted}: {message}" if dotted else message, others


def _field_path(loc: tuple, data: object = None) -> tuple:
    """The pydantic location without union-member tags ('constrained-int', 'function-after[...]').

    A part that is a key (or index) of the document at that point is the user's, whatever it looks
    like ("int", "a[1]"): only parts that are not there can be tags.
    """
    path = []
    for p in loc:
        if isinstance(data, dict) and p in data:
            data = data[p]
        elif isinstance(data, list) and isinstance(p, int) and 0 <= p < len(data):
            data = data[p]
        elif isinstance(p, str) and (p == "[key]" or _TAG.fullmatch(p) or p.startswith("constrained-")
                                     or p in _UNION_TAGS):
            continue
        else:
            data = None
        path.append(p)
    return tuple(path)


_TAG = re.compile(r"[a-z][a-z-]*\[.*\]")
_UNION_TAGS = frozenset({"int", "float", "str", "bool", "dict", "list", "none", "TokenRange"})


def _expected(err: dict) -> str:
    kind = err["type"]
    if kind.startswith("int_"):
        return "a whole number"
    if kind.startswith("float_"):
        return "a number"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "a mapping"
    if kind.startswith("string_"):
        return "text"
    return err["msg"]


def _message(err: dict, loc: tuple) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1) if loc else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        return "unknown field" + (f" ({hint}expected one of: {', '.join(known)})" if known else "")
    if kind == "literal_error":
        what = "precision" if _is_dtype(loc) else "value"
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"unknown {what} {_show(value)} (expected one of: {expected})"
    if kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        return f"must be {'>' if kind == 'greater_than' else '>='} {bound}, got {_show(value)}"
    if kind in ("value_error", "assertion_error"):
        text = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            text = text.removeprefix(prefix)
        return text
    if kind == "bool_type" or kind == "bool_parsing":
        return f"expected true or false, got {_show(value)}"
    return f"expected {_expected(err)}, got {_show(value)}"


def _catalog_hint(loc: tuple, origins: dict[str, str]) -> str:
    ref = origins.get(str(loc[0])) if loc else None
    if ref is None or len(loc) != 2:
        return ""
    if loc == ("hardware", "devices"):
        return f" (a catalog accelerator has no device count: write `hardware: {{catalog: {ref}, devices: N}}`)"
    return f" (catalog entry {ref!r} does not give it: add `{loc[1]}` next to `catalog: {ref}`)"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_dtype(loc: tuple) -> bool:
    return loc[:1] == ("precision",) or loc[:2] == ("hardware", "peak_flops")


def _known_fields(loc: tuple) -> list[str]:
    """Field names of the spec model at `loc` (dict keys and list indices stepped through)."""
    annotation: object = Spec
    for part in loc:
        model = _model_class(annotation)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    model = _model_class(annotation)
    return list(model.model_fields) if model else []


def _model_class(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_class(arg)
            if found is not None:
                return found
    return None


def run_schema(args, write) -> int:
    """`audit schema spec`: the JSON Schema of the spec format, for editors."""
    import json

    write(json.dumps(Spec.model_json_schema(), indent=2, sort_keys=True) + "\n", None)
    return 0
