"""Two compile tiers for kernels that keep meeting shapes they have not seen.

Every op and every VJP kernel is a `jax.jit` function, compiled once per
shape. Where shapes recur (a training loop) that compile is paid once and
repaid on every later call. Where a kernel meets a new shape on most calls
(a new batch size every call, run-once exploratory programs, a test suite)
each call pays a full XLA compile: on XLA:CPU 15-300 ms a kernel, far more
than running it. Most of that is LLVM optimisation and the fusion emitters;
compiled at optimisation level 0 without them, the same kernel compiles
2-5x faster and runs up to ~3x slower on large tensors (measured on
2 cores: `add` 37 -> 16 ms, softmax cross-entropy 161 -> 32 ms).

So a kernel starts as a plain `jax.jit` (the C++ fast path, no Python on
the hot path). It counts its own traces (one per new shape, at trace time,
so counting costs a steady call nothing); after `config["varying_after"]`
of them it is replaced in its owner's table by a `Varying` dispatcher,
which compiles a shape's first sighting in the quick tier and its
`promote_at`th in the full tier (a recurring shape gets the fast code; on
small tensors the quick code is about as fast, so a training loop whose
update meets a dozen shapes does not compile each twice in its first
steps), or its second when an argument is large (`big` elements), where
the quick code costs more than the compile soon. A dispatcher
that sees few new shapes over a window of calls gives the table back to
the plain jit. The two tiers compute the same function; results can differ
in the last bit (the full tier contracts multiply-adds).
"""
from __future__ import annotations

import functools
import math

import jax

config = {
    "varying_after": 8,   # traces (distinct shapes) before a kernel becomes `Varying`
    "window": 64,         # calls over which a `Varying` kernel measures its new-shape rate
    "steady_below": 1 / 8,  # new-shape rate under which it goes back to the plain jit
    "max_shapes": 4096,   # shapes a `Varying` kernel remembers (then it forgets them all)
    "promote_at": 8,      # sighting of a shape at which it compiles in the full tier
    "big": 1 << 18,       # elements of an argument above which that is the second sighting
    "quick": "auto",      # compile options of the quick tier; "auto": by backend; None: off
}

# The quick tier's options per backend; backends not listed get no quick tier.
QUICK_OPTIONS = {"cpu": {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}}


@functools.cache
def _backend_quick():
    return QUICK_OPTIONS.get(jax.default_backend())


def quick_options():
    q = config["quick"]
    return _backend_quick() if q == "auto" else q


def _shape_key(args):
    # Wrong keys only pick the wrong tier, never a wrong result.
    return tuple([(getattr(a, "shape", None), getattr(a, "dtype", type(a))) for a in args])


def _big(key):
    limit = config["big"]
    return any(s is not None and math.prod(s) >= limit for s, _ in key)


class Varying:
    """A kernel that meets new shapes often: first sightings in the quick tier."""

    __slots__ = ("full", "quick", "table", "key", "traces", "seen", "calls", "new")

    def __init__(self, full, quick, table, key, traces, compiled=()):
        self.full, self.quick, self.table, self.key, self.traces = full, quick, table, key, traces
        # Shapes the plain jit compiled already go to it: no quick compile for them.
        self.seen = dict.fromkeys(compiled, config["promote_at"])
        self.calls = self.new = 0

    def __call__(self, *args):
        if any(isinstance(a, jax.core.Tracer) for a in args):
            return self.full(*args)  # inside a trace: a nested jit takes no compiler options
        k = _shape_key(args)
        seen = self.seen
        n = seen.get(k, 0)
        seen[k] = n + 1
        self.calls += 1
        if n == 0:
            self.new += 1
        if self.calls >= config["window"]:
            self._review()
        if n == 0 or (n + 1 < config["promote_at"] and not _big(k)):
            try:
                return self.quick(*args)
            except ValueError:
                # All-constant arguments under an outer trace (a tf.function body's
                # own constants): a nested jit takes no compiler options. The full
                # tier computes the same; an error of `fn` itself is raised again.
                return self.full(*args)
        return self.full(*args)

    def _review(self):
        if self.new < self.calls * config["steady_below"]:
            self.traces[0] = 0  # must meet `varying_after` new shapes again
            self.table[self.key] = self.full
        if len(self.seen) > config["max_shapes"]:
            self.seen.clear()
        self.calls = self.new = 0


def jit(fn, table, key, name=None):
    """`jax.jit(fn)`, stored as `table[key]`, that hands its slot to a
    `Varying` dispatcher once it has traced `config["varying_after"]` shapes."""
    traces = [0]
    traced = set()  # shape keys the plain jit has compiled: a `Varying` starts from them
    full = None

    def counted(*args):
        traces[0] += 1
        if len(traced) >= config["max_shapes"]:
            traced.clear()
        traced.add(_shape_key(args))
        if traces[0] >= config["varying_after"] and table.get(key) is full:
            options = quick_options()
            if options is not None:
                table[key] = Varying(full, jax.jit(fn, compiler_options=options), table, key,
                                     traces, traced)
        return fn(*args)

    counted.__name__ = name or getattr(fn, "__name__", "kernel")
    full = jax.jit(counted)
    table[key] = full
    return full

