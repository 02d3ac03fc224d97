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

Host tier (`host_tier.py`, on the CPU): a `Varying` kernel's first
sightings of a shape (below `host_tier.config["below"]`) are evaluated by
NumPy from a jaxpr traced once per shape pattern, with no compile at all;
with it on, a kernel becomes `Varying` after `host_tier.config["after"]`
shapes instead of `varying_after`. Shapes it cannot run take the tiers
below as before.

Quick first (`config["quick_first"]`): every new kernel starts that way
too. Its slot first holds a young `Varying`: each shape's first sighting
compiles in the quick tier (a fresh process's first MLP + Adam step
compiles 49 kernels: 3.6 instead of 7.8 s of XLA compile on a loaded
2-core host). The full tier comes when the shape recurs: at its
`full_at`th sighting once a gradient has been computed since its first (a
training loop's next step), at its `promote_at`th without one, at its first
when an argument is `big`. It is lowered on the calling thread (in the
caller's trace context; the quick tier's trace and lowering are reused)
and compiled by a background thread (`later`: XLA releases the GIL), while
the quick code keeps serving; then the full code serves, and once every
shape the kernel met has it, the slot goes back to the plain jit, so the
steady state is what it was. A shape met once never pays a full compile,
nor one met only within one step (on step 1 with a warm persistent cache,
fetching both tiers' code cost 10-20% more CPU than one tier's).
With a warm persistent cache the quick tier costs a little (5-15% on a
re-run's step 1, measured: slower code and a second fetch later): taking
the full tier at once when the cache answered the quick tier's lookups
was tried and dropped, since a run-once program (a first gradient) caches
only its quick code, and the full compile then landed on the call (3x).
`wait()` blocks until the queued compiles are done (tests); the thread is
a daemon; at exit queued compiles are dropped and a running one is
waited for. `config["background"] = False` compiles the full tier at that
sighting, on the call, instead.

Off by default (`JAXTAPE_QUICK_FIRST=1` before the import turns it on):
it cuts a cold process's first steps (no persistent cache: 19 -> 5.5 s for
the first MLP + Adam step, loaded host) but makes a warm one's first ten
steps slower (first_steps benchmark: 2.29x -> 2.81x TF), and a value
computed by a kernel's first calls can differ in the last bit from the same
value later (a Keras checkpoint test against TF moved by 2e-7), where TF's
kernels give one answer.
"""
from __future__ import annotations

import atexit
import functools
import math
import os
import queue
import threading

import jax

from jaxtape._src.framework import kernel_cache
from jaxtape._src.tape import host_tier

config = {
    "varying_after": 8,   # traces (distinct shapes) before a kernel becomes `Varying`
    "window": 64,         # calls over which a `Varying` kernel measures its new-shape rate
    "steady_below": 1 / 8,  # new-shape rate under which it goes back to the plain jit
    "max_shapes": 4096,   # shapes a `Varying` kernel remembers (then it forgets them all)
    "promote_at": 8,      # sighting of a shape at which it compiles in the full tier
    "big": 1 << 18,       # elements of an argument above which that is the second sighting
    "quick": "auto",      # compile options of the quick tier; "auto": by backend; None: off
    # a new kernel's shapes: quick tier first, full tier later (above); off by default
    "quick_first": os.environ.get("JAXTAPE_QUICK_FIRST", "0") == "1",
    "full_at": 2,         # sighting of a shape at which a young kernel compiles its full tier
    "background": True,   # full-tier compiles on a background thread (False: on the caller's)
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
    """A kernel that meets new shapes often, or a young one (see above):
    first sightings in the quick tier, the full tier from a later one."""

    __slots__ = ("full", "quick", "table", "key", "traces", "seen", "born", "ready", "promoted",
                 "calls", "new", "young", "fn", "recent")

    def __init__(self, full, quick, table, key, traces, compiled=(), young=False, fn=None):
        self.full, self.quick, self.table, self.key, self.traces = full, quick, table, key, traces
        self.fn = fn  # the kernel's function, for the host tier (host_tier.py)
        # The last distinct shape keys met: what varies between calls (the host
        # tier's symbols are the dimensions in which the nearest one differs).
        self.recent = []
        # Shapes the plain jit compiled already go to it: no quick compile for them.
        self.seen = dict.fromkeys(compiled, 1)
        self.born = {}  # a young kernel's shapes: `_gradients` at their first sighting
        # Shapes whose full-tier code exists (added by the compile thread), and
        # those whose full tier was asked for (added here only: no shared counter).
        self.ready = set(compiled)
        self.promoted = set(compiled)
        self.calls = self.new = 0
        self.young = young

    def __call__(self, *args):
        for a in args:
            if isinstance(a, jax.core.Tracer):
                return self.full(*args)  # inside a trace: a nested jit takes no compiler options
        k = _shape_key(args)
        seen = self.seen
        n = seen.get(k, 0)
        seen[k] = n + 1
        self.calls += 1
        if n == 0:
            self.new += 1
            if self.young:
                self.born[k] = _gradients[0]
                if len(seen) >= config["varying_after"]:
                    self.young = False  # many shapes: promoted at `promote_at`, as a `Varying`
        if self.calls >= config["window"]:
            self._review()
        if n < host_tier.config["below"] and self.fn is not None and host_tier.config["on"] \
                and k not in self.ready:  # (compiled code for it exists: that is faster)
            recent = self.recent
            out = host_tier.run(self.fn, args, recent)
            if n == 0:
                recent.append(k)
                if len(recent) > 8:
                    del recent[0]
            if out is not host_tier.MISS:
                return out
        if self.traces[0] < config["varying_after"] and not self.young:
            # `Varying` early for the host tier only: elsewhere, what the plain jit does
            self.ready.add(k)
            self.promoted.add(k)
            return self.full(*args)
        if k not in self.promoted:
            if self.young and _big(k):
                at = 1
            elif self.young:
                later_step = _gradients[0] > self.born.get(k, _gradients[0])
                at = config["full_at"] if later_step else config["promote_at"]
            else:
                at = 2 if _big(k) else config["promote_at"]
            if n + 1 >= at:
                self.promoted.add(k)
                # Ready at once when compiled on this thread (this call pays it).
                promote(self.full, args, functools.partial(self.ready.add, k))
        if k in self.ready:
            if self.young and len(self.ready) == len(seen):
                self._hand_back()  # every shape met has its full code
            return self.full(*args)
        try:
            return self.quick(*args)
        except ValueError:
            # All-constant arguments under an outer trace (a tf.function body's
            # own constants): a nested jit takes no compiler options. The full
            # tier computes the same; an error of `fn` itself is raised again.
            return self.full(*args)

    def _hand_back(self):
        if self.table.get(self.key) is self:
            self.table[self.key] = self.full

    def _review(self):
        # Not while a full compile is on its way: the plain jit would compile it again, on a call.
        if self.new < self.calls * config["steady_below"] and self.promoted <= self.ready:
            self.traces[0] = 0  # must meet `varying_after` new shapes again
            self._hand_back()
        if len(self.seen) > config["max_shapes"]:
            self.seen.clear()
            self.born.clear()
            self.ready.clear()
            self.promoted.clear()
        self.calls = self.new = 0


# Gradients computed so far (`backward.run` calls `gradient_done`): a
# young kernel's shape seen again after one is a training loop's next step.
_gradients = [0]


def gradient_done():
    _gradients[0] += 1


# -- the background compiles ---------------------------------------------------

_work = {"queue": None, "thread": None, "pid": None, "closing": False}
_start = threading.Lock()  # two user threads must not each start a compile thread


def promote(full, args, done):
    """Compiles `full` (a `jax.jit`) for `args` and calls `done()` once its
    code exists: lowered here (where the caller's trace context is; a quick
    tier of the same function has usually traced and lowered it already),
    the XLA compile `later`. A call of `full` on such arguments then finds
    the compiled program (JAX caches it per lowering): no compile on a call."""
    cached = isinstance(full, kernel_cache.Kernel)
    if cached and full.preload(args):
        done()  # read from the kernel cache: nothing to lower or compile
        return
    if not config["background"]:
        done()  # the caller's next call of `full` compiles it
        return
    try:
        lowered = full.lower(*args)
    except Exception:  # noqa: BLE001 - the call itself raises it, or compiles as before
        done()
        return
    avals = kernel_cache.avals_of(args) if cached else None

    def compile_full():
        before = kernel_cache.compile_count()
        compiled = lowered.compile()
        if avals is not None and kernel_cache.compiled_afresh(before):
            full.keep(avals, compiled)  # for the next process
        done()
    later(compile_full)


def later(task):
    """Runs `task()` on the background compile thread (FIFO, one at a time);
    now, on this thread, when `config["background"]` is off or at exit."""
    w = _work
    if not config["background"] or w["closing"]:
        task()
        return
    if w["pid"] != os.getpid():  # none yet, or a forked child (threads do not survive a fork)
        with _start:
            if w["pid"] != os.getpid():
                w["queue"] = queue.Queue()
                w["thread"] = threading.Thread(target=_serve, args=(w["queue"],),
                                               name="jaxtape-compile", daemon=True)
                w["thread"].start()
                w["pid"] = os.getpid()
    w["queue"].put(task)


def _serve(q):
    while True:
        task = q.get()
        try:
            if task is None:
                return
            task()
        except Exception:  # noqa: BLE001, S110 - the quick tier keeps serving that shape
            pass
        finally:
            q.task_done()


kernel_cache.run_later[0] = later  # the kernel cache warms the jit for shapes it served here


def pending():
    """How many background compiles are queued or running."""
    q = _work["queue"]
    return 0 if q is None or _work["pid"] != os.getpid() else q.unfinished_tasks


def wait():
    """Blocks until every background compile queued so far is done."""
    q = _work["queue"]
    if q is not None and _work["pid"] == os.getpid():
        q.join()


@atexit.register
def _close(timeout=30.0):
    """At exit: queued compiles are dropped, a running one is waited for
    (JAX's backends must outlive it)."""
    w = _work
    w["closing"] = True
    q, thread = w["queue"], w["thread"]
    if q is None or w["pid"] != os.getpid() or not thread.is_alive():
        return
    try:
        while True:
            q.get_nowait()
            q.task_done()
    except queue.Empty:
        pass
    q.put(None)
    thread.join(timeout)


# Traces of every kernel made by `jit` (one per kernel and new shape): what
# the kernel cache saves, counted for tests and benchmarks.
counts = {"traces": 0}


def jit(fn, table, key, name=None):
    """`jax.jit(fn)`, stored as `table[key]` (returned), behind a young
    `Varying` while quick-first is on; a plain jit hands its slot to a
    `Varying` once it has traced `config["varying_after"]` shapes. With the
    kernel cache on, the slot first holds a `kernel_cache.Kernel`, which
    looks each new shape up on disk and hands the slot back to the jit once
    it has nothing left to serve; a trace of a new shape after that puts it
    back, so the next new shape is looked up too."""
    traces = [0]
    traced = set()  # shape keys traced: a `Varying` starts from them
    full = cached = None
    quick = []  # the quick tier's jit, made once: both tiers share traces and lowerings

    def quick_jit(options):
        if not quick:
            jitted = jax.jit(counted, compiler_options=options)
            if kernel_cache.enabled():  # its code is cached too, keyed with the options
                jitted = kernel_cache.Kernel(jitted, fn, None, None, kind=("quick", options))
            quick.append(jitted)
        return quick[0]

    def met(args):
        # A new shape: traced here, or served by the kernel cache with no trace
        # (counted alike, so a process that reads its kernels from the cache
        # takes the same tiers as the one that compiled them).
        traces[0] += 1
        if len(traced) >= config["max_shapes"]:
            traced.clear()
        traced.add(_shape_key(args))
        slot = table.get(key)
        after = config["varying_after"]
        if host_tier.config["on"]:  # new shapes are cheap there: dispatch them early
            after = min(after, host_tier.config["after"])
        if traces[0] >= after and (slot is full or slot is cached is not None):
            options = quick_options()
            if options is not None:  # the cache's dispatcher stays the full tier
                table[key] = Varying(cached or full, quick_jit(options), table, key, traces, traced,
                                     fn=fn)
        elif cached is not None and slot is full:
            table[key] = cached

    def counted(*args):
        counts["traces"] += 1
        met(args)
        return fn(*args)

    counted.__name__ = name or getattr(fn, "__name__", "kernel")
    full = jax.jit(counted)
    options = quick_options() if config["quick_first"] else None
    if options is None and kernel_cache.enabled():
        cached = kernel_cache.Kernel(full, fn, table, key, met)
    table[key] = (cached or full) if options is None else Varying(
        full, quick_jit(options), table, key, traces, young=True, fn=fn)
    return table[key]
