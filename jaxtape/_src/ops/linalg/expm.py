"""`tf.linalg.expm`: the matrix exponential of a (batch of) square matrices."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from jaxtape._src.ops.linalg.matrices import as_matrix
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="MatrixExponential")
def _expm(x):
    if x.ndim == 2:
        return jsl.expm(x)
    flat = jnp.reshape(x, (-1,) + x.shape[-2:])
    return jnp.reshape(jax.vmap(jsl.expm)(flat), x.shape)


@defined("linalg.expm")
def expm(input, name=None):  # noqa: A002
    return _expm(as_matrix(input, "MatrixExponential"))
