"""In-source suppressions: HTML comments in the report that hide a rule's finding, markdownlint-style.

    <!-- audit-disable-next-line MEM001 -- the vendor's figure, quoted on purpose -->
    - Model weights per GPU: 2.86 GB

    <!-- audit-disable MEM001, KV002 -- legacy section, kept for history -->
    ...
    <!-- audit-enable MEM001, KV002 -->

    <!-- audit-disable-file KV002 -- KV cache is offloaded to host memory here -->

The conventions follow markdownlint's inline configuration (`markdownlint-disable-next-line`,
`-disable`/`-enable`, `-disable-file`) and ESLint's ``-- reason`` description. Rule ids (or rule
names) are separated by commas or spaces. Unlike markdownlint, a suppression must name its rules
and give a reason: one that does not is itself a finding (SUP001, error) and hides nothing. A
suppression that hides no finding is reported (SUP002, warning) on its own line, as ruff's RUF100
does for unused ``noqa``.

`audit-disable-next-line` covers the next line that is neither blank nor only audit comments;
`audit-disable` covers from its own line to the matching `audit-enable` (an `audit-enable` without
ids closes every open range), or to the end of the file; `audit-disable-file` covers the whole file.
A directive is one comment on one line; comments inside fenced code blocks are examples, not
directives.

Apply suppressions to every finding first and select/ignore rules afterwards, so that a
suppression of an ignored rule is not reported as unused.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from audit.records import Finding, RuleInfo

BAD_SUPPRESSION = "SUP001"
UNUSED_SUPPRESSION = "SUP002"
BAD_SUPPRESSION_MESSAGE = "suppression needs a rule id and a reason after --"

RULES = (
    RuleInfo(
        id=BAD_SUPPRESSION,
        name="bad-suppression",
        level="error",
        check="suppression",
        description="A suppression comment must name the rules it hides and give a reason after --.",
        example="<!-- audit-disable-next-line MEM001 -- weights are offloaded to host memory here -->",
    ),
    RuleInfo(
        id=UNUSED_SUPPRESSION,
        name="unused-suppression",
        level="warning",
        check="suppression",
        description="A suppression comment that hides no finding: remove it, or fix its rule id or its place.",
        example="<!-- audit-disable-next-line KV002 -- ... --> above a line that KV002 does not flag",
    ),
)
"""What output formats (SARIF `rules`, `audit rules`) need to know of the suppression rules."""

_COMMENT = re.compile(r"<!--\s*audit-(disable-next-line|disable-file|disable|enable)(?![\w-])(.*?)-->", re.DOTALL)
_ONLY_COMMENTS = re.compile(r"(?:\s*<!--\s*audit-[\w-]+.*?-->)+\s*")
_RULE_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_END_OF_FILE = sys.maxsize


@dataclass(frozen=True, slots=True)
class Suppression:
    """One well-formed suppression comment and the lines it covers."""

    kind: str
    """next-line | range | file"""
    line: int
    """1-based line of the comment itself (where an unused suppression is reported)."""
    rules: tuple[str, ...]
    """Rule ids or names, as written (matched case-insensitively)."""
    reason: str
    first: int
    """First covered line (1-based, inclusive)."""
    last: int
    """Last covered line (inclusive); `sys.maxsize` for the rest of the file."""

    def covers(self, finding: Finding) -> bool:
        """True when this suppression hides `finding` (its line is covered and its rule is named)."""
        names = {finding.rule.upper(), finding.name.upper()}
        return self.first <= finding.line <= self.last and any(r.upper() in names for r in self.rules)


@dataclass(frozen=True, slots=True)
class Directives:
    """Every audit comment of a report: the suppressions, and the lines of malformed ones."""

    suppressions: tuple[Suppression, ...] = ()
    malformed: tuple[int, ...] = ()
    """Lines of suppression comments without a rule id or without a reason (SUP001)."""


def parse_directives(text: str) -> Directives:
    """Read the audit comments of a Markdown report (lines are 1-based)."""
    lines = text.splitlines()
    comments = list(_comments(lines))
    suppressions: list[Suppression] = []
    malformed: list[int] = []
    open_ranges: list[tuple[int, tuple[str, ...], str]] = []  # (line, rules, reason) of `audit-disable`

    def close(rules_to_close: tuple[str, ...] | None, at: int) -> None:
        keep = []
        for start, rules, reason in open_ranges:
            closing = rules if rules_to_close is None else tuple(r for r in rules if r.upper() in rules_to_close)
            if closing:
                suppressions.append(Suppression("range", start, closing, reason, start, at))
            rest = tuple(r for r in rules if r not in closing)
            if rest:
                keep.append((start, rest, reason))
        open_ranges[:] = keep

    for line, kind, body in comments:
        head, dashes, reason = body.partition("--")
        tokens = tuple(t for t in re.split(r"[\s,]+", head.strip()) if t)
        if kind == "enable":
            close(tuple(t.upper() for t in tokens) if tokens else None, line)
            continue
        reason = " ".join(reason.split())
        if not tokens or not dashes or not reason or not all(_RULE_TOKEN.fullmatch(t) for t in tokens):
            malformed.append(line)
        elif kind == "disable-file":
            suppressions.append(Suppression("file", line, tokens, reason, 1, _END_OF_FILE))
        elif kind == "disable":
            open_ranges.append((line, tokens, reason))
        else:
            target = _next_content_line(lines, line)
            suppressions.append(Suppression("next-line", line, tokens, reason, target, target))
    close(None, _END_OF_FILE)
    suppressions.sort(key=lambda s: (s.line, s.kind, s.rules))
    return Directives(tuple(suppressions), tuple(malformed))


def apply(findings: Sequence[Finding], directives: Directives) -> list[Finding]:
    """The findings with `suppressed` set on the hidden ones, plus SUP001/SUP002 findings, by (line, rule).

    A finding is hidden by the first suppression (in line order) that covers it; findings of the
    suppression rules themselves cannot be hidden.
    """
    used: set[tuple[Suppression, str]] = set()
    out: list[Finding] = []
    for finding in findings:
        if finding.suppressed is None and finding.rule not in (BAD_SUPPRESSION, UNUSED_SUPPRESSION):
            for s in directives.suppressions:
                if s.covers(finding):
                    finding = replace(finding, suppressed=s.reason)
                    used.update((s, r) for r in s.rules if r.upper() in {finding.rule.upper(), finding.name.upper()})
                    break
        out.append(finding)
    out.extend(
        Finding(rule=BAD_SUPPRESSION, name=RULES[0].name, severity="error", line=line, message=BAD_SUPPRESSION_MESSAGE)
        for line in directives.malformed
    )
    out.extend(_unused(directives.suppressions, used))
    out.sort(key=lambda f: (f.line, f.rule))
    return out


def _unused(suppressions: Iterable[Suppression], used: set[tuple[Suppression, str]]) -> Iterable[Finding]:
    for s in suppressions:
        idle = [r for r in s.rules if (s, r) not in used]
        if idle:
            where = {"next-line": "on the next line", "range": "in its range", "file": "in this file"}[s.kind]
            yield Finding(
                rule=UNUSED_SUPPRESSION,
                name=RULES[1].name,
                severity="warning",
                line=s.line,
                message=f"unused suppression: {', '.join(idle)} reports nothing {where}",
            )


def outside_fences(lines: Sequence[str]) -> Iterable[tuple[int, str]]:
    """(1-based number, line) of each line outside fenced code blocks: a comment shown in a code
    example is an example, not a directive."""
    fence = ""
    for number, line in enumerate(lines, start=1):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        yield number, line


def _comments(lines: Sequence[str]) -> Iterable[tuple[int, str, str]]:
    """(line, kind, body) of each audit comment outside fenced code blocks."""
    for number, line in outside_fences(lines):
        for match in _COMMENT.finditer(line):
            yield number, match.group(1), match.group(2)


def _next_content_line(lines: Sequence[str], line: int) -> int:
    """The first line after `line` that is neither blank nor only audit comments (0 when none)."""
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and not _ONLY_COMMENTS.fullmatch(text):
            return number
    return 0
