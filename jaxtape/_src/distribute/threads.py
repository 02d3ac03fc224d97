"""`strategy.run` on replicas whose batches differ in shape: one thread per replica.

A global batch that does not divide by the replicas (the last partial batch
of an epoch) gives them different row counts, which one SPMD program cannot
take. TF runs each replica in its own thread and the threads meet at every
collective; so does this. The threads take turns in replica order (one runs
at a time, so tracing into one `tf.function` trace and Python state such as
Keras's lazy builds stay as deterministic as a single thread): at a
collective a replica leaves its value and hands the turn on; the last one
to arrive combines the values once, and every replica resumes with the
result. A `tf.function` trace around `strategy.run` is joined by every
thread (JAX's trace, jaxtape's capture scope and tape stack are per thread).

Each replica reads and writes variables through its own `capture.Scope`
layered on the caller's, so one replica's update is not seen by the others
(each holds its own copy, as TF's mirrored variables do); afterwards the
first replica's writes become the variables' values, as the single SPMD
program keeps them (`spmd.py`), and a variable aggregated by SUM or MEAN
gets the sum or mean of the replicas' changes. Variables created by a replica (an
optimizer's slots, a layer's first build) are created once, for all.
"""
from __future__ import annotations

import threading

from jax._src import core as jax_core  # private: the trace a replica thread joins

from jaxtape._src.compile import capture
from jaxtape._src.distribute import context
from jaxtape._src.distribute.reduce_op import update_reduce_op
from jaxtape._src.framework.state import local
from jaxtape._src.framework.variables import settle

_MISSING = object()


class _Cancelled(BaseException):
    """Ends a replica thread waiting for a replica that failed."""


def _unmatched():
    return RuntimeError("tf.distribute: a replica finished while the others wait for it at a "
                        "collective (every replica must call the same collectives)")


class Rendezvous:
    """Where the replica threads meet; `meet` is the one collective primitive."""

    def __init__(self, n):
        self.n = n
        self.cond = threading.Condition()
        self.turn = 0
        self.done = [False] * n
        self.rounds = []      # per collective: {replica: value}, then the combined result
        self.results = []
        self.error = None
        self.outer = None     # the caller's capture scope (None when eager)

    # -- turns ------------------------------------------------------------------
    def _pass_turn(self, r):
        """Hands the turn to the next replica still running (caller holds cond)."""
        for step in range(1, self.n + 1):
            nxt = (r + step) % self.n
            if not self.done[nxt]:
                self.turn = nxt
                break
        self.cond.notify_all()

    def _wait_turn(self, r):
        self.cond.wait_for(lambda: self.turn == r or self.error is not None)
        if self.error is not None:
            raise _Cancelled()

    def meet(self, r, k, value, combine):
        """Replica `r` at its `k`-th collective: `combine([value of each replica])`
        runs once, in the last replica to arrive; every replica gets its result."""
        with self.cond:
            if k == len(self.rounds):
                self.rounds.append({})
                self.results.append(_MISSING)
            self.rounds[k][r] = value
            if any(self.done):  # a finished replica never joins: fail, not wait forever
                self.error = self.error or _unmatched()
                self.cond.notify_all()
                raise _Cancelled()
            if len(self.rounds[k]) == self.n:
                try:
                    self.results[k] = combine([self.rounds[k][i] for i in range(self.n)])
                except BaseException as e:
                    self.error = self.error or e
                    self.cond.notify_all()
                    raise _Cancelled() from None
            self._pass_turn(r)
            self._wait_turn(r)
            return self.results[k]

    def cross_replica(self, fn):
        """`fn()` reading and writing variables as the caller does (merge_call)."""
        saved = capture._local.scope
        capture._local.scope = self.outer
        try:
            return fn()
        finally:
            capture._local.scope = saved

    def run(self, r, body):
        with self.cond:
            self._wait_turn(r)
        try:
            body()
        except _Cancelled:
            return
        except BaseException as e:
            with self.cond:
                self.error = self.error or e
                self.cond.notify_all()
            return
        with self.cond:
            self.done[r] = True
            if any(r not in rnd for rnd in self.rounds):
                self.error = self.error or _unmatched()
            self._pass_turn(r)


class ReplicaScope(capture.Scope):
    """One replica's variables: reads fall through to the caller's scope (or the
    variable), writes stay here; a variable new to both is created for all."""

    def __init__(self, outer):
        super().__init__(allow_create=True)
        self.outer = outer

    def read(self, var):
        key = id(var)
        value = self.shadow.get(key, _MISSING)
        if value is _MISSING:
            value = self.outer.read(var) if self.outer is not None else _array(var)
            self.shadow[key] = self.base[key] = value
            self.vars[key] = var
        return value

    def write(self, var, value):
        key = id(var)
        if key not in self.shadow and not self._known_outside(var):
            _write_outer(self.outer, var, value)  # a creation: one variable for every replica
            return
        self.shadow[key] = value
        self.vars[key] = var
        self.written[key] = var

    def _known_outside(self, var):
        if self.outer is not None and id(var) in self.outer.shadow:
            return True
        settle(var)
        return "_value" in var.__dict__


def _array(var):
    settle(var)  # a pending eager write (tape/deferred.py) lands first
    return var.__dict__["_value"]


def _write_outer(outer, var, value):
    if outer is not None:
        outer.write(var, value)
    else:
        var.__dict__["_value"] = value


def run_threads(n, replica_body):
    """`replica_body(r, rendezvous)` for r in 0..n-1, each in its own thread;
    the first replica's variable writes are kept. Returns the bodies' results."""
    rendezvous = Rendezvous(n)
    outer = rendezvous.outer = capture.active_scope()
    trace, axis_env = jax_core.trace_ctx.trace, jax_core.trace_ctx.axis_env
    tracing, tapes, accumulators = local.tracing, local.tapes, local.accumulators
    scopes = [ReplicaScope(outer) for _ in range(n)]
    results = [None] * n

    def thread_main(r):
        def body():
            jax_core.trace_ctx.set_trace(trace)
            jax_core.trace_ctx.set_axis_env(axis_env)
            # The caller's recording state too (a trace's own tape): this thread
            # records as the caller would, so a gradient inside takes the traced path.
            local.tracing = tracing
            local.tapes, local.accumulators = list(tapes), list(accumulators)
            with capture.tracing_scope(scopes[r]):
                results[r] = replica_body(r, rendezvous)
        rendezvous.run(r, body)

    threads = [threading.Thread(target=thread_main, args=(r,), name=f"replica-{r}", daemon=True)
               for r in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if rendezvous.error is not None:
        raise rendezvous.error
    _commit(outer, scopes)
    return results


def _commit(outer, scopes):
    """The first replica's writes; variables aggregated by SUM or MEAN get the
    sum or mean of every replica's change instead (TF's aggregation)."""
    written = {}
    for scope in scopes:
        written.update(scope.written)
    for key, var in written.items():
        op = update_reduce_op(var)
        if op is None:
            if key in scopes[0].written:
                _write_outer(outer, var, scopes[0].shadow[key])
            continue
        old = next(s.base[key] for s in scopes if key in s.base)
        change = context.reduce_arrays(op, [s.shadow[key] - old if key in s.written else old - old
                                            for s in scopes])
        _write_outer(outer, var, old + change)
