"""Fuzzing: random and mutated input for every reader of text that strangers write.

Targets: the unit parser and the figure scanner (audit.units), the claim extractor
(audit.extract), the spec loader (audit.yamlio + pydantic + semantic checks, via
audit.spec.load.load_spec), the rule loader (audit.judge.rules.load_rule_file, then every formula it
admits evaluated over extreme numbers) and the whole audit (Auditor.audit_text, then the Markdown
and JSON outputs). The only allowed outcomes are a result or an AuditError (UnitError included);
anything else is a bug.

Every input fuzzing has found a bug with is kept in tests/fuzz_regressions/<target>/ and
replayed by `test_regression_corpus` (see tests/fuzz_regressions/README.md).

Profiles (tests/conftest.py): HYPOTHESIS_PROFILE=ci (default, short), dev, long (10^5 examples
per target; the whole-audit target runs a twentieth of that, it costs ~20x more per example).
"""

from __future__ import annotations

import json
import math
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audit import extract, units
from audit.errors import AuditError, UnitError
from audit.output import json as json_output
from audit.output import markdown

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
CORPUS = Path(__file__).resolve().parent / "fuzz_regressions"
REPORT = (SEED / "report.md").read_text(encoding="utf-8")
SPEC = (SEED / "qwen3.yaml").read_text(encoding="utf-8")
RULE_FILE = (ROOT / "rules" / "memory.yaml").read_text(encoding="utf-8")
SENTENCES = [line for line in REPORT.splitlines() if any(ch.isdigit() for ch in line)]
_SCRATCH = Path(tempfile.mkdtemp(prefix="audit-fuzz-"))

# Fragments that matter to the readers: numbers at the edges of float, unit spellings, Markdown
# structure, YAML syntax, and characters that are not what they look like.
TOKENS = [
    "0", "1", "9", "-1", "0.5", "2,480.50", "1e308", "1e309", "1e-320", "1e400", "9" * 40, "1_000", "0x1F",
    "2.94 × 10^10", "10^999", "~", "≈", "about ", "%", "x", "×", "4x4x2", "[1, 2]", "[", "]", "24-30", "–",
    " GB", " GiB", " TB/s", " Gbps", " TFLOPS", " TFLOPs", " FLOP/s", " tok/s", " tokens/second", " ms", " µs",
    " s", " B", "B", "K", "M", "T", " billion", " bytes", "/s", " per second",
    "TTFT", "KV cache per GPU", "Model weights per GPU", "Throughput", "Memory utilization", "TP=4", "PP=4",
    "DP=2", "batch size", " vs ", " from ", " to ", "claimed", "actual", "**", "*", "_", "`", ": ", "|", "---",
    "\n", "\n\n", "\r\n", "\r", "\t", "> ", "- ", "1. ", "# ", "### ", "<!-- ", " -->", "<!-- audit: ignore -->",
    "```", "\\", "(", ")", "{", "}", "&a ", "*a", "!!python/object/apply:os.system", "!!str", "? ", ".inf",
    ".nan", "null", "~", "&", "'", '"', "#", "\x00", "\ufeff", "\u200b", "\u202e", "\u00a0", "\u2028", "\udcff",
    "é", "٣", "５", "Ⅻ", "🙂",
    *(" " + unit for unit in ("kiB", "KiB", "kib", "Kib", "GiB/s", "Gbit/s", "GB/sec", "µs", "μs", "tok/sec",
                              "tokens per second", "TFLOP/s", "PetaFLOPS", "exaFLOPs", "Gbit")),
    "1e12", "1.2 × 10^12", "2⁴⁰", "10¹²", "3,072²", "^", "⁻", ">", "<=", "≥", "10:02", "&nbsp;", "&times;", "&#215;",
    "<sup>", "</sup>", "<sup>(1)</sup>", "[^1]", "<br>", "<table><tr><td>", "</td><td>", "</td></tr></table>", "<th>",
    " generated tokens/s", "K input tok/s", "-token prompts", " (4 active)", " per GPU", "\\times", "\\cdot",
]

# Unit spellings as real documents write them (issue 12): number, space or not, spelling, and the kind it reads as
SPELLINGS = {
    "kiB": "bytes", "KiB": "bytes", "kB": "bytes", "GiB": "bytes", "EiB": "bytes", "Gbit": "bytes",
    "gigabytes": "bytes", "GiB/s": "bandwidth", "Gbit/s": "bandwidth", "Gb/s": "bandwidth", "GB/sec": "bandwidth",
    "GB per second": "bandwidth", "Gbps": "bandwidth", "µs": "time", "μs": "time", "usec": "time", "ms": "time",
    "tok/sec": "token_rate", "tokens per second": "token_rate", "t/s": "token_rate", "TFLOP/s": "flop_rate",
    "TFLOP per second": "flop_rate", "PetaFLOPS": "flops", "exaFLOPs": "flops", "gigaflops": "flops", "%": "percent",
    "kib": "count", "Kib": "count",  # a lone "b" is left alone: bits, or a careless "B"
}
NUMBERS = ("0", "1", "7", "12.5", "2,480.50", "1e12", "1.2 × 10^12", "1.2·10¹²", "2⁴⁰", "10¹²", "3,072²", "9" * 30)


def _fragments() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TOKENS), st.text(max_size=6))


def random_text(max_parts: int = 40) -> st.SearchStrategy[str]:
    return st.lists(_fragments(), max_size=max_parts).map("".join)


@st.composite
def mutated(draw, source: str | st.SearchStrategy[str], max_edits: int = 8) -> str:
    """`source` after a few random edits: insert a fragment, delete or duplicate a span, swap lines."""
    text = draw(source) if isinstance(source, st.SearchStrategy) else source
    for _ in range(draw(st.integers(0, max_edits))):
        op = draw(st.sampled_from(("insert", "insert", "delete", "duplicate", "replace", "swap_lines")))
        at = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:at] + draw(_fragments()) + text[at:]
        elif op in ("delete", "duplicate", "replace"):
            end = min(len(text), at + draw(st.integers(1, 40)))
            middle = {"delete": "", "duplicate": text[at:end] * 2, "replace": draw(_fragments())}[op]
            text = text[:at] + middle + text[end:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def _scaled(base: int) -> int:
    return max(10, settings.default.max_examples // base)


# ---------------------------------------------------------------------------------------------
# Oracles: run a target on one input; return normally for a result or an AuditError, raise for a bug.
# The regression corpus replays inputs through the same functions.


def check_parse_quantity(text: str, kind: str) -> None:
    try:
        value = units.parse_quantity(text, kind)
    except UnitError:
        return
    assert isinstance(value, float) and math.isfinite(value), (text, kind, value)


def check_find_figures(text: str) -> None:
    figures = units.find_figures(text)
    last = 0
    for f in figures:
        assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start:f.end] == f.text, f
        assert f.start >= last or f.quantity.kind == "count", (f, last)  # in order (a product's parts too)
        last = f.start
        assert f.quantity.kind in units.BASE_UNITS and f.quantity.unit == units.BASE_UNITS[f.quantity.kind]
        assert isinstance(f.quantity.value, float)


def check_extract(text: str) -> None:
    try:
        claims = extract.extract(text)
    except AuditError:
        return
    lines = text.count("\n") + text.count("\r") + 1
    for n, c in enumerate(claims):
        assert c.index == n
        assert 1 <= c.line <= lines, (c.line, lines)


def check_spec(text: str, name: str = "spec.yaml") -> None:
    from audit.spec.load import load_spec

    path = _SCRATCH / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_spec(path)
    except AuditError as e:  # every problem of the file, one line each, each naming the file
        assert e.lines() and str(e) == "\n".join(e.lines()), str(e)
        for line in e.lines():
            assert "\n" not in line and line.startswith(str(path)), line


EXTREMES = (0.0, 1e-320, 1.0, 3.0, 1e154, 1e308, -1e308)


def check_rule_file(text: str, name: str = "rules.yaml") -> None:
    from audit.judge.rules import load_rule_file

    path = _SCRATCH / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        rules = load_rule_file(path)
    except AuditError as e:  # every problem of the entry, one line each, each naming the file
        assert e.lines() and str(e) == "\n".join(e.lines()), str(e)
        for line in e.lines():
            assert "\n" not in line and line.startswith(str(path)), line
        return
    for rule in rules:
        rule.message({"claimed": "{claimed}", "expected": "1 s"})
        for alternatives in rule.formulas.values():
            for f in alternatives:
                for x in EXTREMES:
                    try:
                        value = f(dict.fromkeys(f.names, x))
                    except AuditError:  # FormulaError must be one: exit 2, not a traceback
                        continue
                    assert isinstance(value, float)


@lru_cache(maxsize=1)
def _auditor():
    from audit.pipeline import Auditor

    return Auditor.load(str(SEED / "qwen3.yaml"))


def check_audit(text: str) -> None:
    auditor = _auditor()
    try:
        result = auditor.audit_text(text, "fuzzed.md")
    except AuditError:
        return
    markdown.markdown(result, auditor.rules)
    json.loads(json_output.render([result]))


# ---------------------------------------------------------------------------------------------
# Fuzz targets


quantity_texts = st.one_of(
    random_text(8),
    mutated(st.sampled_from(list(units.EXAMPLES.values()) + ["64 GiB", "1.8 TB/s", "30 s", "235B"]), 3),
)


@given(text=quantity_texts, kind=st.sampled_from(sorted(units.BASE_UNITS)))
@example(text="1" + "0" * 400 + " GB", kind="bytes")
@example(text="2.94 × 10^999", kind="count")
@example(text="1e308 TB", kind="bytes")
def test_fuzz_parse_quantity(text, kind):
    check_parse_quantity(text, kind)


@given(text=st.one_of(random_text(), mutated(st.sampled_from(SENTENCES), 6)))
@example(text="9" * 5000 + " GB")
@example(text="1e400 GB, 2.94 × 10^99999 FLOP")
def test_fuzz_find_figures(text):
    check_find_figures(text)


@given(number=st.sampled_from(NUMBERS), space=st.sampled_from(("", " ", "\u00a0", "\u2009")),
       spelling=st.sampled_from(sorted(SPELLINGS)), before=_fragments(), after=_fragments())
def test_fuzz_unit_spellings(number, space, spelling, before, after):
    """Every spelling reads as its kind whatever the number, never raises in a sentence, and a spec field
    raises nothing but a UnitError."""
    figures = units.find_figures(f"{number}{space}{spelling}")
    if SPELLINGS[spelling] == "count":  # read as a bare number, or glued ("0Kib") as a name
        assert all(f.quantity.kind == "count" for f in figures), (number, spelling, figures)
    else:
        assert figures and figures[-1].quantity.kind == SPELLINGS[spelling], (number, spelling, figures)
    check_find_figures(f"{before}{number}{space}{spelling}{after}")
    check_extract(f"- {before}{number}{space}{spelling}{after}\n")
    check_parse_quantity(f"{number} {spelling}", SPELLINGS[spelling])


@given(text=st.one_of(random_text(60), mutated(REPORT, 12)))
@settings(max_examples=_scaled(4))
def test_fuzz_extract(text):
    check_extract(text)


@given(text=mutated(SPEC, 6))
@settings(max_examples=_scaled(4))
def test_fuzz_spec(text):
    check_spec(text)


@given(text=mutated(RULE_FILE, 6))
@settings(max_examples=_scaled(4))
def test_fuzz_rule_file(text):
    check_rule_file(text)


@given(text=mutated(REPORT, 10))
@settings(max_examples=_scaled(20))
def test_fuzz_audit(text):
    check_audit(text)


# ---------------------------------------------------------------------------------------------
# The regression corpus: every case fuzzing found, replayed by the oracle of its target.

REPLAY = {
    "parse_quantity": lambda p: check_parse_quantity(**json.loads(p.read_text(encoding="utf-8"))),
    "find_figures": lambda p: check_find_figures(p.read_text(encoding="utf-8")),
    "extract": lambda p: check_extract(p.read_text(encoding="utf-8")),
    "spec": lambda p: check_spec(p.read_text(encoding="utf-8"), p.name),
    "rules": lambda p: check_rule_file(p.read_text(encoding="utf-8"), p.name),
    "audit": lambda p: check_audit(p.read_text(encoding="utf-8")),
}


def _corpus() -> list:
    cases = []
    for target in sorted(REPLAY):
        for path in sorted((CORPUS / target).glob("*")) if (CORPUS / target).is_dir() else ():
            if path.name.startswith(".") or path.suffix == ".reason":
                continue
            reason = path.with_suffix(".reason")
            marks = [pytest.mark.xfail(strict=True, reason=reason.read_text(encoding="utf-8").strip())] \
                if reason.exists() else []
            cases.append(pytest.param(target, path, id=f"{target}/{path.name}", marks=marks))
    return cases


@pytest.mark.parametrize(("target", "path"), _corpus())
def test_regression_corpus(target, path):
    REPLAY[target](path)


def test_corpus_folders_are_targets():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders <= set(REPLAY), folders - set(REPLAY)
    assert len(_corpus()) >= 4
