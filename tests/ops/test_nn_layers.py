"""bias_add, moments, batch_normalization, normalize_moments, dropout and
embedding_lookup against real TensorFlow; dropout by its statistics and its
mask (its random bits are jaxtape's own)."""
import numpy as np
import pytest

import jaxtape
from difftest import check, check_raises

rng = np.random.default_rng(3)
X4 = rng.normal(size=(2, 3, 2, 4)).astype(np.float32)
B4 = rng.normal(size=(4,)).astype(np.float32)
B3 = rng.normal(size=(3,)).astype(np.float32)


def test_bias_add():
    check(lambda tf, x, b, c: (tf.nn.bias_add(x, b), tf.nn.bias_add(x, c, data_format="NCHW"),
                               tf.nn.bias_add(x[0, 0], b), tf.nn.bias_add(x[:, :, 0], c, "NCW"),
                               tf.nn.bias_add(x[0, 0], b, "NCHW")),
          X4, B4, B3)


def test_bias_add_errors():
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b), X4, B3,
                 match="Must provide as many biases as the last dimension of the input tensor")
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b, "NCHW"), X4, B4,
                 match="Must provide as many biases as the last dimension of the input tensor: [4] vs. [2,3,2,4]")
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b, "HWNC"), X4, B4, match="must be of the form")
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b), X4, B4[None], match="Biases must be 1D")
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b), B4, B4, match="Input tensor must be at least 2D")
    check_raises(lambda tf, x, b: tf.nn.bias_add(x, b), X4, B4.astype(np.float64))


def test_moments():
    check(lambda tf, x: (tf.nn.moments(x, [0, 1, 2]), tf.nn.moments(x, axes=[1], keepdims=True),
                         tf.nn.moments(x, [-1], shift=3.0)), X4)
    check(lambda tf, x: tf.nn.moments(x, [0]), X4[0, 0].astype(np.float16), rtol=1e-3, atol=1e-3)
    check(lambda tf, x: tf.nn.moments(x, [0, 1]), X4[0, 0].astype(np.float64))


def test_moments_integer():
    check(lambda tf, x: tf.nn.moments(x, [0]), np.array([[1, 4], [2, 8], [4, 3]], np.int32))


def test_batch_normalization_and_normalize_moments():
    mean, var = X4.mean((0, 1, 2)), X4.var((0, 1, 2)) + 0.5
    off, scale = B4, B4 + 2
    check(lambda tf, x, m, v, o, s: (tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
                                     tf.nn.batch_normalization(x, m, v, None, None, 1e-3),
                                     tf.nn.batch_normalization(x, m, v, o, None, 0.1),
                                     tf.nn.batch_normalization(x, m, v, None, s, 0.1)),
          X4, mean, var, off, scale)
    check(lambda tf, c, m, v, s: (tf.nn.normalize_moments(c, m, v, s),
                                  tf.nn.normalize_moments(c, m, v, None)),
          np.float32(6.0), B4, B4 ** 2 + 3, B3[:1])


def test_dropout_statistics_and_mask():
    tf = jaxtape
    x = tf.ones([200, 50])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, rate=0.3, seed=5)
    g = tape.gradient(y, x).numpy()
    y = y.numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(g, y)  # the gradient uses the forward's mask
    assert y.dtype == np.float32


def test_dropout_noise_shape_and_rate_zero():
    tf = jaxtape
    x = tf.ones([40, 6])
    y = tf.nn.dropout(x, 0.5, noise_shape=[40, 1], seed=1).numpy()
    assert ((y == 0) | (y == 2)).all() and (y == y[:, :1]).all() and 5 < (y[:, 0] == 0).sum() < 35
    y = tf.nn.dropout(x, 0.5, noise_shape=[None, 6], seed=1).numpy()
    assert 0 < (y == 0).sum() < 240 and not (y == y[:, :1]).all()
    check(lambda tf, x: tf.nn.dropout(x, 0.0), X4)


def test_dropout_seeded_determinism():
    tf = jaxtape
    tf.random.set_seed(11)
    a = tf.nn.dropout(tf.ones([64]), 0.5, seed=3).numpy()
    b = tf.nn.dropout(tf.ones([64]), 0.5, seed=3).numpy()
    tf.random.set_seed(11)
    a2 = tf.nn.dropout(tf.ones([64]), 0.5, seed=3).numpy()
    b2 = tf.nn.dropout(tf.ones([64]), 0.5, seed=3).numpy()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("rate,match", [(1.0, "in the range [0, 1)"), (-0.1, "in the range [0, 1)")])
def test_dropout_errors(rate, match):
    check_raises(lambda tf, x: tf.nn.dropout(x, rate), X4, match=match)
    check_raises(lambda tf, x: tf.nn.dropout(x, 0.5), np.array([1, 2], np.int32),
                 match="must be a floating point tensor")


def test_embedding_lookup():
    p = rng.normal(size=(5, 3)).astype(np.float32)
    ids = np.array([[0, 4], [2, 2]], np.int32)
    check(lambda tf, p, i: (tf.nn.embedding_lookup(p, i), tf.nn.embedding_lookup(p, i, max_norm=1.0),
                            tf.nn.embedding_lookup(p, [1, 3])), p, ids)
    check(lambda tf, p: tf.nn.embedding_lookup([p[:3], p[3:]], [0, 1, 4, 3]), p)
    check(lambda tf, p: tf.nn.embedding_lookup([p], [4, 0], max_norm=0.5), p)
