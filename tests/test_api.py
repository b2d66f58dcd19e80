"""The Python API (`audit.check`, `audit.fix`): the README's example runs as written, every form of report and
spec gives the same result, results are frozen, and the API says what the command line says.

Hand arithmetic, seed spec (reports/qwen3-235b/qwen3.yaml), scenario "original" (TP 2 x PP 4): weights per GPU
235.09e9 x 1 B / 8 = 29.39 GB; KV cache per GPU 128 x 10240 x 96,256 B / (4 x 2) = 15.77 GB.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import audit
from audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SPEC = SEED / "qwen3.yaml"
DRAFT = "# Original deployment\n\n- Model weights per GPU: 2.86 GB\n- KV cache per GPU: 0.79 GB\n"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- api-example -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md lost its API example"
    return m.group(1)


def test_the_readme_example_runs(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_example(), encoding="utf-8")
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert "line 3: MEM001" in p.stdout and "-> 29.39 GB" in p.stdout
    assert "+- Model weights per GPU: 29.39 GB" in p.stdout


SPEC_FORMS = {
    "path": lambda: str(SPEC),
    "Path": lambda: SPEC,
    "YAML text": lambda: SPEC.read_text(encoding="utf-8"),
    "dict": lambda: yaml.safe_load(SPEC.read_text(encoding="utf-8")),
    "Spec": lambda: __import__("audit.spec.load", fromlist=["load_spec"]).load_spec(SPEC).spec,
}


@pytest.mark.parametrize("form", list(SPEC_FORMS))
def test_every_form_of_spec_gives_the_same_findings(form):
    result = audit.check(DRAFT, SPEC_FORMS[form]())
    assert [(f.line, f.rule, f.suggestion) for f in result.errors] == [(3, "MEM001", "29.39 GB"),
                                                                       (4, "MEM002", "15.77 GB")]


def test_a_report_path_or_text(tmp_path):
    report = tmp_path / "plan.md"
    report.write_text(DRAFT, encoding="utf-8")
    by_path, by_text = audit.check(report, SPEC), audit.check(DRAFT, SPEC, path=str(report))
    assert by_path.path == by_text.path == str(report)
    assert by_path.findings == by_text.findings and by_path.status == by_text.status


def test_the_result_is_frozen_and_counts_figures():
    result = audit.check(DRAFT, SPEC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.result = "pass"  # type: ignore[misc]
    assert (result.result, result.ok) == ("fail", False)
    assert (result.summary.figures, result.summary.wrong) == (2, 2)
    assert result.status == ("fail", "fail")
    assert result.to_json()["summary"]["wrong"] == 2


def test_the_api_says_what_the_command_line_says(tmp_path, capsys):
    report = tmp_path / "plan.md"
    report.write_text(DRAFT, encoding="utf-8")
    assert main(["check", str(report), "--spec", str(SPEC), "--format", "json"]) == 1
    cli = json.loads(capsys.readouterr().out)["reports"][0]
    api = audit.check(report, SPEC).to_json()
    assert {k: v for k, v in api.items() if k != "spec"} == {k: v for k, v in cli.items() if k != "spec"}


def test_selection_and_its_typos():
    assert audit.check(DRAFT, SPEC, ignore=["MEM002"]).errors[0].rule == "MEM001"
    assert len(audit.check(DRAFT, SPEC, select="MEM002").errors) == 1
    with pytest.raises(audit.AuditError, match=r"'MEMO01' is no rule id.*did you mean MEM001"):
        audit.check(DRAFT, SPEC, select=["MEMO01"])


def test_fix_corrects_and_re_checks():
    fixed = audit.fix(DRAFT, SPEC)
    assert fixed.lines == (3, 4)
    assert fixed.text == DRAFT.replace("2.86 GB", "29.39 GB").replace("0.79 GB", "15.77 GB")
    assert fixed.result.ok and fixed.result.errors == ()


@pytest.mark.parametrize(("spec", "words"), [
    ({"model": "Qwen3-235B-A22B"}, "hardware"),   # a dict missing fields: the field named
    ("model: [1, 2\n", "<spec>"),                  # YAML text with a syntax error
    (3.5, "expected a path, YAML text, a mapping or a Spec"),
])
def test_bad_specs_raise_one_audit_error(spec, words):
    with pytest.raises(audit.AuditError) as caught:
        audit.check(DRAFT, spec)
    assert words in str(caught.value) and "Traceback" not in str(caught.value)


def test_the_package_is_typed_and_the_api_loads_lazily():
    assert (ROOT / "audit" / "py.typed").exists()
    code = "import sys, audit; print('audit.api' in sys.modules); audit.check; print('audit.api' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.stdout.split() == ["False", "True"]
