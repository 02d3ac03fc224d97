"""`tf.IndexedSlices`: rows `values[i]` of a tensor at row `indices[i]` of a
`dense_shape` tensor. jaxtape's gradients stay dense (README), so this class is
for code that builds or checks IndexedSlices; `tf.convert_to_tensor` of one
sums its rows into the dense tensor (differentiably, through segment sums); as
TF's eager conversion it does not warn of a large one, and needs dense_shape."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import REGISTRY, export
from jaxtape._src.framework.tensor_shape import TensorShape

@export("IndexedSlices")
class IndexedSlices:
    """A sparse representation of a set of tensor slices at given indices."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        if self._dense_shape is None:
            return TensorShape(None)
        return TensorShape([int(d) for d in np.asarray(self._dense_shape.numpy()).reshape(-1)])

    @property
    def device(self):
        return getattr(self._values, "device", None)

    def __str__(self):
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{shape})"

    def __repr__(self):
        return f"<jaxtape.IndexedSlices object at {hex(id(self))}>"

    def _dense_for_conversion(self, name=None):
        """The dense tensor (`convert_to_tensor`'s), rows at the same index summed."""
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices for argument "
                             f"`{name or 'value'}` without dense_shape: {self!s}")
        shape = self.shape.as_list()  # (TF warns of a large one only building a graph)
        return REGISTRY["math.unsorted_segment_sum"](self._values, self._indices, shape[0])

    def __tf_tensor__(self, dtype=None, name=None):
        return convert_to_tensor(self._dense_for_conversion(name), dtype)


def is_indexed_slices(x) -> bool:
    return isinstance(x, IndexedSlices)
