"""What start-up keeps instead of computing again (`audit.precompiled`) is exactly what it would compute.

- the generated files (audit/_shipped.json, audit/output/_verdict.py) are what `python -m
  audit.precompiled` writes today: an edited rule file, vocabulary, catalog or template fails here until
  it is run (`AUDIT_UPDATE_GOLDEN=1` runs it);
- a regular expression built from audit/_regex.json is equal to `re.compile`'s (flags, code, text), and the
  file is read only from the package, only for the engine it was written for;
- a shipped YAML file read from audit/_shipped.json is what the parser gives; the template compiled ahead
  renders what the template compiled here renders;
- the block rules markdown-it is spared (`audit.extract.segments._parser`) change no token.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest

from audit import precompiled, yamlio
from audit.extract import segments

ROOT = Path(__file__).resolve().parent.parent


# --- the generated files ------------------------------------------------------------------------


def test_generated_files_are_current():
    stale = [path for path, text in precompiled.generated().items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if stale and os.environ.get("AUDIT_UPDATE_GOLDEN"):
        precompiled.main([])
        return
    assert not stale, f"out of date: {', '.join(str(p) for p in stale)}; run `python -m audit.precompiled`"


@pytest.mark.parametrize("path", precompiled.shipped_files(), ids=lambda p: p.name)
def test_a_shipped_file_reads_as_parsed(path):
    raw = path.read_bytes()
    parsed = yamlio.parse_yaml(raw.decode("utf-8-sig"), str(path))
    found = yamlio._shipped(raw)
    if found is None:
        pytest.skip("audit/_shipped.json is out of date for this file (see the test above)")
    assert found[0] == parsed[0] and found[1].lines == parsed[1].lines
    assert found[0] is not yamlio._shipped(raw)[0]  # a fresh copy each time: callers may change it


def test_an_edited_file_is_parsed_again(tmp_path):
    rules = sorted((ROOT / "rules").glob("*.yaml"))[0]
    edited = tmp_path / "r.yaml"
    edited.write_bytes(rules.read_bytes() + b"\n# edited\n")
    assert yamlio._shipped(edited.read_bytes()) is None
    data, _ = yamlio.load_yaml(edited)
    assert data == yamlio.parse_yaml(rules.read_text(encoding="utf-8"))[0]


def test_the_compiled_template_renders_as_the_template(monkeypatch):
    from audit.output import markdown
    from audit.pipeline import Auditor

    auditor = Auditor.load(str(ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"))
    result = auditor.audit(str(ROOT / "reports" / "qwen3-235b" / "report.md"))
    markdown._template.cache_clear()
    ahead = markdown.markdown(result, auditor.rules)
    compiled_ahead = markdown._template()
    assert compiled_ahead.filename.endswith("_verdict.py"), "the compiled template was not used"
    markdown._template.cache_clear()
    monkeypatch.setattr(markdown, "options_key", lambda: "another environment")  # as if compiled differently
    here = markdown.markdown(result, auditor.rules)
    assert not markdown._template().filename.endswith("_verdict.py")
    markdown._template.cache_clear()
    assert here == ahead


# --- regular expressions -------------------------------------------------------------------------

def test_a_pattern_is_compiled_once_per_process_and_is_re_compiles():
    first = precompiled.regex(r"\d+ GB", re.I)
    assert first is precompiled.regex(r"\d+ GB", re.I) and first == re.compile(r"\d+ GB", re.I)


def test_every_shipped_program_is_what_re_compiles():
    programs = precompiled._programs()
    if precompiled.read_programs(precompiled.PROGRAMS.read_text(encoding="utf-8")) == {}:
        assert programs == {} and precompiled.regex(r"(?P<n>\d+) GiB") == re.compile(r"(?P<n>\d+) GiB")
        pytest.skip("audit/_regex.json was written for another interpreter: every pattern is compiled by re")
    assert len(programs) > 100
    for (pattern, flags) in programs:
        built = precompiled.regex.__wrapped__(pattern, flags)
        assert built == re.compile(pattern, flags), pattern  # equal: same text, flags and code
        assert built.groupindex == re.compile(pattern, flags).groupindex, pattern


def test_programs_are_used_only_for_the_engine_they_were_written_for():
    document = json.loads(precompiled.PROGRAMS.read_text(encoding="utf-8"))
    assert precompiled.read_programs(json.dumps(document)) != {}
    for engine in (["cpython-399", *document["engine"][1:]], [*document["engine"][:1], 1, 4, 4], None):
        assert precompiled.read_programs(json.dumps({**document, "engine": engine})) == {}
    assert precompiled.read_programs("not json") == {} and precompiled.read_programs("[1, 2]") == {}


def test_programs_are_read_only_from_the_package(monkeypatch):
    read = []
    real = Path.read_text

    def spy(self, *args, **kwargs):
        read.append(self.resolve())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", spy)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail(f"opened {a[0]}"))
    precompiled._programs.cache_clear()
    try:
        pattern, flags = next(iter(precompiled._programs()))
        precompiled.regex.__wrapped__(pattern, flags)
    finally:
        precompiled._programs.cache_clear()
    assert read == [precompiled.PROGRAMS.resolve()] and precompiled.PROGRAMS.parent == ROOT / "audit"


@pytest.mark.parametrize("text", [
    '{"engine": ENGINE}',  # no programs
    '{"engine": ENGINE, "programs": {"a": 1}}',  # programs of another shape
    '{"engine": ENGINE, "programs": [["a", 0]]}',  # an entry cut short
    '{"engine": ENGINE, "programs": [[1, 0, 0, "AAAA", 0, {}, []]]}',  # a pattern that is no text
])
def test_a_programs_file_of_another_shape_is_no_programs(text):
    assert precompiled.read_programs(text.replace("ENGINE", json.dumps(precompiled._engine()))) == {}


def test_a_damaged_program_is_compiled_by_re(monkeypatch):
    pattern = r"\d+ (?P<unit>GB|TB)"
    monkeypatch.setattr(precompiled, "_programs", lambda: {(pattern, 0): [32, "AAAAAA==", 1, {"unit": 1}, [None, "unit"]]})
    assert precompiled.regex.__wrapped__(pattern, 0) == re.compile(pattern)


# --- markdown-it's block rules --------------------------------------------------------------------


def _tokens(md, text: str) -> list[tuple]:
    return [(t.type, t.tag, t.map, t.content, t.info, t.markup, t.level, t.nesting) for t in md.parse(text)]


_PIECES = ["-", "=", "==", "*", "_", " ", "    ", "\t", ">", "> ", "#", "# ", "|", "`", "```", "~~~", "[", "]:",
           "<", "<div>", "<!-- x -->", "a", "b c", "1.", "1)", "+", "\n", "\n", "\n\n", "\r", "\r\n", "---", "***",
           "* * *", "- - -", "___", "| a | b |\n|---|---|"]


def test_spared_block_rules_change_no_token():
    full = segments._markdown()
    texts = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("**/*.md")) if ".venv" not in p.parts]
    rnd = random.Random(12)
    texts += ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 25))) for _ in range(4000)]
    for text in texts:
        assert _tokens(segments._parser(text), text) == _tokens(full, text), repr(text[:200])


@pytest.mark.parametrize(("text", "spared"), [
    ("# Title\n\n- a: 1 GB\n", {"fence", "blockquote", "html_block", "reference", "table", "hr", "lheading"}),
    ("Title\n=====\n", {"fence", "blockquote", "html_block", "reference", "table", "hr", "heading"}),
    ("a\n\n* * *\n", {"fence", "blockquote", "html_block", "reference", "table", "heading", "lheading"}),
    ("x\r---\r", {"fence", "blockquote", "html_block", "reference", "table", "heading"}),
])
def test_which_rules_are_spared(text, spared):
    md = segments._parser(text)
    active = md.block.ruler.get_active_rules()
    assert {name for name, _ in segments._NEEDS if name not in active} == spared
