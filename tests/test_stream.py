"""A streamed run (audit.batch.stream, audit.output.stream): the same bytes as rendering the whole run,
outcomes in input order with or without a pool, and one report that cannot be audited said in one
line while the run goes on.

The figures are hand arithmetic for the seed spec (reports/qwen3-235b/qwen3.yaml, scenario "original":
235.09e9 parameters x 1 B / (TP 2 x PP 4) = 29.39 GB of weights per GPU), as in tests/test_batch.py.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from audit import batch, output, paths, suppress
from audit.cli import main
from audit.output import stream

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SEED_SPEC = SEED / "qwen3.yaml"

CLEAN = "# Original deployment\n\n- Model weights per GPU: 29.4 GB\n- 32 heads per GPU\n"
WRONG = "# Original deployment\n\n- 32 heads per GPU\n- Model weights per GPU: 2.86 GB\n"  # MEM001 on line 4
SUPPRESSED = ("# Original deployment\n\n<!-- audit-disable-next-line MEM001 -- quoted as published -->\n"
              "- Model weights per GPU: 2.86 GB\n")


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch):
    for name in ("GITHUB_ACTIONS", "CI", "GITHUB_STEP_SUMMARY", "AUDIT_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def reports(directory: Path, texts: list[str]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for i, text in enumerate(texts):
        path = directory / f"r{i:03}.md"
        path.write_text(text, encoding="utf-8")
        out.append(str(path))
    return out


def the_run(jobs) -> output.Run:
    infos = {r.id: r for r in suppress.RULES}
    for job in jobs:
        infos.update((rule.id, rule.info()) for rule in batch.auditor(job.auditor).rules)
    rules = [batch.selected_rules(job) for job in jobs]
    return output.Run(rules, sorted(infos.values(), key=lambda r: r.id), ROOT)


RUNS = {
    "no report": [],
    "one clean report": [CLEAN],
    "one wrong report": [WRONG],
    "the seed and others": ["SEED", CLEAN, WRONG, SUPPRESSED, CLEAN],
}


@pytest.mark.parametrize("fmt", list(output.FORMATS))
@pytest.mark.parametrize("texts", list(RUNS.values()), ids=list(RUNS))
def test_the_streamed_output_is_the_rendered_output_byte_for_byte(tmp_path, monkeypatch, fmt, texts):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    seed = SEED.joinpath("report.md").read_text(encoding="utf-8")
    jobs = paths.plan(reports(tmp_path / "docs", [seed if t == "SEED" else t for t in texts]), str(SEED_SPEC))
    results = batch.audit_all(jobs, workers=1)
    run = the_run(jobs)
    rendered = output.render(fmt, results, run)
    rendered_summary = summary.read_text(encoding="utf-8") if summary.exists() else None
    summary.unlink(missing_ok=True)

    renderer = stream.Renderer(fmt, output.Run((), run.infos, run.root))
    pieces = [renderer.piece(r, rules) for r, rules in zip(results, run.rules, strict=True)]
    assert "".join(renderer.join(pieces)) == rendered
    assert (summary.read_text(encoding="utf-8") if summary.exists() else None) == rendered_summary


def test_statistics_from_tallies_are_those_of_the_results(tmp_path):
    jobs = paths.plan(reports(tmp_path, [WRONG, CLEAN, WRONG, SUPPRESSED]), str(SEED_SPEC))
    results = batch.audit_all(jobs, workers=1)
    assert stream.statistics(stream.Tally.of(r) for r in results) == output.statistics(results) \
        == "2\tMEM001\tweights-per-device\n"


# --- in order, with or without a pool --------------------------------------------------------------

MIXED = [CLEAN, WRONG, SUPPRESSED] * 9  # 27 reports: more than POOL_THRESHOLD, several chunks per worker


@pytest.mark.parametrize("workers", [1, 2])
def test_outcomes_come_in_input_order(tmp_path, workers):
    names = reports(tmp_path, MIXED)
    jobs = paths.plan(names, str(SEED_SPEC))
    renderer = stream.Renderer("json", output.Run((), (), ROOT))
    outcomes = list(batch.stream(jobs, workers=workers, renderer=renderer))
    assert [o.path for o in outcomes] == names
    assert [o.piece.tally.result for o in outcomes] == ["pass", "fail", "pass"] * 9


def test_the_pool_and_one_process_write_the_same_bytes(capsys, tmp_path):
    reports(tmp_path / "docs", MIXED)
    outs = []
    for jobs in ("1", "2"):
        status = main(["check", str(tmp_path / "docs"), "--spec", str(SEED_SPEC), "--format", "json", "--jobs", jobs])
        outs.append((status, capsys.readouterr().out))
    assert outs[0] == outs[1] and outs[0][0] == 1
    assert len(json.loads(outs[0][1])["reports"]) == len(MIXED)


def test_default_workers_follow_the_affinity_mask():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert batch.default_workers() == len(os.sched_getaffinity(0))


# --- a report that cannot be audited ---------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_unreadable_report_is_one_line_and_the_run_goes_on(capsys, tmp_path, jobs):
    names = reports(tmp_path / "docs", MIXED)
    Path(names[4]).write_bytes(b"# caf\xe9\n")  # not UTF-8
    status = main(["check", str(tmp_path / "docs"), "--spec", str(SEED_SPEC), "--format", "json", "--jobs", jobs])
    captured = capsys.readouterr()
    assert status == 2  # a report could not be audited
    assert captured.err.splitlines() == [f"audit: {names[4]}:1: not valid UTF-8 (byte 0xe9)"]
    assert [r["path"] for r in json.loads(captured.out)["reports"]] == names[:4] + names[5:]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_internal_error_is_that_report_s_outcome(monkeypatch, tmp_path, workers):
    from audit.pipeline import Auditor

    names = reports(tmp_path, MIXED)
    original = Auditor.audit

    def audit(self, report_path, max_bytes=4_000_000):
        if report_path == names[7]:
            raise KeyError("ki")  # as "Upload buffer: 100 kiB" once did
        return original(self, report_path, max_bytes)

    monkeypatch.setattr(Auditor, "audit", audit)  # inherited by forked workers
    outcomes = list(batch.stream(paths.plan(names, str(SEED_SPEC)), workers=workers))
    failed = [(o.path, o.failure.lines(), o.failure.internal) for o in outcomes if o.failure is not None]
    assert failed == [(names[7], [f"{names[7]}: internal error: KeyError: 'ki' (please report it; AUDIT_DEBUG=1 "
                                  "shows the traceback)"], True)]
    assert [o.path for o in outcomes] == names


def test_a_worker_that_dies_takes_only_its_report(monkeypatch, tmp_path):
    names = reports(tmp_path, MIXED)
    original = batch._audit_one

    def audit_one(job, settings):
        if job.report == names[10]:
            os._exit(3)  # as the kernel's OOM killer would end it
        return original(job, settings)

    monkeypatch.setattr(batch, "_audit_one", audit_one)
    outcomes = list(batch.stream(paths.plan(names, str(SEED_SPEC)), workers=2))
    assert [o.path for o in outcomes] == names
    assert [o.path for o in outcomes if o.failure is not None] == [names[10]]
    assert "worker process auditing it died" in outcomes[10].failure.message


def test_a_bad_spec_stops_the_run_before_any_output(capsys, tmp_path):
    names = reports(tmp_path / "docs", [CLEAN] * 10)
    spec = tmp_path / "bad.yaml"
    shutil.copy(SEED_SPEC, spec)
    spec.write_text(spec.read_text(encoding="utf-8") + "\nunknown_key: 1\n", encoding="utf-8")
    status = main(["check", *names, "--spec", str(spec), "--format", "json"])
    captured = capsys.readouterr()
    assert (status, captured.out) == (2, "")
    assert captured.err.startswith(f"audit: {spec}:")


@pytest.mark.parametrize("value", [
    {}, [], [[]], {"a": {}}, (1, 2.5), 10**30, -0.0, 1e300, 2.675, float("nan"), float("inf"), -float("inf"),
    "é \" \\ \n \u2028 \x00 😀", None, True, False, {"claims": [{"line": 12, "value": 0.638, "quoted": True,
                                                              "scope": ["Original", ""], "note": None}]},
    [1, [2, [3, [{}]]]],
])
def test_the_indented_json_is_the_standard_librarys(value):
    assert stream.dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", [{1: "a"}, {"x": object()}, [{1.5: None}]])
def test_what_has_no_plain_json_form_goes_to_the_standard_library(value):
    try:
        expected: object = json.dumps(value, indent=2, ensure_ascii=False)
    except TypeError as e:
        expected = str(e)
    try:
        got: object = stream.dumps_indented(value)
    except TypeError as e:
        got = str(e)
    assert got == expected
