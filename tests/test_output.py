"""Output formats: text lines, GitHub annotations, SARIF 2.1.0 (validated against the official schema),
the registry of formats, and `--statistics`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from audit import __version__, output
from audit.output import FORMATS, Run, figures, github, resolve_format, sarif, statistics, text
from audit.records import Claim, Finding, ReportResult, RuleInfo

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def claim(line: int, text_: str, scenario: str | None = "original") -> Claim:
    return Claim(line=line, text=text_, figure="", label="", value=0.0, unit="B", kind="memory", scenario=scenario)


WEIGHTS = claim(42, "Model weights per GPU: 2.86 GB")
RULES = [
    RuleInfo("MEM001", "weights-per-device", "error", "recompute",
             "Weights per device must match P * b_w / (TP * PP). The spec gives P and the precision.",
             "- Model weights per GPU: 2.86 GB   <!-- expect: MEM001 -->"),
    RuleInfo("TTFT002", "ttft-mfu", "warning", "bound", "A TTFT that needs more than 90% MFU is implausible."),
    RuleInfo("UNV001", "unverified", "info", "recognise", "A figure the spec cannot check."),
]
FINDINGS = (
    Finding("MEM001", "weights-per-device", "error", 42,
            "Weights per device: claimed 2.86 GB, first principles give 29.39 GB", claim=WEIGHTS,
            scenario="original", metric="weights_per_device", claimed=2.86e9, expected=2.939e10, unit="B",
            ratio=0.097, interpretation="GB = 1e9 B"),
    Finding("TTFT002", "ttft-mfu", "warning", 57, "TTFT 0.06 s needs 94% MFU", scenario="optimized",
            expected=(0.05, float("inf"))),
    Finding("UNV001", "unverified", "info", 60, "Activation memory: not checkable"),
    Finding("MEM001", "weights-per-device", "error", 48, "Weights per device: claimed 2.86 GB",
            claim=claim(48, "Model weights per GPU: 2.86 GB (unchanged)", "optimized"),
            suppressed="vendor figure, quoted as published"),
    Finding("SUP002", "unused-suppression", "warning", 70, "unused suppression: KV002 reports nothing on the next line"),
)


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch):
    """The GitHub format appends to $GITHUB_STEP_SUMMARY when it is set: not to the real one of a CI run."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def run_of(root: Path, rules=RULES) -> Run:
    """What a format knows of the run besides the results: the repository root and the rules."""
    return Run(infos=rules, root=root)


@pytest.fixture
def results(tmp_path):
    report = tmp_path / "reports" / "qwen 3" / "final.md"
    return [
        ReportResult(path=str(report), spec="qwen3.yaml", claims=(WEIGHTS,), findings=FINDINGS),
        ReportResult(path=str(tmp_path / "reports" / "clean.md"), spec="qwen3.yaml", claims=(), findings=()),
    ]


# --- SARIF -------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(results, tmp_path):
    log = json.loads(sarif.render(results, run_of(tmp_path)))
    validator_class = jsonschema.validators.validator_for(SCHEMA)
    assert validator_class is jsonschema.Draft7Validator  # the schema declares draft-07
    errors = sorted(validator_class(SCHEMA, format_checker=validator_class.FORMAT_CHECKER).iter_errors(log), key=str)
    assert errors == []


def test_sarif_schema_copy_rejects_a_broken_log(results, tmp_path):
    """The stored schema is the real thing: it refuses a result without a message and a bad level."""
    log = json.loads(sarif.render(results, run_of(tmp_path)))
    del log["runs"][0]["results"][0]["message"]
    log["runs"][0]["results"][1]["level"] = "fatal"
    messages = {e.message for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(log)}
    assert "'message' is a required property" in messages
    assert any("'fatal' is not one of" in m for m in messages)


def test_sarif_run_driver_and_rules(results, tmp_path):
    [run] = json.loads(sarif.render(results, run_of(tmp_path)))["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("audit", __version__)
    assert "informationUri" not in driver  # optional; the project publishes no home page yet
    assert [r["id"] for r in driver["rules"]] == ["MEM001", "SUP002", "TTFT002", "UNV001"]
    mem = driver["rules"][0]
    assert mem["name"] == "weights-per-device"
    assert mem["shortDescription"] == {"text": "Weights per device must match P * b_w / (TP * PP)."}
    assert mem["fullDescription"]["text"].endswith("The spec gives P and the precision.")
    assert "<!-- expect: MEM001 -->" in mem["help"]["text"]
    assert [r["defaultConfiguration"]["level"] for r in driver["rules"]] == ["error", "warning", "warning", "note"]


# (index of the result in line order, ruleId, level, startLine, suppressed justification or None)
SARIF_RESULT_CASES = [
    (0, "MEM001", "error", 42, None),
    (1, "MEM001", "error", 48, "vendor figure, quoted as published"),
    (2, "TTFT002", "warning", 57, None),
    (3, "UNV001", "note", 60, None),
    (4, "SUP002", "warning", 70, None),
]


@pytest.mark.parametrize(("index", "rule", "level", "line", "justification"), SARIF_RESULT_CASES)
def test_sarif_results(results, tmp_path, index, rule, level, line, justification):
    run = json.loads(sarif.render(results, run_of(tmp_path)))["runs"][0]
    result = run["results"][index]
    assert (result["ruleId"], result["level"]) == (rule, level)
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == rule
    [location] = result["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "reports/qwen%203/final.md",
                                                                "uriBaseId": "%SRCROOT%"}
    assert location["physicalLocation"]["region"] == {"startLine": line}
    expected_suppressions = [{"kind": "inSource", "justification": justification}] if justification else None
    assert result.get("suppressions") == expected_suppressions
    assert list(result["partialFingerprints"]) == ["auditClaimHash/v1"]


def test_sarif_keeps_numbers_json_can_hold(results, tmp_path):
    run = json.loads(sarif.render(results, run_of(tmp_path)))["runs"][0]
    assert run["results"][0]["properties"]["expected"] == 2.939e10
    assert run["results"][2]["properties"]["expected"] == [0.05, None]  # an unbounded side is null, not Infinity


def test_sarif_outside_root_is_an_absolute_file_uri(tmp_path):
    other = tmp_path / "elsewhere" / "r.md"
    result = ReportResult(path=str(other), spec="s", claims=(), findings=FINDINGS[:1])
    [res] = json.loads(sarif.render([result], run_of(tmp_path / "repo")))["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": other.resolve().as_uri()}


def test_sarif_is_deterministic(results, tmp_path):
    first = sarif.render(results, run_of(tmp_path))
    assert first == sarif.render(results, run_of(tmp_path, list(reversed(RULES))))
    assert first.endswith("}\n")


def _moved(finding: Finding, **changes) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)


BASE = FINDINGS[0]
# (a variant of the MEM001 finding, same fingerprint?)
FINGERPRINT_CASES = [
    pytest.param(_moved(BASE, line=99), True, id="line-moved"),
    pytest.param(_moved(BASE, message="reworded message"), True, id="message-reworded"),
    pytest.param(_moved(BASE, claim=claim(42, "  model WEIGHTS per GPU:\n2.86 GB ")), True, id="whitespace-and-case"),
    pytest.param(_moved(BASE, scenario="optimized"), False, id="other-scenario"),
    pytest.param(_moved(BASE, rule="MEM002"), False, id="other-rule"),
    pytest.param(_moved(BASE, claim=claim(42, "Model weights per GPU: 3.1 GB")), False, id="other-claim"),
]


@pytest.mark.parametrize(("variant", "same"), FINGERPRINT_CASES)
def test_fingerprint_ignores_the_line_not_the_claim(variant, same):
    assert (sarif.fingerprint(variant) == sarif.fingerprint(BASE)) is same


def test_repeated_claims_get_numbered_fingerprints(tmp_path):
    twice = (BASE, _moved(BASE, line=80))
    run = json.loads(sarif.render([ReportResult("r.md", "s", (), twice)], run_of(tmp_path)))["runs"][0]
    prints = [r["partialFingerprints"]["auditClaimHash/v1"] for r in run["results"]]
    digest = sarif.fingerprint(BASE)
    assert prints == [f"{digest}:1", f"{digest}:2"]


# --- GitHub annotations -------------------------------------------------------------------------

# (value, escaped as a message, escaped as a property): @actions/core command.ts escapeData / escapeProperty
ESCAPE_CASES = [
    ("plain text", "plain text", "plain text"),
    ("100%", "100%25", "100%25"),
    ("a\nb", "a%0Ab", "a%0Ab"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("ratio: 0.1, too low", "ratio: 0.1, too low", "ratio%3A 0.1%2C too low"),
    ("%0A already", "%250A already", "%250A already"),  # % first, so no double meaning
    ("C:\\reports,x.md", "C:\\reports,x.md", "C%3A\\reports%2Cx.md"),
    ("::error::", "::error::", "%3A%3Aerror%3A%3A"),
]


@pytest.mark.parametrize(("value", "data", "prop"), ESCAPE_CASES)
def test_github_escaping(value, data, prop):
    assert github.escape_data(value) == data
    assert github.escape_property(value) == prop


def test_github_render(tmp_path):
    result = ReportResult(
        path="docs/q3, final.md", spec="s", claims=(),
        findings=(
            Finding("TTFT002", "ttft-mfu", "warning", 57, "TTFT needs 94% MFU\nat batch 1"),
            Finding("MEM001", "weights-per-device", "error", 42, "claimed 2.86 GB, expected 29.39 GB"),
            Finding("UNV001", "unverified", "info", 60, "not checkable"),
            Finding("KV001", "kv-per-device", "error", 50, "hidden", suppressed="reason"),
            Finding("RPT001", "no-claims", "warning", 0, "no figures found"),
        ),
    )
    assert github.render([result], Run()).splitlines() == [
        "::warning file=docs/q3%2C final.md,title=RPT001 no-claims::no figures found",
        "::error file=docs/q3%2C final.md,line=42,title=MEM001 weights-per-device::claimed 2.86 GB, expected 29.39 GB",
        "::warning file=docs/q3%2C final.md,line=57,title=TTFT002 ttft-mfu::TTFT needs 94%25 MFU at batch 1",
        "::notice file=docs/q3%2C final.md,line=60,title=UNV001 unverified::not checkable",
    ]


def test_github_command_without_properties():
    assert github.command("warning", {}, "plain") == "::warning::plain"


def test_step_summary_appends_when_set(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert github.write_step_summary("## audit: fail", env) is True
    assert github.write_step_summary("| a | b |\n", env) is True
    assert summary.read_text(encoding="utf-8") == "# earlier step\n## audit: fail\n| a | b |\n"


@pytest.mark.parametrize("env", [{}, {"GITHUB_STEP_SUMMARY": ""}])
def test_step_summary_skipped_when_unset(env):
    assert github.write_step_summary("## audit", env) is False


# (environment, the format `auto` stands for)
AUTO_CASES = [
    ({"GITHUB_ACTIONS": "true", "CI": "true"}, "github"),
    ({"CI": "true"}, "markdown"),
    ({"GITHUB_ACTIONS": "false"}, "markdown"),
    ({}, "markdown"),
    ({"GITHUB_ACTIONS": "false"}, "markdown"),
]


@pytest.mark.parametrize(("env", "expected"), AUTO_CASES)
def test_auto_format(env, expected):
    assert resolve_format("auto", env) == expected
    assert resolve_format("json", env) == "json"  # a named format is kept


# --- text and statistics ------------------------------------------------------------------------


def test_text_render_lines_and_summary(results, tmp_path):
    path = results[0].path
    assert text.render(results, Run()) == (
        f"{path}:42:1: MEM001 error Weights per device: claimed 2.86 GB, first principles give 29.39 GB\n"
        f"{path}:57:1: TTFT002 warning TTFT 0.06 s needs 94% MFU\n"
        f"{path}:60:1: UNV001 info Activation memory: not checkable\n"
        f"{path}:70:1: SUP002 warning unused suppression: KV002 reports nothing on the next line\n"
        "1 error, 2 warnings in 2 reports (1 wrong figure)\n"
    )


# (severities of the unsuppressed findings of one report, summary line)
SUMMARY_CASES = [
    ([], "0 errors, 0 warnings in 1 report"),
    (["error"], "1 error, 0 warnings in 1 report"),
    (["error", "error", "warning"], "2 errors, 1 warning in 1 report"),
    (["info", "info"], "0 errors, 0 warnings in 1 report"),
]


@pytest.mark.parametrize(("severities", "summary"), SUMMARY_CASES)
def test_text_summary(severities, summary):
    findings = tuple(Finding("X001", "x", s, i + 1, "m") for i, s in enumerate(severities))
    out = text.render([ReportResult("r.md", "s", (), findings)], Run())
    assert out.splitlines()[-1] == summary


def test_text_message_stays_on_one_line():
    result = ReportResult("r.md", "s", (), (Finding("X001", "x", "error", 3, "two\nlines"),))
    assert text.render([result], Run()).splitlines()[0] == "r.md:3:1: X001 error two lines"


def test_statistics_like_ruff(results):
    more = ReportResult("b.md", "s", (), (Finding("MEM001", "weights-per-device", "error", 1, "m"),
                                          Finding("TTFT002", "ttft-mfu", "warning", 2, "m"),
                                          Finding("MEM001", "weights-per-device", "error", 3, "m")))
    assert statistics([*results, more]) == (
        "3\tMEM001 \tweights-per-device\n"
        "2\tTTFT002\tttft-mfu\n"
        "1\tSUP002 \tunused-suppression\n"
        "1\tUNV001 \tunverified\n"
    )


def test_statistics_of_nothing_is_empty():
    assert statistics([ReportResult("r.md", "s", (), ())]) == ""


# --- the registry ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_of_the_registry_renders_by_name(results, tmp_path, name):
    """`output.render(name, ...)` is the module audit.output.<name>'s render; every --format choice has one."""
    assert output.CHOICES == ("auto", *FORMATS)
    module = __import__(f"audit.output.{name}", fromlist=["render"])
    assert output.render(name, results, run_of(tmp_path)) == module.render(results, run_of(tmp_path))


# --- issue 11: the seed's verdict, SARIF fixes, the output schema, the job summary's caps ------------------

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in ROOT.glob("reports/*/answer-key.yaml"))


def _example(folder: Path):
    import yaml

    from audit.commands.check import finish_job
    from audit.paths import plan

    key = yaml.safe_load((folder / "answer-key.yaml").read_text(encoding="utf-8"))
    [job] = plan([str(folder / key["report"])], str(folder / key["spec"]))
    from audit import batch

    result = finish_job(batch.auditor(job.auditor).audit(job.report), job)
    return result, batch.selected_rules(job), key


def test_the_seed_verdict_opens_with_its_figure_table():
    result, rules, key = _example(ROOT / "reports" / "qwen3-235b")
    from audit.output import markdown

    lines = markdown.markdown(result, rules).splitlines()
    head = lines[:30]
    table = next(i for i, line in enumerate(head) if line.startswith("| | line | figure | claimed | first principles"))
    assert table < 10
    rows = [line for line in lines[table + 2:] if line.startswith("| ")]
    wrong = [row for row in rows if row.startswith("| ✗ |")]
    must_pass = {entry["line"] for entry in key["must_pass"]}
    wrong_lines = {int(row.split(" | ")[1]) for row in wrong}
    assert not wrong_lines & must_pass  # no figure called wrong on a line the answer key says is right
    assert all(row.split(" | ")[-1].strip(" |") for row in wrong), "every wrong figure has its correction"
    counts = figures.summary(figures.judged(result, figures.covered_metrics(rules)))
    assert f"{counts['wrong']} of {counts['checked']} checked figures wrong" in lines[2]
    assert "100% of peak" in "\n".join(head)


def test_a_pass_verdict_lists_what_it_confirmed():
    from audit.output import markdown

    c = Claim(line=3, text="- Model weights per GPU: 29.4 GB", figure="29.4 GB", label="Model weights per GPU",
              value=29.4e9, unit="B", kind="bytes", metric="weights_per_device", scenario="original")
    text = markdown.markdown(ReportResult("ok.md", "s.yaml", (c,), ()), ())
    assert "**Result: PASS**" in text and "| ✓ | 3 | Model weights per GPU | 29.4 GB |" in text


def test_a_figure_about_another_model_is_unverified_and_says_which(tmp_path, capsys):
    from audit.cli import main

    report = tmp_path / "r.md"
    report.write_text("# Original deployment\n\n- For comparison, Llama-3.1-70B has 70.6B parameters\n",
                      encoding="utf-8")
    assert main(["check", str(report), "--spec", str(ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"),
                 "--format", "json"]) == 0
    [claim] = json.loads(capsys.readouterr().out)["reports"][0]["claims"]
    assert (claim["metric"], claim["status"], claim["about"]) == ("params_total", "unverified", "Llama-3.1-70B")


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_output_schema_validates_every_example_report(folder, capsys):
    from audit.cli import main

    key_report = str(folder / "report.md")
    spec = next(p for p in folder.glob("*.yaml") if p.name != "answer-key.yaml")
    assert main(["check", key_report, "--spec", str(spec), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert main(["schema", "output"]) == 0
    schema = json.loads(capsys.readouterr().out)
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert sorted(validator.iter_errors(doc), key=str) == []
    report = doc["reports"][0]
    assert report["summary"]["wrong"] == sum(1 for c in report["claims"] if c["status"] == "fail")
    assert all(report["findings"][i]["line"] == c["line"] for c in report["claims"] for i in c["findings"])
    assert any("suggestion" in f and "column" in f for f in report["findings"])


def test_sarif_fixes_validate_and_replace_the_figure(tmp_path):
    report = tmp_path / "r.md"
    report.write_text("# Original deployment\n\n- Model weights per GPU: 2.86 GB\n", encoding="utf-8")
    c = Claim(line=3, text="- Model weights per GPU: 2.86 GB", figure="2.86 GB", label="Model weights per GPU",
              value=2.86e9, unit="B", kind="bytes")
    f = Finding("MEM001", "weights-per-device", "error", 3, "m", claim=c, claimed=2.86e9, expected=2.9387e10,
                unit="B", suggestion="29.39 GB")
    log = json.loads(sarif.render([ReportResult(str(report), "s", (c,), (f,))], run_of(tmp_path)))
    assert sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(log), key=str) == []
    [result] = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 26,
                                                                    "endColumn": 33}
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["replacements"] == [{"deletedRegion": {"startLine": 3, "startColumn": 26, "endColumn": 33},
                                       "insertedContent": {"text": "29.39 GB"}}]
    line = report.read_text(encoding="utf-8").splitlines()[2]
    assert line[25:32] == "2.86 GB"  # columns are 1-based, the end column just past the figure


def test_the_job_summary_is_capped_and_counts_what_it_leaves_out():
    verdict = "# Audit of r.md\n\n" + "x" * 99_000 + "\n"
    text = github.compose_summary("# Summary\n", {"error": 25, "warning": 3}, [verdict] * 12, limit=1_000_000)
    assert len(text.encode("utf-8")) < 1_000_000
    assert text.count("# Audit of") == 10 and "2 more reports not shown" in text
    assert "15 more error and 0 more warning annotations" in text


def test_sixty_reports_stay_under_a_mebibyte(tmp_path, monkeypatch):
    from audit.output import markdown

    c = Claim(line=3, text="- Model weights per GPU: 2.86 GB " + "padding " * 2000, figure="2.86 GB",
              label="Model weights per GPU", value=2.86e9, unit="B", kind="bytes", metric="weights_per_device")
    f = Finding("MEM001", "weights-per-device", "error", 3, "weights " * 2000, claim=c, claimed=2.86e9,
                expected=2.9387e10, unit="B")
    results = [ReportResult(f"r{i:02}.md", "s", (c,), (f,)) for i in range(60)]
    assert sum(len(markdown.markdown(r).encode()) for r in results) > 1_048_576  # would be too much
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    github.render(results, Run())
    written = summary.read_bytes()
    assert len(written) < 1_048_576 and b"more reports not shown" in written
    assert written.startswith(b"# Summary") and b"GitHub shows 10 error" in written


def test_locating_figures_is_linear_in_the_figures_of_a_line():
    """Every figure of a line of 10^4 figures is placed in its column: 8 times the figures cost about 8 times the
    time (searching the line and its claims again for each figure cost 64 times). Ratios, not a time budget."""
    import time

    from audit.output.fix import locate

    def cost(n: int) -> float:
        line = " ".join(["12 GB"] * n)
        lines = [line]
        claims = [Claim(line=1, text=line, figure="12 GB", label="", value=12e9, unit="B", kind="bytes", index=i)
                  for i in range(n)]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            places = [locate(c, lines, claims) for c in claims]
            best = min(best, time.perf_counter() - start)
        assert [p.start for p in places[:3] if p] == [1, 7, 13]  # each claim its own occurrence, in order
        return best

    small, large = cost(500), cost(4_000)
    assert large < 32 * small, (small, large)
