"""A second-order gradient through something that never reads a source is None, as in TF.

The input gradient of `x @ w + b` does not depend on `b`, so TF's gradient of
a penalty on it with respect to `b` is None (not zeros): the recorded backward
pass reads its traced program to tell (tape/dependence.py).
"""
import numpy as np

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
