"""Distributed datasets: each global batch split along axis 0, as TF rebatches.

TF gives each replica `ceil(rows / replicas)` of a batch's rows, in order,
so a batch of 10 on 4 replicas splits 3, 3, 3, 1 and a partial last batch of
6 splits 2, 2, 2, 0 (measured on TF 2.21). When the pieces agree in shape (the usual
case) they are laid out as one array sharded on the replica axis (each device
gets its rows, nothing is copied per device by hand); otherwise each replica
keeps its own array. Several processes split the same global batch: each lays
out the rows of its own replicas; when the pieces differ in shape, no SPMD
program can take them (each process's program would differ), so every process
keeps every replica's piece, replicated on the mesh, and runs every replica
of that step (spmd.run_uneven): the processes compute the same thing and stay
in step without exchanging anything.
"""
from __future__ import annotations

import math

import jax
import numpy as np

from jaxtape._src.data.iterator import Optional
from jaxtape._src.distribute.values import PerReplica, replica_indices
from jaxtape._src.framework.errors import OutOfRangeError
from jaxtape._src.framework import nest
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor import Tensor


def split_rows(n_rows, replicas):
    """(start, stop) of each replica's rows in a batch of `n_rows`."""
    per = math.ceil(n_rows / replicas)
    return [(min(r * per, n_rows), min((r + 1) * per, n_rows)) for r in range(replicas)]


def distribute_element(strategy, element):
    """One dataset element (a nest of tensors) as a nest of PerReplica values."""
    replicas = strategy.num_replicas_in_sync
    mine = replica_indices(strategy)

    def leaf(t):
        array = np.asarray(t._value if isinstance(t, Tensor) else t)
        rows = split_rows(array.shape[0], replicas)
        if len(mine) < replicas and len({stop - start for start, stop in rows}) > 1:
            return PerReplica(strategy, values=tuple(
                Tensor(strategy._replicate(array[start:stop])) for start, stop in rows))
        return PerReplica.from_replica_arrays(strategy, [array[slice(*rows[r])] for r in mine])
    return nest.map_structure(leaf, element)


@export("distribute.DistributedIterator")
class DistributedIterator:
    def __init__(self, strategy, iterator):
        self._strategy, self._iterator = strategy, iterator

    def __iter__(self):
        return self

    def __next__(self):
        return distribute_element(self._strategy, next(self._iterator))

    def get_next(self):
        """The next per-replica batch; OutOfRangeError at the end, as TF's."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError(None, None, "End of sequence") from None

    def get_next_as_optional(self):
        try:
            return Optional.from_value(next(self))
        except StopIteration:
            return Optional.empty(self.element_spec)

    @property
    def element_spec(self):
        return self._iterator.element_spec


@export("distribute.DistributedDataset")
class DistributedDataset:
    """`strategy.experimental_distribute_dataset(ds)`: iterates PerReplica batches."""

    def __init__(self, strategy, dataset):
        self._strategy = strategy
        self._dataset = dataset

    def __iter__(self):
        return DistributedIterator(self._strategy, iter(self._dataset))

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def reduce(self, initial_state, reduce_fn):
        state = initial_state
        for element in self:
            state = reduce_fn(state, element)
        return state


@export("distribute.InputOptions")
class InputOptions:
    """Accepted by the dataset distributors; batches are laid out on the mesh either way."""

    def __init__(self, experimental_fetch_to_device=None, experimental_replication_mode=None,
                 experimental_place_dataset_on_device=False, experimental_per_replica_buffer_size=1):
        self.experimental_fetch_to_device = experimental_fetch_to_device
        self.experimental_replication_mode = experimental_replication_mode
        self.experimental_place_dataset_on_device = experimental_place_dataset_on_device
        self.experimental_per_replica_buffer_size = experimental_per_replica_buffer_size


@export("distribute.InputContext")
class InputContext:
    """What a dataset function learns about its input pipeline (one per process)."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self.num_replicas_in_sync != 0:
            raise ValueError(f"The `global_batch_size` {global_batch_size} is not divisible by "
                             f"`num_replicas_in_sync` {self.num_replicas_in_sync} ")  # TF's, space included
        return global_batch_size // self.num_replicas_in_sync

    def __repr__(self):
        return (f"tf.distribute.InputContext(input pipeline id {self.input_pipeline_id}, "
                f"total: {self.num_input_pipelines})")


@export("distribute.experimental.ValueContext")
class ValueContext:
    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


class DistributedDatasetsFromFunction:
    """`distribute_datasets_from_function(fn)`: fn builds this process's dataset of
    per-replica batches; its local replicas take consecutive elements in turn."""

    def __init__(self, strategy, dataset_fn):
        self._strategy = strategy
        self._dataset = dataset_fn(InputContext(jax.process_count(), jax.process_index(),
                                                strategy.num_replicas_in_sync))

    def __iter__(self):
        strategy, n = self._strategy, len(self._strategy._local_devices)
        iterator = iter(self._dataset)
        while True:
            elements = []
            for _ in range(n):
                try:
                    elements.append(next(iterator))
                except StopIteration:
                    break
            if len(elements) < n:  # TF drops a step that some replica has no element for
                return
            flats = [nest.flatten(e) for e in elements]
            leaves = [PerReplica.from_replica_arrays(strategy, [np.asarray(f[i]._value) for f in flats])
                      for i in range(len(flats[0]))]
            yield nest.pack_sequence_as(elements[0], leaves)

    @property
    def element_spec(self):
        return self._dataset.element_spec
