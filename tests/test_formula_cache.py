"""audit/_formula_cache.py is exactly what sympy prints for the model's expressions today.

The cache lets a run skip importing sympy (cold start); this test is what keeps it honest.
Regenerate after changing audit/formulas.py: `AUDIT_UPDATE_GOLDEN=1 pytest tests/test_formula_cache.py`.
"""

from __future__ import annotations

import cmath
import os
import random
from pathlib import Path

from audit import model
from audit.catalog import model_entry, models
from audit.spec import Spec
from audit.specload import load_spec

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "audit" / "_formula_cache.py"
LAYOUTS = [(1, 1, 1, 1, 8), (2, 4, 1, 1, 128), (4, 4, 2, 1, 512), (8, 2, 2, 8, 64), (8, 1, 2, 16, 128)]


def _exercise() -> set[tuple]:
    """Every expression the model builds for the example specs and the catalog models in several layouts."""
    model._compiled.cache_clear()  # every key is compiled (and recorded) again
    model.USED.clear()
    specs = [load_spec(p) for p in sorted(ROOT.glob("reports/*/*.yaml")) if "answer-key" not in p.name]
    specs += [load_spec(p) for p in sorted(ROOT.glob("tests/corpus/*/spec.yaml"))]
    base = specs[0].model_dump(mode="json")
    for name in models():
        data = dict(base)
        data["model"] = model_entry(name)
        data["model"].pop("source", None)
        try:
            specs.append(Spec.model_validate(data))
        except ValueError:
            continue
    for spec in specs:
        m = model.Model(spec)
        for tp, pp, dp, ep, batch in LAYOUTS:
            m.evaluate(m.scenario(f"t{tp}p{pp}d{dp}e{ep}", tp=tp, pp=pp, dp=dp, ep=ep, batch_size=batch))
        for sc in m.scenarios().values():
            m.evaluate(sc)
    return set(model.USED)


def test_cache_is_what_sympy_prints():
    source = model.formula_cache_source(_exercise())
    if os.environ.get("AUDIT_UPDATE_GOLDEN"):
        CACHE.write_text(source, encoding="utf-8")
    assert CACHE.read_text(encoding="utf-8") == source, "regenerate: AUDIT_UPDATE_GOLDEN=1 pytest " + __file__


def test_cached_functions_compute_what_sympy_lambdify_computes():
    from audit._formula_cache import COMPILED

    rng = random.Random(0)
    for key, (_formula, _template, args, fn) in COMPILED.items():
        built = model._build(*key)
        assert built.args == args
        values = [rng.uniform(1, 64) for _ in args]
        assert cmath.isclose(fn(*values), built.fn(*values), rel_tol=1e-12), key
