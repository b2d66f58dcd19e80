"""The batch runner: many reports, each held to its spec and rules, audited in order or in a pool.

What `audit check PATH...` does with its paths, in order:

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
4. **Output** is `audit.commands.check`'s: the results come back in the order of the reports.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError
from audit.records import ReportResult

POOL_THRESHOLD = 8
"""More reports than this are audited in a process pool; fewer are not worth starting one."""
_GLOB_MAGIC = re.compile(r"[*?\[]")



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
        from audit.pipeline import Auditor

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
    from audit.extract import DEFAULT_MAX_BYTES

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
        if outcome.spec != job.auditor.spec:  # an Auditor an earlier run of this process loaded by another path
            outcome = replace(outcome, spec=job.auditor.spec)
        results.append(selected_findings(outcome, job.select, job.ignore))
    return results


def selected_findings(result: ReportResult, select: Sequence[str], ignore: Sequence[str]) -> ReportResult:
    """`result` without the findings of rules that `select`/`ignore` leave out (`config.selected`)."""
    if not select and not ignore:
        return result
    kept = tuple(f for f in result.findings if cfg.selected(f.rule, select, ignore))
    return replace(result, findings=kept)
