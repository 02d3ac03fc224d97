"""The strategies: a one-axis mesh over their devices, and what they do with it.

`MirroredStrategy(devices)` takes TF device names (`/gpu:0`, `CPU:1`, full
`/job:.../device:GPU:0`); by default every local GPU, else every CPU device
(TF's logical CPUs are JAX's host devices, see `config/logical.py`).
`OneDeviceStrategy` is the same on one device; `TPUStrategy` on the TPU
cores. The cross-replica operations (`reduce`, `gather`) are jitted
reductions over the stacked per-replica array, replicated on the mesh.
"""
from __future__ import annotations

import contextlib
import re
import weakref

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from jaxtape._src.compile.function import Function
from jaxtape._src.config import devices as tf_devices
from jaxtape._src.distribute import context, keras_hook, spmd
from jaxtape._src.distribute.reduce_op import ReduceOp, as_reduce_op
from jaxtape._src.distribute.values import DistributedValues, MirroredVariable, PerReplica
from jaxtape._src.framework import nest, variables
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor

AXIS = "replica"
_DEVICE = re.compile(r"(?:^|/|device:)(cpu|gpu|tpu):(\d+)$", re.IGNORECASE)


def resolve_device(name):
    """The JAX device a TF device name means."""
    if isinstance(name, jax.Device):
        return name
    text = getattr(name, "name", name)
    match = _DEVICE.search(str(text))
    device = match and tf_devices.jax_device(match.group(1).upper(), int(match.group(2)))
    if device is None:
        raise ValueError(f"Unrecognized device: {text!r}")
    return device


def tf_device_name(device, task=0, job="localhost"):
    kind = {"cpu": "CPU", "gpu": "GPU", "tpu": "TPU"}.get(device.platform, device.platform.upper())
    index = jax.local_devices(backend=device.platform).index(device) \
        if device.process_index == jax.process_index() else device.id
    return f"/job:{job}/replica:0/task:{task}/device:{kind}:{index}"


@export("distribute.StrategyExtended")
class Extended:
    """`strategy.extended`: the device lists TF exposes there."""

    def __init__(self, strategy):
        self._strategy = weakref.ref(strategy)

    @property
    def worker_devices(self):
        s = self._strategy()
        return tuple(tf_device_name(d, s._task_id, s._job) for d in s._local_devices)

    parameter_devices = worker_devices
    experimental_enable_get_next_as_optional = True
    experimental_require_static_shapes = True
    should_checkpoint = should_save_summary = True

    @property
    def experimental_between_graph(self):
        return isinstance(self._strategy(), MultiProcess)

    def _in_multi_worker_mode(self):
        return jax.process_count() > 1

    def variable_created_in_scope(self, v):
        """Whether `v` was created in this strategy's scope (laid out on its mesh)."""
        s = self._strategy()
        if isinstance(s, _DefaultDistributionStrategy) or getattr(v, "_strategy", None) is s:
            return True
        return getattr(getattr(v, "_value", None), "sharding", None) == s._replicated

    def call_for_each_replica(self, fn, args=(), kwargs=None):
        return self._strategy().run(fn, args, kwargs)

    def reduce_to(self, reduce_op, value, destinations, options=None):
        """The reduced value on every replica (TF's Mirrored)."""
        s = self._strategy()
        total = s.reduce(reduce_op, value, axis=None)
        return PerReplica.from_replica_arrays(s, [total._value] * len(s._local_devices))

    def batch_reduce_to(self, reduce_op, value_destination_pairs, options=None):
        return [self.reduce_to(reduce_op, v, d) for v, d in value_destination_pairs]

    @contextlib.contextmanager
    def colocate_vars_with(self, colocate_with_variable):
        """Variables created inside are laid out as every mirrored one already is."""
        yield

    def update(self, var, fn, args=(), kwargs=None, group=True):
        """`fn(var, *args)` in cross-replica context: the one update of a mirrored variable."""
        context.push(self._strategy(), None)
        try:
            return fn(var, *args, **(kwargs or {}))
        finally:
            context.pop()


class MultiProcess:
    """Marks strategies whose replicas span several processes (between-graph in TF)."""


@export("distribute.Strategy")
class Strategy:
    """What every strategy shares; `devices` is the mesh's order of replicas."""

    _variable_class = MirroredVariable  # what `tf.Variable(...)` makes in the scope

    def __init__(self, devices):
        self._devices = list(devices)
        self._mesh = Mesh(np.array(self._devices, dtype=object), (AXIS,))
        self._axis = AXIS
        self._local_devices = [d for d in self._devices if d.process_index == jax.process_index()]
        self._replicated = NamedSharding(self._mesh, P())
        self._sharded = NamedSharding(self._mesh, P(AXIS))
        self._functions = weakref.WeakKeyDictionary()
        self._job, self._task_id = "localhost", 0
        self.extended = Extended(self)
        self._default_replica_context = context.ReplicaContext(self, replica_id=0)

    @property
    def num_replicas_in_sync(self):
        return len(self._devices)

    @property
    def mesh(self):
        """jaxtape: the `jax.sharding.Mesh` the replicas run on (axis "replica")."""
        return self._mesh

    # -- layouts ------------------------------------------------------------
    def _replicate(self, array):
        if isinstance(array, jax.core.Tracer):
            return array
        if self.num_replicas_in_sync == len(self._local_devices):
            return jax.device_put(array, self._replicated)
        return jax.make_array_from_callback(array.shape, self._replicated,
                                            lambda index: np.asarray(array)[index])

    def _stack_local(self, arrays):
        """One array `[replicas, ...]` sharded on the mesh from this process's replicas' values."""
        if any(isinstance(a, jax.core.Tracer) for a in arrays):
            return jnp.stack(arrays)
        pieces = [jax.device_put(np.asarray(a)[None], d) for a, d in zip(arrays, self._local_devices)]
        shape = (self.num_replicas_in_sync, *np.shape(arrays[0]))
        return jax.make_array_from_single_device_arrays(shape, self._sharded, pieces)

    def _to_local(self, array):
        """A result replicated on the mesh as a tensor this process can read."""
        if isinstance(array, jax.core.Tracer) or array.is_fully_addressable:
            return Tensor(array)
        return Tensor(array.addressable_data(0))

    # -- scope ----------------------------------------------------------------
    @contextlib.contextmanager
    def scope(self):
        """Variables created inside are mirrored: one array replicated on the mesh."""
        keras_hook.install_if_loaded()
        context.push(self, None)
        variables.creation_layouts.append(self._replicate)
        variables.creation_classes.append(self._variable_class)
        try:
            with keras_hook.strategy_scope(self):
                yield self
        finally:
            variables.creation_classes.pop()
            variables.creation_layouts.pop()
            context.pop()

    # -- running per replica ----------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """`fn(*args, **kwargs)` on every replica, as one SPMD program (replicas in
        threads when their inputs differ in shape)."""
        kwargs = kwargs or {}
        keras_hook.install_if_loaded()
        if local.tracing:
            return self._run_in_trace(fn, args, kwargs)
        # Eager: the same program, compiled per input signature as tf.function would
        # (an uneven batch too: one compile, not one per op and replica shape).
        compiled = self._functions.get(fn) if _weakable(fn) else None
        if compiled is None:
            compiled = Function(lambda *a, **k: self._run_in_trace(fn, a, k),
                                autograph=False, name=getattr(fn, "__name__", "run"))
            if _weakable(fn):
                self._functions[fn] = compiled
        return compiled(*args, **kwargs)

    def _run_in_trace(self, fn, args, kwargs):
        uneven = any(isinstance(x, PerReplica) and x._values is not None
                     for x in jax.tree_util.tree_leaves((args, kwargs), is_leaf=spmd._is_leaf))
        return (spmd.run_uneven if uneven else spmd.run_traced)(self, fn, args, kwargs)

    # -- cross-replica -----------------------------------------------------------
    def experimental_local_results(self, value):
        if isinstance(value, DistributedValues):
            return value._local_results()
        return (value,)

    def reduce(self, reduce_op, value, axis):
        op = as_reduce_op(reduce_op)
        return nest.map_structure(lambda v: self._reduce_one(op, v, axis), value,
                                  check_types=False) if not isinstance(value, PerReplica) \
            else self._reduce_one(op, value, axis)

    def _reduce_one(self, op, value, axis):
        if isinstance(value, PerReplica) and value._local is not None:  # inside merge_call
            t = value._local
            if axis is not None:
                t = Tensor(jnp.sum(t._value, axis=axis)) if op is ReduceOp.SUM else t
            if op is ReduceOp.MEAN and axis is not None:
                count = context.all_reduce_tensor(ReduceOp.SUM, Tensor(jnp.asarray(
                    t._value.shape[axis], jnp.float32)), value._axis)
                total = context.all_reduce_tensor(ReduceOp.SUM, Tensor(jnp.sum(t._value, axis)), value._axis)
                return Tensor(total._value / count._value.astype(total._value.dtype))
            return context.all_reduce_tensor(op, t, value._axis)
        if isinstance(value, PerReplica) and value._values is not None:
            parts = [v._value for v in value._values]
            if axis is None:
                total = sum(parts[1:], parts[0])
                return self._to_local(total / len(parts) if op is ReduceOp.MEAN else total)
            joined = jnp.concatenate(parts, axis=axis)
            return self._to_local(jnp.mean(joined, axis) if op is ReduceOp.MEAN else jnp.sum(joined, axis))
        if isinstance(value, PerReplica):
            return self._to_local(_reduce_stacked(op, value._stacked._value, axis, self._replicated))
        t = value if isinstance(value, Tensor) else convert_to_tensor(value)
        if op is ReduceOp.SUM and self.num_replicas_in_sync > 1:
            raise ValueError(f"A non-DistributedValues value {t} cannot be reduced with the "
                             f"given reduce op {op}.")
        if axis is not None:
            return Tensor(jnp.mean(t._value, axis) if op is ReduceOp.MEAN else jnp.sum(t._value, axis))
        return t

    def gather(self, value, axis):
        """The replicas' values concatenated along `axis`."""
        def one(v):
            if isinstance(v, MirroredVariable):  # each replica's copy, as TF's
                return Tensor(jnp.concatenate([v.value()._value] * self.num_replicas_in_sync, axis))
            if not isinstance(v, PerReplica):
                return v if isinstance(v, Tensor) else convert_to_tensor(v)
            if v._values is not None:
                return self._to_local(jnp.concatenate([x._value for x in v._values], axis=axis))
            return self._to_local(_gather_stacked(v._stacked._value, axis, self._replicated))
        return one(value) if isinstance(value, PerReplica) else nest.map_structure(one, value)

    # -- input ----------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        # cycle: input builds on PerReplica and the strategy's layouts
        from jaxtape._src.distribute.input import DistributedDataset
        return DistributedDataset(self, dataset)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        # cycle: input builds on PerReplica and the strategy's layouts
        from jaxtape._src.distribute.input import DistributedDatasetsFromFunction
        return DistributedDatasetsFromFunction(self, dataset_fn)

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_distribute_values_from_function(self, value_fn):
        # cycle: input builds on PerReplica and the strategy's layouts
        from jaxtape._src.distribute.input import ValueContext
        values = [value_fn(ValueContext(r, self.num_replicas_in_sync))
                  for r in range(len(self._local_devices))]
        return PerReplica.from_replica_arrays(self, [convert_to_tensor(v)._value for v in values])

    def __repr__(self):
        return f"<{type(self).__name__} with {self.num_replicas_in_sync} replicas>"


def _weakable(fn):
    try:
        weakref.ref(fn)
        return True
    except TypeError:
        return False


def _jit_replicated(fn, sharding):
    return jax.jit(fn, out_shardings=sharding)


def _reduce_stacked(op, array, axis, sharding):
    def reduce(x):
        axes = (0,) if axis is None else (0, axis + 1)
        if op is ReduceOp.SUM:
            return jnp.sum(x, axes, dtype=x.dtype)
        if jnp.issubdtype(x.dtype, jnp.integer):
            x = x.astype(jnp.float64)  # TF's MEAN of integers is a float ratio (see above: 3.5)
        return jnp.mean(x, axes)
    if isinstance(array, jax.core.Tracer):
        return reduce(array)
    return _jit_replicated(reduce, sharding)(array)


def _gather_stacked(array, axis, sharding):
    def gather(x):
        moved = jnp.moveaxis(x, 0, axis)  # [.., replicas, n, ..] -> [.., replicas * n, ..]
        shape = list(x.shape[1:])
        shape[axis] *= x.shape[0]
        return moved.reshape(shape)
    if isinstance(array, jax.core.Tracer):
        return gather(array)
    return _jit_replicated(gather, sharding)(array)


@export("distribute.CrossDeviceOps")
class CrossDeviceOps:
    """TF's choice of all-reduce algorithm: accepted; XLA's collectives do the reduction."""


@export("distribute.HierarchicalCopyAllReduce")
class HierarchicalCopyAllReduce(CrossDeviceOps):
    def __init__(self, num_packs=1):
        self.num_packs = num_packs


@export("distribute.NcclAllReduce")
class NcclAllReduce(HierarchicalCopyAllReduce):
    pass


@export("distribute.ReductionToOneDevice")
class ReductionToOneDevice(CrossDeviceOps):
    def __init__(self, reduce_to_device=None, accumulation_fn=None):
        self.reduce_to_device, self.accumulation_fn = reduce_to_device, accumulation_fn


@export("distribute.MirroredStrategy")
class MirroredStrategy(Strategy):
    def __init__(self, devices=None, cross_device_ops=None):
        if devices is None:
            found = tf_devices.jax_devices()
            devices = found["GPU"] or found["CPU"]
        else:
            devices = [resolve_device(d) for d in devices]
            if not devices:
                raise ValueError("Got an empty `devices` list. Please make sure the `devices` "
                                 "you pass in is not empty.")
        super().__init__(devices)


@export("distribute.OneDeviceStrategy")
class OneDeviceStrategy(Strategy):
    _variable_class = variables.Variable  # TF's are plain variables here

    def __init__(self, device):
        super().__init__([resolve_device(device)])


@export("distribute.TPUStrategy", "distribute.experimental.TPUStrategy")
class TPUStrategy(Strategy):
    """Every TPU core as a replica (`tpu_cluster_resolver` is accepted; JAX finds the cores)."""

    def __init__(self, tpu_cluster_resolver=None, experimental_device_assignment=None,
                 experimental_spmd_xla_partitioning=False):
        tpus = tf_devices.jax_devices()["TPU"]
        if not tpus:
            raise ValueError("TPUStrategy: no TPU devices found")
        super().__init__(jax.devices("tpu"))


class _DefaultDistributionStrategy(Strategy):
    """The strategy outside any scope: one replica on the default device, no mesh work."""

    def __init__(self):
        super().__init__([jax.devices()[0]])

    @contextlib.contextmanager
    def scope(self):
        context.push(self, None)
        try:
            yield self
        finally:
            context.pop()

    def run(self, fn, args=(), kwargs=None, options=None):
        context.push(self, self._default_replica_context)
        try:
            return fn(*args, **(kwargs or {}))
        finally:
            context.pop()

    def _reduce_one(self, op, value, axis):
        t = value if isinstance(value, Tensor) else convert_to_tensor(value)
        if axis is not None:
            return Tensor(jnp.mean(t._value, axis) if op is ReduceOp.MEAN else jnp.sum(t._value, axis))
        return t
