"""`tf.sparse.reduce_max`, `softmax`, `maximum`/`minimum`, the sparse segment reductions
and `bincount`."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.math import segment as dense_segment
from jaxtape._src.ops.math.arithmetic import divide, subtract
from jaxtape._src.ops.math.unary import exp
from jaxtape._src.ops.sparse.conversion import host_indices, host_shape
from jaxtape._src.ops.sparse.math import _segments, reduced_segments


def _axes(axis, rank):
    if axis is None:
        return set(range(rank))
    return {int(a) % rank for a in np.atleast_1d(np.asarray(axis)).tolist()}


@export("sparse.reduce_max")
def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The max over `axis` of the given values only (TF registers no gradient: none here);
    a dense output holds 0 where nothing was reduced."""
    sp = SparseTensor.from_value(sp_input)
    shape, indices = host_shape(sp), host_indices(sp)
    values = np.asarray(sp.values.numpy())
    rank = len(shape)
    axes = _axes(axis, rank)
    unique, segment, out_shape = reduced_segments(indices, shape, axes, keepdims)
    out = np.full(len(unique), -np.inf if values.dtype.kind == "f" else np.iinfo(values.dtype).min,
                  values.dtype)
    np.maximum.at(out, segment, values)
    unique = unique.reshape(len(unique), len(out_shape))
    if output_is_sparse:
        return SparseTensor(unique, out, np.array(out_shape, np.int64))
    dense = np.zeros(out_shape, values.dtype)
    if out_shape:
        dense[tuple(unique.T)] = out
    elif len(out):
        dense[()] = out[0]
    return convert_to_tensor(dense)


@export("sparse.softmax")
def softmax(sp_input, name=None):
    """Softmax over each innermost row's given values (implicit entries stay absent)."""
    sp = SparseTensor.from_value(sp_input)
    indices = host_indices(sp)
    rows, segment = _segments(indices[:, :-1])
    seg = convert_to_tensor(segment)
    n = len(rows)
    top = gather(dense_segment.unsorted_segment_max(sp.values, seg, n), seg)
    e = exp(subtract(sp.values, top))
    total = gather(dense_segment.unsorted_segment_sum(e, seg, n), seg)
    return SparseTensor(indices, divide(e, total), sp.dense_shape)


def _extreme(sp_a, sp_b, fn, op):
    a, b = SparseTensor.from_value(sp_a), SparseTensor.from_value(sp_b)
    if host_shape(a) != host_shape(b):
        raise op_error("Operands do not have the same ranks; got shapes: "
                       f"{host_shape(a)} and {host_shape(b)}", op)
    ia, ib = host_indices(a), host_indices(b)
    keys = np.concatenate([ia, ib])
    unique, segment = _segments(keys)
    va, vb = np.asarray(a.values.numpy()), np.asarray(b.values.numpy())
    left = np.zeros(len(unique), va.dtype)
    right = np.zeros(len(unique), va.dtype)
    left[segment[:len(ia)]] = va
    right[segment[len(ia):]] = vb
    return SparseTensor(unique.reshape(len(unique), keys.shape[1]), fn(left, right), a.dense_shape)


@export("sparse.maximum")
def maximum(sp_a, sp_b, name=None):
    """Elementwise max over the union of positions (absent entries are 0); no gradient, as TF."""
    return _extreme(sp_a, sp_b, np.maximum, "SparseSparseMaximum")


@export("sparse.minimum")
def minimum(sp_a, sp_b, name=None):
    """Elementwise min over the union of positions (absent entries are 0); no gradient, as TF."""
    return _extreme(sp_a, sp_b, np.minimum, "SparseSparseMinimum")


def _sparse_segment(data, indices, segment_ids, num_segments, kind, op):
    rows = gather(data, indices)
    ids = convert_to_tensor(segment_ids)
    if num_segments is None:
        host = np.asarray(ids.numpy()).reshape(-1)
        num = int(host[-1]) + 1 if host.size else 0
    else:
        num = int(np.asarray(convert_to_tensor(num_segments).numpy()))
    fn = {"sum": dense_segment.unsorted_segment_sum, "mean": dense_segment.unsorted_segment_mean,
          "sqrt_n": dense_segment.unsorted_segment_sqrt_n}[kind]
    return fn(rows, ids, num)


@export("sparse.segment_sum")
def segment_sum(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Sums of the rows `data[indices]` per (sorted) segment id."""
    return _sparse_segment(data, indices, segment_ids, num_segments, "sum", "SparseSegmentSum")


@export("sparse.segment_mean")
def segment_mean(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Means of the rows `data[indices]` per segment id (0 for an empty segment)."""
    return _sparse_segment(data, indices, segment_ids, num_segments, "mean", "SparseSegmentMean")


@export("sparse.segment_sqrt_n")
def segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Sums of the rows `data[indices]` per segment divided by sqrt of the segment's size."""
    return _sparse_segment(data, indices, segment_ids, num_segments, "sqrt_n", "SparseSegmentSqrtN")


@export("sparse.bincount")
def bincount(values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False,
             name=None):
    """Counts (or summed weights) of each value as a SparseTensor; axis -1 counts per row."""
    if isinstance(values, SparseTensor):
        arr = values.values
        idx = host_indices(values)
        per_row = axis == -1 and idx.shape[1] == 2
        rows = idx[:, 0] if per_row else None
        nrows = host_shape(values)[0] if per_row else None
        w = weights.values if isinstance(weights, SparseTensor) else weights
    else:
        arr = convert_to_tensor(values)
        per_row = axis == -1 and arr.shape.rank == 2
        nrows = int(arr.shape[0]) if per_row else None
        rows = np.repeat(np.arange(nrows), arr.shape[1]) if per_row else None
        w = weights
    if arr.dtype not in (dtypes.int32, dtypes.int64):
        raise op_error(f"Value for attr 'T' of {arr.dtype.name if arr.dtype.name != 'float32' else 'float'}"
                       " is not in the list of allowed values: int32, int64", "DenseCountSparseOutput")
    flat = np.asarray(arr.numpy()).reshape(-1)
    wflat = None if w is None else np.asarray(convert_to_tensor(w).numpy()).reshape(-1)
    length = int(flat.max()) + 1 if flat.size else 0
    if minlength is not None:
        length = max(length, int(minlength))
    if maxlength is not None:
        length = min(length, int(maxlength))
    keep = flat < length
    out_dtype = flat.dtype if wflat is None else wflat.dtype
    if per_row:
        keys = np.stack([rows[keep], flat[keep]], axis=1).astype(np.int64)
        shape = [nrows, length]
    else:
        keys = flat[keep].reshape(-1, 1).astype(np.int64)
        shape = [length]
    unique, segment = _segments(keys)
    counts = np.zeros(len(unique), out_dtype)
    np.add.at(counts, segment, np.ones(len(segment), out_dtype) if wflat is None else wflat[keep])
    if binary_output:
        counts = np.ones_like(counts)
    return SparseTensor(unique.reshape(len(unique), len(shape)), counts, np.array(shape, np.int64))
