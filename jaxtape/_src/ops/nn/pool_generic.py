"""`tf.nn.pool` (N-d pooling with strides or dilations) and
`tf.nn.with_space_to_batch`, composed as TF composes them: a dilated
window runs undilated and VALID on the space-to-batch blocks of the input
(padded as `padding` asks, and to a multiple of the rate), and
batch_to_space crops the extra; the pooling itself is max_pool/avg_pool
(max_pool3d/avg_pool3d for 3 spatial dims), so values, gradients and
kernel errors are theirs.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.ops.array.shape import expand_dims, squeeze
from jaxtape._src.ops.array.space_batch import batch_to_space_nd, space_to_batch_nd
from jaxtape._src.ops.nn.conv import _convert_padding
from jaxtape._src.ops.nn.conv_variants import _unnamed
from jaxtape._src.ops.nn.pool import avg_pool, avg_pool3d, max_pool, max_pool3d
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.framework.tensor import is_tensor


def _shape_text(x) -> str:
    return str(x.shape)


def _int_vector(value, name):
    if is_tensor(value):
        return np.asarray(host_array(value, "with_space_to_batch", name)).astype(np.int32)
    return np.asarray(value).astype(np.int32)


def _adjust(orig, fill, spatial_dims):
    """TF's `_with_space_to_batch_adjust`: `orig`'s rows at `spatial_dims - 1`,
    `fill` elsewhere, up to `max(spatial_dims)` rows."""
    out = np.full((spatial_dims[-1],) + orig.shape[1:], fill, orig.dtype)
    for i, d in enumerate(spatial_dims):
        out[d - 1] = orig[i]
    return out


@defined("nn.with_space_to_batch")
def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None,  # noqa: A002
                        data_format=None):
    """`op(converted, num_spatial_dims, padding)` on the space-to-batch
    representation of `input` for `dilation_rate` (TF's construction)."""
    x = tensor(input)
    rate = _int_vector(dilation_rate, "dilation_rate")
    if rate.ndim != 1:
        raise ValueError(f"`dilation_rate.shape.rank` must be 1. Received: dilation_rate={rate} of "
                         f"rank {rate.ndim}")
    n = rate.shape[0]
    start = 2 if data_format is not None and data_format.startswith("NC") else 1
    if spatial_dims is None:
        spatial_dims = range(start, n + start)
    orig = list(spatial_dims)
    dims = sorted(set(int(d) for d in orig))
    if dims != orig or any(d < 1 for d in dims):
        raise ValueError("`spatial_dims` must be a monotonically increasing sequence of positive "
                         f"integers. Received: spatial_dims={orig}")
    rank = dims[-1] if data_format is not None and data_format.startswith("NC") else dims[-1] + 1
    if x.ndim < rank:
        raise ValueError(f"`input.shape.rank` must be at least {rank}. Received: "
                         f"input.shape={_shape_text(x)} with rank {x.ndim}")
    if np.any(rate < 1):
        raise ValueError(f"`dilation_rate` must be positive. Received: dilation_rate={rate}")
    if np.all(rate == 1):
        return op(x, n, padding)
    padding, explicit = _convert_padding(padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("`filter_shape` must be specified for `padding='SAME'`. Received: "
                             f"filter_shape={filter_shape} and padding={padding}")
        fshape = _int_vector(filter_shape, "filter_shape").astype(np.int64)
        extra = (fshape[:n] - 1) * rate
        base = np.stack([extra // 2, extra - extra // 2], axis=1)
    elif padding == "VALID":
        base = np.zeros((n, 2), np.int64)
    elif padding == "EXPLICIT":
        pairs = np.array(explicit, np.int64).reshape(n + 2, 2)
        base = pairs[2:] if data_format is not None and data_format.startswith("NC") else pairs[1:-1]
    else:
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: padding={padding}")
    sizes = np.array([x._meta.shape[d] for d in dims], np.int64)
    full = sizes + base[:, 0] + base[:, 1]
    extra = (rate - full % rate) % rate
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1).astype(np.int32)
    crops = np.stack([np.zeros_like(extra), extra], axis=1).astype(np.int32)
    block = _adjust(rate.astype(np.int32), 1, dims)
    paddings = _adjust(paddings, 0, dims)
    crops = _adjust(crops, 0, dims)
    y = op(space_to_batch_nd(x, block, paddings), n, "VALID")
    return batch_to_space_nd(y, block, crops)


def _strides_and_rates(n, strides, rates):
    """TF's `_get_strides_and_dilation_rate`."""
    if rates is None:
        rates = [1] * n
    elif len(rates) != n:
        raise ValueError(f"`len(dilation_rate)` should be {n}. Received: dilation_rate={rates} of "
                         f"length {len(rates)}")
    rates = np.array(rates, dtype=np.int32)
    if np.any(rates < 1):
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: dilation_rate={rates}")
    if strides is None:
        strides = [1] * n
    elif len(strides) != n:
        raise ValueError(f"`len(strides)` should be {n}. Received: strides={strides} of length "
                         f"{len(strides)}")
    strides = np.array(strides, dtype=np.int32)
    if np.any(strides < 1):
        raise ValueError(f"all values of `strides` must be positive. Received: strides={strides}")
    if np.any(strides > 1) and np.any(rates > 1):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={strides} and dilation_rate={rates}")
    return strides, rates


@defined("compat.v1.nn.pool")
def pool_v1(input, window_shape, pooling_type, padding, dilation_rate=None, strides=None, name=None,  # noqa: A002
            data_format=None, dilations=None):
    """N-d max or average pooling with strides or dilation (TF 1's argument order)."""
    if dilations is not None and dilation_rate is not None:
        raise ValueError("Cannot specify both 'dilations' and 'dilation_rate'.")
    if dilations is not None:
        dilation_rate = dilations
    x = tensor(input)
    n = len(window_shape)
    if n < 1 or n > 3:
        raise ValueError(f"`len(window_shape)` must be 1, 2, or 3. Received: window_shape={window_shape} "
                         f"of length {len(window_shape)}")
    if x.ndim != n + 2:
        raise ValueError(f"Shape {_shape_text(x)} must have rank {n + 2}")
    strides, rates = _strides_and_rates(n, strides, dilation_rate)
    if padding == "SAME" and np.any(rates > 1):
        raise ValueError("pooling with 'SAME' padding is not implemented for `dilation_rate` > 1. "
                         f"Received: padding={padding} and dilation_rate={rates}")
    if np.any(strides > window_shape):
        raise ValueError("`strides` > `window_shape` not supported due to inconsistency between CPU "
                         f"and GPU implementations. Received: strides={strides} and "
                         f"window_shape={window_shape}")
    ops = {("MAX", 1): max_pool, ("MAX", 2): max_pool, ("MAX", 3): max_pool3d,
           ("AVG", 1): avg_pool, ("AVG", 2): avg_pool, ("AVG", 3): avg_pool3d}
    key = (pooling_type, n)
    if key not in ops:
        raise ValueError(f"{n}-D {pooling_type} pooling is not supported.")
    if data_format is None or not data_format.startswith("NC"):
        window = [1] + list(window_shape) + [1]
        steps = [1] + [int(s) for s in strides] + [1]
        spatial = list(range(1, n + 1))
    else:
        window = [1, 1] + list(window_shape)
        steps = [1, 1] + [int(s) for s in strides]
        spatial = list(range(2, n + 2))
    if n == 1:
        if data_format is None or data_format == "NWC":
            fmt = "NHWC"
        elif data_format == "NCW":
            fmt = "NCHW"
        else:
            raise ValueError(f"data_format must be either 'NWC' or 'NCW'. Received: data_format={data_format}")
        window, steps = [1] + window, [1] + steps
    else:
        fmt = data_format

    def pool_op(converted, _, converted_padding):
        if n == 1:
            converted = expand_dims(converted, spatial[0])
        with _unnamed():  # TF passes lists: its eager errors end without " name: "
            y = ops[key](converted, window, steps, converted_padding, data_format=fmt)
        if n == 1:
            y = squeeze(y, [spatial[0]])
        return y

    return with_space_to_batch(x, rates, padding, pool_op, filter_shape=window_shape, spatial_dims=spatial)


@defined("nn.pool")
def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,  # noqa: A002
         dilations=None, name=None):
    """N-d max ("MAX") or average ("AVG") pooling with strides or dilations."""
    return pool_v1(input, window_shape, pooling_type, padding, dilation_rate=dilations, strides=strides,
                   data_format=data_format)
