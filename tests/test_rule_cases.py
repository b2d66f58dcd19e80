"""Every rule's own cases: tests/rules/<ID>.md, one file per rule, with the expectation beside the line.

    - Model weights per GPU: 2.86 GB   <!-- expect: MEM001 -->    the rule must speak on this line
    - Model weights per GPU: 29.4 GB   <!-- expect: ok -->        the rule must stay silent here

A case file may name its spec as a report does (`<!-- audit-spec: path -->`, relative to the file);
otherwise tests/rules/spec.yaml applies. Every rule has a file with at least one line of each kind
(Semgrep's `ruleid:` / `ok:` habit), not counting known gaps.

A line whose expectation is right but which the tool gets wrong today carries a note beside it:

    - KV cache per GPU with 128-token prompts: 0.197 GB <!-- expect: ok --> <!-- known gap: ... -->

Such a line is an expected failure, and a strict one: it is its own test item, marked
xfail(strict=True) with the note as its reason, and it must still fail as noted. When the tool
gets it right the item XPASSes and fails the run: delete the note. Every line without a note must hold.
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
_GAP = re.compile(r"<!--\s*known gap:\s*(?P<why>.*?)\s*-->")
_SPEC = re.compile(r"<!--\s*audit-spec:\s*(?P<path>\S+)\s*-->")


@cache
def _auditor(spec: Path) -> Auditor:
    return Auditor.load(str(spec))


@cache
def _audit(case: Path):
    text = case.read_text(encoding="utf-8")
    named = _SPEC.search(text)
    spec = (case.parent / named.group("path")).resolve() if named else CASES / "spec.yaml"
    return _auditor(spec).audit(str(case))


def _spoke(case: Path) -> set[int]:
    """The lines where the case's own rule speaks (a suppressed finding is silence)."""
    return {f.line for f in _audit(case).findings if f.rule == case.stem and f.suppressed is None}


def _expectations(text: str) -> list[tuple[int, str, str | None]]:
    """(line, 'ok' or a rule id, the line's known-gap note or None) for every expectation."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        gap = _GAP.search(line)
        for m in _EXPECT.finditer(line):
            found.append((n, m.group("what"), gap.group("why") if gap else None))
    return found


def _holds(case: Path, n: int, what: str) -> bool:
    return (n in _spoke(case)) == (what != "ok")


def _there(case: Path, lines) -> dict[int, list[str]]:
    """What every rule said on these lines, for the failure message."""
    said: dict[int, list[str]] = {}
    for f in _audit(case).findings:
        if f.line in lines:
            said.setdefault(f.line, []).append(f"{f.rule} {f.severity}: {f.message}")
    return said


@pytest.mark.parametrize("case", FILES, ids=[p.stem for p in FILES])
def test_rule_speaks_where_expected_and_nowhere_marked_ok(case):
    text = case.read_text(encoding="utf-8")
    lines = text.splitlines()
    every = _expectations(text)
    assert all(what in (case.stem, "ok") for _, what, _ in every), "an expectation names another rule"
    assert all(_EXPECT.search(line) for line in lines if _GAP.search(line)), \
        "a known-gap note must sit on a line with an expectation"
    assert all(why for _, _, why in every if why is not None), "a known-gap note must say what the tool gets wrong"
    checked = [(n, what) for n, what, why in every if why is None]
    fire = {n for n, what in checked if what != "ok"}
    quiet = {n for n, what in checked if what == "ok"}
    assert fire and quiet, "a case file needs a line the rule flags and a line it must not (known gaps aside)"
    spoke = _spoke(case)
    missed = sorted(fire - spoke)
    wrong = sorted(quiet & spoke)
    assert not missed and not wrong, {"silent where expected": missed, "spoke where ok": wrong,
                                      "there": _there(case, set(missed) | set(wrong))}


def _known_gaps() -> list:
    params = []
    for case in FILES:
        for n, what, why in _expectations(case.read_text(encoding="utf-8")):
            if why is not None:
                reason = (f"known gap at {case.name}:{n}: {why} -- if this line now holds, the gap is closed: "
                          f"delete its known-gap note")
                params.append(pytest.param(case, n, what, id=f"{case.stem}:{n}",
                                           marks=pytest.mark.xfail(strict=True, reason=reason)))
    return params


@pytest.mark.parametrize(("case", "n", "what"), _known_gaps())
def test_known_gap_still_fails(case, n, what):
    """Strict xfail: this fails while the gap is open; passing (XPASS) fails the run until the note goes."""
    assert _holds(case, n, what), {"line": n, "expect": what, "there": _there(case, {n})}


def test_every_rule_has_its_cases():
    ids = {r.id for r in load_rules()} | {r.id for r in SUPPRESSION_RULES}
    assert {p.stem for p in FILES} == ids
