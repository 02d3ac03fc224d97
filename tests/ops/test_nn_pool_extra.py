"""tf.nn.pool, with_space_to_batch, fractional max/avg pooling and
isotonic_regression against real TensorFlow (eager and in tf.function)."""
import numpy as np
import pytest

import jaxtape
from difftest import check, real_tf, same_outcome
from jaxtape._src.ops.nn.fractional_pool import pool_with_sequences

rng = np.random.default_rng(12)
X = rng.normal(size=(2, 7, 9, 3)).astype(np.float32)
TOL = dict(rtol=1e-5, atol=1e-5)


def _both(fn):
    return [fn, lambda tf, *a: tf.function(lambda *b: fn(tf, *b))(*a)]


@pytest.mark.parametrize("fn", _both(lambda tf, x: (
    tf.nn.pool(x, [2, 2], "MAX", padding="VALID", dilations=[2, 2]),
    tf.nn.pool(x, [3, 2], "AVG", strides=[2, 1], padding="SAME"),
    tf.nn.pool(x, [2, 3], "AVG", padding="VALID", dilations=[1, 2]),
    tf.nn.pool(x[:, 0], [2], "MAX", strides=[2], padding="SAME"),
    tf.nn.pool(x[:, 0], [2], "AVG", padding="VALID", dilations=[3]),
    tf.compat.v1.nn.pool(x, [2, 2], "MAX", "VALID", dilation_rate=[2, 1]))))
def test_pool(fn):
    check(fn, X, **TOL)


def test_pool_3d_and_errors():
    x3 = rng.normal(size=(1, 5, 6, 4, 2)).astype(np.float32)
    check(lambda tf, x: (tf.nn.pool(x, [2, 2, 2], "MAX", padding="VALID", dilations=[2, 1, 2]),
                         tf.nn.pool(x, [2, 2, 2], "AVG", strides=[2, 2, 2])), x3, grad=False, **TOL)
    for fn in [lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", padding="SAME", dilations=[2, 2]),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", strides=[3, 1]),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", strides=[2, 2], dilations=[2, 2]),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MIN"),
               lambda tf, x: tf.nn.pool(x, [2, 2, 2, 2], "MAX"),
               lambda tf, x: tf.nn.pool(x, [2], "MAX"),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", dilations=[0, 1]),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", strides=[1]),
               lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", data_format="NCHW", dilations=[2, 2])]:
        same_outcome(lambda tf: fn(tf, tf.constant(X)))


def test_with_space_to_batch():
    def fn(tf, x):
        def op(inp, n, padding):
            return tf.nn.max_pool2d(inp, 2, 1, padding) * 2.0
        return (tf.nn.with_space_to_batch(x, [2, 3], "VALID", op),
                tf.nn.with_space_to_batch(x, [2, 2], "SAME", op, filter_shape=[2, 2]),
                tf.nn.with_space_to_batch(x, [1, 1], "SAME", op),
                tf.nn.with_space_to_batch(x, np.array([2]), "VALID",
                                          lambda i, n, p: tf.nn.avg_pool2d(i, [1, 2], 1, p), spatial_dims=[2]))
    for f in _both(fn):
        check(f, X, **TOL)
    for bad in [lambda tf, x: tf.nn.with_space_to_batch(x, [2, 2], "SAME", lambda i, n, p: i),
                lambda tf, x: tf.nn.with_space_to_batch(x, [2, 2], "FULL", lambda i, n, p: i),
                lambda tf, x: tf.nn.with_space_to_batch(x, [2, 0], "VALID", lambda i, n, p: i),
                lambda tf, x: tf.nn.with_space_to_batch(x, [2, 2], "VALID", lambda i, n, p: i, spatial_dims=[2, 1]),
                lambda tf, x: tf.nn.with_space_to_batch(x, [2, 2], "VALID", lambda i, n, p: i, spatial_dims=[3, 4])]:
        same_outcome(lambda tf: bad(tf, tf.constant(X)))


# -- fractional pooling ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pseudo,overlapping", [(False, False), (True, False), (True, True), (False, True)])
def test_fractional_given_sequences(kind, pseudo, overlapping):
    """TF's random sequences fed to jaxtape's pooling: values and gradients."""
    tf = real_tf()
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        pool = tf.nn.fractional_max_pool if kind == "max" else tf.nn.fractional_avg_pool
        y, rows, cols = pool(x, [1.0, 1.5, 1.7, 1.0], pseudo_random=pseudo, overlapping=overlapping, seed=7)
        w = rng.uniform(0.5, 1.5, size=y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * w)
    want = tape.gradient(loss, x).numpy()
    jx = jaxtape.constant(X)
    with jaxtape.GradientTape() as tape:
        tape.watch(jx)
        got = pool_with_sequences(kind, jx, jaxtape.constant(rows.numpy()), jaxtape.constant(cols.numpy()),
                                  overlapping)
        jloss = jaxtape.reduce_sum(got * w)
    np.testing.assert_allclose(got.numpy(), y.numpy(), **TOL)
    np.testing.assert_allclose(tape.gradient(jloss, jx).numpy(), want, **TOL)


def test_fractional_sequences_rules():
    x = jaxtape.constant(X)
    for pseudo in (False, True):
        for seed in (0, 1, 5):
            _, rows, cols = jaxtape.nn.fractional_max_pool(x, [1.0, 1.5, 1.7, 1.0], pseudo_random=pseudo, seed=seed)
            for seq, n, out in ((rows.numpy(), 7, 4), (cols.numpy(), 9, 5)):
                assert seq.dtype == np.int64 and seq[0] == 0 and seq[-1] == n and len(seq) == out + 1
                assert set(np.diff(seq)) <= {n // out, n // out + 1}


@pytest.mark.parametrize("fn", _both(lambda tf, x: (
    tf.nn.fractional_max_pool(x, [1.0, 7.0, 3.0, 1.0]),  # divisible sizes: sequences are fixed
    tf.nn.fractional_avg_pool(x, [1.0, 7.0, 3.0, 1.0], overlapping=True),
    tf.nn.fractional_max_pool(x, [1.0, 1.0, 3.0, 1.0], pseudo_random=True, overlapping=True),
    tf.compat.v1.nn.fractional_avg_pool(x, [1.0, 7.0, 1.0, 1.0]))))
def test_fractional_deterministic(fn):
    check(fn, X, **TOL)


def test_fractional_shapes_dtypes_errors():
    x = X
    for fn in [lambda tf, x: [t.shape for t in tf.nn.fractional_max_pool(x, 1.5)],
               lambda tf, x: [t.dtype.name for t in tf.nn.fractional_avg_pool(tf.cast(x, tf.int32),
                                                                           [1.0, 1.5, 1.3, 1.0])],
               lambda tf, x: tf.nn.fractional_max_pool(x, [1., 8., 3., 1.]),
               lambda tf, x: tf.nn.fractional_max_pool(x, [2., 1.5, 3., 1.]),
               lambda tf, x: tf.nn.fractional_max_pool(x, 0.5),
               lambda tf, x: tf.nn.fractional_max_pool(x, "a"),
               lambda tf, x: tf.nn.fractional_max_pool(x[0], 1.5),
               lambda tf, x: tf.nn.fractional_avg_pool(x, 1.5),
               lambda tf, x: tf.nn.fractional_avg_pool(x, [1., 1.5, 1.5, 1.5]),
               lambda tf, x: tf.nn.fractional_max_pool(tf.cast(x, tf.int8), 1.5)]:
        same_outcome(lambda tf: fn(tf, tf.constant(x)), message=False)


# -- isotonic regression -------------------------------------------------------------------

@pytest.mark.parametrize("fn", _both(lambda tf, x: (
    tf.nn.isotonic_regression(x), tf.nn.isotonic_regression(x, decreasing=False),
    tf.nn.isotonic_regression(x, axis=0), tf.nn.isotonic_regression(x[:, :4], decreasing=False, axis=0))))
def test_isotonic(fn):
    # Rank 2: TF's own gradient (and a non-last axis) fails for higher ranks.
    check(fn, X[0, 0], **TOL)


def test_isotonic_ties_and_dtypes():
    ties = np.array([[1., 1., 1., 0.], [3., 1., 1., 2.], [1., 2., 3., 3.], [2., 2., 3., 1.]], np.float32)
    check(lambda tf, x: tf.nn.isotonic_regression(x), ties)
    check(lambda tf, x: tf.nn.isotonic_regression(x, decreasing=False), ties)
    check(lambda tf, x: tf.nn.isotonic_regression(x), ties.astype(np.float64), rtol=1e-12)
    for dt in ("int32", "int8", "int64"):
        check(lambda tf, x: tf.nn.isotonic_regression(x), (ties * 3).astype(dt))
