"""Binary arithmetic, comparisons, casting and matmul (`tf.math`, `tf.linalg.matmul`).

Each op converts its operands as TF does (`inputs.elementwise`), refuses the
dtypes TF's kernel does not register (`math_kernels.check`), and raises TF's
value errors (integer division by zero, negative integer powers) eagerly.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InternalError
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import binary, elementwise, kernel_dtype_name, op_error, tensor
from jaxtape._src.ops.math.unary import abs, negative  # noqa: F401,A004 - operators use math_ops.abs
from jaxtape._src.tape.primitive import Primitive, primitive

# -- binary arithmetic ------------------------------------------------------------


@primitive(name="RealDiv")
def _div(x, y):
    return x / y


@primitive(name="Maximum")
def _maximum(x, y):
    # TF sends the whole gradient to x on ties (x >= y) and propagates NaN.
    return jnp.where((x >= y) | jnp.isnan(x), x, y)


@primitive(name="Minimum")
def _minimum(x, y):
    return jnp.where((x <= y) | jnp.isnan(x), x, y)


def _floor_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.floor_divide(x, y)
    return jnp.floor(x / y)


def _truncate_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jax.lax.div(*jnp.broadcast_arrays(x, y))
    return jnp.trunc(x / y)


def _floor_mod(x, y):
    # The gradient TF defines: (dz, -dz * floor(x / y)); jnp.remainder's agrees.
    return jnp.remainder(x, y)


def _pow(x, y):
    return jnp.power(x, y)


def _divide_no_nan(x, y):
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return jnp.where(y == 0, jnp.zeros_like(x), x / safe)


def _multiply_no_nan(x, y):
    return jnp.where(y == 0, jnp.zeros_like(x), x * y)


def _squared_difference(x, y):
    d = x - y
    return jnp.real(d * jnp.conj(d)).astype(d.dtype) if jnp.iscomplexobj(d) else d * d


_PRIMS = {
    "AddV2": Primitive(jnp.add, "AddV2"),
    "Sub": Primitive(jnp.subtract, "Sub"),
    "Mul": Primitive(jnp.multiply, "Mul"),
    "Pow": Primitive(_pow, "Pow"),
    "FloorMod": Primitive(_floor_mod, "FloorMod"),
    "FloorDiv": Primitive(_floor_div, "FloorDiv", differentiable=False),
    "TruncateDiv": Primitive(_truncate_div, "TruncateDiv", differentiable=False),
    # TF registers no gradient for TruncateMod.
    "TruncateMod": Primitive(jnp.fmod, "TruncateMod", differentiable=False),
    "Maximum": _maximum,
    "Minimum": _minimum,
    "RealDiv": _div,
    "DivNoNan": Primitive(_divide_no_nan, "DivNoNan"),
    "MulNoNan": Primitive(_multiply_no_nan, "MulNoNan"),
    "SquaredDifference": Primitive(_squared_difference, "SquaredDifference"),
    "Atan2": Primitive(jnp.arctan2, "Atan2"),
    "NextAfter": Primitive(jnp.nextafter, "NextAfter"),
}
_INTEGER_DIVISION = ("FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod")


def apply_binary(x, y, op, strict=True):
    """Converts, checks and runs the binary kernel `op` (TF op name)."""
    x, y = elementwise(x, y, op, strict)
    math_kernels.check(op, x)
    dtype = x._value.dtype
    # Integer kernels check their values (TF raises); inside tf.function there are none to check.
    if dtype.kind in "iu" and not isinstance(y._value, jax.core.Tracer) \
            and not isinstance(x._value, jax.core.Tracer):
        if op in _INTEGER_DIVISION and bool(jnp.any(y._value == 0)):
            if op.startswith("Truncate"):  # TF's kernels report this one oddly
                raise InternalError(None, None, "Unexpected error in binary operator (only integer "
                                    f"div and mod should have errors) [Op:{op}] name: ")
            raise op_error("Integer division by zero", op)
        if op == "Pow" and dtype.kind == "i" and bool(jnp.any(y._value < 0)):
            raise op_error("Integers to negative integer powers are not allowed", op)
    return _PRIMS[op](x, y)


def add_recorded(a, b):
    """Cotangent accumulation when an outer tape records the backward pass."""
    return _PRIMS["AddV2"](a, b)


def fast_binary(op, slow):
    """`slow(x, y)` behind a shortcut for the training-loop hot path.

    Two float tensors of one dtype and shape that the kernel takes would pass
    every conversion and check in `slow`, so they go straight to the kernel.
    """
    prim = _PRIMS[op]
    shortcut = {}  # NumPy dtype -> whether it applies

    def call(x, y, name=None):
        if type(x) is Tensor and type(y) is Tensor:
            xv, yv = x._value, y._value
            dtype = xv.dtype
            if dtype == yv.dtype and xv.shape == yv.shape:
                ok = shortcut.get(dtype)
                if ok is None:
                    ok = shortcut[dtype] = dtype.kind in "fc" and math_kernels.accepts(op, dtype)
                if ok:
                    return prim(x, y)
        return slow(x, y)
    return call


def _binary_op(op, *names, strict=True, doc=None):
    op_fn = fast_binary(op, lambda x, y: apply_binary(x, y, op, strict))

    op_fn.__name__ = names[0].rpartition(".")[2]
    op_fn.__doc__ = doc or f"Elementwise `{op_fn.__name__}` with broadcasting (TF op {op})."
    return export(*names)(op_fn)


# AddV2's Python wrapper only hints the second operand's dtype, so `int + 2.5`
# fails in the kernel (InvalidArgumentError), not in conversion (TypeError).
add = _binary_op("AddV2", "math.add", "add", strict=False)
subtract = _binary_op("Sub", "math.subtract", "subtract")
multiply = _binary_op("Mul", "math.multiply", "multiply")
floordiv = _binary_op("FloorDiv", "math.floordiv",
                      doc="Floor division; floats give floor(x / y), no gradient as in TF.")
floormod = _binary_op("FloorMod", "math.floormod", "math.mod",
                      doc="Remainder with the sign of `y` (Python's `%`).")
truncatediv = _binary_op("TruncateDiv", "truncatediv", doc="Division rounding toward zero.")
truncatemod = _binary_op("TruncateMod", "truncatemod", doc="Remainder with the sign of `x` (C's `%`).")
pow = _binary_op("Pow", "math.pow", "pow")  # noqa: A001 - TF's name
maximum = _binary_op("Maximum", "math.maximum", "maximum")
minimum = _binary_op("Minimum", "math.minimum", "minimum")
multiply_no_nan = _binary_op("MulNoNan", "math.multiply_no_nan",
                             doc="`x * y`, but 0 wherever `y` is 0 (even if `x` is inf or NaN).")
squared_difference = _binary_op("SquaredDifference", "math.squared_difference")
nextafter = _binary_op("NextAfter", "math.nextafter")


@export("math.atan2", "atan2")
def atan2(y, x, name=None):
    """Angle of the point (x, y); TF's argument order is (y, x)."""
    return apply_binary(y, x, "Atan2")


# TF's truediv turns integers into floats: small ints to float32, wide ones to float64.
_TRUEDIV_FLOAT = {"int8": dtypes.float32, "uint8": dtypes.float32, "int16": dtypes.float32,
                  "uint16": dtypes.float32, "int32": dtypes.float64, "int64": dtypes.float64,
                  "uint32": dtypes.float64, "uint64": dtypes.float64}


def _same_dtype(x, y):
    """TF's truediv conversion: `y` only hinted, then a TypeError on mismatch."""
    x = tensor(x)
    y = y if isinstance(y, Tensor) else convert_to_tensor(y, dtype_hint=x.dtype)
    if x.dtype != y.dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != {y.dtype!r}.")
    target = _TRUEDIV_FLOAT.get(x.dtype.name)
    if target is not None:
        x, y = cast(x, target), cast(y, target)
    return x, y


@export("math.truediv", "truediv")
def truediv(x, y, name=None):
    """x / y; integers are cast to float first (int32 and wider to float64)."""
    x, y = _same_dtype(x, y)
    return apply_binary(x, y, "RealDiv")


@export("math.divide", "divide")
def divide(x, y, name=None):
    """`x / y`, with a non-tensor `x` converted to `y`'s dtype first (as TF)."""
    if isinstance(y, Tensor) and not isinstance(x, Tensor) and not hasattr(x, "_read_for_op"):
        x = tensor(x, dtype=y.dtype)
    return truediv(x, y)


@export("realdiv")
def realdiv(x, y, name=None):
    return apply_binary(x, y, "RealDiv")


@export("math.divide_no_nan")
def divide_no_nan(x, y, name=None):
    """`x / y`, but 0 wherever `y` is 0; integers divide as truediv does."""
    x, y = _same_dtype(x, y)
    return apply_binary(x, y, "DivNoNan")


@export("math.scalar_mul", "scalar_mul")
def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a 0-D `scalar` (TF: ValueError otherwise)."""
    x = tensor(x)
    s = tensor(scalar, dtype=x.dtype)
    if s._value.ndim != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {tuple(s._value.shape)}.")
    return apply_binary(s, x, "Mul")


# -- comparisons and logic (not differentiable, as in TF) ---------------------------

def _comparison(jfn, op, *names):
    prim = Primitive(jfn, op, differentiable=False)

    def compare(x, y, name=None):
        x, y = binary(x, y, op)
        return prim(x, y)

    compare.__name__ = names[0].rpartition(".")[2]
    compare.__doc__ = f"Elementwise `{compare.__name__}` (TF op {op}); bool result, no gradient."
    return export(*names)(compare)


equal = _comparison(jnp.equal, "Equal", "math.equal", "equal")
not_equal = _comparison(jnp.not_equal, "NotEqual", "math.not_equal", "not_equal")
less = _comparison(jnp.less, "Less", "math.less", "less")
less_equal = _comparison(jnp.less_equal, "LessEqual", "math.less_equal", "less_equal")
greater = _comparison(jnp.greater, "Greater", "math.greater", "greater")
greater_equal = _comparison(jnp.greater_equal, "GreaterEqual", "math.greater_equal", "greater_equal")
logical_and = _comparison(jnp.logical_and, "LogicalAnd", "math.logical_and", "logical_and")
logical_or = _comparison(jnp.logical_or, "LogicalOr", "math.logical_or", "logical_or")
logical_xor = _comparison(jnp.logical_xor, "LogicalXor", "math.logical_xor")

_logical_not = Primitive(jnp.logical_not, "LogicalNot", differentiable=False)


@export("math.logical_not", "logical_not")
def logical_not(x, name=None):
    return _logical_not(tensor(x))


# -- casting --------------------------------------------------------------------

@primitive(name="Cast")
def _cast(x, *, dtype):
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


_cast_nondiff = Primitive(_cast.fn, "Cast", differentiable=False)


@export("cast", "dtypes.cast")
def cast(x, dtype, name=None):
    """TF's cast; only float/complex to float/complex carries a gradient."""
    x = tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    prim = _cast if x.dtype.is_trainable and dtype.is_trainable else _cast_nondiff
    return prim(x, dtype=dtype.as_numpy_dtype)




# -- sums of many tensors -------------------------------------------------------

def _add_n(*xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


_add_n_prim = Primitive(_add_n, "AddN")


@export("math.add_n", "add_n")
def add_n(inputs, name=None):
    """Sum of a list of same-shape, same-dtype tensors (no broadcasting, as TF)."""
    if isinstance(inputs, Tensor) or not inputs:
        raise ValueError("Inputs must be an iterable of at least one Tensor/IndexedSlices "
                         "with the same dtype and shape.")
    xs = [tensor(inputs[0])]
    for v in inputs[1:]:
        xs.append(v if isinstance(v, Tensor) else convert_to_tensor(v, dtype_hint=xs[0].dtype))
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != xs[0].dtype:
            raise op_error(f"cannot compute AddN as input #{i}(zero-based) was expected to be a "
                           f"{kernel_dtype_name(xs[0].dtype)} tensor but is a "
                           f"{kernel_dtype_name(x.dtype)} tensor", "AddN")
    math_kernels.check("AddN", xs[0])
    for i, x in enumerate(xs[1:], 1):
        if x._value.shape != xs[0]._value.shape:
            raise op_error("Inputs to operation AddN of type AddN must have the same size and "
                           f"shape.  Input 0: {_dims(xs[0]._value.shape)} != input {i}: "
                           f"{_dims(x._value.shape)}", "AddN")
    if len(xs) == 1:
        return xs[0]
    return _add_n_prim(*xs)


@export("math.accumulate_n")
def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """Deprecated alias of add_n (TF checks the same things)."""
    return add_n(inputs)


# -- matmul ---------------------------------------------------------------------

@primitive(name="MatMul")
def _matmul(a, b, *, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        if adjoint_a:
            a = jnp.conj(a)
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        if adjoint_b:
            b = jnp.conj(b)
    return jnp.matmul(a, b)


def _dims(shape):
    """A shape as TF's kernels print it: `[2,3]`."""
    return "[" + ",".join(str(d) for d in shape) + "]"


@export("linalg.matmul", "matmul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Batched matrix product with TF's rank and size checks."""
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    if len(sa) < 2 or len(sb) < 2:
        raise op_error(f"In[0] and In[1] has different ndims: {_dims(sa)} vs. {_dims(sb)}"
                       if len(sa) != len(sb) else f"In[0] ndims must be >= 2: {len(sa)}", "MatMul")
    k_a = sa[-2] if (transpose_a or adjoint_a) else sa[-1]
    k_b = sb[-1] if (transpose_b or adjoint_b) else sb[-2]
    if k_a != k_b:
        op = "MatMul" if len(sa) == 2 and len(sb) == 2 else "BatchMatMulV2"
        msg = f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: {_dims(sb)}"
        raise op_error(msg, op)
    flags = {}
    if transpose_a:
        flags["transpose_a"] = True
    if transpose_b:
        flags["transpose_b"] = True
    if adjoint_a:
        flags["adjoint_a"] = True
    if adjoint_b:
        flags["adjoint_b"] = True
    return _matmul(a, b, **flags)
