"""Load a spec file: YAML -> catalog references and overrides resolved -> `Spec` -> every scenario as
one `Scenario` -> the checks a well-formed spec can still fail.

Every problem is an `AuditError` line naming the file, the line, the dotted field and what was
expected, e.g. ``specs/x.yaml:12: hardware.memory: unknown unit 'GX' in '64 GX' (...)``; every
problem of a file is reported at once, one line each.

Catalog references (see `audit catalog`), at the top level and in any scenario:

- ``hardware: H100-SXM`` or ``hardware: {catalog: H100-SXM, devices: 16, memory: 64 GB}``:
  the catalog entry with single fields overridden (mappings such as `peak_flops` are merged
  key by key). At the top level an accelerator named without `devices` is one node of it
  (`devices_per_node`, default 8); in a scenario it keeps the top level's device count.
- ``model: Qwen3-235B-A22B`` or ``model: {catalog: Qwen3-235B-A22B, stated_params: 235B}``.
- ``model: path/to/config.json`` (relative to the spec file): a Hugging Face config, see `audit.spec.hf`.

A scenario's `hardware` or `model` given as fields is a whole accelerator (it has `memory`,
`memory_bandwidth` and `peak_flops`) or a whole model (it has `layers` and `attention`); fewer
fields override the top level's. Its `precision` fields override the top level's.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from audit.errors import AuditError
from audit.precompiled import regex
from audit.records import Scenario
from audit.spec.schema import BITS, Hardware, Precision, Spec
from audit.yamlio import LineMap, load_yaml

EQUIVALENT_PEAKS: dict[str, str] = {"bf16": "fp16", "fp16": "bf16"}
"""Precisions every accelerator runs at the same rate: a spec may give the peak of either."""


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """A loaded spec: the file's contents and every scenario it declares, resolved."""

    path: str
    spec: Spec
    scenarios: dict[str, Scenario]
    """The spec's own scenarios; empty when the report is to state them."""

    def scenario(self, name: str, tp: int = 1, pp: int = 1, dp: int = 1, ep: int = 1,
                 batch_size: int | None = None, origin: str = "report") -> Scenario:
        """A scenario of the top-level deployment with this layout (one the report states)."""
        batch = batch_size or self.spec.workload.batch_size or 1
        base = _resolved(self.spec, name, None, origin)
        return replace(base, tp=int(tp), pp=int(pp), dp=int(dp), ep=int(ep), batch_size=int(batch))

    def default_scenarios(self) -> dict[str, Scenario]:
        """The spec's scenarios, or one "default" on a single device when it declares none."""
        return self.scenarios or {"default": self.scenario("default", origin="default")}


def load_spec(path: str | Path) -> LoadedSpec:
    """Read and check the spec at `path`. Raises AuditError (a line per problem) on any problem."""
    data, lines = load_yaml(path)
    return spec_from_data(data, str(path), lines)


def spec_from_data(data: object, name: str = "<spec>", lines: LineMap | None = None) -> LoadedSpec:
    """Check a spec already read into plain data (a YAML mapping); `name` is what errors call it, and
    config.json paths are relative to it."""
    lines = lines or LineMap({})
    if not isinstance(data, dict):
        raise AuditError("expected a mapping with model, hardware, precision, workload", name, 1)
    resolved, origins = resolve_references(data, lines, name)
    try:
        spec = Spec.model_validate(resolved)
    except ValidationError as e:
        found = _problems([dict(err) for err in e.errors()], origins, resolved)
        raise AuditError.gather([AuditError(message, name, lines.line(loc)) for loc, message in found]) from None
    scenarios = {sc_name: _resolved(spec, sc_name, sc, "spec") for sc_name, sc in spec.scenarios.items()}
    problems = semantic_problems(spec, scenarios)
    if problems:
        raise AuditError.gather([AuditError(message, name, lines.line(loc)) for loc, message in problems])
    return LoadedSpec(name, spec, scenarios)


def compute_precision(precision: Precision) -> str:
    """The precision matmuls run at: the spec's `compute`, else the narrower of weights and activations;
    weights of 4 bits or fewer are dequantised to the activations' precision (W4A16)."""
    if precision.compute:
        return precision.compute
    weights, activations = precision.weights, precision.activations
    if BITS[weights] < 8:
        return activations
    return weights if BITS[weights] <= BITS[activations] else activations


def peak_flops(hardware: Hardware, dtype: str) -> float | None:
    """The dense peak of `hardware` at `dtype` (bf16 and fp16 stand for each other); None without one."""
    peaks: dict[str, float] = {str(k): v for k, v in hardware.peak_flops.items()}
    if dtype in peaks:
        return peaks[dtype]
    other = EQUIVALENT_PEAKS.get(dtype)
    return peaks.get(other) if other else None


def _tokens(value) -> tuple[int, int] | None:
    if value is None:
        return None
    return (value, value) if isinstance(value, int) else (value.min, value.max)


def _resolved(spec: Spec, name: str, sc, origin: str) -> Scenario:
    """The whole deployment of scenario `sc` (None: the top level's), every override applied."""
    wl = spec.workload
    precision = spec.precision
    if sc is not None and sc.precision is not None:
        precision = precision.model_copy(update=sc.precision.model_dump(exclude_none=True))
    precision = precision.model_copy(update={"kv_cache": precision.kv_cache or precision.activations})
    precision = precision.model_copy(update={"compute": compute_precision(precision)})
    input_tokens = sc.input_tokens if sc is not None and sc.input_tokens is not None else wl.input_tokens
    output_tokens = sc.output_tokens if sc is not None and sc.output_tokens is not None else wl.output_tokens
    return Scenario(
        name=name,
        tp=sc.tp if sc else 1, pp=sc.pp if sc else 1, dp=sc.dp if sc else 1, ep=sc.ep if sc else 1,
        batch_size=(sc.batch_size if sc and sc.batch_size else wl.batch_size) or 0,
        input_tokens=_tokens(input_tokens) or (1, 1),
        output_tokens=_tokens(output_tokens),
        model=sc.model if sc is not None and sc.model is not None else spec.model,
        hardware=sc.hardware if sc is not None and sc.hardware is not None else spec.hardware,
        precision=precision,
        requirements=spec.requirements,
        aliases=tuple(sc.aliases) if sc is not None else (),
        origin=origin,
    )


def semantic_problems(spec: Spec, scenarios: dict[str, Scenario]) -> list[tuple[tuple, str]]:
    """What a well-formed spec can still get wrong: (location, message), in file order. A problem of the
    top level is said once, at the top level, not again for every scenario that inherits it."""
    problems: list[tuple[tuple, str]] = []
    top = _resolved(spec, "", None, "spec")
    problems += _precision_problems(top, ())
    if not scenarios and spec.workload.batch_size is None:
        problems.append((("workload",), "workload.batch_size: required when the spec has no scenarios "
                         "(each scenario may set its own batch_size instead)"))
    for name, sc in scenarios.items():
        where, dotted = ("scenarios", name), f"scenarios.{name}"
        declared = spec.scenarios[name]
        if not sc.batch_size:
            problems.append((where, f"{dotted}.batch_size: required, since workload.batch_size is not set"))
        if declared.precision is not None or declared.hardware is not None:
            problems += _precision_problems(sc, where)
        problems += _layout_problems(sc, where, dotted)
    return problems


def _precision_problems(sc: Scenario, where: tuple) -> list[tuple[tuple, str]]:
    compute = sc.precision.compute or ""
    if peak_flops(sc.hardware, compute) is not None:
        return []
    dotted = ".".join(map(str, (*where, "precision")))
    why = ("as precision.compute says" if compute != _implied(sc.precision)
           else f"the narrower of weights {sc.precision.weights} and activations {sc.precision.activations}")
    has = ", ".join(sc.hardware.peak_flops) or "none"
    return [((*where, "precision") if where else ("precision",),
             f"{dotted}: matmuls run at {compute} ({why}), but {sc.hardware.name} has no {compute} peak in "
             f"hardware.peak_flops (has: {has}); add it, or set precision.compute")]


def _layout_problems(sc: Scenario, where: tuple, dotted: str) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    if sc.devices > sc.hardware.devices:
        problems.append((where, f"{dotted}: TP {sc.tp} x PP {sc.pp} x DP {sc.dp} = {sc.devices} devices, "
                         f"more than the {sc.hardware.devices} of hardware.devices"))
    if sc.pp > sc.model.layers:
        problems.append(((*where, "pp"), f"{dotted}.pp: PP {sc.pp} is larger than the {sc.model.layers} layers"))
    if sc.ep > sc.tp * sc.dp:
        problems.append(((*where, "ep"), f"{dotted}.ep: EP {sc.ep} needs at least {sc.ep} devices per pipeline "
                         f"stage, but TP {sc.tp} x DP {sc.dp} = {sc.tp * sc.dp}"))
    if sc.model.moe is not None and sc.ep > sc.model.moe.experts:
        problems.append(((*where, "ep"), f"{dotted}.ep: EP {sc.ep} is larger than the {sc.model.moe.experts} experts"))
    return problems


def _implied(precision: Precision) -> str:
    return compute_precision(precision.model_copy(update={"compute": None}))


# --- catalog references and overrides ---------------------------------------------------------

_WHOLE = {"hardware": ("memory", "memory_bandwidth", "peak_flops"), "model": ("layers", "attention")}
"""The fields that make a scenario's `hardware` or `model` mapping a whole one rather than overrides."""


def resolve_references(data: dict, lines: LineMap, path: str) -> tuple[dict, dict[str, str]]:
    """Replace catalog names and config.json paths under `model` and `hardware` (top level and scenarios)
    by whole mappings, and a scenario's partial mappings by the top level's with them applied.

    Returns the new document and, per dotted place, the catalog entry it came from.
    """
    resolved, origins = dict(data), {}
    for key in ("model", "hardware"):
        ref = _reference(data.get(key), (key,), lines, path)
        if ref is not None:
            base, overrides, name = ref
            if key == "hardware" and "devices" not in overrides:  # an accelerator named alone: one node of it
                base = {**base, "devices": overrides.get("devices_per_node", base.get("devices_per_node", 8))}
            resolved[key] = _merge(base, overrides)
            origins[key] = name
    scenarios = data.get("scenarios")
    if isinstance(scenarios, dict):
        resolved["scenarios"] = {name: _scenario(name, sc, resolved, lines, path, origins) if isinstance(sc, dict)
                                 else sc for name, sc in scenarios.items()}
    return resolved, origins


def _scenario(name, sc: dict, top: dict, lines: LineMap, path: str, origins: dict[str, str]) -> dict:
    out = dict(sc)
    for key in ("model", "hardware"):
        if key not in sc:
            continue
        value = sc[key]
        inherited: dict = top[key] if isinstance(top.get(key), dict) else {}
        ref = _reference(value, ("scenarios", name, key), lines, path)
        if ref is not None:
            base, overrides, catalog = ref
            origins[f"scenarios.{name}.{key}"] = catalog
            out[key] = _merge(base, overrides)
        elif isinstance(value, dict) and not all(f in value for f in _WHOLE[key]):
            out[key] = _merge(inherited, value)  # fields over the top level's
        if key == "hardware" and isinstance(out[key], dict):
            for count in ("devices", "devices_per_node"):  # the same fleet, another accelerator
                if count not in out[key] and count in inherited:
                    out[key] = {**out[key], count: inherited[count]}
    return out


def _reference(value, where: tuple, lines: LineMap, path: str) -> tuple[dict, dict, str] | None:
    """(catalog mapping, overrides, the name) when `value` names a catalog entry or a config.json."""
    key = where[-1]
    if isinstance(value, dict) and "catalog" in value:
        ref, overrides, at = value["catalog"], {k: v for k, v in value.items() if k != "catalog"}, (*where, "catalog")
    elif isinstance(value, str):
        ref, overrides, at = value, {}, where
    else:
        return None
    if not isinstance(ref, str):
        raise AuditError(f"{'.'.join(map(str, at))}: expected a catalog name, got {ref!r}", path, lines.line(at))
    try:
        base = _model_ref(ref, path) if key == "model" else _hardware_ref(ref)
    except AuditError as e:  # an error inside a referenced config.json names that file too
        raise AuditError(f"{'.'.join(map(str, at))}: {e.message}" + (f" ({e.path})" if e.path else ""),
                         path, lines.line(at)) from None
    return base, overrides, ref


def _hardware_ref(ref: str) -> dict:
    from audit.spec.catalog import hardware_entry

    return hardware_entry(ref)


def _model_ref(ref: str, spec_path: str) -> dict:
    if ref.lower().endswith(".json"):
        from audit.spec.hf import read_hf_config, spec_from_hf_config

        config_path = str(Path(spec_path).parent / ref)
        return spec_from_hf_config(read_hf_config(config_path), config_path)
    from audit.spec.catalog import model_entry

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


# --- pydantic errors -> a line per problem ------------------------------------------------

_TYPE_ONLY = ("_type", "_parsing", "is_instance_of", "literal_error", "union_tag")


def _problems(errors: list[dict], origins: dict[str, str], data: object = None) -> list[tuple[tuple, str]]:
    """(location in the file, message) for every field with a problem, in the order pydantic found them.

    A union reports each alternative: where one alternative went deeper, the deeper problem is the real
    one and the shallower type mismatches are dropped. A field reported missing because its key is
    misspelt is said once, at the misspelt key ("did you mean ...?")."""
    by_field: dict[tuple, list[dict]] = {}
    for err in errors:
        by_field.setdefault(_field_path(err["loc"], data), []).append(err)
    fields = list(by_field)

    def type_only(group: list[dict]) -> bool:
        return all(e["type"].endswith(_TYPE_ONLY) or e["type"] in _TYPE_ONLY for e in group)

    kept = [f for f in fields
            if not (type_only(by_field[f]) and any(g[: len(f)] == f and len(g) > len(f) for g in fields))]
    misspelt = set()
    for f in kept:
        for e in by_field[f]:
            if e["type"] == "extra_forbidden" and f:
                close = difflib.get_close_matches(str(f[-1]), _known_fields(f[:-1]), n=1)
                if close:
                    misspelt.add((*f[:-1], close[0]))
    out = []
    for f in kept:
        group = [e for e in by_field[f] if not (e["type"] == "missing" and f in misspelt)]
        if group:
            out.append(_one_problem(f, group, origins, data))
    return out


def _one_problem(target: tuple, group: list[dict], origins: dict[str, str], data: object = None) -> tuple[tuple, str]:
    err = group[0]
    dotted = ".".join(str(p) for p in target)
    if err["type"] == "missing":
        return target[:-1], f"field required: {dotted}" + (_catalog_hint(target, origins)
                                                           or _named_not_taken(target, data))
    specific = [e for e in group if e["type"] in ("value_error", "assertion_error")]
    if len(group) > 1 and specific:  # one alternative of the union fitted in form but not in value
        return target, f"{dotted}: {_message(specific[0], target)}"
    if len(group) > 1:  # alternatives of a union, none of which fits
        wanted = " or ".join(dict.fromkeys(_expected(e) for e in group))
        return target, f"{dotted}: expected {wanted}, got {_show(err.get('input'))}"
    message = _message(err, target)
    return target, f"{dotted}: {message}" if dotted else message


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


_TAG = regex(r"[a-z][a-z-]*\[.*\]")
_UNION_TAGS = frozenset({"int", "float", "str", "bool", "dict", "list", "none", "TokenRange", "json-or-python"})


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
    ref = origins.get(".".join(map(str, loc[:-1]))) if loc else None
    if ref is None:
        return ""
    if loc[-1] == "devices":
        return f" (a catalog accelerator has no device count: write `hardware: {{catalog: {ref}, devices: N}}`)"
    return f" (catalog entry {ref!r} does not give it: add `{loc[-1]}` next to `catalog: {ref}`)"


def _named_not_taken(loc: tuple, data: object) -> str:
    """`hardware: {name: H100-SXM, devices: 16}`: a catalog entry's name as `name`, which takes nothing."""
    from audit.spec import catalog

    section = data
    for part in loc[:-1]:
        section = section.get(part) if isinstance(section, dict) else None
    name = section.get("name") if isinstance(section, dict) else None
    if not loc[:-1] or loc[-2] not in ("hardware", "model") or not isinstance(name, str):
        return ""
    try:
        ref = (catalog.hardware_name if loc[-2] == "hardware" else catalog.model_name)(name)
    except AuditError:
        return ""
    return f" (`name: {name}` only names it; `catalog: {ref}` takes the catalog entry's fields)"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_dtype(loc: tuple) -> bool:
    return "precision" in loc or "peak_flops" in loc


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
