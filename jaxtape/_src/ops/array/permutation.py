"""`tf.math.invert_permutation`: `y[x[i]] = i` for a permutation `x` of 0..n-1.

TF's kernel checks the values (each in range, none repeated), so eagerly
they are read once on the host; inside `tf.function` XLA cannot raise, and
an input that is not a permutation gives unspecified values there.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, named_by, op_error
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_OP = "InvertPermutation"
_SUMMARY = ("Op<name=InvertPermutation; signature=x:T -> y:T; "
            "attr=T:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]>")


def _invert(x):
    return jnp.zeros_like(x).at[x].set(jnp.arange(x.shape[0], dtype=x.dtype), mode="drop")


_invert_prim = Primitive(_invert, _OP, differentiable=False)


@defined("math.invert_permutation", primitive=_invert_prim)
def invert_permutation(x, name=None):
    """The inverse of the permutation `x` (int32 or int64 vector)."""
    named = named_by(x)
    x = tensor(x)
    if x.dtype not in (dtypes.int32, dtypes.int64):
        raise attr_not_allowed(_OP, "T", kernel_dtype_name(x.dtype), "int32, int64", _SUMMARY, named)
    if x.ndim != 1:
        raise op_error("invert_permutation expects a 1D vector.", _OP, named)
    if not isinstance(x._value, Tracer):
        v = np.asarray(x._value)
        n = v.size
        seen = np.zeros(n, bool)
        for d in v.tolist():  # TF's order: the first bad value is the one reported
            if not 0 <= d < n:
                raise op_error(f"{d} is not between 0 and {n}", _OP, named)
            if seen[d]:
                raise op_error(f"{d} is duplicated in the input.", _OP, named)
            seen[d] = True
    return _invert_prim(x)
