"""Which reports a run audits, and what each is held to: paths, directories and globs expanded into
reports, and a `Job` per report with its spec, rule directories and selection (`audit.config`).

1. **Reports**: each PATH is a file, a directory (every `*.md` below it) or a glob (`docs/**/*.md`,
   expanded here too for shells that do not); `-` is the standard input. A walk leaves out what the
   nearest configuration excludes (`exclude`, default: hidden files and directories and
   node_modules; `extend-exclude`), and with `respect-gitignore` (the default) what the repository's
   .gitignore files ignore; a file named explicitly is audited anyway unless `force-exclude` is set.
   A walk never follows a symbolic link out of the directory it was given, audits each file once
   however many links lead to it, and reports the directories it could not read instead of passing
   over them in silence. The reports are sorted by path, and every output lists them in that order.
2. **Spec and rules per report**: the configuration nearest the report gives the spec (unless
   `--spec` or the report itself names one), `rule-dirs`, `select` and `ignore`; a flag given on
   the command line replaces the file's value. A report held to no spec is left to the caller (one
   finding for it, `NO_SPEC`, and the run goes on) or, when the caller asks, an error naming it.

pathspec is imported only when a configuration has exclusions of its own or a .gitignore is met.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from audit import config as cfg
from audit.errors import AuditError
from audit.precompiled import regex
from audit.records import Finding, ReportResult, RuleInfo

_GLOB_MAGIC = regex(r"[*?\[]")
STDIN = "-"

NO_SPEC = RuleInfo(
    id="RUN001", name="no-spec", level="error", check="run",
    description="A Markdown file held to no spec cannot be audited: give --spec, map it in .audit.yaml or "
                "[tool.audit] (spec, specs), name it in the report (<!-- audit-spec: path -->), or exclude the file.",
    example="docs/README.md: no spec for this report",
)
NO_FIGURES = RuleInfo(
    id="RUN002", name="no-figures", level="warning", check="run",
    description="A report with no figure the spec can check passes nothing: a warning (an error with "
                "--require-figures or require-figures: true).",
    example="docs/notes.md: no figure read",
)
RULES = (NO_SPEC, NO_FIGURES)
"""The findings a run makes about a report as a whole (not about one of its figures)."""


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
    select_from: str = "--select"
    """Where `select` comes from: the flag, or "path:line" of the configuration (for an unknown id)."""
    ignore_from: str = "--ignore"
    require_figures: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """The reports some paths stand for, and the directories that could not be read."""

    reports: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(directory, why) for each directory a walk could not list."""
    skipped: list[str] = field(default_factory=list)
    """Links out of a tree walked, to a report or a directory: not followed, and said so."""


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The reports PATH... stands for (`find_reports`); a directory that could not be read is an AuditError."""
    found = find_reports(paths)
    if found.unreadable:
        directory, why = found.unreadable[0]
        raise AuditError(f"cannot read this directory ({why})", directory)
    return found.reports


def find_reports(paths: Sequence[str], force_exclude: bool | None = None) -> Found:
    """The reports PATH... stands for: files, `*.md` under directories, glob matches; sorted, unique.

    A path that does not exist, a glob that matches nothing and a directory without a report are
    AuditErrors naming the path; `-` (the standard input) is kept as it is.
    """
    walker = _Walker()
    named: list[str] = []
    for given in paths:
        if given == STDIN:
            named.append(STDIN)
            continue
        path = Path(given)
        if path.is_dir():
            below = walker.walk(path)
            if not below and not walker.unreadable_under(path):
                raise AuditError("no Markdown report (*.md) in this directory", given)
            named.extend(below)
        elif path.exists() or path.is_symlink():
            if not path.exists():
                raise AuditError("a symbolic link to nothing", given)
            if not walker.excluded(path, explicit=True, force=force_exclude):
                named.append(given)
        elif _GLOB_MAGIC.search(given):
            matches = walker.glob(given)
            if not matches:
                raise AuditError("no file matches this pattern", given)
            for match, is_dir in matches:
                named.extend(walker.walk(Path(match)) if is_dir else [match])
        else:
            raise AuditError("no such file", given)
    unique: dict[str, str] = {}
    for report in named:
        if report == STDIN:
            unique[STDIN] = STDIN
        else:
            _keep_first(unique, os.path.realpath(report), report)
    reports = sorted(unique.values(), key=_path_order)
    return Found(reports, sorted(set(walker.problems)), sorted(set(walker.skipped)))


def _keep_first(unique: dict[str, str], key: str, report: str) -> None:
    """One file, one report: of two paths to it (a link and its target) the first in path order stays."""
    held = unique.get(key)
    if held is None or _path_order(report) < _path_order(held):
        unique[key] = report


def _glob_base(pattern: str) -> str:
    """The part of a glob before its first wildcard segment ("docs/**/*.md" -> "docs")."""
    parts = Path(pattern).parts
    base = []
    for part in parts:
        if _GLOB_MAGIC.search(part):
            break
        base.append(part)
    return str(Path(*base)) if base else "."


def _inside(path: Path, root: Path) -> bool:
    """True when `path`, links resolved, lies under `root` (resolved): a link may not lead out of the tree."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


class _Walker:
    """Directory walks with the exclusions of the nearest configuration and the .gitignore files."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self.skipped: list[str] = []
        self._configs: dict[Path, cfg.Config | None] = {}
        self._ignores: dict[Path, list] = {}
        self._specs: dict[tuple, object] = {}

    def unreadable_under(self, path: Path) -> bool:
        top = str(path)
        return any(d == top or d.startswith(top.rstrip("/") + "/") for d, _ in self.problems)

    def walk(self, top: Path) -> list[str]:
        """Every `*.md` under `top` that is not excluded; links followed only within `top`, each directory once."""
        return sorted((path for path, is_dir in self.entries(top) if not is_dir and path.endswith(".md")),
                      key=_path_order)

    def entries(self, top: Path):
        """(path, is a directory) of everything under `top` a walk may look at: not excluded, links followed
        only when they stay within `top`, each directory once (a link loop ends), files that exist."""
        seen: set[str] = set()
        root = Path(os.path.realpath(top))

        def onerror(err: OSError) -> None:
            self.problems.append((str(err.filename or top), err.strerror or str(err)))

        stack = [str(top)]
        while stack:
            directory = stack.pop()
            real = os.path.realpath(directory)
            if real in seen:
                continue
            seen.add(real)
            try:
                found = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as e:
                onerror(e)
                continue
            subdirs = []
            for entry in found:
                path = Path(entry.path)
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir()  # follows a link
                except OSError as e:
                    onerror(e)
                    continue
                if is_link and not _inside(path, root):
                    if (is_dir or entry.name.endswith(".md")) and not self.excluded(path, directory=is_dir):
                        self.skipped.append(entry.path)  # never out of the tree given, and said so
                    continue
                if is_dir:
                    if not self.excluded(path, directory=True) and os.path.realpath(entry.path) not in seen:
                        subdirs.append(entry.path)
                        yield entry.path, True
                elif os.path.exists(entry.path) and not self.excluded(path):
                    yield entry.path, False
            stack.extend(reversed(subdirs))

    def glob(self, pattern: str) -> list[tuple[str, bool]]:
        """(path, is a directory) of what a glob matches, found by a walk from the part before its first
        wildcard (so a link loop ends and no link leads out of that tree), `**` spanning directories."""
        base = _glob_base(pattern)
        if not os.path.isdir(base):
            return []
        regex = cfg.glob_regex(pattern.removeprefix("./"))
        out = []
        for path, is_dir in self.entries(Path(base)):
            shown = path.removeprefix("./") if not pattern.startswith("./") else path
            if regex.fullmatch(shown):
                out.append((shown, is_dir))
        # a directory that matches stands for the reports under it: its own matches below are the same files
        dirs = [p for p, d in out if d]
        return sorted([(p, d) for p, d in out if not any(p.startswith(x + "/") for x in dirs)],
                      key=lambda item: _path_order(item[0]))

    # --- exclusions ---------------------------------------------------------------------------

    def config(self, directory: Path) -> cfg.Config | None:
        directory = directory.resolve()
        if directory not in self._configs:
            self._configs[directory] = cfg.find_config(directory)
        return self._configs[directory]

    def excluded(self, path: Path, directory: bool = False, explicit: bool = False,
                 force: bool | None = None) -> bool:
        """True when the settings nearest `path` leave it out of a walk (explicit files: only with force-exclude)."""
        config = self.config(path.parent)
        if explicit and not (force if force is not None else (config.force_exclude if config else False)):
            return False
        patterns = (config.exclude if config else cfg.DEFAULT_EXCLUDE) + (config.extend_exclude if config else ())
        root = config.root if config and config.root else None
        if patterns == cfg.DEFAULT_EXCLUDE:
            if path.name.startswith(".") or (directory and path.name == "node_modules"):
                return True
        elif patterns and self._matches(patterns, root or Path.cwd(), path, directory):
            return True
        if config is None or config.respect_gitignore:
            return self._gitignored(path, directory)
        return False

    def _matches(self, patterns: tuple[str, ...], root: Path, path: Path, directory: bool) -> bool:
        spec = self._spec(patterns)
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            relative = path.name
        return bool(spec.match_file(relative + ("/" if directory else "")))  # type: ignore[attr-defined]

    def _spec(self, patterns: tuple[str, ...]):
        found = self._specs.get(patterns)
        if found is None:
            import pathspec

            found = self._specs[patterns] = pathspec.GitIgnoreSpec.from_lines(patterns)
        return found

    def _gitignored(self, path: Path, directory: bool) -> bool:
        """What the .gitignore files from the repository root down to `path`'s directory say of it."""
        for base, spec in reversed(self._gitignores(Path(os.path.abspath(path.parent)))):
            relative = Path(os.path.abspath(path)).relative_to(base).as_posix() + ("/" if directory else "")
            verdict = spec.check_file(relative).include
            if verdict is not None:
                return bool(verdict)
        return False

    def _gitignores(self, directory: Path) -> list:
        """(directory, spec) of the .gitignore files from the repository root (a `.git` above) down to `directory`."""
        if directory in self._ignores:
            return self._ignores[directory]
        parent = directory.parent
        above = [] if (directory / ".git").exists() or parent == directory else self._gitignores(parent)
        here = list(above)
        ignore = directory / ".gitignore"
        if ignore.is_file():
            try:
                lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as e:
                self.problems.append((str(ignore), e.strerror or str(e)))
                lines = []
            if lines:
                import pathspec

                here.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))
        self._ignores[directory] = here
        return here


def _path_order(path: str) -> tuple[str, ...]:
    """Sort key: path segments, so that "a/b.md" sorts before "a-b.md" as a file tree lists them."""
    return Path(path).parts


# --- what each report is held to -----------------------------------------------------------


def plan(reports: Sequence[str], cli_spec: str | None = None, select: Sequence[str] | None = None,
         ignore: Sequence[str] | None = None, rule_dirs: Sequence[str] | None = None,
         missing: list[Job] | None = None, texts: dict[str, str] | None = None,
         require_figures: bool | None = None) -> list[Job]:
    """A Job per report: its spec, rule directories and selection, flags over its nearest config.

    A flag left as None leaves the configuration's value. A report with no spec at all goes to `missing`
    (a Job whose spec is "") when the caller gives that list (the run goes on), else it is an AuditError
    naming the report.
    `texts` holds the text of reports that are not files (the standard input, by the name it goes by).
    """
    configs: dict[Path, cfg.Config | None] = {}
    keys: dict[tuple, AuditorKey] = {}
    jobs: list[Job] = []
    texts = texts or {}
    for report in reports:
        directory = Path(report).resolve().parent
        if directory not in configs:
            configs[directory] = cfg.find_config(directory)
        config = configs[directory]
        spec = cfg.spec_for(Path(report), config, cli_spec, texts.get(report))
        if spec is None and missing is None:
            raise AuditError("no spec for this report: give --spec, map it in .audit.yaml or [tool.audit] "
                             "(`spec:` or `specs:`), or name it in the report (<!-- audit-spec: path -->)", report)
        dirs = tuple(rule_dirs) if rule_dirs is not None else tuple(str(d) for d in (config.rule_dirs if config else ()))
        key = AuditorKey(str(spec or ""), dirs)
        if spec is not None:
            key = keys.setdefault(key.identity, key)
        (jobs if spec is not None else missing).append(Job(  # type: ignore[union-attr]
            report, key,
            tuple(select) if select is not None else (config.select if config else ()),
            tuple(ignore) if ignore is not None else (config.ignore if config else ()),
            "--select" if select is not None or config is None else config.where("select"),
            "--ignore" if ignore is not None or config is None else config.where("ignore"),
            require_figures if require_figures is not None else bool(config and config.require_figures),
        ))
    return jobs


def no_spec_result(report: str) -> ReportResult:
    """The result of a Markdown file held to no spec: one finding (RUN001), nothing audited."""
    message = ("no spec for this report: give --spec, map it in .audit.yaml or [tool.audit] (spec, specs), "
               "name it in the report (<!-- audit-spec: path -->), or exclude the file")
    return ReportResult(report, "", (), (Finding(rule=NO_SPEC.id, name=NO_SPEC.name, severity="error", line=0,
                                                 message=message),))
