"""The one error type for bad input: a line naming the file and the place, one per problem."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence


class AuditError(Exception):
    """Input the tool cannot use (spec, rule file, report, unit). The CLI prints it and exits 2.

    `str(err)` is ``path:location: message`` (location omitted when unknown), one line; an error
    that gathers several problems of one file (`AuditError.gather`) prints one such line each.
    """

    def __init__(self, message: str, path: str | None = None, location: str | int | None = None,
                 problems: Sequence[AuditError] = ()):
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line
        self.path = path
        self.location = location
        self.problems = tuple(problems)

    @classmethod
    def gather(cls, problems: Sequence[AuditError]) -> AuditError:
        """One error for every problem of a file, reported all at once (the first is the message)."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        return cls(first.message, first.path, first.location, problems)

    def lines(self) -> list[str]:
        """The problems as lines, ``path:location: message`` each."""
        return [_line(p) for p in self.problems] if self.problems else [_line(self)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _line(e: AuditError) -> str:
    where = [str(p) for p in (e.path, e.location) if p not in (None, "")]
    return ": ".join([":".join(where), e.message]) if where else e.message


class UnitError(AuditError, ValueError):
    """A quantity whose number or unit cannot be read ("64 GX")."""


def from_validation(e, path: str, lines) -> AuditError:
    """A pydantic ValidationError as one line per problem: file, line of the field, dotted field path, what."""
    problems = []
    for err in e.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        msg = str(err["msg"]).removeprefix("Value error, ")
        problems.append(AuditError(f"{where}: {msg}" if where else msg, path, lines.line(loc)))
    return AuditError.gather(problems)


def close_matches(word: str, choices: Collection[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The choices closest to `word`, case-insensitive, for a did-you-mean: fewest edits first ("MEMO01" is
    one letter from MEM001, two from MEM010), then in order ("MEM01": MEM001, MEM010, MEM011)."""
    upper = {c.upper(): c for c in choices}
    alike = difflib.get_close_matches(word.upper(), list(upper), n=max(n, 10), cutoff=cutoff)
    return [upper[m] for m in sorted(alike, key=lambda m: (_edits(word.upper(), m), m))[:n]]


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions from `a` to `b`."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]
