"""Pooling of `tf.nn`: max/avg pool in 1, 2 and 3 spatial dims and the
generic `max_pool`/`avg_pool`, on `lax.reduce_window`.

As in TF: the 1-D forms are the 2-D ops over an inserted height-1 dimension
(so their errors name MaxPool/AvgPool); SAME average pooling divides by the
number of real (unpadded) elements in each window; float max pooling
follows TF's CPU kernels at ties, NaN and infinities, value and gradient
(`_float_max_pool`); CPU kernels accept NHWC only.
"""
from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.errors import UnimplementedError
from jaxtape._src.framework.messages import op_error
from jaxtape._src.ops.array.shape import expand_dims, squeeze
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, with_tangent
from jaxtape._src.ops.nn import window
from jaxtape._src.ops.nn.dtype_checks import FLOAT_KERNELS, FLOAT_TYPES, check_dtype
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_MAX_TYPES = FLOAT_TYPES | {"int32", "int64", "uint8", "int16", "int8", "uint16"}
_MAX_KERNELS = FLOAT_KERNELS + ", int32, int64, uint8, int16, int8, uint16, qint8"


def _full_padding(padding):
    return padding if isinstance(padding, str) else ((0, 0),) + padding + ((0, 0),)


def _max_pool_value(x, *, ksize, strides, padding):
    if jnp.issubdtype(x.dtype, jnp.floating):
        return _float_max_pool(ksize, strides, padding, x.ndim == 5)[0](x)
    init = np.array(np.iinfo(x.dtype).min, x.dtype)
    return lax.reduce_window(x, init, lax.max, ksize, strides, _full_padding(padding))


def _max_pool_tf_grad(x, *, ksize, strides, padding):
    if jnp.issubdtype(x.dtype, jnp.floating):
        return _float_max_pool(ksize, strides, padding, x.ndim == 5)[1](x)
    return _max_pool_value(x, ksize=ksize, strides=strides, padding=padding)


def _window_views(x, ksize, strides, padding, fill):
    """For each window offset in TF's scan order (row-major), `x`'s element at
    that offset of every window, and whether it is a real (unpadded) cell."""
    pads = _full_padding(padding)
    if isinstance(pads, str):
        pads = lax.padtype_to_pads(x.shape, ksize, strides, pads)
    config = [(lo, hi, 0) for lo, hi in pads]
    padded = lax.pad(x, np.array(fill, x.dtype), config)
    real = lax.pad(jnp.ones(x.shape, bool), False, config)
    counts = [(n + lo + hi - k) // s + 1 for n, (lo, hi), k, s in zip(x.shape, pads, ksize, strides)]
    for offset in itertools.product(*(range(k) for k in ksize)):
        limit = [o + (c - 1) * s + 1 for o, c, s in zip(offset, counts, strides)]
        yield lax.slice(padded, offset, limit, strides), lax.slice(real, offset, limit, strides)


@functools.lru_cache(maxsize=None)
def _float_max_pool(ksize, strides, padding, is_3d):
    """(value, reverse-mode twin) of float max pooling with TF's CPU kernels'
    NaN handling and gradients.

    2-D (MaxPool, MaxPoolGrad): the value is the largest non-NaN element, at
    least the dtype's lowest (a window of NaN or -inf gives lowest; ties keep
    the first, so -0 before 0 gives -0); the gradient goes to one element per
    window, found as TF's kernel scans it: the first real cell, replaced by
    each later one greater than it (a NaN first cell keeps it). 3-D
    (MaxPool3D, MaxPool3DGrad): the scan keeps each element not less than
    the one before (NaN propagates until a number follows it; padding cells,
    the dtype's lowest, take part), and the gradient goes to every element
    within 1e-5 of the window's result (ties all get it; an inf or NaN
    result gives none).

    The scan is unrolled over the window's offsets: one fused pass, as fast
    as XLA's reduce_window for the value. Its transpose is not (a strided
    scatter per offset: 3x JAX's select-and-scatter for 3x3 windows), so the
    2-D gradient is XLA's select-and-scatter with >= (which keeps the first
    of equal elements, as TF's scan does) except where the two can differ,
    decided by one pass over the input: a NaN (a NaN first cell keeps the
    gradient), or a -inf with padding before a window (XLA's padding cells,
    -inf too, would take its gradient).
    """
    pads = _full_padding(padding)

    def views(x, fill):
        return _window_views(x, ksize, strides, padding, fill)

    def scan_value(x):
        if is_3d:  # padding cells hold the dtype's lowest and take part
            acc = np.array(-np.inf, x.dtype)
            for v, _ in views(x, jnp.finfo(x.dtype).min):
                acc = jnp.where(v < acc, acc, v)
            return acc
        acc = np.array(jnp.finfo(x.dtype).min, x.dtype)
        for v, real in views(x, 0):  # a later element only if greater: ties keep the first (-0 before 0)
            acc = jnp.where(real & (acc < v), v, acc)
        return acc

    def scan_tangent(primals, tangents, out):
        (x,), (t,) = primals, tangents
        picked = None
        if is_3d:
            for (v, real), (dt, _) in zip(views(x, 0), views(t, 0)):
                near = real & (jnp.abs(v - out) < np.array(1e-5, x.dtype))
                term = jnp.where(near, dt, jnp.zeros_like(dt))
                picked = term if picked is None else picked + term
            return picked
        best = started = None
        for (v, real), (dt, _) in zip(views(x, 0), views(t, 0)):
            if best is None:
                best, picked, started = v, jnp.where(real, dt, jnp.zeros_like(dt)), real
                continue
            take = real & (~started | (v > best))
            best, picked, started = jnp.where(take, v, best), jnp.where(take, dt, picked), started | real
        return picked

    scan = with_tangent(scan_value, scan_tangent)
    if is_3d:
        return scan, scan

    def xla_vjp(x, g):  # JAX's max-window rule: select-and-scatter with >=, so ties keep the first
        return jax.vjp(lambda a: lax.reduce_window(a, np.array(-np.inf, x.dtype), lax.max, ksize, strides,
                                                   pads), x)[1](g)[0]

    @jax.custom_vjp
    def twin(x):
        return scan_value(x)

    def bwd(x, g):
        odd = jnp.any(jnp.isnan(x))
        lows = [lo for lo, _ in (lax.padtype_to_pads(x.shape, ksize, strides, pads) if isinstance(pads, str)
                                 else pads)]
        if any(lows):
            odd = odd | jnp.any(x == -np.inf)
        return (lax.cond(odd, lambda x, g: jax.vjp(scan, x)[1](g)[0], xla_vjp, x, g),)

    twin.defvjp(lambda x: (scan_value(x), x), bwd)
    return scan, twin


_max_pool = TFGradPrimitive(_max_pool_value, _max_pool_tf_grad, "MaxPool")


@primitive(name="AvgPool")
def _avg_pool(x, *, ksize, strides, padding):
    wide = x.astype(jnp.float32) if x.dtype in (jnp.float16, jnp.bfloat16) else x
    pad = _full_padding(padding)
    zero = np.array(0, wide.dtype)
    total = lax.reduce_window(wide, zero, lax.add, ksize, strides, pad)
    # Padded cells do not count: divide by the number of real cells per window.
    count = lax.reduce_window(jnp.ones(x.shape, wide.dtype), zero, lax.add, ksize, strides, pad)
    return (total / count).astype(x.dtype)


def _pool(input, ksize, strides, padding, data_format, n, kind):  # noqa: A002
    """Shared checks and dispatch for 2-D and 3-D pooling (channels last)."""
    op = ("MaxPool" if kind == "max" else "AvgPool") + ("3D" if n == 3 else "")
    types, kernels = (_MAX_TYPES, _MAX_KERNELS) if kind == "max" else (FLOAT_TYPES, FLOAT_KERNELS)
    x = check_dtype(tensor(input), op, types, kernels)
    fmt = data_format or ("NHWC" if n == 2 else "NDHWC")
    channels_first = fmt.startswith("NC")
    allowed = ("NHWC", "NCHW", "NCHW_VECT_C") if n == 2 else ("NDHWC", "NCDHW")
    if fmt not in allowed:
        raise op_error(f"Value for attr 'data_format' of \"{fmt}\" is not in the list of allowed "
                       f"values: {', '.join(chr(34) + a + chr(34) for a in allowed)}\n\t; "
                       f"NodeDef: {{{{node {op}}}}}", op)
    channel_index = 1 if channels_first else n + 1
    ksize = window.sequence(ksize, n, channel_index, "ksize")
    strides = window.sequence(strides, n, channel_index, "strides")
    if kind == "avg" and isinstance(padding, (list, tuple)):
        raise TypeError(f"Expected string for argument 'padding' not {padding}.")
    pad = window.padding(padding, n, op)
    if channels_first:
        name = "MaxPoolingOp" if kind == "max" else "AvgPoolingOp"
        raise op_error(f"Default {name} only supports NHWC on device type CPU", op)
    if ksize[0] != 1 or strides[0] != 1:
        raise UnimplementedError(None, None, "Pooling is not yet supported on the batch "
                                 f"dimension. [Op:{op}] name: ")
    if x.ndim != n + 2:
        raise op_error(f"tensor_in_shape must have {n} spatial dimensions. {x.ndim} 0", op)
    if min(ksize) < 1:
        raise op_error("Sliding window ksize must be positive. The specified or inferred ksize "
                       f"is: {','.join(str(k) for k in ksize)}", op)
    if min(strides) < 1:
        raise op_error("Sliding window stride must be positive. The specified or inferred stride "
                       f"is: {','.join(str(s) for s in strides)}", op)
    if ksize[-1] != 1 or strides[-1] != 1:
        raise UnimplementedError(None, None, "Pooling is not yet supported on the depth "
                                 f"dimension. [Op:{op}] name: ")
    window.check_output_sizes(x._value.shape[1:-1], ksize[1:-1], strides[1:-1], [1] * n, pad, op)
    fn = _max_pool if kind == "max" else _avg_pool
    return fn(x, ksize=tuple(ksize), strides=tuple(strides), padding=pad)


def _pool1d(input, ksize, strides, padding, data_format, kind):  # noqa: A002
    """As TF: the 2-D pool over a height-1 dimension inserted before the width."""
    spatial_start, channel_index, fmt2d = window.layout_1d(data_format)
    ksize = [1] + window.sequence(ksize, 1, channel_index, "ksize")
    strides = [1] + window.sequence(strides, 1, channel_index, "strides")
    if isinstance(padding, (list, tuple)):
        padding = [[0, 0]] + [list(p) for p in padding]
    y = _pool(expand_dims(input, spatial_start), ksize, strides, padding, fmt2d, 2, kind)
    return squeeze(y, [spatial_start])


@defined("nn.max_pool2d", primitive=_max_pool)
def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    return _pool(input, ksize, strides, padding, data_format, 2, "max")


@defined("nn.avg_pool2d")
def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    return _pool(input, ksize, strides, padding, data_format, 2, "avg")


@defined("nn.max_pool3d", primitive=_max_pool)
def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    return _pool(input, ksize, strides, padding, data_format, 3, "max")


@defined("nn.avg_pool3d")
def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    return _pool(input, ksize, strides, padding, data_format, 3, "avg")


@defined("nn.max_pool1d", primitive=_max_pool)
def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool1d(input, ksize, strides, padding, data_format, "max")


@defined("nn.avg_pool1d")
def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool1d(input, ksize, strides, padding, data_format, "avg")


def _generic(input, ksize, strides, padding, data_format, kind):  # noqa: A002
    x = tensor(input)
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: input.shape={x.shape} "
                         f"of rank {x.ndim}.")
    n = x.ndim - 2
    if n == 1:
        return _pool1d(x, ksize, strides, padding, data_format, kind)
    return _pool(x, ksize, strides, padding, data_format, n, kind)


@defined("nn.max_pool", primitive=_max_pool)
def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Max pooling over the spatial dims of a rank 3, 4 or 5 input."""
    return _generic(input, ksize, strides, padding, data_format, "max")


@defined("nn.avg_pool")
def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Average pooling over the spatial dims of a rank 3, 4 or 5 input."""
    return _generic(input, ksize, strides, padding, data_format, "avg")
