"""The batch runner: the jobs of a run (`audit.paths`) audited in this process or in a process pool,
their outcomes streamed back in the order of the jobs.

Reports are grouped by (spec, rule directories) and each group's `Auditor` is loaded once per
process, by resolved path (`AuditorKey.identity`: "specs/q.yaml" and "./specs/q.yaml" load once, and
each verdict names the spec as its job gives it). Every rule is loaded and run, suppressions are
applied (in `Auditor.audit`), and only then are findings of unselected rules dropped, so a
suppression of an ignored rule is not reported unused (see `audit.suppress`).

With more than `POOL_THRESHOLD` reports, or `--jobs N`, they are audited in a pool of worker
processes (`concurrent.futures`, imported only then): by default one per CPU this process may run
on (`os.sched_getaffinity`, not `os.cpu_count()`). A worker renders each report's part of the
output itself (`audit.output.stream.Piece`), so what comes back is text and a small tally, not the
result's object graph; jobs go out in chunks, a bounded number in flight, and the parent writes each
piece as its turn comes and drops it, so its memory stays flat in the number of reports. Under the
`fork` start method workers inherit the Auditors and the physics the parent loaded and warmed (one
report of each Auditor is audited in the parent first), with the loaded state moved out of the
garbage collector's sight (`gc.freeze`) so that neither collections nor copy-on-write touch it.

A report that cannot be audited (unreadable, refused, or a bug of ours) is an outcome with its one
line, and the run goes on; a spec or rule file that cannot be loaded stops the run before anything
is written, once.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError
from audit.paths import AuditorKey, Job
from audit.records import ReportResult

POOL_THRESHOLD = 8
"""More reports than this are audited in a process pool by default; fewer are not worth starting one."""
WARM_AUDITORS = 8
"""At most this many Auditors are warmed in the parent before the pool forks (one report each)."""
IN_FLIGHT = 3
"""Chunks submitted per worker ahead of the one being written: enough to keep every worker busy."""
GC_THRESHOLD = (20_000, 20, 50)
"""Collections during a run: an audit allocates many short-lived objects and few cycles, so the
young generation is collected every 20,000 allocations (Python's default: 700)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a report could not be audited: its AuditError (message, path, place), or a bug of ours."""

    message: str
    path: str | None
    location: str | int | None = None
    internal: bool = False
    """True for an unexpected exception (an internal error: please report it)."""
    trace: str = ""
    """The traceback of an internal error (shown with AUDIT_DEBUG=1)."""

    def error(self) -> AuditError:
        return AuditError(self.message, self.path, self.location)

    def lines(self) -> list[str]:
        return self.error().lines()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What comes back for one job: its rendered piece (or its whole result, when nothing is rendered),
    or why it could not be audited."""

    path: str
    piece: object = None
    """An `audit.output.stream.Piece` when the run renders."""
    result: ReportResult | None = None
    """The result, when the run does not render (`audit_all`)."""
    failure: Failure | None = None


# --- one report, in whichever process -----------------------------------------------------------

_AUDITORS: dict[tuple, object] = {}
"""Auditors loaded in this process, by `AuditorKey.identity`."""
_SELECTED: dict[tuple, list] = {}
"""(Auditor identity, select, ignore) -> the rules selected for such a job (the Markdown verdict's)."""


@dataclass(frozen=True, slots=True)
class _Settings:
    """What every job of a run shares; given to each worker once."""

    max_bytes: int
    renderer: object = None
    """An `audit.output.stream.Renderer`, or None to send whole results back."""
    finish: Callable[[ReportResult, Job], ReportResult] | None = None
    """What becomes of a result before it is rendered, in the worker (default: `selected_findings`);
    a module-level function, so that a `spawn` worker can be given it."""


_RUN: list[_Settings] = []
"""The settings of the run this worker serves (set by `_init_worker`)."""


def auditor(key: AuditorKey):
    """The Auditor of `key`, loaded once per process, with every rule (selection comes after)."""
    loaded = _AUDITORS.get(key.identity)
    if loaded is None:
        from audit.pipeline import Auditor

        loaded = _AUDITORS[key.identity] = Auditor.load(key.spec, tuple(Path(d) for d in key.rule_dirs))
    return loaded


def selected_rules(job: Job) -> list:
    """The rules of the job's Auditor that its --select/--ignore keep."""
    key = (job.auditor.identity, job.select, job.ignore)
    found = _SELECTED.get(key)
    if found is None:
        found = _SELECTED[key] = [r for r in auditor(job.auditor).rules if cfg.selected(r.id, job.select, job.ignore)]
    return found


def _audit_one(job: Job, settings: _Settings) -> Outcome:
    try:
        result = auditor(job.auditor).audit(job.report, settings.max_bytes)
        if result.spec != job.auditor.spec:  # an Auditor loaded by another spelling of the path
            result = replace(result, spec=job.auditor.spec)
        if settings.finish is not None:
            result = settings.finish(result, job)
        else:
            result = selected_findings(result, job.select, job.ignore)
        if settings.renderer is None:
            return Outcome(job.report, result=result)
        return Outcome(job.report, piece=settings.renderer.piece(result, selected_rules(job)))  # type: ignore[attr-defined]
    except AuditError as e:
        return Outcome(job.report, failure=Failure(e.message, e.path or job.report, e.location))
    except Exception as e:  # a bug of ours: this report's outcome says so, the run goes on
        return Outcome(job.report, failure=Failure(
            f"internal error: {type(e).__name__}: {e} (please report it; AUDIT_DEBUG=1 shows the traceback)",
            job.report, internal=True, trace=traceback.format_exc()))


def _init_worker(keys: Sequence[AuditorKey], settings: _Settings) -> None:
    """Pool initializer: the run's settings, and every Auditor (already there under `fork`)."""
    _RUN[:] = [settings]
    gc.set_threshold(*GC_THRESHOLD)
    for key in keys:
        try:
            auditor(key)
        except AuditError:  # reported by the parent, which loads each one first
            pass


def _audit_chunk(jobs: Sequence[Job]) -> list[Outcome]:
    return [_audit_one(job, _RUN[0]) for job in jobs]


# --- a run ----------------------------------------------------------------------------------------


def default_workers() -> int:
    """The CPUs this process may run on (its affinity mask, as taskset or a container sets it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


def stream(jobs: Sequence[Job], max_bytes: int | None = None, workers: int | None = None,
           renderer=None, finish: Callable[[ReportResult, Job], ReportResult] | None = None) -> Iterator[Outcome]:
    """An Outcome per job, in the order of `jobs`, each as soon as it and those before it are done.

    `workers` None: a pool of `default_workers()` processes when there are more than `POOL_THRESHOLD`
    jobs, else this process; 1: this process. `renderer` (an `audit.output.stream.Renderer`) renders
    each report's piece where it was audited; None sends whole results back. `finish(result, job)`,
    run where the report was audited, is what becomes of each result first (default: the findings of
    unselected rules dropped). Every Auditor is loaded here first, so a bad spec or rule file raises
    its AuditError before any outcome.
    """
    from audit.extract import DEFAULT_MAX_BYTES

    settings = _Settings(DEFAULT_MAX_BYTES if max_bytes is None else max_bytes, renderer, finish)
    keys = list({job.auditor.identity: job.auditor for job in jobs}.values())
    for key in keys:  # in this process first: a bad spec fails once, with its own message
        auditor(key)
    if workers is None:
        workers = default_workers() if len(jobs) > POOL_THRESHOLD else 1
    workers = max(1, min(workers, len(jobs)))
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        if workers == 1:
            gc.freeze()  # what is loaded now lives for the run: the run's collections need not walk it
            try:
                for job in jobs:
                    yield _audit_one(job, settings)
            finally:
                gc.unfreeze()
        else:
            yield from _pooled(jobs, keys, settings, workers)
    finally:
        gc.set_threshold(*thresholds)


def _pooled(jobs: Sequence[Job], keys: list[AuditorKey], settings: _Settings, workers: int) -> Iterator[Outcome]:
    import multiprocessing

    # The first report of each Auditor is audited here: it warms the physics that forked workers then
    # inherit, instead of each worker warming its own. These few outcomes wait here for their turn.
    first: dict[tuple, int] = {}
    for i, job in enumerate(jobs):
        if len(first) < WARM_AUDITORS:
            first.setdefault(job.auditor.identity, i)
    ready = {i: _audit_one(jobs[i], settings) for i in sorted(first.values())}
    rest = [i for i in range(len(jobs)) if i not in ready]
    size = max(1, min(32, len(rest) // (workers * 8)))
    chunks = deque(rest[at:at + size] for at in range(0, len(rest), size))
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    gc.collect()
    gc.freeze()  # what is loaded now lives for the run: out of the collector's sight, here and in workers
    try:
        done = 0  # jobs [0, done) have been yielded
        stalled = 0  # pools in a row that broke before giving anything back or finding a suspect
        suspects: set[int] = set()
        while chunks:
            progress, known = False, len(suspects)
            if stalled < 2:
                pooled = _through_pool(jobs, chunks, keys, settings, workers, context, suspects)
            else:  # workers cannot even start: the rest in this process
                pooled = ((i, _audit_one(jobs[i], settings)) for i in [i for c in chunks for i in c])
                chunks.clear()
            for i, outcome in pooled:
                progress = True
                ready[i] = outcome
                while done in ready:
                    yield ready.pop(done)
                    done += 1
            stalled = 0 if progress or len(suspects) > known else stalled + 1
        while done in ready:
            yield ready.pop(done)
            done += 1
    finally:
        gc.unfreeze()


def _through_pool(jobs: Sequence[Job], chunks: deque, keys: list[AuditorKey], settings: _Settings, workers: int,
                  context, suspects: set[int]) -> Iterator[tuple[int, Outcome]]:
    """(job index, outcome) for the chunks of job indices taken from the left of `chunks`, in order,
    through one pool, at most `workers * IN_FLIGHT` chunks in flight.

    When a worker dies (killed, out of memory) the pool is gone, and every chunk in flight fails with
    it, whichever broke it: they go back on `chunks` in order, the one waited for split into single
    jobs. A single job waited for when the pool breaks is a suspect, audited next with nothing else in
    flight; a suspect that breaks a pool so, alone, is reported. The caller goes on with a new pool."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    queue: deque = deque()  # (chunk, future), in job order
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                               initargs=(keys, settings))
    finished = False
    try:
        while chunks or queue:
            waited = False
            try:
                while chunks and len(queue) < workers * IN_FLIGHT:
                    if queue and (_suspect(queue[0][0], suspects) or _suspect(chunks[0], suspects)):
                        break  # a suspect runs alone: a pool that breaks under it was broken by it
                    future = pool.submit(_audit_chunk, [jobs[i] for i in chunks[0]])
                    queue.append((chunks.popleft(), future))
                chunk, future = queue[0]
                waited = True
                outcomes = future.result()
                queue.popleft()
            except BrokenProcessPool:
                back = [c for c, _ in queue]
                if waited:
                    head = back.pop(0)
                    if len(head) > 1:
                        back[:0] = [[i] for i in head]
                    elif head[0] in suspects:
                        yield head[0], _died(jobs[head[0]])
                    else:
                        suspects.add(head[0])
                        back.insert(0, head)
                chunks.extendleft(reversed(back))
                return
            yield from zip(chunk, outcomes, strict=True)
        finished = True
    finally:  # a broken pool, or the reader stopped (an output error, ^C): drop what has not started
        pool.shutdown(wait=True, cancel_futures=not finished)


def _suspect(chunk: list[int], suspects: set[int]) -> bool:
    return len(chunk) == 1 and chunk[0] in suspects


def _died(job: Job) -> Outcome:
    return Outcome(job.report, failure=Failure(
        "internal error: the worker process auditing it died (please report it)", job.report, internal=True))


def audit_all(jobs: Sequence[Job], max_bytes: int | None = None, workers: int | None = None,
              finish: Callable[[ReportResult, Job], ReportResult] | None = None) -> list[ReportResult]:
    """Every job's result, in the order of `jobs`, findings of unselected rules dropped (for a
    program's use; `audit check` streams). The first failure, in job order, is raised."""
    results = []
    for outcome in stream(jobs, max_bytes, workers, finish=finish):
        if outcome.failure is not None:
            raise outcome.failure.error()
        assert outcome.result is not None
        results.append(outcome.result)
    return results


def selected_findings(result: ReportResult, select: Sequence[str], ignore: Sequence[str]) -> ReportResult:
    """`result` without the findings of rules that `select`/`ignore` leave out (`config.selected`)."""
    if not select and not ignore:
        return result
    kept = tuple(f for f in result.findings if cfg.selected(f.rule, select, ignore))
    return replace(result, findings=kept)
