"""tf.signal's spectral ops and tf.audio's WAV codec against real TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import check, real_tf, same_outcome

RNG = np.random.default_rng(3)
SIGNAL = RNG.standard_normal((2, 300)).astype(np.float32)


def test_stft_magnitudes_and_gradients_match_tf():
    check(lambda tf, x: tf.abs(tf.signal.stft(x, 64, 16)), SIGNAL, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.abs(tf.signal.stft(x, 60, 20, fft_length=128, pad_end=True)),
          SIGNAL, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.math.real(tf.signal.stft(x, 32, 8, window_fn=None)), SIGNAL[0],
          rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.abs(tf.signal.stft(x, 50, 25,
                                              window_fn=tf.signal.hamming_window)),
          SIGNAL.astype(np.float64), rtol=1e-6, atol=1e-6)


def test_inverse_stft_and_overlap_and_add_match_tf():
    check(lambda tf, x: tf.signal.inverse_stft(
        tf.signal.stft(x, 64, 16), 64, 16, window_fn=tf.signal.inverse_stft_window_fn(16)),
        SIGNAL, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.signal.inverse_stft(tf.signal.stft(x, 32, 16), 40, 16, fft_length=32),
          SIGNAL, rtol=1e-4, atol=1e-4)  # frames longer than the FFT: zero-padded
    check(lambda tf, x: tf.signal.overlap_and_add(tf.reshape(x[0, :240], [2, 10, 12]), 5), SIGNAL)
    check(lambda tf, x: tf.signal.inverse_stft_window_fn(12)(40, dtype=tf.float64) * x[0, 0],
          SIGNAL.astype(np.float64))
    same_outcome(lambda tf: tf.signal.overlap_and_add(tf.range(12.0), 2))


@pytest.mark.parametrize("args", [(4, 9, 8000, 125.0, 3800.0), (40, 257, 16000, 80.0, 7600.0),
                                  (2, 5), (3, 0, 8000, 125.0, 3800.0)])
def test_mel_weights_match_tf(args):
    same_outcome(lambda tf: tf.signal.linear_to_mel_weight_matrix(*args), atol=2e-5)
    same_outcome(lambda tf: tf.signal.linear_to_mel_weight_matrix(*args, dtype=tf.float64))


@pytest.mark.parametrize("args", [(0,), (4, 9, 8000, -1.0, 3800.0), (4, 9, 8000, 3800.0, 125.0),
                                  (4, 9, 8000, 125.0, 5000.0), (4, 9, 0, 125.0, 3800.0)])
def test_mel_argument_errors_match_tf(args):
    same_outcome(lambda tf: tf.signal.linear_to_mel_weight_matrix(*args))


def test_mfccs_match_tf():
    check(lambda tf, x: tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(x * x + 1.0)),
          RNG.standard_normal((3, 4, 40)).astype(np.float32), rtol=1e-4, atol=1e-5)


def test_the_audio_recognition_pipeline_matches_tf():
    """TF's "simple audio recognition" tutorial: WAV -> spectrogram -> log-mel -> MFCC."""
    wav = real_tf().audio.encode_wav(SIGNAL.T / 4.0, 16000).numpy()

    def pipeline(tf):
        audio, rate = tf.audio.decode_wav(wav, desired_channels=1)
        spectrogram = tf.abs(tf.signal.stft(tf.squeeze(audio, -1), 128, 32))
        mel = tf.tensordot(spectrogram, tf.signal.linear_to_mel_weight_matrix(
            20, spectrogram.shape[-1], 16000, 20.0, 4000.0), 1)
        return [rate, tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(mel + 1e-6))[:, :13]]

    same_outcome(pipeline, rtol=1e-4, atol=1e-4)


AUDIO = np.float32([[0.0, 0.5], [1.0, -1.0], [0.25, -0.3], [2.0, -3.0]])


def test_encode_wav_writes_tfs_bytes():
    tf = real_tf()
    noisy = RNG.uniform(-1.2, 1.2, (1000, 3)).astype(np.float32)
    for audio, rate in ((AUDIO, 16000), (noisy, 8000), (noisy[:, :1], 44100)):
        assert jaxtape.audio.encode_wav(audio, rate).numpy() == tf.audio.encode_wav(audio, rate).numpy()
    same_outcome(lambda tf: tf.audio.encode_wav(np.float32([0.1, 0.2]), 8000))


@pytest.mark.parametrize("options", [{}, {"desired_channels": 1}, {"desired_channels": 3},
                                     {"desired_samples": 6}, {"desired_samples": 2}])
def test_decode_wav_matches_tf(options):
    wav = real_tf().audio.encode_wav(AUDIO, 16000).numpy()
    same_outcome(lambda tf: tuple(tf.audio.decode_wav(wav, **options)))


def test_bad_wav_files_raise_tfs_errors():
    wav = bytearray(real_tf().audio.encode_wav(AUDIO, 16000).numpy())
    eight_bit = bytes(wav[:34]) + b"\x08" + bytes(wav[35:])
    for data in (b"junk", bytes(wav[:30]), eight_bit):
        same_outcome(lambda tf: tf.audio.decode_wav(data))
