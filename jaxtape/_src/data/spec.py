"""Element specs: TF's `TensorSpec` for tensor leaves, `DatasetSpec` for
dataset leaves (the elements of `window`)."""
from __future__ import annotations

import jax
import numpy as np

from jaxtape._src.compile.signature import TensorSpec
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor_shape import TensorShape


@export("data.DatasetSpec")
class DatasetSpec:
    """The spec of a leaf that is itself a dataset."""

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = TensorShape(dataset_shape)

    @property
    def element_spec(self):
        return self._element_spec

    def __eq__(self, other):
        return (isinstance(other, DatasetSpec) and self._element_spec == other._element_spec
                and self._dataset_shape == other._dataset_shape)

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        return f"DatasetSpec({self._element_spec!r}, {self._dataset_shape!r})"


def spec_of(leaf):
    """The spec of one host leaf (a NumPy array or a Dataset)."""
    if isinstance(leaf, (np.ndarray, jax.Array)):
        return TensorSpec(leaf.shape, dtypes.as_dtype(leaf.dtype))
    return DatasetSpec(leaf.element_spec)


def relaxed(spec: TensorSpec, other: TensorSpec) -> TensorSpec:
    """The most specific spec both fit: dims that differ become None."""
    a, b = spec.shape, other.shape
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorSpec(None, spec.dtype)
    dims = [x if x == y else None for x, y in zip(a.as_list(), b.as_list())]
    return TensorSpec(dims, spec.dtype)


def with_batch_dim(spec, size):
    """`spec` with a leading batch dimension of `size` (None: unknown)."""
    if isinstance(spec, DatasetSpec):
        raise TypeError("jaxtape does not implement batching datasets of datasets")
    shape = spec.shape
    dims = None if shape.rank is None else [size] + shape.as_list()
    return TensorSpec(dims, spec.dtype)


def without_batch_dim(spec):
    shape = spec.shape
    dims = None if shape.rank is None else shape.as_list()[1:]
    return TensorSpec(dims, spec.dtype)


def leading_dim(spec):
    shape = spec.shape
    return None if shape.rank is None or shape.rank == 0 else shape.as_list()[0]
