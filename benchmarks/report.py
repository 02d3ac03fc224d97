"""The results as a console table, `RESULTS.md` and `results.png`."""
from __future__ import annotations

import os

from benchmarks.timing import Stats
from benchmarks.workloads import memory
from benchmarks.workloads.base import REFERENCE, Difference

HERE = os.path.dirname(os.path.abspath(__file__))
# Where `--threads default` (each framework's own threading) writes its report.
DEFAULT_THREADS = os.path.join(HERE, "default_threads")
NO_GPU = ("No GPU was lent to this task, so there are no GPU figures: every number "
          "below is CPU.")


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def mark(ok) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a"}[ok]


def medians(cells: dict) -> dict:
    return {k: v.median for k, v in cells.items() if isinstance(v, Stats)}


def workload_rows(workload, cells: dict) -> list[list[str]]:
    """[implementation, median, per op, IQR, best, ratio to TF eager] per cell."""
    ref = cells.get(REFERENCE)
    rows = []
    for name, cell in cells.items():
        if not isinstance(cell, Stats):
            rows.append([name, cell, "", "", "", ""])
            continue
        per_op = fmt_time(cell.median / workload.per) if workload.per > 1 else ""
        ratio = f"{cell.median / ref.median:.3g}x" if isinstance(ref, Stats) else "n/a"
        rows.append([name, fmt_time(cell.median), per_op, f"±{cell.spread * 50:.0f}%",
                     fmt_time(cell.best / workload.per), ratio])
    return rows


def target_rows(results) -> list[list[str]]:
    rows = []
    for workload, cells in results:
        for target in workload.targets:
            best = {k: v.best for k, v in cells.items() if isinstance(v, Stats)}
            if isinstance(target, Difference):
                in_order = {k: v.in_order for k, v in cells.items() if isinstance(v, Stats)}
                shown, ok = target.evaluate(medians(cells), best, in_order)
            else:
                shown, ok = target.evaluate(medians(cells), best)
            rows.append([target.label, shown, mark(ok)])
    return rows


def memory_rows(mem) -> tuple[list, list]:
    tapes, loops = mem
    mb = memory.MB
    tape_rows = []
    for t in tapes:
        per_op = (t.holding - t.start) / t.ops
        py = f"{t.python_bytes_per_op:.0f} B" if t.python_bytes_per_op is not None else "n/a"
        kept = f"{t.python_retained / mb:.2f}" if t.python_retained is not None else "n/a"
        tape_rows.append([t.framework, f"{t.ops:,} x {t.elements * 4:,} B", f"{t.start / mb:.1f}",
                          f"{(t.holding - t.start) / mb:+.1f}", f"{per_op:.0f} B", py,
                          f"{(t.after_gradient - t.start) / mb:+.1f}",
                          f"{(t.released - t.start) / mb:+.1f}", kept])
    loop_rows = []
    for loop in loops:
        shown, ok = memory.leak_verdict(loop)
        marks = ", ".join(f"{s:,}: {m / mb:.1f}" for s, m in loop.checkpoints)
        loop_rows.append([loop.framework, marks, shown, mark(ok)])
    return tape_rows, loop_rows


TAPE_HEADER = ["framework", "ops x tensor size", "RSS at start (MB)", "holding tape (MB)", "RSS per op",
               "Python heap per op", "after gradient (MB)", "after release (MB)",
               "Python heap kept after release (MB)"]
LOOP_HEADER = ["framework", "RSS in MB after N steps", "growth", "no growth beyond noise"]
TIME_HEADER = ["implementation", "median", "median per op", "IQR/2", "best (per op)",
               f"ratio to {REFERENCE}"]


def text_table(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def console(results, mem) -> str:
    parts = []
    for workload, cells in results:
        parts += [f"\n== {workload.title}", text_table(TIME_HEADER, workload_rows(workload, cells))]
    if mem is not None:
        tape_rows, loop_rows = memory_rows(mem)
        parts += ["\n== memory: persistent tape", text_table(TAPE_HEADER, tape_rows),
                  "\n== memory: eager training loop", text_table(LOOP_HEADER, loop_rows)]
    targets = target_rows(results)
    if mem is not None:
        targets += [[f"memory ({r[0]}): {r[2]}", "", r[3]] for r in memory_rows(mem)[1]
                    if r[0] == "jaxtape"]
        shown, ok = memory.tape_ratio(mem[0])
        targets.append(["persistent tape, 10,000 ops x 4 KB: <= 1.0x TF eager's RSS", shown, mark(ok)])
    parts += ["\n== targets", text_table(["target", "measured", ""], targets)]
    return "\n".join(parts)


def markdown(results, mem, info, options) -> str:
    v = info["versions"]
    lib = ", ".join(f"{k} {v[k]}" for k in v if v[k]) + \
        "".join(f"; {k} not installed" for k in v if not v[k])
    out = [
        "# jaxtape benchmarks", "",
        "Generated by `python -m benchmarks` (benchmarks/). Do not edit by hand.", "",
        f"- Date: {info['date']}",
        f"- Machine: {info['cpu']}; {info['os']}",
        f"- Python: {info['python']}",
        f"- Libraries: {lib}",
        f"- Command: `{info['command']}`",
        (f"- Threads: {info['threads']} compute thread(s) for every framework "
         "(TF intra/inter-op, torch, XLA CPU without its Eigen pool; XLA's CPU runtime has no "
         "thread knob and can still run independent operations of one program on several threads, "
         "for jaxtape and JAX alike)" if info["threads"] else
         "- Threads: each framework's default threading (nothing pinned), as users run it"),
        f"- Method: {options}",
        f"- Load average (1/5/15 min) at start: {info['load_start']}, at end: {info['load_end']} "
        "(the machine is shared, so absolute times carry noise; ratios within a workload "
        "are measured in the same round-robin and are the figures to read).",
        f"- {NO_GPU}", "",
        "## Targets", "",
    ]
    targets = target_rows(results)
    mem_rows = memory_rows(mem) if mem is not None else ([], [])
    targets += [[f"memory ({r[0]}): no growth beyond noise "
                 f"(<= {memory.NOISE_BYTES // memory.MB} MB)", r[2], r[3]]
                for r in mem_rows[1] if r[0] == "jaxtape"]
    if mem is not None:
        shown, ok = memory.tape_ratio(mem[0])
        targets.append(["persistent tape, 10,000 ops x 4 KB: <= 1.0x TF eager's RSS", shown, mark(ok)])
    out += [md_table(["target", "measured", "result"], targets), ""]
    out += ["## Times", "",
            "Median seconds per call; IQR/2 is half the interquartile range of the samples, "
            "relative to the median.", ""]
    for workload, cells in results:
        out += [f"### {workload.title}", ""]
        if workload.note:
            out += [workload.note, ""]
        out += [md_table(TIME_HEADER, workload_rows(workload, cells)), ""]
    if mem is not None:
        out += ["## Memory", "",
                "Resident set size (psutil). 'holding tape' is the growth while a persistent "
                "tape holds the recorded ops of `y = y * c` on a 16-element and on a 1024-element "
                "(4 KB) float32 tensor; the "
                "Python heap figures are tracemalloc's (jaxtape only). Each tape is "
                "measured in its own fresh interpreter, so every one starts from the same "
                "clean heap.", "",
                md_table(TAPE_HEADER, mem_rows[0]), "",
                "Eager training loop (jaxtape): the MLP step above at 32-64-64-10, batch 32, after 20 "
                "warm-up steps.", "",
                md_table(LOOP_HEADER, mem_rows[1]), ""]
    out += ["![results](results.png)", ""]
    return "\n".join(out)


def chart(results, mem, path) -> None:
    """One panel per workload: median time per implementation, log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = len(results) + (1 if mem is not None else 0)
    cols = 2
    rows = (panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.1 * rows), squeeze=False)
    for ax, (workload, cells) in zip(axes.flat, results):
        names = [n for n, c in cells.items() if isinstance(c, Stats)]
        times = [cells[n].median * 1e3 for n in names]
        colors = ["tab:red" if n.startswith("jaxtape") else
                  "tab:orange" if n.startswith("TF") else
                  "tab:blue" if "J" in n[:5] or "jnp" in n else "tab:gray" for n in names]
        ax.barh(names, times, color=colors)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_title(workload.name + (" (per call of 100 ops)" if workload.per > 1 else ""),
                     fontsize=10)
        ax.set_xlabel("median ms per call (log)")
        ax.tick_params(axis="y", labelsize=8)
        for y, t in enumerate(times):
            ax.text(t, y, f" {t:.3g}", va="center", fontsize=7)
    if mem is not None:
        ax = axes.flat[len(results)]
        for loop in mem[1]:
            steps = [s for s, _ in loop.checkpoints]
            ax.plot(steps, [m / memory.MB for _, m in loop.checkpoints], marker="o",
                    label=loop.framework)
        values = [m / memory.MB for loop in mem[1] for _, m in loop.checkpoints]
        if values:  # a leak must look like one: keep at least +-20 MB in view
            mid = (max(values) + min(values)) / 2
            half = max(20.0, (max(values) - min(values)) * 0.6)
            ax.set_ylim(mid - half, mid + half)
        ax.set_title("memory: RSS over eager training steps", fontsize=10)
        ax.set_xlabel("steps")
        ax.set_ylabel("RSS (MB)")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[panels:]:
        ax.axis("off")
    fig.suptitle("jaxtape vs TensorFlow, JAX, PyTorch (CPU, lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(results, mem, info, options, directory=HERE) -> None:
    with open(os.path.join(directory, "RESULTS.md"), "w") as f:
        f.write(markdown(results, mem, info, options))
    chart(results, mem, os.path.join(directory, "results.png"))
