"""Robustness against real files and real text: what is read, what is refused before reading, and
the crashes and hangs found by tools/sweep.py over real Markdown and by hand, each a row.

An input file that is not a regular file (a FIFO, /dev/zero, a device, a socket) or is over the size
limit is refused with one line naming it before any of it is read, so none of its content can reach
the output. A case whose bug is in a file this test does not own is a row marked xfail(strict=True)
with the bug and where it is.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

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
