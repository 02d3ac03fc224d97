"""`tf.sparse.eye`, `fill_empty_rows` and `to_indicator`."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.sparse.conversion import host_indices, host_shape


def _int(value) -> int:
    return int(np.asarray(value.numpy() if hasattr(value, "numpy") else value))


@export("sparse.eye")
def eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """A sparse identity matrix of `num_rows` x `num_columns` (square if None)."""
    rows = _int(num_rows)
    cols = rows if num_columns is None else _int(num_columns)
    n = min(rows, cols)
    diag = np.arange(n, dtype=np.int64)
    dtype = dtypes.as_dtype(dtype)
    return SparseTensor(np.stack([diag, diag], axis=1).reshape(n, 2),
                        convert_to_tensor(np.ones(n, dtype.as_numpy_dtype)), np.array([rows, cols], np.int64))


@export("sparse.fill_empty_rows")
def fill_empty_rows(sp_input, default_value, name=None):
    """Each empty row gets `default_value` at column 0; also which rows were empty."""
    sp = SparseTensor.from_value(sp_input)
    shape, indices = host_shape(sp), host_indices(sp)
    nrows = shape[0]
    empty = np.ones(nrows, bool)
    if len(indices):
        empty[indices[:, 0]] = False
    missing = np.flatnonzero(empty)
    added = np.zeros((len(missing), len(shape)), np.int64)
    added[:, 0] = missing
    all_indices = np.concatenate([indices, added]).reshape(-1, len(shape))
    default = convert_to_tensor(default_value, sp.dtype)
    if default.shape.rank != 0:
        raise op_error("default_value must be a scalar", "SparseFillEmptyRows")
    values = concat([sp.values, reshape(default, [1])], 0)
    pick = np.concatenate([np.arange(len(indices)), np.full(len(missing), len(indices))]).astype(np.int64)
    # TF keeps the input's order within a row and sorts rows (a stable sort on the row)
    order = np.argsort(all_indices[:, 0], kind="stable")
    out = SparseTensor(all_indices[order], gather(values, convert_to_tensor(pick[order])),
                       sp.dense_shape)
    return out, convert_to_tensor(empty)


@export("sparse.to_indicator")
def to_indicator(sp_input, vocab_size, name=None):
    """Dense bool [..., vocab_size]: True at each row's given ids (the last index dropped)."""
    sp = SparseTensor.from_value(sp_input)
    if sp.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Unexpected dtype: {sp.dtype}")
    shape, indices = host_shape(sp), host_indices(sp)
    ids = np.asarray(sp.values.numpy()).reshape(-1)
    vocab = _int(vocab_size)
    out = np.zeros(shape[:-1] + [vocab], bool)
    for index, v in zip(indices, ids):
        if not 0 <= v < vocab:
            raise op_error(f"indices[{len(out)}] = [{','.join(map(str, index[:-1]))},{v}] is out of "
                           f"bounds: need 0 <= index < [{','.join(map(str, shape[:-1] + [vocab]))}]",
                           "SparseToDense")
        out[tuple(index[:-1]) + (int(v),)] = True
    return convert_to_tensor(out)
