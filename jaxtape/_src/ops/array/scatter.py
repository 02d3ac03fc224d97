"""Scattering updates into tensors: `tf.scatter_nd` and `tf.tensor_scatter_nd_*`."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxtape._src.framework.messages import dims, named_by, dtype_mismatch, op_error
from jaxtape._src.ops.array.index_checks import check_nd, int_indices
from jaxtape._src.ops.support.args import static_shape, tensor
from jaxtape._src.ops.support.args import tensor as _as_tensor  # TF's argument is `tensor`
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


def _nd(indices):
    return tuple(jnp.moveaxis(indices, -1, 0))


@primitive(name="ScatterNd")
def _scatter_nd(indices, updates, *, shape):
    return jnp.zeros(shape, updates.dtype).at[_nd(indices)].add(updates)


_scatter_update = Primitive(lambda t, indices, u: t.at[_nd(indices)].set(u), "TensorScatterUpdate")
_scatter_add = Primitive(lambda t, indices, u: t.at[_nd(indices)].add(u), "TensorScatterAdd")
_scatter_sub = Primitive(lambda t, indices, u: t.at[_nd(indices)].add(-u), "TensorScatterSub")


def _scatter_extreme(t, indices, updates, *, kind):
    """Min/max scatter with TF's gradient: ties between the tensor's value and
    the updates share the gradient equally."""
    ix = _nd(indices)

    def forward(t, u):
        at = t.at[ix]
        return at.max(u) if kind == "max" else at.min(u)

    @jax.custom_vjp
    def f(t, u):
        return forward(t, u)

    def fwd(t, u):
        out = forward(t, u)
        return out, (t, u, out)

    def bwd(res, g):
        t, u, out = res
        x_ind = (t == out).astype(g.dtype)
        u_ind = (u == out[ix]).astype(g.dtype)
        count = x_ind + jnp.zeros_like(g).at[ix].add(u_ind)
        return g * x_ind / count, (g / count)[ix] * u_ind

    f.defvjp(fwd, bwd)
    return f(t, updates)


_scatter_max = Primitive(functools.partial(_scatter_extreme, kind="max"), "TensorScatterMax")
_scatter_min = Primitive(functools.partial(_scatter_extreme, kind="min"), "TensorScatterMin")


def _check_updates(idx, updates, shape, op):
    depth = idx._value.shape[-1]
    want = idx._value.shape[:-1] + tuple(shape[depth:])
    if updates._value.shape != want:
        raise op_error(f"Dimensions [{idx.ndim - 1},{updates.ndim}) of updates"
                       f"[shape={dims(updates._value.shape)}] must match dimensions "
                       f"[{depth},{len(shape)}) of output[shape={dims(shape)}]"
                       if updates.ndim == len(want) else
                       f"Updates shape {dims(updates._value.shape)} does not match "
                       f"{dims(want)} (indices {dims(idx._value.shape)}, shape "
                       f"{dims(shape)})", op)


@defined("scatter_nd", primitive=_scatter_nd)
def scatter_nd(indices, updates, shape, bad_indices_policy="", name=None):
    idx = int_indices(indices, "ScatterNd")
    u = tensor(updates)
    shape = static_shape(shape)
    if idx._value.shape[-1] > len(shape):
        raise op_error(f"Output must have at least {idx._value.shape[-1]} dimensions", "ScatterNd")
    _check_updates(idx, u, shape, "ScatterNd")
    check_nd(idx, shape, "shape", "ScatterNd", named=named_by(indices, updates, shape))
    return _scatter_nd(idx, u, shape=shape)


def _scatter_into(prim, tensor, indices, updates):
    """`prim(tensor, indices, updates)` after TF's checks on dtypes, shapes and indices."""
    op = prim.name
    t = _as_tensor(tensor)
    idx = int_indices(indices, op)
    u = _as_tensor(updates)
    if u.dtype != t.dtype:
        raise dtype_mismatch(op, 2, t.dtype, u.dtype)
    shape = t._value.shape
    _check_updates(idx, u, shape, op)
    check_nd(idx, shape, "shape", op, named=named_by(indices, updates))
    return prim(t, idx, u)


def _tensor_scatter(prim, *names):
    """A `tensor_scatter_nd_*` op with TF's signature around `prim`."""
    def scatter(tensor, indices, updates, bad_indices_policy="", name=None):  # noqa: F811
        return _scatter_into(prim, tensor, indices, updates)

    return defined(*names, primitive=prim,
                   doc=f"TF op {prim.name}; out-of-range indices raise.")(scatter)


@defined("tensor_scatter_nd_update", primitive=_scatter_update,
         doc="TF op TensorScatterUpdate; out-of-range indices raise.")
def tensor_scatter_nd_update(tensor, indices, updates, name=None):  # noqa: F811 - TF's signature
    return _scatter_into(_scatter_update, tensor, indices, updates)


tensor_scatter_nd_add = _tensor_scatter(_scatter_add, "tensor_scatter_nd_add")
tensor_scatter_nd_sub = _tensor_scatter(_scatter_sub, "tensor_scatter_nd_sub")
tensor_scatter_nd_max = _tensor_scatter(_scatter_max, "tensor_scatter_nd_max")
tensor_scatter_nd_min = _tensor_scatter(_scatter_min, "tensor_scatter_nd_min")
