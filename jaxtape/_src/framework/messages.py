"""TensorFlow's error texts, built in one place.

TF's eager kernels end a message with ` [Op:<op>] name: `, print shapes as
`[2,3]` and dtypes by their C++ kernel names (`float`, `double`, `half`).
Every op that reproduces one of TF's errors builds it here, so the same
error always reads the same.
"""
from __future__ import annotations

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.state import local

# The names TF's kernels use for dtypes in error messages.
_KERNEL_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def kernel_dtype_name(dtype) -> str:
    """`float32` -> `float`, as TF's kernels name dtypes."""
    name = dtypes.as_dtype(dtype).name
    return _KERNEL_NAMES.get(name, name)


def dims(shape) -> str:
    """A shape as TF's kernels print it: `[2,3]` (`[]` for a scalar)."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def op_error(message: str, op: str, named: bool = True) -> InvalidArgumentError:
    """TF's eager InvalidArgumentError: `<message> [Op:<op>] name: ` (no ` name: `
    unless `named`; see `named_by`)."""
    return InvalidArgumentError(None, None, f"{message} [Op:{op}]" + (" name: " if named else ""))


def named_by(*inputs) -> bool:
    """Whether TF's eager error for a call with these inputs ends in ` name: `.

    TF's fast path appends it; an input given as a Python list or tuple sends
    the call down the slow path, which (with no `name` given) appends nothing.
    """
    return not any(isinstance(x, (list, tuple)) for x in inputs)


def negative_dimension(shape, op: str, named: bool = True) -> None:
    """Raises TF's error for a shape with a negative dimension (Fill, random ops)."""
    for d in shape:
        if d < 0:
            raise op_error(f"Dimension {d} must be >= 0", op, named)


def unequal_dimensions(op: str, d1, d2, a, b) -> ValueError:
    """Graph mode (inside tf.function): TF's shape inference rejects two dimensions."""
    return ValueError(f"Dimensions must be equal, but are {d1} and {d2} for '{{{{node {op}}}}} = "
                      f"{op}' with input shapes: {dims(a)}, {dims(b)}.")


def incompatible_shapes(op: str, a, b, named: bool = True) -> InvalidArgumentError | ValueError:
    """Two operands whose shapes do not broadcast (inside tf.function TF's
    shape inference raises ValueError at trace time)."""
    if local.tracing:
        for d1, d2 in zip(reversed(a), reversed(b)):
            if d1 != d2 and d1 != 1 and d2 != 1:
                return unequal_dimensions(op, d1, d2, a, b)
    return op_error(f"Incompatible shapes: {dims(a)} vs. {dims(b)}", op, named)


def dtype_mismatch(op: str, index: int, expected, got) -> InvalidArgumentError | TypeError:
    """Input `index` of `op` has another dtype than the op's first input
    (inside tf.function, TF's graph builder's TypeError)."""
    if local.tracing:
        name, first = ("y", "'x'") if index == 1 else (f"#{index}", "#0")
        return TypeError(f"Input '{name}' of '{op}' Op has type {dtypes.as_dtype(got).name} that "
                         f"does not match type {dtypes.as_dtype(expected).name} of argument {first}.")
    return op_error(
        f"cannot compute {op} as input #{index}(zero-based) was expected to be a "
        f"{kernel_dtype_name(expected)} tensor but is a {kernel_dtype_name(got)} tensor", op)


def dtype_not_allowed(op: str, dtype, allowed: str, summary: str | None = None,
                      attr: str = "T", named: bool = True) -> InvalidArgumentError:
    """The kernel for `op` is not registered for `dtype`.

    allowed: TF's list as its message prints it (`half, float, double`).
    summary: TF's op summary (`Op<name=...>`), printed after the NodeDef.
    """
    return attr_not_allowed(op, attr, kernel_dtype_name(dtype), allowed, summary, named)


def attr_not_allowed(op: str, attr: str, value: str, allowed: str, summary: str | None = None,
                     named: bool = True) -> InvalidArgumentError:
    """TF's error for an attribute value (a dtype, a padding name) `op` does not register."""
    text = f"Value for attr '{attr}' of {value} is not in the list of allowed values: {allowed}"
    if summary is not None:
        text += f"\n\t; NodeDef: {{{{node {op}}}}}; {summary}"
    return op_error(text, op, named)
