"""Cumulative ops along one axis: cumsum, cumprod, cumulative_logsumexp.

`exclusive` shifts in the identity (0, 1, -inf); `reverse` scans from the end.
cumulative_logsumexp follows TF's kernel at NaN and inf and takes TF's
gradient formula (a twin, see ops/math/tf_gradients.py).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.messages import op_error
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.args import host_int
from jaxtape._src.ops.support.define import defined, kernel_input
from jaxtape._src.tape.primitive import Primitive


def _scan(x, *, axis, exclusive, reverse, kind):
    if reverse:
        x = jnp.flip(x, axis)
    if kind == "sum":
        out = jnp.cumsum(x, axis=axis, dtype=x.dtype)
        identity = 0
    elif kind == "prod":
        out = jnp.cumprod(x, axis=axis, dtype=x.dtype)
        identity = 1
    else:
        out = _tf_cumlogsumexp(x, axis)
        identity = -jnp.inf
    if exclusive and x.shape[axis]:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        head = lax.slice_in_dim(out, 0, x.shape[axis] - 1, axis=axis)
        out = jnp.pad(head, pad, constant_values=identity)
    if reverse:
        out = jnp.flip(out, axis)
    return out


def _tf_cumlogsumexp(x, axis):
    """Inclusive running logsumexp with the NaN and inf rules of TF's kernel.

    TF's kernel folds left with `acc = log1p(exp(min - max)) + max` (`acc` if
    the max is -inf), where min and max return `acc` when `t` is NaN: a NaN
    after a finite running value counts as that value again (the sum doubles),
    before any number it is skipped; after +inf, an inf or NaN gives NaN from
    there on. The doubling is a cumulative count of NaNs (log 2 each) around
    JAX's scan, so the result needs no sequential loop.
    """
    nan = jnp.isnan(x)
    log2 = jnp.asarray(0.6931471805599453, x.dtype)
    doublings = jnp.cumsum(nan, axis=axis, dtype=x.dtype) * log2
    out = lax.cumlogsumexp(jnp.where(nan, -jnp.inf, x) - doublings, axis=axis) + doublings
    pos_inf = x == jnp.inf
    inf_before = (jnp.cumsum(pos_inf, axis=axis, dtype=jnp.int32) - pos_inf) > 0
    poisoned = jnp.cumsum(inf_before & (nan | pos_inf), axis=axis, dtype=jnp.int32) > 0
    return jnp.where(poisoned, jnp.nan, out)


_scan_prim = Primitive(_scan, "Cumsum")


@functools.lru_cache(maxsize=None)
def _cumlse_with_tf_grad(axis, exclusive, reverse):
    """cumulative_logsumexp differentiated by TF's CumulativeLogsumexpGrad: the
    upstream split by sign and taken to logs, scanned the other way by this
    same op (so its own gradient is TF's formula again)."""
    @jax.custom_vjp
    def f(x):
        return _scan(x, axis=axis, exclusive=exclusive, reverse=reverse, kind="logsumexp")

    def fwd(x):
        y = f(x)
        return y, (x, y)

    def bwd(res, g):
        x, y = res
        back = _cumlse_with_tf_grad(axis, exclusive, not reverse)
        lowest = jnp.finfo(g.dtype).min
        log_pos = jnp.where(g > 0, jnp.log(jnp.where(g > 0, g, 1)), lowest)
        log_neg = jnp.where(g < 0, jnp.log(jnp.where(g < 0, -g, 1)), lowest)
        return (jnp.exp(back(log_pos - y) + x) - jnp.exp(back(log_neg - y) + x),)

    f.defvjp(fwd, bwd)
    return f


def _cumlse_tf_grad(x, *, axis, exclusive, reverse, kind):
    return _cumlse_with_tf_grad(axis, exclusive, reverse)(x)


_cumlse_prim = TFGradPrimitive(_scan, _cumlse_tf_grad, "CumulativeLogsumexp")


def _cumulative(x, axis, exclusive, reverse, op, kind, prim=_scan_prim):
    x = kernel_input(x, op)
    axis = host_int(axis)
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        shown = axis + ndim if axis < 0 else axis  # TF's kernel wraps a negative axis once first
        raise op_error(f"ScanOp: Expected scan axis in the range [{-ndim}, {ndim}), but got {shown}", op)
    return prim(x, axis=axis % ndim, exclusive=bool(exclusive), reverse=bool(reverse), kind=kind)


@defined("math.cumsum", "cumsum", primitive=_scan_prim)
def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sum along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumsum", "sum")


@defined("math.cumprod", primitive=_scan_prim)
def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running product along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumprod", "prod")


@defined("math.cumulative_logsumexp", primitive=_cumlse_prim)
def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running log(sum(exp(x))) along `axis`, computed stably."""
    return _cumulative(x, axis, exclusive, reverse, "CumulativeLogsumexp", "logsumexp", _cumlse_prim)
