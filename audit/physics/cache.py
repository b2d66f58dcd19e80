"""`python -m audit.physics.cache`: regenerate the formula cache from audit/physics/formulas.py.

    python -m audit.physics.cache           # rewrite audit/physics/_formula_cache.py
    python -m audit.physics.cache --check   # exit 1, naming the file, when it is out of date

Run it after editing a formula; the test suite fails while the cache is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "_formula_cache.py"


def stale() -> bool:
    """Whether the cache differs from what the formulas give today."""
    from audit.physics.compiled import cache_source

    return not CACHE.is_file() or CACHE.read_text(encoding="utf-8") != cache_source()


def main(argv: list[str] | None = None) -> int:
    from audit.physics.compiled import cache_source

    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: python -m audit.physics.cache [--check]", file=sys.stderr)
        return 2
    source = cache_source()
    current = CACHE.read_text(encoding="utf-8") if CACHE.is_file() else ""
    if args == ["--check"]:
        if current != source:
            print(f"{CACHE}: out of date; run `python -m audit.physics.cache`", file=sys.stderr)
            return 1
        return 0
    if current != source:
        CACHE.write_text(source, encoding="utf-8")
        print(f"wrote {CACHE}")
    else:
        print(f"{CACHE} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
