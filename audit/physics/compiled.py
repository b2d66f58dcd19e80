"""Formulas printed and compiled once: the formula cache and what builds it.

A metric's formula depends on the features of the scenario (`f.moe`, `f.ep`, ...) and on the
options of its own axes (`r.stage`). For every combination, sympy builds the expression once,
prints it (the formula of the verdict and a substitution template) and compiles it to a plain
Python function. `audit/physics/_formula_cache.py` holds all of them, generated from
`audit.physics.formulas` by `python -m audit.physics.cache`, so a run never imports sympy; the
test suite fails when the cache is not what the formulas give today. A combination the cache
lacks (a formula edited and not yet regenerated) is built with sympy on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from typing import Any, cast

from audit.physics import formulas
from audit.physics.axes import AXES


@dataclass(frozen=True, slots=True)
class Compiled:
    """One metric's formula for one combination of features and options."""

    formula: str
    """As sympy prints it: "P_total*b_w/(PP*TP)"."""
    template: str
    """The formula with "{0}", "{1}"... in place of the symbols in `args`."""
    args: tuple[str, ...]
    fn: Callable[..., float]


def _cache() -> tuple[dict, dict]:
    try:
        from audit.physics import _formula_cache
    except ImportError:  # pragma: no cover - the cache is part of the package
        return {}, {}
    return _formula_cache.READS, _formula_cache.COMPILED


@cache
def _compiled(key: tuple) -> Compiled:
    reads, table = _cache()
    hit = table.get(key)
    if hit is not None:
        formula, template, args, fn = hit
        return Compiled(formula, template, args, cast("Callable[..., float]", fn))
    return build(key[0], dict(key[1]))


def compiled(metric: str, features: Mapping[str, Any], choice: Mapping[str, str]) -> Compiled:
    """The compiled formula of `metric` for a scenario's features and a reading's options."""
    reads = _cache()[0].get(metric)
    if reads is None:  # a metric the cache does not know yet: every name it might read
        reads = (*formulas.FEATURES, *formulas.METRICS[metric].axes)
    key = (metric, tuple((n, features[n] if n in features else choice[n]) for n in reads))
    return _compiled(key)


class _Recorder:
    """Attribute access to a mapping that remembers which names were read."""

    def __init__(self, values: Mapping[str, Any], read: set[str]):
        self._values, self._read = values, read

    def __getattr__(self, name: str) -> Any:
        self._read.add(name)
        return self._values[name]


def _expression(metric: str, names: Mapping[str, Any], read: set[str] | None = None):
    formulas.bind_symbols()
    seen = read if read is not None else set()
    return formulas.METRICS[metric].expression(_Recorder(names, seen), _Recorder(names, seen))  # type: ignore[misc]


def build(metric: str, names: Mapping[str, Any]) -> Compiled:
    """Build a metric's formula with sympy: print it, make its template, compile it."""
    import sympy as sp

    expr = _sympy_expression(metric, names)
    args = tuple(sorted(str(x) for x in expr.free_symbols))
    fn = sp.lambdify([sp.Symbol(a, positive=True) for a in args], expr, modules="math", docstring_limit=0)
    return Compiled(formula=sp.sstr(expr), template=_template(expr, args), args=args, fn=fn)


def _sympy_expression(metric: str, names: Mapping[str, Any], read: set[str] | None = None):
    import sympy as sp

    expr = _expression(metric, names, read)
    return expr if isinstance(expr, sp.Basic) else sp.Float(expr)


def _template(expr, args: tuple[str, ...]) -> str:
    from sympy.printing.str import StrPrinter

    position = {a: i for i, a in enumerate(args)}

    class _Template(StrPrinter):
        # same term order as the formula (it comes from the expression), symbols as fields
        def _print_Symbol(self, sym):
            return "{" + str(position[sym.name]) + "}"

    return _Template().doprint(expr)


# --- the cache's contents ---------------------------------------------------------------------------

def feature_combinations() -> Iterator[dict[str, bool]]:
    """Every combination of features a spec can have: q_lora only with MLA, dense layers, shared experts
    and expert parallelism only with MoE."""
    for mla, q_lora, moe, dense, shared, tied, window, ep in product((False, True), repeat=8):
        if (q_lora and not mla) or ((dense or shared or ep) and not moe):
            continue
        yield dict(zip(formulas.FEATURES, (mla, q_lora, moe, dense, shared, tied, window, ep), strict=True))


def _combinations(metric: str) -> Iterator[dict[str, Any]]:
    own, pinned = formulas.METRICS[metric].axes, dict(formulas.METRICS[metric].pins)
    for features in feature_combinations():  # an axis the metric pins has its pinned option only
        for options in product(*((pinned[a],) if a in pinned else tuple(o.name for o in AXES[a].options) for a in own)):
            yield {**features, **dict(zip(own, options, strict=True))}


def cache_entries() -> tuple[dict[str, tuple[str, ...]], dict[tuple, dict[str, Any]]]:
    """What the cache holds: for each computed metric, the names its formula reads, and for every
    combination of them the names to build its formula with."""
    reads: dict[str, tuple[str, ...]] = {}
    entries: dict[tuple, dict[str, Any]] = {}
    for metric, m in formulas.METRICS.items():
        if not m.computed:
            continue
        read: set[str] = set()
        for names in _combinations(metric):
            _expression(metric, names, read)
        order = (*formulas.FEATURES, *m.axes)
        reads[metric] = tuple(n for n in order if n in read)
        for names in _combinations(metric):
            key = (metric, tuple((n, names[n]) for n in reads[metric]))
            entries.setdefault(key, names)
    return reads, entries


def cache_source() -> str:
    """The source of `audit/physics/_formula_cache.py`: what sympy prints for every formula today."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    reads, entries = cache_entries()
    printer = PythonCodePrinter({"standard": "python3"})
    lines = ['"""Generated from audit/physics/formulas.py by `python -m audit.physics.cache`: do not edit.', "",
             "What sympy prints and compiles for every metric's formula, so that a run need not import sympy.",
             '"""', "", "import math  # noqa: F401", "", "READS = {"]
    lines += [f"    {metric!r}: {names!r}," for metric, names in reads.items()]
    lines += ["}", "", "COMPILED = {"]
    for key in sorted(entries, key=repr):
        metric = key[0]
        expr = _sympy_expression(metric, entries[key])
        args = tuple(sorted(str(x) for x in expr.free_symbols))
        lines.append(f"    {key!r}: ({sp.sstr(expr)!r}, {_template(expr, args)!r}, {args!r},")
        lines.append(f"        lambda {', '.join(args)}: {printer.doprint(expr)}),")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- numbers as a reviewer writes them --------------------------------------------------------------

@lru_cache(maxsize=8192)
def number(x: float) -> str:
    """10240, 0.0625, 235.09e9, 1.8e12, 96.256e-6."""
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.6g}"
    exponent = math.floor(math.log10(abs(x)) / 3) * 3
    mantissa = f"{x / 10.0**exponent:.5g}"
    if mantissa == "1000":
        mantissa, exponent = "1", exponent + 3
    return f"{mantissa}e{exponent}"
