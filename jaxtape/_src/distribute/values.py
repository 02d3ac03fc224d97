"""`PerReplica`: one value per replica, held as one array sharded on the mesh.

The usual form stacks the replicas' values along a new leading axis: an array
of shape `[replicas, *value.shape]` sharded over the mesh's replica axis, so
replica r's value lives on replica r's device, and a `jax.jit` or `shard_map`
takes it as one input. Replicas whose values differ in shape (a partial last
batch) hold a tuple of arrays instead. Inside `merge_call` a per-replica
value is the running replica's own tensor (`local`), reduced with
collectives. A `PerReplica` is a pytree, so `tf.function` traces through it.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import tree_util

from jaxtape._src.framework.tensor import Tensor


class DistributedValues:
    """TF's base of per-replica and mirrored values."""

    @property
    def values(self):
        return tuple(self._local_results())


@tree_util.register_pytree_node_class
class PerReplica(DistributedValues):
    __slots__ = ("_strategy", "_stacked", "_values", "_axis", "_local")

    def __init__(self, strategy, stacked=None, values=None):
        self._strategy = strategy
        self._stacked = stacked   # Tensor [replicas, ...] or None
        self._values = values     # tuple of Tensors (shapes differ) or None
        self._axis = None
        self._local = None

    @classmethod
    def local(cls, strategy, tensor, axis):
        value = cls(strategy)
        value._axis, value._local = axis, tensor
        return value

    @classmethod
    def from_replica_arrays(cls, strategy, arrays):
        """From one array per (local) replica, laid out as one sharded array when shapes agree."""
        arrays = list(arrays)
        if len({(a.shape, a.dtype) for a in arrays}) == 1:
            return cls(strategy, stacked=Tensor(strategy._stack_local(arrays)))
        return cls(strategy, values=tuple(Tensor(jnp.asarray(a)) for a in arrays))

    # -- pytree ---------------------------------------------------------
    def tree_flatten(self):
        if self._stacked is not None:
            return (self._stacked,), (self._strategy, "stacked", 1)
        return tuple(self._values), (self._strategy, "values", len(self._values))

    @classmethod
    def tree_unflatten(cls, aux, children):
        strategy, kind, _ = aux
        if kind == "stacked":
            return cls(strategy, stacked=children[0])
        return cls(strategy, values=tuple(children))

    # -- reading ----------------------------------------------------------
    def _local_results(self):
        if self._local is not None:
            return (self._local,)
        if self._values is not None:
            return self._values
        array = self._stacked._value
        if isinstance(array, jax.core.Tracer) or array.is_fully_addressable:
            return tuple(Tensor(array[r]) for r in range(array.shape[0]))
        shards = sorted(array.addressable_shards, key=lambda s: s.index[0].start)
        return tuple(Tensor(s.data[0]) for s in shards)  # this process's replicas

    def __repr__(self):
        lines = [f"  {i}: {v!r}" for i, v in enumerate(self._local_results())]
        return "PerReplica:{\n" + ",\n".join(lines) + "\n}"

    __str__ = __repr__


def stacked_array(value):
    """The `[replicas, ...]` array of a per-replica value, or None."""
    return value._stacked._value if isinstance(value, PerReplica) and value._stacked is not None else None


def host_stack(arrays):
    return np.stack([np.asarray(a) for a in arrays])
