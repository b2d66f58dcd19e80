"""The labeled corpus in tests/corpus/: each report's labels (answer-key format, written from hand
arithmetic) scored as ../shared/tools/score_report.py scores them, and each report's expected claims.

A must_flag line is caught when an error or a warning sits on it; a must_pass line is a false alarm
when an error sits on it. Thresholds: recall >= 95%, false errors <= 2% over the corpus and the seed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from audit.check import Auditor

ROOT = Path(__file__).resolve().parent.parent
LABELED = sorted((ROOT / "tests" / "corpus").glob("*/labels.yaml")) + sorted(ROOT.glob("reports/*/answer-key.yaml"))


@cache
def audited(labels: Path):
    key = yaml.safe_load(labels.read_text())
    auditor = Auditor.load(str(labels.parent / key["spec"]))
    return key, auditor.audit(str(labels.parent / key["report"]))


def score(labels: Path) -> tuple[set[int], set[int], set[int], set[int]]:
    key, result = audited(labels)
    errors = {f.line for f in result.findings if f.severity == "error" and f.suppressed is None}
    warnings = {f.line for f in result.findings if f.severity == "warning" and f.suppressed is None}
    must_flag = {x["line"] for x in key.get("must_flag", [])}
    must_pass = {x["line"] for x in key.get("must_pass", [])}
    return must_flag, must_flag & (errors | warnings), must_pass, must_pass & errors


def test_corpus_thresholds():
    flagged = caught = passed = false = 0
    misses = {}
    for labels in LABELED:
        must_flag, hit, must_pass, wrong = score(labels)
        flagged, caught, passed, false = flagged + len(must_flag), caught + len(hit), passed + len(must_pass), \
            false + len(wrong)
        if must_flag - hit or wrong:
            misses[labels.parent.name] = {"missed": sorted(must_flag - hit), "false errors": sorted(wrong)}
    assert len(LABELED) >= 8
    assert caught / flagged >= 0.95, misses
    assert false / passed <= 0.02, misses


@pytest.mark.parametrize("labels", LABELED, ids=[p.parent.name for p in LABELED])
def test_each_labeled_report_has_both_kinds_of_lines(labels):
    must_flag, _, must_pass, _ = score(labels)
    assert len(must_flag) >= 3 and len(must_pass) >= 3


def _claim_found(result, row) -> bool:
    value = float(row["value"])
    return any(c.line == row["line"] and c.metric == row["metric"]
               and any(abs(v - value) <= 1e-3 * max(abs(value), 1e-12) for v in (c.value, *c.values))
               for c in result.claims)


def test_expected_claims():
    """Each report's claims.yaml lists the figures a correct extractor finds, with their metric.
    The extractor must find at least 95% of them across the corpus (the misses are listed)."""
    rows = missing = 0
    misses = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*/claims.yaml")):
        _, result = audited(path.parent / "labels.yaml")
        for row in yaml.safe_load(path.read_text()):
            rows += 1
            if not _claim_found(result, row):
                missing += 1
                misses.append(f"{path.parent.name}:{row['line']} {row['metric']}={row['value']}")
    assert rows >= 300
    assert missing / rows <= 0.05, misses
