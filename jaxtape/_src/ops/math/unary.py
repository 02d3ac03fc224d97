"""Elementwise functions of one tensor (`tf.math.sin`, `tf.abs`, `tf.math.real`, ...).

Each checks the dtypes TF's kernel registers, so `tf.sqrt(int)` fails as in
TF instead of JAX promoting to float. Gradients follow TF where its kernel
differs from JAX's rule (abs at 0, sqrt/rsqrt/reciprocal under a zero
incoming gradient); rounding ops and predicates record nothing (None).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.messages import incompatible_shapes
from jaxtape._src.ops.math.tf_gradients import (
    TFGradPrimitive, tf_reciprocal, tf_rsqrt, tf_softplus, tf_sqrt, with_tangent)
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined, elementwise
from jaxtape._src.tape.primitive import Primitive


def _sign(x):
    # TF's Sign is +0 at -0 (XLA's keeps the sign of the zero).
    return jnp.where(x == 0, jnp.zeros_like(x), jnp.sign(x))


@jax.custom_jvp
def _real_abs(x):
    return jnp.abs(x)


# TF's AbsGrad is sign(x) * dy: 0 at x = 0, where JAX's rule gives 1.
_real_abs.defjvp(lambda p, t: (jnp.abs(p[0]), _sign(p[0]) * t[0]))
_abs = Primitive(_real_abs, "Abs")
_complex_abs = Primitive(jnp.abs, "ComplexAbs")


@defined("math.abs", "abs", primitive=_abs)
def abs(x, name=None):  # noqa: A001 - TF's name
    """|x|; the magnitude (a real tensor) for complex `x`."""
    x = tensor(x)
    if x.dtype.is_complex:
        return _complex_abs(x)
    kernel_dtypes.check("Abs", x)
    return _abs(x)


negative = elementwise("Neg", jnp.negative, "math.negative", "negative")
square = elementwise("Square", jnp.square, "math.square", "square")
sqrt = elementwise("Sqrt", None, "math.sqrt", "sqrt", prim=TFGradPrimitive(jnp.sqrt, tf_sqrt, "Sqrt"))
rsqrt = elementwise("Rsqrt", None, "math.rsqrt", prim=TFGradPrimitive(lax.rsqrt, tf_rsqrt, "Rsqrt"))
reciprocal = elementwise("Reciprocal", None, "math.reciprocal",
                         prim=TFGradPrimitive(jnp.reciprocal, tf_reciprocal, "Reciprocal"))
exp = elementwise("Exp", jnp.exp, "math.exp", "exp")
expm1 = elementwise("Expm1", jnp.expm1, "math.expm1")
# TF's LogGrad g * reciprocal(x) and Log1pGrad g * reciprocal(1 + x): the reciprocal
# of 3e38 flushes to 0 (inf * 0 = NaN under an infinite upstream, where g / x is inf),
# and second order is TF's ReciprocalGrad (0 under a zero upstream, where JAX's is NaN).
log = elementwise("Log", with_tangent(jnp.log, lambda p, t, y: t[0] * tf_reciprocal(p[0])), "math.log")
log1p = elementwise("Log1p", with_tangent(jnp.log1p, lambda p, t, y: t[0] * tf_reciprocal(1 + p[0])),
                    "math.log1p")
sin = elementwise("Sin", jnp.sin, "math.sin", "sin")
cos = elementwise("Cos", jnp.cos, "math.cos", "cos")
tan = elementwise("Tan", jnp.tan, "math.tan", "tan")
asin = elementwise("Asin", jnp.arcsin, "math.asin", "asin")
acos = elementwise("Acos", jnp.arccos, "math.acos", "acos")
atan = elementwise("Atan", jnp.arctan, "math.atan", "atan")
sinh = elementwise("Sinh", jnp.sinh, "math.sinh", "sinh")
cosh = elementwise("Cosh", jnp.cosh, "math.cosh", "cosh")
# TF's TanhGrad g * (1 - y^2) and AcoshGrad g / sinh(y): JAX's forms give
# NaN for an infinite upstream at 0 (tanh) and a finite slope for x < 1 (acosh).
tanh = elementwise("Tanh", with_tangent(jnp.tanh, lambda p, t, y: t[0] * (1 - y * y)),
                   "math.tanh", "nn.tanh", "tanh")
# TF's AsinhGrad g / cosh(y): JAX's 1 / sqrt(x^2 + 1) overflows at |x| ~ 3e38 (inf * 0 = NaN).
asinh = elementwise("Asinh", with_tangent(jnp.arcsinh, lambda p, t, y: t[0] / jnp.cosh(y)), "math.asinh",
                    "asinh")
acosh = elementwise("Acosh", with_tangent(jnp.arccosh, lambda p, t, y: t[0] / jnp.sinh(y)),
                    "math.acosh", "acosh")
atanh = elementwise("Atanh", jnp.arctanh, "math.atanh", "atanh")
sigmoid = elementwise("Sigmoid", jax.nn.sigmoid, "math.sigmoid", "nn.sigmoid", "sigmoid")
log_sigmoid = elementwise("Softplus", lambda x: -tf_softplus(-x), "math.log_sigmoid",
                          doc="log(sigmoid(x)) computed as -softplus(-x), stable for large |x|.")
# TF's SignGrad is zeros (not None); JAX's rule for sign is zeros too.
sign = elementwise("Sign", _sign, "math.sign", "sign",
                   doc="-1, 0 or 1 elementwise; x / |x| for complex.")
floor = elementwise("Floor", jnp.floor, "math.floor", "floor", differentiable=False)
ceil = elementwise("Ceil", jnp.ceil, "math.ceil", differentiable=False)
rint = elementwise("Rint", jnp.round, "math.rint", differentiable=False,
                   doc="Nearest integer, ties to even (a float result).")
is_finite = elementwise("IsFinite", jnp.isfinite, "math.is_finite", differentiable=False)
is_inf = elementwise("IsInf", jnp.isinf, "math.is_inf", differentiable=False)
is_nan = elementwise("IsNan", jnp.isnan, "math.is_nan", differentiable=False)

_round = Primitive(jnp.round, "Round", differentiable=False)


@defined("math.round", "round", primitive=_round)
def round(x, name=None):  # noqa: A001 - TF's name
    """Round half to even; integers come back unchanged (the same tensor), as in TF."""
    x = tensor(x)
    if x.dtype.is_integer:
        return x
    kernel_dtypes.check("Round", x)
    return _round(x)


# -- complex parts: real inputs take TF's Python shortcuts ---------------------------

_real = Primitive(jnp.real, "Real")
_imag = Primitive(jnp.imag, "Imag")
_angle = Primitive(jnp.angle, "Angle")
_conj = Primitive(jnp.conj, "Conj")
_zeros_like = Primitive(jnp.zeros_like, "ZerosLike", differentiable=False)
_real_angle = Primitive(lambda x: jnp.where(x < 0, jnp.asarray(jnp.pi, x.dtype), jnp.zeros_like(x)),
                        "Angle", differentiable=False)


@defined("math.real", primitive=_real)
def real(input, name=None):  # noqa: A002 - TF's argument name
    """Real part; a real tensor is returned as it is."""
    x = tensor(input)
    return _real(x) if x.dtype.is_complex else x


@defined("math.imag", primitive=_imag)
def imag(input, name=None):  # noqa: A002
    """Imaginary part; zeros (no gradient) for a real tensor."""
    x = tensor(input)
    return _imag(x) if x.dtype.is_complex else _zeros_like(x)


@defined("math.angle", primitive=_angle)
def angle(input, name=None):  # noqa: A002
    """Argument of a complex number; pi for negative reals, else 0 (no gradient)."""
    x = tensor(input)
    return _angle(x) if x.dtype.is_complex else _real_angle(x)


_complex = Primitive(lambda re, im: lax.complex(*jnp.broadcast_arrays(re, im)), "Complex")


@defined("complex", "dtypes.complex", primitive=_complex)
def complex(real, imag, name=None):  # noqa: A001 - TF's name
    """`real + imag * 1j`: complex64 from float32 parts, complex128 from float64."""
    re, im = tensor(real), tensor(imag)
    if re.dtype != im.dtype or re.dtype.name not in ("float32", "float64"):
        raise TypeError(f"The `real` and `imag` components have incorrect types: {re.dtype.name} "
                        f"{im.dtype.name}. They must be consistent, and one of [tf.float32, tf.float64]")
    try:
        jnp.broadcast_shapes(re._value.shape, im._value.shape)
    except ValueError:
        raise incompatible_shapes("Complex", re._value.shape, im._value.shape) from None
    return _complex(re, im)


@defined("math.conj", primitive=_conj)
def conj(x, name=None):
    """Complex conjugate; real and integer tensors are returned as they are."""
    x = tensor(x)
    return _conj(x) if x.dtype.is_complex else x
