"""Run the whole tool over a folder of real Markdown (thousands of files from public LLM projects:
tables, code blocks, raw HTML, front matter, math) under one or more specs, and say what broke.

    python tools/sweep.py DIR                               # both default specs, one process per CPU
    python tools/sweep.py DIR --spec a.yaml --spec b.yaml --jobs 2 --json sweep.json
    python tools/sweep.py DIR --sample 20 --seed 1          # also print the errors of 20 random files
    python tools/sweep.py DIR --cli                         # also `audit check DIR` end to end, per spec

Every file is audited under every spec in a worker process, then rendered in every format; the
only allowed outcomes are a result or a one-line AuditError. It reports tracebacks (internal
errors), files over `--slow` seconds, hangs (a file still running after `--hang` seconds: its
worker is killed and replaced), refusals by kind, and files/s. Exit status 1 when anything broke.
Each crash found becomes a minimal case in tests/test_robustness.py (README there).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "reports" / "qwen3-235b" / "qwen3.yaml",  # MoE (Qwen3-235B-A22B), scenarios in the spec
         ROOT / "tests" / "corpus" / "llama8b-h200-noscenarios" / "spec.yaml"]  # dense, layouts from the report
FORMATS = ("markdown", "json", "text", "sarif")


def markdown_files(root: Path) -> list[Path]:
    """Every *.md below `root`, sorted, without following symlinks."""
    out = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        out.extend(Path(directory) / f for f in sorted(files) if f.endswith(".md"))
    return out


def _worker(specs: list[str], conn) -> None:
    """Audit (spec index, path) tasks from `conn`; send back (spec index, path, outcome, detail, seconds)."""
    import gc

    from audit import output
    from audit.errors import AuditError
    from audit.pipeline import Auditor

    auditors = [Auditor.load(s) for s in specs]
    run = output.Run()
    gc.freeze()
    while True:
        task = conn.recv()
        if task is None:
            return
        index, path = task
        start = time.perf_counter()
        try:
            result = auditors[index].audit(path)
            for name in FORMATS:
                output.render(name, [result], output.Run([auditors[index].rules], run.infos, run.root))
            errors = [(f.line, f.rule, f.message) for f in result.findings
                      if f.severity == "error" and f.suppressed is None]
            outcome, detail = "audited", {"claims": len(result.claims), "errors": errors}
        except AuditError as e:
            outcome, detail = "refused", str(e)
        except Exception:
            outcome, detail = "crash", traceback.format_exc()
        conn.send((index, path, outcome, detail, time.perf_counter() - start))


def sweep(files: list[Path], specs: list[str], jobs: int, hang: float) -> tuple[list[tuple], float]:
    """Every (spec, file) through `jobs` worker processes; (outcomes, wall seconds)."""
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    tasks = collections.deque((i, str(f)) for i in range(len(specs)) for f in files)
    workers: dict = {}  # connection -> [process, task, started]

    def start() -> None:
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(specs, child), daemon=True)
        process.start()
        child.close()
        workers[parent] = [process, None, 0.0]

    for _ in range(jobs):
        start()
    outcomes: list[tuple] = []
    began = time.perf_counter()
    while tasks or any(w[1] is not None for w in workers.values()):
        for conn, state in list(workers.items()):
            if state[1] is None and tasks:
                state[1], state[2] = tasks.popleft(), time.perf_counter()
                conn.send(state[1])
        for conn in wait([c for c, s in workers.items() if s[1] is not None], timeout=1.0):
            try:
                outcomes.append(conn.recv())
            except EOFError:  # the worker died (not a Python exception: a signal, the OOM killer)
                process, task, started = workers.pop(conn)
                outcomes.append((*task, "died", f"exit code {process.exitcode}", time.perf_counter() - started))
                start()
                continue
            workers[conn][1] = None
        now = time.perf_counter()
        for conn, (process, task, started) in list(workers.items()):
            if task is not None and now - started > hang:
                process.kill()
                process.join()
                workers.pop(conn)
                outcomes.append((*task, "hang", f"still running after {hang:.0f} s: killed", now - started))
                start()
    for conn, (process, _, _) in workers.items():
        conn.send(None)
        process.join(timeout=10)
    return outcomes, time.perf_counter() - began


def cli_run(directory: Path, spec: str) -> dict:
    """`audit check DIR --spec SPEC --format json` end to end: exit status, seconds, lines on stderr."""
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "audit", "check", str(directory), "--spec", spec, "--format", "json",
                        "-o", os.devnull], capture_output=True, text=True)
    return {"spec": spec, "status": p.returncode, "seconds": round(time.perf_counter() - start, 2),
            "stderr_lines": p.stderr.count("\n"), "internal_errors": p.stderr.count("internal error"),
            "tracebacks": p.stderr.count("Traceback"), "stderr_head": p.stderr.splitlines()[:20]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("directory", help="the folder: every *.md below it, symlinks not followed")
    p.add_argument("--spec", action="append", help="spec to audit every file under (repeatable; default: a MoE "
                   "and a dense one)")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else os.cpu_count() or 1)
    p.add_argument("--slow", type=float, default=5.0, help="a file over this many seconds is listed (default 5)")
    p.add_argument("--hang", type=float, default=120.0, help="a file still running after this many seconds is "
                   "killed and counted as a hang (default 120)")
    p.add_argument("--limit", type=int, help="only the first N files")
    p.add_argument("--sample", type=int, default=0, help="print the errors of N random audited files with errors")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cli", action="store_true", help="also run `audit check DIR --spec SPEC` end to end")
    p.add_argument("--json", metavar="FILE", help="write every outcome to FILE")
    args = p.parse_args(argv)

    specs = [str(Path(s).resolve()) for s in (args.spec or SPECS)]
    files = markdown_files(Path(args.directory))[: args.limit]
    outcomes, wall = sweep(files, specs, max(1, args.jobs), args.hang)
    broken = [o for o in outcomes if o[2] in ("crash", "died", "hang")]
    slow = sorted((o for o in outcomes if o[4] > args.slow), key=lambda o: -o[4])
    print(f"{len(files)} files x {len(specs)} specs = {len(outcomes)} audits in {wall:.1f} s with {args.jobs} "
          f"processes: {len(outcomes) / wall:.1f} audits/s")
    for i, spec in enumerate(specs):
        mine = [o for o in outcomes if o[0] == i]
        kinds = collections.Counter(o[2] for o in mine)
        seconds = sorted(o[4] for o in mine) or [0.0]
        name = Path(spec).relative_to(ROOT) if Path(spec).is_relative_to(ROOT) else spec
        print(f"  {name}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
              + f"; median {seconds[len(seconds) // 2] * 1000:.1f} ms, max {seconds[-1]:.2f} s")
    refusals = collections.Counter(_kind(o[3]) for o in outcomes if o[2] == "refused")
    print("refusals: " + "; ".join(f"{n} {k}" for k, n in refusals.most_common()) if refusals else "refusals: none")
    print(f"tracebacks / internal errors: {sum(o[2] == 'crash' for o in outcomes)}, died: "
          f"{sum(o[2] == 'died' for o in outcomes)}, hangs: {sum(o[2] == 'hang' for o in outcomes)}, "
          f"over {args.slow:g} s: {len(slow)}")
    for o in broken:
        print(f"\n--- {o[2]}: {o[1]} under {Path(specs[o[0]]).name} ({o[4]:.2f} s)\n{o[3]}")
    for o in slow[:20]:
        print(f"slow: {o[1]} under {Path(specs[o[0]]).name}: {o[4]:.2f} s ({o[2]})")
    if args.sample:
        with_errors = [o for o in outcomes if o[2] == "audited" and o[3]["errors"]]
        random.Random(args.seed).shuffle(with_errors)
        for o in with_errors[: args.sample]:
            print(f"\n=== {o[1]} under {Path(specs[o[0]]).name}: {len(o[3]['errors'])} errors")
            for line, rule, message in o[3]["errors"][:8]:
                print(f"  {line}: {rule} {' '.join(message.split())[:200]}")
    if args.cli:
        for spec in specs:
            print(json.dumps(cli_run(Path(args.directory), spec)))
    if args.json:
        Path(args.json).write_text(json.dumps([{"spec": specs[o[0]], "path": o[1], "outcome": o[2], "detail": o[3],
                                                "seconds": round(o[4], 4)} for o in outcomes], indent=1),
                                   encoding="utf-8")
    return 1 if broken or slow else 0


def _kind(message: str) -> str:
    """A refusal's kind: its message without the path, place and numbers."""
    import re

    text = message.split(": ", 1)[1] if ": " in message else message
    text = re.sub(r"^\d+: ", "", text)
    return re.sub(r"[\d,.]+", "N", text)[:80]


if __name__ == "__main__":
    sys.exit(main())
