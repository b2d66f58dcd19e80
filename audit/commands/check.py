"""`audit check PATH...`: audit reports against their specs, write the verdicts, set the exit status.

Reports and what each is held to come from `audit.batch`; settings that concern the whole run
(`format`, `fail-on`) come from the command line, else from the configuration nearest the working
directory, else from the one nearest the first report. The exit status is 1 when `fail-on` says so
(`audit.config.failing`), 0 otherwise.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
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

    reports = paths.expand_paths(args.reports)
    jobs = paths.plan(reports, args.spec, selectors(args.select, "--select"), selectors(args.ignore, "--ignore"),
                      args.rule_dir)
    run_config = cfg.find_config(Path.cwd()) or cfg.find_config(Path(reports[0])) or cfg.Config()
    run_config = cfg.with_flags(run_config, format=args.format, fail_on=args.fail_on)
    results = batch.audit_all(jobs, args.max_report_bytes)
    rules = [[r for r in batch.auditor(job.auditor).rules if cfg.selected(r.id, job.select, job.ignore)]
             for job in jobs]
    infos: dict[str, RuleInfo] = {r.id: r for r in suppress.RULES}
    for key in {job.auditor.identity: job.auditor for job in jobs}.values():
        infos.update((rule.id, rule.info()) for rule in batch.auditor(key).rules)
    name = output.resolve_format(run_config.format or "auto")
    text = output.render(name, results, output.Run(rules, sorted(infos.values(), key=lambda r: r.id),
                                                   _repository_root(Path.cwd())))
    write(text, args.output)
    if args.statistics:
        counts = output.statistics(results)
        if name in ("json", "sarif") and not args.output:
            sys.stderr.write(counts)  # keep the document on stdout parseable
        else:
            sys.stdout.write(counts)
    return 1 if cfg.failing(results, run_config.fail_on) else 0


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
