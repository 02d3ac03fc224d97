"""Nested tapes and higher-order gradients against real TF."""
import numpy as np
import pytest

from difftest import assert_same, same_values as same

# Every gradient here runs step by step, compiled whole and recorded.
pytestmark = pytest.mark.usefixtures("backward_mode")


def _second_order(tf):
    x = tf.constant([0.5, 2.])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sin(x) * x ** 3
        dy = inner.gradient(y, x)
    return dy, outer.gradient(dy, x)


def test_second_derivative():
    same(_second_order)


def _third_order(tf):
    x = tf.constant(2.)
    with tf.GradientTape() as g3:
        g3.watch(x)
        with tf.GradientTape() as g2:
            g2.watch(x)
            with tf.GradientTape() as g1:
                g1.watch(x)
                y = x ** 4 + tf.exp(x)
            d1 = g1.gradient(y, x)
        d2 = g2.gradient(d1, x)
    return d1, d2, g3.gradient(d2, x)


def test_third_derivative():
    got = same(_third_order)
    np.testing.assert_allclose(got[2][2], 24 * 2. + np.exp(2.), rtol=1e-6)


def _inner_gradient_outside_outer(tf):
    x = tf.constant(2.)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x ** 3
    dy = inner.gradient(y, x)  # computed after the outer context closed: not recorded
    return dy, outer.gradient(dy, x)


def test_gradient_outside_outer_context_is_not_recorded():
    assert same(_inner_gradient_outside_outer)[1] is None


def _outer_does_not_watch(tf):
    x = tf.constant(2.)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x ** 3
        dy = inner.gradient(y, x)
    return dy, outer.gradient(dy, x)


def test_outer_tape_that_watches_nothing_gives_none():
    assert same(_outer_does_not_watch)[1] is None


def _persistent_own_gradient(tf):
    x = tf.constant(1.5)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x * x
        dy = g.gradient(y, x)
        d2 = g.gradient(dy, x)
    return dy, d2, g.gradient(d2, x), g.gradient(y, x)


def test_persistent_tape_differentiates_its_own_gradient():
    np.testing.assert_allclose(same(_persistent_own_gradient)[2][2], 6.0)


def _nonpersistent_inside_context(tf):
    x = tf.constant(1.5)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
        dy = g.gradient(y, x)
        z = dy * x  # the tape stopped recording at gradient()
    return dy, z


def test_non_persistent_gradient_inside_its_context():
    same(_nonpersistent_inside_context)


def _variables_higher_order(tf):
    w = tf.Variable([1., -2.])
    x = tf.constant([[0.5, 1.], [2., -1.]])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = tf.reduce_sum(tf.tanh(tf.linalg.matvec(x, w)) ** 2)
        g = inner.gradient(loss, w)
        penalty = tf.reduce_sum(g * g)
    return g, outer.gradient(penalty, w)


def test_gradient_penalty_through_variables():
    same(_variables_higher_order)


def _mixed_partials(tf):
    x, y = tf.constant(1.5), tf.constant(-0.5)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([x, y])
        with tf.GradientTape() as inner:
            inner.watch([x, y])
            f = x * x * y + tf.sin(x * y)
        dx, dy = inner.gradient(f, [x, y])
    return dx, dy, outer.gradient(dx, [x, y]), outer.gradient(dy, [x, y])


def test_mixed_partial_derivatives():
    got = same(_mixed_partials)
    assert_same(got[2][1], got[3][0], rtol=1e-6)  # symmetric Hessian
