"""Workload 8: memory held by a long tape, and memory over a long training run.

Resident set size (RSS) counts everything the process holds: Python
objects, JAX buffers (host memory on CPU) and TensorFlow's C++ tape alike,
so the frameworks are measured the same way. tracemalloc adds the Python
heap alone for jaxtape, where the tape's nodes live.
"""
from __future__ import annotations

import dataclasses
import gc
import os
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
    seconds: float = 0.0


def _record(tf, ops):
    x = tf.constant(np.full(16, 1.0, np.float32))
    c = tf.constant(np.full(16, 1.0001, np.float32))
    tape = tf.GradientTape(persistent=True)
    with tape:
        tape.watch(x)
        y = x
        for _ in range(ops):
            y = y * c
    return tape, x, y


def tape_memory(tf, name, ops) -> TapeMemory:
    _record(tf, 10)  # warm caches so they do not count as tape memory
    start = _settle()
    t0 = time.perf_counter()
    tape, x, y = _record(tf, ops)
    seconds = time.perf_counter() - t0
    holding = _settle()
    g = tape.gradient(y, x)
    np.asarray(g)
    after = _settle()
    del tape, y, g
    released = _settle()
    result = TapeMemory(name, ops, start, holding, after, released, seconds=seconds)
    if name == "jaxtape":
        tracemalloc.start()
        tape, x, y = _record(tf, ops)
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result.python_bytes_per_op = current / ops
        del tape, y
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


def run(size, frameworks, quick=False):
    """Both measurements for jaxtape and, when installed, TensorFlow eager."""
    import jaxtape
    if size == "tiny":
        ops, checkpoints = 50, (3, 6)
    elif quick:
        ops, checkpoints = 10_000, (1_000, 3_000)
    else:
        ops, checkpoints = 10_000, (1_000, 10_000)
    impls = []
    if "jaxtape" in frameworks:
        impls.append(("jaxtape", jaxtape))
    if wants(frameworks, "tensorflow"):
        impls.append(("TF eager", fw.tensorflow()))
    tapes = [tape_memory(tf, name, ops) for name, tf in impls]
    model, warmup = ("tiny", 3) if size == "tiny" else ("small", 20)
    loops = [training_memory(tf, name, checkpoints, model, warmup) for name, tf in impls]
    return tapes, loops


# Growth between the first checkpoint and the last that still counts as noise.
NOISE_BYTES = 4 * MB


def leak_verdict(loop: TrainingMemory) -> tuple[str, bool]:
    (s1, m1), (s2, m2) = loop.checkpoints[1], loop.checkpoints[-1]
    growth = m2 - m1
    per_step = growth / max(s2 - s1, 1)
    return (f"{growth / MB:+.1f} MB from step {s1} to {s2} ({per_step:+.0f} B/step)",
            growth <= NOISE_BYTES)
