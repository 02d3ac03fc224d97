"""Convolutions of `tf.nn`: conv1d/2d/3d, convolution, conv1d/2d_transpose,
depthwise_conv2d, on `lax.conv_general_dilated` (gradients from its VJP).

Arguments are read as TF's Python wrappers read them (strides and dilations
as an int or a list of 1, N or N+2 values; padding "SAME", "VALID" or
explicit pairs), then checked as TF's eager op and CPU kernel check them, in
their order: the op's attributes and input dtypes, the kernel's constructor
(strides, dilations, padding), then the shapes at compute time. A kernel
whose output is empty returns before its later checks (the CPU kernels'
refusal of channels-first formats among them), and one whose input is empty
returns zeros. A transposed convolution is the gradient of the forward
convolution with respect to its input, computed as a convolution of the
stride-dilated input with the flipped filter (which also serves int32).
"""
from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.errors import InvalidArgumentError, UnimplementedError
from jaxtape._src.framework.messages import (attr_not_allowed, dims, dtype_not_allowed, kernel_dtype_name,
                                             op_error)
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.array.shape import expand_dims, squeeze
from jaxtape._src.ops.nn.dtype_checks import FLOAT_KERNELS, FLOAT_TYPES
from jaxtape._src.ops.nn import window
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import binary, host_array, tensor
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
    flat = x.reshape((int(np.prod(lead, dtype=np.int64)),) + x.shape[-n - 1:])
    y = lax.conv_general_dilated(flat, w, strides, padding, rhs_dilation=dilations,
                                 dimension_numbers=_numbers(n), feature_group_count=groups)
    return y.reshape(lead + y.shape[1:])


@primitive(name="Conv")
def _zeros(x, w, *, shape):
    """What a kernel with nothing to compute gives: an empty output, or zeros
    where the input is empty and the output only padding."""
    return jnp.zeros(shape, x.dtype)


# -- TF's Python-side argument handling -----------------------------------------------

def _sequence(value, n, channel_index, name):
    """TF's `_get_sequence`: an int or 1, n or n+2 values -> n+2 ints (the two
    non-spatial ones first when `channel_index` is 1, else around them)."""
    if value is None:
        return [1] * (n + 2)
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__len__"):
        value = [value]
    value = [int(v) for v in value]
    if len(value) == n + 2:
        return value
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: "
                         f"{name}={value} of length {len(value)}")
    return [1, 1] + value if channel_index == 1 else [1] + value + [1]


def _convert_padding(padding, expected=4):
    """TF's `convert_padding`: ("SAME" | "VALID" | other, None) or ("EXPLICIT", pairs)."""
    if isinstance(padding, str) and padding == "EXPLICIT":
        raise ValueError("'EXPLICIT' is not a valid value for `padding`. To use explicit padding, "
                         "`padding` must be a list.")
    if not isinstance(padding, (list, tuple)):
        return padding, None
    for i, pair in enumerate(padding):
        if not isinstance(pair, (list, tuple)):
            raise ValueError("When `padding` is a list, each element of `padding` must be a list/tuple "
                             f"of size 2. Received: padding={padding} with element at index {i} of type "
                             f"{type(pair)}")
        if len(pair) != 2:
            raise ValueError("When `padding` is a list, each element of `padding` must be a list/tuple "
                             f"of size 2. Received: padding={padding} with element at index {i} of size "
                             f"{len(pair)}")
    if len(padding) != expected:
        raise ValueError(f"When padding is a list, it must be of size {expected}. Received: "
                         f"padding={padding} of size {len(padding)}")
    return "EXPLICIT", [[int(v) for v in pair] for pair in padding]


def _string_padding(padding):
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")


# -- the eager op's and the kernel's checks ---------------------------------------------

def _operands(x, w, op):
    """Both operands converted as TF's op converts them; a dtype mismatch of two
    tensors is returned (TF reports it after the op's attributes), not raised."""
    try:
        x, w = binary(x, w, op)
        return x, w, None
    except InvalidArgumentError as e:
        return tensor(x), tensor(w), e


@functools.lru_cache(maxsize=None)
def _paddings(op):
    """The padding names `op` registers."""
    return tuple(name.strip('"') for name in kernel_dtypes.padding_values(op).split(", "))


def _attrs(op, fmt, formats, padding, t, types, kernels, named=True):
    """The attribute checks of TF's op. TF validates its attributes in the
    order of a hash map; jaxtape's fixed order is data_format, padding, T."""
    if fmt not in formats:
        raise attr_not_allowed(op, "data_format", f'"{fmt}"', ", ".join(f'"{f}"' for f in formats),
                               kernel_dtypes.summary(op), named)
    if padding not in _paddings(op):
        raise attr_not_allowed(op, "padding", f'"{padding}"', kernel_dtypes.padding_values(op),
                               kernel_dtypes.summary(op), named)
    if t.dtype.name not in types:
        raise dtype_not_allowed(op, t.dtype, kernels, kernel_dtypes.summary(op), named=named)


def _unimplemented(message, op, named=True):
    return UnimplementedError(None, None, f"{message} [Op:{op}]" + (" name: " if named else ""))


def _check_padding(padding, explicit, rank, channel, op, named=True):
    """TF's `CheckValidPadding`; returns the spatial (lo, hi) pairs or the name."""
    if padding != "EXPLICIT":
        return padding
    flat = [v for pair in explicit for v in pair] if explicit else []
    if len(flat) != 2 * rank:
        raise op_error(f"explicit_paddings attribute must contain {2 * rank} values, but got: "
                       f"{len(flat)}", op, named)
    if any(v < 0 for v in flat):
        raise op_error("All elements of explicit_paddings must be nonnegative", op, named)
    if any(explicit[d] != [0, 0] for d in (0, channel)):
        raise op_error("Nonzero explicit padding in the batch or depth dimensions is not supported",
                       op, named)
    return tuple(tuple(explicit[d]) for d in range(rank) if d not in (0, channel))


def _cdiv(a, b):
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _out_size(size, k, dilation, stride, pad, op, named=True):
    """TF's `GetWindowedOutputSizeVerbose`: the output size, or its error."""
    eff = (k - 1) * dilation + 1
    if pad == "SAME":
        out = _cdiv(size + stride - 1, stride)
    else:
        lo, hi = (0, 0) if pad == "VALID" else pad
        out = _cdiv(size + lo + hi - eff + stride, stride)
    if out < 0:
        raise op_error(f"Computed output size would be negative: {out} [input_size: {size}, "
                       f"effective_filter_size: {eff}, stride: {stride}]", op, named)
    return out


def _spatial_pad(pads, i):
    return pads if isinstance(pads, str) else pads[i]


# -- Conv2D ------------------------------------------------------------------------------

def _conv2d_op(input, filters, strides, padding, explicit, data_format, dilations):  # noqa: A002
    """TF's Conv2D op (its input may have extra batch dims, which TF's Python
    folds): the checks in TF's order, then the convolution."""
    op = "Conv2D"
    _string_padding(padding)
    x, w, mismatch = _operands(input, filters, op)
    fmt = data_format
    _attrs(op, fmt, ("NHWC", "NCHW"), padding, x, _CONV_TYPES, _CONV_KERNELS)
    if mismatch is not None:
        raise mismatch
    # The kernel's constructor.
    h, wd, c = (2, 3, 1) if fmt == "NCHW" else (1, 2, 3)
    if len(dilations) != 4:
        raise op_error("Sliding window dilations field must specify 4 dimensions", op)
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", op)
    if strides[0] != 1 or strides[c] != 1:
        raise _unimplemented("Current implementation does not yet support strides in the batch and "
                             "depth dimensions.", op)
    if strides[h] <= 0 or strides[wd] <= 0:
        raise op_error("Row and column strides should be larger than 0.", op)
    if dilations[0] != 1 or dilations[c] != 1:
        raise _unimplemented("Current implementation does not yet support dilations in the batch and "
                             "depth dimensions.", op)
    if dilations[h] <= 0 or dilations[wd] <= 0:
        raise op_error("Dilated rates should be larger than 0.", op)
    pads = _check_padding(padding, explicit, 4, c, op)
    # Compute.
    full = tuple(x._meta.shape)
    lead = full[:-3] if len(full) > 4 else full[:1]
    xs = (int(np.prod(lead, dtype=np.int64)),) + full[-3:] if len(full) > 4 else full
    ws = tuple(w._meta.shape)
    if len(xs) != 4:
        raise op_error(f"convolution input must be 4-dimensional: {dims(xs)}", op)
    if len(ws) != 4:
        raise op_error(f"convolution filter must be 4-dimensional: {dims(ws)}", op)
    in_depth, patch_depth, out_depth = xs[c], ws[2], ws[3]
    if patch_depth <= 0:
        raise op_error(f"filter depth must be stricly positive, got {patch_depth}", op)
    if in_depth % patch_depth:
        raise op_error(f"input depth must be evenly divisible by filter depth: {in_depth} vs "
                       f"{patch_depth}", op)
    rows = _out_size(xs[h], ws[0], dilations[h], strides[h], _spatial_pad(pads, 0), op)
    cols = _out_size(xs[wd], ws[1], dilations[wd], strides[wd], _spatial_pad(pads, 1), op)
    inner = (out_depth, rows, cols) if fmt == "NCHW" else (rows, cols, out_depth)
    if 0 in (xs[0],) + inner or 0 in xs:
        return _zeros(x, w, shape=tuple(lead) + inner)
    if fmt != "NHWC":
        raise _unimplemented("The Conv2D op currently only supports the NHWC tensor format on the "
                             f"CPU. The op was given the format: {fmt}", op)
    if 0 in ws:
        raise op_error("filter must not have zero elements (i.e. all dimensions must be non-zero)", op)
    groups = in_depth // patch_depth
    if out_depth % groups or out_depth < groups:
        raise op_error(f"output depth must be evenly divisible by number of groups: {out_depth} vs "
                       f"{groups}", op)
    return _conv(x, w, strides=(strides[h], strides[wd]), padding=pads,
                 dilations=(dilations[h], dilations[wd]), groups=groups)


@defined("nn.conv2d")
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """2-D convolution of `[batch..., H, W, C]` with `[h, w, C/groups, out]` filters."""
    padding, explicit = _convert_padding(padding)
    if data_format is None:
        data_format = "NHWC"
    channel_index = 1 if data_format.startswith("NC") else 3
    strides = _sequence(strides, 2, channel_index, "strides")
    dilations = _sequence(dilations, 2, channel_index, "dilations")
    return _conv2d_op(input, filters, strides, padding, explicit, data_format, dilations)


@defined("nn.conv1d")
def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    """As TF: a conv2d over an inserted height-1 dimension."""
    spatial_start, channel_index, fmt2d = window.layout_1d(data_format)
    # The inserted dimension sits right after the batch: H of NHWC or of NCHW.
    stride = [1] + _sequence(stride, 1, channel_index, "stride")
    dilations = [1] + _sequence(dilations, 1, channel_index, "dilations")
    x = expand_dims(input, spatial_start)
    w = expand_dims(filters, 0)
    y = _conv2d_op(x, w, stride, padding, None, fmt2d, dilations)
    return squeeze(y, [spatial_start])


# -- Conv3D ------------------------------------------------------------------------------

def _window_3d(values, spatial, c, op, field, what, positive):
    """Conv3D's kernel checks of its strides or dilations, with its texts."""
    if len(values) != 5:
        raise op_error(f"{field} field must specify 5 dimensions", op)
    if values[0] != 1 or values[c] != 1:
        raise op_error(f"Current implementation does not yet support {what} in the batch and depth "
                       "dimensions.", op)
    if any(values[d] <= 0 for d in spatial):
        raise op_error(f"{positive} should be larger than 0.", op)


def _conv3d_op(input, filters, strides, padding, data_format, dilations):  # noqa: A002
    """TF's Conv3D op (extra batch dims folded as TF's Python folds them)."""
    op = "Conv3D"
    if not isinstance(strides, (list, tuple)):
        raise TypeError(f"Expected list for 'strides' argument to 'conv3d' Op, not {strides!r}.")
    _string_padding(padding)
    fmt = "NDHWC" if data_format is None else data_format
    if not isinstance(dilations, (list, tuple)):
        raise TypeError(f"Expected list for 'dilations' argument to 'conv3d' Op, not {dilations!r}.")
    strides, dilations = [int(s) for s in strides], [int(d) for d in dilations]
    if len(strides) < 5:
        raise op_error(f"Length for attr 'strides' of {len(strides)} must be at least minimum 5\n\t; "
                       f"NodeDef: {{{{node {op}}}}}; {kernel_dtypes.summary(op)}", op)
    x, w, mismatch = _operands(input, filters, op)
    _attrs(op, fmt, ("NDHWC", "NCDHW"), padding, x, FLOAT_TYPES, FLOAT_KERNELS)
    if mismatch is not None:
        raise mismatch
    spatial, c = ((2, 3, 4), 1) if fmt == "NCDHW" else ((1, 2, 3), 4)
    _window_3d(strides, spatial, c, op, "Sliding window strides", "strides", "Spatial strides")
    _window_3d(dilations, spatial, c, op, "Dilation rates", "dilation rates", "Dilated rates")
    full = tuple(x._meta.shape)
    lead = full[:-4] if len(full) > 5 else full[:1]
    xs = (int(np.prod(lead, dtype=np.int64)),) + full[-4:] if len(full) > 5 else full
    ws = tuple(w._meta.shape)
    if len(xs) != 5:
        raise op_error("input must be 5-dimensional", op)
    if len(ws) != 5:
        raise op_error("filter must be 5-dimensional", op)
    in_depth, filter_depth, out_depth = xs[c], ws[3], ws[4]
    if filter_depth == 0:
        raise op_error("filter_depth must be non-zero", op)
    if in_depth % filter_depth:
        raise op_error(f"Input depth must be evenly divisible by filter depth: {in_depth} vs "
                       f"{filter_depth}", op)
    if 0 in ws:
        raise op_error("filter must not have zero elements (i.e. all dimensions must be non-zero)", op)
    out = [_out_size(xs[d], ws[i], dilations[d], strides[d], padding, op) for i, d in enumerate(spatial)]
    inner = tuple([out_depth] + out if fmt == "NCDHW" else out + [out_depth])
    if 0 in (xs[0],) + inner:
        return _zeros(x, w, shape=tuple(lead) + inner)
    if fmt != "NDHWC":
        raise op_error("CPU implementation of Conv3D currently only supports the NHWC tensor format.", op)
    if any(dilations[d] != 1 for d in spatial):
        raise op_error("CPU implementation of Conv3D currently only supports dilated rates of 1.", op)
    if filter_depth != in_depth:
        raise op_error(f"Number of channels in filter ({filter_depth}) must match last dimension of "
                       f"input ({in_depth})", op)
    return _conv(x, w, strides=tuple(strides[1:4]), padding=padding, dilations=(1, 1, 1), groups=1)


@defined("nn.conv3d")
def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    return _conv3d_op(input, filters, strides, padding, data_format,
                      [1, 1, 1, 1, 1] if dilations is None else dilations)


@defined("nn.convolution")
def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None,  # noqa: A002
                name=None):
    """N-D convolution; N is the filter's rank minus 2 (1, 2 or 3)."""
    w = tensor(filters)
    x = tensor(input)
    n = w.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(f"`num_spatial_dims` must be 1, 2, or 3. Received: num_spatial_dims={n}.")
    batch_dims = x.ndim - n - 1
    channels_last = data_format is None or not data_format.startswith("NC")
    channel_index = batch_dims + n if channels_last else batch_dims
    dilated = dilations is not None
    dilations = _sequence(dilations, n, channel_index, "dilations")
    strides = _sequence(strides, n, channel_index, "strides")
    if dilated and any(d != 1 for d in dilations):
        # TF's `Convolution`: space-to-batch around an undilated convolution.
        from jaxtape._src.ops.nn import conv_variants  # late: a cycle, conv_variants builds on this module
        return conv_variants.dilated_convolution(x, w, strides, padding, data_format, dilations, n)
    if n == 1:
        return conv1d(x, w, strides, padding, data_format or "NWC", dilations)
    if n == 2:
        return _conv2d_op(x, w, strides, padding, None, data_format or "NHWC", dilations)
    return _conv3d_op(x, w, strides, padding, data_format or "NDHWC", dilations)


# -- transposed convolution -------------------------------------------------------

@primitive(name="ConvTranspose")
def _conv_transpose(dy, w, *, strides, padding):
    """Conv2DBackpropInput: the stride-dilated `dy` convolved with the spatially
    flipped filter (`[h, w, out, in]`: HWOI for this convolution)."""
    return lax.conv_general_dilated(dy, w[::-1, ::-1], (1, 1), padding, lhs_dilation=strides,
                                    dimension_numbers=("NHWC", "HWOI", "NHWC"))


_BPI = "Conv2DBackpropInput"
_PREFIX = "Conv2DCustomBackpropInput: "


def _input_sizes(sizes, op):
    """TF's conversion of `input_sizes` to int32: (values, error to raise after
    the op's attribute checks or None)."""
    if is_tensor(sizes):
        t = tensor(sizes)
        values = host_array(t, op, "input_sizes")
        if t.dtype.name != "int32":
            return values, op_error(f"cannot compute {op} as input #0(zero-based) was expected to be "
                                    f"a int32 tensor but is a {kernel_dtype_name(t.dtype)} tensor", op)
        return values, None
    if hasattr(sizes, "as_list"):
        sizes = sizes.as_list()
    values = np.asarray(sizes)
    if values.dtype.kind not in "iub" and values.size:
        raise TypeError(f"Cannot convert {sizes!r} to EagerTensor of dtype int32")
    return values.astype(np.int64), None


def _conv2d_backprop_input(sizes, filters, dy, strides, padding, explicit, data_format, dilations):
    """TF's Conv2DBackpropInput op on the CPU, its checks in TF's order."""
    op = _BPI
    named = not isinstance(sizes, (list, tuple))  # a list sends TF down its slow path
    _string_padding(padding)
    values, sizes_error = _input_sizes(sizes, op)
    w, g, mismatch = _operands(filters, dy, op)
    fmt = data_format
    _attrs(op, fmt, ("NHWC", "NCHW"), padding, w, _CONV_TYPES, _CONV_KERNELS, named)
    if sizes_error is not None:
        raise sizes_error
    if mismatch is not None:
        raise op_error(f"cannot compute {op} as input #2(zero-based) was expected to be a "
                       f"{kernel_dtype_name(w.dtype)} tensor but is a {kernel_dtype_name(g.dtype)} "
                       "tensor", op, named)
    # The kernel's constructor (the CPU kernel takes NHWC only).
    if fmt != "NHWC":
        raise op_error("Conv2DCustomBackpropInputOp only supports NHWC.", op, named)
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", op, named)
    if strides[0] != 1 or strides[3] != 1:
        raise _unimplemented("Current implementation does not yet support strides in the batch and "
                             "depth dimensions.", op, named)
    if strides[1] <= 0 or strides[2] <= 0:
        raise op_error("Row and column strides should be larger than 0.", op, named)
    if len(dilations) != 4:
        raise op_error("Sliding window dilations field must specify 4 dimensions", op, named)
    if dilations[0] != 1 or dilations[3] != 1:
        raise _unimplemented("Current implementation does not yet support dilations in the batch and "
                             "depth dimensions.", op, named)
    if dilations[1] != 1 or dilations[2] != 1:
        raise op_error("Current CPU implementations do not yet support dilation rates larger than 1.",
                       op, named)
    pads = _check_padding(padding, explicit, 4, 3, op, named)
    # Compute.
    gs, ws = tuple(g._meta.shape), tuple(w._meta.shape)
    if len(gs) != 4:
        raise op_error(f"input_sizes must be 4-dimensional, got: {len(gs)}", op, named)
    if values.ndim != 1:
        raise op_error(f"Conv2DBackpropInput: input_sizes input must be 1-dim, not {values.ndim}", op, named)
    if len(values) == 4:
        for d in values:
            if d < 0:
                raise op_error(f"Dimension {d} must be >= 0", op, named)
        out = [int(d) for d in values]
    elif len(values) == 2:
        if len(ws) < 3:
            raise op_error(f"{_PREFIX}filter must be 4-dimensional", op, named)
        if values[0] < 0 or values[1] < 0:
            raise op_error(f"Conv2DBackpropInput: elements of input_sizes must be >= 0, not "
                           f"{values[0]}x{values[1]}", op, named)
        out = [gs[0], int(values[0]), int(values[1]), ws[2]]
    else:
        raise op_error(f"{op} requires input_sizes to contain 4 values or 2 values, but got: "
                       f"{len(values)}", op, named)
    if len(ws) != 4:
        raise op_error(f"{_PREFIX}filter must be 4-dimensional", op, named)
    if out[0] != gs[0]:
        raise op_error(f"{_PREFIX}input and out_backprop must have the same batch size. Input batch: "
                       f"{out[0]}, outbackprop batch: {gs[0]}, batch_dim: 0", op, named)
    if ws[2] <= 0:
        raise op_error(f"{_PREFIX}filter depth must be strictly greated than zero", op, named)
    if out[3] % ws[2]:
        raise op_error(f"{_PREFIX}input depth must be evenly divisible by filter depth", op, named)
    if ws[3] != gs[3]:
        raise op_error(f"{_PREFIX}filter and out_backprop must have the same out_depth", op, named)
    conv_pads = []
    for i in (1, 2):
        size, k, s, p = out[i], ws[i - 1], strides[i], _spatial_pad(pads, i - 1)
        computed = _out_size(size, k, 1, s, p, op, named)
        if computed != gs[i]:
            raise op_error(
                f"{_PREFIX}Size of out_backprop doesn't match computed: actual = {gs[i]}, computed = "
                f"{computed} spatial_dim: {i} input: {size} filter: {k} output: {gs[i]} stride: {s} "
                "dilation: 1", op, named)
        if p == "SAME":
            before = max((computed - 1) * s + k - size, 0) // 2
        else:
            before = 0 if p == "VALID" else p[0]
        # The padding of the stride-dilated out_backprop that gives `size` outputs.
        conv_pads.append((k - 1 - before, size - (computed - 1) * s - 1 + before))
    if out[3] != ws[2]:
        raise op_error("Gradients for grouped convolutions are not supported on CPU. Please file a "
                       f"feature request if you run into this issue. Computed input depth {out[3]} "
                       f"doesn't match filter input depth {ws[2]}", op, named)
    if 0 in out or 0 in gs or 0 in ws:
        return _zeros(g, w, shape=tuple(out))
    return _conv_transpose(g, w, strides=(strides[1], strides[2]), padding=tuple(conv_pads))


@defined("nn.conv2d_transpose")
def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",  # noqa: A002
                     dilations=None, name=None):
    """The gradient of conv2d with respect to an input of `output_shape`;
    filters are `[h, w, out_channels, in_channels]`."""
    if data_format is None:
        data_format = "NHWC"
    channel_index = 1 if data_format.startswith("NC") else 3
    strides = _sequence(strides, 2, channel_index, "strides")
    dilations = _sequence(dilations, 2, channel_index, "dilations")
    padding, explicit = _convert_padding(padding)
    return _conv2d_backprop_input(output_shape, filters, input, strides, padding, explicit, data_format,
                                  dilations)


@defined("nn.conv1d_transpose")
def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    """As TF: conv2d_transpose over a height-1 dimension inserted after the
    batch (TF concatenates `output_shape` into a tensor)."""
    if data_format not in (None, "NWC", "NCW"):  # conv1d also takes the 2-D names; this does not
        raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}")
    _, channel_index, fmt2d = window.layout_1d(data_format)
    strides = [1] + _sequence(strides, 1, channel_index, "stride")
    dilations = [1] + _sequence(dilations, 1, channel_index, "dilations")
    at = 1 if fmt2d == "NHWC" else 2
    x = expand_dims(input, at)
    w = expand_dims(filters, 0)
    if is_tensor(output_shape):
        t = tensor(output_shape)
        values = host_array(t, _BPI, "output_shape").reshape(-1).tolist()
        dtype = t.dtype.name
    else:
        values = list(output_shape)
        kinds = {np.asarray(v).dtype.kind for v in values}
        dtype = "int32" if kinds <= {"i", "u", "b"} else "float32"
    values = values[:at] + [1] + values[at:]
    sizes = tensor(np.asarray(values, dtype=dtype))
    y = _conv2d_backprop_input(sizes, w, x, strides, padding, None, fmt2d, dilations)
    return squeeze(y, [at])


# -- depthwise --------------------------------------------------------------------

@primitive(name="DepthwiseConv2dNative")
def _depthwise(x, f, *, strides, padding):
    kh, kw, c, m = f.shape
    return lax.conv_general_dilated(x, f.reshape(kh, kw, 1, c * m), strides, padding,
                                    dimension_numbers=_numbers(2), feature_group_count=c)


def _depthwise_kernel(x, f, strides, padding):
    """DepthwiseConv2dNative's computation (NHWC; its checks are the caller's):
    each input channel convolved with its own `multiplier` filters."""
    xs, fs = x._meta.shape, f._meta.shape
    out = [_out_size(xs[1 + i], fs[i], 1, strides[1 + i], _spatial_pad(padding, i),
                     "DepthwiseConv2dNative") for i in (0, 1)]
    shape = (xs[0], out[0], out[1], fs[2] * fs[3])
    if 0 in shape or 0 in xs or 0 in fs:
        return _zeros(x, f, shape=shape)
    return _depthwise(x, f, strides=(strides[1], strides[2]), padding=padding)
