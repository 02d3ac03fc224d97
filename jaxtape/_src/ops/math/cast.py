"""`tf.cast`: dtype conversion; only float/complex to float/complex carries a gradient."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _cast(x, *, dtype):
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


_differentiable_cast = Primitive(_cast, "Cast")
_integer_cast = Primitive(_cast, "Cast", differentiable=False)


@defined("cast", "dtypes.cast", primitive=_differentiable_cast)
def cast(x, dtype, name=None):
    """TF's cast; only float/complex to float/complex carries a gradient."""
    x = tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    prim = _differentiable_cast if x.dtype.is_trainable and dtype.is_trainable else _integer_cast
    return prim(x, dtype=dtype.as_numpy_dtype)
