"""`tf.math.l2_normalize` (also `tf.nn.l2_normalize`, `tf.linalg.l2_normalize`)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.ops.math.arithmetic import _maximum
from jaxtape._src.ops.math.tf_gradients import tf_rsqrt, tf_square
from jaxtape._src.ops.support.args import reduction_axes, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _l2_normalize(x, *, axis, epsilon):
    if jnp.iscomplexobj(x):
        sq = jnp.sum(jnp.real(x * jnp.conj(x)), axis=axis, keepdims=True)
        return x * jax.lax.rsqrt(jnp.maximum(sq, jnp.asarray(epsilon, sq.dtype)))
    # TF's ops, so its gradients: Square's g * 2x (NaN under a zero upstream where 2x
    # overflows), Maximum's where (an infinite upstream of a zero row stays out of
    # the epsilon branch), RsqrtGrad's zero rule.
    sq = jnp.sum(tf_square(x), axis=axis, keepdims=True)
    return x * tf_rsqrt(_maximum(sq, jnp.asarray(epsilon, sq.dtype)))


_l2_prim = Primitive(_l2_normalize, "L2Normalize")


@defined("math.l2_normalize", "nn.l2_normalize", "linalg.l2_normalize", primitive=_l2_prim)
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)); `dim` is TF's deprecated name for `axis`."""
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"Cannot convert {epsilon!r} to EagerTensor of dtype {x.dtype.name}")
    axis = dim if axis is None else axis
    axes = reduction_axes(axis, x.ndim, "Sum")
    return _l2_prim(x, axis=axes, epsilon=float(epsilon))
