"""Clipping and norms (`tf.clip_by_value`, `tf.clip_by_norm`, `tf.norm`, `tf.clip_by_global_norm`)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from jaxtape._src.framework.messages import dtype_mismatch, dtype_not_allowed
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.math.arithmetic import _maximum, _minimum
from jaxtape._src.ops.math.reduce import _max
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, tf_sqrt
from jaxtape._src.ops.math.unary import _real_abs
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import axis_tuple, elementwise, number_as, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="ClipByValue")
def _clip(x, lo, hi):
    # TF's composition, with its gradients: x's at the bounds too, none to x
    # when it is NaN, and `where` keeps an infinite upstream out of the clipped side.
    return _maximum(_minimum(x, hi), lo)


@defined("clip_by_value")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    x = tensor(t)
    hi = _bound(x, clip_value_max, "Minimum")
    lo = _bound(x, clip_value_min, "Maximum")
    return _clip(x, lo, hi)


def _bound(x, bound, op):
    """A bound checked as TF's `minimum(t, max)` then `maximum(., min)` check it:
    the kernel's dtype and broadcast errors, then a ValueError if it would widen `t`."""
    _, bound = elementwise(x, bound, op)
    shape = jnp.broadcast_shapes(x._value.shape, bound._value.shape)
    if shape != x._value.shape:
        raise ValueError(f"Shapes {x.shape} and {TensorShape(shape)} are incompatible")
    return bound


def _norm_value(x, *, ord, axis, keepdims, sqrt=jnp.sqrt):
    if ord == "euclidean" or ord == "fro":
        return sqrt(jnp.sum(jnp.real(x * jnp.conj(x)), axis=axis, keepdims=keepdims))
    if axis is not None and len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    # TF's AbsGrad is sign(x): a zero entry gets no gradient (JAX's abs gives it 1).
    magnitude = jnp.abs(x) if jnp.iscomplexobj(x) else _real_abs(x)
    if ord == jnp.inf:  # reduce_max with TF's gradient (ties share it; a NaN row gives NaN)
        return _max(magnitude, axis, keepdims)
    return jnp.sum(magnitude ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


# TF's composition: sqrt(reduce_sum(x * conj(x))), whose SqrtGrad gives 0 under a zero upstream.
_norm = TFGradPrimitive(_norm_value, functools.partial(_norm_value, sqrt=tf_sqrt), "Norm")


def _matrix_norm(x, ord, axis, keepdims):
    """TF's induced matrix norms: 1 (max column sum), inf (max row sum), 2 (largest singular value)."""
    rows, cols = axis
    if ord == 2:
        moved = jnp.moveaxis(x, (rows, cols), (-2, -1))
        out = jnp.max(jnp.linalg.svd(moved, compute_uv=False), axis=-1)
        return jnp.expand_dims(out, sorted(axis)) if keepdims else out
    summed, maxed = (rows, cols) if ord == 1 else (cols, rows)
    out = jnp.max(jnp.sum(jnp.abs(x), axis=summed, keepdims=True), axis=maxed, keepdims=True)
    return out if keepdims else jnp.squeeze(out, axis)


_MATRIX_NORMS = ["euclidean", "fro", 1, 2, jnp.inf]
_VECTOR_NORMS = ["euclidean", 1, 2, jnp.inf]


def _norm_axes(ord, axis, ndim):
    """TF's checks of `ord` and `axis`: a tuple of two unique ints is a matrix norm."""
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        if not all(isinstance(a, int) for a in axis) or axis[0] == axis[1]:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, "
                             f"got {axis}")
        if ord not in _MATRIX_NORMS:
            raise ValueError("'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, "
                             f"inf], got {ord}")
        return list(axis)
    if not (isinstance(axis, int) or axis is None):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
    if (isinstance(ord, str) or ord <= 0) and ord not in _VECTOR_NORMS:
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    return None if axis is None else [axis]


@defined("norm", "linalg.norm")
def norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    """Vector norms, and matrix norms over a pair of axes (kept in their order)."""
    x = tensor(tensor_)
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = _norm_axes(ord, axis, x.ndim)
    if axes is not None:
        axis_tuple(axes, x.ndim, "Norm")  # TF's range check
        axes = tuple(a % x.ndim for a in axes)
    ord_ = float(ord) if isinstance(ord, (int, float)) and ord != jnp.inf else ord
    return _norm(x, ord=ord_, axis=axes, keepdims=bool(keepdims))


@primitive(name="ClipByNorm")
def _clip_by_norm(x, clip, *, axes):
    # TF's formula: the norm of an all-zero slice is taken as the sum itself
    # (not sqrt(0)), so the gradient there is 1, not NaN.
    l2sum = jnp.sum(x * x, axis=axes, keepdims=True)
    positive = l2sum > 0
    l2 = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, jnp.ones_like(l2sum))), l2sum)
    return x * clip / _maximum(l2, clip)


@defined("clip_by_norm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales `t` so its L2 norm over `axes` is at most `clip_norm`."""
    x = tensor(t)
    # TF's ops in order: values * values (logical_and for bools), reduce_sum, sqrt, * clip_norm.
    kernel_dtypes.check("Sum", x)
    axes = axis_tuple(axes, x.ndim, "Sum")
    kernel_dtypes.check("Sqrt", x)
    clip = number_as(clip_norm, x.dtype)
    return _clip_by_norm(x, clip, axes=axes)


# -- norms of lists and clipping by them ----------------------------------------------

_EAGER_TENSOR = "<class 'tensorflow.python.framework.ops.EagerTensor'>"


def _tensor_list(t_list):
    if isinstance(t_list, Tensor) or not isinstance(t_list, (list, tuple)) and not hasattr(
            t_list, "__iter__"):
        kind = _EAGER_TENSOR if isinstance(t_list, Tensor) else str(type(t_list))
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {kind}.")
    return [None if t is None else tensor(t) for t in t_list]


def _global_norm_value(*xs, sqrt=jnp.sqrt):
    total = sum(jnp.sum(jnp.real(x * jnp.conj(x))) for x in xs)
    return sqrt(total)


_global_norm = TFGradPrimitive(_global_norm_value, functools.partial(_global_norm_value, sqrt=tf_sqrt),
                               "GlobalNorm")


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
