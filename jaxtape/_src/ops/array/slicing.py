"""Slicing: `tf.slice`, `tf.strided_slice`, `tf.newaxis`, and `getitem`/`setitem`,
the functions behind `tensor[key]` and `tensor[key] = value` (`ops/operators.py`
installs them on Tensor and Variable).

Integer indices of `tensor[i]` travel as array arguments rather than static
ones, so a Python loop over `i` compiles the slice once, not once per `i`.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.exports import export_value
from jaxtape._src.framework.messages import named_by, op_error
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.array.gather import boolean_mask
from jaxtape._src.ops.array.index_checks import concrete
from jaxtape._src.ops.support.args import static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

export_value(None, "newaxis")

_builtin_slice = builtins.slice  # `slice` below is TF's op

_INDEX_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                "tf.int32/tf.int64 tensors are valid indices, got {!r}")


@primitive(name="Slice")
def _slice(x, begin, *, size):
    return jax.lax.dynamic_slice(x, tuple(begin[i] for i in range(len(size))), size)


@defined("slice", primitive=_slice)
def slice(input_, begin, size, name=None):  # noqa: A001 - TF's name
    x = tensor(input_)
    named = named_by(begin, size)
    b, s = static_shape(begin), list(static_shape(size))
    sizes = x._value.shape
    if len(b) != x.ndim or len(s) != x.ndim:
        raise op_error(f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but "
                       f"got shapes [{len(b)}] and [{len(s)}] instead.", "Slice", named)
    for i, d in enumerate(sizes):
        if not 0 <= b[i] <= d:
            raise op_error(f"Expected begin[{i}] in [0, {d}], but got {b[i]}", "Slice", named)
        if s[i] == -1:
            s[i] = d - b[i]
        if not 0 <= s[i] <= d - b[i]:
            raise op_error(f"Expected size[{i}] in [0, {d - b[i]}], but got {s[i]}", "Slice", named)
    return _slice(x, np.asarray(b, np.int32), size=tuple(s))


@defined("strided_slice")
def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """TF's strided slice, turned into the equivalent `tensor[...]` key."""
    b, e = static_shape(begin), static_shape(end)
    st = (1,) * len(b) if strides is None else static_shape(strides)
    if not len(b) == len(e) == len(st):
        raise ValueError(f"Shapes ({len(b)},) and ({len(e)},) are incompatible")
    key = []
    for i in range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(int(b[i]))
        else:
            key.append(_builtin_slice(None if begin_mask & bit else b[i],
                                      None if end_mask & bit else e[i], st[i]))
    return getitem(input_, tuple(key))


def _slice_bound(v):
    if v is None:
        return None
    if is_tensor(v):
        return int(tensor(v).numpy())
    try:
        return v.__index__()
    except (AttributeError, TypeError):
        raise TypeError(_INDEX_ERROR.format(v)) from None


def _canonical_slice(s, dim, pos):
    """A slice as (start, stop, step) with Python's clamping, stop None past the front."""
    start, stop, step = _slice_bound(s.start), _slice_bound(s.stop), _slice_bound(s.step)
    if step == 0:
        raise op_error(f"strides[{pos}] must be non-zero", "StridedSlice")
    start, stop, step = _builtin_slice(start, stop, step).indices(dim)
    n = len(range(start, stop, step))
    if n == 0:
        return ("s", 0, 0, 1)
    end = start + n * step
    return ("s", start, None if end < 0 else end, step)


def _parse_key(key, shape):
    """Splits `key` into a hashable spec and dynamic integer indices (arrays)."""
    items = key if isinstance(key, tuple) else tuple(key) if isinstance(key, list) else (key,)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise op_error("Multiple ellipses in slice spec not allowed", "StridedSlice")
    ndim = len(shape)
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    if ndim == 0 and consuming:
        raise op_error("Attempting to slice scalar input.", "StridedSlice")
    spec, dynamic = [], []
    dim = 0
    for pos, item in enumerate(items):
        if item is None:
            spec.append(None)
            continue
        if item is Ellipsis:
            spec.append(Ellipsis)
            dim = max(dim, ndim - (consuming - sum(
                1 for i in items[:pos] if i is not None and i is not Ellipsis)))
            continue
        if dim >= ndim:
            raise op_error(f"Index out of range using input dim {dim}; input has only {ndim} dims",
                           "StridedSlice")
        size = shape[dim]
        if isinstance(item, _builtin_slice):
            spec.append(_canonical_slice(item, size, pos))
        else:
            spec.append("i")
            dynamic.append(_int_index(item, size, dim))
        dim += 1
    return tuple(spec), dynamic


def _int_index(item, size, dim):
    if isinstance(item, (bool, np.bool_)):
        raise TypeError(_INDEX_ERROR.format(item))
    if is_tensor(item):
        t = tensor(item)
        if t.ndim != 0 or not t.dtype.is_integer:
            raise TypeError(_INDEX_ERROR.format(t))
        if not concrete(t):  # traced: wrap negatives inside the kernel
            return jnp.where(t._value < 0, t._value + size, t._value).astype(jnp.int32)
        i = int(t.numpy())
    else:
        try:
            i = item.__index__()
        except (AttributeError, TypeError):
            raise TypeError(_INDEX_ERROR.format(item)) from None
    if not -size <= i < size:  # TF reports a negative index after adding the size
        raise op_error(f"slice index {i + size if i < 0 else i} of dimension {dim} out of bounds.",
                       "StridedSlice")
    return np.int32(i % size)


@primitive(name="StridedSlice")
def _strided_slice(x, *indices, spec):
    it = iter(indices)
    key = tuple(next(it) if s == "i" else _builtin_slice(*s[1:]) if isinstance(s, tuple) else s
                for s in spec)
    return x[key]


def getitem(x, key):
    """`tensor[key]` with TF's indexing rules (basic indexing, or a boolean mask)."""
    x = tensor(x)
    if (isinstance(key, Tensor) and key.dtype == dtypes.bool) or (
            isinstance(key, np.ndarray) and key.dtype == np.bool_):
        return boolean_mask(x, key)
    spec, dynamic = _parse_key(key, x._meta.shape)
    if not dynamic and all(s == ("s", 0, d, 1) for s, d in zip(spec, x._meta.shape)) \
            and len(spec) == x.ndim:
        return x
    return _strided_slice(x, *dynamic, spec=spec)


def setitem(x, key, value):
    """`tensor[key] = value`: TF's TypeError, since tensors are immutable (Python's
    default message would name jaxtape's class)."""
    raise TypeError("'tensorflow.python.framework.ops.EagerTensor' object does not support item "
                    "assignment")
