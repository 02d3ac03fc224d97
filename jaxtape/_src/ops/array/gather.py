"""Gathering entries by index, mask or condition: `tf.gather`, `gather_nd`,
`boolean_mask`, `where`."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dims, dtype_mismatch, kernel_dtype_name, named_by, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.array.index_checks import check_in_range, check_nd, int_indices
from jaxtape._src.ops.support.args import binary, host_array, host_int, tensor
from jaxtape._src.ops.support.args import tensor as _as_tensor  # where TF's argument is `tensor`
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


@primitive(name="GatherV2")
def _gather(params, indices, *, axis, batch_dims):
    if batch_dims == 0:
        return jnp.take(params, indices, axis=axis, mode="clip")
    fn = functools.partial(_gather.fn, axis=axis - 1, batch_dims=batch_dims - 1)
    return jax.vmap(fn)(params, indices)


@defined("gather", primitive=_gather)
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    p = tensor(params)
    idx = int_indices(indices, "GatherV2")
    axis = 0 if axis is None else host_int(axis)
    batch_dims = int(batch_dims)
    if batch_dims < 0:
        batch_dims += idx.ndim
    if axis < 0:
        axis += p.ndim
    if axis >= p.ndim:
        raise op_error(f"Shape must be at least rank {axis + 1} but is rank {p.ndim}", "GatherV2")
    if axis < 0:
        raise op_error(f"Expected axis in the range [{-p.ndim}, {p.ndim}), but got {axis - p.ndim}",
                       "GatherV2")
    if not 0 <= batch_dims <= idx.ndim:
        raise op_error(f"Expected batch_dims in the range [{-idx.ndim}, {idx.ndim}], but got "
                       f"{batch_dims}", "GatherV2")
    if batch_dims > axis:
        raise op_error(f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).",
                       "GatherV2")
    for d in range(batch_dims):
        if p._value.shape[d] != idx._value.shape[d]:
            raise op_error(f"params.shape[{d}]: {p._value.shape[d]} should be equal to "
                           f"indices.shape[{d}]: {idx._value.shape[d]}", "GatherV2")
    check_in_range(idx, p._value.shape[axis], "GatherV2", named_by(indices))
    return _gather(p, idx, axis=axis, batch_dims=batch_dims)


@primitive(name="GatherNd")
def _gather_nd(params, indices, *, batch_dims):
    if batch_dims:
        fn = functools.partial(_gather_nd.fn, batch_dims=batch_dims - 1)
        return jax.vmap(fn)(params, indices)
    return params[tuple(jnp.moveaxis(indices, -1, 0))]


@defined("gather_nd", primitive=_gather_nd)
def gather_nd(params, indices, batch_dims=0, name=None, bad_indices_policy=""):
    p = tensor(params)
    named = named_by(indices)
    idx = int_indices(indices, "GatherNd")
    batch_dims = int(batch_dims)
    if idx.ndim < 1:
        raise op_error("indices must be at least a vector", "GatherNd", named)
    depth = idx._value.shape[-1]
    if depth > p.ndim - batch_dims:
        raise op_error(f"index innermost dimension length must be <= params rank; saw: {depth} "
                       f"vs. {p.ndim - batch_dims}", "GatherNd", named)
    inner = p._value.shape[batch_dims:]
    suffix = ", node name: GatherNd" if batch_dims == 0 else ""
    check_nd(idx, inner, "param shape", "GatherNd", suffix, named)
    return _gather_nd(p, idx, batch_dims=batch_dims)


@primitive(name="BooleanMask", jit=False)
def _take_rows(x, positions, *, axis, k):
    shape = x.shape
    x = jnp.reshape(x, shape[:axis] + (-1,) + shape[axis + k:])
    return jnp.take(x, positions, axis=axis)


@defined("boolean_mask", primitive=_take_rows)
def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):  # noqa: F811 - TF's argument name
    """Entries where `mask` is True; the positions are found eagerly (the
    output's size depends on the mask's values)."""
    x = _as_tensor(tensor)
    m = _as_tensor(mask)
    k = m.ndim
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else int(axis)
    if axis < 0:
        axis += x.ndim
    part = x._value.shape[axis:axis + k]
    if part != m._value.shape:
        raise ValueError(f"Shapes {tuple(part)} and {tuple(m._value.shape)} are incompatible")
    host = host_array(m, "tf.boolean_mask", "the size of its output")
    positions = np.flatnonzero(host.reshape(-1)).astype(np.int64)
    return _take_rows(x, Tensor(jnp.asarray(positions)), axis=axis, k=k)


_select = Primitive(jnp.where, "SelectV2")


@primitive(name="Where", differentiable=False, jit=False)
def _argwhere(cond):
    return jnp.asarray(np.argwhere(np.asarray(cond)), dtype=jnp.int64)


@defined("where", primitive=_select)
def where(condition, x=None, y=None, name=None):
    """Three arguments: elementwise select (broadcasting). One: int64 coordinates of true entries."""
    if x is None and y is None:
        cond = tensor(condition)
        host_array(cond, "tf.where", "the size of its output")  # the shape is the values' count
        return _argwhere(cond)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    cond = condition if isinstance(condition, Tensor) else tensor(condition, dtype=dtypes.bool)
    cond = tensor(cond)
    if cond.dtype != dtypes.bool:
        raise dtype_mismatch("SelectV2", 0, dtypes.bool, cond.dtype)
    named = named_by(condition, x, y)
    try:
        x, y = binary(x, y, "SelectV2")
    except InvalidArgumentError:  # `y` is the kernel's input 2
        raise op_error(f"cannot compute SelectV2 as input #2(zero-based) was expected to be a "
                       f"{kernel_dtype_name(tensor(x).dtype)} tensor but is a "
                       f"{kernel_dtype_name(tensor(y).dtype)} tensor", "SelectV2", named) from None
    shapes = [cond._value.shape, x._value.shape, y._value.shape]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        c, t, e = (dims(s) for s in shapes)
        raise op_error(f"condition {c}, then {t}, and else {e} must be broadcastable",
                       "SelectV2", named) from None
    return _select(cond, x, y)
