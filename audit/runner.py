"""`audit check` over one or many reports, `audit rules` and `audit rule ID`.

What `audit check PATH...` does, in order:

1. **Reports**: each PATH is a file, a directory (every `*.md` below it, hidden directories and
   files skipped) or a glob (`docs/**/*.md`, expanded here too for shells that do not). The
   reports are de-duplicated and sorted by path, and every output lists them in that order.
2. **Spec and rules per report** (`audit.config`): the configuration nearest the report gives
   the spec (unless `--spec` or the report itself names one), `rule-dirs`, `select` and
   `ignore`; a flag given on the command line replaces the file's value. A report held to no
   spec is an error (exit 2) naming the report.
3. **Audit**: reports are grouped by (spec, rule directories) and each group's `Auditor` is
   loaded once. With more than `POOL_THRESHOLD` reports they are audited in a process pool of
   `os.cpu_count()` workers; each worker loads every Auditor of the run once, in its
   initializer (under the `fork` start method it inherits the parent's, already loaded).
   Every rule is loaded and run, suppressions are applied (in `Auditor.audit`), and only then
   are findings of unselected rules dropped, so a suppression of an ignored rule is not
   reported unused (see `audit.suppress`).
4. **Output**: `--format` (`auto` resolves through `audit.formats.resolve_format`), `-o FILE`,
   `--statistics` after the output; the exit status is 1 when `fail-on` says so
   (`audit.config.failing`), 0 otherwise.

Settings that concern the whole run (`format`, `fail-on`) come from the command line, else from
the configuration nearest the working directory, else from the one nearest the first report.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError
from audit.records import ReportResult, RuleInfo

POOL_THRESHOLD = 8
"""More reports than this are audited in a process pool; fewer are not worth starting one."""
_GLOB_MAGIC = re.compile(r"[*?\[]")

Write = Callable[[str, str | None], None]


@dataclass(frozen=True, slots=True)
class AuditorKey:
    """What an `Auditor` is loaded from: reports with equal keys share one."""

    spec: str
    """The spec path as first met (shown in the verdicts)."""
    rule_dirs: tuple[str, ...] = ()

    @property
    def identity(self) -> tuple[str, tuple[str, ...]]:
        """Resolved paths, so that "specs/q.yaml" and "./specs/q.yaml" load once."""
        return (os.path.realpath(self.spec), tuple(os.path.realpath(d) for d in self.rule_dirs))


@dataclass(frozen=True, slots=True)
class Job:
    """One report to audit and the settings it is audited under."""

    report: str
    auditor: AuditorKey
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Failure:
    """An AuditError raised in a worker, carried back whole (its pickled form would lose path and place)."""

    message: str
    path: str | None
    location: str | int | None

    def error(self) -> AuditError:
        return AuditError(self.message, self.path, self.location)


# --- which reports -----------------------------------------------------------------------------


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The reports PATH... stands for: files, `*.md` under directories, glob matches; sorted, unique.

    A path that does not exist, a glob that matches nothing and a directory without a report are
    AuditErrors naming the path.
    """
    found: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            below = _markdown_below(path)
            if not below:
                raise AuditError("no Markdown report (*.md) in this directory", given)
            found.extend(below)
        elif path.exists():
            found.append(given)
        elif _GLOB_MAGIC.search(given):
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                raise AuditError("no file matches this pattern", given)
            for match in matches:
                found.extend(_markdown_below(Path(match)) if Path(match).is_dir() else [match])
        else:
            raise AuditError("no such file", given)
    unique: dict[str, str] = {}
    for report in found:
        unique.setdefault(os.path.normpath(report), report)
    return sorted(unique.values(), key=_path_order)


def _markdown_below(directory: Path) -> list[str]:
    """Every `*.md` file under `directory`, skipping hidden files and directories (.git, .venv)."""
    out: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(str(Path(root) / f) for f in sorted(files) if f.endswith(".md") and not f.startswith("."))
    return out


def _path_order(path: str) -> tuple[str, ...]:
    """Sort key: path segments, so that "a/b.md" sorts before "a-b.md" as a file tree lists them."""
    return Path(path).parts


# --- what each report is held to -----------------------------------------------------------


def plan(reports: Sequence[str], cli_spec: str | None = None, select: Sequence[str] | None = None,
         ignore: Sequence[str] | None = None, rule_dirs: Sequence[str] | None = None) -> list[Job]:
    """A Job per report: its spec, rule directories and selection, flags over its nearest config.

    A flag left as None leaves the configuration's value; a report with no spec at all is an
    AuditError naming the report.
    """
    configs: dict[Path, cfg.Config | None] = {}
    keys: dict[tuple, AuditorKey] = {}
    jobs = []
    for report in reports:
        directory = Path(report).resolve().parent
        if directory not in configs:
            configs[directory] = cfg.find_config(directory)
        config = configs[directory]
        spec = cfg.spec_for(Path(report), config, cli_spec)
        if spec is None:
            raise AuditError("no spec for this report: give --spec, map it in .audit.yaml or [tool.audit] "
                             "(`spec:` or `specs:`), or name it in the report (<!-- audit-spec: path -->)", report)
        dirs = tuple(rule_dirs) if rule_dirs is not None else tuple(str(d) for d in (config.rule_dirs if config else ()))
        key = AuditorKey(str(spec), dirs)
        key = keys.setdefault(key.identity, key)
        jobs.append(Job(
            report, key,
            tuple(select) if select is not None else (config.select if config else ()),
            tuple(ignore) if ignore is not None else (config.ignore if config else ()),
        ))
    return jobs


# --- auditing, in this process or a pool -------------------------------------------------------

_AUDITORS: dict[tuple, object] = {}
"""Auditors loaded in this process, by `AuditorKey.identity`."""
_MAX_BYTES: list[int] = []
"""The --max-report-bytes of the run, set in each worker by `_init_worker`."""


def auditor(key: AuditorKey):
    """The Auditor of `key`, loaded once per process, with every rule (selection comes after)."""
    loaded = _AUDITORS.get(key.identity)
    if loaded is None:
        from audit.check import Auditor

        loaded = _AUDITORS[key.identity] = Auditor.load(key.spec, tuple(Path(d) for d in key.rule_dirs))
    return loaded


def _init_worker(keys: Sequence[AuditorKey], max_bytes: int) -> None:
    """Pool initializer: load every Auditor of the run once in this process."""
    _MAX_BYTES[:] = [max_bytes]
    for key in keys:
        try:
            auditor(key)
        except AuditError:  # already reported by the parent, which loads each one first
            pass


def _audit_in_worker(job: Job) -> ReportResult | _Failure:
    return _audit_one(job, _MAX_BYTES[0])


def _audit_one(job: Job, max_bytes: int) -> ReportResult | _Failure:
    try:
        return auditor(job.auditor).audit(job.report, max_bytes)
    except AuditError as e:
        return _Failure(e.message, e.path, e.location)


def audit_all(jobs: Sequence[Job], max_bytes: int | None = None, workers: int | None = None) -> list[ReportResult]:
    """Audit every job; results in the order of `jobs`, findings of unselected rules dropped.

    `workers` None means a pool of `os.cpu_count()` processes when there are more than
    `POOL_THRESHOLD` jobs; 1 audits in this process. The first failure (in job order) is raised.
    """
    from audit.parse import DEFAULT_MAX_BYTES

    max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    keys = list({job.auditor.identity: job.auditor for job in jobs}.values())
    for key in keys:  # in this process first: a bad spec fails once, with its own message
        auditor(key)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(jobs)) if len(jobs) > POOL_THRESHOLD else 1
    if workers > 1:
        # The first report of each Auditor is audited here: it warms the model's caches that forked
        # workers then inherit, instead of each worker warming its own.
        first = {job.auditor.identity: i for i, job in reversed(list(enumerate(jobs)))}
        warm = {i: _audit_one(jobs[i], max_bytes) for i in sorted(first.values())}
        rest = [job for i, job in enumerate(jobs) if i not in warm]
        chunk = max(1, len(rest) // (workers * 4))
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(keys, max_bytes)) as pool:
            pooled = iter(pool.map(_audit_in_worker, rest, chunksize=chunk))
            outcomes = [warm[i] if i in warm else next(pooled) for i in range(len(jobs))]
    else:
        outcomes = [_audit_one(job, max_bytes) for job in jobs]
    results = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, _Failure):
            raise outcome.error()
        results.append(selected_findings(outcome, job.select, job.ignore))
    return results


def selected_findings(result: ReportResult, select: Sequence[str], ignore: Sequence[str]) -> ReportResult:
    """`result` without the findings of rules that `select`/`ignore` leave out (`config.selected`)."""
    if not select and not ignore:
        return result
    kept = tuple(f for f in result.findings if cfg.selected(f.rule, select, ignore))
    return replace(result, findings=kept)


# --- output --------------------------------------------------------------------------------------


def summary_table(results: Sequence[ReportResult]) -> str:
    """Markdown table closing a multi-report verdict: one row per report, then the totals."""
    from audit.render import md_escape

    verdicts = {"fail": "FAIL", "warn": "PASS with warnings", "pass": "PASS"}
    lines = ["# Summary", "", "| report | spec | result | errors | warnings | info | suppressed |",
             "|---|---|---|---|---|---|---|"]
    totals = dict.fromkeys(("fail", "warn", "pass"), 0)
    for r in results:
        shown = [f for f in r.findings if f.suppressed is None]
        counts = [sum(f.severity == level for f in shown) for level in ("error", "warning", "info")]
        lines.append(f"| {md_escape(r.path)} | {md_escape(r.spec)} | {verdicts[r.result]} | "
                     + " | ".join(str(n) for n in counts) + f" | {len(r.findings) - len(shown)} |")
        totals[r.result] += 1
    lines += ["", f"{len(results)} reports: {totals['fail']} fail, {totals['warn']} pass with warnings, "
              f"{totals['pass']} pass."]
    return "\n".join(lines) + "\n"


def markdown_document(results: Sequence[ReportResult], rules: Sequence[Sequence]) -> str:
    """The Markdown verdicts one after another; with several reports, the summary table last.

    `rules[i]` are the rules that were run and selected for `results[i]` (`render.markdown`).
    """
    from audit import render

    parts = [render.markdown(r, rs) for r, rs in zip(results, rules, strict=True)]
    if len(results) > 1:
        parts.append(summary_table(results))
    return "\n".join(parts)


def _repository_root(start: Path) -> Path:
    """The nearest directory holding `.git` at or above `start`, else `start` (SARIF URIs are relative to it)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def run_check(args, write: Write) -> int:
    """`audit check`: see the module docstring. Returns the exit status."""
    from audit import formats, suppress

    reports = expand_paths(args.reports)
    jobs = plan(reports, args.spec, _selectors(args.select, "--select"), _selectors(args.ignore, "--ignore"),
                args.rule_dir)
    run_config = cfg.find_config(Path.cwd()) or cfg.find_config(Path(reports[0])) or cfg.Config()
    run_config = cfg.with_flags(run_config, format=args.format, fail_on=args.fail_on)
    results = audit_all(jobs, args.max_report_bytes)
    rules = [[r for r in auditor(job.auditor).rules if cfg.selected(r.id, job.select, job.ignore)] for job in jobs]

    name = formats.resolve_format(run_config.format or "auto")
    if name == "json":
        from audit.render import json_document

        text = json_document(results)
    elif name == "text":
        from audit.formats import text as text_format

        text = text_format.render(results)
    elif name == "github":
        from audit.formats import github

        text = github.render(results)
        github.write_step_summary(markdown_document(results, rules))
    elif name == "sarif":
        from audit.formats import sarif

        infos: dict[str, RuleInfo] = {r.id: r for r in suppress.RULES}
        for key in {job.auditor.identity: job.auditor for job in jobs}.values():
            infos.update((rule.id, rule.info()) for rule in auditor(key).rules)
        text = sarif.render(results, sorted(infos.values(), key=lambda r: r.id), _repository_root(Path.cwd()))
    else:
        text = markdown_document(results, rules)
    write(text, args.output)
    if args.statistics:
        counts = formats.statistics(results)
        if name in ("json", "sarif") and not args.output:
            sys.stderr.write(counts)  # keep the document on stdout parseable
        else:
            sys.stdout.write(counts)
    return 1 if cfg.failing(results, run_config.fail_on) else 0


def _selectors(values: Sequence[str] | None, flag: str) -> tuple[str, ...] | None:
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


# --- audit rules / audit rule ID -----------------------------------------------------------------


def _all_rules(rule_dirs: Sequence[str] | None) -> list:
    """Rules shipped with audit plus those of --rule-dir (else the rule-dirs of the working directory's config)."""
    from audit.rules import load_rules

    if rule_dirs is None:
        config = cfg.find_config(Path.cwd())
        rule_dirs = [str(d) for d in config.rule_dirs] if config else []
    return load_rules(tuple(Path(d) for d in rule_dirs))


def rule_infos(rule_dirs: Sequence[str] | None = None) -> list[RuleInfo]:
    """Every rule, the suppression rules included, sorted by id."""
    from audit import suppress

    infos = [r.info() for r in _all_rules(rule_dirs)] + list(suppress.RULES)
    return sorted(infos, key=lambda r: r.id)


def rules_table(infos: Sequence[RuleInfo]) -> str:
    """`audit rules`: a Markdown table, one row per rule."""
    from audit.render import md_escape

    lines = ["| id | name | level | check | description |", "|---|---|---|---|---|"]
    lines += [f"| {r.id} | {r.name} | {r.level} | {r.check} | {md_escape(r.description)} |" for r in infos]
    return "\n".join(lines) + "\n"


def run_rules(args, write: Write) -> int:
    """`audit rules`: every rule as a table."""
    write(rules_table(rule_infos(args.rule_dir)), args.output)
    return 0


def explain_rule(rule_id: str, rule_dirs: Sequence[str] | None = None, spec: str | None = None) -> str:
    """`audit rule ID`: what the rule checks, its level, tolerance, metrics and formulas, an example.

    With a spec, each formula name that is a first-principles estimate is shown with its
    symbolic formula and the spec's numbers for every scenario. An unknown id (or name) is an
    AuditError listing the closest ones.
    """
    import difflib

    from audit import suppress

    rules = _all_rules(rule_dirs)
    wanted = rule_id.strip().upper()
    rule = next((r for r in rules if wanted in (r.id, r.spec.name.upper())), None)
    if rule is None:
        info = next((r for r in suppress.RULES if wanted in (r.id, r.name.upper())), None)
        if info is None:
            names = [r.id for r in rules] + [r.id for r in suppress.RULES]
            close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else " (`audit rules` lists them)"
            raise AuditError(f"unknown rule '{rule_id}'{hint}")
        return _explain(info, [f"- level: {info.level}", f"- check: {info.check}"])
    s = rule.spec
    facts = [f"- level: {s.level}", f"- check: {s.check}", f"- tolerance: {s.tolerance:.0%}"]
    if s.warn_margin is not None:
        facts.append(f"- warning margin: {s.warn_margin:.0%}")
    facts.append(f"- metric: {', '.join(f'`{m}`' for m in s.metric)}")
    if s.relation:
        facts.append(f"- relation: {s.relation}")
    for field in ("expected", "floor", "ceiling", "min_prompt_floor", "list_total"):
        value = getattr(s, field)
        if value:
            texts = value if isinstance(value, list) else [value]
            facts.append(f"- {field.replace('_', ' ')}: {' or '.join(f'`{t}`' for t in texts)}")
    if s.include_quoted:
        facts.append("- also judges figures the report quotes to dispute")
    facts.append(f"- message: {s.message}")
    facts.append(f"- defined in: {_near(rule.source)}")
    text = _explain(rule.info(), facts)
    if spec:
        text += _formulas(rule, spec)
    else:
        text += ("\nThe names in the formulas are first-principles estimates (see DESIGN.md); give `--spec SPEC` "
                 "to see their symbolic formulas and the numbers of a spec.\n")
    return text


def _explain(info: RuleInfo, facts: list[str]) -> str:
    lines = [f"# {info.id} {info.name}", "", info.description, "", *facts]
    if info.example:
        lines += ["", "Example:", "", f"    {info.example}"]
    return "\n".join(lines) + "\n"


def _formulas(rule, spec: str) -> str:
    """Table of every estimate the rule's formulas name, per scenario of `spec`."""
    from audit.check import Auditor
    from audit.render import fmt

    loaded = Auditor.load(spec)
    names = sorted({n for formulas in rule.formulas.values() for f in formulas for n in f.names} | set(rule.spec.metric))
    lines = ["", f"With the numbers of {spec}:", "", "| scenario | name | formula | with numbers | value |",
             "|---|---|---|---|---|"]
    for scenario, params in loaded.model.scenarios().items():
        estimates = loaded.model.evaluate(params)
        for name in names:
            est = estimates.get(name)
            if est is not None:
                lines.append(f"| {scenario} | `{name}` | `{est.formula}` | `{est.substitution}` | "
                             f"{fmt(est.value, est.unit)} |")
    return "\n".join(lines) + "\n"


def _near(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def run_rule(args, write: Write) -> int:
    """`audit rule ID`: one rule explained."""
    write(explain_rule(args.rule, args.rule_dir, args.spec), args.output)
    return 0
