"""Reshaping ragged tensors: `[]`, `to_tensor`, `tf.ragged.stack`, `map_flat_values` and
`boolean_mask`. Row bookkeeping runs on the host with NumPy; values move with
`gather`, `concat` and slicing, so gradients reach them."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework import ragged_tensor as rtm
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape, as_shape
from jaxtape._src.ops.array.shape import broadcast_to
from jaxtape._src.ops.debugging import assert_equal
from jaxtape._src.ops.ragged.creation import dense_concat, dense_stack, from_tensor, gather, reshape


def splits_of(rt: RaggedTensor) -> np.ndarray:
    return rtm.host(rt.row_splits)


def _splits(values: np.ndarray, dtype) -> Tensor:
    return convert_to_tensor(np.asarray(values).astype(dtypes.as_dtype(dtype).as_numpy_dtype))


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of `arange(start, start + length)` for each pair."""
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    return (np.repeat(np.asarray(starts, np.int64) - offsets, lengths) + np.arange(total)).astype(np.int64)


def take(values, positions: np.ndarray):
    """Rows `positions` of a tensor or ragged tensor (a slice when they are one run)."""
    positions = np.asarray(positions, np.int64)
    if isinstance(values, RaggedTensor):
        return take_rows(values, positions)
    if positions.size and np.array_equal(positions, np.arange(positions[0], positions[0] + positions.size)):
        return values[int(positions[0]):int(positions[-1]) + 1]
    if not positions.size:
        return values[0:0]
    return gather(values, convert_to_tensor(positions))


def partition(values, lengths: np.ndarray, dtype, uniform=None) -> RaggedTensor:
    """Rows of `lengths` values each; `uniform` (the common length) keeps the dimension static."""
    if uniform is not None:
        return RaggedTensor.from_uniform_row_length(
            values, np.asarray(uniform, dtypes.as_dtype(dtype).as_numpy_dtype), nrows=len(lengths))
    return RaggedTensor.from_row_splits(
        values, _splits(np.concatenate([[0], np.cumsum(lengths)]), dtype), validate=False)


def take_rows(rt: RaggedTensor, rows: np.ndarray) -> RaggedTensor:
    """The ragged tensor made of rows `rows` of `rt`."""
    s = splits_of(rt)
    rows = np.asarray(rows, np.int64)
    starts, lengths = s[rows], s[rows + 1] - s[rows]
    values = take(rt.values, ranges(starts, lengths))
    return partition(values, lengths, rt.row_splits.dtype, rt.uniform_row_length_int())


def coordinates(rt: RaggedTensor) -> np.ndarray:
    """[N, ragged_rank + 1]: where each flat value sits in the outer dimensions."""
    levels = [rtm.host(s) for s in rt.nested_row_splits]
    index = np.arange(levels[-1][-1] if levels else 0, dtype=np.int64)
    coords = [index]
    for s in reversed(levels):
        parent = np.searchsorted(s, coords[0], side="right") - 1
        coords[0] = coords[0] - s[parent]
        coords.insert(0, parent)
    return np.stack(coords, axis=1).astype(np.int64)


# -- rt[key] -------------------------------------------------------------------------

_BAD_KEY = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
            "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _key_item(k):
    if k is None or k is Ellipsis or isinstance(k, slice):
        return k
    if isinstance(k, (bool, np.bool_)):  # TF reads a bool as a (scalar) mask
        raise ValueError("mask cannot be scalar.")
    if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
        return int(k)
    if isinstance(k, Tensor) and k.dtype in (dtypes.int32, dtypes.int64) and k.shape.rank == 0:
        return int(k.numpy())
    raise TypeError(_BAD_KEY.format(k))


def getitem(rt: RaggedTensor, key):
    """`rt[key]`: ints and slices on the rows, slices on the ragged dimension, then
    anything the inner (values') dimensions take."""
    key = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    key = tuple(_key_item(k) for k in key)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:at] + (slice(None),) * max(rt.shape.rank - used, 0) + key[at + 1:]
    return _index(rt, key)


def _inner(values, key):
    """`values[key]` for the values of a ragged tensor."""
    if isinstance(values, RaggedTensor):
        return _index(values, key)
    return values[key]


def _index(rt: RaggedTensor, key: tuple):
    if not key:
        return rt
    first, rest = key[0], key[1:]
    n = rt.nrows_int()
    s = splits_of(rt)
    if first is None:  # a new outer dimension of size 1
        inner = _index(rt, (slice(None),) + rest) if rest else rt
        return partition(inner, [rtm.nrows_of(inner)], rt.row_splits.dtype, rtm.nrows_of(inner))
    if isinstance(first, int):
        if first >= n:
            raise IndexError(f"Row key {first} out of bounds")
        if first < -n:
            raise op_error(f"slice index {first + n} of dimension 0 out of bounds.", "StridedSlice")
        i = first % n
        row = take(rt.values, np.arange(s[i], s[i + 1]))
        return _inner(row, rest) if rest else row
    if first.step == 0:
        raise op_error("strides[0] must be non-zero", "StridedSlice")
    sub = take_rows(rt, np.arange(n)[first])
    if not rest:
        return sub
    column, after = rest[0], rest[1:]
    if column is None:  # each row wrapped in a new dimension of size 1
        inner = _index(sub, (slice(None),) + after) if after else sub
        return partition(inner, np.ones(sub.nrows_int(), np.int64), rt.row_splits.dtype, 1)
    if isinstance(column, int):
        raise ValueError("Cannot index into an inner ragged dimension.")
    if column.step == 0:
        raise op_error("Requires delta != 0", "RaggedRange")
    ss = splits_of(sub)
    picked = [np.arange(a, b)[column] for a, b in zip(ss[:-1], ss[1:])]
    lengths = np.array([len(p) for p in picked], np.int64)
    positions = np.concatenate(picked).astype(np.int64) if picked else np.zeros(0, np.int64)
    values = take(sub.values, positions)
    if after:
        values = _inner(values, (slice(None),) + after)
    uniform = sub.uniform_row_length_int()
    return partition(values, lengths, rt.row_splits.dtype,
                     None if uniform is None else len(np.arange(uniform)[column]))


# -- rt.to_tensor --------------------------------------------------------------------

def _broadcast(default: Tensor, shape: list):
    if default.shape.as_list() == shape:
        return default
    if default.dtype == dtypes.string:
        return StringTensor(np.broadcast_to(default._value, shape))
    return broadcast_to(default, shape)


def to_tensor(rt: RaggedTensor, default_value=None, shape=None):
    """`RaggedTensor.to_tensor`: one gather from the flat values and the default, so
    gradients reach both."""
    flat = rt.flat_values
    outer_rank = rt.ragged_rank + 1
    inner = flat.shape.as_list()[1:]
    rank = outer_rank + len(inner)
    target = rtm.host(rt.bounding_shape()).tolist()
    op = "RaggedTensorToTensor"
    if shape is not None:
        want = as_shape(shape)
        wanted = [-1 if d is None else d for d in want.as_list()] if want.rank is not None else None
        shown = dims(["?" if d == -1 else d for d in wanted or []])  # TF prints unknown dims as ?
        if wanted is not None:
            if len(wanted) != rank:
                raise op_error(f"rt_input.shape and shape={shown} are incompatible: "
                               f"rt_input.rank = {rank} but shape.rank = {len(wanted)}", op)
            for j, d in enumerate(wanted[outer_rank:], outer_rank):
                if d != -1 and d != inner[j - outer_rank]:
                    raise op_error(f"rt_input.shape and shape={shown} are incompatible: "
                                   f"rt_input.shape[{j}] = {inner[j - outer_rank]} but shape[{j}] = {d}", op)
            target = [b if d == -1 else d for d, b in zip(wanted, target)]
    if default_value is None:
        default = convert_to_tensor(b"" if rt.dtype == dtypes.string else 0, dtype=rt.dtype)
    else:
        default = convert_to_tensor(default_value, dtype=rt.dtype, name="default_value")
    if default.shape.rank > len(inner):
        raise op_error(f"default_value.shape={dims(default.shape.as_list())} and "
                       f"rt_input.flat_values.shape={dims(flat.shape.as_list())} are incompatible: "
                       f"default_value.rank = {default.shape.rank}  must be less than "
                       f"rt_input.flat_values.rank = {flat.shape.rank}", op)
    coords = coordinates(rt)
    outer = target[:outer_rank]
    count = len(coords)
    keep = np.all(coords < np.array(outer, np.int64), axis=1) if count else np.zeros(0, bool)
    index = np.full(int(np.prod(outer, dtype=np.int64)), count, np.int64)  # `count`: the default
    if keep.any():
        index[np.ravel_multi_index(coords[keep].T, outer)] = np.flatnonzero(keep)
    size = int(np.prod(inner, dtype=np.int64))
    source = dense_concat([reshape(flat, [count, size]),
                           reshape(_broadcast(default, inner), [1, size])], 0)
    return reshape(gather(source, convert_to_tensor(index)), target)


# -- tf.ragged.stack (and concat, for tf.concat on ragged tensors) -------------------

def _operand(x):
    return x if isinstance(x, RaggedTensor) else convert_to_tensor(x)


def _raise_ragged_rank(rt: RaggedTensor, ragged_rank: int) -> RaggedTensor:
    """`rt` with its outer uniform inner dimensions turned into ragged ones."""
    if rt.ragged_rank >= ragged_rank:
        return rt
    if rt.ragged_rank == 1:
        return rt.with_values(from_tensor(rt.values, ragged_rank=ragged_rank - 1,
                                          row_splits_dtype=rt.row_splits.dtype))
    return rt.with_values(_raise_ragged_rank(rt.values, ragged_rank - 1))


def _concat_rows(rts: list, stack: bool) -> RaggedTensor:
    """Axis 0: the rows of each input in turn (each input one row when stacking)."""
    flat = dense_concat([rt.flat_values for rt in rts], 0)
    dtype = rts[0].row_splits.dtype
    levels = []
    for level in range(rts[0].ragged_rank):
        parts, offset = [np.zeros(1, np.int64)], 0
        for rt in rts:
            s = rtm.host(rt.nested_row_splits[level])
            parts.append(s[1:] + offset)
            offset += s[-1]
        levels.append(_splits(np.concatenate(parts), dtype))
    if stack:
        levels.insert(0, _splits(np.concatenate([[0], np.cumsum([rt.nrows_int() for rt in rts])]), dtype))
    return RaggedTensor.from_nested_row_splits(flat, levels, validate=False)


def _combine(inputs, axis, stack: bool):
    if not inputs:
        raise ValueError("rt_inputs may not be empty.")
    xs = [_operand(x) for x in inputs]
    if len(xs) == 1 and not stack:
        return xs[0]
    ndims = xs[0].shape.rank
    for x in xs[1:]:
        if x.shape.rank != ndims:
            raise ValueError(f"Shape {x.shape} must have rank {ndims}")
    out = ndims + 1 if stack else ndims
    axis = int(axis)
    if not -out <= axis < out:
        raise ValueError(f"axis={axis} out of bounds: expected {-out}<=axis<{out}")
    axis %= out
    if stack and ndims == 1 and axis == 0:
        # the lengths come from the shapes: int32, as TF's
        return RaggedTensor.from_row_lengths(dense_concat(xs, 0),
                                             np.array([x.shape[0] for x in xs], np.int32))
    if not any(isinstance(x, RaggedTensor) for x in xs) and axis in (out - 1, ndims - 1):
        return dense_stack(xs, axis) if stack else dense_concat(xs, axis)
    splits_dtype = dtypes.int64 if any(
        x.row_splits.dtype == dtypes.int64 for x in xs if isinstance(x, RaggedTensor)) or not any(
        isinstance(x, RaggedTensor) for x in xs) else dtypes.int32
    rts = [x.with_row_splits_dtype(splits_dtype) if isinstance(x, RaggedTensor)
           else from_tensor(x, row_splits_dtype=splits_dtype) for x in xs]
    ragged_rank = max(rt.ragged_rank for rt in rts)
    rts = [_raise_ragged_rank(rt, ragged_rank) for rt in rts]
    if axis == 0:
        return _concat_rows(rts, stack)
    n = rts[0].nrows_int()
    for i, rt in enumerate(rts[1:], 1):
        if rt.nrows_int() != n:
            raise rtm._equal(f"Input tensors at index 0 (=x) and {i} (=y) have incompatible shapes.",
                             n, rt.nrows_int())
    if axis == 1:
        joined = _concat_rows(rts, False)  # row i of input k is row k * n + i
        k = len(rts)
        order = (np.arange(k)[None, :] * n + np.arange(n)[:, None]).reshape(-1)
        rows = take_rows(joined, order)
        if stack:
            return RaggedTensor.from_row_splits(rows, _splits(np.arange(n + 1) * k, splits_dtype),
                                                validate=False)
        return RaggedTensor.from_row_splits(rows.values, _splits(splits_of(rows)[::k], splits_dtype),
                                            validate=False)
    first = splits_of(rts[0])
    for rt in rts[1:]:
        if not np.array_equal(splits_of(rt), first):
            assert_equal(rts[0].row_splits, rt.row_splits,
                         message="Inputs must have identical ragged splits")
    return rts[0].with_values(_combine([rt.values for rt in rts], axis - 1, stack))


@export("ragged.stack")
def stack(values, axis=0, name=None):
    """Stacks tensors and ragged tensors of one rank along a new `axis`."""
    return _combine(list(values), axis, True)


def concat(values, axis, name=None):
    """Concatenates ragged (and dense) tensors along `axis`: what `tf.concat` does
    for ragged inputs (not exported: `tf.concat` is the dense op's name)."""
    return _combine(list(values), axis, False)


# -- tf.ragged.map_flat_values -------------------------------------------------------

def _replace(x, found: list):
    """`x` with each RaggedTensor (in lists, tuples, dicts) replaced by its flat values."""
    if isinstance(x, RaggedTensor):
        found.append(x)
        return x.flat_values
    if isinstance(x, dict):
        return {k: _replace(v, found) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_replace(v, found) for v in x)
    return x


_MERGE = "RowPartition._merge_precomputed_encodings: partitions have incompatible row_splits"


def same_partitions(first: RaggedTensor, other: RaggedTensor, message: str):
    """Raises TF's errors unless the two have the same nested row splits."""
    for a, b in zip(first.nested_row_splits, other.nested_row_splits):
        x, y = rtm.host(a), rtm.host(b)
        if x.shape != y.shape:
            raise ValueError(message)
        if not np.array_equal(x, y):
            assert_equal(a, b, message=message)


@export("ragged.map_flat_values")
def map_flat_values(op, *args, **kwargs):
    """`op` applied to the flat values of the RaggedTensor arguments (which must share
    their row partitions); the result keeps that partition."""
    found: list = []
    args = _replace(list(args), found)
    kwargs = _replace(kwargs, found)
    if not found:
        return op(*args, **kwargs)
    sizes = {int(rt.flat_values.shape[0]) for rt in found}
    if len(sizes) > 1:
        raise ValueError("Input RaggedTensors' flat_values must all have the same outer-dimension "
                         f"size.  Got sizes: {sizes}")
    for other in found[1:]:
        same_partitions(found[0], other, _MERGE)
    out = op(*args, **kwargs)
    size = sizes.pop()
    out_shape = out.shape if hasattr(out, "shape") else convert_to_tensor(out).shape
    if out_shape.rank == 0 or out_shape[0] != size:
        raise ValueError("tf.ragged.map_flat_values requires that the output of `op` have the same "
                         f"outer-dimension size as flat_values of any ragged inputs. (output shape: "
                         f"{out_shape}; expected outer dimension size: {size})")
    return found[0].with_flat_values(out)


# -- tf.ragged.boolean_mask ----------------------------------------------------------

def _shape_prefix_check(data_shape: TensorShape, mask_shape: TensorShape):
    prefix = data_shape[:mask_shape.rank]
    if not prefix.is_compatible_with(mask_shape):
        raise ValueError(f"Shapes {prefix} and {mask_shape} are incompatible")


def _mask(data, mask):
    if not isinstance(mask, RaggedTensor) and mask.shape.rank == 1:
        keep = np.flatnonzero(rtm.host(mask))
        if not isinstance(data, RaggedTensor):
            return gather(data, convert_to_tensor(keep.astype(np.int64)))
        picked = take_rows(data, keep)  # a masked partition is not uniform any more
        return RaggedTensor.from_row_splits(picked.values, picked.row_splits, validate=False)
    if not isinstance(data, RaggedTensor):
        data = from_tensor(data, lengths=mask.row_lengths()) if isinstance(mask, RaggedTensor) \
            else from_tensor(data)
    if not isinstance(mask, RaggedTensor):
        mask = from_tensor(mask, row_splits_dtype=data.row_splits.dtype)
    x, y = splits_of(mask), splits_of(data)
    if not np.array_equal(x, y):
        if x.shape != y.shape:
            raise ValueError(f"Shapes {TensorShape([len(y) - 1])} and {TensorShape([len(x) - 1])} "
                             "are incompatible")
        assert_equal(mask.row_splits, data.row_splits, message="Inputs must have identical ragged splits")
    values = _mask(data.values, mask.values)
    if isinstance(mask.values, RaggedTensor):  # a deeper mask keeps the rows at this level
        return data.with_values(values)
    kept = np.concatenate([[0], np.cumsum(rtm.host(mask.values))])  # kept values before each split
    return RaggedTensor.from_row_splits(values, _splits(kept[y], data.row_splits.dtype), validate=False)


@export("ragged.boolean_mask")
def boolean_mask(data, mask, name=None):
    """The entries of `data` where `mask` is True; the mask's last dimension becomes
    ragged (a rank-1 mask picks rows)."""
    if not isinstance(mask, RaggedTensor):
        given = mask
        mask = convert_to_tensor(mask)
        if mask.dtype != dtypes.bool:  # TF converts to bool, which numbers do not
            if isinstance(given, (Tensor, np.ndarray)) or hasattr(given, "_read_for_op"):
                convert_to_tensor(given, dtype=dtypes.bool)
            raise TypeError(f"Cannot convert {given!r} to EagerTensor of dtype bool")
    elif mask.dtype != dtypes.bool:
        raise TypeError(f"mask must have dtype bool; got {mask.dtype!r}")
    data = _operand(data)
    if mask.shape.rank == 0:
        raise ValueError("mask cannot be scalar.")
    _shape_prefix_check(data.shape, mask.shape)
    return _mask(data, mask)


rtm.OPS["getitem"] = getitem
rtm.OPS["to_tensor"] = to_tensor
rtm.OPS["reshape"] = reshape
