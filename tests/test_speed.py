"""Regression guards for speed, with bounds well above the figures in the README (measured on an idle
2-core machine: cold 0.58 s, warm 18 ms), so that a loaded CI machine does not fail them."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from audit.check import Auditor

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"


def test_cold_check_of_the_seed():
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(SEED / "report.md"), "--spec",
                        str(SEED / "qwen3.yaml"), "--format", "json"], capture_output=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert p.returncode == 1
    assert elapsed < 2.5, f"cold check took {elapsed:.2f} s (README: 0.58 s)"


def test_a_run_does_not_import_sympy():
    # the formula cache makes sympy unnecessary at run time: start-up stays lean
    report, spec = str(SEED / "report.md"), str(SEED / "qwen3.yaml")
    code = (f"import sys; from audit.cli import main; main(['check', {report!r}, '--spec', {spec!r}, "
            "'-o', '/dev/null']); print('sympy' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "False", p.stdout + p.stderr


def test_warm_audit_of_one_report():
    auditor = Auditor.load(str(SEED / "qwen3.yaml"))
    auditor.audit(str(SEED / "report.md"))
    times = []
    for _ in range(20):
        start = time.perf_counter()
        auditor.audit(str(SEED / "report.md"))
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.080, f"warm audit took {statistics.median(times) * 1000:.1f} ms (README: 18 ms)"
