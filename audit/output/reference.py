"""The generated parts of docs/: the metrics, the interpretation axes, the rules and the formats, written
from the registries that define them, so the documentation cannot drift from the code.

A generated section of a Markdown file sits between ``<!-- generated: NAME -->`` and
``<!-- end generated -->``; tests/test_docs.py fails when one differs from what `SECTIONS[NAME]()` gives
(`AUDIT_UPDATE_GOLDEN=1` rewrites them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from audit.precompiled import regex


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def metrics() -> str:
    from audit.physics.formulas import METRICS

    lines = ["| metric | unit | kind | axes | pinned | what it is |", "|---|---|---|---|---|---|"]
    for name, m in METRICS.items():
        pins = ", ".join(f"{a}={o}" for a, o in m.pins)
        lines.append(f"| `{name}` | {m.unit} | {m.kind} | {', '.join(m.axes)} | {pins} | {_cell(m.description)} |")
    return "\n".join(lines)


def axes() -> str:
    from audit.physics.axes import AXES

    lines = ["| axis | options (canonical first) |", "|---|---|"]
    for name, axis in AXES.items():
        options = "; ".join(f"`{o.name}`: {o.label}" + (" (bounds only)" if o.bounds_only else "")
                            for o in axis.options)
        lines.append(f"| `{name}` | {_cell(options)} |")
    return "\n".join(lines)


def rules() -> str:
    from audit.judge.rules import load_rules
    from audit.paths import RULES as RUN_RULES
    from audit.suppress import RULES

    lines = ["| id | name | level | check | metrics | tolerance | what it checks |", "|---|---|---|---|---|---|---|"]
    for r in load_rules():
        s = r.spec
        lines.append(f"| {s.id} | {s.name} | {s.level} | {s.check} | {', '.join(s.metric)} | {s.tolerance:.0%} | "
                     f"{_cell(s.description)} |")
    for info in (*RULES, *RUN_RULES):
        lines.append(f"| {info.id} | {info.name} | {info.level} | {info.check} | | | {_cell(info.description)} |")
    return "\n".join(lines)


def formats() -> str:
    from audit.output import FORMATS

    return "\n".join(f"- `{name}`: {what}" for name, what in FORMATS.items())


SECTIONS: dict[str, Callable[[], str]] = {"metrics": metrics, "axes": axes, "rules": rules, "formats": formats}

_SECTION = regex(r"(<!-- generated: (?P<name>\w+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def regenerate(text: str) -> str:
    """`text` with every generated section written anew."""
    return _SECTION.sub(lambda m: m.group(1) + SECTIONS[m.group("name")]() + "\n" + m.group(4), text)
