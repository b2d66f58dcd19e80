"""What start-up keeps instead of computing again (`audit.precompiled`) is exactly what it would compute.

- the generated files (audit/_shipped.json, audit/output/_verdict.py) are what `python -m
  audit.precompiled` writes today: an edited rule file, vocabulary, catalog or template fails here until
  it is run (`AUDIT_UPDATE_GOLDEN=1` runs it);
- a regular expression read back from the per-user cache is equal to `re.compile`'s (flags, code, text);
- a shipped YAML file read from audit/_shipped.json is what the parser gives; the template compiled ahead
  renders what the template compiled here renders;
- the block rules markdown-it is spared (`audit.extract.segments._parser`) change no token.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from audit import precompiled, units, yamlio
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

PATTERNS = [(p.pattern, p.flags & ~re.UNICODE) for p in (
    units._BODY, units._START, units._STRICT, units._TIMES_TEN, *(f for _, f in units._FAMILIES),
    segments._HR_REVERSED, segments._UNDERLINE_REVERSED)] + [
    (r"(?P<a>x)(?P<b>y)?|\1", 0), (r"(?i)caf\u00e9|stra\u00dfe", 0), ("(?=.*a)(?=.*b)", re.I), (r"[^\W\d_]+", 0),
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty per-user cache in tmp_path, and the module's state as a fresh process has it."""
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path))
    for name, value in (("_entries", None), ("_new", {}), ("_used", set()), ("_writable", [])):
        monkeypatch.setattr(precompiled, name, value)
    return tmp_path


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_a_kept_program_is_the_compiled_pattern(cache, pattern, flags):
    compiled = precompiled.regex(pattern, flags)
    assert compiled == re.compile(pattern, flags)
    precompiled.save()
    precompiled._entries, precompiled._new = None, {}  # as the next process
    again = precompiled.regex(pattern, flags)
    assert (pattern, int(flags)) in precompiled._used and not precompiled._new, "not read back from the cache"
    assert again == re.compile(pattern, flags) and again.groupindex == compiled.groupindex
    assert again.groups == compiled.groups and again.flags == compiled.flags
    text = "x y café STRASSE ab ba 12 GB/s ~1.2M tokens/s"
    assert [m.span() for m in again.finditer(text)] == [m.span() for m in compiled.finditer(text)]


def test_a_damaged_or_foreign_cache_is_ignored(cache):
    path = Path(precompiled.cache_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not marshal")
    assert precompiled.regex(r"\d+ GB") == re.compile(r"\d+ GB")
    precompiled.save()  # replaced
    precompiled._entries, precompiled._new = None, {}
    assert precompiled._load()
    import marshal

    header, entries = marshal.loads(path.read_bytes())
    path.write_bytes(marshal.dumps((("another build",), entries)))
    precompiled._entries = None
    assert precompiled._load() == {}


def test_no_cache_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_CACHE_DIR", "")
    assert precompiled.cache_dir() is None and precompiled.cache_path() is None


def test_an_unwritable_cache_folder_is_left_alone(cache):
    os.chmod(cache, 0o500)
    try:
        if os.access(cache, os.W_OK):
            pytest.skip("running as a user who writes anywhere")
        assert precompiled.regex(r"\bGiB\b") == re.compile(r"\bGiB\b")
        assert not precompiled._new
        precompiled.save()
    finally:
        os.chmod(cache, 0o700)


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
