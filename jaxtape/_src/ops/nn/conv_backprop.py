"""Convolution gradients as ops of their own: conv3d_transpose, the N-d
conv_transpose dispatcher, TF's raw Conv op, Conv2DBackpropInput / Filter
(compat.v1), the V2 raw ops (no CPU kernel in TF; computed here as the V1 ops) and the
depthwise backprops.

Each backprop is the vector-Jacobian product of the forward convolution
(`lax.conv_general_dilated`) at a zero primal of the requested size, so its
value is TF's and its own gradients (both linear) are TF's registered ones.
Shapes and arguments are checked as TF's CPU kernels check them, with their
texts; TF's raw Conv has no registered gradient (LookupError, as TF).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.errors import UnimplementedError
from jaxtape._src.framework.messages import dtype_not_allowed, named_by, op_error
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.nn.conv import (_cdiv, _conv2d_backprop_input, _convert_padding, _numbers, _operands,
                                      _sequence, conv1d_transpose, conv2d_transpose)
from jaxtape._src.ops.nn.dtype_checks import FLOAT_KERNELS, FLOAT_TYPES
from jaxtape._src.ops.nn.pool_argmax import without_gradient
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


_SUMMARIES = {"Conv2DBackpropFilter": (
    "Op<name=Conv2DBackpropFilter; signature=input:T, filter_sizes:int32, out_backprop:T -> output:T; "
    "attr=T:type,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE]; attr=strides:list(int); "
    'attr=use_cudnn_on_gpu:bool,default=true; attr=padding:string,allowed=["SAME", "VALID", "EXPLICIT"]; '
    'attr=explicit_paddings:list(int),default=[]; attr=data_format:string,default="NHWC",allowed=["NHWC", '
    '"NCHW"]; attr=dilations:list(int),default=[1, 1, 1, 1]>')}


def _summary(op):
    """TF's op summary for its attribute errors, where jaxtape's table has it."""
    if op in _SUMMARIES:
        return _SUMMARIES[op]
    try:
        return kernel_dtypes.summary(op)
    except KeyError:
        return f"Op<name={op}>"


def _forward(x, w, strides, pads, groups):
    n = w.ndim - 2
    return lax.conv_general_dilated(x, w, strides, pads, dimension_numbers=_numbers(n),
                                    feature_group_count=groups)


@primitive(name="ConvBackpropInput")
def _backprop_input(w, dy, *, shape, strides, pads, groups, depthwise):
    if depthwise:
        kh, kw, c, m = w.shape
        w = w.reshape(kh, kw, 1, c * m)
    zero = jnp.zeros(shape, dy.dtype)
    return jax.vjp(lambda x: _forward(x, w, strides, pads, groups), zero)[1](dy)[0]


@primitive(name="ConvBackpropFilter")
def _backprop_filter(x, dy, *, shape, strides, pads, groups, depthwise):
    if depthwise:
        kh, kw, c, m = shape
        wshape = (kh, kw, 1, c * m)
    else:
        wshape = shape
    zero = jnp.zeros(wshape, dy.dtype)
    g = jax.vjp(lambda w: _forward(x, w, strides, pads, groups), zero)[1](dy)[0]
    return g.reshape(shape)


def _sizes(value, op, what):
    """An int32 sizes argument (list or tensor) as a list of ints."""
    if is_tensor(value):
        return [int(v) for v in host_array(value, op, what).reshape(-1)]
    if hasattr(value, "as_list"):
        value = value.as_list()
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _pads_for(size, k, stride, dilation, pad):
    """TF's padding (lo, hi) of one spatial dim and its output size."""
    eff = (k - 1) * dilation + 1
    if pad == "SAME":
        out = _cdiv(size + stride - 1, stride)
        total = max((out - 1) * stride + eff - size, 0)
        return (total // 2, total - total // 2), out
    lo, hi = (0, 0) if pad == "VALID" else pad
    return (lo, hi), _cdiv(size + lo + hi - eff + stride, stride)


# -- conv3d_transpose / conv_transpose ---------------------------------------------------

_BPI3 = "Conv3DBackpropInputV2"


def _conv3d_backprop_input(sizes, w, dy, strides, padding, data_format, dilations):
    op = _BPI3
    named = named_by(sizes)
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    values = _sizes(sizes, op, "input_sizes")
    w, g, mismatch = _operands(w, dy, op)
    if w.dtype.name not in FLOAT_TYPES:
        raise dtype_not_allowed(op, w.dtype, FLOAT_KERNELS, _summary(op), named=named)
    if mismatch is not None:
        raise mismatch
    if data_format != "NDHWC":
        raise op_error("Conv3DBackpropInputOpV2 only supports NDHWC on the CPU.", op, named)
    if len(strides) != 5:
        raise op_error("Sliding window strides field must specify 5 dimensions", op, named)
    if strides[0] != 1 or strides[4] != 1:
        raise op_error("Current implementation does not yet support strides in the batch and depth "
                       "dimensions.", op, named)
    if len(dilations) != 5:
        raise op_error("Dilation rates field must specify 5 dimensions", op, named)
    if any(d != 1 for d in dilations):
        raise op_error("Current CPU implementation does not yet support dilation rates larger than 1.",
                       op, named)
    gs, ws = tuple(g._meta.shape), tuple(w._meta.shape)
    if len(values) != 5:
        raise op_error("input tensor must have 5 dimensions", op, named)
    if len(ws) != 5:
        raise op_error("filter_sizes must have 5 dimensions", op, named)
    if len(gs) != 5:
        raise op_error("out_backprop must have 5 dimensions", op, named)
    if values[4] != ws[3]:
        raise op_error(f"input and filter_sizes must have the same number of channels. Got {values[4]} "
                       f"for input and {ws[3]} for filter_sizes", op, named)
    if gs[4] != ws[4]:
        raise op_error(f"out_backprop and filter_sizes must have the same number of channels. Got "
                       f"{gs[4]} for out_backprop and {ws[4]} for filter_sizes", op, named)
    if values[0] != gs[0]:
        raise op_error(f"Conv3DBackpropInputOp: input and out_backprop must have the same batch size. "
                       f"Input batch: {values[0]}, outbackprop batch: {gs[0]}, batch_dim: 0", op, named)
    pads = []
    for i in range(3):
        size, k, s = values[1 + i], ws[i], strides[1 + i]
        pair, out = _pads_for(size, k, s, 1, padding)
        if out != gs[1 + i]:
            raise op_error(f"Conv3DBackpropInputOp: Size of out_backprop doesn't match computed: actual "
                           f"= {gs[1 + i]}, computed = {out} spatial_dim: {1 + i} input: {size} filter: "
                           f"{k} output: {gs[1 + i]} stride: {s} dilation: 1", op, named)
        pads.append(pair)
    return _backprop_input(w, g, shape=tuple(values), strides=tuple(strides[1:4]), pads=tuple(pads),
                           groups=1, depthwise=False)


@defined("nn.conv3d_transpose")
def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC",  # noqa: A002
                     dilations=None, name=None):
    """The gradient of conv3d with respect to an input of `output_shape`;
    filters are `[d, h, w, out_channels, in_channels]`."""
    if data_format is None:
        data_format = "NDHWC"
    channel_index = 1 if data_format.startswith("NC") else 4
    strides = _sequence(strides, 3, channel_index, "strides")
    dilations = _sequence(dilations, 3, channel_index, "dilations")
    return _conv3d_backprop_input(output_shape, filters, input, strides, padding, data_format, dilations)


@defined("compat.v1.nn.conv3d_transpose")
def conv3d_transpose_v1(value, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                        data_format="NDHWC", name=None, input=None, filters=None, dilations=None):  # noqa: A002
    filters = filter if filters is None else filters
    value = value if input is None else input
    return conv3d_transpose(value, filters, output_shape, strides, padding, data_format, dilations)


@defined("nn.conv_transpose", "compat.v1.nn.conv_transpose")
def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,  # noqa: A002
                   dilations=None, name=None):
    """conv1d/2d/3d_transpose, chosen by the length of `output_shape`."""
    if is_tensor(output_shape):
        n = tensor(output_shape)._meta.shape[0] - 2
    elif hasattr(output_shape, "__len__"):
        n = len(output_shape) - 2
    else:
        raise ValueError("`output_shape` must be a tensor or sized collection. Received: "
                         f"output_shape={output_shape}")
    if not 1 <= n <= 3:
        raise ValueError(f"`output_shape` must be of length 3, 4 or 5. Received: "
                         f"output_shape={output_shape} of length {n + 2}.")
    op = (conv1d_transpose, conv2d_transpose, conv3d_transpose)[n - 1]
    return op(input, filters, output_shape, strides, padding=padding, data_format=data_format,
              dilations=dilations)


# -- TF's raw Conv op -------------------------------------------------------------------

def _raw_conv_kernel(x, w, *, strides, pads, dilations, batch_dims):
    n = w.ndim - 2
    lead = x.shape[:batch_dims]
    flat = x.reshape((int(np.prod(lead, dtype=np.int64)),) + x.shape[batch_dims:])
    y = lax.conv_general_dilated(flat, w, strides, pads, rhs_dilation=dilations,
                                 dimension_numbers=_numbers(n))
    return y.reshape(lead + y.shape[1:])


def _raw_conv_fn(x, w, *, strides, pads, dilations, batch_dims):
    kernel = without_gradient(lambda a, b: _raw_conv_kernel(a, b, strides=strides, pads=pads,
                                                            dilations=dilations, batch_dims=batch_dims),
                              "Conv")
    return kernel(x, w)


_raw_conv = primitive(_raw_conv_fn, name="Conv")
_CONV = "Conv"


@defined("conv")
def conv(input, filter, strides, padding, explicit_paddings=[], data_format="CHANNELS_LAST",  # noqa: A002,B006
         dilations=[], batch_dims=1, groups=1, name=None):  # noqa: B006
    """TF's raw generic Conv op (2 or 3 spatial dims, CPU: channels last, no
    groups); TF registers no gradient for it."""
    if not isinstance(strides, (list, tuple)):
        raise TypeError(f"Expected list for 'strides' argument to 'conv' Op, not {strides!r}.")
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    x, w, mismatch = _operands(input, filter, _CONV)
    if padding not in ("SAME", "VALID", "EXPLICIT"):
        raise op_error(f"Value for attr 'padding' of \"{padding}\" is not in the list of allowed values: "
                       '"SAME", "VALID", "EXPLICIT"', _CONV)
    if data_format not in ("CHANNELS_FIRST", "CHANNELS_LAST"):
        raise op_error(f"Value for attr 'data_format' of \"{data_format}\" is not in the list of allowed "
                       'values: "CHANNELS_FIRST", "CHANNELS_LAST"', _CONV)
    if x.dtype.name not in FLOAT_TYPES | {"int32"}:
        raise dtype_not_allowed(_CONV, x.dtype, FLOAT_KERNELS + ", int32", _summary(_CONV))
    if mismatch is not None:
        raise mismatch
    if groups != 1:
        raise UnimplementedError(None, None, "Grouped/Depthwise Convolutions are not supported yet. "
                                 f"[Op:{_CONV}] name: ")
    strides = [int(s) for s in strides]
    dilations = [int(d) for d in dilations]
    explicit = [int(p) for p in explicit_paddings]
    xs, ws = tuple(x._meta.shape), tuple(w._meta.shape)
    n = len(xs) - batch_dims - 1
    if n not in (2, 3):
        raise op_error(f"The input must have 2 or 3 spatial dimensions but got {n}", _CONV)
    rank = n + 2
    if len(strides) != rank:
        raise op_error(f"Sliding window strides field must specify {rank} dimensions", _CONV)
    c = 1 if data_format == "CHANNELS_FIRST" else rank - 1
    spatial = [d for d in range(rank) if d not in (0, c)]
    if strides[0] != 1 or strides[c] != 1:
        raise op_error("Current implementation does not support strides in the batch and depth "
                       "dimensions.", _CONV)
    if any(strides[d] <= 0 for d in spatial):
        raise op_error("Spatial strides should be larger than 0.", _CONV)
    if not dilations:
        dilations = [1] * rank
    if len(dilations) != rank:
        raise op_error(f"Dilation rates field must specify{rank}dimensions", _CONV)
    if dilations[0] != 1 or dilations[c] != 1:
        raise op_error("Current implementation does not support dilation rates in the batch and depth "
                       "dimensions.", _CONV)
    if any(dilations[d] <= 0 for d in spatial):
        raise op_error("Dilated rates should be larger than 0.", _CONV)
    if padding == "EXPLICIT":
        if len(explicit) != 2 * rank:
            raise op_error(f"explicit_paddings attribute must contain {2 * rank} values, but got: "
                           f"{len(explicit)}", _CONV)
        if any(v < 0 for v in explicit):
            raise op_error("All elements of explicit_paddings must be nonnegative", _CONV)
        if any(explicit[2 * d:2 * d + 2] != [0, 0] for d in (0, c)):
            raise op_error("Nonzero explicit padding in the batch or depth dimensions is not supported",
                           _CONV)
    elif explicit:
        raise op_error("explicit_paddings attribute must be empty if the padding attribute is not "
                       "EXPLICIT", _CONV)
    if len(ws) not in (4, 5):
        raise op_error(f"The filter must be rank 4 or 5 but got {len(ws)}", _CONV)
    inner = xs[batch_dims - 1:]
    if inner[c] != ws[-2]:
        raise op_error(f"Input depth must be equal to filter depth: {inner[c]} vs {ws[-2]}", _CONV)
    if 0 in ws:
        raise op_error("filter must not have zero elements (i.e. all dimensions must be non-zero)", _CONV)
    pads, outs = [], []
    for i, d in enumerate(spatial):
        pad = tuple(explicit[2 * d:2 * d + 2]) if padding == "EXPLICIT" else padding
        pair, out = _pads_for(inner[d], ws[i], strides[d], dilations[d], pad)
        if out < 0:
            eff = (ws[i] - 1) * dilations[d] + 1
            raise op_error(f"Computed output size would be negative: {out} [input_size: {inner[d]}, "
                           f"effective_filter_size: {eff}, stride: {strides[d]}]", _CONV)
        pads.append(pair)
        outs.append(out)
    if data_format == "CHANNELS_FIRST":
        if n == 2:
            raise UnimplementedError(None, None, "The Conv2D op currently only supports the NHWC tensor "
                                     f"format on the CPU. The op was given the format: NCHW [Op:{_CONV}] "
                                     "name: ")
        raise op_error("CPU implementation of Conv3D currently only supports the NHWC tensor format.", _CONV)
    if n == 3 and any(dilations[d] != 1 for d in spatial):
        raise op_error("CPU implementation of Conv3D currently only supports dilated rates of 1.", _CONV)
    shape = xs[:batch_dims] + tuple(outs) + (ws[-1],)
    if 0 in shape or 0 in xs:
        return tensor(jnp.zeros(shape, x.dtype.as_numpy_dtype))
    return _raw_conv(x, w, strides=tuple(strides[d] for d in spatial), pads=tuple(pads),
                     dilations=tuple(dilations[d] for d in spatial), batch_dims=batch_dims)


# -- Conv2DBackpropInput / Filter (compat.v1) and the V2 raw ops --------------------------

def _v1_padding(padding):
    padding, explicit = _convert_padding(padding)
    return padding, explicit


@defined("compat.v1.nn.conv2d_backprop_input")
def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,  # noqa: A002
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=[1, 1, 1, 1], name=None,  # noqa: B006
                          filters=None):
    """TF's Conv2DBackpropInput: the gradient of conv2d for an input of `input_sizes`."""
    filters = filter if filters is None else filters
    padding, explicit = _v1_padding(padding)
    return _conv2d_backprop_input(input_sizes, filters, out_backprop, [int(s) for s in strides], padding,
                                  explicit, data_format, [int(d) for d in dilations])


_BPF = "Conv2DBackpropFilter"
_PREFIX_F = "Conv2DCustomBackpropFilter: "


@defined("compat.v1.nn.conv2d_backprop_filter")
def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu=True,  # noqa: A002
                           data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """TF's Conv2DBackpropFilter: the gradient of conv2d for a filter of `filter_sizes`."""
    op = _BPF
    named = named_by(filter_sizes)
    padding, explicit = _v1_padding(padding)
    strides, dilations = [int(s) for s in strides], [int(d) for d in dilations]
    sizes = _sizes(filter_sizes, op, "filter_sizes")
    x, g, mismatch = _operands(input, out_backprop, op)
    if x.dtype.name not in FLOAT_TYPES:
        raise dtype_not_allowed(op, x.dtype, FLOAT_KERNELS, _summary(op), named=named)
    if mismatch is not None:
        raise mismatch
    if data_format != "NHWC":
        raise op_error("Conv2DCustomBackpropFilterOp only supports NHWC.", op, named)
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", op, named)
    if strides[0] != 1 or strides[3] != 1:
        raise UnimplementedError(None, None, "Current implementation does not yet support strides in the "
                                 f"batch and depth dimensions. [Op:{op}]" + (" name: " if named else ""))
    if len(dilations) != 4 or any(d != 1 for d in dilations):
        raise op_error("Current libxsmm and customized CPU implementations do not yet support dilation "
                       "rates larger than 1.", op, named)
    xs, gs = tuple(x._meta.shape), tuple(g._meta.shape)
    if len(xs) != 4:
        raise op_error(f"{_PREFIX_F}input must be 4-dimensional", op, named)
    if len(sizes) != 4:
        raise op_error(f"{_PREFIX_F}filter must be 4-dimensional", op, named)
    if len(gs) != 4:
        raise op_error(f"{_PREFIX_F}out_backprop must be 4-dimensional", op, named)
    if xs[0] != gs[0]:
        raise op_error(f"{_PREFIX_F}input and out_backprop must have the same batch size. Input batch: "
                       f"{xs[0]}, outbackprop batch: {gs[0]}, batch_dim: 0", op, named)
    if sizes[2] <= 0 or xs[3] % sizes[2]:
        raise op_error(f"{_PREFIX_F}input depth must be evenly divisible by filter depth", op, named)
    if sizes[3] != gs[3]:
        raise op_error(f"{_PREFIX_F}filter and out_backprop must have the same out_depth", op, named)
    pads = []
    for i in (1, 2):
        pad = tuple(explicit[i]) if padding == "EXPLICIT" else padding
        pair, out = _pads_for(xs[i], sizes[i - 1], strides[i], 1, pad)
        if out != gs[i]:
            raise op_error(f"{_PREFIX_F}Size of out_backprop doesn't match computed: actual = {gs[i]}, "
                           f"computed = {out} spatial_dim: {i} input: {xs[i]} filter: {sizes[i - 1]} "
                           f"output: {gs[i]} stride: {strides[i]} dilation: 1", op, named)
        pads.append(pair)
    if xs[3] != sizes[2]:
        raise op_error("Gradients for grouped convolutions are not supported on CPU. Please file a "
                       f"feature request if you run into this issue. Computed input depth {xs[3]} "
                       f"doesn't match filter input depth {sizes[2]}", op, named)
    return _backprop_filter(x, g, shape=tuple(sizes), strides=(strides[1], strides[2]), pads=tuple(pads),
                            groups=1, depthwise=False)


def _v2_padding(padding, explicit_paddings):
    """The raw ops' padding (a string, explicit amounts flat) as compat.v1's argument."""
    if padding == "EXPLICIT":
        flat = [int(p) for p in explicit_paddings]
        return [flat[i:i + 2] for i in range(0, len(flat), 2)]
    return padding


# TF 2.21's CPU build registers no kernel for the V2 raw ops (they raise
# NotFoundError there; GPU builds compute them): jaxtape computes them on any
# backend as the V1 ops, from the shape of the tensor V2 takes in place of sizes.

@defined("conv2d_backprop_input_v2")
def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding, use_cudnn_on_gpu=True,  # noqa: A002
                             explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1],  # noqa: B006
                             name=None):
    """TF's raw Conv2DBackpropInputV2: Conv2DBackpropInput for an input shaped like `input`."""
    return conv2d_backprop_input(list(tensor(input).shape), filter, out_backprop, strides,
                                 _v2_padding(padding, explicit_paddings), use_cudnn_on_gpu, data_format,
                                 dilations)


@defined("conv2d_backprop_filter_v2")
def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding, use_cudnn_on_gpu=True,  # noqa: A002
                              explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1],  # noqa: B006
                              name=None):
    """TF's raw Conv2DBackpropFilterV2: Conv2DBackpropFilter for a filter shaped like `filter`."""
    return conv2d_backprop_filter(input, list(tensor(filter).shape), out_backprop, strides,
                                  _v2_padding(padding, explicit_paddings), use_cudnn_on_gpu, data_format,
                                  dilations)


# -- depthwise backprops ----------------------------------------------------------------

def _depthwise_checks(op, prefix, named, xs, fs, gs, strides, padding, data_format):
    if data_format != "NHWC":
        raise UnimplementedError(None, None, f"Depthwise convolution on CPU is only supported for NHWC "
                                 f"format [Op:{op}]" + (" name: " if named else ""))
    if len(strides) != 4:
        raise op_error("Sliding window strides field must specify 4 dimensions", op, named)
    if strides[0] != 1 or strides[3] != 1:
        raise op_error("Current implementation does not yet support strides in the batch and depth "
                       "dimensions.", op, named)
    if strides[1] != strides[2]:
        raise op_error("Current implementation only supports equal length strides in the row and "
                       "column dimensions.", op, named)
    if len(xs) != 4:
        raise op_error(f"{prefix}input must be 4-dimensional", op, named)
    if len(fs) != 4:
        raise op_error(f"{prefix}filter must be 4-dimensional", op, named)
    if len(gs) != 4:
        raise op_error(f"{prefix}out_backprop must be 4-dimensional", op, named)
    if xs[0] != gs[0]:
        raise op_error(f"{prefix}input and out_backprop must have the same batch size", op, named)
    if xs[3] != fs[2]:
        raise op_error(f"{prefix}input and filter must have the same in_depth", op, named)
    if fs[2] * fs[3] != gs[3]:
        raise op_error(f"{prefix}depth_multiplier * in_depth not equal to out_depth", op, named)
    pads = []
    for i, what in ((1, "rows"), (2, "cols")):
        pad = padding[i - 1] if isinstance(padding, list) else padding
        pair, out = _pads_for(xs[i], fs[i - 1], strides[i], 1, pad)
        if out != gs[i]:
            name = "Number of rows" if i == 1 else "Number of cols"
            raise op_error(f"{prefix}{name} of out_backprop doesn't match computed: actual = {gs[i]}, "
                           f"computed = {out}", op, named)
        pads.append(pair)
    return tuple(pads)


def _depthwise_padding(padding):
    padding, explicit = _convert_padding(padding)
    if padding == "EXPLICIT":
        return [tuple(p) for p in explicit[1:-1]]
    return padding


def _depthwise_operands(op, sizes_value, what, operand, out_backprop, strides, padding):
    """What both depthwise backprops check first, in TF's order: (sizes, operand,
    out_backprop, strides, padding, named)."""
    named = named_by(sizes_value, strides)
    pad = _depthwise_padding(padding)
    sizes = _sizes(sizes_value, op, what)
    a, g, mismatch = _operands(operand, out_backprop, op)
    if a.dtype.name not in FLOAT_TYPES:
        raise dtype_not_allowed(op, a.dtype, FLOAT_KERNELS, _summary(op), named=named)
    if mismatch is not None:
        raise mismatch
    return sizes, a, g, [int(s) for s in strides], pad, named


@defined("nn.depthwise_conv2d_backprop_input", "compat.v1.nn.depthwise_conv2d_native_backprop_input")
def depthwise_conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,  # noqa: A002
                                    data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """The gradient of depthwise_conv2d with respect to an input of `input_sizes`."""
    op = "DepthwiseConv2dNativeBackpropInput"
    sizes, f, g, strides, pad, named = _depthwise_operands(op, input_sizes, "input_sizes", filter,
                                                           out_backprop, strides, padding)
    pads = _depthwise_checks(op, "DepthwiseConv2DBackpropInput: ", named, sizes, tuple(f._meta.shape),
                             tuple(g._meta.shape), strides, pad, data_format)
    return _backprop_input(f, g, shape=tuple(sizes), strides=(strides[1], strides[2]), pads=pads,
                           groups=sizes[3], depthwise=True)


@defined("nn.depthwise_conv2d_backprop_filter", "compat.v1.nn.depthwise_conv2d_native_backprop_filter")
def depthwise_conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                                     data_format="NHWC", dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """The gradient of depthwise_conv2d with respect to a filter of `filter_sizes`."""
    op = "DepthwiseConv2dNativeBackpropFilter"
    sizes, x, g, strides, pad, named = _depthwise_operands(op, filter_sizes, "filter_sizes", input,
                                                           out_backprop, strides, padding)
    pads = _depthwise_checks(op, "DepthwiseConv2DBackpropFilter: ", named, tuple(x._meta.shape), sizes,
                             tuple(g._meta.shape), strides, pad, data_format)
    return _backprop_filter(x, g, shape=tuple(sizes), strides=(strides[1], strides[2]), pads=pads,
                            groups=x._meta.shape[3], depthwise=True)
