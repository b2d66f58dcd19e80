"""The command line as a user meets it: exit codes, one-line errors, --help, --version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
BAD_SPECS = ROOT / "tests" / "data" / "specs" / "bad"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    return subprocess.run([sys.executable, "-m", "audit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60, env=env)


def test_seed_fails_with_exit_1():
    p = run("check", str(SEED / "report.md"), "--spec", str(SEED / "qwen3.yaml"))
    assert p.returncode == 1
    assert "**Result: FAIL**" in p.stdout


def test_json_follows_the_contract():
    p = run("check", str(SEED / "report.md"), "--spec", str(SEED / "qwen3.yaml"), "--format", "json")
    doc = json.loads(p.stdout)
    assert doc["version"] == 1 and len(doc["reports"]) == 1
    report = doc["reports"][0]
    assert set(report) >= {"path", "spec", "result", "claims", "findings"}
    assert report["result"] == "fail"
    for c in report["claims"]:
        assert set(c) >= {"line", "text", "value", "unit", "metric", "scenario", "quoted"}
    for f in report["findings"]:
        assert set(f) >= {"rule", "name", "severity", "line", "scenario", "metric", "claimed", "expected",
                          "unit", "ratio", "interpretation", "formula", "substitution", "message"}
        assert f["severity"] in ("error", "warning", "info")
        assert isinstance(f["expected"], float | int) or (isinstance(f["expected"], list) and len(f["expected"]) == 2)


def test_a_clean_report_passes(tmp_path):
    # hand arithmetic for the seed spec, scenario "original" (TP 2, PP 4, DP 1, batch 128, fp8 weights):
    # weights per GPU = 235.09e9 x 1 B / (2 x 4) = 29.39 GB; heads per GPU = 64 / 2 = 32
    report = tmp_path / "ok.md"
    report.write_text("# Original deployment\n\n- Model weights per GPU: 29.4 GB\n- 32 heads per GPU\n")
    p = run("check", str(report), "--spec", str(SEED / "qwen3.yaml"))
    assert p.returncode == 0, p.stdout
    assert "**Result: PASS**" in p.stdout


def test_output_file(tmp_path):
    out = tmp_path / "verdict.md"
    p = run("check", str(SEED / "report.md"), "--spec", str(SEED / "qwen3.yaml"), "-o", str(out))
    assert p.returncode == 1 and p.stdout == ""
    assert out.read_text().startswith("# Audit of")


BAD_INPUT = [
    # (what, argv builder, text the one-line error must contain)
    ("missing report", lambda t: ["check", str(t / "nope.md"), "--spec", str(SEED / "qwen3.yaml")], "nope.md"),
    ("directory as report", lambda t: ["check", str(t), "--spec", str(SEED / "qwen3.yaml")], "directory"),
    ("non-UTF-8 report", lambda t: ["check", _write(t / "latin1.md", b"# caf\xe9\n- TTFT: 1 s\n"),
                                    "--spec", str(SEED / "qwen3.yaml")], "latin1.md:1"),
    ("binary report", lambda t: ["check", _write(t / "bin.md", b"\x00\x01\x02"), "--spec",
                                 str(SEED / "qwen3.yaml")], "binary"),
    ("missing spec", lambda t: ["check", str(SEED / "report.md"), "--spec", str(t / "none.yaml")], "none.yaml"),
    ("YAML syntax error", lambda t: ["check", str(SEED / "report.md"), "--spec",
                                     _write(t / "s.yaml", b"model: [1, 2\n")], "s.yaml:"),
    ("unknown unit", lambda t: ["check", str(SEED / "report.md"), "--spec",
                                _write(t / "u.yaml", (SEED / "qwen3.yaml").read_bytes().replace(b"64 GB", b"64 GX"))],
     "hardware.memory"),
    ("wrong type", lambda t: ["check", str(SEED / "report.md"), "--spec",
                              _write(t / "w.yaml", (SEED / "qwen3.yaml").read_bytes().replace(b"layers: 94",
                                                                                            b"layers: many"))],
     "model.layers"),
    ("missing field", lambda t: ["check", str(SEED / "report.md"), "--spec",
                                 _write(t / "m.yaml", (SEED / "qwen3.yaml").read_bytes().replace(b"  layers: 94\n", b""))],
     "layers"),
    ("unknown scenario in calc", lambda t: ["calc", "--spec", str(SEED / "qwen3.yaml"), "--scenario", "nope"], "nope"),
]


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(("what", "argv", "needle"), BAD_INPUT, ids=[r[0] for r in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_2(tmp_path, what, argv, needle):
    p = run(*argv(tmp_path))
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert needle in lines[0]
    assert "Traceback" not in p.stderr


def test_version_and_help():
    assert run("--version").stdout.startswith("audit ")
    helped = run("check", "--help")
    assert helped.returncode == 0
    for flag in ("--spec", "--format", "-o", "--strict"):
        assert flag in helped.stdout
    assert run().returncode == 2


def test_a_report_without_a_spec_is_a_finding_not_a_crash():
    p = run("check", str(SEED / "report.md"), "--format", "text")  # no --spec, no configuration
    assert p.returncode == 1 and "RUN001 error no spec for this report" in p.stdout and "--spec" in p.stdout


def test_usage_error_exits_2():
    p = run("check")  # no PATH
    assert p.returncode == 2 and "PATH" in p.stderr


def test_a_run_does_not_import_sympy():
    # the formula cache (audit.physics._formula_cache) makes sympy unnecessary when reports are audited
    report, spec = str(SEED / "report.md"), str(SEED / "qwen3.yaml")
    code = (f"import sys; from audit.cli import main; main(['check', {report!r}, '--spec', {spec!r}, "
            "'-o', '/dev/null']); print('sympy' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.stdout.strip() == "False", p.stdout + p.stderr
