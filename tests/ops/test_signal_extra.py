"""tf.signal's Kaiser, KBD and Vorbis windows, MDCT and N-D FFTs against real TensorFlow.

TF 2.21 registers FFTND, IFFTND, RFFTND and IRFFTND for GPUs only: on the CPU
(eagerly, in tf.function and under XLA) they raise NotFoundError, so their
values are checked against NumPy's FFTs with TF's wrapper conventions
(fft_length, axes, norm), and TF only for the Python-level errors.
"""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import check, real_tf, same_outcome

RNG = np.random.default_rng(5)
SIGNAL = RNG.standard_normal((2, 64)).astype(np.float32)


@pytest.mark.parametrize("length", [0, 1, 2, 5, 8, 33])
def test_windows_match_tf(length):
    same_outcome(lambda tf: [tf.signal.kaiser_window(length), tf.signal.kaiser_window(length, 3.5, tf.float64),
                             tf.signal.kaiser_bessel_derived_window(length),
                             tf.signal.kaiser_bessel_derived_window(length, 2.0, dtype=tf.float64),
                             tf.signal.vorbis_window(length), tf.signal.vorbis_window(length, tf.float64)],
                 rtol=2e-6, atol=1e-6)


def test_window_gradients_in_beta_match_tf():
    check(lambda tf, b: (tf.signal.kaiser_window(9, b), tf.signal.kaiser_bessel_derived_window(10, b)),
          np.float32(4.0), rtol=1e-5, atol=1e-5)
    check(lambda tf, b: tf.signal.kaiser_window(16, b, dtype=tf.float64), np.float64(0.5))


@pytest.mark.parametrize("fn", [
    lambda tf: tf.signal.kaiser_window(4, dtype=tf.int32),
    lambda tf: tf.signal.vorbis_window([4]),
    lambda tf: tf.signal.kaiser_bessel_derived_window(2.5),
    lambda tf: tf.signal.mdct(tf.ones([20]), 6),
    lambda tf: tf.signal.mdct(tf.constant(1.0), 4),
    lambda tf: tf.signal.inverse_mdct(tf.ones([4])),
    lambda tf: tf.signal.inverse_mdct(tf.ones([2, 4]), norm="bad"),
])
def test_window_and_mdct_errors(fn):
    same_outcome(fn)


def test_mdct_values_and_gradients_match_tf():
    check(lambda tf, x: tf.signal.mdct(x, 16), SIGNAL, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.signal.mdct(x, 12, pad_end=True, norm="ortho"), SIGNAL, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.signal.mdct(x, 8, window_fn=None), SIGNAL.astype(np.float64))
    check(lambda tf, x: tf.signal.mdct(x, 16, window_fn=tf.signal.kaiser_bessel_derived_window),
          SIGNAL[0], rtol=1e-4, atol=1e-4)


def test_inverse_mdct_values_and_gradients_match_tf():
    coeffs = RNG.standard_normal((2, 5, 8)).astype(np.float32)
    check(lambda tf, c: tf.signal.inverse_mdct(c), coeffs, rtol=1e-4, atol=1e-4)
    check(lambda tf, c: tf.signal.inverse_mdct(c, norm="ortho", window_fn=None), coeffs, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.signal.inverse_mdct(tf.signal.mdct(x, 16, norm="ortho"), norm="ortho"),
          SIGNAL.astype(np.float64))


def test_mdct_inside_tf_function_matches_eager():
    x = jaxtape.constant(SIGNAL)
    f = jaxtape.function(lambda s: jaxtape.signal.inverse_mdct(jaxtape.signal.mdct(s, 16)))
    tf = real_tf()
    want = tf.function(lambda s: tf.signal.inverse_mdct(tf.signal.mdct(s, 16)))(tf.constant(SIGNAL))
    np.testing.assert_allclose(f(x).numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


# -- N-D FFTs ------------------------------------------------------------------------

C = (RNG.standard_normal((2, 3, 4)) + 1j * RNG.standard_normal((2, 3, 4))).astype(np.complex64)
R = RNG.standard_normal((2, 3, 4)).astype(np.float32)
NORMS = {None: (1, 1), "backward": (1, 1), "forward": (-1, 1), "ortho": (-0.5, 0.5)}


def _np_scale(n, norm, inverse):
    power = NORMS.get(norm, (0, 0))[1 if inverse else 0]
    return n ** power if norm in ("forward", "ortho") else 1


@pytest.mark.parametrize("kw", [{}, {"axes": [1]}, {"axes": [-1, 0]}, {"axes": [0, 2], "fft_length": [3, 2]},
                                {"axes": [2], "fft_length": [7]}, {"norm": "ortho"}, {"norm": "forward"},
                                {"axes": [1, 2], "norm": "ortho", "fft_length": [4, 4]}])
def test_fftnd_and_ifftnd_match_numpy(kw):
    axes = kw.get("axes")
    s = kw.get("fft_length")
    n = np.prod(s) if s else np.prod([C.shape[a] for a in (axes or range(3))])
    for fn, ref, inverse in ((jaxtape.signal.fftnd, np.fft.fftn, False),
                             (jaxtape.signal.ifftnd, np.fft.ifftn, True)):
        got = fn(jaxtape.constant(C), **kw)
        want = ref(C, s=s, axes=axes) * (n if inverse and kw.get("norm") == "forward" else 1)
        if kw.get("norm") == "ortho":
            want = want * (np.sqrt(n) if inverse else 1 / np.sqrt(n))
        if kw.get("norm") == "forward" and not inverse:
            want = want / n
        assert got.dtype == jaxtape.complex64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [{}, {"axes": [0, 1]}, {"axes": [2], "fft_length": [6]},
                                {"axes": [1, 2], "fft_length": [2, 5], "norm": "ortho"}, {"norm": "forward"}])
def test_rfftnd_and_irfftnd_match_numpy(kw):
    axes = kw.get("axes")
    s = kw.get("fft_length")
    n = np.prod(s) if s else np.prod([R.shape[a] for a in (axes or range(3))])
    scale = {"ortho": 1 / np.sqrt(n), "forward": 1 / n}.get(kw.get("norm"), 1)
    got = jaxtape.signal.rfftnd(jaxtape.constant(R), **kw)
    assert got.dtype == jaxtape.complex64
    np.testing.assert_allclose(got.numpy(), np.fft.rfftn(R, s=s, axes=axes) * scale, rtol=1e-4, atol=1e-4)
    back = jaxtape.signal.irfftnd(got, **kw)
    want = np.fft.irfftn(got.numpy(), s=s, axes=axes) / scale
    assert back.dtype == jaxtape.float32
    np.testing.assert_allclose(back.numpy(), want, rtol=1e-4, atol=1e-4)
    d = jaxtape.signal.irfftnd(jaxtape.constant(C.astype(np.complex128)))
    assert d.dtype == jaxtape.float64 and tuple(d.shape) == (2, 3, 6)


def test_fftnd_gradients_are_adjoints():
    x = jaxtape.constant(R.astype(np.float64))
    with jaxtape.GradientTape() as tape:
        tape.watch(x)
        y = jaxtape.reduce_sum(jaxtape.abs(jaxtape.signal.rfftnd(x, axes=[1, 2])) ** 2)
    g = tape.gradient(y, x).numpy()
    # Parseval over the half spectrum: compare with a finite difference.
    eps = 1e-6
    d = np.zeros_like(R, np.float64)
    d[1, 2, 3] = eps
    f = lambda a: np.sum(np.abs(np.fft.rfftn(a, axes=[1, 2])) ** 2)
    np.testing.assert_allclose(g[1, 2, 3], (f(R + d) - f(R - d)) / (2 * eps), rtol=1e-4)
    c = jaxtape.constant(C)
    with jaxtape.GradientTape() as tape:
        tape.watch(c)
        y = jaxtape.reduce_sum(jaxtape.math.real(jaxtape.signal.fftnd(c, axes=[0])))
    assert tape.gradient(y, c).shape == C.shape


def test_fftnd_inside_tf_function():
    f = jaxtape.function(lambda a: jaxtape.signal.irfftnd(jaxtape.signal.rfftnd(a)))
    np.testing.assert_allclose(f(jaxtape.constant(R)).numpy()[..., :4], R, rtol=1e-5, atol=1e-5)


def test_rfftnd_errors_match_tf_wrapper():
    same_outcome(lambda tf: tf.signal.rfftnd(tf.constant([1, 2])))
    same_outcome(lambda tf: tf.signal.irfftnd(tf.constant([1.0, 2.0])))


def test_tf_has_no_cpu_kernel_for_fftnd():
    tf = real_tf()
    with pytest.raises(tf.errors.NotFoundError):
        tf.signal.fftnd(tf.constant(C))
