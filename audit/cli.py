"""Command line: `audit check`, `audit rules`, `audit rule`, `audit calc`, `audit schema`, `audit catalog`,
`audit spec from-hf`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

from audit import __version__
from audit.config import FAIL_ON
from audit.errors import AuditError
from audit.extract.read import DEFAULT_MAX_BYTES
from audit.output import CHOICES, FORMATS

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with one line, as argparse does, but name the tool
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="audit", description="Recompute the performance figures a Markdown report claims about an "
                "LLM deployment and name every one that contradicts first principles or the report itself.")
    p.add_argument("--version", action="version", version=f"audit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="audit reports against a spec (exit 1 when a report has errors)",
                       description="Audit Markdown reports against a spec. Exit status: 0 no errors, "
                       "1 a finding at or above --fail-on, 2 the command could not run. Settings not given "
                       "here come from the nearest .audit.yaml or [tool.audit] in pyproject.toml.")
    c.add_argument("reports", nargs="+", metavar="PATH",
                   help="Markdown report, directory (every *.md below it) or glob ('docs/**/*.md'); - reads the "
                   "standard input")
    c.add_argument("--spec", metavar="SPEC", help="spec YAML for every report (default: the configuration's "
                   "spec/specs, or the report's own <!-- audit-spec: path --> line)")
    c.add_argument("--format", choices=CHOICES, help="output format (default: the configuration's, else auto: "
                   "github under GitHub Actions, markdown otherwise): "
                   + "; ".join(f"{name}: {what}" for name, what in FORMATS.items()))
    c.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    c.add_argument("--select", action="append", metavar="IDS", help="report only these rules: ids or prefixes, "
                   "comma-separated, repeatable (MEM,LAT001); ALL for every rule")
    c.add_argument("--ignore", action="append", metavar="IDS", help="do not report these rules (ids or prefixes)")
    c.add_argument("--fail-on", choices=FAIL_ON, dest="fail_on",
                   help="least severe finding that makes the exit status 1 (default: error)")
    c.add_argument("--strict", action="store_const", const="warning", dest="fail_on",
                   help="same as --fail-on warning")
    c.add_argument("--statistics", action="store_true", help="count the findings per rule, after the output")
    c.add_argument("--rule-dir", action="append", metavar="DIR", help="directory of extra rule files "
                   "(repeatable; replaces the configuration's rule-dirs)")
    c.add_argument("--max-report-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help=f"refuse reports larger than N bytes (default: {DEFAULT_MAX_BYTES:,})")
    c.add_argument("--stdin-filename", metavar="PATH", help="the name of the report read from - (for its "
                   "configuration, its spec and the output)")
    c.add_argument("--require-figures", action="store_true", default=None, help="a report with no figure the spec "
                   "can check is an error, not a warning (for pipelines)")
    c.add_argument("--force-exclude", action="store_true", default=None, help="apply the configuration's "
                   "exclusions to files named on the command line too (as pre-commit names them)")
    fixing = c.add_mutually_exclusive_group()
    fixing.add_argument("--diff", action="store_true", help="print the unified diff of each report with its "
                        "confident errors corrected, write nothing (exit 1 when there is a correction)")
    fixing.add_argument("--fix", action="store_true", help="write the corrections into the reports (the standard "
                        "input's to stdout), then report what is left")
    c.add_argument("--charts", metavar="DIR", help="write a roofline chart (SVG) per scenario of each report into "
                   "DIR and show it in the Markdown verdict")
    c.add_argument("-j", "--jobs", type=_positive_int, metavar="N", help="audit in N worker processes (default: "
                   "one per CPU this process may use, when there are more than 8 reports; 1: no pool)")

    r = sub.add_parser("rules", help="list every rule: id, name, level, check, description")
    r.add_argument("--rule-dir", action="append", metavar="DIR", help="include the rule files of DIR")
    r.add_argument("-o", "--output", metavar="FILE")

    e = sub.add_parser("rule", help="explain one rule: what it checks, level, tolerance, formula, example")
    e.add_argument("rule", metavar="ID", help="rule id (MEM001) or name (weights-per-device)")
    e.add_argument("--spec", metavar="SPEC", help="also show the formulas with this spec's numbers")
    e.add_argument("--rule-dir", action="append", metavar="DIR", help="include the rule files of DIR")
    e.add_argument("-o", "--output", metavar="FILE")

    s = sub.add_parser("schema", help="print the JSON Schema of the spec format or of `check --format json`")
    s.add_argument("what", choices=["spec", "output"], help="spec: the spec file; output: what --format json prints")

    k = sub.add_parser("calc", help="print every first-principles figure of a spec, per scenario")
    k.add_argument("--spec", required=True, metavar="SPEC")
    k.add_argument("--scenario", metavar="NAME", help="only this scenario")
    k.add_argument("--format", default="markdown", choices=["markdown", "json"])
    k.add_argument("-o", "--output", metavar="FILE")
    k.add_argument("--charts", metavar="DIR", help="also write a roofline chart (SVG) per scenario into DIR")

    g = sub.add_parser("catalog", help="list the accelerators and models shipped with audit, or show one")
    g.add_argument("name", nargs="?", metavar="NAME", help="one accelerator or model (name or alias): every field "
                   "and its source")
    g.add_argument("--format", default="text", choices=["text", "markdown", "json"],
                   help="text: tables that fit 100 columns (default); markdown: the full tables; json")
    g.add_argument("-o", "--output", metavar="FILE")

    sp = sub.add_parser("spec", help="make specs")
    spsub = sp.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True)
    hf = spsub.add_parser("from-hf", help="turn a Hugging Face config.json into a spec")
    hf.add_argument("config", metavar="CONFIG_JSON")
    hf.add_argument("--hardware", metavar="NAME", help="accelerator from `audit catalog`")
    hf.add_argument("--devices", type=_positive_int, metavar="N", help="devices available (default: one node of 8)")
    hf.add_argument("--name", metavar="NAME", help="the model's name (default: the config's _name_or_path, "
                    "else its architectures, else the folder)")
    hf.add_argument("-o", "--output", metavar="FILE")
    return p


def _write(text: str | Iterable[str], output: str | None) -> None:
    """Write `text`, or its pieces as they come (a streamed run), to `output` or stdout."""
    chunks = (text,) if isinstance(text, str) else text
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as f:
                for chunk in chunks:
                    f.write(chunk)
        except OSError as e:
            raise AuditError(f"cannot write: {e.strerror}", output) from None
    else:
        for chunk in chunks:
            sys.stdout.write(chunk)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _run(args)
    except AuditError as e:
        for line in e.lines():
            print(f"audit: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug of ours, not the input's: still one line, the traceback on request
        if os.environ.get("AUDIT_DEBUG"):
            raise
        print(f"audit: internal error: {type(e).__name__}: {e} (please report it; AUDIT_DEBUG=1 shows the "
              "traceback)", file=sys.stderr)
        return EXIT_USAGE


def console() -> None:
    """The `audit` command: `main`, then an exit that does not walk the heap.

    Start-up (modules, rules, vocabulary, spec) allocates what lives for the whole run, ~60,000 objects:
    no collection walks them before the run freezes them (`audit.batch.stream`; ~12 ms of a cold check).
    The objects of a run are frozen before the interpreter ends, so its last garbage collection does
    not visit them (~30 ms of a cold check: the whole collector's share of the run's end)."""
    import gc

    gc.set_threshold(_START_UP_GC, *gc.get_threshold()[1:])
    status = main()
    gc.freeze()
    sys.exit(status)


_START_UP_GC = 100_000
"""Allocations before a collection of the young generation while the command starts: more than start-up makes."""


# command -> (module, function(args, write) -> exit status); imported only when the command runs
_COMMANDS = {
    "check": ("audit.commands.check", "run"),
    "rules": ("audit.commands.rules", "run"),
    "rule": ("audit.commands.rules", "run_rule"),
    "schema": ("audit.commands.schema", "run"),
    "calc": ("audit.commands.calc", "run"),
    "catalog": ("audit.commands.catalog", "run"),
    "spec": ("audit.commands.spec", "run"),
}


def _run(args) -> int:
    import importlib

    module, function = _COMMANDS[args.command]
    return getattr(importlib.import_module(module), function)(args, _write)


if __name__ == "__main__":
    sys.exit(main())
