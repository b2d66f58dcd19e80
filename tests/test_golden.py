"""The verdicts committed in reports/ are what `audit check` writes today.

When a change to the rules or the binder changes a verdict on purpose, regenerate them with
`AUDIT_UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in ROOT.glob("reports/*/answer-key.yaml"))
OUTPUTS = {"verdict.md": "markdown", "verdict.json": "json"}


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
@pytest.mark.parametrize("name", OUTPUTS)
def test_committed_verdict_is_current(tmp_path, monkeypatch, folder, name):
    key = yaml.safe_load((folder / "answer-key.yaml").read_text())
    monkeypatch.chdir(ROOT)  # paths in the verdict are repo-relative, as a user in the repo root types them
    out = tmp_path / name
    report, spec = (str((folder / key[k]).relative_to(ROOT)) for k in ("report", "spec"))
    status = main(["check", report, "--spec", spec, "--format", OUTPUTS[name], "-o", str(out)])
    assert status == 1  # every example has errors to show
    golden = folder / name
    if os.environ.get("AUDIT_UPDATE_GOLDEN"):
        golden.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    assert golden.exists(), f"no {golden.relative_to(ROOT)}: run AUDIT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert out.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), \
        f"{golden.relative_to(ROOT)} is out of date: AUDIT_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
