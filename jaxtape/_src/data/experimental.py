"""`tf.data.experimental.*` names older code still uses: functions and
`apply`-style transformations that are now Dataset methods."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import map_structure
from jaxtape._src.data import options as _options
from jaxtape._src.data.batch_ops import _MapAndBatchDataset
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.select_ops import _RandomDataset
from jaxtape._src.data.spec import TensorSpec
from jaxtape._src.data.structure import Structure, to_host
from jaxtape._src.ops.io_parsing import (FixedLenFeature, FixedLenSequenceFeature, parse_example,
                                         plan)


@export("data.experimental.cardinality")
def cardinality(dataset):
    return dataset.cardinality()


@export("data.experimental.get_single_element")
def get_single_element(dataset):
    return dataset.get_single_element()


@export("data.experimental.get_structure")
def get_structure(dataset_or_iterator):
    return dataset_or_iterator.element_spec


@export("data.experimental.get_next_as_optional")
def get_next_as_optional(iterator):
    return iterator.get_next_as_optional()


@export("data.experimental.enumerate_dataset")
def enumerate_dataset(start=0):
    return lambda dataset: dataset.enumerate(start)


@export("data.experimental.unbatch")
def unbatch():
    return lambda dataset: dataset.unbatch()


@export("data.experimental.ignore_errors")
def ignore_errors(log_warning=False):
    return lambda dataset: dataset.ignore_errors()


@export("data.experimental.take_while")
def take_while(predicate):
    return lambda dataset: dataset.take_while(predicate)


@export("data.experimental.unique")
def unique():
    return lambda dataset: dataset.unique()


@export("data.experimental.shuffle_and_repeat")
def shuffle_and_repeat(buffer_size, count=None, seed=None):
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


@export("data.experimental.map_and_batch")
def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    return lambda dataset: _MapAndBatchDataset(dataset.map(map_func), batch_size, drop_remainder)


@export("data.experimental.parallel_interleave")
def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length)


@export("data.experimental.from_list")
def from_list(elements, name=None):
    """A dataset of the given elements (each a structure of tensors)."""
    if not elements:
        raise ValueError("Invalid `elements`. `elements` should not be empty.")
    stacked = map_structure(lambda *xs: np.stack([to_host(x) for x in xs]), *elements)
    return Dataset.from_tensor_slices(stacked)


class _AssertCardinalityDataset(Dataset):
    """The input, checked to have exactly `expected` elements as it runs."""

    def __init__(self, input_dataset, expected):
        self._input = input_dataset
        self._expected = int(to_host(expected))
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        n = 0
        for leaves in self._input._iter():
            n += 1
            if self._expected != _options.INFINITE and n > self._expected:
                raise FailedPreconditionError(None, None, "Input dataset was expected to contain "
                                              f"{_elements(self._expected)} but contained at least "
                                              f"{_elements(n)}. [Op:IteratorGetNext] name: ")
            yield leaves
        if n != self._expected:
            raise FailedPreconditionError(None, None, "Input dataset was expected to contain "
                                          f"{_elements(self._expected)} but contained only "
                                          f"{_elements(n)}. [Op:IteratorGetNext] name: ")

    def _cardinality(self):
        return self._expected


def _elements(n):
    return "1 element" if n == 1 else f"{n} elements"


@export("data.experimental.assert_cardinality")
def assert_cardinality(expected_cardinality):
    return lambda dataset: _AssertCardinalityDataset(dataset, expected_cardinality)


@export("data.experimental.choose_from_datasets")
def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=False):
    """As `Dataset.choose_from_datasets`, but exhausted inputs are skipped by default."""
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


@export("data.experimental.sample_from_datasets")
def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


@export("data.experimental.group_by_window")
def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    return lambda dataset: dataset.group_by_window(key_func, reduce_func, window_size,
                                                   window_size_func)


@export("data.experimental.bucket_by_sequence_length")
def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None, pad_to_bucket_boundary=False,
                              no_padding=False, drop_remainder=False):
    return lambda dataset: dataset.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes, padding_values,
        pad_to_bucket_boundary, no_padding, drop_remainder)


@export("data.experimental.scan")
def scan(initial_state, scan_func):
    return lambda dataset: dataset.scan(initial_state, scan_func)


@export("data.experimental.Counter")
def Counter(start=0, step=1, dtype=dtypes.int64):  # noqa: N802 - TF's name
    return Dataset.counter(start, step, dtype)


@export("data.experimental.RandomDataset")
class RandomDatasetV2(_RandomDataset):
    """`tf.data.experimental.RandomDataset`: `Dataset.random` as a class (TF's printed name)."""

    def __init__(self, seed=None, rerandomize_each_iteration=None, name=None):
        super().__init__(seed, rerandomize_each_iteration)


@export("data.experimental.parse_example_dataset")
def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """A transformation: each element (a vector of serialized Examples) parsed with
    `tf.io.parse_example` (dense features only: jaxtape's datasets hold no
    SparseTensor or RaggedTensor elements)."""
    if features is None:
        raise ValueError("Argument `features` is required, but not specified.")

    def apply(dataset):
        spec = dataset.element_spec
        if getattr(spec, "dtype", None) != dtypes.string or spec.shape.rank != 1:
            raise TypeError("Input dataset should be a dataset of vectors of strings. Instead "
                            f"it is `{spec}`.")
        mapped = dataset.map(lambda serialized: parse_example(serialized, features),
                             num_parallel_calls=num_parallel_calls, deterministic=deterministic)
        specs = _parsed_specs(features)
        if specs is not None:  # TF's spec: the batch dimension unknown
            mapped._structure_value = Structure.from_specs(specs)
        return mapped
    return apply


def _parsed_specs(features):
    """{key: TensorSpec} of parse_example's dense outputs (None for other features)."""
    if not all(isinstance(f, (FixedLenFeature, FixedLenSequenceFeature))
               for f in dict(features).values()):
        return None
    return {s.key: TensorSpec([None] + ([None] if s.sequence else []) + s.shape, s.dtype)
            for s in plan(features).dense}
