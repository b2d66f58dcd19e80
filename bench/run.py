"""Benchmark `audit` in one run: cold check, cold calc, warm audit, cost per figure, batch throughput.

    python bench/run.py                              # the audit that this interpreter imports
    python bench/run.py --python /tmp/x/bin/python   # an installed copy (python -m venv /tmp/x &&
                                                     #   /tmp/x/bin/pip install .): what users run
    python bench/run.py --rounds 11 --reports 1000 --json bench.json

Cold runs are whole processes, timed from start to exit, in interleaved rounds (one of each per
round, so a load on the machine falls on all of them alike) and given as medians; ratios are
taken against `python -c pass` and the bare import of the third-party packages a check loads (the
floor no start-up can go below), measured in the same rounds. Warm audits and the cost per figure
are timed inside one process after a first run. Batch throughput is `audit check DIR --format json`
over copies of the seed report with `--jobs 1` and `--jobs 2`, in interleaved rounds (the fastest of
each given), with the CPU time per report (parent and workers) and the parent's own peak memory
(RUSAGE_SELF: the workers are not counted in it). The load average at the end says how quiet the
machine was: on a shared 2-core machine, another process's load falls on the second worker first.

Run it from a source tree with compiled files (an installed copy is; with PYTHONDONTWRITEBYTECODE
set, an editable install compiles every module at every start, and the cold figures say so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b" / "report.md"
SPEC = ROOT / "reports" / "qwen3-235b" / "qwen3.yaml"

_DEPENDENCIES = r"""
import sys, sysconfig
from audit.cli import main
main(sys.argv[1:])
paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
names = sorted({m.split(".")[0] for m, mod in list(sys.modules.items())
                if getattr(mod, "__file__", None) and any(str(mod.__file__).startswith(p) for p in paths)
                and not m.startswith(("audit", "_distutils_hack"))})
print(" ".join(names), file=sys.stderr)
"""

_WARM = r"""
import json, sys, time
from audit.pipeline import Auditor
spec, report, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
auditor = Auditor.load(spec)
text = open(report, encoding="utf-8").read()
auditor.audit_text(text, report)
times = []
for _ in range(n):
    start = time.perf_counter()
    auditor.audit_text(text, report)
    times.append(time.perf_counter() - start)


def timed(body, size):
    start = time.perf_counter()
    result = auditor.audit_text(body, "figures.md", max_figures=size + 10)
    assert len(result.claims) >= size, len(result.claims)
    return time.perf_counter() - start


lines = ["- Model weights per GPU: 29.4 GB", "- TTFT: 0.5 s", "- Decode throughput: 1,200 tokens/s per GPU",
         "- KV cache per GPU: 15.8 GB", "- Prefill FLOPs per request: 45.2 TFLOPs"]
figures = {}
for size in (100, 1000, 10000):
    body = "# Original deployment\n\n" + "\n".join(f"{lines[i % len(lines)]}" for i in range(size)) + "\n"
    timed(body, size)
    figures[size] = min(timed(body, size) for _ in range(3))
print(json.dumps({"warm_ms": [t * 1000 for t in times], "figures_s": figures}))
"""

_BATCH = r"""
import resource, sys, time
from audit.cli import main
start = time.perf_counter()
status = main(sys.argv[1:])
seconds = time.perf_counter() - start
me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
print(seconds, me.ru_maxrss, status, cpu, file=sys.stderr)
"""


AWAY = tempfile.mkdtemp(prefix="audit-bench-")
"""Where every child runs: not the source tree (`-c` and `-m` would import it instead of the copy
under test), and no configuration file above it to find."""


def run(argv: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=AWAY, **kwargs)


def timed(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    p = run(argv, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode()[-2000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=sys.executable, help="the interpreter whose audit is measured")
    p.add_argument("--rounds", type=int, default=9, help="interleaved rounds of cold runs (default 9)")
    p.add_argument("--warm", type=int, default=200, help="warm audits of the seed (default 200)")
    p.add_argument("--reports", type=int, default=1000, help="reports in the batch (default 1000)")
    p.add_argument("--batch-rounds", type=int, default=2, help="interleaved rounds of the batch at 1 and 2 workers; "
                   "the fastest of each is given (default 2)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = p.parse_args(argv)

    python = args.python
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_", "GITHUB_"))}
    env.pop("CI", None)
    where = run([python, "-c", "import audit, importlib.util, sys; "
                            "print(audit.__file__); print(importlib.util.cache_from_source(audit.__file__)); "
                            "print(sys.version.split()[0])"], env, capture_output=True, text=True, check=True)
    package, cached, version = where.stdout.split("\n")[:3]
    compiled = Path(cached).exists()
    script = Path(python).with_name("audit")
    audit = [str(script)] if script.exists() else [python, "-m", "audit"]
    check = [*audit, "check", str(SEED), "--spec", str(SPEC)]
    calc = [*audit, "calc", "--spec", str(SPEC)]

    deps = run([python, "-c", _DEPENDENCIES, "check", str(SEED), "--spec", str(SPEC)], env, capture_output=True,
               text=True)
    modules = deps.stderr.strip().splitlines()[-1].split()
    floor = [python, "-c", "import " + ", ".join(modules)]
    bare = [python, "-c", "pass"]

    runs: dict[str, list[float]] = {"python -c pass": [], "import floor": [], "cold check": [], "cold calc": []}
    commands = ((bare, env), (floor, env), (check, env), (calc, env))
    for command, command_env in commands:  # once each, not counted: the OS's file cache
        timed(command, command_env)
    for _ in range(args.rounds):
        for name, (command, command_env) in zip(runs, commands, strict=True):
            runs[name].append(timed(command, command_env))
    median = {name: statistics.median(values) for name, values in runs.items()}

    warm = json.loads(run([python, "-c", _WARM, str(SPEC), str(SEED), str(args.warm)], env, capture_output=True,
                          text=True, check=True).stdout)
    warm_ms = warm["warm_ms"]

    batch: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        for i in range(args.reports):
            shutil.copyfile(SEED, folder / f"r{i:05}.md")
        rounds: dict[int, list[dict]] = {1: [], 2: []}
        for _ in range(args.batch_rounds):  # interleaved, as the cold runs
            for jobs in (1, 2):
                p = run([python, "-c", _BATCH, "check", str(folder), "--spec", str(SPEC), "--format", "json",
                         "-o", os.devnull, "--jobs", str(jobs)], env, capture_output=True, text=True)
                seconds, peak_kb, status, cpu = p.stderr.strip().splitlines()[-1].split()
                if status not in ("0", "1"):
                    raise SystemExit(f"batch --jobs {jobs} exited {status}: {p.stderr[-2000:]}")
                rounds[jobs].append({"seconds": float(seconds), "reports_per_s": args.reports / float(seconds),
                                     "parent_peak_mib": int(peak_kb) / 1024,
                                     "cpu_ms_per_report": float(cpu) * 1000 / args.reports})
        for jobs, measured in rounds.items():  # the fastest round: the one least disturbed by other load
            batch[jobs] = dict(min(measured, key=lambda b: b["seconds"]),
                               parent_peak_mib=max(b["parent_peak_mib"] for b in measured))

    figures = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} CPUs, "
                   f"Python {version}",
        "audit": package + ("" if compiled else " (no compiled files: every start compiles the sources)"),
        "import floor modules": modules,
        "cold_s": median,
        "cold_ranges_s": {name: [min(v), max(v)] for name, v in runs.items()},
        "warm_ms": {"median": statistics.median(warm_ms), "min": min(warm_ms)},
        "per_figure_ms": {int(size): seconds * 1000 / int(size) for size, seconds in warm["figures_s"].items()},
        "batch": batch,
    }
    w = figures["per_figure_ms"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures["load_average_after"] = load
    print(f"audit {figures['audit']}\n{figures['machine']}; cold runs: medians of {args.rounds} interleaved rounds; "
          f"load average {load:.2f} at the end\n")
    rows = [
        ("python -c pass", f"{median['python -c pass'] * 1000:.0f} ms", ""),
        (f"import floor ({', '.join(modules)})", f"{median['import floor'] * 1000:.0f} ms",
         f"{median['import floor'] / median['python -c pass']:.2f}x python -c pass"),
        ("cold `audit check` of the seed", f"{median['cold check'] * 1000:.0f} ms",
         f"{median['cold check'] / median['python -c pass']:.2f}x python -c pass, "
         f"{median['cold check'] / median['import floor']:.2f}x the import floor"),
        ("cold `audit calc` of the seed spec", f"{median['cold calc'] * 1000:.0f} ms",
         f"{median['cold calc'] / median['python -c pass']:.2f}x python -c pass, "
         f"{median['cold calc'] / median['import floor']:.2f}x the import floor"),
        ("warm audit of the seed", f"{figures['warm_ms']['median']:.2f} ms", f"median of {args.warm}, "
         f"min {figures['warm_ms']['min']:.2f} ms"),
        *[(f"cost per figure, {size:,} figures", f"{ms * 1000:.0f} us", "") for size, ms in w.items()],
        *[(f"batch of {args.reports:,} seed reports, --jobs {jobs}", f"{b['reports_per_s']:.1f} reports/s",
           f"{b['seconds']:.2f} s, {b['cpu_ms_per_report']:.1f} CPU-ms/report, parent peak {b['parent_peak_mib']:.0f} MiB"
           + (f", {batch[2]['reports_per_s'] / batch[1]['reports_per_s']:.2f}x one worker" if jobs == 2 else ""))
          for jobs, b in batch.items()],
    ]
    width = max(len(r[0]) for r in rows)
    for what, value, note in rows:
        print(f"{what:<{width}}  {value:>14}  {note}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(AWAY, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
