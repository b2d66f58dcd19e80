"""Determinism: the same inputs give byte-identical output in every format, whatever the hash seed
(PYTHONHASHSEED) and whatever the order the reports are named in (issue 6, docs/output.md
"Determinism").

One child process per hash seed runs `audit check` in-process for every format and every way of
naming the reports, and writes each output to a file; the parent compares the bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit.output import FORMATS as REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
HASH_SEEDS = ("0", "1", "12345")
FORMATS = tuple(REGISTRY)

OTHER_REPORT = """\
# A second deployment

**Original Strategy:**
- Model weights per GPU: 30 GB
- KV cache per GPU: 16 GB
- TTFT: 0.2 s
- Throughput: 5,000 tokens/s on 8 GPUs

**Optimized Strategy:**
- Weights per GPU 30 GB, KV cache per GPU 25 GB
- Memory utilization: 85.9% of 64 GB

For example, on a shared 8-GPU node with 2TiB of CPU RAM, and you asked for just 1x GPU - you will likely get 1/8th of
node's total resources - thus any of your processes may get killed via cpu-oom at 250GiB (`2000/8`), even though
`top` shows you all of 2TiB available.
"""
"""Its last list item is built on two wrong figures of one line: which one a finding names must not depend on
set order (it once did). In its last paragraph which two figures the "1x" is compared with once depended on the
order of a set of quantity kinds (a sweep of real files found it)."""

# Ways of naming the same three reports: every order, and the folder or a glob that holds them.
ORDERS = {
    "a b c": ["reports/a.md", "reports/b.md", "reports/c.md"],
    "c b a": ["reports/c.md", "reports/b.md", "reports/a.md"],
    "b c a": ["reports/b.md", "reports/c.md", "reports/a.md"],
    "folder": ["reports"],
    "glob": ["reports/*.md"],
}

CHILD = """
import json, sys
from audit.cli import main
jobs = json.loads(sys.argv[1])
codes = {}
for name, argv in jobs.items():
    codes[name] = main(argv)
print(json.dumps(codes))
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[tuple[str, str, str], bytes]:
    """(hash seed, format, order) -> the bytes `audit check` wrote."""
    work = tmp_path_factory.mktemp("determinism")
    (work / "reports").mkdir()
    shutil.copy(SEED / "report.md", work / "reports" / "a.md")
    head = (SEED / "report.md").read_text(encoding="utf-8").splitlines(keepends=True)[:60]
    (work / "reports" / "b.md").write_text("".join(head), encoding="utf-8")
    (work / "reports" / "c.md").write_text(OTHER_REPORT, encoding="utf-8")
    shutil.copy(SEED / "qwen3.yaml", work / "spec.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI")}
    env["PYTHONPATH"] = str(ROOT)
    out: dict[tuple[str, str, str], bytes] = {}
    for seed in HASH_SEEDS:
        jobs = {f"{fmt}|{order}": ["check", *names, "--spec", "spec.yaml", "--format", fmt,
                                   "-o", f"out/{seed}/{fmt}-{order.replace(' ', '')}"]
                for fmt in FORMATS for order, names in ORDERS.items()}
        (work / "out" / seed).mkdir(parents=True)
        p = subprocess.run([sys.executable, "-c", CHILD, json.dumps(jobs)], capture_output=True, text=True,
                           cwd=work, timeout=300, env={**env, "PYTHONHASHSEED": seed})
        assert p.returncode == 0, p.stderr
        codes = json.loads(p.stdout.strip().splitlines()[-1])
        assert set(codes.values()) == {1}, codes  # the seed report has errors: exit 1 every time
        for fmt in FORMATS:
            for order in ORDERS:
                out[(seed, fmt, order)] = (work / "out" / seed / f"{fmt}-{order.replace(' ', '')}").read_bytes()
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_byte_identical_across_hash_seeds_and_orders(outputs, fmt):
    got = {key: data for key, data in outputs.items() if key[1] == fmt}
    reference = got[(HASH_SEEDS[0], fmt, "a b c")]
    assert len(reference) > 1000  # a real verdict, not an empty one
    different = sorted(key for key, data in got.items() if data != reference)
    assert different == [], f"{fmt}: output differs for {different}"
    assert len(got) == len(HASH_SEEDS) * len(ORDERS)


def test_every_report_appears_once_in_path_order(outputs):
    doc = json.loads(outputs[(HASH_SEEDS[0], "json", "c b a")])
    assert [r["path"] for r in doc["reports"]] == ["reports/a.md", "reports/b.md", "reports/c.md"]
