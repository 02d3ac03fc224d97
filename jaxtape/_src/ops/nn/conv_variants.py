"""Convolution variants of `tf.nn`: depthwise_conv2d, separable_conv2d,
atrous_conv2d, atrous_conv2d_transpose and `tf.nn.convolution` with
dilations (composed of the conv and space-to-batch ops, as TF composes them)
and the morphological dilation2d / erosion2d.

TF runs a dilated depthwise, separable, atrous or generic convolution as
space_to_batch, an undilated VALID convolution and batch_to_space
(`_with_space_to_batch`); jaxtape composes the same ops, so values,
gradients and errors follow TF's, including its result for a dilated
depthwise or separable convolution with strides > 1 (the strided convolution
of the space-to-batch blocks, not a strided dilated convolution).

Dilation2D is TF's grayscale dilation: each output is the largest
`input + filter` over the (strided, dilated) window, at least the dtype's
lowest, with padding cells left out and a NaN never the largest. Its
gradients are TF's Dilation2DBackpropInput / Filter: all of it to the first
largest cell (or, where no cell beats the lowest, to the window's first
in-bounds row and column and filter cell 0, 0), with no gradient of their own.
"""
from __future__ import annotations

import contextlib
import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.errors import OpError, UnimplementedError
from jaxtape._src.framework.messages import (attr_not_allowed, dims, dtype_not_allowed, kernel_dtype_name,
                                             op_error)
from jaxtape._src.ops.array.reorder import reverse
from jaxtape._src.ops.array.space_batch import (batch_to_space_nd, batch_to_space_v1, space_to_batch_nd,
                                                space_to_batch_v1)
from jaxtape._src.ops.math.unary import negative
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.nn.conv import (_check_padding, _convert_padding, _depthwise_kernel, _operands,
                                      conv1d, conv2d, conv2d_transpose, conv3d, convolution)
from jaxtape._src.ops.nn.dtype_checks import FLOAT_KERNELS, FLOAT_TYPES, check_dtype
from jaxtape._src.ops.nn.pool_argmax import without_gradient
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import binary, static_shape, tensor
from jaxtape._src.ops.support.define import defined


@contextlib.contextmanager
def _unnamed():
    """Where TF's composition calls a kernel with list arguments (strides, input
    sizes) its eager errors end without " name: "; the jaxtape op adds one."""
    try:
        yield
    except OpError as e:
        if not e.message.endswith(" name: "):
            raise
        raise type(e)(e.node_def, e.op, e.message[:-len(" name: ")]) from None


def _shape_text(x) -> str:
    """A static shape as TF's Python errors print it: `(2, 7, 8, 3)`."""
    return str(x.shape)


# -- TF's space-to-batch composition ---------------------------------------------------------

def _explicit_pairs(padding, expected=4):
    """TF's `convert_padding` checks of an explicit padding list; returns the pairs."""
    return _convert_padding(padding, expected)[1]


def _no_explicit_name(padding):
    if isinstance(padding, str) and padding == "EXPLICIT":
        raise ValueError("'EXPLICIT' is not a valid value for `padding`. To use explicit padding, "
                         "`padding` must be a list.")


def _with_space_to_batch(x, rate, padding, filter_shape, data_format, op, batch_dims=1):
    """`op(x, padding)` dilated by `rate` over the dims after the batch (and
    the channels, for NC formats): `op` runs undilated and VALID on the
    space-to-batch blocks of `x`, padded as `padding` asks (and to a multiple
    of `rate`); batch_to_space then crops the extra."""
    channels_first = data_format is not None and data_format.startswith("NC")
    n = rate.shape[0]
    start = batch_dims + 1 if channels_first else batch_dims
    last = start + n - 1
    rank = last if channels_first else last + 1
    if x.ndim < rank:
        raise ValueError(f"`input.shape.rank` must be at least {rank}. Received: "
                         f"input.shape={_shape_text(x)} with rank {x.ndim}")
    if np.any(rate < 1):
        raise ValueError(f"`dilation_rate` must be positive. Received: dilation_rate={rate}")
    if np.all(rate == 1):
        return op(x, padding)
    _no_explicit_name(padding)
    if isinstance(padding, (list, tuple)):
        pairs = np.array(_explicit_pairs(padding), np.int64)
        base = pairs[2:] if channels_first else pairs[1:-1]
    elif padding == "SAME":
        extra = (np.asarray(filter_shape[:n], np.int64) - 1) * rate
        base = np.stack([extra // 2, extra - extra // 2], axis=1)
    elif padding == "VALID":
        base = np.zeros((n, 2), np.int64)
    else:
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: padding={padding}")
    sizes = np.array([x.shape[d] for d in range(start, start + n)], np.int64)
    full = sizes + base[:, 0] + base[:, 1]
    extra = (rate - full % rate) % rate  # so that `rate` divides the padded size
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1)
    crops = np.stack([np.zeros_like(extra), extra], axis=1)
    # The dims between the batch and the first spatial one move with block 1.
    lead = start - 1  # TF passes these as int32 tensors
    block = np.concatenate([np.ones(lead, np.int64), rate]).astype(np.int32)
    paddings = np.concatenate([np.zeros((lead, 2), np.int64), paddings]).astype(np.int32)
    crops = np.concatenate([np.zeros((lead, 2), np.int64), crops]).astype(np.int32)
    y = op(space_to_batch_nd(x, block, paddings), "VALID")
    return batch_to_space_nd(y, block, crops)


def _rate_vector(rate):
    rate = np.asarray(rate).astype(np.int32)
    if rate.ndim != 1:
        raise ValueError(f"`dilation_rate.shape.rank` must be 1. Received: dilation_rate={rate} of "
                         f"rank {rate.ndim}")
    return rate.astype(np.int64)


# -- convolution with dilations -------------------------------------------------------------

def dilated_convolution(x, w, strides, padding, data_format, dilations, n):
    """TF's `Convolution`, which `tf.nn.convolution` runs for dilations other
    than 1: its checks, then the undilated convolution of the space-to-batch
    blocks (strides and dilations are the N+2 values TF's Python made)."""
    channels_first = data_format is not None and data_format.startswith("NC")
    spatial = slice(2, None) if channels_first else slice(1, -1)
    strides, rates = strides[spatial], dilations[spatial]
    if x.ndim < n + 2:
        raise ValueError("`input.shape.rank` must be >= than `num_spatial_dims + 2`. Received: "
                         f"input.shape={_shape_text(x)} of rank {x.ndim} and num_spatial_dims={n}")
    batch_dims = x.ndim - n - 1
    channels = x._meta.shape[batch_dims if channels_first else n + batch_dims]
    filter_dim = w._meta.shape[n]
    if channels % filter_dim:
        raise ValueError("The number of input channels is not divisible by the corresponding number "
                         f"of output filters. Received: input.shape={_shape_text(x)} with {channels} "
                         f"channels and filters.shape={_shape_text(w)} with {filter_dim} output "
                         "filters.")
    rates = np.array(rates, np.int32)
    if np.any(rates < 1):
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: dilation_rate={rates}")
    strides = np.array(strides, np.int32)
    if np.any(strides < 1):
        raise ValueError(f"all values of `strides` must be positive. Received: strides={strides}")
    if np.any(strides > 1) and np.any(rates > 1):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={strides} and dilation_rate={rates}")
    formats = {1: ("NWC", "NCW", "NHWC", "NCHW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}[n]
    if data_format is not None and data_format not in formats:
        names = {2: "'NHWC' or 'NCHW'", 3: "'NDHWC' or 'NCDHW'"}.get(n, "'NWC' or 'NCW'")
        raise ValueError(f"`data_format` must be {names}. Received: data_format={data_format}")
    step = [int(s) for s in strides]
    full = [1, 1] + step if channels_first else [1] + step + [1]

    def undilated(inp, pad):
        with _unnamed():
            if n == 1:
                return conv1d(inp, w, step[0], pad, data_format or "NWC")
            if n == 2:
                return conv2d(inp, w, full, pad, data_format or "NHWC")
            return conv3d(inp, w, full, pad, data_format or "NDHWC")

    return _with_space_to_batch(x, rates.astype(np.int64), padding, w._meta.shape, data_format, undilated,
                                batch_dims)


# -- separable_conv2d ------------------------------------------------------------------------

_DW = "DepthwiseConv2dNative"


def _depthwise_native(x, f, strides, padding, data_format):
    """TF's `depthwise_conv2d_native` and its CPU kernel, their checks in their order."""
    if not isinstance(strides, (list, tuple)):
        raise TypeError(f"Expected list for 'strides' argument to 'depthwise_conv2d_native' Op, not "
                        f"{strides!r}.")
    _no_explicit_name(padding)
    explicit = _explicit_pairs(padding) if isinstance(padding, (list, tuple)) else None
    if explicit is not None:
        padding = "EXPLICIT"
    elif not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    x, f, mismatch = _operands(x, f, _DW)
    fmt = "NHWC" if data_format is None else data_format
    # TF validates the attributes in a hash map's order; jaxtape's: padding, data_format, T.
    if padding not in ("SAME", "VALID", "EXPLICIT"):
        raise attr_not_allowed(_DW, "padding", f'"{padding}"', '"SAME", "VALID", "EXPLICIT"',
                               kernel_dtypes.summary(_DW))
    if fmt not in ("NHWC", "NCHW"):
        raise attr_not_allowed(_DW, "data_format", f'"{fmt}"', '"NHWC", "NCHW"', kernel_dtypes.summary(_DW))
    check_dtype(x, _DW, FLOAT_TYPES, FLOAT_KERNELS)
    if mismatch is not None:
        raise mismatch
    strides = [int(s) for s in strides]
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", _DW)
    h, w, c = (2, 3, 1) if fmt == "NCHW" else (1, 2, 3)
    if strides[0] != 1 or strides[c] != 1:
        raise op_error("Current implementation does not yet support strides in the batch and depth "
                       "dimensions.", _DW)
    if strides[h] != strides[w]:
        raise op_error("Current implementation only supports equal length strides in the row and "
                       "column dimensions.", _DW)
    pads = _check_padding(padding, explicit, 4, c, _DW)
    shape, fshape = tuple(x._meta.shape), tuple(f._meta.shape)
    if len(shape) != 4:
        raise op_error(f"input must be 4-dimensional{dims(shape)}", _DW)
    if len(fshape) != 4:
        raise op_error(f"filter must be 4-dimensional: {dims(fshape)}", _DW)
    if shape[c] != fshape[2]:
        raise op_error(f"input and filter must have the same depth: {shape[c]} vs {fshape[2]}", _DW)
    if fmt == "NCHW":
        raise UnimplementedError(None, None, "Depthwise convolution on CPU is only supported for NHWC "
                                 f"format [Op:{_DW}] name: ")
    if strides[h] <= 0:
        raise op_error(f"Stride must be > 0, but got {strides[h]}", _DW)
    return _depthwise_kernel(x, f, strides, pads)


@defined("nn.depthwise_conv2d")
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """Each input channel convolved with its own `channel_multiplier` filters:
    `filter` is `[h, w, in_channels, multiplier]`, output channels in * multiplier.
    As TF: DepthwiseConv2dNative, dilated by `dilations` through space-to-batch."""
    x = tensor(input)
    f = tensor(filter)
    if dilations is None:  # TF's rate [1, 1]: the native op, after with_space_to_batch's rank check
        if x.ndim < 3:
            raise ValueError(f"`input.shape.rank` must be at least 3. Received: "
                             f"input.shape={_shape_text(x)} with rank {x.ndim}")
        return _depthwise_native(x, f, strides, padding, data_format)
    rate = dilations
    if any(r > 1 for r in rate) and any(s != 1 for s in strides):
        warnings.warn("When dilation rate is greater than 1, then all values of strides must be 1. "
                      f"Received: `dilation rate` {rate} and `strides` {strides}", stacklevel=2)
    rate = _rate_vector(rate)

    def native(inp, pad):
        return _depthwise_native(inp, f, strides, pad, data_format)

    return _with_space_to_batch(x, rate, padding, f._meta.shape, data_format, native)


@defined("nn.separable_conv2d")
def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None,  # noqa: A002
                     dilations=None, name=None):
    """A depthwise convolution (each channel with its own `multiplier` filters,
    dilated by `dilations`), then a 1x1 convolution mixing the channels."""
    x = tensor(input)
    dw = tensor(depthwise_filter)
    pw = tensor(pointwise_filter)
    if pw.ndim != 4:
        raise ValueError(f"Shape {_shape_text(pw)} must have rank 4")
    for d in pw._value.shape[:2]:
        if d != 1:
            raise ValueError(f"Dimensions {d} and 1 are not compatible")
    rate = _rate_vector([1, 1] if dilations is None else dilations)

    def depthwise(inp, pad):
        return _depthwise_native(inp, dw, strides, pad, data_format)

    y = _with_space_to_batch(x, rate, padding, dw._value.shape, data_format, depthwise)
    return conv2d(y, pw, [1, 1, 1, 1], "VALID", "NHWC" if data_format is None else data_format)


# -- atrous convolution ----------------------------------------------------------------------

@defined("nn.atrous_conv2d")
def atrous_conv2d(value, filters, rate, padding, name=None):
    """2-D convolution with `rate - 1` zeros between filter taps (rate: an int or two)."""
    rate = np.broadcast_to(np.asarray(rate), (2,))
    w = tensor(filters)
    x = tensor(value)
    n = w.ndim - 2 if w.ndim else x.ndim - 2
    if n != 2:  # not a 2-D filter: TF's generic convolution decides
        return convolution(x, w, padding=padding, dilations=[int(r) for r in rate])
    if np.all(rate == 1):
        with _unnamed():
            return conv2d(x, w, [1, 1, 1, 1], padding, "NHWC", [1, 1, 1, 1])
    if x.ndim < n + 2:
        raise ValueError("`input.shape.rank` must be >= than `num_spatial_dims + 2`. Received: "
                         f"input.shape={_shape_text(x)} of rank {x.ndim} and num_spatial_dims={n}")
    batch_dims = x.ndim - n - 1
    channels, filter_depth = x._value.shape[-1], w._value.shape[n]
    if filter_depth and channels % filter_depth:
        raise ValueError("The number of input channels is not divisible by the corresponding number "
                         f"of output filters. Received: input.shape={_shape_text(x)} with {channels} "
                         f"channels and filters.shape={_shape_text(w)} with {filter_depth} output "
                         "filters.")
    rate = rate.astype(np.int64)
    if np.any(rate < 1):
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: "
                         f"dilation_rate={rate}")

    def undilated(inp, pad):
        with _unnamed():
            return conv2d(inp, w, [1, 1, 1, 1], pad, "NHWC")

    return _with_space_to_batch(x, rate, padding, w._value.shape, None, undilated, batch_dims)


_BPI = "Conv2DBackpropInput"


@defined("nn.atrous_conv2d_transpose")
def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose (gradient) of `atrous_conv2d` for an input of `output_shape`;
    filters are `[h, w, out_channels, in_channels]`."""
    x = tensor(value)
    w = tensor(filters)
    if x.ndim < 4 or w.ndim < 4:
        raise IndexError("list index out of range")  # TF reads both shapes' dims[3]
    if x._value.shape[3] != w._value.shape[3]:
        raise ValueError("`value` channel count must be compatible with `filters` input channel "
                         f"count. Received: value.shape={_shape_text(x)} with channel count "
                         f"{x._value.shape[3]} and filters.shape={_shape_text(w)} with input channel "
                         f"count {w._value.shape[3]}.")
    if rate < 1:
        raise ValueError(f"`rate` cannot be less than one. Received: rate={rate}")
    if rate == 1:
        with _unnamed() if isinstance(output_shape, (list, tuple)) else contextlib.nullcontext():
            return conv2d_transpose(x, w, output_shape, strides=[1, 1, 1, 1], padding=padding,
                                    data_format="NHWC")
    out = static_shape(output_shape)
    if len(out) != 4:
        raise ValueError(f"`output_shape` must have shape (4,). Received: output_shape=({len(out)},)")
    if isinstance(output_shape, (list, tuple, np.ndarray)) and w._value.shape[2] != out[3]:
        shown = list(output_shape) if isinstance(output_shape, tuple) else output_shape
        raise ValueError("`output_shape` channel count must be compatible with `filters` output "
                         f"channel count. Received: output_shape={shown} with channel count "
                         f"{out[3]} and filters.shape={_shape_text(w)} with output channel count "
                         f"{w._value.shape[3]}.")
    if padding == "SAME":
        # The dilated filter needs (k - 1) * rate cells of padding, the larger half after.
        pad_h, pad_w = ((k - 1) * rate for k in w._value.shape[:2])
        top, left = pad_h // 2, pad_w // 2
        bottom, right = pad_h - top, pad_w - left
    elif padding == "VALID":
        top = bottom = left = right = 0
    else:
        raise ValueError(f"`padding` must be either 'VALID' or 'SAME'. Received: padding={padding}")
    height, width = out[1] + top + bottom, out[2] + left + right
    extra_h, extra_w = (rate - height % rate) % rate, (rate - width % rate) % rate
    blocks = space_to_batch_v1(x, [[0, extra_h], [0, extra_w]], block_size=rate)
    sizes = [rate * rate * out[0], (height + extra_h) // rate, (width + extra_w) // rate, out[3]]
    # Conv2DBackpropInput's checks that `conv2d_transpose` words otherwise (its
    # input sizes are a list here: TF's errors end without " name: ").
    if w.dtype != blocks.dtype:
        raise op_error(f"cannot compute {_BPI} as input #2(zero-based) was expected to be a "
                       f"{kernel_dtype_name(w.dtype)} tensor but is a {kernel_dtype_name(blocks.dtype)} "
                       "tensor", _BPI, named=False)
    if sizes[0] != blocks._value.shape[0]:
        raise op_error(f"Conv2DCustomBackpropInput: input and out_backprop must have the same batch "
                       f"size. Input batch: {sizes[0]}, outbackprop batch: {blocks._value.shape[0]}, "
                       "batch_dim: 0", _BPI, named=False)
    with _unnamed():
        y = conv2d_transpose(blocks, w, sizes, strides=[1, 1, 1, 1], padding="VALID", data_format="NHWC")
    return batch_to_space_v1(y, [[top, bottom + extra_h], [left, right + extra_w]], block_size=rate)


# -- dilation2d / erosion2d ------------------------------------------------------------------

_DIL = "Dilation2D"
_DIL_TYPES = ("float32", "float64", "int32", "uint8", "int16", "int8", "int64", "bfloat16", "uint16",
              "float16", "uint32", "uint64")
_DIL_KERNELS = "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"
_DIL_SUMMARY = ("Op<name=Dilation2D; signature=input:T, filter:T -> output:T; attr=T:type,allowed=["
                "DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_INT64, DT_BFLOAT16, "
                "DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64]; attr=strides:list(int),min=4; "
                'attr=rates:list(int),min=4; attr=padding:string,allowed=["SAME", "VALID"]>')


def _lowest(dtype):
    return jnp.finfo(dtype).min if jnp.issubdtype(dtype, jnp.floating) else jnp.iinfo(dtype).min


def _taps(size, k, stride, rate, pad, out):
    """Each output's window positions (clipped), which are in bounds, and the
    window's first in-bounds position (where TF's gradient goes if no cell wins)."""
    begin = np.arange(out) * stride - pad
    pos = begin[:, None] + np.arange(k)[None, :] * rate
    last = max(size - 1, 0)
    return np.clip(pos, 0, last), (pos >= 0) & (pos < size), np.clip(begin, 0, last)


def _dilation_scan(x, f, strides, rates, pads, out_hw):
    """(value, row, column, filter row, filter column) of each output's winning cell."""
    kh, kw, _ = f.shape
    rows, real_rows, row0 = _taps(x.shape[1], kh, strides[0], rates[0], pads[0], out_hw[0])
    cols, real_cols, col0 = _taps(x.shape[2], kw, strides[1], rates[1], pads[1], out_hw[1])
    best = jnp.full(x.shape[:1] + tuple(out_hw) + x.shape[3:], _lowest(x.dtype), x.dtype)
    pick = jnp.full(best.shape, -1, jnp.int32)
    for dy in range(kh):
        band = x[:, rows[:, dy]]
        for dx in range(kw):
            v = band[:, :, cols[:, dx]] + f[dy, dx]
            real = jnp.asarray(real_rows[:, dy][:, None] & real_cols[:, dx][None, :])[None, :, :, None]
            take = real & (v > best)  # strictly greater: ties keep the first, NaN never wins
            best = jnp.where(take, v, best)
            pick = jnp.where(take, dy * kw + dx, pick)
    dy, dx = pick // kw, pick % kw
    found = pick >= 0
    at_row = jnp.where(found, jnp.asarray(rows)[jnp.arange(out_hw[0])[None, :, None, None], dy],
                       jnp.asarray(row0)[None, :, None, None])
    at_col = jnp.where(found, jnp.asarray(cols)[jnp.arange(out_hw[1])[None, None, :, None], dx],
                       jnp.asarray(col0)[None, None, :, None])
    return best, at_row, at_col, jnp.where(found, dy, 0), jnp.where(found, dx, 0)


def _dilation(x, f, *, strides, rates, pads, out_hw):
    return _dilation_scan(x, f, strides, rates, pads, out_hw)[0]


def _backprop_input(x, at_row, at_col, g):
    n, _, _, c = x.shape
    b = jnp.arange(n)[:, None, None, None]
    return jnp.zeros(x.shape, g.dtype).at[b, at_row, at_col, jnp.arange(c)].add(g)


def _backprop_filter(f, at_dy, at_dx, g):
    return jnp.zeros(f.shape, g.dtype).at[at_dy, at_dx, jnp.arange(f.shape[2])].add(g)


_input_kernel = without_gradient(_backprop_input, "Dilation2DBackpropInput")
_filter_kernel = without_gradient(_backprop_filter, "Dilation2DBackpropFilter")


@functools.lru_cache(maxsize=None)
def _dilation_twin(strides, rates, pads, out_hw):
    """Dilation2D whose VJP is TF's Dilation2DBackpropInput / Filter."""
    f = jax.custom_vjp(functools.partial(_dilation, strides=strides, rates=rates, pads=pads, out_hw=out_hw))

    def fwd(x, w):
        best, *where = _dilation_scan(x, w, strides, rates, pads, out_hw)
        return best, (x, w, *where)

    def bwd(res, g):
        x, w, at_row, at_col, at_dy, at_dx = res
        return _input_kernel(x, at_row, at_col, g), _filter_kernel(w, at_dy, at_dx, g)

    f.defvjp(fwd, bwd)
    return f


def _dilation_tf_grad(x, f, *, strides, rates, pads, out_hw):
    return _dilation_twin(strides, rates, pads, out_hw)(x, f)


_dilation_prim = TFGradPrimitive(_dilation, _dilation_tf_grad, _DIL)


def _out_size(size, k, rate, stride, padding):
    """TF's windowed output size (C++ division) and low padding for the dilated filter."""
    eff = k + (k - 1) * (rate - 1)
    if stride <= 0:
        raise op_error(f"Stride must be > 0, but got {stride}", _DIL)
    if padding == "VALID":
        out = int((size - eff + stride) / stride)
        if out < 0:
            raise op_error(f"Computed output size would be negative: {out} [input_size: {size}, "
                           f"effective_filter_size: {eff}, stride: {stride}]", _DIL)
        return out, 0
    out = (size + stride - 1) // stride
    return out, max((out - 1) * stride + eff - size, 0) // 2


def _int_list(value, arg):
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Expected list for '{arg}' argument to 'dilation2d' Op, not {value!r}.")
    return [int(v) for v in value]


def _nhwc_only(data_format):
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. Received: "
                         f"data_format={data_format}")


def _dilation2d(x, f, strides, rates, padding):
    strides, rates = _int_list(strides, "strides"), _int_list(rates, "rates")
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    for attr, values in (("strides", strides), ("rates", rates)):
        if len(values) < 4:
            raise op_error(f"Length for attr '{attr}' of {len(values)} must be at least minimum 4\n\t; "
                           f"NodeDef: {{{{node {_DIL}}}}}; {_DIL_SUMMARY}", _DIL)
    if padding not in ("SAME", "VALID"):
        raise attr_not_allowed(_DIL, "padding", f'"{padding}"', '"SAME", "VALID"', _DIL_SUMMARY)
    x = tensor(x)
    if x.dtype.name not in _DIL_TYPES:
        raise dtype_not_allowed(_DIL, x.dtype, _DIL_KERNELS, _DIL_SUMMARY)
    x, f = binary(x, f, _DIL)
    if len(strides) != 4:
        raise op_error("Sliding window stride field must specify 4 dimensions", _DIL)
    if len(rates) != 4:
        raise op_error("Input stride (atrous rate) field must specify 4 dimensions", _DIL)
    if strides[0] != 1 or strides[3] != 1:
        raise UnimplementedError(None, None, "Stride is only supported across spatial dimensions. "
                                 f"[Op:{_DIL}] name: ")
    if rates[0] != 1 or rates[3] != 1:
        raise UnimplementedError(None, None, "Rate is only supported across spatial dimensions. "
                                 f"[Op:{_DIL}] name: ")
    shape, fshape = x._value.shape, f._value.shape
    if len(shape) != 4:
        raise op_error(f"input must be 4-dimensional{dims(shape)}", _DIL)
    if len(fshape) != 3:
        raise op_error(f"filter must be 3-dimensional: {dims(fshape)}", _DIL)
    if shape[3] != fshape[2]:
        raise op_error(f"input and filter must have the same depth: {shape[3]} vs {fshape[2]}", _DIL)
    rows, top = _out_size(shape[1], fshape[0], rates[1], strides[1], padding)
    cols, left = _out_size(shape[2], fshape[1], rates[2], strides[2], padding)
    return _dilation_prim(x, f, strides=(strides[1], strides[2]), rates=(rates[1], rates[2]),
                          pads=(top, left), out_hw=(rows, cols))


@defined("nn.dilation2d", primitive=_dilation_prim)
def dilation2d(input, filters, strides, padding, data_format, dilations, name=None):  # noqa: A002
    """Grayscale dilation: the max of `input + filters` over each window
    (`filters` is `[h, w, channels]`; strides and dilations 4 values, NHWC)."""
    _nhwc_only(data_format)
    return _dilation2d(input, filters, strides, dilations, padding)


@defined("nn.erosion2d")
def erosion2d(value, filters, strides, padding, data_format, dilations, name=None):
    """Grayscale erosion: the min of `value - filters` over each window, which
    TF computes as `-dilation2d(-value, filters reversed in h and w)`."""
    _nhwc_only(data_format)
    return negative(_dilation2d(negative(value), reverse(filters, [0, 1]), strides, dilations, padding))
