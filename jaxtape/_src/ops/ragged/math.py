"""Arithmetic on RaggedTensors: the Python operators (installed on the class here,
since framework/ may not import ops) and the reductions that serve
`tf.math.reduce_sum/mean/max/min` on RaggedTensors (not exported: TF dispatches
its dense names to them). Everything acts on the flat values, with segment ops
for the reductions, so gradients reach the values."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework import ragged_tensor as rtm
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, NotImplementedInJaxtape
from jaxtape._src.framework.exports import REGISTRY
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.array.shape import expand_dims
from jaxtape._src.ops.debugging import assert_equal
from jaxtape._src.ops.math import compare
from jaxtape._src.ops.math import reduce as dense
from jaxtape._src.ops.math.arithmetic import truediv
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.segment import unsorted_segment_max, unsorted_segment_min, unsorted_segment_sum
from jaxtape._src.ops.math.unary import abs as dense_abs
from jaxtape._src.ops.math.unary import negative
from jaxtape._src.ops.operators import BINARY, COMPARE
from jaxtape._src.ops.ragged.creation import gather, reshape  # string-aware
from jaxtape._src.ops.ragged.structure import coordinates, splits_of

# -- elementwise ---------------------------------------------------------------------

_ROWS_DIFFER = ("Condition x == y did not hold.\nFirst 1 elements of x:\n[False]\n"
                "First 1 elements of y:\n[ True]")  # TF's text when the row counts differ


def _same_rows(a: RaggedTensor, b: RaggedTensor):
    for x, y in zip(a.nested_row_splits, b.nested_row_splits):
        hx, hy = rtm.host(x), rtm.host(y)
        if hx.shape != hy.shape:
            raise InvalidArgumentError(None, None, _ROWS_DIFFER)
        if not np.array_equal(hx, hy):
            assert_equal(x, y)


def _spread(rt: RaggedTensor, other: Tensor):
    """`other` broadcast against `rt`, as a tensor aligned with its flat values."""
    inner = rt.flat_values.shape.rank - 1
    rank = rt.shape.rank
    if other.shape.rank <= inner:  # broadcasts against the uniform inner dimensions alone
        return other
    if other.shape.rank > rank:
        raise InvalidArgumentError(None, None, _ROWS_DIFFER)
    shape = [1] * (rank - other.shape.rank) + other.shape.as_list()
    outer = rt.ragged_rank + 1
    if shape[0] not in (1, rt.nrows_int()):
        raise InvalidArgumentError(None, None, _ROWS_DIFFER)
    level_rt = rt
    for level, splits in enumerate(rt.nested_row_splits, 1):
        width = shape[level]
        if width != 1 and level_rt.uniform_row_length_int() != width:
            # only a uniform partition of that length takes a dense dimension; TF compares
            # the dense one's splits with ragged ones (a uniform one's row count first)
            if level_rt.uniform_row_length_int() is not None:
                raise InvalidArgumentError(None, None, _ROWS_DIFFER)
            s = rtm.host(splits)
            uniform = np.arange(len(s)) * width
            if np.array_equal(uniform, s):
                raise rtm._equal("Last row partition does not match flat_values.",
                                 int(np.prod(shape[:level + 1])) // max(shape[0], 1), s[-1])
            assert_equal(convert_to_tensor(uniform.astype(s.dtype)), splits)
        level_rt = level_rt.values
    coords = coordinates(rt)
    picked = [coords[:, j] if shape[j] != 1 else np.zeros(len(coords), np.int64) for j in range(outer)]
    index = np.ravel_multi_index(picked, shape[:outer]) if len(coords) else np.zeros(0, np.int64)
    flat = reshape(other, [-1] + shape[outer:])
    return gather(flat, convert_to_tensor(index.astype(np.int64)))


def _operand(rt: RaggedTensor, other):
    # TF only hints the ragged dtype (`int_rt * 1.5` fails in the kernel, not in conversion)
    if not isinstance(other, Tensor) and not hasattr(other, "_read_for_op"):
        other = convert_to_tensor(other, dtype_hint=rt.dtype)
    else:
        other = convert_to_tensor(other)
    return _spread(rt, other)


def _joint_partition(flat, x: RaggedTensor, y: RaggedTensor) -> RaggedTensor:
    """`flat` under x's row splits; a level stays uniform only where both are."""
    levels = []
    while isinstance(x, RaggedTensor):
        both = x.uniform_row_length_int() is not None and y.uniform_row_length_int() is not None
        levels.append((x, both))
        x, y = x.values, y.values
    for level, both in reversed(levels):
        flat = level.with_values(flat) if both else RaggedTensor.from_row_splits(
            flat, level.row_splits, validate=False)
    return flat


def elementwise(fn, x, y, mismatch=None):
    """`fn` over the flat values of `x` and `y`, at least one of them ragged; with
    `mismatch`, operands whose rows do not line up give it instead of TF's error."""
    try:
        if isinstance(x, RaggedTensor) and isinstance(y, RaggedTensor):
            _same_rows(x, y)
            args = x.flat_values, y.flat_values
        elif isinstance(x, RaggedTensor):
            args = x.flat_values, _operand(x, y)
        else:
            args = _operand(y, x), y.flat_values
    except InvalidArgumentError:
        if mismatch is None:
            raise
        return mismatch
    out = fn(*args)
    if isinstance(x, RaggedTensor) and isinstance(y, RaggedTensor):
        return _joint_partition(out, x, y)
    return (x if isinstance(x, RaggedTensor) else y).with_flat_values(out)


def _binary(fn):
    def op(self, other):
        return elementwise(fn, self, other)

    def reflected(self, other):
        return elementwise(fn, other, self)
    return op, reflected


def _equality(fn, mismatch: bool):
    """TF's `==` / `!=`: elementwise, or one bool when the structures differ."""
    def op(self, other):
        if other is None:
            return mismatch
        return elementwise(fn, self, other, mismatch)
    return op


def _text_aware(name, numeric):
    """`numeric`, or for string values the public op, which ops/strings reroutes to its
    string kernel (looked up when called: that happens after this module loads)."""
    def op(x, y):
        if getattr(x, "dtype", None) == dtypes.string or (
                not hasattr(x, "dtype") and getattr(y, "dtype", None) == dtypes.string):
            return REGISTRY[name](x, y)
        return numeric(x, y)
    return op


def _install():
    cls = RaggedTensor
    ops = dict(BINARY, **{"and": compare.logical_and, "or": compare.logical_or,
                          "xor": compare.logical_xor})  # TF's ragged `&` is logical, never bitwise
    ops.pop("matmul")
    ops["add"] = _text_aware("add", ops["add"])  # string tensors concatenate
    for name, fn in ops.items():
        op, reflected = _binary(fn)
        setattr(cls, f"__{name}__", op)
        setattr(cls, f"__r{name}__", reflected)
    for name, fn in COMPARE.items():
        setattr(cls, f"__{name}__", _binary(fn)[0])
    cls.__eq__ = _equality(_text_aware("equal", compare.equal), False)
    cls.__ne__ = _equality(_text_aware("not_equal", compare.not_equal), True)
    cls.__neg__ = lambda self: self.with_flat_values(negative(self.flat_values))
    cls.__abs__ = lambda self: self.with_flat_values(dense_abs(self.flat_values))
    cls.__invert__ = lambda self: self.with_flat_values(compare.logical_not(self.flat_values))


_install()


# -- reductions ----------------------------------------------------------------------

_SEGMENT = {"sum": unsorted_segment_sum, "max": unsorted_segment_max, "min": unsorted_segment_min}
_DENSE = {"sum": dense.reduce_sum, "max": dense.reduce_max, "min": dense.reduce_min}


def _reduce_rows(x, ids: np.ndarray, num: int, kind: str):
    """Rows of `x` combined elementwise into `num` groups (row r into group ids[r]);
    ragged rows line up by position, a group as long as its longest row."""
    if not isinstance(x, RaggedTensor):
        return _SEGMENT[kind](x, convert_to_tensor(ids.astype(np.int64)), num)
    s = splits_of(x)
    lengths = np.diff(s)
    group_length = np.zeros(num, np.int64)
    np.maximum.at(group_length, ids, lengths)
    offsets = np.cumsum(group_length) - group_length
    row = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(len(row)) - np.repeat(s[:-1], lengths)
    values = _reduce_rows(x.values, offsets[ids[row]] + position, int(group_length.sum()), kind)
    return RaggedTensor.from_row_lengths(
        values, convert_to_tensor(group_length.astype(x.row_splits.dtype.as_numpy_dtype)), validate=False)


def _reduce_axis(x, axis: int, kind: str):
    if not isinstance(x, RaggedTensor):
        return _DENSE[kind](x, axis)
    s = splits_of(x)
    lengths = np.diff(s)
    if axis == 0:  # what sits at position k of each row goes to group k
        position = np.arange(s[-1]) - np.repeat(s[:-1], lengths)
        return _reduce_rows(x.values, position, int(lengths.max()) if lengths.size else 0, kind)
    if axis == 1:
        return _reduce_rows(x.values, np.repeat(np.arange(len(lengths)), lengths), len(lengths), kind)
    return x.with_values(_reduce_axis(x.values, axis - 1, kind))


def _axes(rt: RaggedTensor, axis) -> list[int]:
    rank = rt.shape.rank
    out = []
    for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
        if isinstance(a, Tensor):
            a = a.numpy().item()
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int; got {type(a).__name__}")
        if not -rank <= a < rank:
            raise ValueError(f"axis={a} out of bounds: expected {-rank}<=axis<{rank}")
        out.append(int(a) % rank)
    return sorted(set(out), reverse=True)


def _reduce(rt, axis, keepdims, kind):
    if not isinstance(rt, RaggedTensor):
        return _DENSE[kind](rt, axis, keepdims)
    if axis is None:
        return _DENSE[kind](rt.flat_values, None, keepdims)
    axes = _axes(rt, axis)
    out = rt
    for a in axes:  # the innermost first, so the outer axes keep their numbers
        out = _reduce_axis(out, a, kind)
    if keepdims:
        if isinstance(out, RaggedTensor):
            raise NotImplementedInJaxtape("jaxtape does not implement keepdims=True for ragged "
                                          "reductions with a ragged result")
        for a in sorted(axes):
            out = expand_dims(out, a)
    return out


def reduce_sum(rt, axis=None, keepdims=False, name=None):
    """Serves `tf.math.reduce_sum` on a RaggedTensor: empty rows sum to 0."""
    return _reduce(rt, axis, keepdims, "sum")


def reduce_max(rt, axis=None, keepdims=False, name=None):
    """Serves `tf.math.reduce_max` on a RaggedTensor: empty rows give the dtype's lowest value."""
    return _reduce(rt, axis, keepdims, "max")


def reduce_min(rt, axis=None, keepdims=False, name=None):
    """Serves `tf.math.reduce_min` on a RaggedTensor: empty rows give the dtype's highest value."""
    return _reduce(rt, axis, keepdims, "min")


def reduce_mean(rt, axis=None, keepdims=False, name=None):
    """Serves `tf.math.reduce_mean` on a RaggedTensor: the sum over the count, in float64
    for integers (as TF), NaN for empty rows."""
    if not isinstance(rt, RaggedTensor):
        return dense.reduce_mean(rt, axis, keepdims)
    flat = rt.flat_values
    if flat.dtype.is_integer:
        flat = cast(flat, dtypes.float64)
    ones = rt.with_flat_values(convert_to_tensor(np.ones(flat.shape.as_list(), flat.dtype.as_numpy_dtype)))
    total = _reduce(rt.with_flat_values(flat), axis, keepdims, "sum")
    count = _reduce(ones, axis, keepdims, "sum")
    if isinstance(total, RaggedTensor):
        return total.with_flat_values(truediv(total.flat_values, count.flat_values))
    return truediv(total, count)


# tf.math.reduce_* (ops/support/define.py's reductions) hand RaggedTensors here
rtm.OPS["reduce_sum"] = reduce_sum
rtm.OPS["reduce_max"] = reduce_max
rtm.OPS["reduce_min"] = reduce_min
rtm.OPS["reduce_mean"] = reduce_mean
