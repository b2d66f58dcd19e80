"""Which reports a run audits, and what each is held to: paths, directories and globs expanded into
reports, and a `Job` per report with its spec, rule directories and selection (`audit.config`).

1. **Reports**: each PATH is a file, a directory (every `*.md` below it, hidden directories and
   files skipped) or a glob (`docs/**/*.md`, expanded here too for shells that do not). The
   reports are de-duplicated and sorted by path, and every output lists them in that order.
2. **Spec and rules per report**: the configuration nearest the report gives the spec (unless
   `--spec` or the report itself names one), `rule-dirs`, `select` and `ignore`; a flag given on
   the command line replaces the file's value. A report held to no spec is an error (exit 2)
   naming the report.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError

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
