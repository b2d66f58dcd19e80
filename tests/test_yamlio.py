"""audit.yamlio on both of its paths: libyaml's C parser (where PyYAML has it) and the pure loader.

Each row is a document and what `parse_yaml` must say of it; both paths must refuse it the same way
(the refusals are the same Python code over either parser's events), and the reported error is the
pure loader's whatever the path. The shipped YAML files read the same, data and lines, on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import yamlio
from audit.errors import AuditError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*(ROOT / "rules").glob("*.yaml"), ROOT / "audit" / "bind" / "vocabulary.yaml",
                  *(ROOT / "audit" / "spec" / "data").glob("*.yaml"), *(ROOT / "reports").glob("*/*.yaml")])

needs_libyaml = pytest.mark.skipif(yamlio._CStrictLoader is None, reason="PyYAML built without libyaml")

REFUSED = [
    # (case, document, the one-line error parse_yaml gives, "x.yaml:LINE: message")
    ("alias bomb", 'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: [*b, *b]\n',
     "x.yaml:1: YAML aliases are not allowed (anchors '&' and aliases '*')"),
    ("an anchor alone", "a: 1\nb: &x 2\n", "x.yaml:2: YAML aliases are not allowed (anchors '&' and aliases '*')"),
    ("python tag", 'a: !!python/object/apply:os.system ["true"]\n',
     "x.yaml:1: YAML tag '!!python/object/apply:os.system' is not allowed (plain YAML only)"),
    ("local tag", "a: !foo 1\n", "x.yaml:1: YAML tag '!foo' is not allowed (plain YAML only)"),
    ("duplicate key", "a: 1\nb: 2\na: 3\n", "x.yaml:3: duplicate key 'a' (first on line 1)"),
    ("a million open brackets", "[" * 1_000_000, "x.yaml:1: YAML nested more than 64 levels deep"),
    ("100,000 open braces", "{a: " * 100_000, "x.yaml:1: YAML nested more than 64 levels deep"),
    ("200 block levels", "".join(" " * i + "-\n" for i in range(200)), "x.yaml:65: YAML nested more than 64 levels deep"),
    ("5,000-digit integer", "a: " + "9" * 5000 + "\n",
     "x.yaml:1: integer 999999999999999999999999... is too large (at most 9.22e+18)"),
    ("infinity", "a: .inf\n", "x.yaml:1: '.inf' is not a finite number"),
    # libyaml words these differently ("control characters"): the pure loader's words are reported
    ("NUL in a string", 'a: "x\0"\n', "x.yaml:1: YAML syntax error: special characters are not allowed (character U+0000)"),
    ("a lone surrogate", "a: \ud800\n",  # libyaml cannot even be given it (no UTF-8 form)
     "x.yaml:1: YAML syntax error: special characters are not allowed (character U+D800)"),
    ("two documents", "a: 1\n---\nb: 2\n",
     "x.yaml:2: YAML syntax error: expected a single document in the stream: but found another document"),
    ("unclosed flow mapping", "a: {b: 1\nc: 2\n",
     "x.yaml:2: YAML syntax error: while parsing a flow mapping: expected ',' or '}', but got ':'"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(t, m, id=c) for c, t, m in REFUSED])
@pytest.mark.parametrize("c_loader", [pytest.param(True, marks=needs_libyaml, id="libyaml"), pytest.param(False, id="pure")])
def test_refusals_are_the_same_on_both_paths(monkeypatch, text, message, c_loader):
    if not c_loader:
        monkeypatch.setattr(yamlio, "_CStrictLoader", None)  # as where PyYAML has no libyaml
    with pytest.raises(AuditError) as caught:
        yamlio.parse_yaml(text, "x.yaml")
    assert str(caught.value) == message


@needs_libyaml
@pytest.mark.parametrize("text", [pytest.param(t, id=c) for c, t, _ in REFUSED if "surrogate" not in c])
def test_the_c_path_refuses_too_before_the_pure_loader_words_it(text):
    with pytest.raises(AuditError):
        yamlio._parse(yamlio._CStrictLoader, text, "x.yaml")


@needs_libyaml
@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_files_read_the_same_on_both_paths(path):
    text = path.read_text(encoding="utf-8")
    fast = yamlio._parse(yamlio._CStrictLoader, text, str(path))
    pure = yamlio._parse(yamlio._StrictLoader, text, str(path))
    assert fast == pure  # data and the line of every key


def test_nesting_at_the_cap_reads_on_both_paths(monkeypatch):
    text = "[" * yamlio.MAX_DEPTH + "]" * yamlio.MAX_DEPTH
    assert yamlio.parse_yaml(text)[0] is not None
    monkeypatch.setattr(yamlio, "_CStrictLoader", None)
    assert yamlio.parse_yaml(text)[0] is not None
