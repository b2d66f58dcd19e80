"""Hostile and broken inputs: nothing from a file is executed, no input hangs, crashes or vanishes.

Every case is a row. The outcome of a row is either a result (exit 0 or 1) or one line on stderr,
``audit: path:line: message``, with exit 2 — never a traceback. A known bug in a file this test
does not own would be a row marked xfail(strict=True) whose reason names the bug and the fix
(none at the moment).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit import expression as formula
from audit import extract
from audit.cli import main
from audit.errors import AuditError
from audit.judge.rules import load_rule_file
from audit.output import json as json_output
from audit.output import markdown

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SEED_SPEC = SEED / "qwen3.yaml"
SEED_REPORT = SEED / "report.md"


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """`audit ARGV` in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse usage errors
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *needles: str) -> None:
    """Exactly one line on stderr, prefixed like every audit error, naming what it should."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("audit: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# ---------------------------------------------------------------------------------------------
# 1. No code execution from input: rule formulas

RULE = """\
- id: XSS001
  name: hostile
  check: bound
  metric: ttft
  level: error
  description: a rule written by a stranger
  message: {message}
  floor: {floor}
"""
FLOOR_LINE = 8  # the line `floor:` stands on in RULE
MESSAGE_LINE = 7


def write_rule(directory: Path, floor: str = "ttft_floor", message: str = "claimed {claimed}") -> Path:
    path = directory / "hostile.yaml"
    path.write_text(RULE.format(floor=json.dumps(floor), message=json.dumps(message)), encoding="utf-8")
    return path


FORMULA_ESCAPES = [
    # (case, formula, words the one-line error must contain)
    ("import", "__import__('os').system('touch PWNED')", "not allowed"),
    ("dunder class", "().__class__", "not allowed"),
    ("dunder subclasses", "().__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("lambda", "(lambda: 1)()", "not allowed"),
    ("attribute", "ttft_floor.real", "Attribute"),
    ("subscript", "ttft_floor[0]", "Subscript"),
    ("list comprehension", "[x for x in (1, 2)]", "ListComp"),
    ("generator", "sum(x for x in (1, 2))", "not allowed"),
    ("walrus", "(x := 1)", "NamedExpr"),
    ("f-string", "f'{ttft_floor}'", "not allowed"),
    ("string", "'rm -rf /'", "not allowed"),
    ("keyword argument", "max(ttft_floor, key=abs)", "not allowed"),
    ("star argument", "max(*ttft_floor)", "not allowed"),
    ("conditional", "1 if tp else 2", "IfExp"),
    ("comparison", "tp < pp", "Compare"),
    ("shift", "1 << 100000", "not allowed"),
    ("unknown name", "os", "unknown name 'os'"),
    ("builtin name", "open", "unknown name 'open'"),
    ("power tower", "9**9**9", "exponents"),
    ("huge exponent", "10**100000", "exponents"),
    ("float exponent", "tp**0.5", "exponents"),
    ("name exponent", "tp**pp", "exponents"),
    ("exponent over the cap", f"tp**{formula.MAX_EXPONENT + 1}", "exponents"),
    ("infinite literal", "1e999", "out of range"),
    ("very long", "+".join(["ttft_floor"] * 100), "longer than"),
    ("deep parentheses", "(" * 5000 + "1" + ")" * 5000, "longer than"),
    ("deep unary minus", "-" * 150 + "1", "more than"),
    ("syntax error", "ttft_floor +", "not an arithmetic formula"),
    ("empty", "   ", "empty formula"),
]


@pytest.mark.parametrize(("case", "text", "needle"), FORMULA_ESCAPES, ids=[r[0] for r in FORMULA_ESCAPES])
def test_formula_escape_is_a_load_error(tmp_path, monkeypatch, case, text, needle):
    monkeypatch.chdir(tmp_path)
    path = write_rule(tmp_path, floor=text)
    with pytest.raises(AuditError) as err:
        load_rule_file(path)
    line = str(err.value)
    assert line.startswith(f"{path}:{FLOOR_LINE}: XSS001.floor: "), line
    assert needle in line and "\n" not in line
    assert not (tmp_path / "PWNED").exists()


CLI_ESCAPES = [r for r in FORMULA_ESCAPES if r[0] in ("import", "dunder subclasses", "lambda", "power tower",
                                                       "huge exponent", "deep parentheses")]


@pytest.mark.parametrize(("case", "text", "needle"), CLI_ESCAPES, ids=[r[0] for r in CLI_ESCAPES])
def test_formula_escape_through_rule_dir(tmp_path, capsys, monkeypatch, case, text, needle):
    """`audit check --rule-dir`: the formula is refused when the rule file loads, one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    rule = write_rule(tmp_path, floor=text)
    code, out, err = run_main(["check", SEED_REPORT, "--spec", SEED_SPEC, "--rule-dir", tmp_path], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, f"{rule}:{FLOOR_LINE}:", needle)
    assert not (tmp_path / "PWNED").exists()


def test_overflowing_rule_through_rule_dir_is_one_line(tmp_path, capsys):
    """A formula admitted at load but overflowing on this spec ends the run with one line, exit 2."""
    write_rule(tmp_path, floor="((peak_flops**8)**8)**8")  # (4e14)^512: far beyond 1.8e308
    code, out, err = run_main(["check", SEED_REPORT, "--spec", SEED_SPEC, "--rule-dir", tmp_path], capsys)
    assert code == 2
    assert_one_line_error(err, "overflows")


# --- formula caps, exact at the boundary (hand-counted) ---------------------------------------

FORMULA_CAPS = [
    # (case, formula, admitted?)
    # MAX_LENGTH = 200 characters: a 200-digit number is one node and admitted, 201 digits are not
    ("length at the cap", "1" * 200, True),
    ("length over the cap", "1" * 201, False),
    # "1+1+...+1" with k ones walks as 1 Expression + (k-1) BinOp + (k-1) Add + k Constant = 3k - 1 nodes
    ("21 ones: 62 nodes", "+".join(["1"] * 21), True),
    ("22 ones: 65 nodes", "+".join(["1"] * 22), False),
    ("exponent 8", "tp**8", True),
    ("exponent -8", "tp**-8", True),
    ("exponent 9", "tp**9", False),
    ("exponent -9", "tp**-9", False),
    ("nested exponents", "((tp**8)**8)**8", True),  # each exponent is a small literal: admitted
    ("99 parentheses", "(" * 99 + "tp" + ")" * 99, True),  # 200 characters; parentheses make no nodes
]


@pytest.mark.parametrize(("case", "text", "admitted"), FORMULA_CAPS, ids=[r[0] for r in FORMULA_CAPS])
def test_formula_caps(case, text, admitted):
    assert formula.MAX_LENGTH == 200 and formula.MAX_NODES == 64 and formula.MAX_EXPONENT == 8
    if admitted:
        formula.compile_formula(text, {"tp"})
    else:
        with pytest.raises(formula.FormulaError):
            formula.compile_formula(text, {"tp"})


EVALUATION = [
    # (case, formula, env, expected value or the exception's words)
    ("2^8 = 256", "tp**8", {"tp": 2.0}, 256.0),
    ("2^-2 = 0.25", "tp**-2", {"tp": 2.0}, 0.25),
    ("(2^8)^8 = 2^64", "((tp**8)**8)", {"tp": 2.0}, 18446744073709551616.0),
    ("division by zero is infinite", "1 / tp", {"tp": 0.0}, float("inf")),
    ("overflow", "((tp**8)**8)**8", {"tp": 1e10}, "overflows"),  # 1e10^512 > 1.8e308
    ("square root of a negative", "sqrt(tp)", {"tp": -1.0}, "cannot be computed"),
]


@pytest.mark.parametrize(("case", "text", "env", "expected"), EVALUATION, ids=[r[0] for r in EVALUATION])
def test_formula_evaluation_never_raises_anything_but_an_audit_error(case, text, env, expected):
    f = formula.compile_formula(text, set(env))
    if isinstance(expected, float):
        assert f(env) == expected
    else:
        with pytest.raises(AuditError, match=expected):  # FormulaError is an AuditError: exit 2, one line
            f(env)


# --- rule messages: whitelisted placeholders only -----------------------------------------------

PLACEHOLDER_ESCAPES = [
    ("positional {0}", "claimed {0}"),
    ("empty {}", "claimed {}"),
    ("unknown name", "claimed {secret}"),
    ("attribute of an unknown name", "{x.__class__}"),
    ("attribute of a placeholder", "{claimed.__class__}"),
    ("index of a placeholder", "{claimed[0]}"),
    ("conversion", "{claimed!r}"),
    ("format spec", "{claimed:>99999999}"),
]


@pytest.mark.parametrize("message", [pytest.param(m, id=c) for c, m in PLACEHOLDER_ESCAPES])
def test_message_placeholder_escape_is_a_load_error(tmp_path, message):
    path = write_rule(tmp_path, message=message)
    with pytest.raises(AuditError) as err:
        load_rule_file(path)
    assert str(err.value).startswith(f"{path}:{MESSAGE_LINE}: message: "), str(err.value)
    assert "placeholder" in str(err.value)


def test_message_is_filled_without_str_format(tmp_path):
    """A message with only known placeholders is filled by substitution; braces in values stay text."""
    rule = load_rule_file(write_rule(tmp_path, message="claimed {claimed}, expected {expected}"))[0]
    assert rule.message({"claimed": "{expected.__class__}", "expected": "2 s"}) == \
        "claimed {expected.__class__}, expected 2 s"


# --- specs: Python tags and alias bombs ---------------------------------------------------------

PYTHON_TAGS = [
    ("object/apply", '!!python/object/apply:os.system ["touch PWNED"]'),
    ("object/new", '!!python/object/new:os.system ["touch PWNED"]'),
    ("name", "!!python/name:os.system"),
    ("module", "!!python/module:os"),
    ("object", "!!python/object:subprocess.Popen {args: [touch, PWNED]}"),
    ("local tag", '!shell "touch PWNED"'),
    ("tag as a key", '? !!python/object/apply:os.system ["touch PWNED"]\n  : 1'),
]


@pytest.mark.parametrize(("case", "value"), PYTHON_TAGS, ids=[r[0] for r in PYTHON_TAGS])
def test_python_tag_in_a_spec_is_refused_and_nothing_runs(tmp_path, capsys, monkeypatch, case, value):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SEED_SPEC.read_text(encoding="utf-8").replace("  name: Qwen3-235B-A22B", f"  name: {value}"),
                    encoding="utf-8")
    code, out, err = run_main(["check", SEED_REPORT, "--spec", spec], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, f"{spec}:3:", "not allowed")
    assert not (tmp_path / "PWNED").exists()


def test_python_tag_in_a_fresh_process_runs_nothing(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('model: !!python/object/apply:os.system ["touch PWNED"]\n', encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(SEED_REPORT), "--spec", str(spec)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 2
    assert_one_line_error(p.stderr, f"{spec}:1:")
    assert not (tmp_path / "PWNED").exists()


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""  # 9^7 = 4,782,969 strings if expanded, from 343 bytes


YAML_BOMBS = [
    ("alias bomb", ALIAS_BOMB, "aliases are not allowed", 1),
    ("flow nesting 5,000", "model: " + "[" * 5000 + "]" * 5000, "nested more than 64", 1),
    ("mapping nesting 5,000", "model: " + "{a: " * 5000 + "1" + "}" * 5000, "nested more than 64", 1),
    ("block nesting 200", "".join(" " * i + "a:\n" for i in range(200)), "nested more than 64", 65),
    ("5,000-digit integer", "model: {layers: 1" + "0" * 5000 + "}", "too large", 1),
    ("infinite float", "model: {layers: .inf}", "not a finite number", 1),
    ("not a number", "model: {layers: .nan}", "not a finite number", 1),
]


@pytest.mark.parametrize(("case", "text", "needle", "line"), YAML_BOMBS, ids=[r[0] for r in YAML_BOMBS])
def test_yaml_bomb_is_refused(tmp_path, capsys, case, text, needle, line):
    assert case != "alias bomb" or len(ALIAS_BOMB) < 400
    spec = tmp_path / "bomb.yaml"
    spec.write_text(text, encoding="utf-8")
    code, out, err = run_main(["check", SEED_REPORT, "--spec", spec], capsys)
    assert code == 2
    assert_one_line_error(err, f"{spec}:{line}:", needle)


def test_nesting_at_the_cap_is_still_read():
    from audit.yamlio import MAX_DEPTH, parse_yaml

    data, _ = parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH - 1):
        data = data[0]
    assert data == []


# --- jinja2 ---------------------------------------------------------------------------------------

def test_our_templates_use_strict_undefined():
    from jinja2 import PackageLoader, StrictUndefined

    env = markdown._environment()
    assert env.undefined is StrictUndefined
    assert isinstance(env.loader, PackageLoader) and env.loader.package_name == "audit.output"


def test_no_template_text_is_taken_from_input():
    """No code path renders a template it did not ship: no from_string, no Template(...), no
    FileSystemLoader; otherwise it would have to be a SandboxedEnvironment."""
    banned = {"from_string", "Template", "FileSystemLoader", "DictLoader", "FunctionLoader"}
    for path in sorted((ROOT / "audit").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.attr if isinstance(n, ast.Attribute) else n.id
                for n in ast.walk(tree) if isinstance(n, ast.Attribute | ast.Name)}
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                    and n.module.startswith("jinja2") for a in n.names}
        found = (used & banned) & (imported | {"from_string"})
        if found:
            assert "SandboxedEnvironment" in imported, f"{path.name} renders template text it did not ship: {found}"


def test_markdown_renderer_takes_no_template_argument():
    import inspect

    assert list(inspect.signature(markdown.markdown).parameters) == ["result", "rules", "charts"]


DANGEROUS_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
DANGEROUS_FUNCTIONS = {"sympify", "parse_expr", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}


@pytest.mark.parametrize("module", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "audit").rglob("*.py")))
def test_no_module_calls_an_evaluator(module):
    """No eval/exec/compile/sympify/parse_expr, and YAML only through safe loading."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert name not in DANGEROUS_FUNCTIONS, f"{module}:{node.lineno}: {name}(...)"
            assert not (isinstance(func, ast.Name) and name in DANGEROUS_BUILTINS), f"{module}:{node.lineno}: {name}(...)"
            if name in ("load", "load_all") and isinstance(func, ast.Attribute) \
                    and isinstance(func.value, ast.Name) and func.value.id == "yaml":
                raise AssertionError(f"{module}:{node.lineno}: yaml.{name} (use safe loading)")


# ---------------------------------------------------------------------------------------------
# 2. Bounded work: huge and deeply nested reports


@pytest.fixture(scope="module")
def auditor():
    from audit.pipeline import Auditor

    return Auditor.load(str(SEED_SPEC))


def _table(rows: int) -> str:
    return "| metric | value |\n|---|---|\n" + "".join(f"| TTFT option {i} | {i % 50 + 1} s |\n" for i in range(rows))


NESTED = "nested deeper than"  # audit.extract refuses nesting it cannot see into, naming the line
DENSE = "a report this dense is data"  # audit.extract's figure cap (DEFAULT_MAX_FIGURES, from --max-report-bytes)

WORST_CASES = [
    # (case, report text, expected outcome: None for a verdict, else words of the one-line error)
    ("5,000 nested '>'", "> " * 5000 + "TTFT: 2 s\n", NESTED),
    ("5,000 nested lists", "- " * 5000 + "TTFT: 2 s\n", NESTED),
    ("5,000 nested ordered lists", "1. " * 5000 + "TTFT: 2 s\n", NESTED),
    ("1,000 indented list levels", "".join(" " * (2 * i) + f"- TTFT: {i % 9 + 1} s\n" for i in range(1000)), NESTED),
    ("40 indented list levels", "".join(" " * (2 * i) + f"- TTFT: {i % 9 + 1} s\n" for i in range(40)), None),
    ("5,000 nested emphasis", "*" * 5000 + "TTFT 2 s" + "*" * 5000 + "\n", None),
    ("5,000 open brackets", "[" * 5000 + "TTFT 2 s\n", None),
    ("5,000 nested links", "[a](" * 5000 + "TTFT 2 s\n", None),
    ("5,000 backticks", "a " + "`" * 5000 + " TTFT 2 s\n", None),
    ("5,000-row table", _table(5000), None),
    ("5,000-column table", "|" + "a|" * 5000 + "\n|" + "-|" * 5000 + "\n|" + "1 GB|" * 5000 + "\n", None),
    ("1 MB line of words", "lorem ipsum dolor " * 58_000 + "\n", None),
    ("1 MB line with a figure every 70 bytes",
     "".join(f"step {i} decodes in {i % 90 + 1} ms while the rest of the line is padding text. " for i in range(14_000)),
     DENSE),
    ("9,000 figures on one line", " ".join(f"{i % 90 + 1} ms" for i in range(9_000)), None),
    ("100k figures", "\n".join(f"- Model weights per GPU: {i % 90 + 1}.5 GB" for i in range(100_000)) + "\n", DENSE),
]


@pytest.mark.parametrize(("text", "error"), [pytest.param(t, e, id=c) for c, t, e in WORST_CASES])
def test_worst_case_report_gives_a_verdict_or_one_line(auditor, tmp_path, text, error):
    report = tmp_path / "worst.md"
    report.write_text(text, encoding="utf-8")
    assert report.stat().st_size <= extract.DEFAULT_MAX_BYTES
    try:
        result = auditor.audit(str(report))
        markdown.markdown(result, auditor.rules)
        json_output.render([result])
    except AuditError as e:
        assert error is not None, str(e)
        assert error in str(e) and str(e).startswith(f"{report}:") and "\n" not in str(e), str(e)
    else:
        assert error is None, f"expected an error saying {error!r}, got a verdict"
        assert result.result in ("pass", "warn", "fail")


DEEP_FIGURE = [
    # (case, report, figures it holds): every figure read, or a one-line error; never fewer figures
    ("40 indented list levels", "".join(" " * (2 * i) + f"- KV cache per GPU: {i + 1}.25 GB\n" for i in range(40)), 40),
    ("30 nested '>'", "> " * 30 + "KV cache per GPU: 7.25 GB\n", 1),
    ("60 nested '>'", "> " * 60 + "KV cache per GPU: 7.25 GB\n", 1),
    ("200 nested lists", "- " * 200 + "KV cache per GPU: 7.25 GB\n", 1),
]


@pytest.mark.parametrize(("case", "text", "figures"), DEEP_FIGURE, ids=[r[0] for r in DEEP_FIGURE])
def test_deeply_nested_figure_is_not_lost_silently(case, text, figures):
    try:
        claims = extract.extract(text)
    except AuditError as e:
        assert NESTED in str(e)
        return
    assert len(claims) == figures


def test_report_over_the_size_cap_is_one_line(tmp_path, capsys):
    report = tmp_path / "big.md"
    report.write_bytes(b"a" * (extract.DEFAULT_MAX_BYTES + 1))
    code, out, err = run_main(["check", report, "--spec", SEED_SPEC], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, str(report), "limit")


def test_report_size_cap_can_be_raised(tmp_path, capsys):
    report = tmp_path / "big.md"
    report.write_bytes(b"a " * (extract.DEFAULT_MAX_BYTES // 2 + 1))
    code, out, err = run_main(["check", report, "--spec", SEED_SPEC, "--max-report-bytes",
                               str(extract.DEFAULT_MAX_BYTES * 2)], capsys)
    assert code == 0, err


# ---------------------------------------------------------------------------------------------
# 4. Bad inputs, one row each


def _spec_with(tmp_path: Path, old: str | tuple[str, ...], new: str | tuple[str, ...]) -> Path:
    """The seed spec with `old` replaced by `new` (or each of several, in turn)."""
    text = SEED_SPEC.read_text(encoding="utf-8")
    pairs = zip(old, new, strict=True) if isinstance(old, tuple) else [(old, new)]
    for before, after in pairs:
        assert before in text
        text = text.replace(before, after, 1)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BAD_SPECS = [
    # (case, text replaced in the seed spec (or a tuple of them), replacement, line of the error, words it must
    # contain)
    ("negative layers", "layers: 94", "layers: -94", 4, "model.layers"),
    ("zero layers", "layers: 94", "layers: 0", 4, "model.layers"),
    ("zero head_dim", "head_dim: 128", "head_dim: 0", 11, "model.attention.head_dim"),
    ("negative memory", "  memory: 64 GB", "  memory: -64 GB", 20, "hardware.memory"),
    ("zero memory", "  memory: 64 GB", "  memory: 0 GB", 20, "hardware.memory"),
    ("zero bandwidth", "memory_bandwidth: 1.8 TB/s", "memory_bandwidth: 0 TB/s", 21, "hardware.memory_bandwidth"),
    ("negative peak", "fp8: 400 TFLOPS", "fp8: -400 TFLOPS", 23, "hardware.peak_flops.fp8"),
    ("zero devices", "devices: 32", "devices: 0", 19, "hardware.devices"),
    ("zero batch", "  batch_size: 128", "  batch_size: 0", 29, "workload.batch_size"),
    ("negative requirement", "ttft: 30 s", "ttft: -30 s", 32, "requirements.ttft"),
    ("infinite memory", "  memory: 64 GB", "  memory: .inf", 20, "not a finite number"),
    ("400-digit memory", "  memory: 64 GB", "  memory: 1" + "0" * 400, 20, "too large"),
    ("memory 1e400", "  memory: 64 GB", "  memory: 1e400 B", 20, "not a finite number"),
    # TP 16 x PP 4 x DP 1 = 64 devices, on hardware of 32
    ("more devices than the hardware", "original: {tp: 2,", "original: {tp: 16,", 34,
     "64 devices, more than the 32 of hardware.devices"),
    # fp8 weights and bf16 activations compute at fp8, the narrower; the part is given a bf16 peak only
    ("no peak at the compute precision", "    fp8: 400 TFLOPS", "    bf16: 400 TFLOPS", 24,
     "precision: matmuls run at fp8"),
    # with the 2 x 95 x 1 = 190 devices that layout needs, so that only PP is wrong
    ("PP larger than the layers", ("devices: 32", "pp: 4, dp: 1"), ("devices: 190", "pp: 95, dp: 1"), 34,
     "PP 95 is larger than the 94 layers"),
    ("zero DP", "dp: 1,", "dp: 0,", 34, "scenarios.original.dp"),
    ("unknown weights precision", "weights: fp8", "weights: fp7", 25, "unknown precision 'fp7'"),
    ("unknown KV precision", "kv_cache: fp8", "kv_cache: int3", 26, "unknown precision 'int3'"),
    ("prompt range upside down", "min: 128, max: 10240", "min: 20000, max: 10240", 30,
     "workload.input_tokens: min is larger than max"),
    ("unknown key like a pydantic tag", "requirements:", "r[1, 2]quirements:", 31, "r[1, 2]quirements: unknown field"),
    ("unknown key 'int'", "requirements:", "int:", 31, "int: unknown field"),
    ("top-k above the experts", "experts_per_token: 8", "experts_per_token: 200", 12, "model.moe"),
]


@pytest.mark.parametrize(("case", "old", "new", "line", "needle"), BAD_SPECS, ids=[r[0] for r in BAD_SPECS])
def test_bad_spec_is_one_line_exit_2(tmp_path, capsys, case, old, new, line, needle):
    spec = _spec_with(tmp_path, old, new)
    code, out, err = run_main(["check", SEED_REPORT, "--spec", spec], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, f"{spec}:{line}:", needle)


def test_every_problem_of_a_spec_is_one_line(tmp_path, capsys):
    """A spec with several problems names each one, a line apiece, in file order (exit 2, no traceback)."""
    spec = _spec_with(tmp_path, "layers: 94", "layers: 0")
    text = spec.read_text(encoding="utf-8").replace("  memory: 64 GB", "  memory: -64 GB")
    spec.write_text(text, encoding="utf-8")
    code, out, err = run_main(["check", SEED_REPORT, "--spec", spec], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == [f"{spec}:4", f"{spec}:20"], lines
    assert "model.layers" in lines[0] and "hardware.memory" in lines[1]


def _report(tmp_path: Path, data: bytes | None, name: str = "report.md") -> Path:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    return path


BAD_REPORTS = [
    # (case, bytes of the report or None for none, expected exit, words on stderr or None)
    ("missing file", None, 2, "no such file"),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 2, "binary"),
    ("non-UTF-8", "TTFT: 2 s\nlatency caf\u00e9 3 s\n".encode("latin-1"), 2, "UTF-8"),
    ("UTF-16", "TTFT: 2 s\n".encode("utf-16"), 2, None),
    ("lone surrogate bytes", b"TTFT: 2 s \xed\xa0\x80\n", 2, "UTF-8"),
]


@pytest.mark.parametrize(("case", "data", "code", "needle"), BAD_REPORTS, ids=[r[0] for r in BAD_REPORTS])
def test_bad_report_is_one_line_exit_2(tmp_path, capsys, case, data, code, needle):
    report = _report(tmp_path, data)
    got, out, err = run_main(["check", report, "--spec", SEED_SPEC], capsys)
    assert got == code and out == ""
    assert_one_line_error(err, str(report), *([needle] if needle else []))


def test_directory_as_report(tmp_path, capsys):
    code, out, err = run_main(["check", tmp_path, "--spec", SEED_SPEC], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, str(tmp_path), "directory")


SPEC_FILES = [
    ("missing spec", None, "no such file|cannot read"),
    ("empty spec", b"", "expected a mapping"),
    ("binary spec", b"\x00\x01\x02\xff\xfe", "UTF-8|YAML"),
    ("non-UTF-8 spec", "model: caf\u00e9\n".encode("latin-1"), "UTF-8"),
    ("a list, not a mapping", b"- model\n- hardware\n", "expected a mapping"),
]


@pytest.mark.parametrize(("case", "data", "pattern"), SPEC_FILES, ids=[r[0] for r in SPEC_FILES])
def test_bad_spec_file_is_one_line_exit_2(tmp_path, capsys, case, data, pattern):
    import re

    spec = _report(tmp_path, data, "spec.yaml")
    code, out, err = run_main(["check", SEED_REPORT, "--spec", spec], capsys)
    assert code == 2 and out == ""
    assert_one_line_error(err, str(spec))
    assert re.search(pattern, err), err


def test_spec_directory(tmp_path, capsys):
    code, out, err = run_main(["check", SEED_REPORT, "--spec", tmp_path], capsys)
    assert code == 2
    assert_one_line_error(err, str(tmp_path), "directory")


EMPTY_REPORTS = [("empty", b""), ("only blank lines", b"\n\n  \n"), ("only a BOM", b"\xef\xbb\xbf"),
                 ("heading without figures", b"# Notes\n\nNothing measured yet.\n")]


@pytest.mark.parametrize("data", [pytest.param(d, id=c) for c, d in EMPTY_REPORTS])
def test_report_without_figures_passes_with_no_claims(tmp_path, capsys, data):
    """Nothing to judge is not a crash: exit 0, and one warning (RUN002) that nothing was verified."""
    report = _report(tmp_path, data)
    code, out, err = run_main(["check", report, "--spec", SEED_SPEC, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["reports"][0]["claims"] == []
    assert [(f["rule"], f["severity"]) for f in doc["reports"][0]["findings"]] == [("RUN002", "warning")]


def _verdict(tmp_path: Path, capsys, data: bytes) -> list[tuple]:
    report = _report(tmp_path, data, "variant.md")
    code, out, err = run_main(["check", report, "--spec", SEED_SPEC, "--format", "json"], capsys)
    assert code in (0, 1), err
    doc = json.loads(out)["reports"][0]
    return [("claim", c["line"], c["figure"], c["metric"], c["scenario"]) for c in doc["claims"]] + \
        [("finding", f["line"], f["rule"], f["severity"], f["claimed"]) for f in doc["findings"]]


ENCODINGS = [
    ("CRLF line endings", lambda b: b.replace(b"\n", b"\r\n")),
    ("UTF-8 BOM", lambda b: b"\xef\xbb\xbf" + b),
    ("BOM and CRLF", lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n")),
    ("old Mac CR", lambda b: b.replace(b"\n", b"\r")),
    ("no final newline", lambda b: b.rstrip(b"\n")),
]


@pytest.mark.parametrize("transform", [pytest.param(t, id=c) for c, t in ENCODINGS])
def test_line_endings_and_bom_give_the_same_findings_on_the_same_lines(tmp_path, capsys, transform):
    original = SEED_REPORT.read_bytes()
    assert b"\r" not in original and not original.startswith(b"\xef\xbb\xbf")
    lf = _verdict(tmp_path, capsys, original)
    assert any(row[0] == "finding" for row in lf)
    assert _verdict(tmp_path, capsys, transform(original)) == lf


def test_no_traceback_from_a_fresh_process_on_a_bad_spec(tmp_path):
    """The one-line rule holds for the real entry point too (python -m audit)."""
    spec = _spec_with(tmp_path, "  memory: 64 GB", "  memory: .inf")
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(SEED_REPORT), "--spec", str(spec)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60, env=env)
    assert p.returncode == 2
    assert_one_line_error(p.stderr, f"{spec}:20:")


# ---------------------------------------------------------------------------------------------
# Report text is data in the verdict: never rendered as a template, never raw HTML

INJECTIONS = [
    # (case, text put in the label of a figure, shown as text?, what must not reach the Markdown verdict)
    ("jinja expression", "{{ 7*7 }}", True, None),
    ("jinja statement", "{% for x in range(99999999) %}x{% endfor %}", True, None),
    ("jinja attribute walk", "{{ config.__class__.__init__.__globals__ }}", False, "<function"),
    ("HTML", "<img src=x onerror=alert(1)>", False, "<img"),
    ("script", "<script>alert(1)</script>", False, "<script"),
    ("javascript link", "[click](javascript:alert(1))", False, "](javascript:"),
]


@pytest.mark.parametrize(("case", "payload", "shown", "absent"), INJECTIONS, ids=[r[0] for r in INJECTIONS])
def test_report_text_is_never_rendered_as_code(tmp_path, capsys, case, payload, shown, absent):
    report = _report(tmp_path, f"**Original Strategy:**\n- Model weights per GPU {payload}: 2.86 GB\n".encode())
    code, out, err = run_main(["check", report, "--spec", SEED_SPEC, "--format", "markdown"], capsys)
    assert code in (0, 1), err  # a label of template syntax may weaken the binding to a warning: still judged
    assert len(out) < 100_000  # a template loop over the report's text would blow this up
    assert "weights per device: claimed 2.86 GB" in out  # the figure is still judged (29.39 GB expected)
    if shown:  # the template syntax appears as text (escaped or not), so it was not evaluated
        assert payload in out.replace("\\", "")
    if absent:
        assert absent not in out
