"""Cumulative ops along one axis: cumsum, cumprod, cumulative_logsumexp.

`exclusive` shifts in the identity (0, 1, -inf); `reverse` scans from the end.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.exports import export
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import op_error, tensor
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
        out = lax.cumlogsumexp(x, axis=axis)
        identity = -jnp.inf
    if exclusive and x.shape[axis]:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        head = lax.slice_in_dim(out, 0, x.shape[axis] - 1, axis=axis)
        out = jnp.pad(head, pad, constant_values=identity)
    if reverse:
        out = jnp.flip(out, axis)
    return out


_scan_prim = Primitive(_scan, "Cumsum")


def _cumulative(x, axis, exclusive, reverse, op, kind):
    x = tensor(x)
    math_kernels.check(op, x)
    axis = int(tensor(axis).numpy()) if not isinstance(axis, int) else axis
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        raise op_error(f"ScanOp: Expected scan axis in the range [{-ndim}, {ndim}), but got {axis}", op)
    return _scan_prim(x, axis=axis % ndim, exclusive=bool(exclusive), reverse=bool(reverse), kind=kind)


@export("math.cumsum", "cumsum")
def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sum along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumsum", "sum")


@export("math.cumprod")
def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running product along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumprod", "prod")


@export("math.cumulative_logsumexp")
def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running log(sum(exp(x))) along `axis`, computed stably."""
    return _cumulative(x, axis, exclusive, reverse, "CumulativeLogsumexp", "logsumexp")
