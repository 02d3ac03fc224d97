"""Argument handling shared by op wrappers: TF's conversion and checking rules."""
from __future__ import annotations

import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor, scalar_tensor
from jaxtape._src.framework.messages import (  # noqa: F401 - other families import these here
    dtype_mismatch, dtype_not_allowed, incompatible_shapes, kernel_dtype_name, named_by, op_error)
from jaxtape._src.framework.tensor import Tensor, is_tensor


def tensor(x, dtype=None) -> Tensor:
    if type(x) is Tensor and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype)


def binary(x, y, op: str, strict: bool = True):
    """Converts two operands as TF's binary ops do.

    A Python or NumPy operand is converted to the other operand's dtype; with
    `strict` (every op but AddV2, whose wrapper only hints the dtype) a value
    that does not fit raises TF's TypeError ("Cannot convert 2.5 to
    EagerTensor of dtype int32"). Two tensors of different dtypes fail as
    TF's kernels do.
    """
    tx, ty = type(x), type(y)
    # Fast paths first: they are every training loop's arithmetic. Dtypes come
    # from `_meta`: a pending (deferred) operand's `_value` would run its op.
    if tx is Tensor:
        if ty is Tensor:
            if x._meta.dtype == y._meta.dtype:
                return x, y
        elif ty is float or ty is int:
            c = scalar_tensor(y, x._meta.dtype)
            if c is not None:
                return x, c
    elif ty is Tensor and (tx is float or tx is int):
        c = scalar_tensor(x, y._meta.dtype)
        if c is not None:
            return c, y
    # `is_tensor` inlined: a variable operand (`w * x`) is on apply_binary's hot path.
    x_is_tensor = isinstance(x, Tensor) or hasattr(x, "_read_for_op")
    y_is_tensor = isinstance(y, Tensor) or hasattr(y, "_read_for_op")
    if x_is_tensor or not y_is_tensor:
        x = convert_to_tensor(x)
        y = _convert_operand(y, x.dtype, strict and not y_is_tensor)
    else:
        y = convert_to_tensor(y)
        x = _convert_operand(x, y.dtype, strict)
    if x._meta.dtype != y._meta.dtype:
        raise dtype_mismatch(op, 1, x.dtype, y.dtype)
    return x, y


def _convert_operand(value, dtype, strict):
    if strict:
        return convert_to_tensor(value, dtype=dtype)
    return convert_to_tensor(value, dtype_hint=dtype)


_broadcast_ok: dict = {}


def elementwise(x, y, op: str, strict: bool = True):
    """`binary` plus TF's check that the two shapes broadcast."""
    x, y = binary(x, y, op, strict)
    sx, sy = x._meta.shape, y._meta.shape
    if sx != sy:
        key = (sx, sy)
        ok = _broadcast_ok.get(key)
        if ok is None:
            ok = all(a == b or a == 1 or b == 1 for a, b in zip(reversed(sx), reversed(sy)))
            if len(_broadcast_ok) > 4096:
                _broadcast_ok.clear()
            _broadcast_ok[key] = ok
        if not ok:
            raise incompatible_shapes(op, sx, sy)
    return x, y


def axis_tuple(axis, ndim: int, op: str):
    """Normalizes a reduction axis (int, list, tensor) to a sorted tuple, or None."""
    if axis is None:
        return None
    if is_tensor(axis):
        axis = convert_to_tensor(axis).numpy().tolist()
    elif hasattr(axis, "tolist"):
        axis = axis.tolist()
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise op_error(f"Invalid reduction dimension ({a} for input with {ndim} dimension(s)",
                           op, named_by(axis))
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def number_as(value, dtype) -> Tensor:
    """A Python number converted to `dtype` (a tensor operand's); anything else as it is."""
    if isinstance(value, (int, float)):
        return tensor(value, dtype=dtype)
    return tensor(value)


def host_array(value, op: str, what: str = "an argument it reads on the host"):
    """The NumPy value of a tensor argument the op needs statically.

    Inside `tf.function` a tensor computed from the inputs has no value at
    trace time; TF would build a dynamically shaped graph, XLA cannot.
    """
    t = tensor(value)
    if isinstance(t._value, Tracer):
        raise ValueError(
            f"{op}: {what} depends on values computed inside tf.function. jaxtape compiles "
            "tf.function with XLA, which needs static shapes: pass a constant, a Python value "
            "or tf.shape of a tensor, or run this op outside tf.function.")
    return np.asarray(t._value)


def host_int(value, op: str = "tf.function") -> int:
    """A Python int from an int or a scalar tensor (read on the host)."""
    return value if isinstance(value, int) else int(host_array(value, op, "a size argument"))


def single_axis(axis, ndim: int, op: str) -> int:
    axis = int(axis.numpy()) if isinstance(axis, Tensor) else int(axis)
    if not -ndim <= axis < ndim:
        raise op_error(f"Expected axis in the range [{-ndim}, {ndim}), but got {axis}", op)
    return axis % ndim


def static_shape(shape, op: str = "tf.function") -> tuple:
    """A shape argument (list, tuple, TensorShape or tensor) as a tuple of ints."""
    if is_tensor(shape):
        return tuple(int(d) for d in host_array(shape, op, "a shape argument").reshape(-1))
    if hasattr(shape, "as_list"):
        return tuple(shape.as_list())
    if isinstance(shape, int) or hasattr(shape, "__index__") and not hasattr(shape, "__len__"):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def reduction_axes(axis, ndim: int, op: str):
    """A reduction `axis` as TF's kernels check it: a sorted tuple of dims, or None.

    Unlike `axis_tuple`, duplicates are an error, a scalar has no axis 0, and a
    float axis fails conversion to int32 (TypeError), as in TF.
    """
    if axis is None:
        return None
    if type(axis) is int:
        axes = [axis]
    elif isinstance(axis, (list, tuple)) and all(type(a) is int for a in axis):
        axes = list(axis)
    else:
        if is_tensor(axis):
            value = convert_to_tensor(axis)
            if not value.dtype.is_integer:
                raise dtype_not_allowed(op, value.dtype, "int32, int64", attr="Tidx")
        else:
            value = convert_to_tensor(axis, dtype=dtypes.int32)
        axes = value.numpy().reshape(-1).tolist()
    out = []
    named = named_by(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise op_error(f"Invalid reduction dimension ({a} for input with {ndim} dimension(s)",
                           op, named)
        d = a % ndim
        if d in out:
            raise op_error(f"Invalid reduction arguments: Axes contains duplicate dimension: {d}",
                           op, named)
        out.append(d)
    return tuple(sorted(out))
