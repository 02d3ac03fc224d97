"""Round-robin timing: every implementation of a workload in one loop.

Each repeat times one sample of every implementation, in an order rotated
by one each repeat, so slow drift of a shared machine (other processes,
frequency scaling) lands on all implementations alike. A sample is the mean
over enough calls to last `sample_s`; the figure reported is the median of
the samples, with their interquartile range as the noise. On a loaded
machine short samples help: a sample shorter than a scheduler time slice is
often not preempted at all, so the median of many short samples is less
inflated than that of a few long ones.
"""
from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from typing import Callable


def sync(result) -> None:
    """Waits for asynchronous (JAX) work behind `result` to finish.

    JAX dispatches asynchronously, so without this a loop would time only the
    dispatch. jaxtape tensors and variables hold a JAX array in `_value`.
    TensorFlow and PyTorch on CPU return finished results.
    """
    if isinstance(result, (list, tuple)):
        for r in result:
            sync(r)
        return
    if isinstance(result, dict):
        for r in result.values():
            sync(r)
        return
    value = getattr(result, "_value", result)
    block = getattr(value, "block_until_ready", None)
    if block is not None:
        block()


@dataclasses.dataclass
class Stats:
    median: float  # seconds per call
    q1: float
    q3: float
    samples: int
    calls_per_sample: int
    best: float = 0.0  # the fastest sample: the least disturbed by other processes
    in_order: tuple = ()  # the samples by repeat, for paired differences

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        return (self.q3 - self.q1) / self.median if self.median else 0.0


def sample(fn: Callable, calls: int) -> float:
    """Seconds per call over `calls` calls (a cell in a worker process times
    itself there: `benchmarks/isolation.py`)."""
    remote = getattr(fn, "sample", None)
    if remote is not None:
        return remote(calls)
    start = time.perf_counter()
    for _ in range(calls):
        sync(fn())
    return (time.perf_counter() - start) / calls


def _calibrate(fn: Callable, sample_s: float, max_calls: int) -> int:
    """Calls per sample so that a sample lasts about `sample_s`."""
    once = sample(fn, 1)
    if once >= sample_s:
        return 1
    calls = max(1, min(max_calls, int(sample_s / once)))
    # A second estimate over several calls is far less noisy than the first.
    per_call = sample(fn, min(calls, 10))
    return max(1, min(max_calls, int(sample_s / max(per_call, 1e-9))))


def settle(impls=()) -> None:
    """Waits for jaxtape's background full-tier compiles the warm-up queued
    (`jaxtape._src.tape.tiers`): the timed calls are the steady state, as
    they are for an implementation whose warm-up compiled on its own calls."""
    tiers = sys.modules.get("jaxtape._src.tape.tiers")
    if tiers is not None:
        tiers.wait()
    for worker in {id(fn.worker): fn for fn in impls if hasattr(fn, "worker")}.values():
        worker.settle()  # each worker process's own compiles


def round_robin(impls: dict[str, Callable], *, repeats: int, warmup: int = 3,
                sample_s: float = 0.05, max_calls: int = 10_000) -> dict[str, Stats]:
    """Times every callable in `impls`, alternating between them each repeat.

    warmup: untimed calls first (JIT compiles, caches, a structure seen twice).
    """
    names = list(impls)
    for name in names:
        fn = impls[name]
        if hasattr(fn, "warm"):
            fn.warm(warmup)
        else:
            for _ in range(warmup):
                sync(fn())
    settle(impls.values())
    calls = {name: _calibrate(impls[name], sample_s, max_calls) for name in names}
    samples = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(sample(impls[name], calls[name]))
    out = {}
    for name in names:
        xs = sorted(samples[name])
        q = statistics.quantiles(xs, n=4) if len(xs) >= 2 else [xs[0]] * 3
        out[name] = Stats(statistics.median(xs), q[0], q[2], len(xs), calls[name], xs[0],
                          tuple(samples[name]))
    return out
