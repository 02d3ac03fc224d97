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
from jaxtape._src.framework.errors import NotImplementedInJaxtape
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
        from jaxtape._src.distribute.strategy import DefaultStrategy
        _default.append(DefaultStrategy())
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

    `axis` names the mesh axis inside the SPMD program; `replica_id` is a
    Python int when replicas run one by one (batches that do not divide
    evenly), where no collective can run.
    """

    def __init__(self, strategy, axis=None, replica_id=None):
        self._strategy = strategy
        self._axis = axis
        self._replica_id = replica_id

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
        return Tensor(jnp.asarray(self._replica_id or 0, jnp.int32))

    def _collective(self, what):
        if self._axis is None and self.num_replicas_in_sync > 1:
            raise NotImplementedInJaxtape(
                f"jaxtape does not implement {what} when replicas' batches differ in size "
                "(a global batch that does not divide by the replicas): batch with "
                "drop_remainder=True")

    def all_reduce(self, reduce_op, value, options=None):
        op = as_reduce_op(reduce_op)
        self._collective("ReplicaContext.all_reduce")
        if self._axis is None:
            return nest.map_structure(_tensor, value)
        return nest.map_structure(lambda v: all_reduce_tensor(op, _tensor(v), self._axis), value)

    def all_gather(self, value, axis, options=None):
        self._collective("ReplicaContext.all_gather")
        if self._axis is None:
            return nest.map_structure(_tensor, value)

        def gather(v):
            v = _tensor(v)
            return Tensor(jax.lax.all_gather(v._value, self._axis, axis=axis, tiled=True))
        return nest.map_structure(gather, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Runs `merge_fn(strategy, *args)` in cross-replica context; tensors in
        `args` become per-replica values there (one program: each replica's own)."""
        self._collective("ReplicaContext.merge_call")
        # cycle: values builds on this module's replica contexts
        from jaxtape._src.distribute.values import PerReplica
        wrap = lambda v: PerReplica.local(self._strategy, _tensor(v), self._axis)  # noqa: E731
        args = nest.map_structure(wrap, args)
        kwargs = nest.map_structure(wrap, kwargs or {})
        push(self._strategy, None)
        try:
            return merge_fn(self._strategy, *args, **kwargs)
        finally:
            pop()

    def __repr__(self):
        return f"<tf.distribute.ReplicaContext of {type(self._strategy).__name__}>"


def all_reduce_tensor(op: ReduceOp, t: Tensor, axis) -> Tensor:
    """A tensor summed (or averaged) over the replicas: XLA's all-reduce."""
    if op is ReduceOp.SUM:
        return Tensor(jax.lax.psum(t._value, axis))
    if jnp.issubdtype(t._value.dtype, jnp.integer):  # TF's integer mean divides and truncates
        return Tensor(jax.lax.psum(t._value, axis) // jax.lax.psum(1, axis))
    return Tensor(jax.lax.pmean(t._value, axis))
