"""Clipping and norms (`tf.clip_by_value`, `tf.clip_by_norm`, `tf.norm`)."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.exports import export
from jaxtape._src.ops.math import arithmetic as math_ops
from jaxtape._src.ops.support.args import axis_tuple, tensor
from jaxtape._src.tape.primitive import primitive


@primitive(name="ClipByValue")
def _clip(x, lo, hi):
    # TF passes the gradient only where lo <= x <= hi.
    return jnp.minimum(jnp.maximum(x, lo), hi)


@export("clip_by_value")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    x = tensor(t)
    lo = tensor(clip_value_min, dtype=None) if not isinstance(clip_value_min, (int, float)) \
        else tensor(clip_value_min, dtype=x.dtype)
    hi = tensor(clip_value_max, dtype=None) if not isinstance(clip_value_max, (int, float)) \
        else tensor(clip_value_max, dtype=x.dtype)
    return _clip(x, lo, hi)


@primitive(name="Norm")
def _norm(x, *, ord, axis, keepdims):
    if ord == "euclidean":
        return jnp.sqrt(jnp.sum(x * jnp.conj(x), axis=axis, keepdims=keepdims).real)
    if ord == "fro":
        return jnp.sqrt(jnp.sum(jnp.abs(x) ** 2, axis=axis, keepdims=keepdims))
    if ord == jnp.inf:
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    return jnp.sum(jnp.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


@export("norm", "linalg.norm")
def norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    """Vector norms (and the Frobenius norm over two axes)."""
    x = tensor(tensor_)
    axes = axis_tuple(axis, x.ndim, "Norm")
    if ord in ("fro",) and axes is not None and len(axes) != 2:
        raise ValueError("'ord' must be a supported vector norm, got fro.")
    ord_ = float(ord) if isinstance(ord, (int, float)) and ord != jnp.inf else ord
    return _norm(x, ord=ord_, axis=axes, keepdims=bool(keepdims))


@export("clip_by_norm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales `t` so its L2 norm over `axes` is at most `clip_norm`."""
    x = tensor(t)
    l2 = norm(x, axis=axes, keepdims=True)
    clip = tensor(clip_norm, dtype=x.dtype) if isinstance(clip_norm, (int, float)) else tensor(clip_norm)
    return math_ops.truediv(math_ops.multiply(x, clip), math_ops.maximum(l2, clip))
