"""Robustness against real files and real text: what is read, what is refused before reading, and
the crashes and hangs found by tools/sweep.py over real Markdown and by hand, each a row.

An input file that is not a regular file (a FIFO, /dev/zero, a device, a socket) or is over the size
limit is refused with one line naming it before any of it is read, so none of its content can reach
the output. A case whose bug is in a file this test does not own is a row marked xfail(strict=True)
with the bug and where it is.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit import yamlio
from audit.errors import AuditError
from audit.extract import read_report

ROOT = Path(__file__).resolve().parent.parent
SEED_SPEC = ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"
HANG_GUARD = 120
"""Seconds after which a subprocess counts as hung: a guard against a hang, not a speed budget."""


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "pipe.md")
    return d / "pipe.md"


def _symlink(target: str):
    def make(d: Path) -> Path:
        (d / "link.md").symlink_to(target)
        return d / "link.md"
    return make


def _socket(d: Path) -> Path:
    path = d / "s.md"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))  # left bound until the test process ends: the file stays a socket
    _SOCKETS.append(s)
    return path


_SOCKETS: list[socket.socket] = []


def _big(d: Path) -> Path:
    path = d / "big.md"
    with open(path, "wb") as f:
        f.truncate(5_000_000)  # sparse: 5 MB that cost nothing to write
    return path


NOT_READ = [
    # (case, how to make the file in a directory, words of the one-line error)
    ("a FIFO named *.md", _fifo, "is a FIFO (named pipe), not a regular file: not read"),
    ("a symlink to /dev/zero", _symlink("/dev/zero"), "is a character device, not a regular file: not read"),
    ("/dev/null as a report", lambda d: Path("/dev/null"), "is a character device, not a regular file: not read"),
    ("a socket named *.md", _socket, "is a socket, not a regular file: not read"),
    ("a symlink to nothing", _symlink("nowhere.md"), "a symlink to no file"),
    ("a symlink loop", lambda d: (_symlink("loop.md")(d), (d / "loop.md").symlink_to(d / "link.md"), d / "link.md")[2],
     "cannot read: Too many levels of symbolic links"),
    ("a directory", lambda d: d, "is a directory, not a Markdown report"),
    ("a 5 MB file", _big, "report is 5,000,000 bytes, over the 4,000,000-byte limit (raise it with --max-report-bytes)"),
]


@pytest.mark.parametrize(("make", "words"), [pytest.param(m, w, id=c) for c, m, w in NOT_READ])
def test_what_is_not_a_report_is_refused_before_it_is_read(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(AuditError) as caught:
        read_report(path)
    assert str(caught.value) == f"{path}: {words}"


@pytest.mark.parametrize(("make", "words"), [pytest.param(m, w, id=c) for c, m, w in NOT_READ[:2]])
def test_a_spec_that_is_not_a_regular_file_is_refused_too(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(AuditError) as caught:
        yamlio.load_yaml(path)
    assert str(caught.value) == f"{path}: {words}"


@pytest.mark.parametrize(("make", "words"), [pytest.param(m, w, id=c) for c, m, w in NOT_READ[:2]])
def test_the_command_line_says_one_line_and_ends(tmp_path, make, words):
    """`audit check` on the file ends (no hang), exit 2, one line naming it, nothing of it on stdout."""
    path = make(tmp_path)
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(path), "--spec", str(SEED_SPEC),
                        "--format", "json"], capture_output=True, text=True, timeout=HANG_GUARD)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [f"audit: {path}: {words}"]
    assert "\0" not in p.stdout


# --- crashes and hangs found in real text, each a row ---------------------------------------------

DENSE_SPEC = ROOT / "tests" / "corpus" / "llama8b-h200-noscenarios" / "spec.yaml"
"""Llama-3.1-8B on 8 x H200 with no scenarios: the layouts are read from the report itself."""

_AUDITORS: dict[Path, object] = {}


def _auditor(spec: Path):
    from audit.pipeline import Auditor

    if spec not in _AUDITORS:
        _AUDITORS[spec] = Auditor.load(str(spec))
    return _AUDITORS[spec]


def _unfixed(where: str, bug: str):
    return pytest.mark.xfail(strict=True, reason=f"{where}: {bug}")


CRASHES = [
    # (case, report text, spec, marks): the only allowed outcomes are a verdict or a one-line AuditError
    # KeyError: 'ki' in audit/units.py once (the lower-case k of kiB): the one real file of 4,306 that crashed
    ("'100 kiB'", "- Upload buffer: 100 kiB\n", SEED_SPEC, []),
    # IndexError in audit/judge/checks/bound.py once: "min" is a qualifier with no "per_" in it
    ("a stated requirement with no scenario to hold it to", "- Minimum throughput per GPU: 500 tokens/s\n", SEED_SPEC,
     []),
    # OverflowError in audit/bind/scenario.py once: int() of an infinite stated degree
    ("DP=1e400 in a report, spec without scenarios", "Layout: TP=2, PP=1, DP=1e400\n\n- TTFT: 0.5 s\n", DENSE_SPEC,
     []),
    ("DP=1e400 in a layout table, spec without scenarios",
     "| | A |\n|---|---|\n| Data Parallel | 1e400 |\n| TTFT | 1 s |\n", DENSE_SPEC, []),
]


@pytest.mark.parametrize(("text", "spec"), [pytest.param(t, s, id=c, marks=m) for c, t, s, m in CRASHES])
def test_real_text_gives_a_verdict_or_one_line(text, spec):
    from audit.output import json as json_output
    from audit.output import markdown

    auditor = _auditor(spec)
    try:
        result = auditor.audit_text(text, "found.md")
    except AuditError as e:
        assert "\n" not in str(e)
        return
    markdown.markdown(result, auditor.rules)
    json_output.render([result])


UNCLOSED_STRONG = "**a " * 999_999 + "\n"  # a line of unclosed "**" just under the 4 MB limit


UNCLOSED_MATH = "$a " * 1_333_000 + "\n"  # openers of inline TeX that no "$" closes (each has a space before it)
UNCLOSED_STRIKE = "~~a " * 999_999 + "\n"  # openers of struck text that no "~~" closes


@pytest.mark.parametrize("text", [pytest.param(UNCLOSED_STRONG, id="4 MB line of unclosed **"),
                                  pytest.param(UNCLOSED_MATH, id="4 MB line of unclosed $"),
                                  pytest.param(UNCLOSED_STRIKE, id="4 MB line of unclosed ~~")])
def test_a_line_of_unclosed_markers_audits_in_linear_time(tmp_path, text):
    """A guard, not a budget: linear work takes seconds here, quadratic work hours (once each '**' scanned
    the rest of the line for a closer, in audit/extract/segments.py: 40 KB took 4 s)."""
    report = tmp_path / "unclosed.md"
    report.write_text(text, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(report), "--spec", str(SEED_SPEC), "--format",
                        "text"], capture_output=True, text=True, timeout=HANG_GUARD / 4)
    assert p.returncode in (0, 1), p.stderr


# --- folder walks (audit/paths.py) -----------------------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "docs"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "r.md").write_text("- TTFT: 1 s\n", encoding="utf-8")
    return tree


def _walk(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit", "check", *argv, "--spec", str(SEED_SPEC), "--format", "json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=HANG_GUARD / 4)


def test_a_glob_through_two_symlink_loops_ends(tmp_path):
    tree = _tree(tmp_path)
    (tree / "b").mkdir()
    (tree / "a" / "up").symlink_to("..")
    (tree / "b" / "side").symlink_to("../a")
    p = _walk(tmp_path, "docs/**/*.md")
    assert [r["path"] for r in json.loads(p.stdout)["reports"]] == ["docs/a/r.md"]


def test_a_glob_through_one_symlink_loop_audits_each_file_once(tmp_path):
    """Once the same file was audited 41 times (docs/a/up/a/r.md, docs/a/up/a/up/a/r.md, ...)."""
    tree = _tree(tmp_path)
    (tree / "a" / "up").symlink_to("..")
    p = _walk(tmp_path, "docs/**/*.md")
    assert [r["path"] for r in json.loads(p.stdout)["reports"]] == ["docs/a/r.md"]


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path):
    """Once a *.md symlink out of the tree was followed and the file's text reached the JSON output (on
    pull-request content in CI, a runner's files)."""
    tree = _tree(tmp_path)
    secret = tmp_path / "outside.md"
    secret.write_text("- Runner secret: 4242 GB\n", encoding="utf-8")
    (tree / "leak.md").symlink_to(secret)
    p = _walk(tmp_path, "docs")
    assert "4242" not in p.stdout
    assert [r["path"] for r in json.loads(p.stdout)["reports"]] == ["docs/a/r.md"]
    assert "docs/leak.md: a symbolic link leading out of the tree: not followed" in p.stderr  # said, not silent


# --- unit spellings as real documents write them --------------------------------------------------

SPELLINGS = ["kiB", "KiB", "kib", "Kib", "KB", "kB", "MiB", "GiB", "GB", "TB", "GiB/s", "GB/s", "Gbit/s", "Gb/s",
             "GB/sec", "TB/s", "µs", "μs", "us", "ms", "msec", "s", "sec", "seconds", "tok/s", "tok/sec",
             "tokens/s", "tokens per second", "tokens/sec/GPU", "TFLOP/s", "TFLOPS", "TFLOPs", "PFLOPS",
             "PetaFLOPS", "GFLOPs", "EFLOPS", "x", "%", ""]
NUMBERS = ["1", "0", "2.5", "1,024", "1e12", "1.2 × 10^12", "1.2x10^12", "2⁴⁰", "~300", "≈ 4", "10-20", "1e400",
           "-3", ".5", "3.", "1/2", "100K", "1.2M", "7B"]
PHRASES = ["Model weights per GPU: {}", "KV cache per GPU is {}", "TTFT: {}", "Decode step takes {}",
           "Throughput: {} on 8 GPUs", "Peak compute {}", "Minimum throughput per GPU: {}", "Upload buffer: {}",
           "Memory bandwidth {}", "| TTFT | {} |", "**Prefill FLOPs:** {}", "{} per token", "TP={}, PP=2, DP={}"]


@given(st.lists(st.tuples(st.sampled_from(PHRASES), st.sampled_from(NUMBERS), st.sampled_from(SPELLINGS)),
                min_size=1, max_size=6),
       st.sampled_from([SEED_SPEC, DENSE_SPEC]))
def test_fuzz_unit_spellings(lines, spec):
    text = "# Original deployment\n\n" + "".join(
        "- " + phrase.format(f"{number} {unit}".strip(), number) + "\n" for phrase, number, unit in lines)
    test_real_text_gives_a_verdict_or_one_line(text, spec)
