"""`tf.unravel_index`: flat indices into coordinates of an array of shape `dims`.

TF's kernel divides in C++ (truncating), so a negative index is not an
error and gives negative coordinates; it refuses an index at or past the
product of `dims` and a product that overflows the index dtype. Inside
`tf.function` values computed there are not known when the checks run, so
only shapes are checked (XLA cannot raise at run time).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import (attr_not_allowed, dims as dims_text, kernel_dtype_name,
                                             named_by, op_error)
from jaxtape._src.ops.support.args import binary, host_array
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_OP = "UnravelIndex"
_SUMMARY = ("Op<name=UnravelIndex; signature=indices:Tidx, dims:Tidx -> output:Tidx; "
            "attr=Tidx:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]>")


def _unravel(indices, dims):
    out = []
    rest = indices
    for d in reversed(range(dims.shape[0])):
        out.append(lax.rem(rest, dims[d]))
        rest = lax.div(rest, dims[d])
    if not out:
        return jnp.zeros((0,) + indices.shape, indices.dtype)
    return jnp.stack(out[::-1])


_unravel_prim = Primitive(_unravel, _OP, differentiable=False)


def _eigen_vector(values) -> str:
    """A 1-D tensor as TF's message prints it: `(   3 1024)`, each right-aligned to the widest."""
    texts = [str(int(v)) for v in values]
    width = max((len(t) for t in texts), default=0)
    return "(" + " ".join(t.rjust(width) for t in texts) + ")"


@defined("unravel_index", primitive=_unravel_prim)
def unravel_index(indices, dims, name=None):
    """`[len(dims)] + indices.shape` coordinates of the flat `indices` (a scalar or vector)."""
    named = named_by(indices, dims)
    idx, shape = binary(indices, dims, _OP)
    if idx.dtype not in (dtypes.int32, dtypes.int64):
        raise attr_not_allowed(_OP, "Tidx", kernel_dtype_name(idx.dtype), "int32, int64", _SUMMARY, named)
    if idx.ndim > 1:
        raise op_error(f"The indices can only be scalar or vector, got \"{dims_text(idx._value.shape)}\"",
                       _OP, named)
    if idx._meta.size == 0:
        raise op_error(f"received empty tensor indices: Tensor<type: {idx.dtype.name} shape: "
                       f"{dims_text(idx._value.shape)} values: >", _OP, named)
    if shape.ndim != 1:
        raise op_error(f"The indices can only be 1-D, got \"{dims_text(shape._value.shape)}\"", _OP, named)
    if isinstance(shape._value, Tracer) or isinstance(idx._value, Tracer):
        return _unravel_prim(idx, shape)  # inside tf.function: values unknown until run, unchecked
    values = host_array(shape, _OP, "dims").tolist()
    limit = np.iinfo(idx.dtype.as_numpy_dtype).max
    product = 1
    for d in values:
        product *= d
        if not -limit - 1 <= product <= limit:
            raise op_error(f"Input dims product is causing integer overflow: {_eigen_vector(values)}",
                           _OP, named)
    for i, d in enumerate(values):
        if d < 0:
            raise op_error(f"Input dims cannot be negative. Got dim = {d} at index {i}", _OP, named)
        if d == 0:
            raise op_error(f"Input dims cannot contain a dim of zero, but dims contains zero at index "
                           f"{i}", _OP, named)
    if np.any(host_array(idx, _OP, "indices") >= product):
        raise op_error("index is out of bound as with dims", _OP, named)
    return _unravel_prim(idx, shape)
