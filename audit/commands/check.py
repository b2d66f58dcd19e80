"""`audit check PATH...`: audit reports against their specs, write the verdicts, set the exit status.

Reports and what each is held to come from `audit.paths`; settings that concern the whole run
(`format`, `fail-on`) come from the command line, else from the configuration nearest the working
directory, else from the one nearest the first report. Every report is audited with every rule
(`audit.batch`), then finished as `audit.check` finishes one (`audit.api.finish`: suppressions of no
rule, a report without a checked figure, the selection, the corrections). A Markdown file held to no
spec is one finding (RUN001) and the run goes on; so does a report that cannot be audited (unreadable,
refused), with one line on stderr, and the exit status is then 2. Otherwise it is 1 when `fail-on` says so
(`audit.config.failing`), 0 otherwise; 2 when the command could not run. The runner (`audit.batch`) calls
`finish_job` where each report was audited.

`--diff` prints the unified diff of each report with its confident errors corrected (exit 1 when there
is one); `--fix` writes the corrections (the standard input's to stdout) and then reports what is left.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audit import batch, paths
from audit import config as cfg
from audit.commands import Write
from audit.errors import AuditError
from audit.records import ReportResult, RuleInfo


def _repository_root(start: Path) -> Path:
    """The nearest directory holding `.git` at or above `start`, else `start` (SARIF URIs are relative to it)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def run(args, write: Write) -> int:
    from audit import api, output, suppress

    found = paths.find_reports(args.reports, force_exclude=getattr(args, "force_exclude", None) or None)
    for directory, why in found.unreadable:
        print(f"audit: {directory}: cannot read this directory ({why}); the reports in it are not audited",
              file=sys.stderr)
    for link in found.skipped:
        print(f"audit: {link}: a symbolic link leading out of the tree: not followed", file=sys.stderr)
    reports = list(found.reports)
    texts: dict[str, str] = {}
    if paths.STDIN in reports:
        name = getattr(args, "stdin_filename", None) or paths.STDIN
        texts[name] = _read_stdin(args.max_report_bytes)
        reports = [name if r == paths.STDIN else r for r in reports]
    elif getattr(args, "stdin_filename", None):
        raise AuditError("--stdin-filename names the standard input: give - among the paths")
    missing: list[paths.Job] = []
    jobs = paths.plan(reports, args.spec, selectors(args.select, "--select"), selectors(args.ignore, "--ignore"),
                      args.rule_dir, missing=missing, texts=texts,
                      require_figures=True if getattr(args, "require_figures", False) else None)
    first = Path(reports[0]) if reports else Path.cwd()
    run_config = cfg.find_config(Path.cwd()) or cfg.find_config(first) or cfg.Config()
    run_config = cfg.with_flags(run_config, format=args.format, fail_on=args.fail_on)
    for job in jobs:  # a bad spec, rule file or selection stops the run before any report is audited
        api.validate_selection(job.select, job.ignore, batch.auditor(job.auditor), job.select_from, job.ignore_from)
    infos: dict[str, RuleInfo] = {r.id: r for r in (*suppress.RULES, *paths.RULES)}
    for key in {job.auditor.identity: job.auditor for job in jobs}.values():
        infos.update((rule.id, rule.info()) for rule in batch.auditor(key).rules)
    name = output.resolve_format(run_config.format or "auto")
    run = _Run(reports, jobs, missing, texts, args)
    if not (getattr(args, "diff", False) or getattr(args, "fix", False) or getattr(args, "charts", None)):
        # the common case streams: each report's part of the output is rendered where it was audited and
        # written as its turn comes (`audit.output.stream`), so memory stays flat in the number of reports
        from audit.output.stream import Renderer

        renderer = Renderer(name, output.Run((), sorted(infos.values(), key=lambda r: r.id),
                                             _repository_root(Path.cwd()), sources=dict(texts)))
        write(renderer.join(run.pieces(renderer)), args.output)
        _statistics(args, name, output.format_statistics(run.per_rule))
        return 2 if run.failed else 1 if cfg.failing(run.states, run_config.fail_on) else 0  # type: ignore[arg-type]
    results = dict(run.results())
    order = [r for r in reports if r in results]
    by_job = {job.report: job for job in jobs}
    if getattr(args, "diff", False) or getattr(args, "fix", False):
        fixed = _corrected(order, by_job, results, texts, args)
        if args.diff:
            write("".join(diff for _, diff, _ in fixed.values()), args.output)
            return 2 if run.failed else 1 if any(diff for _, diff, _ in fixed.values()) else 0
        results.update({report: result for report, (_, _, result) in fixed.items() if result is not None})
        texts.update({report: text for report, (text, diff, _) in fixed.items() if diff})
    final = [results[r] for r in order]
    rules = [_selected_rules(by_job[report]) if report in by_job else [] for report in order]
    charts = _charts(args, final, by_job) if getattr(args, "charts", None) else {}
    run_ = output.Run(rules, sorted(infos.values(), key=lambda r: r.id), _repository_root(Path.cwd()),
                      charts=charts, sources={r: texts[r] for r in order if r in texts})
    write(output.render(name, final, run_), args.output)
    _statistics(args, name, output.statistics(final))
    return 2 if run.failed else 1 if cfg.failing(final, run_config.fail_on) else 0


def _statistics(args, name: str, counts: str) -> None:
    if args.statistics:
        if name in ("json", "sarif") and not args.output:
            sys.stderr.write(counts)  # keep the document on stdout parseable
        else:
            sys.stdout.write(counts)


@dataclass(frozen=True, slots=True)
class _State:
    """A result state (pass, warn, fail) where `config.failing` reads a `ReportResult`'s."""

    result: str


class _Run:
    """The reports of one `audit check`, in path order: those with a spec audited by `audit.batch` (in a pool
    when there are many), the standard input's and those held to no spec here; what is kept of each."""

    def __init__(self, reports: Sequence[str], jobs: Sequence[paths.Job], missing: Sequence[paths.Job],
                 texts: dict[str, str], args) -> None:
        self.reports, self.texts, self.args = list(reports), texts, args
        self.jobs = {job.report: job for job in jobs}
        self.missing = {job.report: job for job in missing}
        self.failed = False
        self.per_rule: Counter = Counter()
        self.states: list[_State] = []

    def _outcomes(self, renderer=None):
        """(report, outcome) in path order; an outcome is a batch Outcome, or a result made here."""
        files = [self.jobs[r] for r in self.reports if r in self.jobs and r not in self.texts]
        stream = batch.stream(files, self.args.max_report_bytes, getattr(self.args, "jobs", None), renderer,
                              finish=finish_job)
        for report in self.reports:
            if report in self.missing:
                job = self.missing[report]
                result = paths.no_spec_result(report)
                yield report, replace(result, findings=tuple(
                    f for f in result.findings if cfg.selected(f.rule, job.select, job.ignore))), []
            elif report in self.texts:
                job = self.jobs[report]
                result = batch.auditor(job.auditor).audit_text(self.texts[report], report,
                                                               max_figures=self.args.max_report_bytes // 400)
                yield report, finish_job(result, job), _selected_rules(job)
            elif report in self.jobs:
                outcome = next(stream)
                if outcome.failure is not None:  # one line for it, and the run goes on (exit 2 at the end)
                    self.failed = True
                    if outcome.failure.trace and os.environ.get("AUDIT_DEBUG"):
                        sys.stderr.write(outcome.failure.trace)
                    for line in outcome.failure.lines():
                        print(f"audit: {line}", file=sys.stderr)
                    continue
                yield report, outcome, None

    def results(self):
        """(report, result) of every report that could be audited."""
        for report, outcome, _ in self._outcomes():
            yield report, outcome if isinstance(outcome, ReportResult) else outcome.result

    def pieces(self, renderer):
        """The rendered piece of every report that could be audited, counts kept for the exit status."""
        states: set[str] = set()
        for _, outcome, rules in self._outcomes(renderer):
            piece = renderer.piece(outcome, rules) if isinstance(outcome, ReportResult) else outcome.piece
            for rule, rule_name, n in piece.tally.rules:
                self.per_rule[rule, rule_name] += n
            if piece.tally.result not in states:
                states.add(piece.tally.result)
                self.states.append(_State(piece.tally.result))
            yield piece


def finish_job(result: ReportResult, job: paths.Job) -> ReportResult:
    """What becomes of each result where it was audited (`audit.batch`'s `finish`): `audit.api.finish` under
    the job's selection (a module-level function: a worker process is given it)."""
    from audit import api

    return api.finish(result, batch.auditor(job.auditor), job.select, job.ignore, job.require_figures)


def _selected_rules(job: paths.Job) -> list:
    return [rule for rule in batch.auditor(job.auditor).rules if cfg.selected(rule.id, job.select, job.ignore)]


def _read_stdin(max_bytes: int) -> str:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AuditError(f"the standard input is over the {max_bytes:,}-byte limit (raise it with --max-report-bytes)")
    if b"\0" in data[:8192]:
        raise AuditError("the standard input is binary, not a Markdown report")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AuditError(f"not valid UTF-8 (byte 0x{data[e.start]:02x})", "-", data[: e.start].count(b"\n") + 1) \
            from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _source(report: str) -> str | None:
    """The report's text for columns and fixes (None when it cannot be read now: the verdict has it anyway)."""
    from audit.extract import read_report

    try:
        return read_report(report)
    except AuditError:
        return None


def _corrected(order: Sequence[str], jobs: dict, results: dict[str, ReportResult], texts: dict[str, str], args) \
        -> dict[str, tuple[str, str, ReportResult | None]]:
    """report -> (corrected text, diff, audit of the corrected text) for every report with a spec."""
    from audit import api
    from audit.output import fix

    out: dict[str, tuple[str, str, ReportResult | None]] = {}
    fixed_figures = 0
    for report in order:
        job = jobs.get(report)
        if job is None or not any(fix.confident(f) for f in results[report].findings):
            continue
        before = texts.get(report)
        if before is None:
            from audit.extract import read_report

            before = read_report(report, args.max_report_bytes)
        after, result, changed = api.fix_text(before, report, batch.auditor(job.auditor), job.select, job.ignore,
                                              max_figures=args.max_report_bytes // 400)
        diff = fix.unified_diff(before, after, report)
        out[report] = (after, diff, result)
        if diff and args.fix:
            fixed_figures += len(changed)
            if report in texts:
                sys.stdout.write(after)
            else:
                with open(report, "w", encoding="utf-8", newline="\n") as f:
                    f.write(after)
    if args.fix:
        changed_reports = sum(1 for _, diff, _ in out.values() if diff)
        print(f"audit: corrected {fixed_figures} line{'s' if fixed_figures != 1 else ''} in {changed_reports} "
              f"report{'s' if changed_reports != 1 else ''}", file=sys.stderr)
    return out


def _charts(args, results: Sequence[ReportResult], jobs: dict) -> dict[str, list[tuple[str, str]]]:
    """Write a roofline chart per scenario of each report into --charts DIR; report -> (scenario, link)."""
    from audit.output import chart

    directory = Path(args.charts)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AuditError(f"cannot create the charts directory: {e.strerror or e}", str(directory)) from None
    base = Path(args.output).resolve().parent if args.output else Path.cwd()
    out: dict[str, list[tuple[str, str]]] = {}
    for result in results:
        job = jobs.get(result.path)
        if job is None or not result.estimates:
            continue
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(Path(result.path).with_suffix("")).strip("./")) or "report"
        for scenario, svg in chart.report_charts(result, batch.auditor(job.auditor).rules).items():
            target = directory / f"{stem}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', scenario)}.svg"
            try:
                target.write_text(svg, encoding="utf-8", newline="\n")
            except OSError as e:
                raise AuditError(f"cannot write: {e.strerror or e}", str(target)) from None
            out.setdefault(result.path, []).append((scenario, os.path.relpath(target.resolve(), base)))
    return out


def selectors(values: Sequence[str] | None, flag: str) -> tuple[str, ...] | None:
    """Comma-separated, repeatable --select/--ignore values as upper-case ids or prefixes (None if not given)."""
    if values is None:
        return None
    out = []
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if not item:
                continue
            if not re.fullmatch(r"[A-Za-z]+[0-9]*", item):
                raise AuditError(f"{flag}: '{item}' is not a rule id or prefix (like MEM001, MEM or ALL)")
            out.append(item.upper())
    return tuple(out)
