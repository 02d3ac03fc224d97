"""TensorFlow's error texts, built in one place.

TF's eager kernels end a message with ` [Op:<op>] name: `, print shapes as
`[2,3]` and dtypes by their C++ kernel names (`float`, `double`, `half`).
Every op that reproduces one of TF's errors builds it here, so the same
error always reads the same.
"""
from __future__ import annotations

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError

# The names TF's kernels use for dtypes in error messages.
_KERNEL_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def kernel_dtype_name(dtype) -> str:
    """`float32` -> `float`, as TF's kernels name dtypes."""
    name = dtypes.as_dtype(dtype).name
    return _KERNEL_NAMES.get(name, name)


def dims(shape) -> str:
    """A shape as TF's kernels print it: `[2,3]` (`[]` for a scalar)."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def op_error(message: str, op: str) -> InvalidArgumentError:
    """TF's eager InvalidArgumentError: `<message> [Op:<op>] name: `."""
    return InvalidArgumentError(None, None, f"{message} [Op:{op}] name: ")


def incompatible_shapes(op: str, a, b) -> InvalidArgumentError:
    """Two operands whose shapes do not broadcast."""
    return op_error(f"Incompatible shapes: {dims(a)} vs. {dims(b)}", op)


def dtype_mismatch(op: str, index: int, expected, got) -> InvalidArgumentError:
    """Input `index` of `op` has another dtype than the op's first input."""
    return op_error(
        f"cannot compute {op} as input #{index}(zero-based) was expected to be a "
        f"{kernel_dtype_name(expected)} tensor but is a {kernel_dtype_name(got)} tensor", op)


def dtype_not_allowed(op: str, dtype, allowed: str, summary: str | None = None,
                      attr: str = "T") -> InvalidArgumentError:
    """The kernel for `op` is not registered for `dtype`.

    allowed: TF's list as its message prints it (`half, float, double`).
    summary: TF's op summary (`Op<name=...>`), printed after the NodeDef.
    """
    text = (f"Value for attr '{attr}' of {kernel_dtype_name(dtype)} is not in the list of "
            f"allowed values: {allowed}")
    if summary is not None:
        text += f"\n\t; NodeDef: {{{{node {op}}}}}; {summary}"
    return op_error(text, op)
