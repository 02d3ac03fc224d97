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

from jaxtape._src.framework.exports import export
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, zero_where_no_gradient
from jaxtape._src.tape.primitive import Primitive


def unary(jfn, op, *names, differentiable=True, doc=None, prim=None):
    """Exports a one-input elementwise op under its TF names, with TF's dtype check."""
    prim = prim or Primitive(jfn, op, differentiable=differentiable)

    def op_fn(x, name=None):
        x = tensor(x)
        math_kernels.check(op, x)
        return prim(x)

    op_fn.__name__ = names[0].rpartition(".")[2]
    op_fn.__doc__ = doc or f"Elementwise `{op_fn.__name__}` (TF op {op})."
    op_fn.primitive = prim
    return export(*names)(op_fn)


def _tf_grad(fn, grad_of_output, op):
    return TFGradPrimitive(fn, zero_where_no_gradient(fn, grad_of_output), op)


@jax.custom_jvp
def _real_abs(x):
    return jnp.abs(x)


# TF's AbsGrad is sign(x) * dy: 0 at x = 0, where JAX's rule gives 1.
_real_abs.defjvp(lambda p, t: (jnp.abs(p[0]), jnp.sign(p[0]) * t[0]))
_abs = Primitive(_real_abs, "Abs")
_complex_abs = Primitive(jnp.abs, "ComplexAbs")


@export("math.abs", "abs")
def abs(x, name=None):  # noqa: A001 - TF's name
    """|x|; the magnitude (a real tensor) for complex `x`."""
    x = tensor(x)
    if x.dtype.is_complex:
        return _complex_abs(x)
    math_kernels.check("Abs", x)
    return _abs(x)


negative = unary(jnp.negative, "Neg", "math.negative", "negative")
square = unary(jnp.square, "Square", "math.square", "square")
sqrt = unary(None, "Sqrt", "math.sqrt", "sqrt",
             prim=_tf_grad(jnp.sqrt, lambda y, g: g * 0.5 / jnp.conj(y), "Sqrt"))
rsqrt = unary(None, "Rsqrt", "math.rsqrt",
              prim=_tf_grad(lax.rsqrt, lambda y, g: -0.5 * g * jnp.conj(y * y * y), "Rsqrt"))
reciprocal = unary(None, "Reciprocal", "math.reciprocal",
                   prim=_tf_grad(jnp.reciprocal, lambda y, g: -g * jnp.conj(y * y), "Reciprocal"))
exp = unary(jnp.exp, "Exp", "math.exp", "exp")
expm1 = unary(jnp.expm1, "Expm1", "math.expm1")
log = unary(jnp.log, "Log", "math.log")
log1p = unary(jnp.log1p, "Log1p", "math.log1p")
sin = unary(jnp.sin, "Sin", "math.sin", "sin")
cos = unary(jnp.cos, "Cos", "math.cos", "cos")
tan = unary(jnp.tan, "Tan", "math.tan", "tan")
asin = unary(jnp.arcsin, "Asin", "math.asin", "asin")
acos = unary(jnp.arccos, "Acos", "math.acos", "acos")
atan = unary(jnp.arctan, "Atan", "math.atan", "atan")
sinh = unary(jnp.sinh, "Sinh", "math.sinh", "sinh")
cosh = unary(jnp.cosh, "Cosh", "math.cosh", "cosh")
tanh = unary(jnp.tanh, "Tanh", "math.tanh", "nn.tanh", "tanh")
asinh = unary(jnp.arcsinh, "Asinh", "math.asinh", "asinh")
acosh = unary(jnp.arccosh, "Acosh", "math.acosh", "acosh")
atanh = unary(jnp.arctanh, "Atanh", "math.atanh", "atanh")
sigmoid = unary(jax.nn.sigmoid, "Sigmoid", "math.sigmoid", "nn.sigmoid", "sigmoid")
log_sigmoid = unary(jax.nn.log_sigmoid, "Softplus", "math.log_sigmoid",
                    doc="log(sigmoid(x)) computed as -softplus(-x), stable for large |x|.")
# TF's SignGrad is zeros (not None); JAX's rule for sign is zeros too.
sign = unary(jnp.sign, "Sign", "math.sign", "sign", doc="-1, 0 or 1 elementwise; x / |x| for complex.")
floor = unary(jnp.floor, "Floor", "math.floor", "floor", differentiable=False)
ceil = unary(jnp.ceil, "Ceil", "math.ceil", differentiable=False)
rint = unary(jnp.round, "Rint", "math.rint", differentiable=False,
             doc="Nearest integer, ties to even (a float result).")
is_finite = unary(jnp.isfinite, "IsFinite", "math.is_finite", differentiable=False)
is_inf = unary(jnp.isinf, "IsInf", "math.is_inf", differentiable=False)
is_nan = unary(jnp.isnan, "IsNan", "math.is_nan", differentiable=False)

_round = Primitive(jnp.round, "Round", differentiable=False)


@export("math.round", "round")
def round(x, name=None):  # noqa: A001 - TF's name
    """Round half to even; integers come back unchanged (the same tensor), as in TF."""
    x = tensor(x)
    if x.dtype.is_integer:
        return x
    math_kernels.check("Round", x)
    return _round(x)


# -- complex parts: real inputs take TF's Python shortcuts ---------------------------

_real = Primitive(jnp.real, "Real")
_imag = Primitive(jnp.imag, "Imag")
_angle = Primitive(jnp.angle, "Angle")
_conj = Primitive(jnp.conj, "Conj")
_zeros_like = Primitive(jnp.zeros_like, "ZerosLike", differentiable=False)
_real_angle = Primitive(lambda x: jnp.where(x < 0, jnp.asarray(jnp.pi, x.dtype), jnp.zeros_like(x)),
                        "Angle", differentiable=False)


@export("math.real")
def real(input, name=None):  # noqa: A002 - TF's argument name
    """Real part; a real tensor is returned as it is."""
    x = tensor(input)
    return _real(x) if x.dtype.is_complex else x


@export("math.imag")
def imag(input, name=None):  # noqa: A002
    """Imaginary part; zeros (no gradient) for a real tensor."""
    x = tensor(input)
    return _imag(x) if x.dtype.is_complex else _zeros_like(x)


@export("math.angle")
def angle(input, name=None):  # noqa: A002
    """Argument of a complex number; pi for negative reals, else 0 (no gradient)."""
    x = tensor(input)
    return _angle(x) if x.dtype.is_complex else _real_angle(x)


@export("math.conj")
def conj(x, name=None):
    """Complex conjugate; real and integer tensors are returned as they are."""
    x = tensor(x)
    return _conj(x) if x.dtype.is_complex else x
