"""`tf.linalg.cross`: the cross product of 3-element vectors."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.support.args import binary
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="Cross")
def _cross(a, b):
    return jnp.cross(a, b)


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
