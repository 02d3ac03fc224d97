"""Argument handling shared by op wrappers: TF's conversion and checking rules."""
from __future__ import annotations

from jaxtape.framework import dtypes
from jaxtape.framework.convert import convert_to_tensor, scalar_tensor
from jaxtape.framework.errors import InvalidArgumentError
from jaxtape.framework.tensor import Tensor

# The names TF's kernels use for dtypes in error messages.
KERNEL_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def kernel_dtype_name(dtype) -> str:
    name = dtypes.as_dtype(dtype).name
    return KERNEL_NAMES.get(name, name)


def op_error(message: str, op: str) -> InvalidArgumentError:
    """TF's eager InvalidArgumentError text: `<message> [Op:<op>] name: `."""
    return InvalidArgumentError(None, None, f"{message} [Op:{op}] name: ")


def tensor(x, dtype=None) -> Tensor:
    if type(x) is Tensor and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype)


def binary(x, y, op: str):
    """Converts two operands as TF's binary ops do: a Python or NumPy operand
    takes the other's dtype if it can; two tensors of different dtypes fail."""
    tx, ty = type(x), type(y)
    # Fast paths first: they are every training loop's arithmetic.
    if tx is Tensor:
        if ty is Tensor:
            if x._value.dtype == y._value.dtype:
                return x, y
        elif ty is float or ty is int:
            c = scalar_tensor(y, x._value.dtype)
            if c is not None:
                return x, c
    elif ty is Tensor and (tx is float or tx is int):
        c = scalar_tensor(x, y._value.dtype)
        if c is not None:
            return c, y
    if isinstance(x, Tensor) or hasattr(x, "_read_for_op"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype_hint=x.dtype)
    elif isinstance(y, Tensor) or hasattr(y, "_read_for_op"):
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype_hint=y.dtype)
    else:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype_hint=x.dtype)
    if x._value.dtype != y._value.dtype:
        raise op_error(
            f"cannot compute {op} as input #1(zero-based) was expected to be a "
            f"{kernel_dtype_name(x.dtype)} tensor but is a {kernel_dtype_name(y.dtype)} tensor", op)
    return x, y


def axis_tuple(axis, ndim: int, op: str):
    """Normalizes a reduction axis (int, list, tensor) to a sorted tuple, or None."""
    if axis is None:
        return None
    if isinstance(axis, Tensor) or hasattr(axis, "_read_for_op"):
        axis = convert_to_tensor(axis).numpy().tolist()
    elif hasattr(axis, "tolist"):
        axis = axis.tolist()
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise op_error(f"Invalid reduction dimension ({a} for input with {ndim} dimension(s)", op)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def single_axis(axis, ndim: int, op: str) -> int:
    axis = int(axis.numpy()) if isinstance(axis, Tensor) else int(axis)
    if not -ndim <= axis < ndim:
        raise op_error(f"Expected axis in the range [{-ndim}, {ndim}), but got {axis}", op)
    return axis % ndim


def static_shape(shape) -> tuple:
    """A shape argument (list, tuple, TensorShape or tensor) as a tuple of ints."""
    if isinstance(shape, Tensor) or hasattr(shape, "_read_for_op"):
        return tuple(int(d) for d in convert_to_tensor(shape).numpy().reshape(-1))
    if hasattr(shape, "as_list"):
        return tuple(shape.as_list())
    if isinstance(shape, int) or hasattr(shape, "__index__") and not hasattr(shape, "__len__"):
        return (int(shape),)
    return tuple(int(d) for d in shape)
