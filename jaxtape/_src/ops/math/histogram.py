"""`tf.histogram_fixed_width` (counts in `nbins` equal bins over `value_range`)
and `tf.histogram_fixed_width_bins` (each value's bin).

As TF: the counting kernel finds a value's bin in double precision,
`(max(value, lo) - lo) / ((hi - lo) / nbins)` cut at `nbins - 1`, so values
below the range count in the first bin and values above it in the last;
`histogram_fixed_width_bins` is TF's composition of float ops in the
values' own dtype (floor of `nbins * (v - lo) / (hi - lo)`, clipped),
which can round a value at a bin edge into the other bin, and returns int32
whatever `dtype` asks. Neither has a gradient.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, named_by, op_error
from jaxtape._src.ops.array.shape import reshape, shape as shape_of
from jaxtape._src.ops.clip import clip_by_value
from jaxtape._src.ops.debugging import Assert
from jaxtape._src.ops.math.arithmetic import multiply, subtract, truediv
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.compare import greater
from jaxtape._src.ops.math.unary import floor
from jaxtape._src.ops.support.args import binary, host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_OP = "HistogramFixedWidth"
_SUMMARY = ("Op<name=HistogramFixedWidth; signature=values:T, value_range:T, nbins:int32 -> out:dtype; "
            "attr=T:type,allowed=[DT_INT32, DT_INT64, DT_FLOAT, DT_DOUBLE]; "
            "attr=dtype:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]>")


def _histogram(values, value_range, *, nbins, dtype):
    lo = value_range[0].astype(jnp.float64)
    step = (value_range[1].astype(jnp.float64) - lo) / nbins
    offset = jnp.maximum(values, value_range[0]).astype(jnp.float64) - lo
    bins = jnp.minimum(offset / step, nbins - 1).astype(jnp.int32).reshape(-1)
    return jnp.zeros(nbins, dtype).at[bins].add(jnp.ones((), dtype))


_histogram_prim = Primitive(_histogram, _OP, differentiable=False)


def _number(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@defined("histogram_fixed_width", primitive=_histogram_prim)
def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """How many `values` fall in each of `nbins` equal bins of `value_range`
    (those outside it in the first or last bin)."""
    named = named_by(values, value_range, nbins)
    x, bounds = binary(values, value_range, _OP)
    n = tensor(nbins, dtypes.int32)
    out_dtype = dtypes.as_dtype(dtype)
    if out_dtype not in (dtypes.int32, dtypes.int64):
        raise attr_not_allowed(_OP, "dtype", kernel_dtype_name(out_dtype), "int32, int64", _SUMMARY, named)
    if x.dtype not in (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64):
        raise attr_not_allowed(_OP, "T", kernel_dtype_name(x.dtype), "int32, int64, float, double",
                               _SUMMARY, named)
    if bounds.ndim != 1:
        raise op_error("value_range should be a vector.", _OP, named)
    if bounds._value.shape[0] != 2:
        raise op_error("value_range should be a vector of 2 elements.", _OP, named)
    if n.ndim != 0:
        raise op_error("nbins should be a scalar.", _OP, named)
    # Inside tf.function the range and the values may be known only when it runs,
    # where XLA cannot raise: then they go unchecked (nbins sets the output shape).
    if not isinstance(bounds._value, Tracer):
        lo, hi = host_array(bounds, _OP, "value_range").tolist()
        if not lo < hi:
            raise op_error("value_range should satisfy value_range[0] < value_range[1], but got "
                           f"'[{_number(lo)}, {_number(hi)}]'", _OP, named)
    count = int(host_array(n, _OP, "nbins"))
    if count <= 0:
        raise op_error(f"nbins should be a positive number, but got '{count}'", _OP, named)
    if x.dtype.is_floating and not isinstance(x._value, Tracer) and np.isnan(np.asarray(x._value)).any():
        raise op_error("Histogram values must not contain NaN", _OP, named)
    return _histogram_prim(x, bounds, nbins=count, dtype=out_dtype.as_numpy_dtype)


@defined("histogram_fixed_width_bins")
def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin (0 .. nbins - 1, int32) of each value; `dtype` is ignored, as in TF."""
    x = tensor(values)
    flat_shape = shape_of(x)
    x = reshape(x, [-1])
    bounds = tensor(value_range)
    n = tensor(nbins, dtypes.int32)
    Assert(greater(n, 0), ["nbins %s must > 0" % n])
    n_float = cast(n, x.dtype)
    scaled = truediv(subtract(x, bounds[0]), subtract(bounds[1], bounds[0]))
    indices = floor(multiply(n_float, scaled))
    indices = cast(clip_by_value(indices, 0, subtract(n_float, 1)), dtypes.int32)
    return reshape(indices, flat_shape)
