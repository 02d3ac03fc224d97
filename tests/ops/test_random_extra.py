"""stateless_gamma, stateless_binomial, stateless_parameterized_truncated_normal
and create_rng_state against real TensorFlow: shapes, dtypes, errors, exact
RNG states; sample statistics with fixed seeds; gradients by TF's formulas
evaluated at jaxtape's samples."""
import numpy as np
import pytest

import jaxtape as jt
from difftest import check_raises, real_tf, same_error, same_values


def _meta(fn):
    tf = real_tf()
    want, got = fn(tf), fn(jt)
    assert [(g.dtype.name, tuple(g.shape)) for g in got] == [(w.dtype.name, tuple(w.shape)) for w in want]


def test_shapes_and_dtypes_match_tf():
    _meta(lambda tf: [
        tf.random.stateless_gamma([3, 2], [1, 2], alpha=[1., 2.]),
        tf.random.stateless_gamma([2], [1, 2], alpha=1., dtype=tf.float64),
        tf.random.stateless_gamma([4, 3, 2], [1, 2], alpha=[[1.], [2.], [3.]], beta=[1., 2.]),
        tf.random.stateless_gamma([2], [1, 2], alpha=1., dtype=tf.float16),
        tf.random.stateless_binomial([3, 2], [1, 2], counts=[10., 20.], probs=0.5),
        tf.random.stateless_binomial([3, 2], [1, 2], counts=[10., 20.], probs=[0.5], output_dtype=tf.int64),
        tf.random.stateless_binomial([3, 2], [1, 2], counts=10., probs=0.5, output_dtype=tf.float64),
        tf.random.stateless_parameterized_truncated_normal([10, 2, 3], [7, 17], 0., tf.ones([2, 3]),
                                                           [-1., -2, -1000], [[10000.], [1.]]),
        tf.random.stateless_parameterized_truncated_normal([2, 3], [7, 17], tf.zeros([3], tf.float64),
                                                           tf.constant(1., tf.float64),
                                                           tf.constant(-2., tf.float64), tf.constant(2., tf.float64)),
        tf.random.stateless_parameterized_truncated_normal([0, 3], [7, 17]),
    ])


@pytest.mark.parametrize("fn", [
    lambda tf: tf.random.stateless_gamma([3, 2], [1, 2], alpha=[1.]),
    lambda tf: tf.random.stateless_gamma([3, 2], [1, 2], alpha=[[1.], [2.], [3.]]),
    lambda tf: tf.random.stateless_gamma([2], [1, 2], alpha=1., dtype=tf.int32),
    lambda tf: tf.random.stateless_gamma([2], [1, 2, 3], alpha=1.),
    lambda tf: tf.random.stateless_binomial([3, 2], [1, 2], counts=[10., 20., 3], probs=0.5),
    lambda tf: tf.random.stateless_parameterized_truncated_normal([3], [1, 2], 0., 0., -2., 2.),
    lambda tf: tf.random.stateless_parameterized_truncated_normal([3], [1, 2], 0., 1., 2., 2.),
    lambda tf: tf.random.stateless_parameterized_truncated_normal([3], [1, 2], 0., 1., -np.inf, np.inf),
    lambda tf: tf.random.stateless_parameterized_truncated_normal([3], [1, 2], 0., tf.ones([2]), -2., 2.),
    lambda tf: tf.random.stateless_parameterized_truncated_normal([2, 3], [7, 17], 0., tf.ones([2, 3], tf.float64)),
    lambda tf: tf.random.create_rng_state(1, "foo"),
])
def test_errors_match_tf(fn):
    same_error(fn)


def test_dtype_attr_errors_match_tf():
    for fn in (lambda tf: tf.random.stateless_gamma([2], [1, 2], alpha=1., dtype=tf.bfloat16),
               lambda tf: tf.random.stateless_parameterized_truncated_normal([2], [7, 17], 0, 1, -2, 2)):
        got, want = check_raises(fn)
        assert str(got).split("\n")[0] == str(want).split("\n")[0]


def test_create_rng_state_equals_tf():
    same_values(lambda tf: [tf.random.create_rng_state(s, a)
                            for s in (12345678901234, 0, -1, 2**64 - 1, 2**70 + 5, [1, 2], [1, 2, 3, 4],
                                      np.array([7], np.int64))
                            for a in ("philox", "threefry", "auto_select", 1, 2, 3, " Thread-Fry ".strip()
                                      .replace("Thread", "three"))], rtol=0, atol=0)
    same_values(lambda tf: tf.random.create_rng_state(5, tf.random.Algorithm.THREEFRY))


def test_stateless_determinism():
    a = jt.random.stateless_gamma([5], [3, 4], 2.0).numpy()
    np.testing.assert_array_equal(a, jt.random.stateless_gamma([5], [3, 4], 2.0).numpy())
    assert not np.array_equal(a, jt.random.stateless_gamma([5], [3, 5], 2.0).numpy())
    b = jt.random.stateless_binomial([5], [3, 4], 10, 0.3).numpy()
    np.testing.assert_array_equal(b, jt.random.stateless_binomial([5], [3, 4], 10, 0.3).numpy())


def test_statistics():
    g = jt.random.stateless_gamma([20000, 2], [1, 2], alpha=[2.0, 0.5], beta=[4.0, 1.0]).numpy()
    np.testing.assert_allclose(g.mean(0), [0.5, 0.5], atol=0.03)
    np.testing.assert_allclose(g.var(0), [2 / 16, 0.5], rtol=0.1)
    assert g.min() > 0
    b = jt.random.stateless_binomial([20000, 3], [5, 6], counts=[10., 20., 5.], probs=[0.3, 0.5, 1.0]).numpy()
    np.testing.assert_allclose(b.mean(0), [3, 10, 5], atol=0.1)
    np.testing.assert_allclose(b.var(0)[:2], [2.1, 5.0], rtol=0.1)
    assert b.dtype == np.int32 and b.min() >= 0 and np.all(b.max(0) <= [10, 20, 5])
    t = jt.random.stateless_parameterized_truncated_normal([20000, 2], [1, 9], means=[1.0, 0.0], stddevs=2.0,
                                                           minvals=[0.0, -1.0], maxvals=[3.0, 5.0]).numpy()
    assert np.all(t.min(0) >= [0.0, -1.0]) and np.all(t.max(0) <= [3.0, 5.0])
    from scipy import stats
    want = [stats.truncnorm((lo - m) / 2, (hi - m) / 2, loc=m, scale=2).mean()
            for m, lo, hi in ((1, 0, 3), (0, -1, 5))]
    np.testing.assert_allclose(t.mean(0), want, atol=0.03)


def test_gamma_gradients_are_tfs():
    tf = real_tf()
    alpha, beta = jt.constant([1.5, 3.0]), jt.constant(2.0)
    with jt.GradientTape() as tape:
        tape.watch([alpha, beta])
        y = jt.random.stateless_gamma([4, 2], [1, 2], alpha, beta)
        loss = jt.reduce_sum(y * jt.constant(np.arange(8, dtype=np.float32).reshape(4, 2)))
    ga, gb = tape.gradient(loss, [alpha, beta])
    w = np.arange(8, dtype=np.float32).reshape(4, 2)
    raw = y.numpy() * 2.0  # the unscaled gamma sample
    dsample = tf.raw_ops.RandomGammaGrad(alpha=tf.constant([1.5, 3.0]), sample=tf.constant(raw)).numpy()
    np.testing.assert_allclose(ga.numpy(), (w * dsample / 2.0).sum(0), rtol=2e-4)
    np.testing.assert_allclose(gb.numpy(), (w * -raw / 4.0).sum(), rtol=1e-5)


def test_truncated_normal_gradients_are_tfs():
    from scipy.special import ndtr
    means, stds = jt.constant([0.5, -1.0]), jt.constant([1.0, 2.0])
    lo, hi = jt.constant(-1.0), jt.constant([2.0, 0.0])
    w = np.arange(1, 7, dtype=np.float32).reshape(3, 2)
    with jt.GradientTape() as tape:
        tape.watch([means, stds, lo, hi])
        y = jt.random.stateless_parameterized_truncated_normal([3, 2], [4, 2], means, stds, lo, hi)
        loss = jt.reduce_sum(y * jt.constant(w))
    grads = [g.numpy() for g in tape.gradient(loss, [means, stds, lo, hi])]
    m, s, a, b = (np.broadcast_to(v.numpy().astype(np.float64), (3, 2)) for v in (means, stds, lo, hi))
    x = (y.numpy() - m) / s
    an, bn = (a - m) / s, (b - m) / s
    cdf = np.clip((ndtr(x) - ndtr(an)) / (ndtr(bn) - ndtr(an)), np.finfo(np.float32).tiny,
                  1 - np.finfo(np.float32).eps)
    dhi = np.exp(0.5 * (x ** 2 - bn ** 2) + np.log(cdf))
    dlo = np.exp(0.5 * (x ** 2 - an ** 2) + np.log1p(-cdf))
    np.testing.assert_allclose(grads[0], w.sum(0), rtol=1e-5)
    np.testing.assert_allclose(grads[1], (w * x).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads[2], (w * dlo).sum(), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(grads[3], (w * dhi).sum(0), rtol=1e-3, atol=1e-5)
