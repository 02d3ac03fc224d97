"""top_k, in_top_k, l2_normalize and polyval (also under `tf.nn` / `tf.linalg`)."""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import op_error, reduction_axes, tensor
from jaxtape._src.tape.primitive import Primitive

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _top_k(x, *, k, index_dtype):
    values, indices = jax.lax.top_k(x, k)
    return values, indices.astype(index_dtype)


_top_k_prim = Primitive(_top_k, "TopKV2", multiple_results=True)


@export("math.top_k", "nn.top_k")
def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002
    """The `k` largest entries of the last axis and their indices (lower index first on ties).

    `sorted=False` still returns them sorted: TF leaves that order unspecified.
    """
    x = tensor(input)
    math_kernels.check("TopKV2", x)
    k = int(tensor(k).numpy()) if not isinstance(k, int) else k
    if x.ndim < 1:
        raise op_error(f"input must be >= 1-D, got shape {_dims(x._value.shape)}", "TopKV2")
    if k < 0:
        raise op_error(f"Need k >= 0, got {k}", "TopKV2")
    if x._value.shape[-1] < k:
        raise op_error(f"input must have at least k columns. Had {x._value.shape[-1]}, needed {k}",
                       "TopKV2")
    values, indices = _top_k_prim(x, k=k, index_dtype=dtypes.as_dtype(index_type).as_numpy_dtype)
    return TopKV2(values, indices)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _in_top_k(predictions, targets, *, k):
    n = predictions.shape[-1]
    valid = (targets >= 0) & (targets < n)
    safe = jnp.clip(targets, 0, max(n - 1, 0))
    target_value = jnp.take_along_axis(predictions, safe[:, None].astype(jnp.int32), axis=1)
    # A target is in the top k when fewer than k entries beat it strictly (ties count as in).
    better = jnp.sum(predictions > target_value, axis=1)
    finite = jnp.isfinite(target_value[:, 0])
    return valid & finite & (better < k)


_in_top_k_prim = Primitive(_in_top_k, "InTopKV2", differentiable=False)


@export("math.in_top_k", "nn.in_top_k")
def in_top_k(targets, predictions, k, name=None):
    """Whether each row's target class is among its `k` largest predictions."""
    predictions = tensor(predictions)
    targets = tensor(targets)
    k = int(tensor(k).numpy()) if not isinstance(k, int) else k
    if predictions.ndim != 2 or predictions._value.shape[0] != targets._value.shape[0]:
        raise op_error(f"First dimension of predictions {predictions._value.shape[0]} must match "
                       f"length of targets {targets._value.shape[0]}", "InTopKV2")
    return _in_top_k_prim(predictions, targets, k=k)


def _l2_normalize(x, *, axis, epsilon):
    sq = jnp.sum(jnp.real(x * jnp.conj(x)) if jnp.iscomplexobj(x) else x * x, axis=axis,
                 keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(sq, jnp.asarray(epsilon, sq.dtype)))


_l2_prim = Primitive(_l2_normalize, "L2Normalize")


@export("math.l2_normalize", "nn.l2_normalize", "linalg.l2_normalize")
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)); `dim` is TF's deprecated name for `axis`."""
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"Cannot convert {epsilon!r} to EagerTensor of dtype {x.dtype.name}")
    axis = dim if axis is None else axis
    axes = reduction_axes(axis, x.ndim, "Sum")
    return _l2_prim(x, axis=axes, epsilon=float(epsilon))


_zeros_like = Primitive(jnp.zeros_like, "ZerosLike", differentiable=False)


@export("math.polyval")
def polyval(coeffs, x, name=None):
    """coeffs[0] * x**(n-1) + ... + coeffs[-1], by Horner's rule; `coeffs` a Python list."""
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    from jaxtape._src.ops.math import arithmetic as math_ops  # late: math_ops imports the op modules' helpers

    x = tensor(x)
    if not coeffs:
        return _zeros_like(x)
    coeffs = [tensor(c) for c in coeffs]
    result = coeffs[0]
    for c in coeffs[1:]:
        result = math_ops.add(c, math_ops.multiply(result, x))
    return result
