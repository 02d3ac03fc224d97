"""Workload 8: memory held by a long tape, and memory over a long training run.

Resident set size (RSS) counts everything the process holds: Python
objects, JAX buffers (host memory on CPU) and TensorFlow's C++ tape alike,
so the frameworks are measured the same way, each tape in a fresh
interpreter. tracemalloc adds the Python heap alone for jaxtape, where the
tape's nodes live.

What one saved value costs beyond its buffer (measured 2026-12-01 with
RSS, mallinfo2 and heaptrack, 10,000 values in a fresh interpreter): a
live `jax.Array` on CPU ~2,080 B (its Python object 696 B, the PjRt
buffer and array ~530 B, two async events 256 B, creation traceback and
user context ~110 B, the rest small blocks); a TF EagerTensor ~650 B. The
tapes add ~290 B (jaxtape: node, Tensor, id) and ~590 B (TF) an op. Both
tapes keep every intermediate `y` (TF's Mul gradient reads both inputs),
so with one jax.Array per saved value the 4 KB tape's floor is
(4096 + 2080) / 5330 = 1.16x TF even with a zero-byte tape.
"""
from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.workloads import mlp
from benchmarks.workloads.base import wants

MB = 2 ** 20


def rss() -> int:
    """Resident set size in bytes (psutil, or /proc without it)."""
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _settle() -> int:
    gc.collect()
    return rss()


@dataclasses.dataclass
class TapeMemory:
    framework: str
    ops: int
    start: int        # RSS bytes before recording
    holding: int      # RSS with the tape and its recorded ops alive
    after_gradient: int
    released: int     # after the tape and results are dropped
    python_bytes_per_op: float | None = None   # tracemalloc (jaxtape only)
    python_retained: int | None = None   # Python heap still held after release (jaxtape)
    seconds: float = 0.0
    elements: int = 16   # float32 elements per tensor


def _record(tf, ops, elements=16):
    x = tf.constant(np.full(elements, 1.0, np.float32))
    c = tf.constant(np.full(elements, 1.0001, np.float32))
    tape = tf.GradientTape(persistent=True)
    with tape:
        tape.watch(x)
        y = x
        for _ in range(ops):
            y = y * c
    return tape, x, y


def tape_memory(tf, name, ops, elements=16) -> TapeMemory:
    _record(tf, 10, elements)  # warm caches so they do not count as tape memory
    start = _settle()
    t0 = time.perf_counter()
    tape, x, y = _record(tf, ops, elements)
    seconds = time.perf_counter() - t0
    holding = _settle()
    g = tape.gradient(y, x)
    np.asarray(g)
    after = _settle()
    del tape, y, g
    released = _settle()
    result = TapeMemory(name, ops, start, holding, after, released, seconds=seconds,
                        elements=elements)
    if name == "jaxtape":  # the Python heap alone: jaxtape's tape lives there
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tape, x, y = _record(tf, ops, elements)
        result.python_bytes_per_op = (tracemalloc.get_traced_memory()[0] - base) / ops
        np.asarray(tape.gradient(y, x))
        del tape, y
        gc.collect()
        result.python_retained = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
    return result


@dataclasses.dataclass
class TrainingMemory:
    framework: str
    checkpoints: list   # [(steps done, RSS bytes)]
    seconds: float


def training_memory(tf, name, checkpoints, size, warmup=20) -> TrainingMemory:
    """RSS at checkpoints of an eager SGD loop (the MLP workload's step, `size` model)."""
    step = mlp.tape_step(tf, size)[0]
    for _ in range(warmup):  # compile and cache before the baseline
        step()
    np.asarray(step())
    marks = [(0, _settle())]
    t0 = time.perf_counter()
    done = 0
    for target in checkpoints:
        while done < target:
            loss = step()
            done += 1
        np.asarray(loss)
        marks.append((done, _settle()))
    return TrainingMemory(name, marks, time.perf_counter() - t0)


def _settings(size, quick):
    if size == "tiny":
        return 50, (3, 6), "tiny", 3
    return 10_000, ((1_000, 3_000) if quick else (1_000, 10_000)), "small", 20


# The tape of the memory target: 10,000 ops over 4 KB (1024 float32) tensors.
TARGET_ELEMENTS = 1024


def measure(name, size, quick, elements=(16, TARGET_ELEMENTS), loop=True) -> tuple:
    """([TapeMemory per tensor size in `elements`], TrainingMemory or None)
    for one framework, in this process.

    The 10,000-step loop runs for jaxtape only: it is the one under test, and
    TensorFlow eager takes minutes for it on a loaded 2-core machine.
    """
    import jaxtape
    tf = jaxtape if name == "jaxtape" else fw.tensorflow()
    ops, checkpoints, model, warmup = _settings(size, quick)
    tapes = [tape_memory(tf, name, ops, n) for n in elements]
    loop = training_memory(tf, name, checkpoints, model, warmup) if loop and name == "jaxtape" else None
    return tapes, loop


def _isolated(name, size, quick, elements, loop) -> tuple:
    """`measure` in a fresh interpreter, so RSS starts from the same clean state
    for every framework (memory freed earlier in a process is reused without
    showing up as growth)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    if loop:
        # The training loop with jaxtape's compilation caches off, so every
        # kernel compiles in this process, as on a user's first run: the
        # state in which glibc's arenas once let the loop's memory creep
        # (`jaxtape/_src/framework/allocator.py`); a warm cache hid it.
        env["JAXTAPE_COMPILATION_CACHE"] = "0"
    cmd = [sys.executable, "-m", "benchmarks.workloads.memory", name, size, str(int(quick)),
           str(fw.settings["threads"] or "default"), ",".join(map(str, elements)), str(int(loop))]
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True)
    tapes, loop = json.loads(out.stdout.strip().splitlines()[-1])
    return [TapeMemory(**t) for t in tapes], (TrainingMemory(**loop) if loop else None)


def run(size, frameworks, quick=False, isolate=True):
    """Both measurements for jaxtape and, when installed, TensorFlow eager."""
    names = [n for n, key in (("jaxtape", "jaxtape"), ("TF eager", "tensorflow"))
             if key in frameworks and (key != "tensorflow" or wants(frameworks, key))]
    if isolate:
        # Each tape in its own fresh interpreter: one measured after another
        # partly reuses the memory the first freed, by as much as each
        # framework's allocator happens to (measured: the 4 KB tape grew
        # jaxtape's RSS by 39.7 MB after the 16-element tape and by 61.2 MB
        # alone; TF's by 29.9 and 50.8 MB).
        results = [_isolated(n, size, quick, (k,), k == 16) for n in names
                   for k in (16, TARGET_ELEMENTS)]
    else:
        results = [measure(n, size, quick) for n in names]
    return [t for tapes, _ in results for t in tapes], [loop for _, loop in results if loop is not None]


# Growth between the first checkpoint and the last that still counts as noise.
NOISE_BYTES = 4 * MB


def tape_ratio(tapes) -> tuple[str, bool | None]:
    """jaxtape's RSS growth holding the 4 KB tape over TF eager's (target: <= 1.0x)."""
    held = {t.framework: t.holding - t.start for t in tapes if t.elements == TARGET_ELEMENTS}
    if "jaxtape" not in held or "TF eager" not in held or held["TF eager"] <= 0:
        return "n/a", None
    r = held["jaxtape"] / held["TF eager"]
    return f"{r:.3g}x TF eager ({held['jaxtape'] / MB:.1f} vs {held['TF eager'] / MB:.1f} MB)", r <= 1.0


def leak_verdict(loop: TrainingMemory) -> tuple[str, bool]:
    (s1, m1), (s2, m2) = loop.checkpoints[1], loop.checkpoints[-1]
    growth = m2 - m1
    per_step = growth / max(s2 - s1, 1)
    return (f"{growth / MB:+.1f} MB from step {s1} to {s2} ({per_step:+.0f} B/step)",
            growth <= NOISE_BYTES)


if __name__ == "__main__":  # one isolated measurement, as JSON on the last line
    _name, _size, _quick, _threads, _elements, _with_loop = sys.argv[1:7]
    fw.configure(None if _threads == "default" else int(_threads))
    _tapes, _loop = measure(_name, _size, _quick == "1", tuple(map(int, _elements.split(","))),
                            _with_loop == "1")
    print(json.dumps([[dataclasses.asdict(t) for t in _tapes], _loop and dataclasses.asdict(_loop)]))
