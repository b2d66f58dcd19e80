"""In-source suppressions: each comment form hides exactly its finding; bad and unused ones are reported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audit.records import Finding
from audit.suppress import BAD_SUPPRESSION_MESSAGE, Directives, apply, parse_directives

REPORT = Path(__file__).parent / "data" / "suppress" / "report.md"
REPORT_TEXT = REPORT.read_text(encoding="utf-8")
REPORT_LINES = REPORT_TEXT.splitlines()


def line_of(text: str) -> int:
    """1-based line of the report line that is exactly `text` (so the table below reads by content)."""
    return REPORT_LINES.index(text) + 1


def finding(rule: str, line: int, name: str = "", suppressed: str | None = None) -> Finding:
    return Finding(rule=rule, name=name or rule.lower(), severity="error", line=line,
                   message=f"{rule} on line {line}", suppressed=suppressed)


# (rule, the report line it is on, justification expected on it or None when it must stay visible)
REPORT_CASES = [
    ("MEM001", "- Model weights per GPU: 2.86 GB", "vendor figure, quoted as published"),
    ("MEM001", "- Model weights per GPU (optimized): 2.86 GB", None),  # next-line covers one line only
    ("TTFT001", "- TTFT: 28.5 seconds", "legacy section, kept for history"),
    ("TPUT001", "- Throughput: 1.2M tokens/s on 32 GPUs", "legacy section, kept for history"),
    ("TTFT001", "- TTFT after the range: 2.1 seconds", None),  # after audit-enable
    ("KV002", "- KV cache per GPU: 0.79 GB", "KV cache lives in host memory in this design"),
    ("KV002", "- KV cache per GPU (optimized): 3.16 GB", "KV cache lives in host memory in this design"),
    ("MEM004", "- KV cache per GPU: 0.79 GB", None),  # a rule no comment names
    ("MEM002", "- Model weights per GPU (optimized): 2.86 GB", None),  # MEM002 named two lines further down
    ("MEM003", "- Total per GPU: 3.84 GB", None),  # its comment has no reason, so it hides nothing
]


@pytest.mark.parametrize(("rule", "line_text", "justification"), REPORT_CASES)
def test_each_form_hides_exactly_its_finding(rule, line_text, justification):
    findings = [finding(r, line_of(t)) for r, t, _ in REPORT_CASES]
    out = apply(findings, parse_directives(REPORT_TEXT))
    ours = [f for f in out if f.rule == rule and f.line == line_of(line_text)]
    assert [f.suppressed for f in ours] == [justification]


# The findings the comments themselves produce: (rule, severity, comment line, words in the message)
SUPPRESSION_FINDINGS = [
    ("SUP002", "warning", "<!-- audit-disable-next-line MEM002 -- nothing on the next line is MEM002 -->", "MEM002"),
    ("SUP001", "error", "<!-- audit-disable-next-line MEM003 -->", BAD_SUPPRESSION_MESSAGE),
    ("SUP001", "error", "<!-- audit-disable -- a reason but no rule id -->", BAD_SUPPRESSION_MESSAGE),
]


@pytest.mark.parametrize(("rule", "severity", "comment", "words"), SUPPRESSION_FINDINGS)
def test_bad_and_unused_suppressions_are_reported_on_the_comment(rule, severity, comment, words):
    findings = [finding(r, line_of(t)) for r, t, _ in REPORT_CASES]
    out = apply(findings, parse_directives(REPORT_TEXT))
    at_comment = [f for f in out if f.line == line_of(comment)]
    assert [(f.rule, f.severity) for f in at_comment] == [(rule, severity)]
    assert words in at_comment[0].message


def test_report_yields_no_other_suppression_findings():
    """Every used suppression is quiet, and the example inside the code fence is no directive."""
    findings = [finding(r, line_of(t)) for r, t, _ in REPORT_CASES]
    out = apply(findings, parse_directives(REPORT_TEXT))
    assert sorted((f.rule, f.line) for f in out if f.rule.startswith("SUP")) == sorted(
        (r, line_of(c)) for r, _, c, _ in SUPPRESSION_FINDINGS
    )


# (report text, kind, rules, reason, first covered line, last covered line)
PARSE_CASES = [
    ("<!-- audit-disable-next-line MEM001 -- quoted -->\n- w: 2 GB", "next-line", ("MEM001",), "quoted", 2, 2),
    ("<!-- audit-disable-next-line MEM001 -- skip blanks -->\n\n\n- w: 2 GB", "next-line", ("MEM001",),
     "skip blanks", 4, 4),
    ("<!-- audit-disable-next-line MEM001,KV002 -- two ids -->\nx", "next-line", ("MEM001", "KV002"), "two ids", 2, 2),
    ("<!-- audit-disable-next-line MEM001, KV002 -- comma and space -->\nx", "next-line", ("MEM001", "KV002"),
     "comma and space", 2, 2),
    ("<!--audit-disable-next-line  MEM001  --   spaced   out   -->\nx", "next-line", ("MEM001",), "spaced out", 2, 2),
    ("a\n<!-- audit-disable MEM001 -- r -->\nb\n<!-- audit-enable MEM001 -->\nc", "range", ("MEM001",), "r", 2, 4),
    ("<!-- audit-disable MEM001 -- to the end -->\nb\nc", "range", ("MEM001",), "to the end", 1, sys.maxsize),
    ("<!-- audit-disable MEM001 -- r -->\nb\n<!-- audit-enable -->\nc", "range", ("MEM001",), "r", 1, 3),
    ("x\n\n<!-- audit-disable-file KV002 -- host memory -->", "file", ("KV002",), "host memory", 1, sys.maxsize),
    ("<!-- audit-disable-next-line weights-per-device -- by name -->\nx", "next-line", ("weights-per-device",),
     "by name", 2, 2),
]


@pytest.mark.parametrize(("text", "kind", "rules", "reason", "first", "last"), PARSE_CASES)
def test_parse_directives(text, kind, rules, reason, first, last):
    directives = parse_directives(text)
    assert directives.malformed == ()
    [s] = directives.suppressions
    assert (s.kind, s.rules, s.reason, s.first, s.last) == (kind, rules, reason, first, last)


# (report text, lines of the malformed comments)
MALFORMED_CASES = [
    ("<!-- audit-disable-next-line MEM001 -->\nx", (1,)),  # no reason
    ("<!-- audit-disable-next-line MEM001 -- -->\nx", (1,)),  # empty reason
    ("<!-- audit-disable-next-line MEM001 --    -->\nx", (1,)),  # blank reason
    ("x\n<!-- audit-disable -- reason without id -->", (2,)),
    ("x\n<!-- audit-disable-file -->", (2,)),
    ("<!-- audit-disable-next-line MEM/001 -- not an id -->\nx", (1,)),
    ("<!-- audit-disable-next-line -->\n<!-- audit-disable-file MEM001 -->", (1, 2)),
    ("```\n<!-- audit-disable-next-line -->\n```\n~~~~\n<!-- audit-disable -->\n~~~~", ()),  # code blocks
]


@pytest.mark.parametrize(("text", "lines"), MALFORMED_CASES)
def test_malformed_suppressions(text, lines):
    directives = parse_directives(text)
    assert directives.malformed == lines
    assert directives.suppressions == ()


def test_stacked_next_line_comments_reach_the_same_line():
    text = "<!-- audit-disable-next-line MEM001 -- a -->\n<!-- audit-disable-next-line KV002 -- b -->\n- x: 1 GB\n"
    out = apply([finding("MEM001", 3), finding("KV002", 3)], parse_directives(text))
    assert [(f.rule, f.suppressed) for f in out] == [("KV002", "b"), ("MEM001", "a")]


def test_enable_closes_only_the_ids_it_names():
    text = "<!-- audit-disable MEM001, KV002 -- r -->\n<!-- audit-enable MEM001 -->\nx\n"
    out = apply([finding("MEM001", 3), finding("KV002", 3)], parse_directives(text))
    assert {f.rule: f.suppressed for f in out if not f.rule.startswith("SUP")} == {"MEM001": None, "KV002": "r"}
    assert [(f.rule, f.line) for f in out if f.rule.startswith("SUP")] == [("SUP002", 1)]  # MEM001 hid nothing


def test_unused_suppression_names_only_the_idle_ids():
    text = "<!-- audit-disable-next-line MEM001, KV002 -- r -->\n- w: 2 GB\n"
    out = apply([finding("MEM001", 2)], parse_directives(text))
    [unused] = [f for f in out if f.rule == "SUP002"]
    assert (unused.line, unused.severity) == (1, "warning")
    assert "KV002" in unused.message and "MEM001" not in unused.message


def test_rule_name_and_id_match_case_insensitively():
    text = "<!-- audit-disable-next-line mem001 -- lower case -->\na\n<!-- audit-disable-next-line KV-Budget -- name -->\nb"
    out = apply([finding("MEM001", 2), finding("KV002", 4, name="kv-budget")], parse_directives(text))
    assert [(f.rule, f.suppressed) for f in out] == [("MEM001", "lower case"), ("KV002", "name")]


def test_apply_keeps_earlier_justifications_and_sorts_by_line_then_rule():
    findings = [finding("MEM002", 5), finding("KV001", 5, suppressed="set upstream"), finding("MEM001", 1)]
    out = apply(findings, Directives())
    assert [(f.line, f.rule, f.suppressed) for f in out] == [
        (1, "MEM001", None), (5, "KV001", "set upstream"), (5, "MEM002", None)]


def test_suppression_findings_cannot_be_suppressed():
    text = "<!-- audit-disable-file SUP001 -- hush -->\n<!-- audit-disable-next-line MEM001 -->\nx\n"
    out = apply([], parse_directives(text))
    assert sorted((f.rule, f.line, f.suppressed) for f in out) == [("SUP001", 2, None), ("SUP002", 1, None)]


# --- issue 11: markdownlint's disable-line, directives that are none, code of every kind, unknown rule ids ---

def test_disable_line_covers_its_own_line():
    text = "- w: 2 GB <!-- audit-disable-line MEM001 -- quoted -->\n- w: 3 GB\n"
    [s] = parse_directives(text).suppressions
    assert (s.kind, s.first, s.last) == ("line", 1, 1)
    out = apply([finding("MEM001", 1), finding("MEM001", 2)], parse_directives(text))
    assert [(f.line, f.suppressed) for f in out] == [(1, "quoted"), (2, None)]


@pytest.mark.parametrize(("text", "unknown"), [
    ("<!-- audit-disable-nextline MEM001 -- typo -->\nx", ((1, "disable-nextline"),)),
    ("<!-- audit-ignore MEM001 -- not ours -->\nx", ((1, "ignore"),)),
    ("<!-- audit-spec: q.yaml -->\nx", ()),  # the spec line is a directive of its own
])
def test_comments_that_are_no_directive(text, unknown):
    assert parse_directives(text).unknown == unknown


@pytest.mark.parametrize("text", [
    "Example:\n\n    <!-- audit-disable-file MEM001 -- an example -->\n\n- x: 2 GB\n",  # indented code block
    "- item\n\n      <!-- audit-disable-file MEM001 -- in a list's code -->\n",  # indented code inside a list
    "> ```\n> <!-- audit-disable-file MEM001 -- quoted fence -->\n> ```\n",  # a fence inside a quote
    "Write `<!-- audit-disable-file MEM001 -- why -->` above the line.\n",  # inline code
])
def test_comments_in_code_are_examples(text):
    assert parse_directives(text) == Directives()


def test_unknown_rule_ids_are_named_with_the_closest():
    from audit.records import ReportResult
    from audit.suppress import name_unknown

    text = "<!-- audit-disable-next-line MEMO01, MEM002 -- typo -->\n- w: 2 GB\n"
    out = apply([finding("MEM001", 2)], parse_directives(text))
    result = name_unknown(ReportResult("r.md", "s", (), tuple(out)), {"MEM001": "weights-per-device",
                                                                       "MEM002": "kv-cache-per-device"})
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["SUP003"].severity == "error" and "'MEMO01'" in by_rule["SUP003"].message
    assert "did you mean MEM001" in by_rule["SUP003"].message
    assert by_rule["SUP002"].message == "unused suppression: MEM002 reports nothing on the next line"
    known = apply([finding("MEM001", 2)], parse_directives(text), known={"MEM001": "w", "MEM002": "k"})
    assert sorted(f.rule for f in known) == ["MEM001", "SUP002", "SUP003"]  # the same with the rules known
