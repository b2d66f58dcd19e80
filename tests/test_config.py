"""Configuration discovery, values, spec precedence, rule selection; the pre-commit hook manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.config import (
    Config,
    failing,
    find_config,
    glob_matches,
    load_config,
    selected,
    spec_for,
    spec_named_in,
    with_flags,
)
from audit.errors import AuditError
from audit.records import Finding, ReportResult

ROOT = Path(__file__).resolve().parent.parent


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


AUDIT_YAML = "spec: {spec}\n"
PYPROJECT = '[project]\nname = "x"\n\n[tool.audit]\nspec = "{spec}"\n'
PYPROJECT_OTHER_TOOL = '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n'

# (files in a temporary tree, where the walk starts, which config file wins or None)
DISCOVERY_CASES = [
    pytest.param({"a/.audit.yaml": AUDIT_YAML.format(spec="s.yaml"), "a/r.md": ""}, "a/r.md", "a/.audit.yaml",
                 id="same-directory"),
    pytest.param({".audit.yaml": AUDIT_YAML.format(spec="s.yaml"), "a/b/r.md": ""}, "a/b/r.md", ".audit.yaml",
                 id="walks-up"),
    pytest.param({".audit.yaml": AUDIT_YAML.format(spec="far.yaml"),
                  "a/pyproject.toml": PYPROJECT.format(spec="near.yaml"), "a/b/r.md": ""},
                 "a/b/r.md", "a/pyproject.toml", id="nearest-wins"),
    pytest.param({"a/.audit.yaml": AUDIT_YAML.format(spec="y.yaml"),
                  "a/pyproject.toml": PYPROJECT.format(spec="t.yaml"), "a/r.md": ""},
                 "a/r.md", "a/.audit.yaml", id="audit-yaml-beats-pyproject-in-one-directory"),
    pytest.param({".audit.yaml": AUDIT_YAML.format(spec="s.yaml"), "a/pyproject.toml": PYPROJECT_OTHER_TOOL,
                  "a/r.md": ""}, "a/r.md", ".audit.yaml", id="pyproject-without-tool-audit-passed-over"),
    pytest.param({"a/.audit.yaml": "", "a/r.md": ""}, "a/r.md", "a/.audit.yaml", id="empty-file-still-wins"),
    pytest.param({"a/.audit.yaml": AUDIT_YAML.format(spec="s.yaml")}, "a", "a/.audit.yaml", id="start-at-directory"),
    pytest.param({"a/r.md": ""}, "a/r.md", None, id="none"),
]


@pytest.mark.parametrize(("files", "start", "winner"), DISCOVERY_CASES)
def test_find_config(tmp_path, files, start, winner):
    if winner is None and any((p / n).exists() for p in tmp_path.parents for n in (".audit.yaml", "pyproject.toml")):
        pytest.skip("a configuration file above the temporary directory")
    write(tmp_path, files)
    config = find_config(tmp_path / start)
    assert (config.path if config else None) == ((tmp_path / winner).resolve() if winner else None)


# The same settings written in both files give the same Config.
YAML_SETTINGS = """\
spec: specs/default.yaml
specs:
  "reports/deepseek/**": specs/ds.yaml
  "*-h100.md": specs/h100.yaml
rule-dirs: [rules-local]
select: [MEM, ttft]
ignore: [MEM003]
fail-on: warning
format: sarif
"""
TOML_SETTINGS = """\
[tool.audit]
spec = "specs/default.yaml"
rule-dirs = ["rules-local"]
select = ["MEM", "ttft"]
ignore = ["MEM003"]
fail-on = "warning"
format = "sarif"

[tool.audit.specs]
"reports/deepseek/**" = "specs/ds.yaml"
"*-h100.md" = "specs/h100.yaml"
"""


@pytest.mark.parametrize(("name", "text"), [(".audit.yaml", YAML_SETTINGS), ("pyproject.toml", TOML_SETTINGS)])
def test_settings_read_alike_from_yaml_and_toml(tmp_path, name, text):
    write(tmp_path, {name: text})
    config = load_config(tmp_path / name)
    root = tmp_path.resolve()
    assert config == Config(
        path=root / name,
        spec=root / "specs/default.yaml",
        specs=(("reports/deepseek/**", root / "specs/ds.yaml"), ("*-h100.md", root / "specs/h100.yaml")),
        rule_dirs=(root / "rules-local",),
        select=("MEM", "TTFT"),
        ignore=("MEM003",),
        fail_on="warning",
        format="sarif",
    )


# (file, text, words the error must contain, line it must point at)
BAD_CONFIG_CASES = [
    (".audit.yaml", "spec: s.yaml\nselcet: [MEM]\n", ["unknown key 'selcet'", "did you mean 'select'"], 2),
    (".audit.yaml", "rule_dirs: [x]\n", ["unknown key 'rule_dirs'", "did you mean 'rule-dirs'"], 1),
    (".audit.yaml", "colour: red\n", ["unknown key 'colour'", "expected one of"], 1),
    ("pyproject.toml", "[tool.other]\nx = 1\n\n[tool.audit]\nspec = 's'\nfail_on = 'error'\n",
     ["unknown key 'fail_on'", "[tool.audit]", "did you mean 'fail-on'"], 6),
    ("pyproject.toml", "[tool.audit]\nspec = 's'\n[tool.audit.spec-globs]\n'x' = 'y'\n", ["unknown key 'spec-globs'"], 3),
    (".audit.yaml", "fail-on: sometimes\n", ["'fail-on' must be one of error, warning, never"], 1),
    (".audit.yaml", "format: xml\n", ["'format' must be one of"], 1),
    (".audit.yaml", "spec: s\nselect: [MEM-1]\n", ["'MEM-1' is not a rule id or prefix"], 2),
    (".audit.yaml", "specs: [a, b]\n", ["'specs' must map report globs to spec paths"], 1),
    (".audit.yaml", "rule-dirs: [1, 2]\n", ["'rule-dirs' must be a list of strings"], 1),
    (".audit.yaml", "spec: ''\n", ["'spec' must be a non-empty string"], 1),
    (".audit.yaml", "- spec\n", ["expected a mapping"], 1),
    ("pyproject.toml", "[tool.audit\n", ["TOML syntax error"], None),
]


@pytest.mark.parametrize(("name", "text", "words", "line"), BAD_CONFIG_CASES)
def test_bad_config_names_file_key_and_line(tmp_path, name, text, words, line):
    write(tmp_path, {name: text})
    with pytest.raises(AuditError) as caught:
        find_config(tmp_path)
    err = caught.value
    assert err.path == str((tmp_path / name).resolve())
    assert err.location == line
    for word in words:
        assert word in err.message
    assert str(err).startswith(f"{err.path}:")


CONFIG_TREE = {
    "pyproject.toml": """\
[tool.audit]
spec = "specs/default.yaml"

[tool.audit.specs]
"reports/deepseek/**" = "specs/ds.yaml"
"*-h100.md" = "specs/h100.yaml"
"reports/**" = "specs/reports.yaml"
""",
    "reports/plain.md": "# Plain report\n",
    "reports/deepseek/v3.md": "# DeepSeek\n",
    "reports/deepseek/v3-h100.md": "# DeepSeek on H100\n",
    "notes/qwen-h100.md": "# Qwen on H100\n",
    "notes/other.md": "# Other\n",
    "notes/front.md": "---\ntitle: x\naudit-spec: '../specs/front.yaml'  # own spec\n---\n# Front\n",
    "notes/comment.md": "# Comment\n\n<!-- audit-spec: ../specs/comment.yaml -->\n",
}

# (report, --spec flag, spec expected, relative to the tree; None for no spec at all)
SPEC_CASES = [
    pytest.param("notes/other.md", "cli.yaml", "cli.yaml", id="flag-beats-config"),
    pytest.param("notes/front.md", "cli.yaml", "cli.yaml", id="flag-beats-report-line"),
    pytest.param("notes/front.md", None, "specs/front.yaml", id="front-matter"),
    pytest.param("notes/comment.md", None, "specs/comment.yaml", id="comment-line"),
    pytest.param("reports/deepseek/v3.md", None, "specs/ds.yaml", id="glob-double-star"),
    pytest.param("reports/deepseek/v3-h100.md", None, "specs/ds.yaml", id="first-matching-glob-wins"),
    pytest.param("notes/qwen-h100.md", None, "specs/h100.yaml", id="glob-without-slash-matches-name-anywhere"),
    pytest.param("reports/plain.md", None, "specs/reports.yaml", id="later-glob"),
    pytest.param("notes/other.md", None, "specs/default.yaml", id="config-spec"),
]


@pytest.mark.parametrize(("report", "flag", "expected"), SPEC_CASES)
def test_spec_for_precedence(tmp_path, report, flag, expected):
    write(tmp_path, CONFIG_TREE)
    path = tmp_path / report
    got = spec_for(path, find_config(path), flag)
    if flag:
        assert got == Path(expected)
    else:
        assert got.resolve() == (tmp_path / expected).resolve()


def test_spec_for_without_any_source_is_none(tmp_path):
    write(tmp_path, {"r.md": "# nothing\n"})
    assert spec_for(tmp_path / "r.md", None, None) is None
    assert spec_for(tmp_path / "r.md", Config(), None) is None


# (report text, the spec path it names or None)
NAMED_CASES = [
    ("---\naudit-spec: specs/q.yaml\n---\n# R\n", "specs/q.yaml"),
    ('---\ntitle: "R"\naudit-spec: "a b.yaml"\n---\n', "a b.yaml"),
    ("\ufeff---\naudit-spec: q.yaml\n...\n", "q.yaml"),
    ("# R\n<!-- audit-spec: q.yaml -->\n", "q.yaml"),
    ("# R\n  <!--audit-spec:q.yaml-->  \n", "q.yaml"),
    ("# R\ntext <!-- audit-spec: q.yaml --> more\n", None),  # not a line of its own
    ("# R\n```\n<!-- audit-spec: q.yaml -->\n```\n", None),  # an example in a code block
    ("# R\n---\naudit-spec: q.yaml\n---\n", None),  # front-matter only at the very top
    ("---\ntitle: x\n---\naudit-spec: q.yaml\n", None),  # after the front-matter: plain text
]


@pytest.mark.parametrize(("text", "named"), NAMED_CASES)
def test_spec_named_in(text, named):
    assert spec_named_in(text) == named


# (glob, path relative to the config directory, matches)
GLOB_CASES = [
    ("*.md", "r.md", True),
    ("*.md", "a/b/r.md", True),  # no slash: the name, at any depth
    ("docs/*.md", "docs/r.md", True),
    ("docs/*.md", "docs/sub/r.md", False),  # * stays in a segment
    ("docs/**/*.md", "docs/r.md", True),  # **/ may be no directory at all
    ("docs/**/*.md", "docs/a/b/r.md", True),
    ("docs/**", "docs/a/r.md", True),
    ("docs/", "docs/a/r.md", True),
    ("./docs/*.md", "docs/r.md", True),
    ("docs/r?.md", "docs/r1.md", True),
    ("docs/r?.md", "docs/r12.md", False),
    ("docs/[ab].md", "docs/b.md", True),
    ("docs/[!ab].md", "docs/b.md", False),
    ("other/*.md", "docs/r.md", False),
    ("r.md", "docs/r.markdown", False),
]


@pytest.mark.parametrize(("pattern", "relative", "matches"), GLOB_CASES)
def test_glob_matches(tmp_path, pattern, relative, matches):
    assert glob_matches(pattern, tmp_path / relative, tmp_path) is matches


def test_glob_outside_the_config_directory_never_matches(tmp_path):
    assert glob_matches("**", tmp_path.parent / "elsewhere.md", tmp_path) is False


# (rule, select, ignore, selected): ruff's rules, written out
SELECT_CASES = [
    ("MEM001", [], [], True),  # nothing selected means every rule
    ("MEM001", ["MEM"], [], True),
    ("KV002", ["MEM"], [], False),
    ("MEM001", ["ALL"], [], True),
    ("MEM001", [], ["MEM"], False),
    ("MEM001", [], ["ALL"], False),
    ("MEM001", ["MEM"], ["MEM001"], False),  # the more specific ignore wins
    ("MEM002", ["MEM"], ["MEM001"], True),
    ("MEM001", ["MEM001"], ["MEM"], True),  # the more specific select wins
    ("MEM001", ["MEM"], ["MEM"], False),  # a tie goes to ignore
    ("MEM001", ["mem"], [], True),  # case does not matter
    ("SUP002", ["MEM"], [], False),
    ("MEM001", ["ALL"], ["MEM"], False),
]


@pytest.mark.parametrize(("rule", "select", "ignore", "expected"), SELECT_CASES)
def test_selected(rule, select, ignore, expected):
    assert selected(rule, select, ignore) is expected


def _result(*severities: str, suppressed: bool = False) -> ReportResult:
    findings = tuple(
        Finding(rule="X001", name="x", severity=s, line=i + 1, message="m", suppressed="r" if suppressed else None)
        for i, s in enumerate(severities)
    )
    return ReportResult(path="r.md", spec="s.yaml", claims=(), findings=findings)


# (results, fail-on, exit 1?)
FAIL_CASES = [
    ([_result("error")], "error", True),
    ([_result("warning")], "error", False),
    ([_result("warning")], "warning", True),
    ([_result("info")], "warning", False),
    ([_result("error")], "never", False),
    ([_result("error", suppressed=True)], "error", False),  # suppressed findings do not count
    ([_result(), _result("warning", "error")], "error", True),
    ([], "warning", False),
]


@pytest.mark.parametrize(("results", "fail_on", "expected"), FAIL_CASES)
def test_failing(results, fail_on, expected):
    assert failing(results, fail_on) is expected


def test_flags_override_the_file_and_absent_flags_do_not():
    config = Config(select=("MEM",), fail_on="warning", format="sarif")
    got = with_flags(config, select=("KV",), ignore=None, fail_on=None, format="text")
    assert (got.select, got.ignore, got.fail_on, got.format) == (("KV",), (), "warning", "text")


# The pre-commit hook: (field, value) the issue asks for.
HOOK_FIELDS = [
    ("id", "audit"),
    ("name", "audit"),
    ("entry", "audit check --format text"),
    ("language", "python"),
    ("types", ["markdown"]),
    ("args", []),
    ("require_serial", False),
]


@pytest.mark.parametrize(("field", "value"), HOOK_FIELDS)
def test_pre_commit_hook_manifest(field, value):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook[field] == value


def test_pre_commit_accepts_the_manifest():
    clientlib = pytest.importorskip("pre_commit.clientlib")
    [hook] = clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert (hook["id"], hook["pass_filenames"]) == ("audit", True)


# --- issue 11: exclusions, flags that are settings, selectors that name no rule ------------------------------

def test_exclusion_settings(tmp_path):
    write(tmp_path, {".audit.yaml": "extend-exclude: [README.md, drafts/]\nrespect-gitignore: false\n"
                                    "force-exclude: true\nrequire-figures: true\n"})
    config = load_config(tmp_path / ".audit.yaml")
    assert (config.exclude, config.extend_exclude) == ((".*", "node_modules/"), ("README.md", "drafts/"))
    assert (config.respect_gitignore, config.force_exclude, config.require_figures) == (False, True, True)
    assert config.where("force-exclude") == f"{config.path}:3"


@pytest.mark.parametrize(("text", "words"), [
    ("force-exclude: yes please\n", "'force-exclude' must be true or false"),
    ("exclude: 3\n", "'exclude' must be a list of strings"),
])
def test_bad_exclusion_settings(tmp_path, text, words):
    write(tmp_path, {".audit.yaml": text})
    with pytest.raises(AuditError, match=words):
        load_config(tmp_path / ".audit.yaml")


@pytest.mark.parametrize(("selectors", "unknown"), [
    (["MEM001", "MEM", "ALL", "mem00"], []),        # an id, a family, everything, a prefix of ids
    (["MEMO01"], [("MEMO01", "MEM001")]),
    (["LATT001"], [("LATT001", "LAT001")]),
    (["TTFT"], [("TTFT", None)]),                   # TTFT is LAT001's subject, not a rule id
])
def test_unknown_selectors(selectors, unknown):
    from audit.config import unknown_selectors

    found = unknown_selectors(selectors, ["MEM001", "MEM002", "LAT001", "LAT003", "SUP002"])
    assert [(entry, close[0] if close else None) for entry, close in found] == unknown
