"""The batch runner: the jobs of a run (`audit.paths`) audited in order, or in a process pool.

Reports are grouped by (spec, rule directories) and each group's `Auditor` is loaded once. With more
than `POOL_THRESHOLD` reports they are audited in a process pool of `os.cpu_count()` workers; each
worker loads every Auditor of the run once, in its initializer (under the `fork` start method it
inherits the parent's, already loaded). Every rule is loaded and run, suppressions are applied (in
`Auditor.audit`), and only then are findings of unselected rules dropped, so a suppression of an
ignored rule is not reported unused (see `audit.suppress`). Results come back in the order of the jobs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError
from audit.paths import AuditorKey, Job
from audit.records import ReportResult

POOL_THRESHOLD = 8
"""More reports than this are audited in a process pool; fewer are not worth starting one."""


@dataclass(frozen=True, slots=True)
class _Failure:
    """An AuditError raised in a worker, carried back whole (its pickled form would lose path and place)."""

    message: str
    path: str | None
    location: str | int | None

    def error(self) -> AuditError:
        return AuditError(self.message, self.path, self.location)


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
