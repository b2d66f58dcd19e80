"""Formulas in rule files: numbers, known names, + - * / ** and a few functions — nothing else.

The text is read by Python's `ast` parser (which builds a tree and runs nothing) and every node
is checked against a whitelist before the tree is turned into a small closure. Exponents must be
integer literals in [-8, 8]; length and tree size are capped, so `9**9**9` and deep nesting are
errors, not hangs. `eval`, `sympify` and `parse_expr` are never used.
"""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from audit.errors import AuditError

MAX_LENGTH = 200
MAX_NODES = 64
MAX_EXPONENT = 8

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "sqrt": math.sqrt,
}


class FormulaError(AuditError, ValueError):
    """A formula that is not admitted, or whose value cannot be computed; the message says why.

    An AuditError, so a formula that overflows while a report is audited ends the run with a
    one-line error (exit 2) instead of a traceback.
    """


@dataclass(frozen=True, slots=True)
class Formula:
    text: str
    names: frozenset[str]
    _fn: Callable[[Mapping[str, float]], float]

    def __call__(self, env: Mapping[str, float]) -> float:
        try:
            return float(self._fn(env))
        except ZeroDivisionError:
            return math.inf
        except OverflowError:
            raise FormulaError(f"formula {self.text!r} overflows (beyond {sys.float_info.max:.3g})") from None
        except (ValueError, TypeError) as e:
            raise FormulaError(f"formula {self.text!r} cannot be computed: {e}") from None


_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def compile_formula(text: str, known: frozenset[str] | set[str]) -> Formula:
    """Check `text` against the whitelist and return a callable over a name -> number mapping."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaError(f"not an arithmetic formula: {text.strip()!r}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError(f"formula has more than {MAX_NODES} parts")
    names: set[str] = set()
    fn = _build(tree.body, known, names)
    return Formula(text.strip(), frozenset(names), fn)


def _build(node: ast.AST, known, names: set[str]) -> Callable[[Mapping[str, float]], float]:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise FormulaError(f"number out of range: {node.value!r}")
        return lambda env: value
    if isinstance(node, ast.Name):
        if node.id not in known:
            raise FormulaError(f"unknown name {node.id!r} (known: {', '.join(sorted(known))})")
        name = node.id
        names.add(name)
        return lambda env: env[name]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _build(node.operand, known, names)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda env: sign * inner(env)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        left, right = _build(node.left, known, names), _build(node.right, known, names)
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = node.right
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub) \
                and isinstance(exponent.operand, ast.Constant):
            power: object = exponent.operand.value
            power = -power if isinstance(power, int) and not isinstance(power, bool) else None
        elif isinstance(exponent, ast.Constant):
            power = exponent.value
        else:
            raise FormulaError("exponents must be integer numbers")
        if type(power) is not int or abs(power) > MAX_EXPONENT:
            raise FormulaError(f"exponents must be integers from -{MAX_EXPONENT} to {MAX_EXPONENT}")
        base = _build(node.left, known, names)
        return lambda env: base(env) ** power
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords and 0 < len(node.args) <= 4:
        f = FUNCTIONS[node.func.id]
        args = [_build(a, known, names) for a in node.args]
        return lambda env: f(*(a(env) for a in args))
    what = type(node).__name__
    if isinstance(node, ast.Call):
        what = "call of " + (node.func.id if isinstance(node.func, ast.Name) else "an expression")
    raise FormulaError(f"not allowed in a formula: {what}")
