"""audit.units: strict spec quantities, figures in report text, printing.

Expected values are hand arithmetic from the unit definitions (GB = 1e9 B, GiB = 2^30 B,
TFLOP = 1e12 FLOP, ms = 1e-3 s; docs/physics.md "Units") or figures published in
seed/answer-key.yaml, written out in each row.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.errors import AuditError, UnitError
from audit.units import BASE_UNITS, EXAMPLES, Figure, find_figures, format_quantity, parse_quantity

# ------------------------------------------------------------------------------------------------
# parse_quantity: strict, for spec fields

GOOD = [
    # text, kind, value in base units (hand arithmetic)
    ("64 GB", "bytes", 64 * 10**9),
    ("64GB", "bytes", 64 * 10**9),
    ("80 GiB", "bytes", 80 * 2**30),                     # 85,899,345,920 B
    ("512 KiB", "bytes", 512 * 1024),
    ("1.5 TB", "bytes", 1.5e12),
    ("120 B", "bytes", 120),
    ("64B", "bytes", 64),                                 # the field says bytes
    ("4096 bytes", "bytes", 4096),
    ("2.94e10", "bytes", 2.94e10),                        # a bare number is base units
    ("400 TFLOPS", "flop_rate", 400e12),
    ("400 TFlops", "flop_rate", 400e12),
    ("400 TFLOPs", "flop_rate", 400e12),
    ("0.4 PFLOPS", "flop_rate", 0.4e15),
    ("2.6 PF", "flop_rate", 2.6e15),                      # a petaFLOPS as spec sheets shorten it
    ("400e12", "flop_rate", 400e12),
    ("989 TFLOP/s", "flop_rate", 989e12),                 # H100 SXM dense bf16
    ("206.71 TFLOPs", "flops", 206.71e12),
    ("206.71 TFLOP", "flops", 206.71e12),
    ("206.71 TFLOPS", "flops", 206.71e12),                # amount vs rate: the field decides
    ("1.8 TB/s", "bandwidth", 1.8e12),
    ("1.8TBps", "bandwidth", 1.8e12),
    ("3.35 TB/s", "bandwidth", 3.35e12),                  # H100 SXM HBM3
    ("900 GB/sec", "bandwidth", 900e9),
    ("400 Gb/s", "bandwidth", 400e9 / 8),                 # bits: 50 GB/s
    ("1 GiB/s", "bandwidth", 2**30),
    ("30 s", "time", 30),
    ("28.5 seconds", "time", 28.5),
    ("41.4 ms", "time", 41.4 / 1000),
    ("50 µs", "time", 50e-6),
    ("2 min", "time", 120),
    ("1.5 hours", "time", 5400),
    ("1.2M tok/s", "token_rate", 1.2e6),
    ("1728 tokens/s", "token_rate", 1728),
    ("302K tokens per second", "token_rate", 302e3),
    ("235B", "count", 235e9),
    ("30.5B", "count", 30.5e9),
    ("302K", "count", 302e3),
    ("1.2M", "count", 1.2e6),
    ("1,000", "count", 1000),
    ("3.5 billion", "count", 3.5e9),
    ("235 B", "count", 235e9),                            # the field says count
    ("128", "count", 128),
    ("63.8%", "percent", 0.638),
    ("6 percent", "percent", 0.06),
    ("4x", "ratio", 4.0),
    ("13.5×", "ratio", 13.5),
    # spellings of real documents (issue 12): a prefix's letter case, bits, words, powers
    ("100 kiB", "bytes", 100 * 1024),                     # "Upload buffer: 100 kiB" crashed (KeyError 'ki')
    ("8 Gbit", "bytes", 1e9),                             # 8e9 bits / 8
    ("2 Kibit", "bytes", 256),                            # 2 x 1024 bits / 8
    ("400 Gbit/s", "bandwidth", 50e9),
    ("3 GiB/s", "bandwidth", 3 * 2**30),
    ("900 GB per second", "bandwidth", 900e9),
    ("2.4 terabytes a second", "bandwidth", 2.4e12),  # as a talk says it
    ("1.2K tokens a second", "token_rate", 1.2e3),
    ("1.2 PetaFLOPS", "flop_rate", 1.2e15),               # the field decides amount or rate
    ("2.5 exaFLOPs", "flops", 2.5e18),
    ("3 gigaflops", "flops", 3e9),
    ("5 TFLOP per second", "flop_rate", 5e12),
    ("12 μs", "time", 12e-6),                             # Greek mu (U+03BC) and micro sign (U+00B5)
    ("12 µsec", "time", 12e-6),
    ("40 tok/sec", "token_rate", 40),
    ("1e12", "count", 1e12),
    ("1.2 × 10^12", "count", 1.2e12),
    ("1.2·10¹²", "count", 1.2e12),
    ("2^40", "bytes", 2**40),                             # a power
    ("2⁴⁰ B", "bytes", 2**40),
    ("10¹² FLOP", "flops", 1e12),
    ("3,072²", "count", 3072**2),                         # 9,437,184
]


@pytest.mark.parametrize(("text", "kind", "expected"), GOOD)
def test_parse_quantity(text, kind, expected):
    assert parse_quantity(text, kind) == pytest.approx(expected, rel=1e-12)


BAD = [
    # text, kind, words the message must contain
    ("64 GX", "bytes", "unknown unit 'GX' in '64 GX' (expected a bytes quantity such as '64 GB')"),
    ("400 TFLOPS", "bytes", "'400 TFLOPS' is a flop_rate, expected bytes"),
    ("400 TFLOP/s", "flops", "'400 TFLOP/s' is a flop_rate, expected flops"),
    ("600 TFLOP", "flop_rate", "is a flops, expected flop_rate"),
    ("30 s", "bytes", "'30 s' is a time, expected bytes"),
    ("1.8 TB/s", "bytes", "is a bandwidth, expected bytes"),
    ("64 GB", "bandwidth", "is a bytes, expected bandwidth"),
    ("4x", "count", "is a ratio, expected count"),
    ("64 gb", "bytes", "did you mean 'GB'?"),
    ("fast", "time", "cannot read a number in 'fast'"),
    ("", "count", "cannot read a number"),
    ("~64 GB", "bytes", "cannot read a number"),          # strict: no approximations in a spec
    ("1e999", "count", "not a finite number"),
    ("2 × 10^400", "count", "not a finite number"),
    ("1,0000", "count", "unknown unit"),                  # thousands come in groups of three
    ("100 kib", "bytes", "did you mean 'KiB'?"),          # a lone "b" may be bits or a careless "B"
    ("2^9999", "count", "not a finite number"),
    ("0⁻² GB/s", "bandwidth", "not a finite number"),   # found by fuzzing: ZeroDivisionError
    ("1 × 10^" + "9" * 5000, "count", "not a finite number"),  # beyond Python's 4,300-digit int()
]


@pytest.mark.parametrize(("text", "kind", "message"), BAD)
def test_parse_quantity_rejects(text, kind, message):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, kind)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, AuditError)  # pydantic reads it


@pytest.mark.parametrize("kind", sorted(BASE_UNITS))
def test_every_kind_has_an_example_that_parses(kind):
    assert parse_quantity(EXAMPLES[kind], kind) > 0


# ------------------------------------------------------------------------------------------------
# find_figures: lenient, over real sentences (the first eight are lines of the seed report)

SENTENCES = [
    # sentence, [(figure text, value in base units, base unit), ...]
    ("Claimed TTFT: 28.5 seconds vs actual: ~0.06 seconds (475x overestimation)",
     [("28.5 seconds", 28.5, "s"), ("~0.06 seconds", 0.06, "s"), ("475x", 475, "x")]),
    ("Total: 3,307.33 TFLOPs", [("3,307.33 TFLOPs", 3307.33e12, "FLOP")]),
    ("✓ **Memory bandwidth**: 1.8TBps - Adequate", [("1.8TBps", 1.8e12, "B/s")]),
    ("Throughput: ~1.2M tokens/second", [("~1.2M tokens/second", 1.2e6, "tok/s")]),
    ("Clear 4-stage pipeline with [24, 23, 24, 23] layer distribution",
     [("4", 4, "1"), ("[24, 23, 24, 23]", 24, "1")]),
    ("Supports full range [128, 10240]", [("[128, 10240]", 128, "1")]),
    ("TP=2 insufficient for 64 attention heads (only 32 heads per GPU)",
     [("2", 2, "1"), ("64", 64, "1"), ("32", 32, "1")]),
    ("the Qwen3-235B model on 8 H100 GPUs", [("8", 8, "1")]),
    ("Claimed memory utilization: 63.8% vs actual: 6.0% (10x overestimation)",
     [("63.8%", 0.638, "%"), ("6.0%", 0.06, "%"), ("10x", 10, "x")]),
    ("Total per GPU: 3.84 GB (6.0% of 64GB capacity)",
     [("3.84 GB", 3.84e9, "B"), ("6.0%", 0.06, "%"), ("64GB", 64e9, "B")]),
    ("✓ **Single-card computing power**: 400 TFlops - Sufficient for workload", [("400 TFlops", 400e12, "FLOP")]),
    ("| Throughput | - | 302K tok/s | 1.2M tok/s |", [("302K tok/s", 302e3, "tok/s"), ("1.2M tok/s", 1.2e6, "tok/s")]),
    ("| TTFT | 28.5s | 0.06s | 2.1s |", [("28.5s", 28.5, "s"), ("0.06s", 0.06, "s"), ("2.1s", 2.1, "s")]),
    ("✓ **235B parameters**: Successfully distributed across 32 GPUs", [("235B", 235e9, "1"), ("32", 32, "1")]),
    ("TTFT requirement: 30 seconds - Achieved 2.1 seconds (14x better)",
     [("30 seconds", 30, "s"), ("2.1 seconds", 2.1, "s"), ("14x", 14, "x")]),
    ("Memory utilization: 6.0% → 24.2% (4x improvement)", [("6.0%", 0.06, "%"), ("24.2%", 0.242, "%"), ("4x", 4, "x")]),
    ("Throughput: ~302K tokens/second", [("~302K tokens/second", 302e3, "tok/s")]),
    ("Batch size scaled from 128 to 512", [("128", 128, "1"), ("512", 512, "1")]),   # "to" is not a range
    ("16 replicas instead of 8 — 4x the replicas", [("16", 16, "1"), ("8", 8, "1"), ("4x", 4, "x")]),  # a dash
    ("8 – 16 GPUs", [("8 – 16", 8, "1")]),  # a spaced en dash is a range
    ("Total steps: 30 + (5-1) x 5 = 50", [("30", 30, "1"), ("5", 5, "1"), ("1", 1, "1"), ("5", 5, "1"),
                                          ("50", 50, "1")]),  # a parenthesis holding "5-1" alone: a subtraction
    ("1. **Severe Performance Analysis Errors**", [("1", 1, "1")]),                  # the caller drops list markers
    ("With TP=4, PP=4: 206.71 TFLOPs per GPU group",
     [("4", 4, "1"), ("4", 4, "1"), ("206.71 TFLOPs", 206.71e12, "FLOP")]),
    # identifiers, names, versions and dates are not figures
    ("Llama-3.1-70B, Mixtral-8x7B and DeepSeek-V3 on A100 and MI300X in fp8, vLLM v1.2.3 on 2024-05-01", []),
    ("8x7B is a name, not a ratio", []),
    ("a 4x4x2 mesh and a 4 x 4 x 2 mesh",
     [("4", 4, "1"), ("4", 4, "1"), ("2", 2, "1"), ("4", 4, "1"), ("4", 4, "1"), ("2", 2, "1")]),
    ("on 8x H100 GPUs", [("8", 8, "1")]),
    # a factor of written arithmetic is no ratio: "N×(", "N x (", "N × (", "2 × TP2"
    ("40 × (256 + 32) × 2 B = 23,040 B",
     [("40", 40, "1"), ("256", 256, "1"), ("32", 32, "1"), ("2 B", 2, "B"), ("23,040 B", 23040, "B")]),
    ("40×(256+32)", [("40", 40, "1"), ("256", 256, "1"), ("32", 32, "1")]),
    ("4× (2 + 2)", [("4", 4, "1"), ("2", 2, "1"), ("2", 2, "1")]),       # a parenthesis of arithmetic alone
    ("2 × TP2 = 4 GPUs", [("2", 2, "1"), ("4", 4, "1")]),
    ("3x (28.5 s vs 9.5 s)", [("3x", 3, "x"), ("28.5 s", 28.5, "s"), ("9.5 s", 9.5, "s")]),  # a ratio explained
    ("a 2 × speedup, (1.6 ×)", [("2 ×", 2, "x"), ("1.6 ×", 1.6, "x")]),
    # clock times are not figures; footnote superscripts after a unit are marks
    ("dana · 10:02 posted 48 GB", [("48 GB", 48e9, "B")]),
    ("at 09:15:30 TTFT was 81%² of the SLO", [("81%", 0.81, "%")]),
    # a day of a month is no figure; a word that starts like a month is ("12 Decode steps")
    ("peaked on 12 Dec, 3 March and the 2nd Oct. at 9.1K tok/s", [("9.1K tok/s", 9100, "tok/s")]),
    ("12 Decode steps", [("12", 12, "1")]),
    # the number of a reference is where to look, no figure; a list of them too, a count after it is one
    ("as shown in Figures 2 (left) and 8, cost falls 40x", [("40x", 40, "x")]),
    ("Table 2 and line 48 say 80 GB, §3.2 says 4 GPUs", [("80 GB", 80e9, "B"), ("4", 4, "1")]),
    ("Lines 4 and 5 hold 8 GPUs", [("5", 5, "1"), ("8", 8, "1")]),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES)
def test_find_figures_in_sentences(sentence, expected):
    figures = find_figures(sentence)
    assert [(f.text, f.quantity.unit) for f in figures] == [(text, unit) for text, _, unit in expected]
    assert [f.quantity.value for f in figures] == pytest.approx([value for _, value, _ in expected], rel=1e-12)
    assert all(sentence[f.start:f.end] == f.text for f in figures)


ONE_FIGURE = [
    # text, kind, value, values, is_range, approx, unit_text, flops_ambiguous
    # bytes: decimal and binary prefixes
    ("64 GB", "bytes", 64e9, (), False, False, "GB", False),
    ("64GB", "bytes", 64e9, (), False, False, "GB", False),
    ("1.5 KB", "bytes", 1.5e3, (), False, False, "KB", False),
    ("3 MB", "bytes", 3e6, (), False, False, "MB", False),
    ("2 TB", "bytes", 2e12, (), False, False, "TB", False),
    ("4 KiB", "bytes", 4 * 1024, (), False, False, "KiB", False),
    ("16 MiB", "bytes", 16 * 2**20, (), False, False, "MiB", False),
    ("80 GiB", "bytes", 80 * 2**30, (), False, False, "GiB", False),
    ("1 TiB", "bytes", 2**40, (), False, False, "TiB", False),
    ("96256 bytes", "bytes", 96256, (), False, False, "bytes", False),
    ("120 B", "bytes", 120, (), False, False, "B", False),           # B after a space is bytes
    # FLOPs: amount, rate, or left to the binder
    ("3 GFLOPs", "flops", 3e9, (), False, False, "GFLOPs", True),
    ("206.71 TFLOPs", "flops", 206.71e12, (), False, False, "TFLOPs", True),
    ("400 TFLOPS", "flops", 400e12, (), False, False, "TFLOPS", True),
    ("400 TFlops", "flops", 400e12, (), False, False, "TFlops", True),
    ("2 PFLOPS", "flops", 2e15, (), False, False, "PFLOPS", True),
    ("1.5 PFLOPs", "flops", 1.5e15, (), False, False, "PFLOPs", True),
    ("6e9 FLOPs", "flops", 6e9, (), False, False, "FLOPs", True),
    ("603.2 TFLOP", "flops", 603.2e12, (), False, False, "TFLOP", False),
    ("400 TFLOP/s", "flop_rate", 400e12, (), False, False, "TFLOP/s", False),
    ("400 TFLOPS/s", "flop_rate", 400e12, (), False, False, "TFLOPS/s", False),
    # bandwidth
    ("1.8 TB/s", "bandwidth", 1.8e12, (), False, False, "TB/s", False),
    ("1.8TBps", "bandwidth", 1.8e12, (), False, False, "TBps", False),
    ("900 GB/s", "bandwidth", 900e9, (), False, False, "GB/s", False),
    ("128 GBps", "bandwidth", 128e9, (), False, False, "GBps", False),
    ("50 GB/sec", "bandwidth", 50e9, (), False, False, "GB/sec", False),
    ("2 GiB/s", "bandwidth", 2 * 2**30, (), False, False, "GiB/s", False),
    ("235B/s", "bandwidth", 235, (), False, False, "B/s", False),     # B followed by /s is bytes
    ("400 Gb/s", "bandwidth", 50e9, (), False, False, "Gb/s", False),  # bits
    # time
    ("0.06s", "time", 0.06, (), False, False, "s", False),
    ("28.5 seconds", "time", 28.5, (), False, False, "seconds", False),
    ("1 second", "time", 1, (), False, False, "second", False),
    ("5 sec", "time", 5, (), False, False, "sec", False),
    ("5 secs", "time", 5, (), False, False, "secs", False),
    ("41.4 ms", "time", 0.0414, (), False, False, "ms", False),
    ("2 milliseconds", "time", 0.002, (), False, False, "milliseconds", False),
    ("1 millisecond", "time", 0.001, (), False, False, "millisecond", False),
    ("50 µs", "time", 50e-6, (), False, False, "µs", False),
    ("50 us", "time", 50e-6, (), False, False, "us", False),
    ("3 microseconds", "time", 3e-6, (), False, False, "microseconds", False),
    ("1 microsecond", "time", 1e-6, (), False, False, "microsecond", False),
    ("2 min", "time", 120, (), False, False, "min", False),
    ("3 minutes", "time", 180, (), False, False, "minutes", False),
    ("1 minute", "time", 60, (), False, False, "minute", False),
    ("2 h", "time", 7200, (), False, False, "h", False),
    ("1.5 hours", "time", 5400, (), False, False, "hours", False),
    ("1 hour", "time", 3600, (), False, False, "hour", False),
    # token rates
    ("54 tokens/s", "token_rate", 54, (), False, False, "tokens/s", False),
    ("54 tok/s", "token_rate", 54, (), False, False, "tok/s", False),
    ("54 tokens/sec", "token_rate", 54, (), False, False, "tokens/sec", False),
    ("54 tokens/second", "token_rate", 54, (), False, False, "tokens/second", False),
    ("54 tokens per second", "token_rate", 54, (), False, False, "tokens per second", False),
    ("54 tok/sec", "token_rate", 54, (), False, False, "tok/sec", False),
    ("54 t/s", "token_rate", 54, (), False, False, "t/s", False),
    ("~302K tokens/second", "token_rate", 302e3, (), False, True, "K tokens/second", False),
    ("1.2M tok/s", "token_rate", 1.2e6, (), False, False, "M tok/s", False),
    # counts
    ("302K", "count", 302e3, (), False, False, "K", False),
    ("1.2M", "count", 1.2e6, (), False, False, "M", False),
    ("235B", "count", 235e9, (), False, False, "B", False),
    ("30.5B", "count", 30.5e9, (), False, False, "B", False),
    ("14.8T", "count", 14.8e12, (), False, False, "T", False),
    ("3.5 billion", "count", 3.5e9, (), False, False, "billion", False),
    ("1.2 million", "count", 1.2e6, (), False, False, "million", False),
    ("2,480.50", "count", 2480.5, (), False, False, "", False),
    ("1,000,000", "count", 1e6, (), False, False, "", False),
    ("2.94e10", "count", 2.94e10, (), False, False, "", False),
    ("2.94 × 10^10", "count", 2.94e10, (), False, False, "", False),
    # percent and ratio
    ("6.0%", "percent", 0.06, (), False, False, "%", False),
    ("24.2 %", "percent", 0.242, (), False, False, "%", False),
    ("6 percent", "percent", 0.06, (), False, False, "percent", False),
    ("4x", "ratio", 4, (), False, False, "x", False),
    ("4X", "ratio", 4, (), False, False, "X", False),
    ("13.5×", "ratio", 13.5, (), False, False, "×", False),
    # ranges and lists: the unit applies to every element
    ("24-30", "count", 24, (24, 30), True, False, "", False),
    ("24–30 GB", "bytes", 24e9, (24e9, 30e9), True, False, "GB", False),
    ("15-55%", "percent", 0.15, (0.15, 0.55), True, False, "%", False),
    ("[128, 10240]", "count", 128, (128, 10240), True, False, "", False),
    ("[24, 23, 24, 23]", "count", 24, (24, 23, 24, 23), False, False, "", False),
    # approximation markers belong to the figure
    ("~0.06 seconds", "time", 0.06, (), False, True, "seconds", False),
    ("~ 0.06 s", "time", 0.06, (), False, True, "s", False),
    ("≈4x", "ratio", 4, (), False, True, "x", False),
    ("about 4 GB", "bytes", 4e9, (), False, True, "GB", False),
    ("approximately 2 s", "time", 2, (), False, True, "s", False),
    ("around 70%", "percent", 0.70, (), False, True, "%", False),
    ("roughly 1.2M tok/s", "token_rate", 1.2e6, (), False, True, "M tok/s", False),
    # spellings of real documents (issue 12 item 5)
    ("100 kiB", "bytes", 100 * 1024, (), False, False, "kiB", False),
    ("100 KiB", "bytes", 100 * 1024, (), False, False, "KiB", False),
    ("3 EiB", "bytes", 3 * 2**60, (), False, False, "EiB", False),
    ("4 gigabytes", "bytes", 4e9, (), False, False, "gigabytes", False),
    ("2 gibibytes", "bytes", 2 * 2**30, (), False, False, "gibibytes", False),
    ("81.6 gigs", "bytes", 81.6e9, (), False, False, "gigs", False),  # as a talk says it
    ("790 meg", "bytes", 790e6, (), False, False, "meg", False),
    ("8 Gbit", "bytes", 1e9, (), False, False, "Gbit", False),
    ("3 GiB/s", "bandwidth", 3 * 2**30, (), False, False, "GiB/s", False),
    ("400 Gbit/s", "bandwidth", 50e9, (), False, False, "Gbit/s", False),
    ("400 Gib/s", "bandwidth", 400 * 2**30 / 8, (), False, False, "Gib/s", False),
    ("25 Gbits/sec", "bandwidth", 25e9 / 8, (), False, False, "Gbits/sec", False),
    ("900 GB/sec", "bandwidth", 900e9, (), False, False, "GB/sec", False),
    ("900 GB per second", "bandwidth", 900e9, (), False, False, "GB per second", False),
    ("12 μs", "time", 12e-6, (), False, False, "μs", False),
    ("12 µs", "time", 12e-6, (), False, False, "µs", False),
    ("12 usec", "time", 12e-6, (), False, False, "usec", False),
    ("40 tok/sec", "token_rate", 40, (), False, False, "tok/sec", False),
    ("40 tokens per second", "token_rate", 40, (), False, False, "tokens per second", False),
    ("400 TFLOP/s", "flop_rate", 400e12, (), False, False, "TFLOP/s", False),
    ("5 TFLOP per second", "flop_rate", 5e12, (), False, False, "TFLOP per second", False),
    ("1.2 PetaFLOPS", "flops", 1.2e15, (), False, False, "PetaFLOPS", True),
    ("3.2 exaFLOPS", "flops", 3.2e18, (), False, False, "exaFLOPS", True),
    ("3 gigaflops", "flops", 3e9, (), False, False, "gigaflops", True),
    ("1e12", "count", 1e12, (), False, False, "", False),
    ("1.2 × 10^12", "count", 1.2e12, (), False, False, "", False),
    ("1.2 x 10^12 FLOP", "flops", 1.2e12, (), False, False, "FLOP", False),
    ("1.2·10¹² FLOP", "flops", 1.2e12, (), False, False, "FLOP", False),
    ("2⁴⁰ B", "bytes", 2**40, (), False, False, "B", False),
    ("2^40 bytes", "bytes", 2**40, (), False, False, "bytes", False),
    ("10¹²", "count", 1e12, (), False, False, "", False),
    ("3,072²", "count", 3072**2, (), False, False, "", False),
    ("15.2\u00a0GB", "bytes", 15.2e9, (), False, False, "GB", False),    # a no-break space ("&nbsp;")
    ("21\u2009ms", "time", 0.021, (), False, False, "ms", False),         # a thin space ("&thinsp;")
    # a token rate with words of its own before the unit
    ("12.5k generated tokens/s", "token_rate", 12.5e3, (), False, False, "k generated tokens/s", False),
    ("48K input tok/s", "token_rate", 48e3, (), False, False, "K input tok/s", False),
    ("3.1K output decode tokens/s", "token_rate", 3.1e3, (), False, False, "K output decode tokens/s", False),
    # a comparison sign belongs to the figure
    (">30 billion", "count", 30e9, (), False, False, "billion", False),
    ("≥ 80%", "percent", 0.80, (), False, False, "%", False),
]


@pytest.mark.parametrize(("text", "kind", "value", "values", "is_range", "approx", "unit_text", "ambiguous"),
                         ONE_FIGURE)
def test_find_one_figure(text, kind, value, values, is_range, approx, unit_text, ambiguous):
    [figure] = find_figures(text)
    q = figure.quantity
    assert (figure.start, figure.end, figure.text) == (0, len(text), text)
    assert (q.kind, q.unit) == (kind, BASE_UNITS[kind])
    assert q.value == pytest.approx(value, rel=1e-12)
    assert q.values == pytest.approx(values, rel=1e-12)
    assert (q.is_range, q.approx, figure.unit_text, figure.flops_ambiguous) == (is_range, approx, unit_text, ambiguous)


def test_a_figure_keeps_the_words_and_the_sign_written_with_it():
    [rate] = find_figures("12.5k generated tokens/s")
    [bound] = find_figures("Parameters: >30 billion")
    [le] = find_figures("TTFT <= 5 ms")
    assert (rate.words, rate.comparison) == ("generated", "")
    assert (bound.text, bound.comparison) == (">30 billion", ">")
    assert (le.text, le.comparison) == ("<= 5 ms", "<=")
    assert [f.comparison for f in find_figures("A -> 5 GB, B => 6 GB")] == ["", ""]  # arrows


IN_CONTEXT = [
    # sentence, figure texts: a number followed by a word that is no unit stays a bare count
    ("32 GPUs", ["32"]),
    ("94 layers", ["94"]),
    ("512 tokens per step", ["512"]),
    ("an 8B model", ["8B"]),
    ("2 B200 GPUs", ["2"]),                       # "B" of B200 is not bytes
    ("2 steps", ["2"]),                           # "s" of steps is not seconds
    ("14x better", ["14x"]),
    ("475x overestimation", ["475x"]),
    ("roundabout 5 GB", ["5 GB"]),                # "about" inside a word is no marker
    ("TP=4, PP=4", ["4", "4"]),
    ("Qwen3-235B-A22B", []),
    ("fp8 on H100", []),
    ("model v2 and 1.2.3", []),
    ("64 users at 30 tok/s", ["64", "30 tok/s"]),  # "users at" are no words of the rate
    ("100 kib", ["100"]),                           # a lone "b": no unit (bits, or a careless "B")
    ("an 8 Kib buffer", ["8"]),
    ("0⁻² GB and 2^-1 s", ["2^-1 s"]),                 # 0 to a negative power is no number (found by fuzzing)
]


@pytest.mark.parametrize(("sentence", "texts"), IN_CONTEXT)
def test_find_figures_in_context(sentence, texts):
    assert [f.text for f in find_figures(sentence)] == texts


@given(st.text(alphabet=st.sampled_from(list("0123456789.,-–~x×[] %/sBGKMTiFLOPtokenabout\n")), max_size=80))
def test_find_figures_never_raises_and_spans_hold(text):
    figures = find_figures(text)
    assert all(isinstance(f, Figure) and text[f.start:f.end] == f.text for f in figures)
    assert all(a.end <= b.start for a, b in zip(figures, figures[1:], strict=False))  # in order, no overlap


def test_find_figures_of_a_200_character_line():
    """A typical long report line: ~0.06 s, 8 GPUs, 2.86 GB, 24.2%, 4x, about 1.2M tokens/s."""
    line = ("- Optimized strategy: TTFT ~0.06 seconds on 8 H100 GPUs for the Qwen3-235B model with weights per GPU "
            "of 2.86 GB, memory utilization 24.2% (4x improvement), and throughput of about 1.2M tokens/second.")
    assert len(line) == 200 and len(find_figures(line)) == 6


# ------------------------------------------------------------------------------------------------
# format_quantity: four significant digits, a sensible prefix

FORMATS = [
    # value (base units), unit, printed — figures from seed/answer-key.yaml
    (29.39e9, "B", "29.39 GB"),            # weights per device, original
    (15.77e9, "B", "15.77 GB"),
    (96256, "B", "96.26 KB"),              # KV cache per token
    (512, "B", "512 B"),
    (999.96e9, "B", "1 TB"),               # rounding carries into the next prefix
    (603.2e12, "FLOP", "603.2 TFLOP"),     # prefill FLOPs of one 10240-token request
    (400e12, "FLOP/s", "400 TFLOP/s"),
    (1.8e12, "B/s", "1.8 TB/s"),
    (0.754, "s", "0.754 s"),               # TTFT floor, original
    (24.1, "s", "24.1 s"),
    (0.0414, "s", "41.4 ms"),              # decode step floor, optimized
    (50e-6, "s", "50 µs"),
    (54324, "tok/s", "54.32K tok/s"),      # prefill ceiling, original
    (217296, "tok/s", "217.3K tok/s"),
    (1728, "tok/s", "1,728 tok/s"),        # decode ceiling, original
    (1.2e6, "tok/s", "1.2M tok/s"),
    (0.706, "%", "70.6%"),                 # memory utilization floor
    (0.476, "%", "47.6%"),
    (4.0, "x", "4.0x"),
    (13.57, "x", "13.57x"),
    (475.0, "x", "475x"),
    (235.09e9, "1", "235.09B"),            # parameters from the architecture
    (21.57e9, "1", "21.57B"),
    (32, "1", "32"),
    (10240, "1", "10,240"),
    (0, "B", "0 B"),
]


@pytest.mark.parametrize(("value", "unit", "printed"), FORMATS)
def test_format_quantity(value, unit, printed):
    assert format_quantity(value, unit) == printed
