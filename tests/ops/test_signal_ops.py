"""tf.signal against real TensorFlow: FFT values, dtypes and gradients (taken
through real-valued functions of the complex results), shifts, framing and
windows, and TF's errors for wrong inputs."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(4)
X = rng.normal(size=(2, 3, 4)).astype(np.float32)
X64 = rng.normal(size=(3, 5))
PHASE = (rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))).astype(np.complex64)
Z = PHASE[:3, :4]


def _probe(tf, z):
    """A real function of a complex tensor that sees its phase (abs of z * w)."""
    w = tf.constant(PHASE[: z.shape[-2], : z.shape[-1]].astype(z.dtype.as_numpy_dtype))
    return tf.abs(z * w + 1)


def test_transforms_values_and_gradients():
    check(lambda tf, x: (
        _probe(tf, tf.signal.fft(tf.cast(x, tf.complex64))),
        _probe(tf, tf.signal.ifft(tf.cast(x, tf.complex64))),
        _probe(tf, tf.signal.fft2d(tf.cast(x, tf.complex64))),
        _probe(tf, tf.signal.ifft2d(tf.cast(x, tf.complex64))),
        _probe(tf, tf.signal.fft3d(tf.cast(x, tf.complex64))),
        _probe(tf, tf.signal.rfft(x)),
        _probe(tf, tf.signal.rfft2d(x)),
        tf.signal.irfft(tf.signal.rfft(x)),
        tf.signal.irfft2d(tf.signal.rfft2d(x), fft_length=[3, 4]),
    ), X, rtol=2e-4, atol=2e-4)


def test_cropping_and_padding_fft_length():
    # TF's RFFT/IRFFT gradients fail when fft_length crops or pads the input
    # (and IRFFT3D has none), so only values are compared here.
    check(lambda tf, x: (
        tf.signal.rfft(x, fft_length=[6]), tf.signal.rfft(x, fft_length=[3]),
        tf.signal.rfft2d(x, fft_length=[4, 2]),
        tf.signal.irfft(tf.signal.rfft(x), fft_length=[3]),
        tf.signal.irfft2d(tf.signal.rfft2d(x), fft_length=[2, 6]),
        tf.signal.irfft3d(tf.signal.rfft3d(x), fft_length=[2, 3, 4]),
    ), X, grad=False, rtol=2e-4, atol=2e-4)


def test_complex_outputs_and_float64():
    check(lambda tf, x: (tf.signal.fft(tf.cast(x, tf.complex128)), tf.signal.rfft(x),
                         tf.signal.irfft(tf.signal.rfft(x)), tf.signal.ifft2d(tf.cast(x, tf.complex128))),
          X64, rtol=1e-9, atol=1e-9)
    check(lambda tf, z: (tf.signal.fft(z), tf.signal.ifft(z), tf.signal.irfft(z),
                         tf.signal.irfft(z, fft_length=[9])), Z, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.signal.fftshift(x),
    lambda tf, x: tf.signal.fftshift(x, axes=1),
    lambda tf, x: tf.signal.ifftshift(x, axes=[0, -1]),
    lambda tf, x: tf.signal.ifftshift(tf.signal.fftshift(x[0, 0, :3])),
    lambda tf, x: tf.signal.frame(x, 2, 1),
    lambda tf, x: tf.signal.frame(x, 3, 2, axis=1),
    lambda tf, x: tf.signal.frame(x, 3, 2, pad_end=True, pad_value=-1.5),
    lambda tf, x: tf.signal.frame(x, 3, 4, pad_end=True, axis=-2),
    lambda tf, x: tf.signal.frame(x, 5, 1),
    lambda tf, x: tf.signal.frame(x[0, 0], 2, 2),
])
def test_shifts_and_frames(fn):
    check(fn, X)


def test_integer_shift_and_frame():
    check(lambda tf: (tf.signal.fftshift(tf.range(5)), tf.signal.ifftshift(tf.range(6)),
                      tf.signal.frame(tf.range(10), 3, 4, pad_end=True, pad_value=-1)))


def test_dct_and_idct():
    """All four types, truncated and zero-padded by `n`, orthonormal, inverses; with gradients."""
    check(lambda tf, x: [tf.signal.dct(x, type=k, n=n) for k in (1, 2, 3, 4) for n in (None, 7)]
          + [tf.signal.idct(x, type=k) for k in (1, 2, 3, 4)]
          + [f(x, type=k, n=3, norm="ortho") for f in (tf.signal.dct, tf.signal.idct) for k in (2, 3, 4)],
          X, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: [tf.signal.dct(x, type=k) for k in (1, 2, 3, 4)], X64, rtol=1e-9, atol=1e-9)

def test_windows():
    check(lambda tf: [tf.signal.hann_window(n, periodic=p) for n in (0, 1, 4, 5) for p in (True, False)]
          + [tf.signal.hamming_window(n, periodic=p, dtype=tf.float64) for n in (1, 4, 5) for p in (True, False)])


@pytest.mark.parametrize("fn, match", [
    (lambda tf, x: tf.signal.fft(x), "Value for attr 'Tcomplex' of float is not in the list of allowed values"),
    (lambda tf, x: tf.signal.fft2d(tf.cast(x[0, 0], tf.complex64)), "Input must have rank of at least 2 but got: [4]"),
    (lambda tf, x: tf.signal.rfft(tf.cast(x, tf.int32)), "RFFT requires tf.float32 or tf.float64 inputs"),
    (lambda tf, x: tf.signal.rfft(x[0, 0, 0]), "Shape () must have rank at least 1"),
    (lambda tf, x: tf.signal.rfft(x, fft_length=[2, 3]), "fft_length must have shape [1]"),
    (lambda tf, x: tf.signal.irfft2d(tf.signal.rfft2d(x), fft_length=[2]), "fft_length must have shape [2]"),
    (lambda tf, x: tf.signal.hann_window(4, dtype=tf.int32), "dtype must be a floating point type. Found"),
])
def test_errors(fn, match):
    check_raises(fn, X, match=match)
