"""Cumulative ops along one axis: cumsum, cumprod, cumulative_logsumexp.

`exclusive` shifts in the identity (0, 1, -inf); `reverse` scans from the end.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.messages import op_error
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
    x = kernel_input(x, op)
    axis = host_int(axis)
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        shown = axis + ndim if axis < 0 else axis  # TF's kernel wraps a negative axis once first
        raise op_error(f"ScanOp: Expected scan axis in the range [{-ndim}, {ndim}), but got {shown}", op)
    return _scan_prim(x, axis=axis % ndim, exclusive=bool(exclusive), reverse=bool(reverse), kind=kind)


@defined("math.cumsum", "cumsum", primitive=_scan_prim)
def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sum along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumsum", "sum")


@defined("math.cumprod", primitive=_scan_prim)
def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running product along `axis`."""
    return _cumulative(x, axis, exclusive, reverse, "Cumprod", "prod")


@defined("math.cumulative_logsumexp", primitive=_scan_prim)
def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running log(sum(exp(x))) along `axis`, computed stably."""
    return _cumulative(x, axis, exclusive, reverse, "CumulativeLogsumexp", "logsumexp")
