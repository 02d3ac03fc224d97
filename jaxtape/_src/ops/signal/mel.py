"""`tf.signal.linear_to_mel_weight_matrix` and `mfccs_from_log_mel_spectrograms`.

The mel scale is the HTK one, 1127 * ln(1 + f / 700). Each mel band is a
triangle over three consecutive of `num_mel_bins + 2` edges spaced evenly in
mel; the DC bin gets no weight. Computed with jaxtape's ops in the requested
dtype, in TF's order, so the float32 weights equal TF's.
"""
from __future__ import annotations


from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.ops.array.creation import linspace
from jaxtape._src.ops.array.pad import pad
from jaxtape._src.ops.array.shape import expand_dims, reshape
from jaxtape._src.ops.math.arithmetic import maximum, minimum, multiply
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.unary import log, rsqrt
from jaxtape._src.ops.signal.dct import dct
from jaxtape._src.ops.signal.fft import frame
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined


def _mel(hertz):
    return 1127.0 * log(1.0 + hertz / 700.0)


def _check(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz):
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz} >= upper_edge_hertz "
                         f"{upper_edge_hertz}")
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency "
                         f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                         f"{sample_rate}")


@defined("signal.linear_to_mel_weight_matrix")
def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=dtypes.float32, name=None):
    """[num_spectrogram_bins, num_mel_bins]: each linear bin's weight in each mel band."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Got: {dtype}")
    _check(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz)

    def const(v):
        return convert_to_tensor(v, dtype)
    nyquist = const(sample_rate / 2.0)
    linear = linspace(const(0.0), nyquist, int(num_spectrogram_bins))[1:]
    bins_mel = expand_dims(_mel(linear), 1)
    edges = frame(linspace(_mel(const(lower_edge_hertz)), _mel(const(upper_edge_hertz)),
                           num_mel_bins + 2), 3, 1)
    lower, center, upper = (reshape(edges[:, i], [1, num_mel_bins]) for i in range(3))
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = maximum(const(0.0), minimum(lower_slopes, upper_slopes))
    return pad(weights, [[1, 0], [0, 0]])


@defined("signal.mfccs_from_log_mel_spectrograms")
def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """The orthonormally scaled DCT-II of log-mel spectrograms, over their last axis."""
    x = tensor(log_mel_spectrograms)
    if x.ndim < 1:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    bins = x.shape[-1]
    return multiply(dct(x, type=2), rsqrt(cast(convert_to_tensor(float(bins)), x.dtype) * 2.0))


