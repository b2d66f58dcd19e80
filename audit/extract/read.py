"""Read a report from disk: bounded, UTF-8, one error line naming the file when it cannot be read."""

from __future__ import annotations

from pathlib import Path

from audit.errors import AuditError

DEFAULT_MAX_BYTES = 4_000_000


def read_report(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The report's text, or an AuditError naming the file."""
    p = Path(path)
    try:
        if p.is_dir():
            raise AuditError("is a directory, not a Markdown report", str(path))
        data = p.read_bytes()
    except FileNotFoundError:
        raise AuditError("no such file", str(path)) from None
    except OSError as e:
        raise AuditError(f"cannot read: {e.strerror}", str(path)) from None
    if len(data) > max_bytes:
        raise AuditError(f"report is {len(data):,} bytes, over the {max_bytes:,}-byte limit "
                         "(raise it with --max-report-bytes)", str(path))
    if b"\0" in data[:8192]:
        raise AuditError("binary file, not a Markdown report", str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise AuditError(f"not valid UTF-8 (byte 0x{data[e.start]:02x})", str(path), line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
