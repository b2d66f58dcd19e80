"""Command line: `audit check`, `audit calc`, `audit schema`, `audit catalog`, `audit spec from-hf`, `audit rules`."""

from __future__ import annotations

import argparse
import sys

from audit import __version__
from audit.errors import AuditError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with one line, as argparse does, but name the tool
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="audit", description="Recompute the performance figures a Markdown report claims about an "
                "LLM deployment and name every one that contradicts first principles or the report itself.")
    p.add_argument("--version", action="version", version=f"audit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="audit reports against a spec (exit 1 when a report has errors)",
                       description="Audit Markdown reports against a spec. Exit status: 0 no errors, "
                       "1 at least one error, 2 the command could not run.")
    c.add_argument("reports", nargs="+", metavar="REPORT", help="Markdown report(s)")
    c.add_argument("--spec", required=True, metavar="SPEC", help="spec YAML: model, hardware, precision, workload")
    c.add_argument("--format", default="markdown", choices=["markdown", "json"], help="output format (default: markdown)")
    c.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    c.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    s = sub.add_parser("schema", help="print the JSON Schema of a file format")
    s.add_argument("what", choices=["spec"], help="which schema")

    k = sub.add_parser("calc", help="print every first-principles figure of a spec, per scenario")
    k.add_argument("--spec", required=True, metavar="SPEC")
    k.add_argument("--scenario", metavar="NAME", help="only this scenario")
    k.add_argument("--format", default="markdown", choices=["markdown", "json"])
    k.add_argument("-o", "--output", metavar="FILE")

    sub.add_parser("catalog", help="list the accelerators and models shipped with audit")

    sp = sub.add_parser("spec", help="make specs")
    spsub = sp.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True)
    hf = spsub.add_parser("from-hf", help="turn a Hugging Face config.json into a spec")
    hf.add_argument("config", metavar="CONFIG_JSON")
    hf.add_argument("--hardware", metavar="NAME", help="accelerator from `audit catalog`")
    hf.add_argument("-o", "--output", metavar="FILE")
    return p


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as e:
            raise AuditError(f"cannot write: {e.strerror}", output) from None
    else:
        sys.stdout.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _run(args)
    except AuditError as e:
        print(f"audit: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    if args.command == "check":
        from audit.runner import run_check

        return run_check(args, _write)
    if args.command == "schema":
        import json

        from audit.spec import Spec

        _write(json.dumps(Spec.model_json_schema(), indent=2, sort_keys=True) + "\n", None)
        return EXIT_OK
    if args.command == "calc":
        from audit.calc import run_calc

        return run_calc(args, _write)
    if args.command == "catalog":
        from audit.catalog import run_catalog

        return run_catalog(args, _write)
    if args.command == "spec":
        from audit.hf import run_from_hf

        return run_from_hf(args, _write)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
