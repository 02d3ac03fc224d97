"""`tf.linalg.cross`: the cross product of 3-element vectors."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.support.args import binary
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.define import defined


@jax.custom_vjp
def _cross_tf_grad(a, b):
    return jnp.cross(a, b)


def _cross_fwd(a, b):
    return jnp.cross(a, b), (a, b)


def _cross_bwd(res, g):
    # TF's CrossGrad: (cross(b, g), cross(g, a)); JAX's transpose orders the products
    # differently, which changes the sign of some zeros.
    a, b = res
    return jnp.cross(b, g), jnp.cross(g, a)


_cross_tf_grad.defvjp(_cross_fwd, _cross_bwd)
_cross = TFGradPrimitive(jnp.cross, _cross_tf_grad, "Cross")


@defined("linalg.cross")
def cross(a, b, name=None):
    a, b = binary(a, b, "Cross")
    if a._value.shape != b._value.shape:
        raise op_error("Both inputs must be of same shape: " + dims(a._value.shape) + " vs. "
                       + dims(b._value.shape), "Cross")
    if a.ndim < 1 or a._value.shape[-1] != 3:
        raise FailedPreconditionError(None, None, "Cross-products are only defined for 3-element "
                                                  "vectors. [Op:Cross] name: ")
    return _cross(a, b)
