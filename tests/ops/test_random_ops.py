"""tf.random: shapes, dtypes, errors against real TensorFlow; determinism of
seeds within jaxtape; sample statistics. (Values differ from TF's: another
generator, by design.)"""
import numpy as np
import pytest

import jaxtape as jt
from difftest import check, check_raises, real_tf


def _meta(fn):
    """Same dtypes and shapes from TF and jaxtape."""
    tf = real_tf()
    want, got = fn(tf), fn(jt)
    want, got = (want if isinstance(want, (list, tuple)) else [want]), (got if isinstance(got, (list, tuple)) else [got])
    assert [(g.dtype.name, tuple(g.shape)) for g in got] == [(w.dtype.name, tuple(w.shape)) for w in want]


def test_shapes_and_dtypes_match_tf():
    _meta(lambda tf: [
        tf.random.normal([2, 3]), tf.random.normal([4], dtype=tf.float64),
        tf.random.uniform([3]), tf.random.uniform([2], maxval=5, dtype=tf.int64),
        tf.random.uniform([2], dtype=tf.float16), tf.random.truncated_normal([2, 3], dtype=tf.float64),
        tf.random.categorical(tf.zeros([2, 3]), 4), tf.random.categorical(tf.zeros([2, 3]), 4, dtype=tf.int32),
        tf.random.shuffle(tf.range(5)), tf.random.shuffle(tf.constant(3)),
        tf.random.poisson([4], [1., 2.], dtype=tf.int32),
        tf.random.gamma([4], [1., 2.], beta=[[1.], [2.]]),
        tf.random.stateless_normal([2], seed=[1, 2]), tf.random.stateless_truncated_normal([2], seed=[1, 2]),
        tf.random.stateless_uniform([2], seed=[1, 2], minval=None, maxval=None, dtype=tf.int32),
        tf.random.stateless_uniform([2], seed=[1, 2], minval=0, maxval=5, dtype=tf.int64),
        tf.random.stateless_categorical(tf.zeros([2, 3]), 4, seed=[1, 2]),
        tf.random.split([1, 2]), tf.random.split([1, 2], 3), tf.random.fold_in([1, 2], 7),
        tf.random.experimental.stateless_split(tf.constant([1, 2], tf.int64)),
    ])


def test_generator_matches_tf_shapes_and_state():
    def gen(tf):
        g = tf.random.Generator.from_seed(1)
        outs = [g.normal([2]), g.uniform([2], maxval=3, dtype=tf.int32), g.truncated_normal([3, 1]),
                g.uniform_full_int([2]), g.make_seeds(3), g.split(2)[1].normal([2], dtype=tf.float64)]
        return outs + [g.state]
    _meta(gen)
    g = jt.random.Generator.from_seed(5)
    before = g.state.numpy().copy()
    g.normal([1])
    assert not np.array_equal(before, g.state.numpy())
    assert isinstance(g.state, jt.Variable)


@pytest.mark.parametrize("fn, match", [
    (lambda tf: tf.random.uniform([2], dtype=tf.int32), "Must specify maxval for integer dtype tf.int32"),
    (lambda tf: tf.random.uniform([2], dtype=tf.bool), "Argument `dtype` got invalid value <dtype: 'bool'>"),
    (lambda tf: tf.random.uniform([2], minval=5, maxval=5, dtype=tf.int32), "Need minval < maxval, got 5 >= 5"),
    (lambda tf: tf.random.uniform([2], minval=0.5, maxval=2, dtype=tf.int32), "Cannot convert 0.5"),
    (lambda tf: tf.random.normal([2], dtype=tf.int32), "Cannot convert 0.0 to EagerTensor of dtype int32"),
    (lambda tf: tf.random.categorical(tf.zeros([3]), 4), "logits should be a matrix, got shape [3]"),
    (lambda tf: tf.random.stateless_normal([2], seed=[1, 2, 3]), "seed must have shape [2], not [3]"),
    (lambda tf: tf.random.stateless_normal([2], seed=1), "seed must have shape [2], not []"),
    (lambda tf: tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32),
     "argument `minval` and `maxval` must be both None or not None"),
    (lambda tf: tf.random.Generator.from_seed(1).uniform([2], dtype=tf.int32),
     "minval and maxval must be both `None` or both non-`None`"),
])
def test_errors_match_tf(fn, match):
    check_raises(fn, match=match)


def test_seeding_is_deterministic():
    def draw():
        jt.random.set_seed(7)
        return [jt.random.normal([3]).numpy(), jt.random.uniform([3], seed=2).numpy(),
                jt.random.uniform([3], seed=2).numpy(), jt.random.shuffle(jt.range(6)).numpy()]
    a, b = draw(), draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[1], a[2]), "an op seed gives a new value each call"
    s1 = jt.random.stateless_normal([4], seed=[3, 4]).numpy()
    np.testing.assert_array_equal(s1, jt.random.stateless_normal([4], seed=[3, 4]).numpy())
    assert not np.array_equal(s1, jt.random.stateless_normal([4], seed=[3, 5]).numpy())
    g1, g2 = jt.random.Generator.from_seed(3), jt.random.Generator.from_seed(3)
    np.testing.assert_array_equal(g1.normal([3]).numpy(), g2.normal([3]).numpy())
    jt.random.set_seed(None)


def test_statistics_and_ranges():
    jt.random.set_seed(1)
    n = jt.random.normal([20000], mean=2.0, stddev=3.0).numpy()
    assert abs(n.mean() - 2) < 0.1 and abs(n.std() - 3) < 0.1
    t = jt.random.truncated_normal([20000], stddev=2.0).numpy()
    assert np.abs(t).max() <= 4.0 and abs(t.std() - 2 * 0.8796) < 0.05
    u = jt.random.uniform([20000], -1.0, 3.0).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.05
    i = jt.random.uniform([5000], 2, 6, dtype=jt.int32).numpy()
    assert set(np.unique(i)) == {2, 3, 4, 5}
    c = jt.random.categorical(jt.math.log(jt.constant([[0.1, 0.9]])), 5000).numpy()
    assert abs(c.mean() - 0.9) < 0.03
    p = jt.random.poisson([5000], [1.0, 3.0]).numpy()
    assert np.all(np.abs(p.mean(axis=0) - [1, 3]) < 0.15)
    g = jt.random.gamma([5000], [2.0, 1.0], beta=[[4.0], [1.0]]).numpy()
    assert np.all(np.abs(g.mean(axis=0) - [[0.5, 0.25], [2.0, 1.0]]) < 0.06)
    s = jt.random.shuffle(jt.range(10)).numpy()
    assert sorted(s) == list(range(10))
    jt.random.set_seed(None)


def test_gradients_through_parameters():
    # The sample is random, but its derivative w.r.t. the location is 1 and
    # w.r.t. the scale is the standardized sample, in both frameworks.
    check(lambda tf, m: tf.reduce_sum(tf.random.normal([3], mean=m, stddev=0.0)), np.float32(1.5))
    check(lambda tf, lo: tf.random.uniform([2], minval=lo, maxval=lo), np.float32(0.5))
    mean = jt.constant(1.0)
    with jt.GradientTape() as tape:
        tape.watch(mean)
        y = jt.reduce_sum(jt.random.gamma([5], mean))
    assert tape.gradient(y, mean) is not None
