"""Read a report from disk: bounded, UTF-8, one error line naming the file when it cannot be read.

Reading is bounded before it starts (`audit.bounded.read_bytes`): regular files only, no FIFO,
device or socket, the size checked on the open file; nothing of a refused file is read.
"""

from __future__ import annotations

from pathlib import Path

from audit.bounded import read_bytes
from audit.errors import AuditError

DEFAULT_MAX_BYTES = 4_000_000


def read_report(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The report's text, or an AuditError naming the file."""
    data = read_bytes(path, max_bytes, "report", "raise it with --max-report-bytes", "a Markdown report")
    if b"\0" in data[:8192]:
        raise AuditError("binary file, not a Markdown report", str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise AuditError(f"not valid UTF-8 (byte 0x{data[e.start]:02x})", str(path), line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
