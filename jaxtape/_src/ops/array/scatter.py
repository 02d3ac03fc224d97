"""Scattering updates into tensors: `tf.scatter_nd` and `tf.tensor_scatter_nd_*`."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxtape._src.framework.messages import dims, named_by, dtype_mismatch, op_error
from jaxtape._src.ops.array.index_checks import check_nd, int_indices
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
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
    """TF's TensorScatterMax/Min: each update replaces the value only where it is
    strictly greater (less), so a NaN update is skipped, a NaN in the tensor stays
    and a tie keeps the tensor's zero sign."""
    if not jnp.issubdtype(t.dtype, jnp.floating):
        at = t.at[_nd(indices)]
        return at.max(updates) if kind == "max" else at.min(updates)
    worst = -jnp.inf if kind == "max" else jnp.inf
    clean = jnp.where(jnp.isnan(updates), worst, updates)
    best = jnp.full_like(t, worst).at[_nd(indices)]
    best = best.max(clean) if kind == "max" else best.min(clean)
    return jnp.where(best > t if kind == "max" else best < t, best, t)


def _indicator(equal, dtype):
    # A select, not a cast: XLA rewrites `g * convert(p)` to `select(p, g, 0)`, losing TF's
    # 0 * inf = NaN where an infinite upstream meets a value that is not the extreme.
    return jnp.where(equal, 1, 0).astype(dtype)


def _scatter_extreme_tf_grad(kind):
    """`_scatter_extreme` differentiated by TF's formula: the upstream split equally
    between the tensor's value and the updates equal to the result, as products."""
    @jax.custom_vjp
    def f(t, indices, u):
        return _scatter_extreme(t, indices, u, kind=kind)

    def fwd(t, indices, u):
        out = f(t, indices, u)
        return out, (t, indices, u, out)

    def bwd(res, g):
        t, indices, u, out = res
        ix = _nd(indices)
        x_ind = _indicator(t == out, g.dtype)
        u_ind = _indicator(u == out[ix], g.dtype)
        count = x_ind + jnp.zeros_like(g).at[ix].add(u_ind)
        return g * x_ind / count, None, (g / count)[ix] * u_ind

    f.defvjp(fwd, bwd)
    return f


_scatter_max = TFGradPrimitive(functools.partial(_scatter_extreme, kind="max"), _scatter_extreme_tf_grad("max"),
                               "TensorScatterMax")
_scatter_min = TFGradPrimitive(functools.partial(_scatter_extreme, kind="min"), _scatter_extreme_tf_grad("min"),
                               "TensorScatterMin")


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
