"""tf.image.extract_glimpse against real TensorFlow: the origin arithmetic of every
centered/normalized combination, zero fill exactly, uniform/gaussian noise within
TF's bounds (its values are random), errors, no gradient, inside tf.function."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.difftest import real_tf, same_outcome

import jaxtape

IMG = np.arange(2 * 4 * 5 * 2, dtype=np.float32).reshape(2, 4, 5, 2)
OFFSETS = [(1.0, 2.0), (0.0, 0.0), (-1.5, 0.5), (0.3, 0.6), (-0.5, -0.99), (0.9, -0.2),
           (3.7, 4.2), (-3.0, 7.0), (1.999, -1.0001), (10.0, 10.0)]
SIZES = [(2, 3), (1, 1), (4, 5), (6, 7), (3, 2)]


@pytest.mark.parametrize("centered,normalized", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("size", SIZES)
def test_zero_noise_matches(centered, normalized, size):
    def fn(tf):
        out = []
        for a, b in itertools.combinations(OFFSETS, 2):
            out.append(tf.image.extract_glimpse(tf.constant(IMG), list(size), [a, b],
                                                centered=centered, normalized=normalized,
                                                noise="zero"))
        return out
    same_outcome(fn)


@pytest.mark.parametrize("noise", ["uniform", "gaussian", ""])
def test_random_noise_only_outside(noise):
    """Inside the image the values are TF's; outside, within TF's noise bounds."""
    tf = real_tf()
    offsets = [(-1.5, 0.5), (2.9, -1.2)]
    kw = dict(centered=False, normalized=False)
    zero_tf = tf.image.extract_glimpse(IMG, [3, 4], offsets, noise="zero", **kw).numpy()
    got = jaxtape.image.extract_glimpse(IMG, [3, 4], offsets, noise=noise, **kw).numpy()
    want = tf.image.extract_glimpse(IMG, [3, 4], offsets, noise=noise, **kw).numpy()
    ones = tf.image.extract_glimpse(np.ones_like(IMG) + 1, [3, 4], offsets, noise="zero",
                                    **kw).numpy()
    inside = ones != 0
    np.testing.assert_array_equal(got[inside], zero_tf[inside])
    np.testing.assert_array_equal(want[inside], zero_tf[inside])
    assert got.shape == want.shape and got.dtype == want.dtype
    for b in range(2):
        if noise == "gaussian":
            lo = IMG[b].min(axis=(0, 1))
            hi = IMG[b].max(axis=(0, 1))
        else:
            lo, hi = IMG[b].min(), IMG[b].max()
        outside = got[b][~inside[b]].reshape(-1, 2)
        assert (outside >= lo).all() and (outside <= hi).all()
        assert len(np.unique(outside)) > 1


def test_fully_inside_uniform_is_exact():
    same_outcome(lambda tf: tf.image.extract_glimpse(tf.constant(IMG), [2, 2],
                                                     [[0.0, 0.0], [0.1, -0.2]]))


ERRORS = [
    lambda tf: tf.image.extract_glimpse(IMG, [3, 3], [[0., 0.], [0.5, -0.5]], noise="bad"),
    lambda tf: tf.image.extract_glimpse(IMG[0], [3, 3], [[0., 0.], [0.5, -0.5]]),
    lambda tf: tf.image.extract_glimpse(IMG, [3], [[0., 0.], [0.5, -0.5]]),
    lambda tf: tf.image.extract_glimpse(IMG, [3, 3], [[0., 0.]]),
    lambda tf: tf.image.extract_glimpse(IMG, [3, 3], [[1., 2., 3.], [1., 2., 3.]]),
    lambda tf: tf.image.extract_glimpse(IMG, [0, 3], [[0., 0.], [0.5, -0.5]]),
    lambda tf: tf.image.extract_glimpse(tf.constant(IMG), tf.constant([3, 3], tf.int64),
                                        tf.constant([[0., 0.], [1, 1]])),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    same_outcome(ERRORS[case])


def test_wrong_dtype_raises_value_error():
    same_outcome(lambda tf: tf.image.extract_glimpse(tf.constant(IMG, tf.float64), [3, 3],
                                                     [[0., 0.], [1., 1.]]), message=False)


def test_no_gradient():
    def fn(tf):
        x = tf.constant(IMG)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.image.extract_glimpse(x, [3, 3], [[0., 0.], [0.5, -0.5]], noise="zero")
        return tape.gradient(y, x)
    same_outcome(fn)


def test_in_function_with_traced_offsets():
    def fn(tf):
        f = tf.function(lambda x, o: tf.image.extract_glimpse(x, [3, 4], o, noise="zero"))
        return [f(tf.constant(IMG), tf.constant([[0.2, -0.4], [-0.9, 0.7]])),
                f(tf.constant(IMG), tf.constant([[1.0, 1.0], [0.0, 0.0]]))]
    same_outcome(fn)
