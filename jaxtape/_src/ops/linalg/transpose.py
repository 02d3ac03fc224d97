"""`tf.linalg.matrix_transpose` and `tf.linalg.adjoint`: swapping the last two axes."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="MatrixTranspose")
def _matrix_transpose(x, *, conjugate):
    x = jnp.swapaxes(x, -1, -2)
    return jnp.conj(x) if conjugate else x


@defined("linalg.matrix_transpose")
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    x = tensor(a)
    if x.ndim < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = "
                         f"{x} with shape: {x.shape}")
    return _matrix_transpose(x, conjugate=bool(conjugate and x.dtype.is_complex))


@defined("linalg.adjoint")
def adjoint(matrix, name=None):
    x = tensor(matrix)
    return _matrix_transpose(x, conjugate=bool(x.dtype.is_complex))
