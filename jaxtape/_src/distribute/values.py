"""`PerReplica`: one value per replica, held as one array sharded on the mesh.

The usual form stacks the replicas' values along a new leading axis: an array
of shape `[replicas, *value.shape]` sharded over the mesh's replica axis, so
replica r's value lives on replica r's device, and a `jax.jit` or `shard_map`
takes it as one input. Replicas whose values differ in shape (a partial last
batch) hold a tuple of arrays instead (with several processes, every
replica's, each replicated on every process: input.py). Inside `merge_call` a per-replica
value is the running replica's own tensor (`local`), reduced with
collectives. A `PerReplica` is a pytree, so `tf.function` traces through it.

A variable created in a strategy's scope is a `MirroredVariable`: still one
`tf.Variable` holding one array replicated on the mesh (reads, writes,
tapes and traces treat it as any variable); its per-replica `values` are
views of that array's copy on each replica's device, not copies.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import tree_util

from jaxtape._src.distribute import context
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable


@export("distribute.DistributedValues")
class DistributedValues:
    """TF's base of per-replica and mirrored values."""

    @property
    def values(self):
        return tuple(self._local_results())

    def _text(self, text):
        lines = [f"  {i}: {text(v)}" for i, v in enumerate(self._local_results())]
        return type(self).__name__ + ":{\n" + ",\n".join(lines) + "\n}"

    def __repr__(self):
        return self._text(repr)

    def __str__(self):
        return self._text(str)


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
        local = self._strategy._local_devices
        if self._values is not None:
            if len(self._values) == len(local):
                return self._values
            # every replica's value, replicated on every process (input.py): this process's
            return tuple(self._strategy._to_local(self._values[r]._value)
                         for r in replica_indices(self._strategy))
        array = self._stacked._value
        if isinstance(array, jax.core.Tracer) or array.is_fully_addressable:
            return tuple(Tensor(array[r]) for r in range(array.shape[0]))
        return tuple(Tensor(_row(array, r)) for r in replica_indices(self._strategy))

    def replica_value(self, r):
        """Replica `r`'s value (r among all replicas when every process holds them all)."""
        if self._values is not None:
            return self._values[r]
        return self._local_results()[r]


def replica_indices(strategy):
    """Positions of this process's replicas among all of them."""
    return [strategy._devices.index(d) for d in strategy._local_devices]


def _row(array, r):
    """Row `r` of a global array from a shard of this process holding it (sharded or replicated)."""
    for shard in array.addressable_shards:
        start, stop, _ = shard.index[0].indices(array.shape[0])
        if start <= r < stop:
            return shard.data[r - start]
    raise ValueError(f"replica {r}'s value is not on this process")


class MirroredVariable(Variable, DistributedValues):
    """A variable created in `strategy.scope()`: one replicated array, one
    component per (local) replica; cross-replica writes update every replica."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._strategy = context.current()[0]  # the strategy whose scope creates it
        self._components = None

    def _new_value(self, value, op):
        # A written value is laid out as the variable was: on every replica.
        return self._strategy._replicate(super()._new_value(value, op))

    def _local_results(self):
        if self._components is None:
            self._components = tuple(_Component(self, r, d)
                                     for r, d in enumerate(self._strategy._local_devices))
        return self._components

    @property
    def primary(self):
        return self._local_results()[0]

    @property
    def device(self):
        return self.primary.device

    __repr__, __str__ = DistributedValues.__repr__, DistributedValues.__str__


class _Component(Variable):
    """Replica `r`'s variable of a MirroredVariable: a view of its copy on `device`."""

    def __init__(self, parent, r, device):
        self._parent, self._device = parent, device
        base = parent._name[:-2]
        self._name = f"{base}:0" if r == 0 else f"{base}/replica_{r}:0"
        self._id, self._unique_id = parent._id, parent._unique_id
        self._trainable, self._shape = parent._trainable, parent._shape
        self._constraint = parent._constraint
        self._synchronization, self._aggregation = parent._synchronization, parent._aggregation
        self._replica = r

    @property
    def _value(self):
        array = self._parent._value
        if isinstance(array, jax.core.Tracer):
            return array
        for shard in array.addressable_shards:
            if shard.device == self._device and shard.data.shape == array.shape:
                return shard.data
        return jax.device_put(array, self._device)  # laid out elsewhere (not by this strategy)

    @_value.setter
    def _value(self, value):
        raise NotImplementedInJaxtape(
            "jaxtape does not implement writing one replica's component of a MirroredVariable "
            "(the components are views of one replicated array): assign the MirroredVariable")

    @property
    def device(self):
        return self._parent._strategy.extended.worker_devices[self._replica]
