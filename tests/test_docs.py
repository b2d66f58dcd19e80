"""The project documents itself: docs/ holds the spec format, the output contract, the physics
conventions and the rule reference, their tables generated from the registries; nothing in the
repository or in the tool's output points at a file outside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.output.reference import regenerate

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_generated_sections_are_current(doc):
    text = doc.read_text(encoding="utf-8")
    fresh = regenerate(text)
    if os.environ.get("AUDIT_UPDATE_GOLDEN"):
        doc.write_text(fresh, encoding="utf-8")
    assert text == fresh, f"regenerate: AUDIT_UPDATE_GOLDEN=1 pytest {__file__}"


def test_the_docs_cover_the_interfaces():
    assert {d.name for d in DOCS} >= {"spec.md", "output.md", "physics.md", "rules.md"}


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout: every file below the root but the tool's own caches
        return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    return [ROOT / line for line in out.stdout.splitlines()]


def test_nothing_points_outside_the_repository():
    outside = ("DESIGN.md", "../shared", "shared/reference", "shared/seed")
    found = []
    for path in _tracked():
        if path.suffix not in (".py", ".md", ".yaml", ".j2", ".toml", ".txt") or not path.is_file():
            continue
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}: {word}" for word in outside if word in text]
    assert not found, found


def test_the_verdict_points_nowhere_outside():
    out = subprocess.run([sys.executable, "-m", "audit", "check", "reports/qwen3-235b/report.md", "--spec",
                          "reports/qwen3-235b/qwen3.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert "DESIGN" not in out.stdout + out.stderr
