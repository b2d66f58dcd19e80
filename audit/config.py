"""Project configuration: `[tool.audit]` in pyproject.toml or an `.audit.yaml`, nearest file wins.

    # .audit.yaml                          # pyproject.toml
    spec: specs/qwen3.yaml                 [tool.audit]
    specs:                                 spec = "specs/qwen3.yaml"
      "reports/deepseek/**": specs/ds.yaml rule-dirs = ["rules-local"]
      "*-h100.md": specs/h100.yaml         select = ["MEM", "TTFT"]
    rule-dirs: [rules-local]               ignore = ["MEM003"]
    select: [MEM, TTFT]                    fail-on = "warning"
    ignore: [MEM003]                       format = "sarif"
    fail-on: warning                       [tool.audit.specs]
    format: sarif                          "reports/deepseek/**" = "specs/ds.yaml"

Discovery follows ruff: walk up from the report's directory; the first directory holding an
`.audit.yaml`, or a pyproject.toml with a `[tool.audit]` table, wins (in one directory
`.audit.yaml` beats pyproject.toml); a pyproject.toml without the table is passed over. Paths in
the file are relative to the file's directory, and so are the `specs` globs: `*` stays within
a path segment, `**` spans segments, and a glob without "/" matches the file name at any depth
(as in .gitignore). Unknown keys and bad values are an `AuditError` naming the file and the key.

Which spec a report is held to, first that applies: the `--spec` flag; the report's own
front-matter key `audit-spec:` or comment line `<!-- audit-spec: path -->` (relative to the
report); the first `specs` glob that matches; the config's `spec`.

Rule selection follows ruff: ids or prefixes ("MEM"), "ALL" for every rule; when a select and an
ignore entry both match, the longer (more specific) one decides, an ignore winning a tie. An entry that
is no rule id and the prefix of none (a typo: "MEMO01", "TTFT") is an error naming the file and the line,
with the closest ids (`unknown_selectors`): a typo must not switch the gate off.

Which files a directory or a glob stands for (`audit.paths`), as ruff's settings: `exclude` replaces
the default exclusions (hidden files and directories, node_modules), `extend-exclude` adds to them; both
are .gitignore-style patterns relative to the file. `respect-gitignore` (default true) also leaves out
what the repository's .gitignore files ignore; `force-exclude` applies the exclusions to files named on
the command line too (as pre-commit names them). `require-figures` makes a report without a checked
figure an error instead of a warning.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from audit.errors import AuditError, close_matches
from audit.precompiled import regex
from audit.records import ReportResult

CONFIG_FILES = (".audit.yaml", "pyproject.toml")
"""Looked for in each directory, in this order."""
KEYS = ("spec", "specs", "rule-dirs", "select", "ignore", "fail-on", "format", "exclude", "extend-exclude",
        "respect-gitignore", "force-exclude", "require-figures")
DEFAULT_EXCLUDE = (".*", "node_modules/")
"""What a directory walk leaves out unless `exclude` says otherwise: hidden files and directories."""
FAIL_ON = ("error", "warning", "never")

_SELECTOR = regex(r"[A-Za-z]+[0-9]*")
_FRONT_MATTER_SPEC = regex(r"""^audit-spec:\s*(?P<q>["']?)(?P<path>.+?)(?P=q)\s*(?:#.*)?$""")
_COMMENT_SPEC = regex(r"^\s*<!--\s*audit-spec:\s*(?P<path>.+?)\s*-->\s*$")


@dataclass(frozen=True, slots=True)
class Config:
    """The settings of one configuration file; `Config()` is the defaults when there is none."""

    path: Path | None = None
    """The file the settings came from (absolute), None for the defaults."""
    spec: Path | None = None
    """Default spec, absolute."""
    specs: tuple[tuple[str, Path], ...] = ()
    """(glob relative to the config file's directory, spec) in file order; the first match wins."""
    rule_dirs: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    """Rule ids or prefixes to report; empty means every rule."""
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    """error | warning | never: the least severe finding that makes `audit check` exit 1."""
    format: str | None = None
    """Output format when the command line names none."""
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    """.gitignore-style patterns (relative to the config's directory) a directory walk or glob leaves out."""
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False
    """Exclusions apply to files named on the command line too (pre-commit names every staged file)."""
    require_figures: bool = False
    """A report with no checked figure is an error, not a warning."""
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    """(key, line) of each setting in the file, for errors found later (an unknown rule id in `select`)."""

    def where(self, key: str) -> str:
        """"path:line" of `key` in the file (the path alone when the line is unknown)."""
        line = dict(self.lines).get(key)
        return f"{self.path}:{line}" if line else str(self.path)

    @property
    def root(self) -> Path | None:
        """The directory that relative paths and `specs` globs in the file are taken from."""
        return self.path.parent if self.path else None


def find_config(start: Path) -> Config | None:
    """The configuration nearest to `start` (a report or a directory), walking up; None when none."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file():
                config = load_config(candidate)
                if config is not None:
                    return config
    return None


def load_config(path: Path) -> Config | None:
    """Read one configuration file; None for a pyproject.toml without `[tool.audit]`."""
    path = Path(path).resolve()
    if path.name == "pyproject.toml":
        import tomllib  # only a run that meets a pyproject.toml pays for it

        text = _read_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise AuditError(f"TOML syntax error: {e}", str(path)) from None
        table = data.get("tool", {}).get("audit") if isinstance(data.get("tool"), dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise AuditError("[tool.audit] must be a table", str(path), _toml_line(text, None))
        return _config(path, table, lambda key: _toml_line(text, key), " in [tool.audit]")
    data, linemap = _load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AuditError("expected a mapping of settings at the top level", str(path), 1)
    return _config(path, data, lambda key: linemap.line((key,)) if key else 1, "")


def with_flags(config: Config, **flags) -> Config:
    """`config` with the command-line flags that were given (not None) put over the file's values."""
    return replace(config, **{k: v for k, v in flags.items() if v is not None})


def spec_for(report: Path, config: Config | None, cli_spec: str | None, text: str | None = None) -> Path | None:
    """The spec `report` is held to: --spec, the report's own line, config `specs` globs, config `spec`.
    `text` is the report's text when it is not a file (the standard input)."""
    if cli_spec:
        return Path(cli_spec)
    report = Path(report)
    named = spec_named_in(_read_text(report) if text is None else text)
    if named:
        return _join(report.parent, named)
    if config is None or config.root is None:
        return None
    for pattern, spec in config.specs:
        if glob_matches(pattern, report, config.root):
            return _near(spec)
    return _near(config.spec) if config.spec else None


def spec_named_in(text: str) -> str | None:
    """The spec path a report names: front-matter `audit-spec:` or an `<!-- audit-spec: path -->` line."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for line in lines[1:]:
            if line.strip() in ("---", "..."):
                break
            match = _FRONT_MATTER_SPEC.match(line.strip())
            if match:
                return match.group("path")
    from audit.suppress import outside_code

    for _, line in outside_code(text.lstrip("\ufeff"), lines):
        match = _COMMENT_SPEC.match(line)
        if match:
            return match.group("path")
    return None


def selected(rule_id: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """True when `rule_id` is reported under `select`/`ignore` (ids, prefixes, "ALL"; empty select = all).

    The most specific matching entry decides; between equally specific ones, ignore wins
    (`select=["MEM"], ignore=["MEM001"]` drops MEM001 only; `select=["MEM001"], ignore=["MEM"]` keeps it).
    """
    rule = rule_id.upper()

    def specificity(selectors: Sequence[str]) -> int:
        return max(
            (0 if s.upper() == "ALL" else len(s) for s in selectors if s.upper() == "ALL" or rule.startswith(s.upper())),
            default=-1,
        )

    chosen = specificity(select) if select else 0
    return chosen >= 0 and specificity(ignore) < chosen


def unknown_selectors(selectors: Sequence[str], known: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(entry, closest ids) for every entry of `selectors` that is neither ALL, a rule id of `known`, nor the
    prefix of one: "MEMO01" -> ("MEMO01", ["MEM001"]), "TTFT" -> ("TTFT", [...])."""
    ids = [k.upper() for k in known]
    out = []
    for entry in selectors:
        wanted = entry.upper()
        if wanted == "ALL" or any(i.startswith(wanted) for i in ids):
            continue
        prefixes = sorted({re.match(r"[A-Z]+", i).group(0) for i in ids if re.match(r"[A-Z]+", i)})  # type: ignore[union-attr]
        close = close_matches(wanted, ids + prefixes)
        out.append((entry, close))
    return out


def failing(results: Sequence[ReportResult], fail_on: str) -> bool:
    """True when `audit check` should exit 1: an unsuppressed finding at or above `fail_on`."""
    if fail_on == "never":
        return False
    bad = {"error": ("fail",), "warning": ("fail", "warn")}[fail_on]
    return any(r.result in bad for r in results)


def glob_matches(pattern: str, path: Path, root: Path) -> bool:
    """True when `path` (a file) matches `pattern`, a glob relative to `root`."""
    try:
        relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return False
    pattern = pattern.removeprefix("./")
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    return glob_regex(pattern).fullmatch(relative) is not None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob -> regex: `**/` any directories (or none), `**` anything, `*` and `?` within a segment."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    if pattern.endswith("/"):
        out.append(".*")  # a directory glob covers what is under it
    return regex("".join(out))


def _config(path: Path, data: Mapping, line_of, where: str) -> Config:
    """Validate the settings table `data` read from `path`."""
    root = path.parent
    name = str(path)

    def fail(message: str, key: str) -> AuditError:
        return AuditError(message, name, line_of(key))

    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key).replace("_", "-"), KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(KEYS)})"
            raise fail(f"unknown key '{key}'{where}{hint}", key)

    def text(key: str) -> str:
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(f"'{key}' must be a non-empty string", key)
        return value.strip()

    def texts(key: str) -> tuple[str, ...]:
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"'{key}' must be a list of strings", key)
        return tuple(v.strip() for v in value)

    def selectors(key: str) -> tuple[str, ...]:
        values = texts(key)
        for v in values:
            if not _SELECTOR.fullmatch(v):
                raise fail(f"'{key}': '{v}' is not a rule id or prefix (like MEM001, MEM or ALL)", key)
        return tuple(v.upper() for v in values)

    def choice(key: str, options: Sequence[str]) -> str:
        value = text(key)
        if value not in options:
            raise fail(f"'{key}' must be one of {', '.join(options)}, not '{value}'", key)
        return value

    settings: dict = {"path": path}
    if "spec" in data:
        settings["spec"] = _join(root, text("spec"))
    if "specs" in data:
        specs = data["specs"]
        if not isinstance(specs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in specs.items()
        ):
            raise fail("'specs' must map report globs to spec paths", "specs")
        settings["specs"] = tuple((k.strip(), _join(root, v.strip())) for k, v in specs.items())
    if "rule-dirs" in data:
        settings["rule_dirs"] = tuple(_join(root, d) for d in texts("rule-dirs"))
    if "select" in data:
        settings["select"] = selectors("select")
    if "ignore" in data:
        settings["ignore"] = selectors("ignore")
    if "fail-on" in data:
        settings["fail_on"] = choice("fail-on", FAIL_ON)
    if "format" in data:
        from audit.output import CHOICES

        settings["format"] = choice("format", CHOICES)
    if "exclude" in data:
        settings["exclude"] = texts("exclude")
    if "extend-exclude" in data:
        settings["extend_exclude"] = texts("extend-exclude")
    for key in ("respect-gitignore", "force-exclude", "require-figures"):
        if key in data:
            if not isinstance(data[key], bool):
                raise fail(f"'{key}' must be true or false", key)
            settings[key.replace("-", "_")] = data[key]
    settings["lines"] = tuple((str(k), line) for k in data if (line := line_of(k)))
    return Config(**settings)


def _load_yaml(path: Path):
    """(data, linemap) of a YAML file through the project's safe loader."""
    from audit.yamlio import load_yaml

    return load_yaml(path)


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AuditError("not UTF-8 text", str(path)) from None
    except OSError as e:
        raise AuditError(f"cannot read: {e.strerror or e}", str(path)) from None


def _toml_line(text: str, key: str | None) -> int | None:
    """Line of `key` in the `[tool.audit]` table of a pyproject.toml (of the table header for None)."""
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if re.match(r"\s*\[\s*tool\s*\.\s*audit\s*\]", line)), None)
    if key is None or header is None:
        return None if header is None else header + 1
    quoted = rf"""["']?{re.escape(key)}["']?"""
    for i in range(header + 1, len(lines)):
        line = lines[i]
        if re.match(rf"\s*{quoted}\s*=", line) or re.match(rf"\s*\[\s*tool\s*\.\s*audit\s*\.\s*{quoted}\s*\]", line):
            return i + 1
        if re.match(r"\s*\[(?!\s*tool\s*\.\s*audit\s*\.)", line):
            break
    return header + 1


def _join(base: Path, path: str) -> Path:
    """`path` taken relative to `base` (unless absolute), with `..` and `.` folded."""
    return Path(os.path.normpath(Path(base) / Path(path).expanduser()))


def _near(path: Path) -> Path:
    """`path` relative to the working directory when it lies under it (shorter, machine-independent output)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
