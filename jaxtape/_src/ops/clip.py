"""Clipping and norms (`tf.clip_by_value`, `tf.clip_by_norm`, `tf.norm`, `tf.clip_by_global_norm`)."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import dtype_mismatch, dtype_not_allowed
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.math.arithmetic import maximum, multiply, truediv
from jaxtape._src.ops.support.args import axis_tuple, number_as, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="ClipByValue")
def _clip(x, lo, hi):
    # TF passes the gradient only where lo <= x <= hi.
    return jnp.minimum(jnp.maximum(x, lo), hi)


@defined("clip_by_value")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    x = tensor(t)
    return _clip(x, number_as(clip_value_min, x.dtype), number_as(clip_value_max, x.dtype))


@primitive(name="Norm")
def _norm(x, *, ord, axis, keepdims):
    if ord == "euclidean":
        return jnp.sqrt(jnp.sum(x * jnp.conj(x), axis=axis, keepdims=keepdims).real)
    if ord == "fro":
        return jnp.sqrt(jnp.sum(jnp.abs(x) ** 2, axis=axis, keepdims=keepdims))
    if ord == jnp.inf:
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    return jnp.sum(jnp.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


@defined("norm", "linalg.norm")
def norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    """Vector norms (and the Frobenius norm over two axes)."""
    x = tensor(tensor_)
    axes = axis_tuple(axis, x.ndim, "Norm")
    if ord in ("fro",) and axes is not None and len(axes) != 2:
        raise ValueError("'ord' must be a supported vector norm, got fro.")
    ord_ = float(ord) if isinstance(ord, (int, float)) and ord != jnp.inf else ord
    return _norm(x, ord=ord_, axis=axes, keepdims=bool(keepdims))


@defined("clip_by_norm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales `t` so its L2 norm over `axes` is at most `clip_norm`."""
    x = tensor(t)
    l2 = norm(x, axis=axes, keepdims=True)
    clip = number_as(clip_norm, x.dtype)
    return truediv(multiply(x, clip), maximum(l2, clip))


# -- norms of lists and clipping by them ----------------------------------------------

_EAGER_TENSOR = "<class 'tensorflow.python.framework.ops.EagerTensor'>"


def _tensor_list(t_list):
    if isinstance(t_list, Tensor) or not isinstance(t_list, (list, tuple)) and not hasattr(
            t_list, "__iter__"):
        kind = _EAGER_TENSOR if isinstance(t_list, Tensor) else str(type(t_list))
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {kind}.")
    return [None if t is None else tensor(t) for t in t_list]


@primitive(name="GlobalNorm")
def _global_norm(*xs):
    total = sum(jnp.sum(jnp.real(x * jnp.conj(x))) for x in xs)
    return jnp.sqrt(total)


@defined("linalg.global_norm")
def global_norm(t_list, name=None):
    """sqrt(sum of every tensor's squared entries); None entries are skipped."""
    xs = [t for t in _tensor_list(t_list) if t is not None]
    if not xs:
        return Tensor(jnp.zeros((), jnp.float32))
    for x in xs:
        if not x.dtype.is_floating:
            raise dtype_not_allowed("L2Loss", x.dtype, "half, bfloat16, float, double")
    first = xs[0].dtype
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != first:
            raise dtype_mismatch("Pack", i, first, x.dtype)
    return _global_norm(*xs)


@primitive(name="ClipByGlobalNorm", multiple_results=True)
def _clip_by_global_norm(norm, clip, *xs):
    scale = clip * jnp.minimum(1.0 / norm, 1.0 / clip)
    scale = scale + (norm - norm)  # an infinite or NaN norm makes every output NaN, as in TF
    return tuple(x * scale.astype(x.dtype) for x in xs)


@defined("clip_by_global_norm")
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns (list, norm)."""
    ts = _tensor_list(t_list)
    norm = global_norm(ts) if use_norm is None else tensor(use_norm)
    clip = number_as(clip_norm, norm.dtype)
    present = [t for t in ts if t is not None]
    clipped = iter(_clip_by_global_norm(norm, clip, *present)) if present else iter(())
    return [None if t is None else next(clipped) for t in ts], norm
