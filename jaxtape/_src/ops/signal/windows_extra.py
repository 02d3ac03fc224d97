"""`tf.signal.kaiser_window`, `kaiser_bessel_derived_window` and `vorbis_window`.

Each is composed from jaxtape's recorded ops (range, Bessel I0e, cumsum,
sin, ...) in the order TF's window functions evaluate them, so values round
as TF's do and `beta`, when a tensor, gets TF's gradient.
"""
from __future__ import annotations

import math

import jax

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.ops.array.creation import ones
from jaxtape._src.ops.array.creation import range as range_op
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.math.arithmetic import pow as pow_op
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.cumulative import cumsum
from jaxtape._src.ops.math.special import bessel_i0e
from jaxtape._src.ops.math.unary import exp, sin, sqrt, square
from jaxtape._src.ops.nn.activations import relu
from jaxtape._src.ops.support.define import defined


def _length(window_length, dtype):
    """TF's `_check_params`: a floating dtype, then an int32 scalar length."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    length = convert_to_tensor(window_length, dtype=dtypes.int32)
    if length.shape.rank != 0:
        raise ValueError(f"Shape {length.shape} must have rank 0")
    return length, dtype


@defined("signal.kaiser_window")
def kaiser_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """exp(b*sqrt(1-t^2) - b) * I0e(b*sqrt(1-t^2)) / I0e(b), t over [-1, 1] in length steps."""
    length, dtype = _length(window_length, dtype)
    if not isinstance(length._value, jax.core.Tracer) and int(length.numpy()) == 1:
        return ones([1], dtype=dtype)
    half = (cast(length, dtypes.float32) - 1.0) / 2.0
    arg = cast(range_op(-half, half + 0.1, dtype=dtypes.float32), dtype)
    beta = cast(beta, dtype)
    half = cast(half, dtype)
    num = beta * sqrt(relu(cast(1.0, dtype) - square(arg / half)))
    return exp(num - beta) * (bessel_i0e(num) / bessel_i0e(beta))


@defined("signal.kaiser_bessel_derived_window")
def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """sqrt of the Kaiser window's normalized running sum (length // 2 + 1 points), mirrored."""
    length, dtype = _length(window_length, dtype)
    kaiser = kaiser_window(length // 2 + 1, beta, dtype=dtype)
    total = cumsum(kaiser)
    half = sqrt(total[:-1] / total[-1])
    return concat((half, half[::-1]), axis=0)


@defined("signal.vorbis_window")
def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """sin(pi/2 * sin(pi * (n + 0.5) / N)^2), the power-complementary window of Vorbis."""
    length, dtype = _length(window_length, dtype)
    arg = cast(range_op(length), dtype)
    inner = sin(math.pi / cast(length, dtype) * (arg + 0.5))
    return sin(math.pi / 2.0 * pow_op(inner, 2.0))
