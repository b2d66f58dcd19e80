"""A gate that cannot be switched off by a typo: each case that used to pass in silence (issue 11, "The gate
turns itself off silently") now exits 2 or reports a finding.

Hand arithmetic, seed spec, scenario "original" (TP 2 x PP 4): weights per GPU 235.09e9 x 1 B / 8 = 29.39 GB,
so "2.86 GB" is MEM001 (an error) and "29.4 GB" is within MEM001's 10%.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"
WRONG = "# Original deployment\n\n- Model weights per GPU: 2.86 GB\n"


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch):
    for name in ("GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, tmp_path, monkeypatch, report: str, flags=(), files=None):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SPEC, tmp_path / "qwen3.yaml")
    (tmp_path / "r.md").write_text(report, encoding="utf-8")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    status = main(["check", "r.md", "--format", "json", *(["--spec", "qwen3.yaml"] if not files else []), *flags])
    out, err = capsys.readouterr()
    findings = [(f["rule"], f["severity"], f["line"]) for f in json.loads(out)["reports"][0]["findings"]
                if "suppressed" not in f] if out else None
    return status, findings, err.strip()


# (case, report, flags, configuration files, exit status, findings (rule, severity, line) or stderr words)
CASES = [
    ("--select with a typo", WRONG, ["--select", "MEMO01"], None, 2,
     "--select: 'MEMO01' is no rule id and the prefix of none (did you mean MEM001"),
    ("--ignore with a typo", WRONG, ["--ignore", "LATT001"], None, 2,
     "--ignore: 'LATT001' is no rule id and the prefix of none (did you mean LAT001"),
    ("select in the configuration names no rule", WRONG, [],
     {"pyproject.toml": '[tool.audit]\nspec = "qwen3.yaml"\nselect = ["TTFT"]\n'}, 2,
     "pyproject.toml:3: 'select': 'TTFT' is no rule id and the prefix of none"),
    ("a prefix that is a rule family still selects", WRONG, ["--select", "MEM"], None, 1, [("MEM001", "error", 3)]),
    ("a report with no figures", "# Notes\n\nNothing measured yet.\n", [], None, 0, [("RUN002", "warning", 0)]),
    ("a report with no figures, --require-figures", "# Notes\n\nNothing measured yet.\n", ["--require-figures"],
     None, 1, [("RUN002", "error", 0)]),
    ("a suppression example in an indented code block", "# Original deployment\n\nHow to suppress:\n\n"
     "    <!-- audit-disable-file MEM001 -- an example -->\n\n- Model weights per GPU: 2.86 GB\n", [], None, 1,
     [("MEM001", "error", 7)]),
    ("a suppression example in inline code", "# Original deployment\n\n"
     "Write `<!-- audit-disable-file MEM001 -- why -->` to suppress.\n\n- Model weights per GPU: 2.86 GB\n", [],
     None, 1, [("MEM001", "error", 5)]),
    ("audit-disable-line, markdownlint's spelling", "# Original deployment\n\n- Model weights per GPU: 2.86 GB "
     "<!-- audit-disable-line MEM001 -- the vendor's figure -->\n", [], None, 0, []),
    ("an unknown rule id in a suppression", "# Original deployment\n\n"
     "<!-- audit-disable-next-line MEMO01 -- the vendor's figure -->\n- Model weights per GPU: 2.86 GB\n", [], None,
     1, [("SUP003", "error", 3), ("MEM001", "error", 4)]),
    ("an unknown directive", "# Original deployment\n\n"
     "<!-- audit-disable-nextline MEM001 -- the vendor's figure -->\n- Model weights per GPU: 2.86 GB\n", [], None,
     1, [("SUP004", "warning", 3), ("MEM001", "error", 4)]),
]


@pytest.mark.parametrize(("case", "report", "flags", "files", "status", "expected"), CASES, ids=[c[0] for c in CASES])
def test_no_silent_pass(capsys, tmp_path, monkeypatch, case, report, flags, files, status, expected):
    got_status, findings, err = run(capsys, tmp_path, monkeypatch, report, flags, files)
    assert got_status == status, (findings, err)
    if isinstance(expected, str):
        assert expected in err and len(err.splitlines()) == 1
    else:
        assert findings == expected


def test_the_messages_name_the_closest_rules(capsys, tmp_path, monkeypatch):
    report = ("# Original deployment\n\n<!-- audit-disable-next-line MEMO01 -- the vendor's figure -->\n"
              "- Model weights per GPU: 2.86 GB\n<!-- audit-disabel-file MEM001 -- x -->\n")
    run(capsys, tmp_path, monkeypatch, report)
    main(["check", "r.md", "--spec", "qwen3.yaml", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    messages = {f["rule"]: f["message"] for f in doc["reports"][0]["findings"]}
    assert "did you mean MEM001" in messages["SUP003"]
    assert "did you mean audit-disable-file" in messages["SUP004"]
