"""Moments and normalization of `tf.nn`: moments, normalize_moments, batch_normalization."""
from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.messages import incompatible_shapes
from jaxtape._src.ops.support.args import axis_tuple, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _mean(x, axes):
    if jnp.issubdtype(x.dtype, jnp.integer):
        count = int(np.prod([x.shape[a] for a in axes]))
        total = jnp.sum(x, axis=axes, keepdims=True, dtype=x.dtype)
        return lax.div(total, jnp.asarray(max(count, 1), x.dtype))
    return jnp.mean(x, axis=axes, keepdims=True)


def _moment(x, axes, keepdims, variance):
    wide = x.astype(jnp.float32) if x.dtype == jnp.float16 else x
    out = mean = _mean(wide, axes)
    if variance:
        # TF stops the gradient through the mean inside the variance.
        out = _mean(jnp.square(wide - lax.stop_gradient(mean)), axes)
    return (out if keepdims else jnp.squeeze(out, axes)).astype(x.dtype)


# Two ops, as TF's moments is two: a gradient through the mean alone never
# reads the variance's formula (its second order is None, as in TF).
_moments_mean = primitive(functools.partial(_moment, variance=False), name="Mean")
_moments_variance = primitive(functools.partial(_moment, variance=True), name="Moments")


@defined("nn.moments", primitive=_moments_variance)
def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance over `axes` (`shift` is unused, as in TF 2)."""
    x = tensor(x)
    axes = axis_tuple(axes, x.ndim, "Mean")
    return (_moments_mean(x, axes=axes, keepdims=bool(keepdims)),
            _moments_variance(x, axes=axes, keepdims=bool(keepdims)))


@primitive(name="BatchNorm")
def _batch_norm(x, mean, variance, *rest, epsilon, has_offset, has_scale):
    inv = lax.rsqrt(variance + jnp.asarray(epsilon, variance.dtype))
    if has_scale:
        inv = inv * rest[-1]
    shift = (rest[0] if has_offset else 0) - mean * inv
    return x * inv + shift


def _broadcast(a, b, op):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise incompatible_shapes(op, a, b) from None


def _check_shapes(shapes, has_offset, has_scale):
    """TF's error from the first of its ops (inv = rsqrt(var) * scale; x * inv +
    (offset - mean * inv)) whose operands do not broadcast."""
    x, mean, variance, *rest = shapes
    inv = _broadcast(variance, rest[-1], "Mul") if has_scale else variance
    scaled = _broadcast(x, inv, "Mul")
    shift = _broadcast(mean, inv, "Mul")
    if has_offset:
        shift = _broadcast(rest[0], shift, "Sub")
    _broadcast(scaled, shift, "AddV2")


@defined("nn.batch_normalization", primitive=_batch_norm)
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    x = tensor(x)
    args = [tensor(mean, x.dtype), tensor(variance, x.dtype)]
    if offset is not None:
        args.append(tensor(offset, x.dtype))
    if scale is not None:
        args.append(tensor(scale, x.dtype))
    _check_shapes([a._value.shape for a in [x] + args], offset is not None, scale is not None)
    return _batch_norm(x, *args, epsilon=float(variance_epsilon),
                       has_offset=offset is not None, has_scale=scale is not None)


@primitive(name="NormalizeMoments", multiple_results=True)
def _normalize_moments(counts, mean_ss, variance_ss, *shift):
    divisor = 1 / counts
    shifted_mean = mean_ss * divisor
    mean = shifted_mean + shift[0] if shift else shifted_mean
    return mean, variance_ss * divisor - jnp.square(shifted_mean)


@defined("nn.normalize_moments", primitive=_normalize_moments)
def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    mean_ss = tensor(mean_ss)
    args = [tensor(counts, mean_ss.dtype), mean_ss, tensor(variance_ss, mean_ss.dtype)]
    if shift is not None:
        args.append(tensor(shift, mean_ss.dtype))
    return _normalize_moments(*args)
