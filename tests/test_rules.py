"""Rule files: validated on load, errors as file:line, formulas and messages through whitelists."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.errors import AuditError
from audit.formula import FormulaError, compile_formula
from audit.model import Model
from audit.rules import ESTIMATES, NAMES, load_rule_file, load_rules
from audit.specload import load_spec

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
- id: TST001
  name: weights-again
  check: recompute
  metric: weights_per_device
  expected: weights_per_device
  tolerance: 5%
  level: warning
  description: A test rule.
  message: "claimed {claimed}, expected {expected}"
"""

BAD = [
    # (what, the rule file, text the error must hold, the line it must name)
    ("unknown key", GOOD.replace("  level: warning\n", "  level: warning\n  severity: high\n"), "severity", 8),
    ("unknown level", GOOD.replace("level: warning", "level: fatal"), "level", 7),
    ("unknown check kind", GOOD.replace("check: recompute", "check: guess"), "check", 3),
    ("bad tolerance", GOOD.replace("tolerance: 5%", "tolerance: lots"), "tolerance", 6),
    ("unknown placeholder", GOOD.replace("{expected}", "{secret}"), "unknown placeholder {secret}", 9),
    ("attribute in a placeholder", GOOD.replace("{expected}", "{expected.__class__}"), "placeholder", 9),
    ("unknown name in a formula", GOOD.replace("expected: weights_per_device", "expected: weights * 2"),
     "unknown name 'weights'", 5),
    ("a call in a formula", GOOD.replace("expected: weights_per_device", "expected: __import__('os')"),
     "not allowed", 5),
    ("bad id", GOOD.replace("TST001", "test-1"), "id", 1),
    ("not a list", "id: TST001\n", "a rule file is a list", 1),
    ("bound without floor or ceiling", GOOD.replace("check: recompute", "check: bound").replace(
        "  expected: weights_per_device\n", ""), "needs floor or ceiling", 1),
    ("consistency without relation", GOOD.replace("check: recompute", "check: consistency"), "needs relation", 1),
]


@pytest.mark.parametrize(("what", "text", "needle", "line"), BAD, ids=[b[0] for b in BAD])
def test_bad_rule_file_is_one_line_with_file_and_line(tmp_path, what, text, needle, line):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(AuditError) as err:
        load_rule_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert needle in message and "\n" not in message


def test_good_rule_file_loads_and_fills_its_message(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    (rule,) = load_rule_file(path)
    assert rule.spec.tolerance == 0.05
    assert rule.message({"claimed": "2.86 GB", "expected": "29.39 GB"}) == "claimed 2.86 GB, expected 29.39 GB"


def test_duplicate_id_across_directories_is_refused(tmp_path):
    (tmp_path / "extra.yaml").write_text(GOOD.replace("TST001", "MEM001"))
    with pytest.raises(AuditError, match="MEM001 is already defined"):
        load_rules((tmp_path,))


def test_shipped_rules_load_and_explain_themselves():
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules) >= 30
    for r in rules:
        assert r.spec.description and r.spec.message, r.id


def test_formula_names_are_the_models_estimates():
    # the names a rule formula may use must be what audit.model computes, for dense, MoE and MLA models
    for spec_path in (ROOT / "reports" / "qwen3-235b" / "qwen3.yaml", ROOT / "reports" / "deepseek-v3-ep" / "spec.yaml"):
        model = Model(load_spec(spec_path))
        sc = model.scenario("any", tp=2, pp=2, dp=2, ep=2, batch_size=8)
        assert set(model.evaluate(sc)) == ESTIMATES


FORMULAS = [
    # (formula, environment, value by hand)
    ("tp * pp * dp", {"tp": 2, "pp": 4, "dp": 1}, 8),
    ("batch_size / dp", {"batch_size": 512, "dp": 2}, 256),
    ("0.9 * throughput_ceiling", {"throughput_ceiling": 1000}, 900),
    ("2 ** 3", {}, 8),
    ("-tp + 3", {"tp": 1}, 2),
    ("max(tp, ep) * 2", {"tp": 4, "ep": 16}, 32),
    ("ceil(layers / pp)", {"layers": 61, "pp": 2}, 31),
]


@pytest.mark.parametrize(("text", "env", "value"), FORMULAS)
def test_formula_values(text, env, value):
    assert compile_formula(text, NAMES)(env) == value


REFUSED = ["__import__('os')", "().__class__", "tp.real", "[tp][0]", "lambda: 1", "tp if pp else dp",
           "9 ** 9 ** 9", "2 ** 0.5", "open('x')", "tp; pp", "x" * 300, "(" * 100 + "1" + ")" * 100, ""]


@pytest.mark.parametrize("text", REFUSED)
def test_formula_refused(text):
    with pytest.raises(FormulaError):
        compile_formula(text, NAMES)
