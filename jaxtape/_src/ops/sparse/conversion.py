"""`tf.sparse.to_dense`, `from_dense` and `reorder`."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.array.creation import fill
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.array.scatter import tensor_scatter_nd_update
from jaxtape._src.ops.array.shape import reshape


def host_indices(sp: SparseTensor) -> np.ndarray:
    return np.asarray(sp.indices.numpy()).reshape(-1, sp.indices.shape[1] or 0)


def host_shape(sp: SparseTensor) -> list[int]:
    return [int(d) for d in np.asarray(sp.dense_shape.numpy()).reshape(-1)]


def _dims(index) -> str:
    return ",".join(str(int(i)) for i in index)


def _validate(indices: np.ndarray, shape: list[int], op: str):
    """TF's SparseToDense checks: in bounds, strictly increasing (sorted, no repeats)."""
    for i, index in enumerate(indices):
        if np.any(index < 0) or np.any(index >= shape):
            raise op_error(f"indices[{i}] = [{_dims(index)}] is out of bounds: need 0 <= index "
                           f"< [{_dims(shape)}]", op)
        if i:
            before = tuple(indices[i - 1])
            if tuple(index) == before:
                raise op_error(f"indices[{i}] = [{_dims(index)}] is repeated", op)
            if tuple(index) < before:
                raise op_error(f"indices[{i}] = [{_dims(index)}] is out of order. Many sparse ops "
                               "require sorted indices.\n    Use `tf.sparse.reorder` to create "
                               "a correctly ordered copy.\n\n", op)


@export("sparse.to_dense")
def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor, `default_value` (zero) where no value is given."""
    sp = SparseTensor.from_value(sp_input)
    shape = host_shape(sp)
    indices = host_indices(sp)
    if validate_indices:
        _validate(indices, shape, "SparseToDense")
    if sp.dtype == dtypes.string:
        out = np.full(shape, b"" if default_value is None else
                      np.asarray(convert_to_tensor(default_value, dtypes.string)._value).item(),
                      object)
        for index, value in zip(indices, sp.values._value.reshape(-1)):
            out[tuple(index)] = value
        return StringTensor(out)
    default = 0 if default_value is None else default_value
    if not hasattr(default, "dtype"):  # a Python value takes the values' dtype; a tensor or
        default = convert_to_tensor(default, sp.dtype)  # variable stays itself (its gradient)
    dense = fill(shape, default)
    return tensor_scatter_nd_update(dense, sp.indices, sp.values)


@export("sparse.from_dense")
def from_dense(tensor, name=None):
    """The tensor's nonzero (non-empty) entries, in row-major order."""
    t = convert_to_tensor(tensor)
    text = t.dtype == dtypes.string
    values = t._value if text else np.asarray(t.numpy())
    where = np.argwhere(values != (b"" if text else 0)).astype(np.int64)
    flat = np.ravel_multi_index(where.T, values.shape) if where.size else np.zeros(0, np.int64)
    picked = StringTensor(values.reshape(-1)[flat]) if text else \
        gather(reshape(t, [-1]), convert_to_tensor(flat.astype(np.int64)))
    return SparseTensor(where.reshape(-1, values.ndim), picked, np.array(values.shape, np.int64))


@export("sparse.reorder")
def reorder(sp_input, name=None):
    """The same entries, indices in row-major (lexicographic) order."""
    sp = SparseTensor.from_value(sp_input)
    indices = host_indices(sp)
    order = np.lexsort(indices.T[::-1]) if len(indices) else np.zeros(0, np.int64)
    return SparseTensor(indices[order], gather(sp.values, convert_to_tensor(order.astype(np.int64))),
                        sp.dense_shape)
