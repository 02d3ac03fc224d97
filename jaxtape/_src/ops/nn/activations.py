"""Activations of `tf.nn`: relu family, elu, selu, gelu, silu, softplus,
softsign, crelu, softmax and log_softmax.

Activations whose JAX gradient differs from TF's at a kink (leaky_relu and
selu at 0) are written with an explicit `where` so the kink takes the branch
TF's gradient kernel takes; relu, relu6 and softplus carry TF's gradient
formula itself (`with_tangent`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, tf_softplus, with_tangent
from jaxtape._src.ops.nn.dtype_checks import float_input
from jaxtape._src.ops.support.args import single_axis, tensor
from jaxtape._src.ops.support.define import defined, kernel_input
from jaxtape._src.tape.dependence import keep
from jaxtape._src.tape.primitive import Primitive, primitive

def _masked(fn, active):
    """`fn` whose gradient is TF's `g * active(x)`: 0 at the kinks, and NaN
    (not 0) where an infinite upstream meets an inactive unit."""
    # A `where` of 1 and 0, not a cast of the mask: XLA turns `g * cast(mask)` into a select.
    # TF's second-order gradient through the mask is zeros (ReluGradGrad), not None: `keep`.
    return with_tangent(fn, lambda p, t, out: t[0] * keep(
        jnp.where(active(p[0]), 1, 0).astype(t[0].dtype), p[0]))


_relu = Primitive(_masked(jax.nn.relu, lambda x: x > 0), "Relu")


@defined("nn.relu", primitive=_relu)
def relu(features, name=None):
    return _relu(kernel_input(features, "Relu"))


# TF's gradient is 1 strictly inside (0, 6); jnp.clip would pass it at the ends.
_relu6 = Primitive(_masked(lambda x: jnp.clip(x, 0, 6), lambda x: (x > 0) & (x < 6)), "Relu6")


@defined("nn.relu6", primitive=_relu6)
def relu6(features, name=None):
    return _relu6(kernel_input(features, "Relu6"))


@primitive(name="LeakyRelu")
def _leaky_relu(x, *, alpha):
    # TF's kernel for every alpha (also > 1): x where x > 0, else alpha * x.
    # A float32 attr. TF's second order through the slope is zeros (LeakyReluGradGrad): `keep`.
    return x * keep(jnp.where(x > 0, jnp.ones((), x.dtype), jnp.asarray(np.float32(alpha), x.dtype)), x)


@defined("nn.leaky_relu", primitive=_leaky_relu)
def leaky_relu(features, alpha=0.2, name=None):
    x = tensor(features)
    if x.dtype.is_integer:
        x = cast(x, dtypes.float32)
    return _leaky_relu(float_input(x, "LeakyRelu"), alpha=float(alpha))


# TF's EluGrad and SeluGrad read the output: slope 1 (scale) unless y < 0,
# so NaN and overflowing inputs (expm1(88) in the other branch) get no NaN.
_elu = Primitive(with_tangent(lambda x: jnp.where(x > 0, x, jnp.expm1(jnp.minimum(x, 0))),
                              lambda p, t, y: t[0] * jnp.where(y < 0, y + 1, 1)), "Elu")


@defined("nn.elu", primitive=_elu)
def elu(features, name=None):
    """Elementwise `elu` (TF op Elu); float inputs only."""
    return _elu(float_input(features, "Elu"))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu_fn(x):
    neg = jnp.asarray(_SELU_SCALE * _SELU_ALPHA, x.dtype) * jnp.expm1(jnp.minimum(x, 0))
    return jnp.where(x < 0, neg, jnp.asarray(_SELU_SCALE, x.dtype) * x)


# At 0 TF's SeluGrad takes the positive branch (slope `scale`).
_selu = Primitive(with_tangent(_selu_fn, lambda p, t, y: t[0] * jnp.where(
    y < 0, y + jnp.asarray(_SELU_SCALE * _SELU_ALPHA, y.dtype), jnp.asarray(_SELU_SCALE, y.dtype))),
    "Selu")


@defined("nn.selu", primitive=_selu)
def selu(features, name=None):
    """Elementwise `selu` (TF op Selu); float inputs only."""
    return _selu(float_input(features, "Selu"))


# TF's SoftsignGrad g / (1 + |x|)^2: finite at |x| = inf and under an infinite upstream.
_softsign = Primitive(with_tangent(lambda x: x / (1 + jnp.abs(x)),
                                   lambda p, t, y: t[0] / jnp.square(1 + jnp.abs(p[0]))), "Softsign")


@defined("nn.softsign", "math.softsign", primitive=_softsign)
def softsign(features, name=None):
    """Elementwise `softsign` (TF op Softsign); float inputs only."""
    return _softsign(float_input(features, "Softsign"))


_softplus = Primitive(tf_softplus, "Softplus")  # TF's SoftplusGrad and its gradient


@defined("nn.softplus", "math.softplus", primitive=_softplus)
def softplus(features, name=None):
    """Elementwise `softplus` (TF op Softplus); float inputs only."""
    return _softplus(float_input(features, "Softplus"))


@primitive(name="Gelu")
def _gelu(x, *, approximate):
    # TF casts two of its constants from float32 Python-scalar tensors, so in
    # float64 they carry float32 rounding; they are rounded the same way here.
    half = jnp.asarray(0.5, x.dtype)
    if approximate:
        c = jnp.asarray(0.7978845608028654, x.dtype)  # sqrt(2 / pi)
        coeff = jnp.asarray(np.float32(0.044715), x.dtype)
        return half * x * (1 + jnp.tanh(c * (x + coeff * x ** 3)))
    # erfc(-x / sqrt(2)), TF's form: more accurate than 1 + erf for x << 0.
    return half * x * lax.erfc(-x * jnp.asarray(np.float32(0.7071067811865476), x.dtype))


@defined("nn.gelu", primitive=_gelu)
def gelu(features, approximate=False, name=None):
    x = tensor(features)
    if not x.dtype.is_floating:
        raise ValueError("`features.dtype` must be a floating point tensor."
                         f"Received:features.dtype={x.dtype}")
    return _gelu(x, approximate=bool(approximate))


def _silu_tangent(p, t, out):
    # TF's formula s * (1 + b x (1 - s)), s = sigmoid(b x), for x (its signed zeros
    # for x << 0), and x^2 s (1 - s) for beta. Where b x overflows TF's b x (1 - s)
    # is inf * 0 = NaN; the true limit, 0, is kept (README "Differences you can see").
    x, beta = p
    bx = beta * x
    s = lax.logistic(bx)
    rest = jnp.where(s == 1, jnp.zeros_like(bx), bx * (1 - s))
    return t[0] * (s * (1 + rest)) + t[1] * (x * x * s * (1 - s))


_silu = Primitive(with_tangent(lambda x, beta: x * lax.logistic(beta * x), _silu_tangent), "Silu")


@defined("nn.silu", "nn.swish", primitive=_silu)
def silu(features, beta=1.0, name=None):
    # TF's silu is x * sigmoid(beta * x): its dtype error is Sigmoid's.
    x = float_input(features, "Sigmoid", "bfloat16, half, float, double, complex64, complex128")
    return _silu(x, tensor(beta, x.dtype))


def _softmax_fn(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


def _softmax_tf_grad(x, *, axis):
    """Softmax with TF's SoftmaxGrad (g - sum(g y)) y, in that order: its zeros'
    signs (+0 at a -inf logit, where JAX's e (g / s - sum(e g) / s^2) gives -0).
    From the residuals e = exp(x - max) and r = 1 / sum(e), so XLA fuses the
    backward as it does JAX's (with y as the residual it is ~15% slower)."""
    @jax.custom_vjp
    def f(x):
        return jax.nn.softmax(x, axis=axis)

    def fwd(x):
        e = jnp.exp(x - lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True)))
        s = jnp.sum(e, axis=axis, keepdims=True)
        return e / s, (e, 1 / s)  # jax.nn.softmax's values, to the bit

    def bwd(res, g):
        e, r = res
        return ((g - jnp.sum(g * e, axis=axis, keepdims=True) * r) * (e * r),)

    f.defvjp(fwd, bwd)
    return f(x)


_softmax = TFGradPrimitive(_softmax_fn, _softmax_tf_grad, "Softmax")


@primitive(name="LogSoftmax")
def _log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


def _softmax_axis(x, axis, op):
    if x.ndim == 0:
        raise op_error(f"logits must have >= 1 dimension, got {dims(x._value.shape)}", op)
    axis = -1 if axis is None else int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise InvalidArgumentError(
            None, None, f"`dim` must be in the range [{-x.ndim}, {x.ndim}) where {x.ndim} is the "
            f"number of dimensions in the input. Received: dim={axis}")
    return axis % x.ndim


@defined("nn.softmax", "math.softmax", primitive=_softmax)
def softmax(logits, axis=None, name=None):
    x = float_input(logits, "Softmax")
    return _softmax(x, axis=_softmax_axis(x, axis, "Softmax"))


@defined("nn.log_softmax", "math.log_softmax", primitive=_log_softmax)
def log_softmax(logits, axis=None, name=None):
    x = float_input(logits, "LogSoftmax")
    return _log_softmax(x, axis=_softmax_axis(x, axis, "LogSoftmax"))


@primitive(name="Crelu")
def _crelu(x, *, axis):
    return jnp.concatenate([_relu.fn(x), _relu.fn(-x)], axis=axis)  # TF's Relu gradients


@defined("nn.crelu", primitive=_crelu)
def crelu(features, axis=-1, name=None):
    x = tensor(features)
    return _crelu(x, axis=single_axis(axis, x.ndim, "ConcatV2"))
