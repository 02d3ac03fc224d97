"""`tf.nn.local_response_normalization` (`tf.nn.lrn`): each value divided by
`(bias + alpha * sum of squares over a depth window) ** beta`.

As TF's CPU kernel: float32 and float16 (bfloat16 has no CPU kernel), the
power taken as 1/x for beta 1, rsqrt for 0.5 and exp(-beta * log) otherwise
(so a negative base gives NaN where `pow` would not), attributes rounded to
float32. The gradient is TF's LRNGrad formula from the input and the
output, and, as in TF, that gradient has no gradient of its own.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.array.space_batch import dt_name, int_attr, kernel_not_found
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.nn.pool_argmax import without_gradient
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined

_LRN = "LRN"
_TYPES = ("float16", "bfloat16", "float32")
_SUMMARY = ("Op<name=LRN; signature=input:T -> output:T; attr=depth_radius:int,default=5; "
            "attr=bias:float,default=1; attr=alpha:float,default=1; attr=beta:float,default=0.5; "
            "attr=T:type,default=DT_FLOAT,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT]>")
_CPU_KERNELS = ("  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_BFLOAT16, DT_HALF]\n"
                "  device='CPU'; T in [DT_HALF]\n  device='CPU'; T in [DT_FLOAT]\n")


def _depth_sum(v, radius):
    """Sum over the depth window [d - radius, d + radius] (cut at the edges)."""
    r = min(radius, max(v.shape[-1] - 1, 0))  # a wider window adds nothing
    window = (1,) * (v.ndim - 1) + (2 * r + 1,)
    pads = ((0, 0),) * (v.ndim - 1) + ((r, r),)
    return lax.reduce_window(v, np.array(0, v.dtype), lax.add, window, (1,) * v.ndim, pads)


def _wide(x):
    return x.astype(jnp.float32) if x.dtype == jnp.float16 else x


def _norm(x, radius, bias, alpha):
    return bias + alpha * _depth_sum(x * x, radius)


def _lrn(x, *, radius, bias, alpha, beta):
    w = _wide(x)
    norm = _norm(w, radius, bias, alpha)
    if beta == 1:
        scale = 1 / norm
    elif beta == 0.5:
        scale = lax.rsqrt(norm)
    else:
        scale = jnp.exp(jnp.log(norm) * -beta)
    return (w * scale).astype(x.dtype)


def _lrn_grad(x, y, g, *, radius, bias, alpha, beta):
    """TF's LRNGrad: d out_j / d in_k = [j == k] norm_j^-beta - 2 alpha beta in_k out_j / norm_j,
    summed over the windows j holding k (the window is symmetric: the same depth sum)."""
    w, y, g = _wide(x), _wide(y), _wide(g)
    norm = _norm(w, radius, bias, alpha)
    dx = g * jnp.power(norm, -beta) - 2 * alpha * beta * w * _depth_sum(g * y / norm, radius)
    return dx.astype(x.dtype)


@functools.lru_cache(maxsize=None)
def _twin(radius, bias, alpha, beta):
    """LRN whose VJP is TF's LRNGrad kernel (itself without a gradient)."""
    params = dict(radius=radius, bias=bias, alpha=alpha, beta=beta)
    kernel = without_gradient(functools.partial(_lrn_grad, **params), "LRNGrad")
    f = jax.custom_vjp(functools.partial(_lrn, **params))

    def fwd(x):
        y = f(x)
        return y, (x, y)

    f.defvjp(fwd, lambda res, g: (kernel(*res, g),))
    return f


def _lrn_tf_grad(x, *, radius, bias, alpha, beta):
    return _twin(radius, bias, alpha, beta)(x)


_lrn_prim = TFGradPrimitive(_lrn, _lrn_tf_grad, _LRN)


def _float_attr(value, arg):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"Expected float for argument '{arg}' not {value!r}.")
    return float(np.float32(value))  # TF's float attributes are float32


def _attr_text(v):
    """A float attribute as TF's NodeDef prints it: 6 significant digits, 9 if 6 lose it."""
    text = "%.6g" % v
    return text if np.float32(float(text)) == np.float32(v) else "%.9g" % v


@defined("nn.local_response_normalization", "nn.lrn", "compat.v1.nn.local_response_normalization",
         "compat.v1.nn.lrn", primitive=_lrn_prim)
def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name=None):  # noqa: A002
    """Local response normalization over the last (depth) dimension of a 4-D input."""
    radius = int_attr(depth_radius, "depth_radius")
    bias, alpha, beta = (_float_attr(v, a) for v, a in ((bias, "bias"), (alpha, "alpha"), (beta, "beta")))
    x = tensor(input)
    if not is_tensor(input) and x.dtype.name not in _TYPES:
        # A Python or NumPy input TF's kernels do not take becomes T's default, float32.
        x = tensor(np.asarray(input).astype(np.float32))
    # TF's eager LRN errors end without " name: ".
    if x.dtype.name not in _TYPES:
        raise dtype_not_allowed(_LRN, x.dtype, "half, bfloat16, float", _SUMMARY, named=False)
    if x.dtype.name == "bfloat16":
        raise kernel_not_found(_LRN, f"T={dt_name(x.dtype)}, alpha={_attr_text(alpha)}, "
                               f"beta={_attr_text(beta)}, bias={_attr_text(bias)}, depth_radius={radius}",
                               _CPU_KERNELS, named=False)
    if not 0 <= radius < 2 ** 31 - 1:
        raise op_error(f"depth_radius = {radius} larger than int max", _LRN, named=False)
    if x.ndim != 4:
        raise op_error("in must be 4-dimensional", _LRN, named=False)
    return _lrn_prim(x, radius=radius, bias=bias, alpha=alpha, beta=beta)
