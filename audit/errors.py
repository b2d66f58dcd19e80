"""The one error type for bad input: a one-line message naming the file and the place."""

from __future__ import annotations


class AuditError(Exception):
    """Input the tool cannot use (spec, rule file, report, unit). The CLI prints it and exits 2.

    `str(err)` is ``path:location: message`` (location omitted when unknown), one line.
    """

    def __init__(self, message: str, path: str | None = None, location: str | int | None = None):
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line
        self.path = path
        self.location = location

    def __str__(self) -> str:
        where = [str(p) for p in (self.path, self.location) if p not in (None, "")]
        return ": ".join([":".join(where), self.message]) if where else self.message


class UnitError(AuditError, ValueError):
    """A quantity whose number or unit cannot be read ("64 GX")."""


def from_validation(e, path: str, lines) -> AuditError:
    """A pydantic ValidationError as one line: file, line of the field, dotted field path, what was wrong."""
    err = e.errors()[0]
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return AuditError(f"{where}: {msg}{more}" if where else f"{msg}{more}", path, lines.line(loc))
