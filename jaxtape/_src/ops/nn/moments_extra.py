"""`tf.nn.weighted_moments`, `sufficient_statistics` and
`batch_norm_with_global_normalization`: TF's Python compositions, written
with the same ops, so values, dtypes, errors and gradients are TF's."""
from __future__ import annotations

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.array.creation import constant, zeros_like
from jaxtape._src.ops.array.shape import squeeze
from jaxtape._src.ops.math.arithmetic import divide_no_nan, squared_difference, subtract
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.reduce import reduce_sum
from jaxtape._src.ops.math.unary import square
from jaxtape._src.ops.nn.normalization import batch_normalization
from jaxtape._src.ops.support.define import defined


@defined("nn.weighted_moments")
def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """Weighted mean and variance of `x` over `axes` (TF's two-pass formula)."""
    x = tensor(x)
    frequency_weights = tensor(frequency_weights)
    needs_cast = x.dtype == dtypes.float16
    if needs_cast:
        x = cast(x, dtypes.float32)
    if frequency_weights.dtype != x.dtype:
        frequency_weights = cast(frequency_weights, x.dtype)
    weighted_input_sum = reduce_sum(frequency_weights * x, axes, keepdims=True)
    broadcasted_weights = frequency_weights + zeros_like(x)
    sum_of_weights = reduce_sum(broadcasted_weights, axes, keepdims=True)
    weighted_mean = divide_no_nan(weighted_input_sum, sum_of_weights)
    weighted_distsq = reduce_sum(
        frequency_weights * squared_difference(x, weighted_mean), axes, keepdims=True)
    weighted_variance = divide_no_nan(weighted_distsq, sum_of_weights)
    if not keepdims:
        weighted_mean = squeeze(weighted_mean, axis=axes)
        weighted_variance = squeeze(weighted_variance, axis=axes)
    if needs_cast:
        weighted_mean = cast(weighted_mean, dtypes.float16)
        weighted_variance = cast(weighted_variance, dtypes.float16)
    return weighted_mean, weighted_variance


@defined("nn.sufficient_statistics")
def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """(count, sum of x - shift, sum of squares of x - shift, shift) over `axes`."""
    axes = list(set(axes))
    x = tensor(x)
    shape = x.shape.as_list()
    counts = 1
    for d in axes:
        counts *= shape[d]
    counts = constant(counts, dtype=x.dtype)
    if shift is not None:
        shift = tensor(shift)
        m_ss = subtract(x, shift)
        v_ss = squared_difference(x, shift)
    else:
        m_ss = x
        v_ss = square(x)
    m_ss = reduce_sum(m_ss, axes, keepdims=keepdims)
    v_ss = reduce_sum(v_ss, axes, keepdims=keepdims)
    return counts, m_ss, v_ss, shift


@defined("nn.batch_norm_with_global_normalization")
def batch_norm_with_global_normalization(input, mean, variance, beta, gamma,  # noqa: A002
                                         variance_epsilon, scale_after_normalization, name=None):
    """`tf.nn.batch_normalization` with `gamma` applied only if `scale_after_normalization`."""
    return batch_normalization(input, mean, variance, beta,
                                     gamma if scale_after_normalization else None,
                                     variance_epsilon)
