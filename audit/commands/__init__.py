"""The commands of the CLI, one module each: `check`, `calc`, `rules` (and `rule`), `schema`, `catalog`,
`spec` (`spec from-hf`). Each exposes `run(args, write) -> exit status`; `audit.cli` imports a command's
module only when it runs."""

from collections.abc import Callable, Iterable

Write = Callable[["str | Iterable[str]", "str | None"], None]
"""Where a command's output goes: `write(text, path)`, stdout when path is None; `text` may be pieces
written as they come (`audit check` streams)."""
