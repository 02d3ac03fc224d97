"""Building ragged tensors: `tf.ragged.constant`, `range`, `RaggedTensor.from_tensor`,
and the conversions between row splits and segment ids."""
from __future__ import annotations

import builtins

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework import ragged_tensor as rtm
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import REGISTRY, export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.array.creation import constant as dense_constant


# The structural ops by their public names: ops/strings reroutes those so that they
# move string tensors' elements too (the functions in ops/array take numbers only).
def gather(params, indices):
    return REGISTRY["gather"](params, indices)


def reshape(tensor, shape):
    return REGISTRY["reshape"](tensor, shape)


def dense_concat(values, axis):
    return REGISTRY["concat"](values, axis)


def dense_stack(values, axis):
    return REGISTRY["stack"](values, axis)


def _is_list(x) -> bool:
    """A nested level of a pylist: a list, tuple or non-scalar NumPy array."""
    return isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.ndim > 0)


def _depths(pylist):
    """(depth of the scalars or None if there are none, depth of the deepest list)."""
    if not _is_list(pylist):
        return 0, 0
    scalar, deepest = None, 1
    for item in pylist:
        s, d = _depths(item)
        if s is not None:
            if scalar is not None and scalar != s + 1:
                raise ValueError("all scalar values must have the same nesting depth")
            scalar = s + 1
        deepest = max(deepest, d + 1)
    return scalar, deepest


def _flatten(items):
    return [v for item in items for v in item]


def _inner_shape_of(items, ragged_rank: int) -> tuple:
    """The uniform shape of the values once `ragged_rank` levels are flattened."""
    for level in builtins.range(ragged_rank):  # `range` here is tf.ragged.range
        if not all(_is_list(v) for v in items):
            raise ValueError(f"pylist has scalar values depth {level + 1}, but ragged_rank="
                             f"{ragged_rank} requires scalar value depth greater than {ragged_rank}")
        items = _flatten(items)

    def shape(item):  # read from the first element at each depth
        if not _is_list(item):
            return ()
        return (len(item),) + (shape(item[0]) if len(item) else ())

    def check(item, want):
        if _is_list(item) != bool(want) or (want and len(item) != want[0]):
            raise ValueError("inner values have inconsistent shape")
        for child in (item if want else ()):
            check(child, want[1:])

    full = shape(items)
    check(items, full)
    return full[1:]


def _leaf_kinds(items) -> set:
    """Which scalars `items` holds: "numpy" ones (which keep their dtype, as in TF) or "python"."""
    kinds = set()
    for v in items:
        if isinstance(v, (list, tuple)):
            kinds |= _leaf_kinds(v)
        else:
            kinds.add("numpy" if isinstance(v, (np.ndarray, np.generic)) else "python")
    return kinds


def _inner_values(items: list, dtype, shape: tuple):
    """The flat values: `items` as a tensor of `shape`."""
    if _leaf_kinds(items) == {"numpy"}:
        try:
            items = np.asarray(items)
        except ValueError:  # not rectangular: the conversion below says so
            pass
    t = dense_constant(items, dtype)
    if tuple(t.shape.as_list()) == shape:
        return t
    if t.shape.num_elements() == int(np.prod(shape, dtype=np.int64)):
        return reshape(t, list(shape))
    return dense_constant(items, dtype, shape=shape)  # its error for a shape that does not fit


@export("ragged.constant")
def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=dtypes.int64):
    """A RaggedTensor from a nested list whose scalars all sit at one depth K
    (a plain tensor when K < 2); `ragged_rank` defaults to K - 1 - len(inner_shape)."""
    if isinstance(pylist, RaggedTensor):
        raise TypeError("pylist may not be a RaggedTensor or RaggedTensorValue.")
    if not _is_list(pylist):
        if ragged_rank is not None and ragged_rank != 0:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank}")
        if inner_shape:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with dim(inner_shape)="
                             f"{len(inner_shape)}")
        return dense_constant(pylist, dtype)
    if ragged_rank is not None and ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank!r}: must be nonnegative")
    scalar, deepest = _depths(pylist)
    if scalar is not None:
        if deepest > scalar:
            raise ValueError(f"Invalid pylist={pylist!r}: empty list nesting is greater than "
                             "scalar value nesting")
        if ragged_rank is not None and deepest < ragged_rank:
            raise ValueError(f"Invalid pylist={pylist}, max depth smaller than ragged_rank={ragged_rank}")
    if inner_shape is not None and ragged_rank is not None:
        depth = ragged_rank + len(inner_shape) + 1
        if (depth != scalar) if scalar is not None else (depth < deepest):
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank} "
                             f"and dim(inner_shape)={len(inner_shape)}")
    if ragged_rank == 0 or ragged_rank is None and (
            deepest < 2 or inner_shape is not None and deepest - len(inner_shape) < 2):
        return dense_constant(pylist, dtype, shape=inner_shape)
    if inner_shape is None:
        inner_shape = () if ragged_rank is None else _inner_shape_of(pylist, ragged_rank)
    if ragged_rank is None:
        ragged_rank = max(1, (deepest if scalar is None else scalar - len(inner_shape)) - 1)
    levels, items = [], list(pylist)
    for _ in builtins.range(ragged_rank):
        levels.append(np.concatenate([[0], np.cumsum([len(row) for row in items])]))
        items = _flatten(items)
    result = _inner_values(items, dtype, (len(items),) + tuple(inner_shape))
    for splits in reversed(levels):
        result = RaggedTensor.from_row_splits(
            result, convert_to_tensor(splits.astype(dtypes.as_dtype(row_splits_dtype).as_numpy_dtype)),
            validate=False)
    return result


_RANGE_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


@export("ragged.range")
def range(starts, limits=None, deltas=1, dtype=None, name=None,  # noqa: A001 - TF's name
          row_splits_dtype=dtypes.int64):
    """Row i is `tf.range(starts[i], limits[i], deltas[i])`; scalars broadcast."""
    if limits is None:
        starts, limits = 0, starts
    parts = [convert_to_tensor(v) for v in (starts, limits, deltas)]
    if dtype is None:  # the widest of the arguments', as tf.range
        dtype = max((p.dtype for p in parts),
                    key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else 0)
    dtype = dtypes.as_dtype(dtype)
    host = [np.asarray(p.numpy()) for p in parts]
    shapes = {h.shape for h in host if h.ndim}
    if len(shapes) > 1 or any(h.ndim > 1 for h in host):
        raise op_error("starts, limits, and deltas must have the same shape", "RaggedRange")
    n = next(iter(shapes))[0] if shapes else 1
    s, l, d = (np.broadcast_to(h, (n,)).astype(dtype.as_numpy_dtype) for h in host)
    if np.any(d == 0):
        raise op_error("Requires delta != 0", "RaggedRange")
    rows = [np.arange(a, b, c, dtype=dtype.as_numpy_dtype) for a, b, c in zip(s, l, d)]
    lengths = np.array([len(r) for r in rows], np.int64)
    values = np.concatenate(rows) if rows else np.zeros(0, dtype.as_numpy_dtype)
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(
        dtypes.as_dtype(row_splits_dtype).as_numpy_dtype)
    return RaggedTensor.from_row_splits(convert_to_tensor(values.astype(dtype.as_numpy_dtype)),
                                        convert_to_tensor(splits), validate=False)


def _splits_or_ids(value, what: str) -> Tensor:
    # NumPy arrays and lists take int64 here, as TF's conversion with an int64 hint.
    t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype_hint=dtypes.int64)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        if what == "splits":
            raise ValueError("splits must have dtype int32 or int64")
        raise TypeError("Argument `tensor` (name: segment_ids) must be of type integer. Received "
                        f"`tensor` = {value} of dtype: {t.dtype}")
    if t.shape.rank != 1:
        raise ValueError(f"Shape {t.shape} must have rank 1")
    return t


@export("ragged.row_splits_to_segment_ids")
def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row of each value: row i repeated `splits[i + 1] - splits[i]` times."""
    t = _splits_or_ids(splits, "splits")
    s = rtm.host(t)
    if not s.size:
        raise ValueError(f"Invalid row_splits: {list(s)}")
    dtype = t.dtype if out_type is None else dtypes.as_dtype(out_type)
    ids = np.repeat(np.arange(len(s) - 1), np.maximum(np.diff(s), 0))
    return convert_to_tensor(ids.astype(dtype.as_numpy_dtype))


@export("ragged.segment_ids_to_row_splits")
def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """Row splits with `num_segments` rows (default: the largest id + 1) counting each id."""
    t = _splits_or_ids(segment_ids, "segment_ids")
    ids = rtm.host(t)
    if np.any(ids < 0):
        raise op_error("Input arr must be non-negative!", "DenseBincount")
    num = (int(ids.max()) + 1 if ids.size else 0) if num_segments is None \
        else int(convert_to_tensor(num_segments).numpy())
    counts = np.bincount(ids, minlength=num)[:num]
    dtype = t.dtype if out_type is None else dtypes.as_dtype(out_type)
    return convert_to_tensor(np.concatenate([[0], np.cumsum(counts)]).astype(dtype.as_numpy_dtype))


# -- RaggedTensor.from_tensor --------------------------------------------------------

def _kept_rows(width: int, lengths: np.ndarray):
    """For rows cut to `lengths` (clipped to [0, width]): the kept (row, column) pairs."""
    lengths = np.clip(lengths, 0, width)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
    cols = np.arange(len(rows)) - np.repeat(starts, lengths)
    return lengths, rows * width + cols


def _padding_lengths(t: Tensor, padding) -> np.ndarray:
    """Each row's length once its trailing entries equal to `padding` are dropped."""
    pad = convert_to_tensor(padding, dtype=t.dtype, name="padding")
    inner = t.shape[2:]
    if pad.shape != inner:
        raise ValueError(f"Shapes {pad.shape} and {inner} are incompatible")
    values = t._value if t.dtype == dtypes.string else np.asarray(t.numpy())
    is_pad = np.asarray(values == np.asarray(pad._value if t.dtype == dtypes.string else pad.numpy()))
    is_pad = is_pad.reshape(is_pad.shape[:2] + (-1,)).all(axis=2)
    width = values.shape[1]
    # the last non-padding column + 1 (0 for an all-padding row)
    last = np.where(~is_pad, np.arange(1, width + 1), 0)
    return last.max(axis=1) if width else np.zeros(values.shape[0], np.int64)


def from_tensor(tensor, lengths=None, padding=None, ragged_rank=1, row_splits_dtype=dtypes.int64):
    """`RaggedTensor.from_tensor`: rows cut at `lengths`, or before trailing `padding`;
    the values are gathered, so gradients reach `tensor`."""
    t = convert_to_tensor(tensor)
    if lengths is not None and padding is not None:
        raise ValueError("Specify argument `lengths` or `padding`, but not both.")
    if not isinstance(ragged_rank, int) or ragged_rank <= 0:
        raise ValueError(f"Argument `ragged_rank` must be greater than 0. Received {ragged_rank}.")
    rank = t.shape.rank
    if rank < 2:
        raise ValueError("The rank of a RaggedTensor must be greater than 1, i.e., a list of scalars "
                         f"won't have ragged dimensions. Received argument `tensor` with rank {rank}.")
    if rank <= ragged_rank:
        raise ValueError(f"Shape {t.shape} must have rank at least {ragged_rank + 1}")
    splits_dtype = dtypes.as_dtype(row_splits_dtype).as_numpy_dtype
    shape = t.shape.as_list()
    nested = isinstance(lengths, (list, tuple)) and any(
        isinstance(v, (list, tuple, Tensor, np.ndarray)) for v in lengths)
    if nested:
        return _from_nested_lengths(t, [rtm.host(convert_to_tensor(v)) for v in lengths], splits_dtype)
    # The outer ragged_rank - 1 dimensions stay uniform; the innermost ragged one is cut.
    outer = int(np.prod(shape[:ragged_rank - 1], dtype=np.int64))
    rows = reshape(t, [outer * shape[ragged_rank - 1]] + shape[ragged_rank:])
    width = shape[ragged_rank]
    if lengths is not None:
        n = rtm.host(convert_to_tensor(lengths)).reshape(-1)
        if len(n) != rows.shape[0]:
            raise ValueError(f"Shapes {TensorShape(shape[:2])} and "
                             f"{TensorShape([len(n)] + shape[1:2])} are incompatible")
    flat = reshape(rows, [-1] + shape[ragged_rank + 1:])
    if lengths is None and padding is None:  # every level uniform: the dimensions stay static
        result = RaggedTensor.from_uniform_row_length(flat, np.asarray(width, splits_dtype),
                                                      nrows=rows.shape[0])
    else:
        if lengths is None:
            n = _padding_lengths(rows, padding)
        n, positions = _kept_rows(width, n)
        values = gather(flat, convert_to_tensor(positions.astype(np.int64)))
        result = RaggedTensor.from_row_lengths(values, convert_to_tensor(n.astype(splits_dtype)),
                                               validate=False)
    for k in builtins.range(ragged_rank - 1, 0, -1):  # the uniform outer levels, innermost first
        result = RaggedTensor.from_uniform_row_length(result, np.asarray(shape[k], splits_dtype),
                                                      nrows=int(np.prod(shape[:k], dtype=np.int64)))
    return result


def _from_nested_lengths(t: Tensor, nested: list, splits_dtype) -> RaggedTensor:
    """Level k keeps the first `nested[k][r]` entries of each row r kept by level k - 1."""
    shape = t.shape.as_list()
    depth = len(nested)
    kept = np.arange(shape[0])  # flat indices (into the dims so far) of the kept rows
    levels = []
    for k, lengths in enumerate(nested):
        width = shape[k + 1]
        lengths = np.clip(lengths.reshape(-1)[:len(kept)], 0, width)
        levels.append(lengths)
        kept = np.concatenate([row * width + np.arange(n) for row, n in zip(kept, lengths)]
                              ) if len(kept) else np.zeros(0, np.int64)
    flat = reshape(t, [-1] + shape[depth + 1:])
    result = gather(flat, convert_to_tensor(kept.astype(np.int64)))
    for lengths in reversed(levels):
        result = RaggedTensor.from_row_lengths(result, convert_to_tensor(lengths.astype(splits_dtype)),
                                               validate=False)
    return result


rtm.OPS["from_tensor"] = from_tensor
