"""Host data a traced function reads afresh at every call (tf.data inside `tf.function`).

A dataset iterated inside `tf.function` (`for x in ds`, `next(iterator)`,
`ds.reduce`) runs each call in TF, so its elements must not be baked into
the program as constants. Its elements enter the trace as arrays that a
`Feed` produced; like a variable's copy, each such array's identity marks
the constant it becomes, and the compiled call replaces it with what the
feed produces for that call.

The values produced while tracing are kept (`pending`) and handed to the
first call, so tracing does not consume an iterator's element or an extra
pass of a reshuffled dataset; a second trace (TF retraces once the
variables exist) reuses them too. When a call's values do not have the
traced shapes (another element count, a last partial batch appearing),
`FeedChanged` asks the function to trace again with them.
"""
from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.compile import capture
from jaxtape._src.framework.state import local


class FeedChanged(Exception):
    """The data a call feeds does not fit the trace: trace again."""


class Feed:
    """One source of per-call host arrays, the `index`-th use of `owner` in a trace.

    `produce()` returns a list of host arrays; pending values live on the
    owner (a dataset or iterator), keyed by use index, so that every trace
    of one call sees the same values.
    """

    __slots__ = ("owner", "index", "produce", "avals", "optional")

    def __init__(self, owner, index, produce, optional):
        self.owner = owner
        self.index = index
        self.produce = produce
        self.avals = None
        self.optional = optional

    def _pending(self) -> dict:
        pending = getattr(self.owner, "_feed_pending", None)
        if pending is None:
            pending = {}
            self.owner._feed_pending = pending
        return pending

    def peek(self):
        """The values for the coming call, produced now if not yet."""
        pending = self._pending()
        if self.index not in pending:
            with _outside_trace():
                pending[self.index] = self.produce()
        return pending[self.index]

    def restore(self, values):
        self._pending()[self.index] = values

    def take(self):
        values = self.peek()
        del self._pending()[self.index]
        return values


class _Local(threading.local):
    def __init__(self):
        self.collector = None


_local = _Local()


class Collector:
    """The feeds one trace used and the id of each array it staged."""

    def __init__(self):
        self.feeds = []
        self.slots = {}  # id(staged array) -> (feed number, array number)
        self.uses = {}   # id(owner) -> uses so far in this trace

    def __enter__(self):
        self.outer = _local.collector
        _local.collector = self
        return self

    def __exit__(self, *exc):
        _local.collector = self.outer


class _outside_trace:
    """Context: the pipeline runs eagerly, as at call time, even while a trace is built
    (a `map` function's ops must not become part of the traced program)."""

    def __enter__(self):
        self.saved = (local.tracing, _local.collector, capture.active_scope())
        local.tracing = 0
        _local.collector = None
        capture._local.scope = None
        self.eval = jax.ensure_compile_time_eval()
        self.eval.__enter__()

    def __exit__(self, *exc):
        self.eval.__exit__(*exc)
        local.tracing, _local.collector, capture._local.scope = self.saved


def tracing() -> bool:
    return _local.collector is not None


def uses(owner) -> int:
    """How many times the trace being built has staged `owner`'s values."""
    return _local.collector.uses.get(id(owner), 0)


def stage(owner, produce, optional=False):
    """Arrays standing for `produce()`'s values in the trace being built.

    Each call of the compiled function feeds that call's `produce()` values
    in their place. An `optional` feed (a dataset pass, which only reads) is
    dropped when the program does not use its arrays (a throwaway trace staged
    it); the others (an iterator's next element) are taken at every call,
    since taking one advances the iterator."""
    collector = _local.collector
    if collector is None:
        raise RuntimeError("feeds.stage outside a tf.function trace")
    index = collector.uses.get(id(owner), 0)
    collector.uses[id(owner)] = index + 1
    feed = Feed(owner, index, produce, optional)
    host = feed.peek()
    k = len(collector.feeds)
    collector.feeds.append(feed)
    feed.avals = [(tuple(h.shape), jnp.dtype(h.dtype)) for h in host]
    arrays = []
    for j, h in enumerate(host):
        with jax.ensure_compile_time_eval():
            a = jnp.array(h, copy=True)  # a fresh object: its identity names this slot
        collector.slots[id(a)] = (k, j)
        # Staged at once, so no op folds it at trace time as a known constant.
        arrays.append(lax.optimization_barrier(a))
    return arrays


def kept(feeds, used):
    """The feeds a program takes at each call: those whose arrays it uses
    (numbers in `used`) and the non-optional ones; the others' values are dropped."""
    out = []
    for k, f in enumerate(feeds):
        if k in used or not f.optional:
            out.append(f)
        else:
            f.take()
    return out


def call_values(feeds):
    """Every feed's values for this call (consumed), or FeedChanged with none consumed."""
    values = [f.take() for f in feeds]
    for f, vals in zip(feeds, values):
        if [(tuple(v.shape), jnp.dtype(v.dtype)) for v in vals] != f.avals:
            for g, v in zip(feeds, values):
                g.restore(v)
            raise FeedChanged()
    return values


def peek_values(feeds):
    return [f.peek() for f in feeds]
