"""`audit check` over many reports, its flags and configuration, `audit rules` and `audit rule ID`.

Most cases call `audit.cli.main` in this process (the spec loads once per test session); a few run
`python -m audit` to see the exit status a shell sees. Expected figures are hand arithmetic for the
seed spec (reports/qwen3-235b/qwen3.yaml: Qwen3-235B-A22B, 235.09e9 parameters, fp8 weights,
scenario "original" TP 2 x PP 4 x DP 1) written out beside each case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from audit import batch, paths
from audit.cli import main
from audit.errors import AuditError
from audit.output import json as json_output

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SEED_SPEC = SEED / "qwen3.yaml"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-2.1.0.json").read_text(encoding="utf-8"))

# Hand arithmetic, scenario "original": weights per GPU = 235.09e9 x 1 B / (2 x 4) = 29.39 GB (claim 29.4 GB
# is within MEM001's 10%); heads per GPU = 64 / 2 = 32. Nothing else is claimed, so nothing else is judged.
CLEAN = "# Original deployment\n\n- Model weights per GPU: 29.4 GB\n- 32 heads per GPU\n"
# The same figures with a suppression that hides nothing: only SUP002 (unused suppression, a warning).
WARN_ONLY = ("# Original deployment\n\n<!-- audit-disable-next-line MEM002 -- KV cache is offloaded -->\n"
             "- Model weights per GPU: 29.4 GB\n- 32 heads per GPU\n")
# 2.86 GB against 29.39 GB is off by 10x: MEM001, an error, on line 4.
WRONG_WEIGHTS = "# Original deployment\n\n- 32 heads per GPU\n- Model weights per GPU: 2.86 GB\n"


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch):
    """Tests see a plain terminal, not the CI they may run in (--format auto would pick github/text)."""
    for name in ("GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def audit(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `audit argv...` run in this process."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    """docs/ with the seed report (fails), a clean one, and one in a subdirectory, plus a hidden one."""
    docs = tmp_path / "docs"
    shutil.copy(SEED / "report.md", write(docs / "seed.md", ""))
    write(docs / "clean.md", CLEAN)
    write(docs / "sub" / "also-clean.md", CLEAN)
    write(docs / ".hidden" / "skipped.md", WRONG_WEIGHTS)
    write(docs / "notes.txt", "not Markdown")
    return docs


# --- many reports ----------------------------------------------------------------------------------


def test_a_folder_gives_one_verdict_per_report_and_a_summary(capsys, folder):
    status, out, _ = audit(capsys, "check", str(folder), "--spec", str(SEED_SPEC))
    assert status == 1  # the seed report has errors
    headings = [line for line in out.splitlines() if line.startswith("# Audit of ")]
    assert [h.split("/")[-2:] for h in headings] == [["docs", "clean.md"], ["docs", "seed.md"],
                                                     ["sub", "also-clean.md"]]  # path order
    assert out.startswith("# Summary")  # the summary of many reports comes first
    summary = out[: out.index("# Audit of ")]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("| report")]
    assert [row.split(" | ")[1] for row in rows] == ["PASS", "FAIL", "PASS"]
    assert "3 reports: 1 fail, 0 pass with warnings, 2 pass;" in summary
    assert "skipped.md" not in out  # hidden directories are not searched


@pytest.mark.parametrize("pattern, expected", [
    ("docs/*.md", ["docs/clean.md", "docs/seed.md"]),
    ("docs/**/*.md", ["docs/clean.md", "docs/seed.md", "docs/sub/also-clean.md"]),
    ("docs/sub", ["docs/sub/also-clean.md"]),
    ("docs/s*", ["docs/seed.md", "docs/sub/also-clean.md"]),  # a glob matching a directory takes its *.md
])
def test_globs_are_expanded_for_shells_that_do_not(monkeypatch, folder, pattern, expected):
    monkeypatch.chdir(folder.parent)
    assert paths.expand_paths([pattern]) == expected


def test_paths_are_unique_and_sorted_whatever_order_they_are_given_in(monkeypatch, folder):
    monkeypatch.chdir(folder.parent)
    given = ["docs/sub/also-clean.md", "docs/seed.md", "./docs/seed.md", "docs/clean.md"]
    assert paths.expand_paths(given) == ["docs/clean.md", "docs/seed.md", "docs/sub/also-clean.md"]


@pytest.mark.parametrize("argv_tail, needle", [
    (["nothing-here.md"], "nothing-here.md: no such file"),
    (["docs/*.rst"], "docs/*.rst: no file matches this pattern"),
    (["empty"], "empty: no Markdown report (*.md) in this directory"),
])
def test_missing_paths_are_one_line_exit_2(capsys, monkeypatch, folder, argv_tail, needle):
    monkeypatch.chdir(folder.parent)
    (folder.parent / "empty").mkdir()
    status, out, err = audit(capsys, "check", *argv_tail, "--spec", str(SEED_SPEC))
    assert (status, out) == (2, "")
    assert err.strip().splitlines() == [f"audit: {needle}"]


def test_the_pool_gives_the_same_results_as_one_process(folder):
    """Deterministic: results in path order and byte-identical JSON, with or without worker processes."""
    jobs = paths.plan(paths.expand_paths([str(folder)] * 3), str(SEED_SPEC))
    serial = batch.audit_all(jobs, workers=1)
    pooled = batch.audit_all(jobs, workers=2)
    assert [r.path for r in pooled] == [str(folder / "clean.md"), str(folder / "seed.md"),
                                        str(folder / "sub" / "also-clean.md")]
    assert json_output.render(pooled) == json_output.render(serial)


def test_a_worker_error_names_the_report(tmp_path):
    reports = [write(tmp_path / f"r{i:02}.md", CLEAN) for i in range(10)]
    (tmp_path / "r05.md").write_bytes(b"# caf\xe9\n")  # not UTF-8
    jobs = paths.plan([str(p) for p in reports[:5]], str(SEED_SPEC)) + paths.plan(
        [str(p) for p in reports[5:]], str(SEED_SPEC))
    with pytest.raises(AuditError, match="not valid UTF-8") as caught:
        batch.audit_all(jobs, workers=2)
    assert caught.value.path == str(tmp_path / "r05.md")


def test_json_is_one_document_with_every_report(capsys, folder):
    status, out, _ = audit(capsys, "check", str(folder), "--spec", str(SEED_SPEC), "--format", "json")
    doc = json.loads(out)
    assert status == 1
    assert [(Path(r["path"]).name, r["result"]) for r in doc["reports"]] == [
        ("clean.md", "pass"), ("seed.md", "fail"), ("also-clean.md", "pass")]


# --- exit status -----------------------------------------------------------------------------------


@pytest.mark.parametrize("report, flags, status", [
    (CLEAN, [], 0),
    (CLEAN, ["--fail-on", "warning"], 0),
    (WARN_ONLY, [], 0),                       # default: errors only
    (WARN_ONLY, ["--fail-on", "error"], 0),
    (WARN_ONLY, ["--fail-on", "warning"], 1),
    (WARN_ONLY, ["--strict"], 1),             # --strict is --fail-on warning
    (WARN_ONLY, ["--fail-on", "never"], 0),
    (WRONG_WEIGHTS, [], 1),
    (WRONG_WEIGHTS, ["--fail-on", "warning"], 1),
    (WRONG_WEIGHTS, ["--fail-on", "never"], 0),
    (WRONG_WEIGHTS, ["--strict", "--fail-on", "never"], 0),  # the last one given wins
])
def test_exit_status_follows_fail_on(capsys, tmp_path, report, flags, status):
    path = write(tmp_path / "report.md", report)
    assert audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), *flags)[0] == status


def test_exit_status_as_a_shell_sees_it(tmp_path):
    bad = write(tmp_path / "bad.md", WRONG_WEIGHTS)
    good = write(tmp_path / "good.md", CLEAN)

    def run(*argv):
        return subprocess.run([sys.executable, "-m", "audit", "check", *argv, "--spec", str(SEED_SPEC)],
                              capture_output=True, text=True, timeout=120).returncode

    assert (run(str(good)), run(str(bad)), run(str(bad), "--fail-on", "never"), run(str(tmp_path / "x.md"))) \
        == (0, 1, 0, 2)


# --- rule selection --------------------------------------------------------------------------------


def rules_reported(capsys, *argv: str) -> set[str]:
    status, out, _ = audit(capsys, "check", *argv, "--format", "text")
    assert status in (0, 1)
    return {line.split(": ", 1)[1].split()[0] for line in out.splitlines() if ": " in line}


@pytest.mark.parametrize("flags, expected", [
    ([], {"MEM001"}),
    (["--select", "MEM001"], {"MEM001"}),
    (["--select", "MEM"], {"MEM001"}),
    (["--select", "LAT,PAR"], set()),
    (["--ignore", "MEM001"], set()),
    (["--ignore", "mem"], set()),                                 # case does not matter
    (["--select", "MEM", "--ignore", "MEM001"], set()),           # the more specific entry decides
    (["--select", "MEM001", "--ignore", "MEM"], {"MEM001"}),
])
def test_select_and_ignore(capsys, tmp_path, flags, expected):
    path = write(tmp_path / "report.md", WRONG_WEIGHTS)
    assert rules_reported(capsys, str(path), "--spec", str(SEED_SPEC), *flags) == expected


def test_select_repeats_and_splits_on_commas(capsys):
    flags = ["--select", "MEM001,MEM002", "--select", "LAT001"]
    found = rules_reported(capsys, str(SEED / "report.md"), "--spec", str(SEED_SPEC), *flags)
    assert found == {"MEM001", "MEM002", "LAT001"}  # the seed trips all three (answer-key.yaml)


def test_a_suppression_of_an_ignored_rule_is_not_reported_unused(capsys, tmp_path):
    report = write(tmp_path / "report.md", "# Original deployment\n\n"
                   "<!-- audit-disable-next-line MEM001 -- vendor figure, quoted as published -->\n"
                   "- Model weights per GPU: 2.86 GB\n")
    assert rules_reported(capsys, str(report), "--spec", str(SEED_SPEC)) == set()  # hidden, used
    assert rules_reported(capsys, str(report), "--spec", str(SEED_SPEC), "--ignore", "MEM001") == set()


def test_a_bad_selector_is_a_usage_error(capsys, tmp_path):
    path = write(tmp_path / "report.md", CLEAN)
    status, _, err = audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), "--select", "MEM-1")
    assert status == 2 and "--select: 'MEM-1' is not a rule id or prefix" in err


# --- configuration and specs -----------------------------------------------------------------------


def test_the_config_file_maps_reports_to_their_spec(capsys, monkeypatch, tmp_path):
    shutil.copy(SEED_SPEC, tmp_path / "qwen3.yaml")
    write(tmp_path / ".audit.yaml", 'specs:\n  "docs/**": qwen3.yaml\nfail-on: warning\n')
    write(tmp_path / "docs" / "a.md", CLEAN)
    write(tmp_path / "docs" / "b.md", WARN_ONLY)
    monkeypatch.chdir(tmp_path)
    status, out, _ = audit(capsys, "check", "docs", "--format", "json")
    doc = json.loads(out)
    assert [(r["path"], r["spec"], r["result"]) for r in doc["reports"]] == [
        ("docs/a.md", "qwen3.yaml", "pass"), ("docs/b.md", "qwen3.yaml", "warn")]
    assert status == 1  # fail-on: warning from the file
    assert audit(capsys, "check", "docs", "--fail-on", "error")[0] == 0  # the flag overrides it


def test_config_select_and_format_apply_and_flags_override(capsys, monkeypatch, tmp_path):
    write(tmp_path / "pyproject.toml", f'[tool.audit]\nspec = "{SEED_SPEC}"\nignore = ["MEM"]\nformat = "text"\n')
    write(tmp_path / "r.md", WRONG_WEIGHTS)
    monkeypatch.chdir(tmp_path)
    assert audit(capsys, "check", "r.md") == (0, "0 errors, 0 warnings in 1 report\n", "")
    status, out, _ = audit(capsys, "check", "r.md", "--ignore", "LAT")
    assert status == 1 and out.startswith("r.md:4:26: MEM001 error ")  # line 4, column 26: "2.86 GB"


def test_a_report_can_name_its_spec_in_a_comment(capsys, tmp_path):
    shutil.copy(SEED_SPEC, tmp_path / "qwen3.yaml")
    report = write(tmp_path / "notes" / "r.md", "<!-- audit-spec: ../qwen3.yaml -->\n" + CLEAN)
    status, out, _ = audit(capsys, "check", str(report), "--format", "json")
    assert status == 0
    assert json.loads(out)["reports"][0]["spec"] == str(tmp_path / "qwen3.yaml")


def test_a_report_without_a_spec_is_one_finding_naming_it(capsys, tmp_path):
    report = write(tmp_path / "orphan.md", CLEAN)
    status, out, err = audit(capsys, "check", str(report), "--format", "text")
    assert (status, err) == (1, "")  # an error finding: fail-on decides
    lines = out.splitlines()
    assert lines[0].startswith(f"{report}:1:1: RUN001 error no spec for this report") and "--spec" in lines[0]
    assert paths.plan([str(report)], missing=[]) == []
    with pytest.raises(AuditError, match="no spec for this report"):  # a caller that wants it stops
        paths.plan([str(report)])


def test_a_folder_with_a_readme_without_spec_audits_the_rest_and_says_so(capsys, monkeypatch, tmp_path):
    """The README has no spec: it is one finding (RUN001), and every other report is audited."""
    shutil.copy(SEED_SPEC, tmp_path / "qwen3.yaml")
    write(tmp_path / "docs" / "README.md", "# Design documents\n\nSee the plans below.\n")
    write(tmp_path / "docs" / "plan-a.md", "<!-- audit-spec: ../qwen3.yaml -->\n" + CLEAN)
    write(tmp_path / "docs" / "plan-b.md", "<!-- audit-spec: ../qwen3.yaml -->\n" + WRONG_WEIGHTS)
    monkeypatch.chdir(tmp_path)
    status, out, _ = audit(capsys, "check", "docs", "--format", "json")
    reports = {Path(r["path"]).name: r for r in json.loads(out)["reports"]}
    assert status == 1
    assert [f["rule"] for f in reports["README.md"]["findings"]] == ["RUN001"]
    assert reports["plan-a.md"]["result"] == "pass"
    assert [f["rule"] for f in reports["plan-b.md"]["findings"]] == ["MEM001"]
    assert audit(capsys, "check", "docs", "--ignore", "RUN001", "--format", "text")[0] == 1  # plan-b still fails
    write(tmp_path / "docs" / "plan-b.md", "<!-- audit-spec: ../qwen3.yaml -->\n" + CLEAN)
    assert audit(capsys, "check", "docs", "--ignore", "RUN001", "--format", "text")[0] == 0


def test_a_later_run_names_the_spec_as_it_is_given(capsys, monkeypatch, tmp_path):
    """Auditors loaded by an earlier run of this process are reused, but each run's verdicts name the spec
    as that run gives it (the golden verdicts name it relative to the repository)."""
    report = write(tmp_path / "r.md", CLEAN)
    monkeypatch.chdir(ROOT)
    for spec in (str(SEED_SPEC), str(SEED_SPEC.relative_to(ROOT)), str(SEED_SPEC)):
        status, out, _ = audit(capsys, "check", str(report), "--spec", spec, "--format", "json")
        assert (status, json.loads(out)["reports"][0]["spec"]) == (0, spec)


def test_reports_held_to_different_specs_load_each_once(monkeypatch, tmp_path):
    for name in ("a", "b"):
        shutil.copy(SEED_SPEC, tmp_path / f"{name}.yaml")
        for i in range(2):
            write(tmp_path / name / f"r{i}.md", f"<!-- audit-spec: ../{name}.yaml -->\n" + CLEAN)
    jobs = paths.plan(paths.expand_paths([str(tmp_path)]))
    assert [Path(j.auditor.spec).name for j in jobs] == ["a.yaml", "a.yaml", "b.yaml", "b.yaml"]
    assert len({j.auditor for j in jobs}) == 2


# --- output formats --------------------------------------------------------------------------------


def test_sarif_of_many_reports_validates_against_the_schema(capsys, folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    status, out, _ = audit(capsys, "check", "docs", "--spec", str(SEED_SPEC), "--format", "sarif")
    log = json.loads(out)
    errors = sorted(jsonschema.Draft7Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert errors == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"docs/seed.md"}  # relative to the working directory (no .git above tmp_path)
    rule_ids = {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"MEM001", "SUP001", "SUP002"} <= rule_ids
    assert status == 1


def test_github_format_writes_annotations_and_the_job_summary(capsys, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.md", WRONG_WEIGHTS)
    write(tmp_path / "good.md", CLEAN)
    status, out, _ = audit(capsys, "check", "bad.md", "good.md", "--spec", str(SEED_SPEC))  # --format auto
    assert status == 1
    assert out.splitlines() == [
        "::error file=bad.md,line=4,col=26,endColumn=33,title=MEM001 weights-per-device::"
        + out.split("::")[-1].rstrip("\n")]
    assert out.rstrip().endswith("Correct to: 29.39 GB.")
    assert "2.86 GB" in out and "29.39 GB" in out
    text = summary.read_text(encoding="utf-8")
    assert text.count("# Audit of ") == 2 and text.startswith("# Summary")


def test_statistics_follow_the_output(capsys, tmp_path):
    path = write(tmp_path / "report.md", WRONG_WEIGHTS)
    status, out, _ = audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), "--format", "text", "--statistics")
    assert out.splitlines()[-2:] == ["1 error, 0 warnings in 1 report (1 wrong figure)",
                                     "1\tMEM001\tweights-per-device"]
    status, out, err = audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), "--format", "json", "--statistics")
    assert json.loads(out)["reports"] and err == "1\tMEM001\tweights-per-device\n"  # stdout stays JSON


def test_output_file_and_max_report_bytes(capsys, tmp_path):
    path = write(tmp_path / "report.md", CLEAN)  # 76 bytes
    target = tmp_path / "out.txt"
    assert audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), "--format", "text", "-o", str(target)) \
        == (0, "", "")
    assert target.read_text(encoding="utf-8") == "0 errors, 0 warnings in 1 report\n"
    status, _, err = audit(capsys, "check", str(path), "--spec", str(SEED_SPEC), "--max-report-bytes", "50")
    assert status == 2 and "over the 50-byte limit" in err


# --- audit rules, audit rule ID --------------------------------------------------------------------


def shipped_rules() -> list[dict]:
    """The rule files as written (read here with yaml, not through audit.judge.rules)."""
    entries = []
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        entries += yaml.safe_load(path.read_text(encoding="utf-8"))
    return entries


def test_audit_rules_lists_every_rule(capsys):
    status, out, _ = audit(capsys, "rules")
    assert status == 0
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in out.splitlines()[2:]}
    expected = {e["id"]: (e["name"], e["level"], e["check"]) for e in shipped_rules()}
    expected |= {"SUP001": ("bad-suppression", "error", "suppression"),
                 "SUP002": ("unused-suppression", "warning", "suppression"),
                 "SUP003": ("unknown-rule-in-suppression", "error", "suppression"),
                 "SUP004": ("unknown-directive", "warning", "suppression"),
                 "RUN001": ("no-spec", "error", "run"),
                 "RUN002": ("no-figures", "warning", "run")}
    assert {rule: tuple(cells[1:4]) for rule, cells in rows.items()} == expected
    assert list(rows) == sorted(rows)


@pytest.mark.parametrize("argv, needles", [
    (["rule", "MEM001"], ["# MEM001 weights-per-device", "- level: error", "- check: recompute",
                          "- tolerance: 10%", "`weights_per_device`", "Example:", "2.86 GB"]),
    (["rule", "weights-per-device"], ["# MEM001 weights-per-device"]),  # by name too
    (["rule", "sup002"], ["# SUP002 unused-suppression", "- level: warning"]),
    # 235.09e9 x 1 B / (4 x 2) = 29.39 GB in "original"; / (4 x 4) = 14.69 GB in "optimized" (TP 4)
    (["rule", "MEM001", "--spec", str(SEED_SPEC)], ["`P_total*b_w/(PP*TP)`", "`235.09e9*1/(4*2)`", "29.39 GB",
                                                     "14.69 GB"]),
])
def test_audit_rule_explains_one(capsys, argv, needles):
    status, out, _ = audit(capsys, *argv)
    assert status == 0
    for needle in needles:
        assert needle in out


def test_an_unknown_rule_is_exit_2_with_close_matches(capsys):
    status, out, err = audit(capsys, "rule", "MEM01")
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "unknown rule 'MEM01'" in err and "MEM001" in err


# --- many reports, each under its own spec ---------------------------------------------------------

MANY_REPORTS = 2 * batch.POOL_THRESHOLD + 4
"""Enough copies of the examples for `audit check` to audit them in a process pool."""


def test_many_reports_each_under_its_own_spec(tmp_path):
    """Copies of the example reports (reports/*/report.md), each mapped to its own spec by .audit.yaml."""
    examples = sorted(p.parent for p in (ROOT / "reports").glob("*/report.md"))
    specs = {}
    for example in examples:
        candidates = [p for p in example.glob("*.yaml") if p.name != "answer-key.yaml"]
        assert len(candidates) == 1, example
        specs[example.name] = candidates[0]
    for i in range(MANY_REPORTS):
        example = examples[i % len(examples)]
        shutil.copy(example / "report.md", tmp_path / f"{example.name}-{i:03}.md")
    mapping = "".join(f'  "{name}-*.md": {json.dumps(str(spec))}\n' for name, spec in specs.items())
    write(tmp_path / ".audit.yaml", "specs:\n" + mapping)
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(tmp_path), "--format", "json"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert p.returncode == 1, p.stderr  # every example has errors
    reports = json.loads(p.stdout)["reports"]
    assert len(reports) == MANY_REPORTS
    for report in reports:
        name = Path(report["path"]).name.rsplit("-", 1)[0]
        assert (report["spec"], report["result"]) == (str(specs[name]), "fail"), report["path"]


# --- which files a walk stands for -----------------------------------------------------------------


def tree(base: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        write(base / name, text)
    return base


# (files, configuration (.audit.yaml) or None, paths given, flags, reports expected, relative to the tree)
WALK_CASES = [
    pytest.param({"a.md": "", ".hidden/b.md": "", "node_modules/c.md": "", "notes.txt": ""}, None, ["."], {},
                 ["a.md"], id="default-exclusions"),
    pytest.param({"a.md": "", "drafts/b.md": "", "README.md": ""}, "extend-exclude: [drafts/, README.md]\n", ["."],
                 {}, ["a.md"], id="extend-exclude"),
    pytest.param({"a.md": "", ".hidden/b.md": ""}, "exclude: []\n", ["."], {}, [".hidden/b.md", "a.md"],
                 id="exclude-replaces-the-defaults"),
    pytest.param({"a.md": "", "build/b.md": "", "keep/c.md": "", ".gitignore": "build/\n", ".git/HEAD": ""}, None,
                 ["."], {}, ["a.md", "keep/c.md"], id="gitignore"),
    pytest.param({"a.md": "", "build/b.md": "", ".gitignore": "build/\n", ".git/HEAD": ""},
                 "respect-gitignore: false\n", ["."], {}, ["a.md", "build/b.md"], id="gitignore-off"),
    pytest.param({"a.md": "", "sub/b.md": "", "sub/.gitignore": "*.md\n!keep.md\n", "sub/keep.md": "",
                  ".git/HEAD": ""}, None, ["."], {}, ["a.md", "sub/keep.md"], id="nested-gitignore-with-negation"),
    pytest.param({"README.md": "", "a.md": ""}, "extend-exclude: [README.md]\n", ["README.md", "a.md"], {},
                 ["README.md", "a.md"], id="a-named-file-is-audited-anyway"),
    pytest.param({"README.md": "", "a.md": ""}, "extend-exclude: [README.md]\nforce-exclude: true\n",
                 ["README.md", "a.md"], {}, ["a.md"], id="force-exclude"),
    pytest.param({"README.md": "", "a.md": ""}, "extend-exclude: [README.md]\n", ["README.md", "a.md"],
                 {"force_exclude": True}, ["a.md"], id="force-exclude-flag"),
    pytest.param({"docs/a.md": "", "docs/drafts/b.md": ""}, "extend-exclude: [drafts/]\n", ["docs/**/*.md"], {},
                 ["docs/a.md"], id="glob-matches-are-excluded-too"),
]


@pytest.mark.parametrize(("files", "config", "given", "flags", "expected"), WALK_CASES)
def test_which_files_a_walk_audits(monkeypatch, tmp_path, files, config, given, flags, expected):
    tree(tmp_path, files)
    if config:
        write(tmp_path / ".audit.yaml", config)
    monkeypatch.chdir(tmp_path)
    found = paths.find_reports(given, **flags)
    assert sorted(str(Path(p)) for p in found.reports) == expected
    assert found.unreadable == []


def test_a_walk_never_follows_a_link_out_of_its_tree_and_audits_each_file_once(monkeypatch, tmp_path):
    outside = tree(tmp_path / "outside", {"secret.md": "", "more/x.md": ""})
    docs = tree(tmp_path / "docs", {"a.md": "", "sub/b.md": ""})
    (docs / "out-file.md").symlink_to(outside / "secret.md")
    (docs / "out-dir").symlink_to(outside / "more")
    (docs / "again.md").symlink_to(docs / "a.md")            # a second path to a.md
    (docs / "loop").symlink_to(docs)                           # a cycle
    (docs / "sub" / "b-link").symlink_to(docs / "sub")         # another way into sub/
    monkeypatch.chdir(tmp_path)
    found = paths.find_reports(["docs"])
    assert found.reports == ["docs/a.md", "docs/sub/b.md"]


def test_an_unreadable_directory_is_named_and_the_rest_is_audited(capsys, monkeypatch, tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every directory")
    docs = tree(tmp_path / "docs", {"a.md": CLEAN, "locked/b.md": CLEAN})
    (docs / "locked").chmod(0)
    try:
        monkeypatch.chdir(tmp_path)
        status, out, err = audit(capsys, "check", "docs", "--spec", str(SEED_SPEC), "--format", "text")
    finally:
        (docs / "locked").chmod(0o755)
    assert status == 0 and "docs/locked: cannot read this directory" in err


def test_an_unreadable_directory_is_reported_by_the_walk(monkeypatch, tmp_path):
    """As root every directory can be read: the walk's error path is driven by a directory that vanishes."""
    docs = tree(tmp_path / "docs", {"a.md": ""})
    walker = paths._Walker()
    real_scandir = paths.os.scandir

    def scandir(path):
        if str(path).endswith("docs"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(paths.os, "scandir", scandir)
    assert walker.walk(docs) == []
    assert walker.problems == [(str(docs), "Permission denied")]


def test_the_standard_input_is_a_report(tmp_path):
    p = subprocess.run([sys.executable, "-m", "audit", "check", "-", "--spec", str(SEED_SPEC), "--format", "text",
                        "--stdin-filename", "docs/plan.md"], input=WRONG_WEIGHTS, capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert p.returncode == 1, p.stderr
    assert p.stdout.startswith("docs/plan.md:4:26: MEM001 error ")


def test_the_standard_input_finds_its_spec_by_its_name(tmp_path):
    shutil.copy(SEED_SPEC, tmp_path / "qwen3.yaml")
    write(tmp_path / ".audit.yaml", 'specs:\n  "docs/**": qwen3.yaml\n')
    p = subprocess.run([sys.executable, "-m", "audit", "check", "-", "--stdin-filename", "docs/plan.md",
                        "--format", "json"], input=CLEAN, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)["reports"][0]
    assert (report["path"], report["spec"]) == ("docs/plan.md", "qwen3.yaml")
