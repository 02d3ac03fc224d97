"""`python -m benchmarks`: time every workload on every installed framework.

Thread settings must be fixed before JAX, TensorFlow or torch is imported,
so this module configures them before importing anything that imports them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def _threads(text):
    """An int, or None for 'default' (each framework's own thread pools)."""
    return None if text == "default" else int(text)


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats and shorter samples, 3,000 training steps (about a minute)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only these workloads (repeatable or comma-separated); "
                        "does not write RESULTS.md unless --write")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed samples per implementation (default 15, 5 with --quick)")
    p.add_argument("--threads", type=_threads, default=1,
                   help="compute threads for every framework (default 1), or 'default': "
                        "each framework's own threading, as users run it (its report goes "
                        "to benchmarks/default_threads/)")
    p.add_argument("--frameworks", default="jaxtape,tensorflow,jax,torch",
                   help="comma-separated subset of jaxtape,tensorflow,jax,torch")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write RESULTS.md and results.png (default: only for a full run)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    from benchmarks import frameworks
    frameworks.configure(args.threads)

    from benchmarks import isolation, machine, report
    from benchmarks.timing import round_robin
    from benchmarks.workloads import MEMORY, NAMES, TIMED, memory

    only = {n for item in args.only for n in item.split(",") if n}
    unknown = only - set(NAMES)
    if unknown:
        print(f"unknown workload(s): {', '.join(sorted(unknown))}; choose from {', '.join(NAMES)}",
              file=sys.stderr)
        return 2
    chosen = set(NAMES) if not only else only
    fws = tuple(f for f in args.frameworks.split(",") if f)
    repeats = args.repeats or (5 if args.quick else 15)
    sample_s = 0.02 if args.quick else 0.05
    options = (f"{repeats} round-robin repeats per workload after warm-up (4x as many, of "
               "20 ms, for the tape-overhead workload), each sample the mean of as many calls "
               f"as fill {sample_s * 1e3:.0f} ms (at least one); implementation order rotated "
               "every repeat; the median sample is reported, the fastest beside it; the per-op "
               "cost targets use the median of paired differences (two implementations' samples "
               "from the same repeat); the cells of " + ", ".join(w.name for w in TIMED if w.isolate)
               + " run in one process per framework (`benchmarks/isolation.py`), the others "
               "share this process")

    info = machine.describe(argv)
    start = time.perf_counter()
    results = []
    for workload in TIMED:
        if workload.name not in chosen:
            continue
        t0 = time.perf_counter()
        print(f"[{workload.name}] building ...", flush=True)
        built = (isolation.build(workload, fws, args.threads) if workload.isolate
                 else workload.build("full", fws))
        runnable = {k: v for k, v in built.items() if callable(v)}
        stats = {} if not runnable else round_robin(  # a workload may time itself (first_gradient)
            runnable, repeats=repeats * workload.repeat_factor, warmup=workload.warmup,
            sample_s=workload.sample_s or sample_s)
        isolation.close_all()
        cells = {k: stats.get(k, v) for k, v in built.items()}
        results.append((workload, cells))
        print(report.console([(workload, cells)], None).split("\n== targets")[0].lstrip("\n"))
        print(f"[{workload.name}] {time.perf_counter() - t0:.0f} s", flush=True)
    mem = None
    if MEMORY in chosen:
        print("[memory] measuring ...", flush=True)
        mem = memory.run("full", fws, quick=args.quick)
    info["load_end"] = machine.load()
    print(report.console(results, mem))
    print(f"\ntotal {time.perf_counter() - start:.0f} s; {report.NO_GPU}")
    write = args.write if args.write is not None else not only
    if write:
        directory = report.HERE if args.threads is not None else report.DEFAULT_THREADS
        os.makedirs(directory, exist_ok=True)
        report.write(results, mem, info, options, directory)
        print(f"wrote {directory}/RESULTS.md and results.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
