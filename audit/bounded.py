"""Bounded reading of an input file (a report, a spec, a rule file): regular files only, size checked
on the open file before anything is read.

The file is opened without blocking and without becoming a controlling terminal, and only a regular
file is read — a FIFO would block forever, /dev/zero never ends, a device or a socket is no input —
with its size checked on the open file (not on the name, which may change in between) and at most
the limit plus one byte read, so a file growing meanwhile is refused too. Nothing of a refused file
is read, so none of it can reach the output. Kept apart from `audit.extract` so that the YAML reader
(`audit.yamlio`) uses it without importing the Markdown parser.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from audit.errors import AuditError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)
"""O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one."""

_NOT_READ = ", not a regular file: not read"
_KINDS = ((stat.S_ISFIFO, "is a FIFO (named pipe)" + _NOT_READ),
          (stat.S_ISCHR, "is a character device" + _NOT_READ), (stat.S_ISBLK, "is a block device" + _NOT_READ),
          (stat.S_ISSOCK, "is a socket" + _NOT_READ))
"""What a file that is neither regular nor a directory is called in its one-line error."""


def read_bytes(path: str | Path, max_bytes: int, what: str = "file", hint: str = "", expected: str = "") -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes`, or an AuditError naming the file.

    `what` names the file in the size message ("report is 5,000,000 bytes, over the ..."), `hint`
    says how to raise the limit, `expected` what a directory given instead is not ("a YAML file").
    """
    name = str(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise AuditError("no such file" if not os.path.islink(path) else "a symlink to no file", name) from None
    except OSError as e:
        raise AuditError(_refusal(path, expected) or f"cannot read: {e.strerror or e}", name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AuditError(_kind(info.st_mode, expected) or "is not a regular file: not read", name)
        if info.st_size > max_bytes:
            raise _too_large(what, info.st_size, max_bytes, hint, name)
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise AuditError(f"cannot read: {e.strerror or e}", name) from None
    finally:
        os.close(fd)
    if data is None:  # a regular file never gives "no data yet", but a non-blocking read may
        data = b""
    if len(data) > max_bytes:  # it grew after the check
        raise _too_large(what, len(data), max_bytes, hint, name, growing=True)
    return data


def _too_large(what: str, size: int, max_bytes: int, hint: str, name: str, growing: bool = False) -> AuditError:
    size_words = f"more than {max_bytes:,} bytes (it grew while read)" if growing else f"{size:,} bytes"
    return AuditError(f"{what} is {size_words}, over the {max_bytes:,}-byte limit" + (f" ({hint})" if hint else ""),
                      name)


def _kind(mode: int, expected: str = "") -> str:
    if stat.S_ISDIR(mode):
        return f"is a directory, not {expected}" if expected else "is a directory"
    return next((words for test, words in _KINDS if test(mode)), "")


def _refusal(path: str | Path, expected: str = "") -> str:
    """Why `path` could not even be opened, when its kind says so (a socket gives ENXIO)."""
    try:
        return _kind(os.stat(path).st_mode, expected)
    except OSError:
        return ""
