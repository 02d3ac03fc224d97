"""Binary arithmetic (`tf.math.add`, `tf.math.truediv`, ...) and sums of many tensors (`tf.add_n`).

Each op converts its operands as TF does (`args.elementwise`), refuses the
dtypes TF's kernel does not register (`kernel_dtypes.check`), and raises
TF's value errors (integer division by zero, negative integer powers)
eagerly. `fast_binary` is the hot path of every training loop's `x * y`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InternalError
from jaxtape._src.framework.messages import dims, dtype_mismatch, op_error
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, with_tangent
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import elementwise, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import READS_NONE, READS_OTHER, Primitive


# TF's Maximum/Minimum propagate NaN and give y at a tie (so max(0, -0) is -0);
# their gradient goes to x where x >= y (x <= y), ties included, else to y: a
# NaN x gets none.
_maximum = with_tangent(lambda x, y: jnp.where((x > y) | jnp.isnan(x), x, y),
                        lambda p, t, out: jnp.where(p[0] >= p[1], t[0], t[1]))
_minimum = with_tangent(lambda x, y: jnp.where((x < y) | jnp.isnan(x), x, y),
                        lambda p, t, out: jnp.where(p[0] <= p[1], t[0], t[1]))
def _pow_tangent(p, t, out):
    x, y = p
    if jnp.iscomplexobj(x):
        dx = jax.jvp(lambda a: jnp.power(a, y), (x,), (t[0],))[1]
        return dx + t[1] * out * jnp.log(jnp.where(x == 0, 1, x))
    # TF's grad * y * x^(y - 1), in that order: a zero upstream stays 0 where x^(y - 1) overflows.
    dx = t[0] * y * jnp.power(x, y - 1)
    # TF's d(x^y)/dy takes log(x) as 0 where x <= 0 (JAX: NaN for x < 0).
    return dx + t[1] * out * jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1)), 0)


_pow = with_tangent(jnp.power, _pow_tangent)
# TF's RealDiv gradients grad / y and grad * ((-x / y) / y), in that order: JAX's
# -x / y^2 overflows y^2 (NaN where TF gives -inf, 0 where TF's 0 * inf is NaN).
# The barrier keeps XLA from rewriting (a / y) / y as a / (y * y).
_real_div = with_tangent(jnp.true_divide, lambda p, t, out: t[0] / p[1] + t[1] * (
    jax.lax.optimization_barrier(-p[0] / p[1]) / p[1]))
# TF's NextAfter gradient: the incoming gradient to x1, zero to x2.
_nextafter = with_tangent(jnp.nextafter, lambda p, t, out: t[0] + t[1] * 0)


def _floor_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.floor_divide(x, y)
    return jnp.floor(x / y)


def _truncate_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jax.lax.div(*jnp.broadcast_arrays(x, y))
    return jnp.trunc(x / y)


def _div_no_nan(x, y):
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return jnp.where(y == 0, jnp.zeros_like(x), x / safe)


def _mul_no_nan(x, y):
    return jnp.where(y == 0, jnp.zeros_like(x), x * y)


# TF's gradients: x's is the no-NaN op of the upstream, y's is an ordinary
# product, so d(x * y)/dy = x even where y is 0, and an infinite upstream at
# y = 0 gives NaN there.
_divide_no_nan = with_tangent(_div_no_nan, lambda p, t, out: _div_no_nan(t[0], p[1])
                              + t[1] * _div_no_nan(_div_no_nan(-p[0], p[1]), p[1]))
_multiply_no_nan = with_tangent(_mul_no_nan, lambda p, t, out: _mul_no_nan(t[0], p[1]) + p[0] * t[1])


def _sum_to(g, shape):
    """`g` summed over the axes that broadcasting added to `shape`."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and g.shape[lead + i] != 1)
    return jnp.sum(g, axis=axes).reshape(shape) if axes else g


@jax.custom_vjp
def _multiply_no_nan_tf_grad(x, y):
    return _mul_no_nan(x, y)


def _mnn_fwd(x, y):
    return _mul_no_nan(x, y), (x, y)


def _mnn_bwd(res, g):
    # TF's MulNoNanGrad: (mul_no_nan(g, y), mul_no_nan(x, g)); y's is 0 where the upstream is 0,
    # even for a NaN or infinite x, which no rule linear in the tangent can give.
    x, y = res
    return _sum_to(_mul_no_nan(g, y), x.shape), _sum_to(_mul_no_nan(x, g), y.shape)


_multiply_no_nan_tf_grad.defvjp(_mnn_fwd, _mnn_bwd)


def _squared_difference(x, y):
    d = x - y
    return jnp.real(d * jnp.conj(d)).astype(d.dtype) if jnp.iscomplexobj(d) else d * d


_PRIMS = {
    "AddV2": Primitive(jnp.add, "AddV2", vjp_reads=READS_NONE),
    "Sub": Primitive(jnp.subtract, "Sub", vjp_reads=READS_NONE),
    "Mul": Primitive(jnp.multiply, "Mul", vjp_reads=READS_OTHER),
    "Pow": Primitive(_pow, "Pow"),
    # TF's FloorMod gradient (dz, -dz * floor(x / y)), written out: JAX's differs for an infinite y.
    "FloorMod": Primitive(with_tangent(jnp.remainder, lambda p, t, out: t[0] - t[1] * jnp.floor(p[0] / p[1])),
                          "FloorMod"),
    "FloorDiv": Primitive(_floor_div, "FloorDiv", differentiable=False),
    "TruncateDiv": Primitive(_truncate_div, "TruncateDiv", differentiable=False),
    # TF registers no gradient for TruncateMod.
    "TruncateMod": Primitive(jnp.fmod, "TruncateMod", differentiable=False),
    "Maximum": Primitive(_maximum, "Maximum"),
    "Minimum": Primitive(_minimum, "Minimum"),
    "RealDiv": Primitive(_real_div, "RealDiv"),
    "DivNoNan": Primitive(_divide_no_nan, "DivNoNan"),
    "MulNoNan": TFGradPrimitive(_multiply_no_nan, _multiply_no_nan_tf_grad, "MulNoNan"),
    "SquaredDifference": Primitive(_squared_difference, "SquaredDifference"),
    "Atan2": Primitive(jnp.arctan2, "Atan2"),
    "NextAfter": Primitive(_nextafter, "NextAfter"),
}
_INTEGER_DIVISION = ("FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod")


def apply_binary(x, y, op, strict=True):
    """Converts, checks and runs the binary kernel `op` (TF op name)."""
    x, y = elementwise(x, y, op, strict)
    kernel_dtypes.check(op, x)
    dtype = x._meta.dtype  # `_meta`: a deferred operand stays pending
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


def fast_binary(op, slow=None, strict=True):
    """The op function `f(x, y, name=None)` for the binary kernel `op`.

    `slow(x, y)` (default: `apply_binary`) does TF's conversions and checks.
    Two float tensors of one dtype and shape that the kernel takes would pass
    all of them, so they go straight to the kernel: this is the training
    loop's hot path, and the returned function is what `Tensor.__mul__` is.
    """
    prim = _PRIMS[op]
    binary = prim.binary
    shortcut = {}  # NumPy dtype -> whether it applies
    if slow is None:
        def slow(x, y):
            return apply_binary(x, y, op, strict)

    def call(x, y, name=None):
        if type(x) is Tensor and type(y) is Tensor:
            # Avals: a deferred tensor's (see tape/deferred.py; reading `_value` would
            # run it), and a jax.Array's, cheaper than its `dtype`/`shape` properties.
            xp, yp = x._pending, y._pending
            try:
                xv = x._value.aval if xp is None else xp[0]
                yv = y._value.aval if yp is None else yp[0]
            except AttributeError:  # not a JAX value
                return slow(x, y)
            dtype = xv.dtype
            # Avals are interned: one object for one dtype, shape and weak type.
            if xv is yv or (dtype == yv.dtype and xv.shape == yv.shape):
                ok = shortcut.get(dtype)
                if ok is None:
                    ok = shortcut[dtype] = dtype.kind in "fc" and kernel_dtypes.accepts(op, dtype)
                if ok:
                    return binary(x, y)
        return slow(x, y)

    call.__doc__ = f"Elementwise binary op with broadcasting (TF op {op})."
    call.primitive = prim
    return call


# AddV2's Python wrapper only hints the second operand's dtype, so `int + 2.5`
# fails in the kernel (InvalidArgumentError), not in conversion (TypeError).
add = defined("math.add", "add")(fast_binary("AddV2", strict=False))
subtract = defined("math.subtract", "subtract")(fast_binary("Sub"))
multiply = defined("math.multiply", "multiply")(fast_binary("Mul"))
floordiv = defined("math.floordiv", doc="Floor division; floats give floor(x / y), no gradient as in TF.")(
    fast_binary("FloorDiv"))
floormod = defined("math.floormod", "math.mod", doc="Remainder with the sign of `y` (Python's `%`).")(
    fast_binary("FloorMod"))
truncatediv = defined("truncatediv", doc="Division rounding toward zero.")(fast_binary("TruncateDiv"))
truncatemod = defined("truncatemod", doc="Remainder with the sign of `x` (C's `%`).")(
    fast_binary("TruncateMod"))
pow = defined("math.pow", "pow")(fast_binary("Pow"))  # noqa: A001 - TF's name
maximum = defined("math.maximum", "maximum")(fast_binary("Maximum"))
minimum = defined("math.minimum", "minimum")(fast_binary("Minimum"))


def _mul_no_nan_operands(x, y):
    """TF's multiply_no_nan conversion: `y` takes `x`'s dtype (a float64 `y` after a Python `x` raises)."""
    x = tensor(x)
    return apply_binary(x, convert_to_tensor(y, dtype=x.dtype, name="y"), "MulNoNan")


multiply_no_nan = defined("math.multiply_no_nan",
                          doc="`x * y`, but 0 wherever `y` is 0 (even if `x` is inf or NaN).")(
    fast_binary("MulNoNan", slow=_mul_no_nan_operands))
squared_difference = defined("math.squared_difference")(fast_binary("SquaredDifference"))
nextafter = defined("math.nextafter")(fast_binary("NextAfter"))


@defined("math.atan2", "atan2", primitive=_PRIMS["Atan2"])
def atan2(y, x, name=None):
    """Angle of the point (x, y); TF's argument order is (y, x)."""
    return apply_binary(y, x, "Atan2")


# TF's truediv turns integers into floats: small ints to float32, wide ones to float64;
# floats and complex numbers divide as they are (None); other dtypes are TF's TypeError.
_TRUEDIV_FLOAT = {"int8": dtypes.float32, "uint8": dtypes.float32, "int16": dtypes.float32,
                  "uint16": dtypes.float32, "int32": dtypes.float64, "int64": dtypes.float64,
                  "uint32": dtypes.float64, "uint64": dtypes.float64, "bfloat16": None,
                  "float16": None, "float32": None, "float64": None, "complex64": None,
                  "complex128": None}
_NO_TRUEDIV = object()
_TRUEDIV_DTYPES = ("{tf.uint8, tf.int8, tf.uint16, tf.int16, tf.uint32, tf.int32, tf.uint64, "
                   "tf.int64, tf.bfloat16, tf.float16, tf.float32, tf.float64, tf.complex64, "
                   "tf.complex128}")


def _same_dtype(x, y, op="__truediv__"):
    """TF's truediv conversion: `y` only hinted, then a TypeError on mismatch or on
    a dtype it does not divide (op: the name TF's message gives)."""
    x = tensor(x)
    y = y if isinstance(y, Tensor) else convert_to_tensor(y, dtype_hint=x.dtype)
    if x.dtype != y.dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != {y.dtype!r}.")
    target = _TRUEDIV_FLOAT.get(x.dtype.name, _NO_TRUEDIV)
    if target is not None:
        if target is _NO_TRUEDIV:
            raise TypeError(f"Invalid dtype {x.dtype!r} in {op}. Expected one of {_TRUEDIV_DTYPES}.")
        x, y = cast(x, target), cast(y, target)
    return x, y


@defined("math.truediv", "truediv", primitive=_PRIMS["RealDiv"])
def truediv(x, y, name=None):
    """x / y; integers are cast to float first (int32 and wider to float64)."""
    x, y = _same_dtype(x, y)
    return apply_binary(x, y, "RealDiv")


@defined("math.divide", "divide", primitive=_PRIMS["RealDiv"])
def divide(x, y, name=None):
    """`x / y`, with a non-tensor `x` converted to `y`'s dtype first (as TF)."""
    if isinstance(y, Tensor) and not is_tensor(x):
        x = tensor(x, dtype=y.dtype)
    return truediv(x, y)


@defined("realdiv", primitive=_PRIMS["RealDiv"])
def realdiv(x, y, name=None):
    """x / y for operands of one dtype (no integer promotion)."""
    return apply_binary(x, y, "RealDiv")


@defined("math.divide_no_nan", primitive=_PRIMS["DivNoNan"])
def divide_no_nan(x, y, name=None):
    """`x / y`, but 0 wherever `y` is 0; integers divide as truediv does."""
    if not is_tensor(x) and is_tensor(y):  # as TF: a Python `x` takes `y`'s dtype
        y = tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype)
    x, y = _same_dtype(x, y, "tf.math.divide_no_nan")
    return apply_binary(x, y, "DivNoNan")


@defined("math.scalar_mul", "scalar_mul", primitive=_PRIMS["Mul"])
def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a 0-D `scalar` (TF: ValueError otherwise)."""
    x = tensor(x)
    s = tensor(scalar, dtype=x.dtype)
    if s._value.ndim != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {tuple(s._value.shape)}.")
    return apply_binary(s, x, "Mul")


# -- sums of many tensors -------------------------------------------------------

def _add_n(*xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


_add_n_prim = Primitive(_add_n, "AddN")


@defined("math.add_n", "add_n", primitive=_add_n_prim)
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
            raise dtype_mismatch("AddN", i, xs[0].dtype, x.dtype)
    kernel_dtypes.check("AddN", xs[0])
    for i, x in enumerate(xs[1:], 1):
        if x._value.shape != xs[0]._value.shape:
            raise op_error("Inputs to operation AddN of type AddN must have the same size and "
                           f"shape.  Input 0: {dims(xs[0]._value.shape)} != input {i}: "
                           f"{dims(x._value.shape)}", "AddN")
    if len(xs) == 1:
        return xs[0]
    return _add_n_prim(*xs)


@defined("math.accumulate_n", primitive=_add_n_prim)
def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """Deprecated alias of add_n (TF checks the same things)."""
    return add_n(inputs)
