"""`tf.sparse.reduce_sum`, `sparse_dense_matmul` and `add`."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.reorder import transpose
from jaxtape._src.ops.array.shape import expand_dims
from jaxtape._src.ops.math.arithmetic import add as dense_add
from jaxtape._src.ops.math.arithmetic import multiply
from jaxtape._src.ops.math.reduce import reduce_sum as dense_reduce_sum
from jaxtape._src.ops.math.segment import unsorted_segment_sum
from jaxtape._src.ops.math.unary import conj
from jaxtape._src.ops.sparse.conversion import host_indices, host_shape, to_dense


def _segments(keys: np.ndarray):
    """Unique rows of `keys` (sorted) and, for each row of `keys`, its segment."""
    if not len(keys):
        return keys, np.zeros(0, np.int64)
    unique, segment = np.unique(keys, axis=0, return_inverse=True)
    return unique, segment.reshape(-1).astype(np.int64)


def reduced_segments(indices, shape, axes, keepdims):
    """For a reduction over `axes`: the output's indices (sorted), each input
    entry's segment among them, and the output's dense shape."""
    rank = len(shape)
    if keepdims:
        keys = indices.copy()
        keys[:, sorted(axes)] = 0
        out_shape = [1 if d in axes else shape[d] for d in range(rank)]
    else:
        kept = [d for d in range(rank) if d not in axes]
        keys, out_shape = indices[:, kept], [shape[d] for d in kept]
    unique, segment = _segments(keys)
    return unique, segment, out_shape


@export("sparse.reduce_sum")
def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The sum over `axis` (all axes if None); implicit zeros add nothing."""
    sp = SparseTensor.from_value(sp_input)
    if not output_is_sparse:
        return dense_reduce_sum(to_dense(sp, validate_indices=False), axis, bool(keepdims))
    shape = host_shape(sp)
    rank = len(shape)
    axes = set(range(rank)) if axis is None else {
        a % rank for a in np.atleast_1d(np.asarray(axis)).tolist()}
    indices = host_indices(sp)
    unique, segment, out_shape = reduced_segments(indices, shape, axes, keepdims)
    values = unsorted_segment_sum(sp.values, convert_to_tensor(segment), len(unique))
    return SparseTensor(unique.reshape(len(unique), len(out_shape)), values,
                        np.array(out_shape, np.int64))


def _matmul_error(a_shape, b_shape):
    # TF's message, its mismatched bracket included
    return op_error("Cannot multiply A and B because inner dimension does not match: "
                    f"{a_shape[1]} vs. {b_shape[0]}.  Did you forget a transpose?  Dimensions of "
                    f"A: [{a_shape[0]}, {a_shape[1]}).  Dimensions of B: "
                    f"[{b_shape[0]},{b_shape[1]}]", "SparseTensorDenseMatMul")


@export("sparse.sparse_dense_matmul")
def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """A @ B with A sparse (or B sparse, A dense): each entry a_ij adds a_ij * B[j] to row i."""
    if not isinstance(sp_a, SparseTensor) and isinstance(b, SparseTensor):
        # a @ B = (B^H @ a^H)^H, with the adjoints folded in
        flipped = sparse_dense_matmul(b, sp_a, adjoint_a=not adjoint_b, adjoint_b=not adjoint_a)
        return conj(transpose(flipped))
    sp = SparseTensor.from_value(sp_a)
    dense = convert_to_tensor(b)
    if adjoint_b:
        dense = conj(transpose(dense))
    indices, shape = host_indices(sp), host_shape(sp)
    rows, cols = (indices[:, 1], indices[:, 0]) if adjoint_a else (indices[:, 0], indices[:, 1])
    values = conj(sp.values) if adjoint_a else sp.values
    out_rows, inner = (shape[1], shape[0]) if adjoint_a else (shape[0], shape[1])
    if inner != dense.shape[0]:
        raise _matmul_error((out_rows, inner), tuple(dense.shape))
    products = multiply(expand_dims(values, 1), gather(dense, convert_to_tensor(cols)))
    return unsorted_segment_sum(products, convert_to_tensor(rows), out_rows)


@export("sparse.add")
def add(a, b, threshold=0):
    """Sparse + dense is dense; sparse + sparse is sparse over the union of positions,
    dropping sums whose magnitude is below `threshold`."""
    if not isinstance(a, SparseTensor):
        a, b = b, a
    if not isinstance(b, SparseTensor):
        return dense_add(to_dense(a, validate_indices=False), b)
    keys = np.concatenate([host_indices(a), host_indices(b)])
    unique, segment = _segments(keys)
    values = unsorted_segment_sum(concat([a.values, b.values], 0), convert_to_tensor(segment),
                                  len(unique))
    if threshold:
        keep = np.abs(np.asarray(values.numpy())) >= float(threshold)
        unique, values = unique[keep], gather(values, convert_to_tensor(np.flatnonzero(keep)))
    return SparseTensor(unique.reshape(len(unique), keys.shape[1]), values, a.dense_shape)


