"""Which strategy is current and whether code runs per replica or across them.

TF keeps a per-thread stack: outside any scope the default strategy (one
replica) is current and its default replica context is active; inside
`strategy.scope()` the context is cross-replica (`get_replica_context()` is
None); inside `strategy.run` a `ReplicaContext` is active. Inside the SPMD
program a replica's id and the collectives are JAX's named-axis operations
over the mesh axis.
"""
from __future__ import annotations

import threading

import jax
import jax.numpy as jnp

from jaxtape._src.distribute.reduce_op import ReduceOp, as_reduce_op
from jaxtape._src.framework import nest
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor import Tensor


class _Stack(threading.local):
    def __init__(self):
        self.entries = []  # (strategy, replica context or None), innermost last


_stack = _Stack()


def push(strategy, replica_context):
    _stack.entries.append((strategy, replica_context))


def pop():
    _stack.entries.pop()


def current():
    """(strategy, replica context) now; the default strategy when none is entered."""
    if _stack.entries:
        return _stack.entries[-1]
    default = default_strategy()
    return default, default._default_replica_context


_default = []


def default_strategy():
    if not _default:
        # cycle: strategy imports this module for the stack
        from jaxtape._src.distribute.strategy import _DefaultDistributionStrategy
        _default.append(_DefaultDistributionStrategy())
    return _default[0]


@export("distribute.get_strategy")
def get_strategy():
    return current()[0]


@export("distribute.has_strategy")
def has_strategy():
    return current()[0] is not default_strategy()


@export("distribute.in_cross_replica_context")
def in_cross_replica_context():
    return current()[1] is None


@export("distribute.get_replica_context")
def get_replica_context():
    return current()[1]


def _tensor(x):
    if isinstance(x, Tensor):
        return x
    if hasattr(x, "_read_for_op"):
        return x._read_for_op()
    return convert_to_tensor(x)


@export("distribute.ReplicaContext")
class ReplicaContext:
    """One replica's view inside `strategy.run`.

    `axis` names the mesh axis inside the SPMD program; when replicas' batches
    differ in shape each replica runs in its own thread (`replica_id` a Python
    int) and collectives meet at `rendezvous`.
    """

    def __init__(self, strategy, axis=None, replica_id=None, rendezvous=None):
        self._strategy = strategy
        self._axis = axis
        self._replica_id = replica_id
        self._rendezvous = rendezvous  # replicas in threads (threads.py): where they meet
        self._collectives = 0

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self):
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        if self._axis is not None:
            return Tensor(jax.lax.axis_index(self._axis).astype(jnp.int32))
        with jax.ensure_compile_time_eval():  # a constant, even while a trace runs
            return Tensor(jnp.asarray(self._replica_id or 0, jnp.int32))

    def _meet(self, value, combine):
        """Threaded replicas: `combine` over every replica's `value`, run once."""
        k, self._collectives = self._collectives, self._collectives + 1
        return self._rendezvous.meet(self._replica_id, k, value, combine)

    def _threaded(self):
        return self._axis is None and self._rendezvous is not None

    def all_reduce(self, reduce_op, value, options=None):
        op = as_reduce_op(reduce_op)
        if self._threaded():
            flat = [_tensor(v)._value for v in nest.flatten(value)]
            summed = self._meet(flat, lambda per_replica: [
                reduce_arrays(op, column) for column in zip(*per_replica)])
            return nest.pack_sequence_as(value, [Tensor(a) for a in summed])
        if self._axis is None:
            return nest.map_structure(_tensor, value)
        return nest.map_structure(lambda v: all_reduce_tensor(op, _tensor(v), self._axis), value)

    def all_gather(self, value, axis, options=None):
        if self._threaded():
            flat = [_tensor(v)._value for v in nest.flatten(value)]
            joined = self._meet(flat, lambda per_replica: [
                jnp.concatenate(column, axis=axis) for column in zip(*per_replica)])
            return nest.pack_sequence_as(value, [Tensor(a) for a in joined])
        if self._axis is None:
            return nest.map_structure(_tensor, value)

        def gather(v):
            v = _tensor(v)
            return Tensor(jax.lax.all_gather(v._value, self._axis, axis=axis, tiled=True))
        return nest.map_structure(gather, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Runs `merge_fn(strategy, *args)` once, in cross-replica context; tensors
        in `args` become per-replica values there."""
        # cycle: values builds on this module's replica contexts
        from jaxtape._src.distribute.values import PerReplica
        kwargs = kwargs or {}
        if self._threaded():
            def merge(per_replica):
                flats = [nest.flatten(x) for x in per_replica]
                leaves = [PerReplica.from_replica_arrays(self._strategy, [_tensor(v)._value for v in column])
                          if _is_tensor_like(column[0]) else column[0] for column in zip(*flats)]
                a, kw = nest.pack_sequence_as(per_replica[0], leaves)
                return self._rendezvous.cross_replica(lambda: _in_cross_replica(
                    self._strategy, merge_fn, a, kw))
            return self._meet((args, kwargs), merge)
        if self._axis is not None:  # one replica's own value in the SPMD program
            wrap = lambda v: PerReplica.local(self._strategy, _tensor(v), self._axis)  # noqa: E731
            args = nest.map_structure(wrap, args)
            kwargs = nest.map_structure(wrap, kwargs)
        return _in_cross_replica(self._strategy, merge_fn, args, kwargs)

    def __repr__(self):
        return f"<tf.distribute.ReplicaContext of {type(self._strategy).__name__}>"


def _is_tensor_like(x):
    """A replica's own value (a variable, shared by all replicas, stays itself)."""
    return isinstance(x, (Tensor, jax.Array))


def _in_cross_replica(strategy, merge_fn, args, kwargs):
    push(strategy, None)
    try:
        return merge_fn(strategy, *args, **kwargs)
    finally:
        pop()


def reduce_arrays(op: ReduceOp, arrays):
    """One leaf summed (or averaged) over threaded replicas, in replica order."""
    total = arrays[0]
    for a in arrays[1:]:
        total = total + a
    if op is ReduceOp.SUM:
        return total
    if jnp.issubdtype(total.dtype, jnp.integer):
        return total // len(arrays)
    return total / len(arrays)


def all_reduce_tensor(op: ReduceOp, t: Tensor, axis) -> Tensor:
    """A tensor summed (or averaged) over the replicas: XLA's all-reduce."""
    if op is ReduceOp.SUM:
        return Tensor(jax.lax.psum(t._value, axis))
    if jnp.issubdtype(t._value.dtype, jnp.integer):  # TF's integer mean divides and truncates
        return Tensor(jax.lax.psum(t._value, axis) // jax.lax.psum(1, axis))
    return Tensor(jax.lax.pmean(t._value, axis))
