"""Splitting tensors: `tf.split` and `tf.unstack`."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.support.args import single_axis, static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive

_unstack = Primitive(lambda x, *, axis: tuple(jnp.moveaxis(x, axis, 0)), "Unpack",
                     multiple_results=True)


@primitive(name="SplitV", multiple_results=True)
def _split(x, *, sizes, axis):
    offsets = np.cumsum(sizes)[:-1].tolist()
    return tuple(jnp.split(x, offsets, axis=axis))


@defined("unstack", primitive=_unstack)
def unstack(value, num=None, axis=0, name="unstack"):
    x = tensor(value)
    n = x.ndim
    axis = int(axis)
    if not -n <= axis < n:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-n}, {n})")
    axis %= n
    dim = x._value.shape[axis]
    if num is not None and int(num) != dim:
        raise op_error(f"Input shape axis {axis} must equal {int(num)}, got shape "
                       f"{dims(x._value.shape)}", "Unpack")
    if dim == 0:
        return []
    return list(_unstack(x, axis=axis))


@defined("split", primitive=_split)
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    x = tensor(value)
    if not -x.ndim <= int(axis) < x.ndim:
        raise op_error(f"-input rank(-{x.ndim}) <= split_dim < input rank ({x.ndim}), but got "
                       f"{int(axis)}", "Split")
    axis = single_axis(axis, x.ndim, "Split")
    dim = x._value.shape[axis]
    if isinstance(num_or_size_splits, int) or (
            hasattr(num_or_size_splits, "ndim") and num_or_size_splits.ndim == 0):
        n = int(num_or_size_splits)
        if n <= 0 or dim % n:
            raise op_error(f"Number of ways to split should evenly divide the split dimension, "
                           f"but got split_dim {axis} (size = {dim}) and num_split {n}", "Split")
        sizes = (dim // n,) * n
    else:
        sizes = list(static_shape(num_or_size_splits))
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
        if sum(sizes) != dim or any(s < 0 for s in sizes):
            raise op_error(f"Determined shape must either match input shape along split_dim "
                           f"exactly if fully specified, or be less than the size of the input "
                           f"along split_dim if not fully specified.  Got: {sum(sizes)}", "SplitV")
        sizes = tuple(sizes)
    return list(_split(x, sizes=sizes, axis=axis))
