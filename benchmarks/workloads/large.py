"""Large tensors and long tapes: the tensor-size sweep and the GC-sensitive tape.

Size sweep: a 20-op elementwise chain (multiplies and adds) on 1e3 to 1e7
float32 elements, summed, under a tape, then its gradient. Hot: the same
op sequence every call; cold: a new one every call (drawn from one seeded
sequence, the same for every implementation), so no structure cache helps.
Each call also counts the process's minor page faults (`ru_minflt`): a
freed large buffer that went back to the OS is faulted in again page by
page, a cost that CPU contention does not blur. The note of each workload
gives the median faults per call.

Long tape: 5000 scalar multiplies under a tape, then the gradient. Each
sample is a single call, so a full garbage-collector pass lands in the
samples it interrupts (the median alone hides pauses that hit only some
calls). The target compares the mean of jaxtape's calls with the mean of
the same calls less the collections that ran inside them, timed by
`gc.callbacks`: paired call by call, so the host's noise cancels. The
collector-off cell (the same calls with the collector disabled) is shown
beside: its mean differs from the collector-on mean by more than the
pauses cost on a shared host (samples +-18-27% around the median), so it
is not the target. The note counts the collections of each generation and
the share of the calls' time they took. jaxtape's cells run in a worker
process holding jaxtape alone (see `LONG_WORKER`).
"""
from __future__ import annotations

import atexit
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.timing import sync
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants

MUL, ADD = 1.0001, 0.01
CHAIN_OPS = 20
SIZES = {"1e3": 10 ** 3, "1e5": 10 ** 5, "1e6": 10 ** 6, "1e7": 10 ** 7}


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class Faults:
    """Minor page faults per call of each wrapped implementation."""

    def __init__(self):
        self.per_call = {}

    def wrap(self, name, fn):
        counts = self.per_call.setdefault(name, [])

        def call():
            before = minor_faults()
            result = fn()
            sync(result)
            counts.append(minor_faults() - before)
            return result
        return call

    def text(self) -> str:
        if not self.per_call:
            return ""
        shown = ", ".join(f"{name} {statistics.median(c):,.0f}"
                          for name, c in self.per_call.items() if c)
        return f"Minor page faults per call (median over all calls): {shown}."


def _sequences(hot, seed=7):
    """Endless op sequences (True: multiply); the same for every caller."""
    rng = random.Random(seed)
    fixed = tuple(i % 2 == 0 for i in range(CHAIN_OPS))
    while True:
        yield fixed if hot else tuple(rng.random() < 0.5 for _ in range(CHAIN_OPS))


def _tape_chain(tf, n, hot):
    x = tf.constant(np.linspace(0.0, 1.0, n, dtype=np.float32))
    m, a = tf.constant(np.float32(MUL)), tf.constant(np.float32(ADD))
    seq = _sequences(hot)

    def step():
        ops = next(seq)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for is_mul in ops:
                y = y * m if is_mul else y + a
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, x)
    return step


def _torch_chain(n, hot):
    torch = fw.torch()
    x = torch.linspace(0.0, 1.0, n, dtype=torch.float32, requires_grad=True)
    m, a = torch.tensor(MUL, dtype=torch.float32), torch.tensor(ADD, dtype=torch.float32)
    seq = _sequences(hot)

    def step():
        y = x
        for is_mul in next(seq):
            y = y * m if is_mul else y + a
        return torch.autograd.grad(y.sum(), x)[0]
    return step


def _jax_chain(n, hot):
    import jax
    import jax.numpy as jnp
    x = jnp.linspace(0.0, 1.0, n, dtype=jnp.float32)
    m, a = jnp.float32(MUL), jnp.float32(ADD)
    seq = _sequences(hot)

    def step():
        ops = next(seq)

        def f(v):
            for is_mul in ops:
                v = v * m if is_mul else v + a
            return jnp.sum(v)
        return jax.grad(f)(x)
    return step


def _sweep_builder(tag, hot, faults):
    def build(size, frameworks):
        import jaxtape
        n = SIZES[tag] if size == "full" else 100
        faults.per_call.clear()
        out = unavailable(frameworks)
        if "jaxtape" in frameworks:
            out["jaxtape"] = faults.wrap("jaxtape", _tape_chain(jaxtape, n, hot))
        if wants(frameworks, "tensorflow"):
            out["TF eager"] = faults.wrap("TF eager", _tape_chain(fw.tensorflow(), n, hot))
        if "jax" in frameworks:
            out["JAX eager"] = _jax_chain(n, hot)
        if wants(frameworks, "torch"):
            out["PyTorch eager"] = faults.wrap("PyTorch eager", _torch_chain(n, hot))
        return out
    return build


class _Noted(Workload):
    """A workload whose note ends with what its last run measured (`extra()`)."""

    def __init__(self, *args, extra=None, **kwargs):
        self._extra = extra
        super().__init__(*args, **kwargs)

    @property
    def note(self):
        text = self._extra() if self._extra is not None else ""
        return " ".join(t for t in (self._base_note, text) if t)

    @note.setter
    def note(self, value):
        self._base_note = value


def _sweep(tag, hot):
    faults = Faults()
    kind = "hot" if hot else "cold"
    how = "same ops every call" if hot else "new op sequence every call"
    return _Noted(
        f"large_{tag}_{kind}",
        f"large tensors, {kind}: {CHAIN_OPS}-op elementwise chain on {tag} float32 elements "
        f"+ gradient, {how}",
        _sweep_builder(tag, hot, faults),
        targets=(Ratio(f"large {tag} {kind} <= 1.0x TF eager", "jaxtape", "TF eager", 1.0),),
        per=CHAIN_OPS, warmup=2, extra=faults.text)


SWEEP = tuple(_sweep(tag, hot) for hot in (True, False) for tag in SIZES)


# -- the GC-sensitive long tape ----------------------------------------------

LONG_OPS = 5000


class Collections:
    """Counts the collections of each generation during the wrapped calls,
    with the time they took and the calls' own time: whether a mean above
    the collector-off one is collection work or noise."""

    def __init__(self):
        self.counts, self.seconds, self.call_seconds, self._start = [0, 0, 0], 0.0, 0.0, 0.0
        self.calls = 0

    def callback(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.counts[info["generation"]] += 1
            self.seconds += time.perf_counter() - self._start

    def wrap(self, fn):
        def call():
            gc.callbacks.append(self.callback)
            start = time.perf_counter()
            try:
                result = fn()
                sync(result)
            finally:
                self.call_seconds += time.perf_counter() - start
                gc.callbacks.remove(self.callback)
            self.calls += 1
            return result
        return call

    def text(self) -> str:
        if not self.calls:
            return ""
        young, middle, full = self.counts
        share = self.seconds / self.call_seconds if self.call_seconds else 0.0
        return (f"jaxtape: {young} young, {middle} middle and {full} full (generation-2) "
                f"collections in {self.calls} calls, {self.seconds * 1e3:.0f} ms in all: "
                f"{share:.1%} of those calls' time.")


class PauseShare:
    """Passes when the mean of jaxtape's long-tape calls is at most `at_most`
    times the mean of the same calls less the collections that ran inside
    them (timed by `gc.callbacks`): the pauses' cost, paired call by call.

    The collector-off cell measures the same thing from other calls; on a
    shared host their mean differs by more than the pauses cost (samples
    +-18-27% around the median), so that comparison is only reported."""

    def __init__(self, label, collections, at_most):
        self.label, self.collections, self.at_most = label, collections, at_most

    def evaluate(self, medians, best=None):
        c = self.collections
        if not c.calls or not c.call_seconds:
            return "n/a", None
        r = c.call_seconds / (c.call_seconds - c.seconds)
        return (f"mean {r:.3g}x the same calls less their collections "
                f"({c.counts[2]} full passes)"), r <= self.at_most


def _long_chain(tf, ops):
    x = tf.constant(np.float32(1.5))
    m = tf.constant(np.float32(MUL))

    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(ops):
                y = y * m
        return tape.gradient(y, x)
    return step


def _collector_off(fn):
    """`fn` with the garbage collector off for the call: what the tape costs
    without collections. Its objects are freed by reference counting when
    the call returns, so it leaves no pending work to the next call."""
    def call():
        gc.disable()
        try:
            result = fn()
            sync(result)
        finally:
            gc.enable()
        return result
    return call


# The jaxtape cells run in a worker process that imports jaxtape and nothing
# else, as a jaxtape program does. This process also holds TensorFlow and
# torch: ~430,000 tracked objects imported after jaxtape, so outside what
# jaxtape freezes at import (jaxtape/_src/framework/collector.py), and every
# full pass here walks them (0.7-1.2 s a pass): a cost of the suite's process,
# not of a jaxtape program. A timed call is a pipe round trip (~0.1 ms).
# The benchmark modules are imported before jaxtape, as a program's own are.
LONG_WORKER = r"""
import sys
from benchmarks.workloads.large import Collections, _collector_off, _long_chain
import jaxtape
ops = int(sys.argv[1])
collections = Collections()
cells = {"on": collections.wrap(_long_chain(jaxtape, ops)),
         "off": _collector_off(_long_chain(jaxtape, ops))}
print("started", flush=True)
for line in sys.stdin:
    grad = cells[line.strip()]()
    print(*collections.counts, collections.seconds, collections.call_seconds, float(grad),
          flush=True)
"""
_long_workers = []


@atexit.register
def _stop_long_workers():
    while _long_workers:
        proc = _long_workers.pop()
        proc.stdin.close()
        proc.wait(timeout=30)


def _long_worker_cells(ops, collections):
    """The two jaxtape cells, run in a fresh worker; `collections` follows
    the worker's count of generation-2 passes during the "jaxtape" calls."""
    _stop_long_workers()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", LONG_WORKER, str(ops)], cwd=root, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    _long_workers.append(proc)
    if proc.stdout.readline().strip() != "started":
        raise RuntimeError("long-tape worker failed to start")

    def cell(name):
        def call():
            proc.stdin.write(name + "\n")
            reply = proc.stdout.readline().split()
            if len(reply) != 6:
                raise RuntimeError(f"long-tape worker failed on {name!r} (see its stderr)")
            *counts, seconds, call_seconds, grad = reply
            if name == "on":
                collections.counts = [int(c) for c in counts]
                collections.seconds, collections.call_seconds = float(seconds), float(call_seconds)
                collections.calls += 1
            return np.float32(grad)  # the gradient, for the smoke test's check
        return call
    return cell("on"), cell("off")


def _build_long(collections):
    def build(size, frameworks):
        import jax
        ops = LONG_OPS if size == "full" else 20
        collections.__init__()
        out = unavailable(frameworks)
        if "jaxtape" in frameworks:
            out["jaxtape"], out["jaxtape, collector off"] = _long_worker_cells(ops, collections)
        if wants(frameworks, "tensorflow"):
            out["TF eager"] = _long_chain(fw.tensorflow(), ops)
        if "jax" in frameworks:
            x, m = jax.numpy.float32(1.5), jax.numpy.float32(MUL)

            def f(v):
                for _ in range(ops):
                    v = v * m
                return v
            grad = jax.grad(f)
            out["JAX eager"] = lambda: grad(x)
        return out
    return build


_collections = Collections()
LONG_TAPE = _Noted(
    "long_tape", f"long tape: {LONG_OPS} scalar multiplies + gradient, one call per sample "
    "(garbage-collector pauses show in the mean)",
    _build_long(_collections),
    targets=(PauseShare("long tape: mean <= 1.05x the same calls' mean less their collector "
                         "pauses (no GC pauses)", _collections, 1.05),
             Ratio("long tape <= 1.0x TF eager", "jaxtape", "TF eager", 1.0)),
    per=LONG_OPS, warmup=3, sample_s=1e-6, extra=_collections.text,
    note="JAX eager replays the chain under `jax.grad`, op by op.")
