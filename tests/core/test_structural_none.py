"""A second-order gradient through something that never reads a source is None, as in TF.

The input gradient of `x @ w + b` does not depend on `b`, so TF's gradient of
a penalty on it with respect to `b` is None (not zeros): the recorded backward
pass reads its traced program to tell (tape/dependence.py).
"""
import numpy as np
import pytest

from difftest import same_values


def _penalty(tf):
    x = tf.constant(np.array([[1.0, 2.0], [0.5, -1.0]], np.float32))
    w = tf.Variable(np.array([[1.0], [2.0]], np.float32))
    b = tf.Variable(np.array([0.5], np.float32))
    w2 = tf.Variable(np.array([[0.3, -0.2]], np.float32))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.matmul(tf.tanh(tf.matmul(x, w) + b), w2)
        g = inner.gradient(y, x)
        penalty = tf.reduce_sum(g ** 2)
    return outer.gradient(penalty, [w, b, w2])


def _linear(tf):
    x = tf.constant(np.array([[1.0, 2.0]], np.float32))
    w = tf.Variable(np.array([[1.0], [2.0]], np.float32))
    b = tf.Variable(np.array([0.5], np.float32))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.matmul(x, w) + b
        penalty = tf.reduce_sum(inner.gradient(y, x) ** 2)
    return outer.gradient(penalty, [w, b])


def test_bias_of_a_linear_layer_gets_none():
    # As the backward pass is recorded by default (one program). Recorded step
    # by step (`backward.config["force"] = "steps"`, or plans too large to
    # compile) it still gives zeros: each step's VJP is not read yet.
    got = same_values(_linear)
    assert got[1] is None


def test_hidden_bias_gets_a_gradient():
    same_values(_penalty)


# Second order where TF's first-order gradient reads x only through ops with
# no gradient (comparisons, indices): None. relu's family: TF's grad-of-grad
# returns zeros there (ReluGradGrad), not None.
SECOND_ORDER = {
    "clip_by_value": lambda tf, x: tf.clip_by_value(x, -0.7, 0.7),
    "moments_mean": lambda tf, x: tf.nn.moments(x, [0])[0] * 2.0,
    "maximum": lambda tf, x: tf.maximum(x, 0.3),
    "reduce_max": lambda tf, x: tf.reduce_max(x),
    "sort": lambda tf, x: tf.sort(x) * tf.constant([1.0, 2.0, 3.0]),
    "top_k": lambda tf, x: tf.math.top_k(x, 2).values,
    "segment_max": lambda tf, x: tf.math.segment_max(x, [0, 0, 1]),
    "relu": lambda tf, x: tf.nn.relu(x),
    "relu6": lambda tf, x: tf.nn.relu6(x),
    "leaky_relu": lambda tf, x: tf.nn.leaky_relu(x),
    "moments_variance": lambda tf, x: tf.nn.moments(x, [0])[1],
}


def _second_order(tf, f):
    x = tf.constant(np.array([0.5, -1.0, 2.0], np.float32))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(f(tf, x))
        g = inner.gradient(y, x)
        s = tf.reduce_sum(g * g)
    return g, outer.gradient(s, x)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_none_as_tf(name):
    same_values(lambda tf: _second_order(tf, SECOND_ORDER[name]))
