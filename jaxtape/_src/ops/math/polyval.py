"""`tf.math.polyval`: a polynomial evaluated by Horner's rule, one recorded op per step."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.math.arithmetic import add, multiply
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_zeros_like = Primitive(jnp.zeros_like, "ZerosLike", differentiable=False)


_EAGER_TENSOR = "<class 'tensorflow.python.framework.ops.EagerTensor'>"


@defined("math.polyval")
def polyval(coeffs, x, name=None):
    """coeffs[0] * x**(n-1) + ... + coeffs[-1], by Horner's rule; `coeffs` a Python list."""
    if not isinstance(coeffs, list):
        kind = _EAGER_TENSOR if isinstance(coeffs, Tensor) else type(coeffs)  # TF's class name
        raise ValueError(f"Argument coeffs must be list type. Received type {kind}.")
    x = tensor(x)
    if not coeffs:
        return _zeros_like(x)
    coeffs = [tensor(c) for c in coeffs]
    result = coeffs[0]
    for c in coeffs[1:]:
        result = add(c, multiply(result, x))
    return result
