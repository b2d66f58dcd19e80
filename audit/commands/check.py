"""`audit check PATH...`: audit reports against their specs, write the verdicts, set the exit status.

Reports and what each is held to come from `audit.batch`; settings that concern the whole run
(`format`, `fail-on`) come from the command line, else from the configuration nearest the working
directory, else from the one nearest the first report. The exit status is 1 when `fail-on` says so
(`audit.config.failing`), 0 otherwise.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audit import batch, paths
from audit import config as cfg
from audit.commands import Write
from audit.errors import AuditError
from audit.records import RuleInfo


def _repository_root(start: Path) -> Path:
    """The nearest directory holding `.git` at or above `start`, else `start` (SARIF URIs are relative to it)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def run(args, write: Write) -> int:
    from audit import output, suppress
    from audit.output.stream import Renderer

    reports = paths.expand_paths(args.reports)
    jobs = paths.plan(reports, args.spec, selectors(args.select, "--select"), selectors(args.ignore, "--ignore"),
                      args.rule_dir)
    run_config = cfg.find_config(Path.cwd()) or cfg.find_config(Path(reports[0])) or cfg.Config()
    run_config = cfg.with_flags(run_config, format=args.format, fail_on=args.fail_on)
    infos: dict[str, RuleInfo] = {r.id: r for r in suppress.RULES}
    for key in {job.auditor.identity: job.auditor for job in jobs}.values():  # a bad spec stops here, once
        infos.update((rule.id, rule.info()) for rule in batch.auditor(key).rules)
    name = output.resolve_format(run_config.format or "auto")
    renderer = Renderer(name, output.Run((), sorted(infos.values(), key=lambda r: r.id), _repository_root(Path.cwd())))
    run = _Streamed()
    write(renderer.join(run.pieces(batch.stream(jobs, args.max_report_bytes, getattr(args, "jobs", None), renderer))),
          args.output)
    if args.statistics:
        counts = output.format_statistics(run.per_rule)
        if name in ("json", "sarif") and not args.output:
            sys.stderr.write(counts)  # keep the document on stdout parseable
        else:
            sys.stdout.write(counts)
    if run.failures:
        return 2
    return 1 if cfg.failing(run.results, run_config.fail_on) else 0  # type: ignore[arg-type]  # it reads .result


class _Streamed:
    """What `audit check` keeps of a run as its output streams by: counts, not results."""

    def __init__(self) -> None:
        self.per_rule: Counter = Counter()
        """(rule, name) -> unsuppressed findings (--statistics)."""
        self.results: list[_Result] = []
        """One per result state met (pass, warn, fail): what the exit status needs."""
        self.failures = 0
        """Reports that could not be audited, each said on stderr as it came."""

    def pieces(self, outcomes):
        states = set()
        for outcome in outcomes:
            if outcome.failure is not None:
                self.failures += 1
                for line in outcome.failure.lines():
                    print(f"audit: {line}", file=sys.stderr)
                if outcome.failure.trace and os.environ.get("AUDIT_DEBUG"):
                    sys.stderr.write(outcome.failure.trace)
                continue
            tally = outcome.piece.tally
            for rule, rule_name, n in tally.rules:
                self.per_rule[rule, rule_name] += n
            if tally.result not in states:
                states.add(tally.result)
                self.results.append(_Result(tally.result))
            yield outcome.piece


@dataclass(frozen=True, slots=True)
class _Result:
    """A result state (pass, warn, fail) where `config.failing` reads a `ReportResult`'s."""

    result: str


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
