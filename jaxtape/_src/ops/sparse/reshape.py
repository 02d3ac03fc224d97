"""`tf.sparse.reshape`, `reset_shape`, `concat`, `slice` and `split`: index bookkeeping on
the host; values move with jaxtape's `gather`/`concat`, so gradients reach them."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.sparse.conversion import host_indices, host_shape


def _ints(value) -> list[int]:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _picked(sp, rows: np.ndarray):
    return gather(sp.values, convert_to_tensor(np.asarray(rows, np.int64)))


def _dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


@export("sparse.reshape")
def reshape(sp_input, shape, name=None):
    """The same entries in a tensor of `shape` (one dimension may be -1), row-major."""
    sp = SparseTensor.from_value(sp_input)
    old, new = host_shape(sp), _ints(shape)
    total = int(np.prod(old, dtype=np.int64))
    unknown = [i for i, d in enumerate(new) if d == -1]
    if len(unknown) > 1:
        raise op_error(f"only one output dimension may be -1, not both {unknown[0]} and {unknown[1]}",
                       "SparseReshape")
    for i, d in enumerate(new):
        if d < -1:
            raise op_error(f"size {i} must be non-negative, not {d}", "SparseReshape")
    known = int(np.prod([d for d in new if d != -1], dtype=np.int64))
    if unknown:
        if known == 0 or total % known:
            raise op_error(f"Input to reshape is a SparseTensor with {total} dense values, but the "
                           f"requested shape requires a multiple of {known}. input_shape="
                           f"{_dims(old)} output_shape={_dims([1 if d == -1 else d for d in new])}",
                           "SparseReshape")
        new[unknown[0]] = total // known
    elif known != total:
        raise op_error(f"Input to reshape is a tensor with {total} dense values, but the requested "
                       f"shape has {known}. input_shape={_dims(old)} output_shape={_dims(new)}",
                       "SparseReshape")
    indices = host_indices(sp)
    flat = np.ravel_multi_index(indices.T, old) if len(indices) else np.zeros(0, np.int64)
    out = np.stack(np.unravel_index(flat, new), axis=1) if len(indices) else \
        np.zeros((0, len(new)), np.int64)
    return SparseTensor(out.astype(np.int64).reshape(-1, len(new)), sp.values, np.array(new, np.int64))


@export("sparse.reset_shape")
def reset_shape(sp_input, new_shape=None):
    """The same entries in `new_shape` (which must hold them), or in their bounding shape."""
    sp = SparseTensor.from_value(sp_input)
    indices = host_indices(sp)
    if new_shape is None:
        bound = indices.max(axis=0) + 1 if len(indices) else np.zeros(indices.shape[1], np.int64)
        return SparseTensor(indices, sp.values, bound.astype(np.int64))
    new = _ints(new_shape)
    old = host_shape(sp)
    if len(new) != len(old):
        raise ValueError(f"Shapes must be equal rank, but are {len(old)} and {len(new)}")
    if any(n < o for n, o in zip(new, old)):
        raise op_error("Condition x <= y did not hold element-wise:", "AssertLessEqual")
    return SparseTensor(indices, sp.values, np.array(new, np.int64))


@export("sparse.concat")
def concat(axis, sp_inputs, name=None, expand_nonconcat_dims=False, concat_dim=None):
    """The inputs side by side along `axis`; with `expand_nonconcat_dims` the other
    dimensions grow to the largest input's. Indices come out row-major sorted."""
    if concat_dim is not None:
        axis = concat_dim
    inputs = [SparseTensor.from_value(s) for s in sp_inputs]
    shapes = [host_shape(s) for s in inputs]
    rank = len(shapes[0])
    axis = int(axis)
    if not -rank <= axis < rank:
        raise op_error(f"Concat dimension must be in range [{-rank}, {rank}), got {axis}", "SparseConcat")
    axis %= rank
    if expand_nonconcat_dims:
        out_shape = [max(s[d] for s in shapes) for d in range(rank)]
    else:
        out_shape = list(shapes[0])
        for i, s in enumerate(shapes[1:], 1):
            for d in range(rank):
                if d != axis and s[d] != shapes[0][d]:
                    raise op_error(f"Input shapes must match: expected {shapes[0][d]} for dimension "
                                   f"{d} but got {s[d]} at position {i}", "SparseConcat")
    out_shape[axis] = sum(s[axis] for s in shapes)
    parts, offset = [], 0
    for s, shape in zip(inputs, shapes):
        idx = host_indices(s).copy()
        idx[:, axis] += offset
        offset += shape[axis]
        parts.append(idx)
    indices = np.concatenate(parts).reshape(-1, rank)
    # TF declares SparseConcat not differentiable: the values are host constants (no gradient)
    values = convert_to_tensor(np.concatenate([np.asarray(s.values.numpy()) for s in inputs]))
    order = np.lexsort(indices.T[::-1]) if len(indices) else np.zeros(0, np.int64)
    # SparseConcat orders by the concat dimension last among equal others: row-major overall
    return SparseTensor(indices[order], _picked(SparseTensor(indices, values, out_shape), order),
                        np.array(out_shape, np.int64))


@export("sparse.slice")
def slice(sp_input, start, size, name=None):  # noqa: A001 - TF's name
    """The entries inside the box `start`..`start + size` (clipped), shifted to its origin."""
    sp = SparseTensor.from_value(sp_input)
    shape, indices = host_shape(sp), host_indices(sp)
    start, size = _ints(start), _ints(size)
    if len(start) != len(shape) or len(size) != len(shape):
        raise op_error(f"Expected start to be a vector of length {len(shape)}", "SparseSlice")
    lo = np.array(start, np.int64)
    hi = np.minimum(lo + np.array(size, np.int64), np.array(shape, np.int64))
    out_shape = np.maximum(hi - lo, 0)
    keep = np.flatnonzero(np.all((indices >= lo) & (indices < hi), axis=1)) if len(indices) else \
        np.zeros(0, np.int64)
    return SparseTensor((indices[keep] - lo).reshape(-1, len(shape)), _picked(sp, keep), out_shape)


@export("sparse.split")
def split(keyword_required=None, sp_input=None, num_split=None, axis=None, name=None):
    """`num_split` slices along `axis`; the first `dim % num_split` are one longer.
    TF registers no gradient for SparseSplit: the values are host constants here."""
    if keyword_required is not None:
        raise ValueError("Keyword arguments are required for this function.")
    sp = SparseTensor.from_value(sp_input)
    sp = sp.with_values(convert_to_tensor(np.asarray(sp.values.numpy())))
    shape = host_shape(sp)
    rank = len(shape)
    axis = int(axis) % rank if -rank <= int(axis) < rank else int(axis)
    if not 0 <= axis < rank:
        raise op_error(f"Input split_dim should be between {-rank} and {rank}, got {axis}", "SparseSplit")
    dim, n = shape[axis], int(num_split)
    sizes = [dim // n + (1 if i < dim % n else 0) for i in range(n)]
    out, begin = [], 0
    for s in sizes:
        start = [0] * rank
        start[axis] = begin
        box = list(shape)
        box[axis] = s
        out.append(slice(sp, start, box))
        begin += s
    return out
