"""`tf.linalg.expm`: the matrix exponential of a (batch of) square matrices."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.linalg.matrices import as_matrix
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="MatrixExponential")
def _expm(x):
    if x.ndim == 2:
        return jsl.expm(x)
    flat = jnp.reshape(x, (-1,) + x.shape[-2:])
    return jnp.reshape(jax.vmap(jsl.expm)(flat), x.shape)


def _check_square(x):
    """TF's expm squares its input (batched to [-1, m, n]) first: a non-square
    one fails in that product."""
    shape = x._value.shape
    if x.ndim == 1 and shape[0] != 1:
        raise op_error(f"Matrix size-incompatible: In[0]: [1,{shape[0]}], In[1]: [1,{shape[0]}]", "MatMul")
    if x.ndim >= 2 and shape[-1] != shape[-2]:
        batched = dims((int(np.prod(shape[:-2])),) + shape[-2:])
        raise op_error(f"Matrix size-incompatible: In[0]: {batched}, In[1]: {batched}", "BatchMatMulV2")


@defined("linalg.expm")
def expm(input, name=None):  # noqa: A002
    x = tensor(input)
    if x.dtype.is_floating or x.dtype.is_complex:
        _check_square(x)
    return _expm(as_matrix(x, "MatrixExponential"))
