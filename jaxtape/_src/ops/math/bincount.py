"""`tf.math.bincount`: counts (or summed weights) of each non-negative integer value."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import op_error
from jaxtape._src.ops.support.args import host_array, host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _bincount(arr, weights, *, length, dtype, per_row):
    if per_row:
        rows = jnp.arange(arr.shape[0])[:, None] * length
        flat = (arr + rows).reshape(-1)
        w = None if weights is None else weights.reshape(-1)
        valid = (arr < length).reshape(-1)
        counts = jnp.zeros(arr.shape[0] * length, dtype)
        add = jnp.ones_like(flat, dtype) if w is None else w.astype(dtype)
        counts = counts.at[jnp.where(valid, flat, arr.shape[0] * length)].add(add, mode="drop")
        return counts.reshape(arr.shape[0], length)
    flat = arr.reshape(-1)
    add = jnp.ones(flat.shape, dtype) if weights is None else weights.reshape(-1).astype(dtype)
    return jnp.zeros(length, dtype).at[flat].add(add, mode="drop")


_bincount_prim = Primitive(_bincount, "DenseBincount", differentiable=False)
_binarize = Primitive(lambda c: (c > 0).astype(c.dtype), "Binarize", differentiable=False)


@defined("math.bincount", primitive=_bincount_prim)
def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None,
             axis=None, binary_output=False):
    """Counts of each value in `arr` (weighted sums with `weights`); axis -1 counts per row."""
    arr = tensor(arr)
    host = host_array(arr, "tf.math.bincount", "the size of its output")
    if not arr.dtype.is_integer:
        arr = tensor(host.astype(np.int32))
        host = np.asarray(arr._value)
    if host.size and host.min() < 0:
        raise op_error("Input arr must be non-negative!", "DenseBincount")
    length = int(host.max()) + 1 if host.size else 0
    if minlength is not None:
        length = max(length, host_int(minlength))
    if maxlength is not None:
        length = min(length, host_int(maxlength))
    if weights is not None:
        weights = tensor(weights)
        dtype = weights.dtype
    out_dtype = dtypes.as_dtype(dtype).as_numpy_dtype
    per_row = axis is not None and axis in (-1, arr.ndim - 1) and arr.ndim == 2
    out = _bincount_prim(arr, weights, length=length, dtype=out_dtype, per_row=per_row)
    if binary_output:
        out = _binarize(out)
    return out
