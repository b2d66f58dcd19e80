"""`audit check` over one or many reports: spec per report, rules, output format, exit status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from audit.check import Auditor
from audit.errors import AuditError


def run_check(args, write: Callable[[str, str | None], None]) -> int:
    from audit import render

    auditor = Auditor.load(args.spec)
    results = []
    for report in args.reports:
        if not Path(report).exists():
            raise AuditError("no such file", report)
        results.append(auditor.audit(report))
    if args.format == "json":
        write(render.json_document(results), args.output)
    else:
        write("\n".join(render.markdown(r, auditor.rules) for r in results), args.output)
    failing = {"fail"} | ({"warn"} if getattr(args, "strict", False) else set())
    return 1 if any(r.result in failing for r in results) else 0
