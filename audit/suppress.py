"""In-source suppressions: HTML comments in the report that hide a rule's finding, markdownlint-style.

    <!-- audit-disable-next-line MEM001 -- the vendor's figure, quoted on purpose -->
    - Model weights per GPU: 2.86 GB

    - KV cache per GPU: 0.79 GB <!-- audit-disable-line MEM002 -- offloaded to host memory -->

    <!-- audit-disable MEM001, KV002 -- legacy section, kept for history -->
    ...
    <!-- audit-enable MEM001, KV002 -->

    <!-- audit-disable-file KV002 -- KV cache is offloaded to host memory here -->

The conventions follow markdownlint's inline configuration (`markdownlint-disable-next-line`,
`-disable-line`, `-disable`/`-enable`, `-disable-file`) and ESLint's ``-- reason`` description. Rule
ids (or rule names) are separated by commas or spaces. Unlike markdownlint, a suppression must name its
rules and give a reason: one that does not is itself a finding (SUP001, error) and hides nothing. A
suppression that hides no finding is reported (SUP002, warning) on its own line, as ruff's RUF100 does
for unused ``noqa``; one that names no rule at all (a typo: MEMO01) is an error (SUP003) with the
closest ids, since it would hide nothing while looking as if it did; an `audit-` comment that is no
directive (`audit-disable-nextline`) is reported (SUP004) with the closest directive.

`audit-disable-next-line` covers the next line that is neither blank nor only audit comments;
`audit-disable-line` its own line; `audit-disable` covers from its own line to the matching
`audit-enable` (an `audit-enable` without ids closes every open range), or to the end of the file;
`audit-disable-file` covers the whole file. A directive is one comment on one line; comments inside
code (a fenced or an indented code block, as markdown-it reads the blocks, or an inline `code span`)
are examples, not directives.

Apply suppressions to every finding first and select/ignore rules afterwards, so that a suppression of
an ignored rule is not reported as unused.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from audit.errors import close_matches
from audit.precompiled import regex
from audit.records import Finding, ReportResult, RuleInfo

BAD_SUPPRESSION = "SUP001"
UNUSED_SUPPRESSION = "SUP002"
UNKNOWN_RULE = "SUP003"
UNKNOWN_DIRECTIVE = "SUP004"
BAD_SUPPRESSION_MESSAGE = "suppression needs a rule id and a reason after --"
DIRECTIVES = ("disable-next-line", "disable-line", "disable-file", "disable", "enable", "spec")
"""The words after `audit-` a comment may use (`audit-spec` names the report's spec, `audit.config`)."""

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
    RuleInfo(
        id=UNKNOWN_RULE,
        name="unknown-rule-in-suppression",
        level="error",
        check="suppression",
        description="A suppression comment names a rule that does not exist (a typo hides nothing): "
                    "the closest rule ids are named.",
        example="<!-- audit-disable-next-line MEMO01 -- ... -->  (did you mean MEM001?)",
    ),
    RuleInfo(
        id=UNKNOWN_DIRECTIVE,
        name="unknown-directive",
        level="warning",
        check="suppression",
        description="An audit- comment that is no directive (audit-disable-next-line, -line, -file, audit-disable, "
                    "audit-enable, audit-spec) does nothing: the closest directive is named.",
        example="<!-- audit-disable-nextline MEM001 -- ... -->  (did you mean audit-disable-next-line?)",
    ),
)
"""What output formats (SARIF `rules`, `audit rules`) need to know of the suppression rules."""
SUPPRESSION_IDS = frozenset(r.id for r in RULES)

_ANY_COMMENT = regex(r"<!--\s*audit-(?P<kind>[A-Za-z][\w-]*)(?P<body>.*?)-->", re.DOTALL)
_ONLY_COMMENTS = regex(r"(?:\s*<!--\s*audit-[\w-]+.*?-->)+\s*")
_RULE_TOKEN = regex(r"[A-Za-z][A-Za-z0-9_-]*")
_CODE_SPAN = regex(r"(`+)(?:(?!\1).)+?\1")
_END_OF_FILE = sys.maxsize


@dataclass(frozen=True, slots=True)
class Suppression:
    """One well-formed suppression comment and the lines it covers."""

    kind: str
    """next-line | line | range | file"""
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
    """Every audit comment of a report: the suppressions, and the lines of malformed and unknown ones."""

    suppressions: tuple[Suppression, ...] = ()
    malformed: tuple[int, ...] = ()
    """Lines of suppression comments without a rule id or without a reason (SUP001)."""
    unknown: tuple[tuple[int, str], ...] = ()
    """(line, word) of `audit-` comments that are no directive (SUP004)."""


def parse_directives(text: str) -> Directives:
    """Read the audit comments of a Markdown report (lines are 1-based)."""
    if "audit-" not in text:  # most reports: no directive, no second look at the blocks
        return Directives()
    lines = text.splitlines()
    suppressions: list[Suppression] = []
    malformed: list[int] = []
    unknown: list[tuple[int, str]] = []
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

    for line, kind, body in _comments(text, lines):
        if kind not in DIRECTIVES:
            unknown.append((line, kind))
            continue
        if kind == "spec":
            continue
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
        elif kind == "disable-line":
            suppressions.append(Suppression("line", line, tokens, reason, line, line))
        else:
            target = _next_content_line(lines, line)
            suppressions.append(Suppression("next-line", line, tokens, reason, target, target))
    close(None, _END_OF_FILE)
    suppressions.sort(key=lambda s: (s.line, s.kind, s.rules))
    return Directives(tuple(suppressions), tuple(malformed), tuple(unknown))


def apply(findings: Sequence[Finding], directives: Directives, known: Mapping[str, str] | None = None) -> list[Finding]:
    """The findings with `suppressed` set on the hidden ones, plus the suppression rules' findings, by (line, rule).

    A finding is hidden by the first suppression (in line order) that covers it; findings of the
    suppression rules themselves cannot be hidden. With `known` (rule id -> name of every rule of the
    run), a suppression naming no rule at all is SUP003; without it, such a name counts as unused (SUP002)
    and `name_unknown` tells them apart afterwards."""
    used: set[tuple[Suppression, str]] = set()
    out: list[Finding] = []
    for finding in findings:
        if finding.suppressed is None and finding.rule not in SUPPRESSION_IDS:
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
    out.extend(_unknown_directive(line, word) for line, word in directives.unknown)
    unused = list(_unused(directives.suppressions, used))
    if known is not None:
        unused = [g for f in unused for g in _split_unknown(f, known)]
    out.extend(unused)
    out.sort(key=lambda f: (f.line, f.rule))
    return out


def name_unknown(result: ReportResult, known: Mapping[str, str]) -> ReportResult:
    """`result` with every unused-suppression finding (SUP002) about a name that is no rule of `known`
    (rule id -> name) turned into an unknown-rule finding (SUP003) with the closest ids."""
    if not any(f.rule == UNUSED_SUPPRESSION for f in result.findings):
        return result
    findings = [g for f in result.findings for g in (_split_unknown(f, known) if f.rule == UNUSED_SUPPRESSION else (f,))]
    findings.sort(key=lambda f: (f.line, f.rule))
    return replace(result, findings=tuple(findings))


def _split_unknown(finding: Finding, known: Mapping[str, str]) -> list[Finding]:
    idle = finding.extra.get("rules")
    if not idle:
        return [finding]
    names = {k.upper() for k in known} | {v.upper() for v in known.values()} | SUPPRESSION_IDS
    names |= {r.name.upper() for r in RULES}
    unknown = [r for r in idle if r.upper() not in names]
    if not unknown:
        return [finding]
    out = []
    for word in unknown:
        close = close_matches(word, [*known, *SUPPRESSION_IDS], cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (`audit rules` lists them)"
        out.append(Finding(rule=UNKNOWN_RULE, name=RULES[2].name, severity="error", line=finding.line,
                           message=f"suppression names '{word}', which is no rule: it hides nothing{hint}",
                           extra={"rules": (word,)}))
    rest = [r for r in idle if r not in unknown]
    if rest:
        where = finding.extra.get("where", "")
        out.append(replace(finding, message=f"unused suppression: {', '.join(rest)} reports nothing {where}".rstrip(),
                           extra={**finding.extra, "rules": tuple(rest)}))
    return out


def _unknown_directive(line: int, word: str) -> Finding:
    close = difflib.get_close_matches(word.lower(), [d for d in DIRECTIVES], n=1, cutoff=0.6)
    hint = f" (did you mean audit-{close[0]}?)" if close else f" (directives: {', '.join('audit-' + d for d in DIRECTIVES)})"
    return Finding(rule=UNKNOWN_DIRECTIVE, name=RULES[3].name, severity="warning", line=line,
                   message=f"'audit-{word}' is no directive and does nothing{hint}")


def _unused(suppressions: Iterable[Suppression], used: set[tuple[Suppression, str]]) -> Iterable[Finding]:
    for s in suppressions:
        idle = [r for r in s.rules if (s, r) not in used]
        if idle:
            where = {"next-line": "on the next line", "line": "on its line", "range": "in its range",
                     "file": "in this file"}[s.kind]
            yield Finding(
                rule=UNUSED_SUPPRESSION,
                name=RULES[1].name,
                severity="warning",
                line=s.line,
                message=f"unused suppression: {', '.join(idle)} reports nothing {where}",
                extra={"rules": tuple(idle), "where": where},
            )


# --- where directives may be -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _blocks():
    """markdown-it's block parser alone (CommonMark: fenced and indented code blocks, in lists and quotes too)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.disable("inline")
    md.options["maxNesting"] = 100
    return md


def code_lines(text: str) -> set[int]:
    """The 1-based lines inside code blocks (fenced or indented, at any depth), as markdown-it reads them."""
    out: set[int] = set()
    for token in _blocks().parse(text):
        if token.type in ("fence", "code_block") and token.map:
            out.update(range(token.map[0] + 1, token.map[1] + 1))
    return out


def outside_code(text: str, lines: Sequence[str] | None = None) -> Iterable[tuple[int, str]]:
    """(1-based number, line) of each line outside code blocks, inline `code spans` blanked out: a comment
    shown in a code example is an example, not a directive."""
    lines = text.splitlines() if lines is None else lines
    code = code_lines(text) if "`" in text or "    " in text or "\t" in text or "~~~" in text else set()
    for number, line in enumerate(lines, start=1):
        if number in code:
            continue
        yield number, _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line


def _comments(text: str, lines: Sequence[str]) -> Iterable[tuple[int, str, str]]:
    """(line, kind, body) of each audit comment outside code."""
    for number, line in outside_code(text, lines):
        if "audit-" not in line:
            continue
        for match in _ANY_COMMENT.finditer(line):
            yield number, match.group("kind").lower(), match.group("body")


def _next_content_line(lines: Sequence[str], line: int) -> int:
    """The first line after `line` that is neither blank nor only audit comments (0 when none)."""
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and not _ONLY_COMMENTS.fullmatch(text):
            return number
    return 0
