"""Corrections: `audit check --diff` and `--fix`, and `audit.fix`. A corrected report audits again with no error
on the corrected lines; figures that follow from a corrected one in the report's own arithmetic are
corrected with it.

Hand arithmetic, seed spec (reports/qwen3-235b/qwen3.yaml), scenario "original" (TP 2, PP 4, DP 1, batch 128,
fp8 weights and KV cache, 10,240-token prompts): weights per GPU 235.09e9 x 1 B / 8 = 29.39 GB; KV cache per
GPU 128 x 10240 x 96,256 B / (PP 4 x min(TP 2, 4)) = 15.77 GB; weights + KV = 45.16 GB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import audit
from audit.cli import main
from audit.output import fix
from audit.records import Claim

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SEED_SPEC = SEED / "qwen3.yaml"

MEMORY = """\
# Original deployment

**Original Strategy:**
- Model weights per GPU: 2.86 GB
- KV cache per GPU: 0.79 GB
- Activation memory: 0.20 GB
- Total per GPU: 3.85 GB
"""


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch):
    for name in ("GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def test_the_seed_corrected_audits_with_no_error_on_the_corrected_lines():
    text = (SEED / "report.md").read_text(encoding="utf-8")
    fixed = audit.fix(text, str(SEED_SPEC), path="reports/qwen3-235b/report.md")
    assert fixed.lines, "the seed has confident errors to correct"
    assert {42, 43, 48, 49} <= set(fixed.lines)  # weights and KV cache per GPU, both strategies
    errors = [(f.line, f.rule) for f in fixed.result.errors]
    assert [e for e in errors if e[0] in fixed.lines] == []
    new = fixed.text.splitlines()
    assert new[41] == "- Model weights per GPU: 29.39 GB"
    assert new[42] == "- KV cache per GPU: 15.77 GB"
    assert new[47] == "- Model weights per GPU: 14.69 GB (unchanged)"  # 235.09e9 / (TP 4 x PP 4) = 14.69 GB
    assert fixed.diff.startswith("--- a/reports/qwen3-235b/report.md\n+++ b/reports/qwen3-235b/report.md\n")
    assert "\n-- Model weights per GPU: 2.86 GB\n" in fixed.diff and "\n+- Model weights per GPU: 29.39 GB\n" in fixed.diff


def test_a_total_follows_its_corrected_parts():
    """The parts are corrected on physics; the total, which was their sum, is corrected to the new sum:
    29.39 + 15.77 + 0.20 = 45.36 GB (not only the floor 45.16 GB of weights and KV)."""
    fixed = audit.fix(MEMORY, str(SEED_SPEC))
    lines = fixed.text.splitlines()
    assert lines[3:7] == ["- Model weights per GPU: 29.39 GB", "- KV cache per GPU: 15.77 GB",
                          "- Activation memory: 0.20 GB", "- Total per GPU: 45.36 GB"]
    assert fixed.result.errors == ()


@pytest.mark.parametrize(("line", "corrected"), [
    ("- Model weights per GPU: $2.86$ GB", "- Model weights per GPU: $29.39$ GB"),  # inline TeX: the number alone
    ("- Model weights per GPU: 2.86&nbsp;GB", "- Model weights per GPU: 29.39&nbsp;GB"),  # an entity between
])
def test_a_figure_written_with_markup_is_corrected_in_place(line, corrected):
    """29.39 GB of weights per GPU (the module docstring); the figure as read ("2.86 GB") is not the line's text."""
    fixed = audit.fix(f"# Original deployment\n\n**Original Strategy:**\n{line}\n", str(SEED_SPEC))
    assert fixed.text.splitlines()[3] == corrected


def test_a_percentage_follows_its_corrected_part():
    """6.82 GB is below the floor 30.46 GB (optimized: 14.69 + 15.77); the share of 64 GB follows:
    the percentage is corrected so that part / whole holds again."""
    text = ("# Optimized deployment\n\n**Optimized Strategy:**\n"
            "- Total per GPU: 6.82 GB (10.7% of 64GB capacity)\n")
    fixed = audit.fix(text, str(SEED_SPEC))
    assert fixed.result.errors == (), [(f.rule, f.message) for f in fixed.result.errors]
    assert "6.82 GB" not in fixed.text


def test_check_diff_prints_a_diff_and_writes_nothing(tmp_path, capsys):
    report = tmp_path / "r.md"
    report.write_text(MEMORY, encoding="utf-8")
    status = main(["check", str(report), "--spec", str(SEED_SPEC), "--diff"])
    out = capsys.readouterr().out
    assert status == 1 and out.startswith(f"--- a/{report}\n")
    assert "+- Model weights per GPU: 29.39 GB\n" in out
    assert report.read_text(encoding="utf-8") == MEMORY


def test_check_fix_writes_the_corrections_and_reports_what_is_left(tmp_path, capsys):
    report = tmp_path / "r.md"
    report.write_text(MEMORY, encoding="utf-8")
    status = main(["check", str(report), "--spec", str(SEED_SPEC), "--fix", "--format", "text"])
    out, err = capsys.readouterr()
    assert status == 0, out
    assert "29.39 GB" in report.read_text(encoding="utf-8")
    assert "corrected 3 lines in 1 report" in err  # weights, KV cache and their total
    assert main(["check", str(report), "--spec", str(SEED_SPEC), "--diff"]) == 0  # nothing left to correct


def test_fix_of_the_standard_input_goes_to_stdout():
    p = subprocess.run([sys.executable, "-m", "audit", "check", "-", "--spec", str(SEED_SPEC), "--fix",
                        "--stdin-filename", "plan.md", "--format", "text"], input=MEMORY, capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert p.stdout.startswith("# Original deployment\n")
    assert "- Model weights per GPU: 29.39 GB" in p.stdout


def test_a_clean_report_has_no_diff(tmp_path, capsys):
    report = tmp_path / "ok.md"
    shutil.copy(ROOT / "tests" / "data" / "suppress" / "report.md", tmp_path / "x.md")
    report.write_text("# Original deployment\n\n- Model weights per GPU: 29.4 GB\n", encoding="utf-8")
    assert main(["check", str(report), "--spec", str(SEED_SPEC), "--diff"]) == 0
    assert capsys.readouterr().out == ""


# (line text, figure, claims of the line in document order (figure, index), index of the claim, place)
LOCATE_CASES = [
    ("- Model weights per GPU: 2.86 GB", "2.86 GB", [("2.86 GB", 0)], 0, (26, 33)),
    ("| Memory | 6.0% | 6.0% | 24.2% |", "6.0%", [("6.0%", 0), ("6.0%", 1), ("24.2%", 2)], 1, (19, 23)),
    ("| Memory | 6.0% | 6.0% | 24.2% |", "24.2%", [("6.0%", 0), ("6.0%", 1), ("24.2%", 2)], 2, (26, 31)),
    ("- **Weights**: 2.86 GB", "2.86 GB", [("2.86 GB", 0)], 0, (16, 23)),
    ("- Weights: **2.86** GB", "2.86 GB", [("2.86 GB", 0)], 0, None),  # not verbatim: no place, no fix
]


@pytest.mark.parametrize(("line", "figure", "claims", "index", "place"), LOCATE_CASES)
def test_locate(line, figure, claims, index, place):
    made = [Claim(line=1, text=line, figure=f, label="", value=1.0, unit="B", kind="bytes", index=i)
            for f, i in claims]
    found = fix.locate(made[index], [line], made)
    assert (None if found is None else (found.start, found.end)) == place


def test_apply_replaces_right_to_left_on_a_line():
    places = {fix.Place(1, 3, 5): "10", fix.Place(1, 8, 10): "20"}
    assert fix.apply("a 1x b 2x c", places) == "a 10 b 20 c"
