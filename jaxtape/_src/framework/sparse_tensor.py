"""`tf.sparse.SparseTensor`: three tensors, `indices` [N, rank] int64, `values` [N]
and `dense_shape` [rank] int64, as TF's composite. Its ops are in `ops/sparse`;
`values` is an ordinary tensor, so tapes differentiate through it."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor_shape import TensorShape


@export("sparse.SparseTensor", "SparseTensor")
class SparseTensor:
    """A sparse tensor: `values[i]` sits at `indices[i]` of a `dense_shape` tensor."""

    def __init__(self, indices, values, dense_shape):
        self._indices = convert_to_tensor(indices, dtypes.int64)
        self._values = convert_to_tensor(values)
        self._dense_shape = convert_to_tensor(dense_shape, dtypes.int64)
        rows, rank = self._indices.shape, self._dense_shape.shape
        for what, shape, want in (("indices", rows, 2), ("values", self._values.shape, 1),
                                  ("dense_shape", rank, 1)):
            if shape.rank != want:
                raise ValueError(f"Shape {shape} must have rank {want}")
        self._check(rows[0], self._values.shape[0])
        self._check(rows[1], rank[0])

    @staticmethod
    def _check(a, b):
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimensions {a} and {b} are not compatible")

    @property
    def indices(self):
        return self._indices

    @property
    def values(self):
        return self._values

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape([int(d) for d in np.asarray(self._dense_shape.numpy())])

    def get_shape(self) -> TensorShape:
        return self.shape

    def with_values(self, new_values) -> "SparseTensor":
        """The same positions holding `new_values`."""
        return SparseTensor(self._indices, new_values, self._dense_shape)

    @classmethod
    def from_value(cls, value) -> "SparseTensor":
        return value if isinstance(value, SparseTensor) else cls(
            value.indices, value.values, value.dense_shape)

    def __str__(self):
        return (f"SparseTensor(indices={self._indices!s}, values={self._values!s}, "
                f"dense_shape={self._dense_shape!s})")

    __repr__ = __str__
