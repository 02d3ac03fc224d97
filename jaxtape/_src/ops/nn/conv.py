"""Convolutions of `tf.nn`: conv1d/2d/3d, convolution, conv1d/2d_transpose,
depthwise_conv2d, on `lax.conv_general_dilated` (gradients from its VJP).

Arguments are read as TF reads them (strides and dilations as an int or a
list of 1, N or N+2 values; padding "SAME", "VALID" or explicit pairs) and
TF's CPU kernels' checks are kept, including their refusal of channels-first
formats. A transposed convolution is the VJP of the forward convolution with
respect to its input, which is exactly TF's definition of it.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.errors import NotImplementedInJaxtape, UnimplementedError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.array.shape import expand_dims, reshape, squeeze
from jaxtape._src.ops.nn.dtype_checks import FLOAT_KERNELS, FLOAT_TYPES, check_dtype
from jaxtape._src.ops.nn import window
from jaxtape._src.ops.support.args import binary, static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_CONV_TYPES = FLOAT_TYPES | {"int32"}
_CONV_KERNELS = FLOAT_KERNELS + ", int32"
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _numbers(spatial: int):
    s = _SPATIAL[spatial]
    return (f"N{s}C", f"{s}IO", f"N{s}C")


@primitive(name="Conv")
def _conv(x, w, *, strides, padding, dilations, groups):
    """Channels-last convolution; leading dims beyond one batch dim are folded."""
    n = w.ndim - 2
    lead = x.shape[:-n - 1]
    flat = x.reshape((-1,) + x.shape[-n - 1:])
    y = lax.conv_general_dilated(flat, w, strides, padding, rhs_dilation=dilations,
                                 dimension_numbers=_numbers(n), feature_group_count=groups)
    return y.reshape(lead + y.shape[1:])


def _operands(x, w, op, kernels=_CONV_TYPES, kernel_names=_CONV_KERNELS):
    x, w = binary(x, w, op)
    return check_dtype(x, op, kernels, kernel_names), w


def _check_spatial(strides, dilations, op):
    if strides[0] != 1 or strides[-1] != 1:
        raise UnimplementedError(None, None, "Current implementation does not yet support strides "
                                 f"in the batch and depth dimensions. [Op:{op}] name: ")
    if dilations[0] != 1 or dilations[-1] != 1:
        raise op_error("Current implementation does not yet support dilations in the batch and "
                       "depth dimensions.", op)
    if op == "Conv2D" and min(strides) < 1:  # Conv2D's kernel has its own texts
        raise op_error("Row and column strides should be larger than 0.", op)
    if op == "Conv2D" and min(dilations) < 1:
        raise op_error("Dilated rates should be larger than 0.", op)
    if min(strides) < 1 or min(dilations) < 1:
        raise op_error("Sliding window strides and dilations must be positive", op)


def _nhwc_only(data_format, op):
    raise UnimplementedError(None, None, f"The {op} op currently only supports the NHWC tensor "
                             f"format on the CPU. The op was given the format: {data_format} "
                             f"[Op:{op}] name: ")


def _convnd(input, filters, strides, padding, data_format, dilations, n):  # noqa: A002
    op = f"Conv{n}D" if n > 1 else "Conv2D"
    channels_first = data_format is not None and data_format.startswith("NC")
    x, w = _operands(input, filters, op)
    rank = n + 2
    if x.ndim < rank if n == 2 else x.ndim != rank:
        raise op_error(f"convolution input must be {rank}-dimensional: {dims(x._value.shape)}", op)
    if w.ndim != rank:
        raise op_error(f"convolution filter must be {rank}-dimensional: {dims(w._value.shape)}", op)
    channel_index = 1 if channels_first else n + 1
    strides = window.sequence(strides, n, channel_index, "strides")
    dilations = window.sequence(dilations, n, channel_index, "dilations")
    pad = window.padding(padding, n, op)
    in_depth = x._value.shape[x.ndim - rank + channel_index]
    filter_depth = w._value.shape[n]
    if filter_depth == 0 or in_depth % filter_depth:
        raise op_error(f"input depth must be evenly divisible by filter depth: {in_depth} vs "
                       f"{filter_depth}", op)
    if channels_first:
        _nhwc_only(data_format, op)
    _check_spatial(strides, dilations, op)
    window.check_output_sizes(x._value.shape[-n - 1:-1], w._value.shape[:n], strides[1:-1],
                              dilations[1:-1], pad, op)
    return _conv(x, w, strides=tuple(strides[1:-1]), padding=pad,
                 dilations=tuple(dilations[1:-1]), groups=in_depth // filter_depth)


@defined("nn.conv2d")
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """2-D convolution of `[batch..., H, W, C]` with `[h, w, C/groups, out]` filters."""
    return _convnd(input, filters, strides, padding, data_format, dilations, 2)


@defined("nn.conv3d")
def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    return _convnd(input, filters, strides, padding, data_format, dilations, 3)


@defined("nn.conv1d")
def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    """As TF: a conv2d over an inserted height-1 dimension."""
    spatial_start, channel_index, fmt2d = window.layout_1d(data_format)
    if isinstance(padding, (list, tuple)):
        raise TypeError(f"Expected string for argument 'padding' not {padding}.")
    # The inserted dimension sits right after the batch: H of NHWC or of NCHW.
    stride = [1] + window.sequence(stride, 1, channel_index, "stride")
    dilations = [1] + window.sequence(dilations, 1, channel_index, "dilations")
    x = expand_dims(input, spatial_start)
    w = expand_dims(filters, 0)
    y = _convnd(x, w, stride, padding, fmt2d, dilations, 2)
    return squeeze(y, [spatial_start])


@defined("nn.convolution")
def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None,  # noqa: A002
                name=None):
    """N-D convolution; N is the filter's rank minus 2 (1, 2 or 3)."""
    n = tensor(filters).ndim - 2
    if n == 1:
        return conv1d(input, filters, 1 if strides is None else strides, padding,
                      data_format or "NWC", dilations)
    if n == 2:
        return conv2d(input, filters, 1 if strides is None else strides, padding,
                      data_format or "NHWC", dilations)
    if n == 3:
        return conv3d(input, filters, 1 if strides is None else strides, padding,
                      data_format or "NDHWC", dilations)
    raise ValueError("`filters.shape.rank` must be between 3 and 5 (inclusive). Received: "
                     f"filters.shape.rank={n + 2}")


# -- transposed convolution -------------------------------------------------------

@primitive(name="ConvTranspose")
def _conv_transpose(x, w, *, out_shape, strides, padding, groups):
    def forward(z):
        return _conv.fn(z, w, strides=strides, padding=padding,
                        dilations=(1,) * len(strides), groups=groups)
    _, pull = jax.vjp(forward, jnp.zeros(out_shape, x.dtype))
    return pull(x)[0]


def _conv_out(size, k, s, d, padding):
    k = (k - 1) * d + 1
    if padding == "SAME":
        return -(-size // s)
    if padding == "VALID":
        return (size - k + s) // s if size >= k else 0
    lo, hi = padding
    return (size + lo + hi - k) // s + 1


_BPI = "Conv2DBackpropInput"


@defined("nn.conv2d_transpose")
def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",  # noqa: A002
                     dilations=None, name=None):
    """The gradient of conv2d with respect to an input of `output_shape`;
    filters are `[h, w, out_channels, in_channels]`."""
    x, w = _operands(input, filters, _BPI)
    out = list(static_shape(output_shape))
    if len(out) not in (2, 4):
        raise op_error(f"{_BPI} requires input_sizes to contain 4 values or 2 values, but got: "
                       f"{len(out)}", _BPI)
    if x.ndim != 4:
        raise op_error(f"input_sizes must be 4-dimensional, got: {x.ndim}", _BPI)
    if w.ndim != 4:
        raise op_error(f"filter must be 4-dimensional: {dims(w._value.shape)}", _BPI)
    channels_first = data_format is not None and data_format.startswith("NC")
    channel_index = 1 if channels_first else 3
    strides = window.sequence(strides, 2, channel_index, "strides")
    dilations = window.sequence(dilations, 2, channel_index, "dilations")
    pad = window.padding(padding, 2, _BPI)
    if len(out) == 2:
        out = [x._value.shape[0]] + out + [w._value.shape[2]]
    prefix = "Conv2DCustomBackpropInput: "
    if x._value.shape[3] != w._value.shape[3]:
        raise op_error(prefix + "filter and out_backprop must have the same out_depth", _BPI)
    if w._value.shape[2] == 0 or out[3] % w._value.shape[2]:
        raise op_error(prefix + "input depth must be evenly divisible by filter depth", _BPI)
    if channels_first:
        _nhwc_only(data_format, _BPI)
    if max(dilations) > 1:
        raise op_error("Current CPU implementations do not yet support dilation rates larger "
                       "than 1.", _BPI)
    _check_spatial(strides, dilations, _BPI)
    for i in (1, 2):
        p = pad if isinstance(pad, str) else pad[i - 1]
        computed = _conv_out(out[i], w._value.shape[i - 1], strides[i], 1, p)
        if computed != x._value.shape[i]:
            raise op_error(
                f"{prefix}Size of out_backprop doesn't match computed: actual = {x._value.shape[i]}, "
                f"computed = {computed} spatial_dim: {i} input: {out[i]} filter: "
                f"{w._value.shape[i - 1]} output: {x._value.shape[i]} stride: {strides[i]} "
                f"dilation: 1", _BPI)
    # TF's filter is [h, w, out, in]: as a forward filter (in = out_shape's C) it is HWIO.
    return _conv_transpose(x, w, out_shape=tuple(out), strides=tuple(strides[1:3]), padding=pad,
                           groups=out[3] // w._value.shape[2])


@defined("nn.conv1d_transpose")
def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    spatial_start, channel_index, fmt2d = window.layout_1d(data_format)
    strides = window.sequence(strides, 1, channel_index, "strides")
    dilations = window.sequence(dilations, 1, channel_index, "dilations")
    strides.insert(1, 1)
    dilations.insert(1, 1)
    out = list(static_shape(output_shape))
    out.insert(len(out) + spatial_start + 1, 1)
    y = conv2d_transpose(expand_dims(input, spatial_start), expand_dims(filters, 0),
                         out, strides, padding, fmt2d, dilations)
    return squeeze(y, [spatial_start])


# -- depthwise --------------------------------------------------------------------

_DW = "DepthwiseConv2dNative"


@defined("nn.depthwise_conv2d")
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """Each input channel convolved with its own `channel_multiplier` filters:
    `filter` is `[h, w, in_channels, multiplier]`, output channels in * multiplier."""
    x, w = _operands(input, filter, _DW, FLOAT_TYPES, FLOAT_KERNELS)
    rate = [1, 1] if dilations is None else (
        [int(dilations)] * 2 if isinstance(dilations, int) else [int(d) for d in dilations])
    if len(rate) != 2:
        raise ValueError(f"`input.shape.rank` must be at least {len(rate) + 2}. Received: "
                         f"input.shape={x.shape} with rank {x.ndim}")
    strides = [int(s) for s in strides]
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", _DW)
    if x.ndim != 4:
        raise op_error(f"input must be 4-dimensional{dims(x._value.shape)}", _DW)
    if w.ndim != 4:
        raise op_error(f"filter must be 4-dimensional: {dims(w._value.shape)}", _DW)
    channels_first = data_format is not None and data_format.startswith("NC")
    in_depth = x._value.shape[1 if channels_first else 3]
    if in_depth != w._value.shape[2]:
        raise op_error(f"input and filter must have the same depth: {in_depth} vs "
                       f"{w._value.shape[2]}", _DW)
    if channels_first:
        raise UnimplementedError(None, None, "Depthwise convolution on CPU is only supported for "
                                 f"NHWC format [Op:{_DW}] name: ")
    if max(rate) > 1 and max(strides) > 1:
        # TF warns and runs the strided conv on space-to-batch blocks, which is
        # not a strided dilated convolution; jaxtape does not reproduce that.
        raise NotImplementedInJaxtape("jaxtape does not implement tf.nn.depthwise_conv2d with both "
                                      "dilations > 1 and strides > 1 (TF warns it is unsupported)")
    _check_spatial(strides, [1, 1, 1, 1], _DW)
    if strides[1] != strides[2]:
        raise op_error("Current implementation only supports equal length strides in the row and "
                       "column dimensions.", _DW)
    pad = window.padding(padding, 2, _DW)
    kh, kw, c, m = w._value.shape
    w = reshape(w, [kh, kw, 1, c * m])
    return _conv(x, w, strides=tuple(strides[1:3]), padding=pad, dilations=tuple(rate), groups=c)
