"""Every rule's own cases: tests/rules/<ID>.md, one file per rule, with the expectation beside the line.

    - Model weights per GPU: 2.86 GB   <!-- expect: MEM001 -->    the rule must speak on this line
    - Model weights per GPU: 29.4 GB   <!-- expect: ok -->        the rule must stay silent here

A case file may name its spec as a report does (`<!-- audit-spec: path -->`, relative to the file);
otherwise tests/rules/spec.yaml applies. Every rule has a file with at least one line of each kind
(Semgrep's `ruleid:` / `ok:` habit).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from audit.judge.rules import load_rules
from audit.pipeline import Auditor
from audit.suppress import RULES as SUPPRESSION_RULES

CASES = Path(__file__).resolve().parent / "rules"
FILES = sorted(CASES.glob("*.md"))
_EXPECT = re.compile(r"<!--\s*expect:\s*(?P<what>[A-Za-z0-9_]+)\s*-->")
_SPEC = re.compile(r"<!--\s*audit-spec:\s*(?P<path>\S+)\s*-->")


@cache
def _auditor(spec: Path) -> Auditor:
    return Auditor.load(str(spec))


def _expectations(text: str) -> tuple[set[int], set[int]]:
    fire, quiet = set(), set()
    for n, line in enumerate(text.splitlines(), 1):
        for m in _EXPECT.finditer(line):
            (quiet if m.group("what") == "ok" else fire).add(n)
    return fire, quiet


@pytest.mark.parametrize("case", FILES, ids=[p.stem for p in FILES])
def test_rule_speaks_where_expected_and_nowhere_marked_ok(case):
    text = case.read_text(encoding="utf-8")
    named = _SPEC.search(text)
    spec = (case.parent / named.group("path")).resolve() if named else CASES / "spec.yaml"
    result = _auditor(spec).audit(str(case))
    spoke = {f.line for f in result.findings if f.rule == case.stem and f.suppressed is None}
    fire, quiet = _expectations(text)
    assert fire and quiet, "a case file needs a line the rule flags and a line it must not"
    assert all(_EXPECT.search(line).group("what") in (case.stem, "ok")  # type: ignore[union-attr]
               for line in text.splitlines() if _EXPECT.search(line))
    missed = sorted(fire - spoke)
    wrong = sorted(quiet & spoke)
    messages = {f.line: f"{f.rule} {f.severity}: {f.message}" for f in result.findings if f.line in quiet}
    assert not missed and not wrong, {"silent where expected": missed, "spoke where ok": wrong, "there": messages}


def test_every_rule_has_its_cases():
    ids = {r.id for r in load_rules()} | {r.id for r in SUPPRESSION_RULES}
    assert {p.stem for p in FILES} == ids
