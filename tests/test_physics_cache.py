"""The formula cache (audit/physics/_formula_cache.py) is exactly what the formulas give today.

The cache lets a run skip importing sympy; these tests keep it honest, and they test the working
tree: an edited formula fails the suite until `python -m audit.physics.cache` is run.
"""

from __future__ import annotations

import cmath
import dataclasses
import random
from pathlib import Path

import audit
from audit.physics import cache, compiled, formulas

ROOT = Path(__file__).resolve().parent.parent


def test_the_suite_tests_the_working_tree():
    # pyproject's pythonpath puts the checkout first: an installed copy would hide an edited formula
    assert Path(audit.__file__).resolve().parent == ROOT / "audit"


def test_cache_is_what_the_formulas_give():
    assert not cache.stale(), "the formula cache is out of date: run `python -m audit.physics.cache`"
    assert cache.main(["--check"]) == 0


def test_an_edited_formula_makes_the_cache_stale(monkeypatch):
    # devices of a deployment written as TP x PP (DP forgotten): the cache no longer matches
    edited = dataclasses.replace(formulas.METRICS["device_count"], expression=lambda f, r: formulas.TP * formulas.PP)
    monkeypatch.setitem(formulas.METRICS, "device_count", edited)
    assert cache.stale()
    assert cache.main(["--check"]) == 1


def test_cached_functions_compute_what_sympy_builds():
    from audit.physics._formula_cache import COMPILED

    rng = random.Random(0)
    for key, (formula, _template, args, fn) in COMPILED.items():
        built = compiled.build(key[0], {**_defaults(key[0]), **dict(key[1])})
        assert (built.formula, built.args) == (formula, args), key
        values = [rng.uniform(1, 64) for _ in args]
        assert cmath.isclose(fn(*values), built.fn(*values), rel_tol=1e-12), key


def test_every_computed_metric_has_its_formulas_in_the_cache():
    from audit.physics._formula_cache import COMPILED, READS

    assert set(READS) == {name for name, m in formulas.METRICS.items() if m.computed}
    assert {key[0] for key in COMPILED} == set(READS)


def _defaults(metric: str) -> dict:
    from audit.physics.axes import AXES

    names: dict = dict.fromkeys(formulas.FEATURES, False)
    names.update({a: AXES[a].options[0].name for a in formulas.METRICS[metric].axes})
    return names
