"""`tf.data.Dataset`: the base every source and transformation derives from.

A subclass provides `_iter()` (a Python iterator of elements, each a flat
tuple of NumPy arrays or Datasets) and `_cardinality()`. Two optional fast
paths let batches be built with array ops instead of per-element loops:
`_indexable()` gives random access (length, gather by index array) and
`_blocks(size)` yields runs of consecutive elements stacked along a new
leading axis. The classes that the methods build live in the transformation
modules (`sources`, `map_ops`, `batch_ops`, ...), which subclass `Dataset`.
"""
from __future__ import annotations

import functools
import types

import numpy as np

from jaxtape._src.compile import feeds
from jaxtape._src.compile.autograph import dataset_loop
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError, NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.data import options as _options
from jaxtape._src.data import staged
from jaxtape._src.data.iterator import NumpyIterator, OwnedIterator
from jaxtape._src.data.structure import Structure, map_leaves, normalize, to_tensor
from jaxtape._src.data.host import on_host


@functools.cache
def _transformations():
    """The modules whose classes `Dataset`'s methods construct."""
    # Imported late to break the package's one real cycle: they subclass Dataset.
    from jaxtape._src.data import (batch_ops, map_ops, pass_ops, select_ops, shuffle_ops, slice_ops,
                                   sources, window_ops)
    return types.SimpleNamespace(batch_ops=batch_ops, map_ops=map_ops, pass_ops=pass_ops,
                                 select_ops=select_ops, shuffle_ops=shuffle_ops, slice_ops=slice_ops,
                                 sources=sources, window_ops=window_ops)


def _traced_state(value):
    """A reduce state inside tf.function: tensors in tuples and dicts (lists as tuples)."""
    if isinstance(value, list):
        return tuple(_traced_state(v) for v in value)
    if isinstance(value, (tuple, dict)):
        return map_leaves(_traced_state, value)
    return convert_to_tensor(value)


@export("data.Dataset")
class Dataset:
    """A sequence of elements (nested structures of tensors), built lazily."""

    def __init__(self, structure, inputs=()):
        self._structure_value = structure
        self._inputs = tuple(inputs)

    # -- the protocol subclasses implement --------------------------------
    @property
    def _structure(self) -> Structure:
        if callable(self._structure_value):  # spec learnt lazily (an untraceable map function)
            try:
                self._structure_value = self._structure_value()
            except AttributeError as e:
                # Python would take it for `_structure` missing and call
                # `__getattr__`, whose message would hide the function's error.
                self._structure_error = e
                raise
        return self._structure_value

    def _iter(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return _options.UNKNOWN

    def _indexable(self):
        """(length, gather) when elements can be fetched by index, else None."""
        return None

    def _blocks(self, size: int):
        """An iterator of stacked runs of elements (about `size` each), or None."""
        access = self._indexable()
        if access is None:
            return None
        length, gather = access
        return (gather(np.arange(i, min(i + size, length))) for i in range(0, length, size))

    # -- what users see ---------------------------------------------------
    @property
    def element_spec(self):
        return self._structure.element_spec

    def __iter__(self):
        if feeds.tracing():  # inside tf.function: each call reads a fresh pass (staged.py)
            return staged.StagedIterator(self)
        if local.tracing:  # e.g. in a map function: its elements would be baked in as constants
            raise NotImplementedInJaxtape(
                "jaxtape does not implement iterating a tf.data.Dataset inside a traced "
                "tf.data function")
        return OwnedIterator(self)

    def _staged_runs(self):
        """`for x in dataset` inside tf.function (compile/autograph/dataset_loop.py)."""
        return staged.runs(self, self)

    def __repr__(self):
        return f"<{type(self).__name__} element_spec={self.element_spec!r}>"

    def __bool__(self):
        return True  # never falls back on __len__, which may raise

    def __len__(self):
        n = self._cardinality()
        if n == _options.INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == _options.UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def cardinality(self):
        """The number of elements, INFINITE_CARDINALITY (-1) or UNKNOWN_CARDINALITY (-2)."""
        return to_tensor(np.asarray(self._cardinality(), np.int64))

    def as_numpy_iterator(self):
        for spec in self._structure.specs:
            if not hasattr(spec, "shape"):
                raise TypeError(f"Dataset.as_numpy_iterator() is not supported for datasets that "
                                f"produce values of type {Dataset}")
        return NumpyIterator(self)

    def options(self):
        opts = _options.Options()
        for d in self._lineage():
            own = getattr(d, "_own_options", None)
            if own is not None:
                opts = opts.merge(own)
        return opts

    def _lineage(self):
        seen, order = set(), []

        def walk(d):
            if id(d) in seen:
                return
            seen.add(id(d))
            for i in d._inputs:
                walk(i)
            order.append(d)
        walk(self)
        return order

    def reduce(self, initial_state, reduce_func):
        """Folds `reduce_func(state, element)` over the dataset; returns the state as tensors."""
        if feeds.tracing():  # inside tf.function: a scan over each call's pass
            return dataset_loop.fold(self._staged_runs(), reduce_func, _traced_state(initial_state))
        state = map_leaves(to_tensor, normalize(initial_state))
        structure = self._structure
        for leaves in self._iter():
            element = structure.pack([to_tensor(leaf) for leaf in leaves])
            with on_host():
                state = reduce_func(state, element)
            state = map_leaves(to_tensor, normalize(state, lists_are_tuples=True))
        return state

    def get_single_element(self, name=None):
        it = self._iter()
        try:
            leaves = next(it)
        except StopIteration:
            raise InvalidArgumentError(None, None, "Dataset was empty. [Op:DatasetToSingleElement] name: ") from None
        try:
            next(it)
        except StopIteration:
            return self._structure.pack([to_tensor(leaf) for leaf in leaves])
        raise InvalidArgumentError(None, None, "Dataset had more than one element. [Op:DatasetToSingleElement] name: ")

    # -- sources ------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        sources = _transformations().sources
        return sources._TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        sources = _transformations().sources
        return sources._TensorDataset(tensors)

    @staticmethod
    def range(*args, **kwargs):
        sources = _transformations().sources
        return sources._RangeDataset(*args, **kwargs)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        sources = _transformations().sources
        if datasets is None:
            datasets = args[0] if len(args) == 1 else args
        return sources._ZipDataset(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        sources = _transformations().sources
        return sources._GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        sources = _transformations().sources
        return sources.list_files(file_pattern, shuffle, seed)

    @staticmethod
    def counter(start=0, step=1, dtype=dtypes.int64, name=None):
        select_ops = _transformations().select_ops
        return select_ops.counter(start, step, dtype)

    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        select_ops = _transformations().select_ops
        return select_ops._RandomDataset(seed, rerandomize_each_iteration)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        select_ops = _transformations().select_ops
        return select_ops.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        select_ops = _transformations().select_ops
        return select_ops.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                               rerandomize_each_iteration)

    # -- transformations -----------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        map_ops = _transformations().map_ops
        cls = map_ops._MapDataset if num_parallel_calls is None else map_ops._ParallelMapDataset
        return cls(self, map_func)

    def filter(self, predicate, name=None):
        map_ops = _transformations().map_ops
        return map_ops._FilterDataset(self, predicate)

    def take_while(self, predicate, name=None):
        map_ops = _transformations().map_ops
        return map_ops._TakeWhileDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        map_ops = _transformations().map_ops
        return map_ops._FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        map_ops = _transformations().map_ops
        cls = map_ops._InterleaveDataset if num_parallel_calls is None else map_ops._ParallelInterleaveDataset
        return cls(self, map_func, cycle_length, block_length)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        batch_ops = _transformations().batch_ops
        cls = batch_ops._BatchDataset if num_parallel_calls is None else batch_ops._ParallelBatchDataset
        return cls(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        batch_ops = _transformations().batch_ops
        return batch_ops._PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self, name=None):
        batch_ops = _transformations().batch_ops
        return batch_ops._UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        batch_ops = _transformations().batch_ops
        return batch_ops._RebatchDataset(self, batch_size, drop_remainder)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        batch_ops = _transformations().batch_ops
        return batch_ops._WindowDataset(self, size, shift, stride, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        shuffle_ops = _transformations().shuffle_ops
        return shuffle_ops._ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        slice_ops = _transformations().slice_ops
        return slice_ops._RepeatDataset(self, count)

    def take(self, count, name=None):
        slice_ops = _transformations().slice_ops
        return slice_ops._TakeDataset(self, count)

    def skip(self, count, name=None):
        slice_ops = _transformations().slice_ops
        return slice_ops._SkipDataset(self, count)

    def shard(self, num_shards, index, name=None):
        slice_ops = _transformations().slice_ops
        return slice_ops._ShardDataset(self, num_shards, index)

    def concatenate(self, dataset, name=None):
        slice_ops = _transformations().slice_ops
        return slice_ops._ConcatenateDataset(self, dataset)

    def enumerate(self, start=0, name=None):
        sources = _transformations().sources
        return sources._ZipDataset((sources._RangeDataset(start, np.iinfo(np.int64).max), self))

    def cache(self, filename="", name=None):
        pass_ops = _transformations().pass_ops
        return pass_ops.CacheDataset(self, filename)

    def prefetch(self, buffer_size, name=None):
        pass_ops = _transformations().pass_ops
        return pass_ops._PrefetchDataset(self, buffer_size)

    def with_options(self, options, name=None):
        pass_ops = _transformations().pass_ops
        return pass_ops._OptionsDataset(self, options)

    def apply(self, transformation_func):
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"`transformation_func` must return a `tf.data.Dataset` object. "
                            f"Got {type(out)}.")
        return out

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None,
                        name=None):
        window_ops = _transformations().window_ops
        return window_ops.group_by_window(self, key_func, reduce_func, window_size, window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries, bucket_batch_sizes,
                                  padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):
        window_ops = _transformations().window_ops
        return window_ops.bucket_by_sequence_length(
            self, element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
            padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)

    def scan(self, initial_state, scan_func, name=None):
        window_ops = _transformations().window_ops
        return window_ops.scan(self, initial_state, scan_func)

    def unique(self, name=None):
        map_ops = _transformations().map_ops
        return map_ops._UniqueDataset(self)

    def ignore_errors(self, log_warning=False, name=None):
        pass_ops = _transformations().pass_ops
        return pass_ops._IgnoreErrorsDataset(self)

    def __getattr__(self, name):
        if name == "_structure" and "_structure_error" in self.__dict__:
            raise self.__dict__.pop("_structure_error")
        if name in _TF_METHODS:
            raise NotImplementedInJaxtape(f"jaxtape does not implement tf.data.Dataset.{name}")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


# TF's Dataset methods jaxtape lacks: they fail naming themselves.
_TF_METHODS = {"fingerprint", "load", "ragged_batch", "rejection_resample", "save", "snapshot",
               "sparse_batch"}

