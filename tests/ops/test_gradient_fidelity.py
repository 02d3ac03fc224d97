"""TF's gradient formulas at the points where they differ from JAX's rules.

Each case is a wrong answer a user would not notice: values at bounds, ties,
zeros, overflow and NaN inputs; infinite upstream gradients (TF's products
turn them into NaN, its `where`s into 0); tensors after non-differentiable
ops, which a tape follows (their gradient is not None).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import check, same_values

nan, inf = np.nan, np.inf


def f32(*values):
    return np.array(values, np.float32)


# (name, fn, inputs): value and gradient of a weighted sum, as `check` compares.
SPECIAL_POINTS = [
    ("clip_at_bounds", lambda tf, x: tf.clip_by_value(x, -1.0, 1.0), [f32(-1, 1, 0, 2, nan)]),
    ("clip_bounds_grad", lambda tf, x, lo, hi: tf.clip_by_value(x, lo, hi),
     [f32(-1, 0, 0.5, 1, 2, nan), np.float32(0), np.float32(1)]),
    ("bessel_i0_at_0", lambda tf, x: tf.math.bessel_i0(x), [f32(0, 1, -2)]),
    ("clip_by_norm_zero", lambda tf, x: tf.clip_by_norm(x, 1.0), [f32(0, 0, 0)]),
    ("clip_by_norm_axes", lambda tf, x: tf.clip_by_norm(x, 1.0, axes=[1]), [f32(0, 0, 3, 4).reshape(2, 2)]),
    ("eigh_repeated", lambda tf, x: tf.linalg.eigh(x), [np.diag(f32(1, 1, 3))]),
    ("eigvalsh_repeated", lambda tf, x: tf.linalg.eigvalsh(x), [np.diag(f32(2, 2))]),
    ("maximum_nan", lambda tf, x, y: tf.maximum(x, y), [f32(nan, 1, 1, 2), f32(1, nan, 1, 3)]),
    ("minimum_nan", lambda tf, x, y: tf.minimum(x, y), [f32(nan, 1, 1, 2), f32(1, nan, 1, 3)]),
    ("nextafter", lambda tf, x, y: tf.math.nextafter(x, y), [f32(1, 3), f32(2, 2)]),
    ("acosh_below_1", lambda tf, x: tf.math.acosh(x), [f32(-1, 0.5, 1, 2, -88)]),
    ("elu_overflow_nan", lambda tf, x: tf.nn.elu(x), [f32(88, 100, nan, -1, 0)]),
    ("selu_nan", lambda tf, x: tf.nn.selu(x), [f32(nan, -1, 0, 2)]),
    ("softsign_inf", lambda tf, x: tf.nn.softsign(x), [f32(inf, -inf, 2)]),
    ("ndtri_ends", lambda tf, x: tf.math.ndtri(x), [f32(0, 1, 0.5)]),
    ("erfcinv_ends", lambda tf, x: tf.math.erfcinv(x), [f32(0, 2, 1)]),
    ("spence", lambda tf, x: tf.math.special.spence(x), [f32(0, 1, 2, 0.5)]),
    ("multiply_no_nan_y0", lambda tf, x, y: tf.math.multiply_no_nan(x, y), [f32(3, 1), f32(0, 2)]),
    ("reduce_max_nan", lambda tf, x: tf.reduce_max(x), [f32(1, nan, 2)]),
    ("pow_negative_base", lambda tf, x, y: tf.pow(x, y), [f32(-1, -2, 2, 0, 3), f32(1, 2, 0.5, 2, 0)]),
    ("reduce_min_ties", lambda tf, x: tf.reduce_min(x, axis=1), [f32(1, 1, 0, 2, 2, 5).reshape(2, 3)]),
]


@pytest.mark.parametrize("name,fn,inputs", SPECIAL_POINTS, ids=[c[0] for c in SPECIAL_POINTS])
def test_special_points(name, fn, inputs):
    check(fn, *inputs)


def test_softplus_float32_rounding():
    # TF's g / (1 + exp(-x)) prints 0.9999546 at 10; JAX's logaddexp rule 0.9999542.
    check(lambda tf, x: tf.nn.softplus(x), f32(10, 0, -10, 30), rtol=1e-7, atol=0)


# (name, fn, x): the gradient under an infinite upstream gradient.
INFINITE_UPSTREAM = [
    ("relu", lambda tf, x: tf.nn.relu(x), f32(-1, 0, 1)),
    ("relu6", lambda tf, x: tf.nn.relu6(x), f32(-1, 0, 3, 6, 7)),
    ("crelu", lambda tf, x: tf.nn.crelu(x), f32(-1, 0, 2)),
    ("clip_by_value", lambda tf, x: tf.clip_by_value(x, 0.0, 1.0), f32(-1, 0.5, 2)),
    ("tanh", lambda tf, x: tf.tanh(x), f32(0, 1, 88)),
    ("softsign", lambda tf, x: tf.nn.softsign(x), f32(0, 2, -3)),
    ("elu", lambda tf, x: tf.nn.elu(x), f32(-88, -1, 1)),
    ("divide_no_nan", lambda tf, x: tf.math.divide_no_nan(tf.constant(f32(1, 2, 0)), x), f32(0, 2, 0)),
    ("multiply_no_nan", lambda tf, x: tf.math.multiply_no_nan(x, tf.constant(f32(0, 2, 0))), f32(1, 1, 0)),
    ("nextafter_x2", lambda tf, x: tf.math.nextafter(tf.constant(f32(1, 3)), x), f32(2, 2)),
    ("reduce_max_ties", lambda tf, x: tf.reduce_max(x), f32(1, 2, 2, 0)),
    ("maximum", lambda tf, x: tf.maximum(x, 1.0), f32(0, 1, 2)),
    ("xlogy", lambda tf, x: tf.math.xlogy(x, tf.constant(f32(2, 3, 0))), f32(0, 1, 0)),
    ("xdivy_y", lambda tf, x: tf.math.xdivy(tf.constant(f32(0, 1, 0)), x), f32(2, 3, 1)),
]


@pytest.mark.parametrize("name,fn,x", INFINITE_UPSTREAM, ids=[c[0] for c in INFINITE_UPSTREAM])
def test_infinite_upstream(name, fn, x):
    def grad(tf):
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = fn(tf, t)
        return tape.gradient(y, t, output_gradients=tf.fill(tf.shape(y), np.float32(inf)))
    same_values(grad)


def test_forward_mode_follows_tf_rules():
    def jvps(tf):
        x = tf.constant(f32(-1, 1, 0.5, 2))
        with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)) as acc:
            ys = [tf.clip_by_value(x, -1.0, 1.0), tf.nn.relu6(x), tf.maximum(x, 1.0),
                  tf.nn.softplus(x * 5.0), tf.reduce_max(tf.abs(x))]
        return [acc.jvp(y) for y in ys]
    same_values(jvps, rtol=1e-7, atol=0)


NOT_DIFFERENTIABLE = [
    ("floor", lambda tf, x: tf.floor(x)),
    ("round", lambda tf, x: tf.round(x)),
    ("ceil", lambda tf, x: tf.math.ceil(x)),
    ("rint", lambda tf, x: tf.math.rint(x)),
    ("floordiv", lambda tf, x: x // 2.0),
    ("truncatediv", lambda tf, x: tf.truncatediv(x, tf.constant(f32(2, 2)))),
    ("zeros_like", lambda tf, x: tf.zeros_like(x)),
    ("ones_like", lambda tf, x: tf.ones_like(x)),
    ("ones_like_float64", lambda tf, x: tf.ones_like(x, dtype=tf.float64)),
    ("stop_gradient", lambda tf, x: tf.stop_gradient(x)),
]


@pytest.mark.parametrize("name,fn", NOT_DIFFERENTIABLE, ids=[c[0] for c in NOT_DIFFERENTIABLE])
def test_gradient_after_non_differentiable_op(name, fn):
    # TF records the op: its output is on the tape (gradient 3), x gets None.
    def grads(tf):
        x = tf.constant(f32(1.5, 2.5))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            a = fn(tf, x)
            b = tf.constant(3.0, a.dtype) * a
        return tape.gradient(b, a), tape.gradient(b, x)
    same_values(grads)


def test_correct_where_tf_is_wrong():
    # README "Differences you can see": jaxtape keeps the true derivative.
    import jaxtape as tf
    x = tf.constant(f32(2, 0, 3))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        c = tf.reduce_sum(tf.math.cumprod(x))
        i1 = tf.math.bessel_i1(x)
    np.testing.assert_allclose(tape.gradient(c, x).numpy(), [1, 8, 0])  # TF: [1, 0, 0]
    np.testing.assert_allclose(tape.gradient(i1, x).numpy()[1], 0.5)  # TF: 1


def _signed(tf, fn, *values):
    """Gradients of `fn` with their zeros' signs (which allclose ignores)."""
    xs = [tf.constant(np.array(v, np.float32)) for v in values]
    with tf.GradientTape() as t:
        t.watch(xs)
        y = fn(tf, *xs)
    return [(np.signbit(g.numpy()).tolist(), g.numpy().tolist()) for g in t.gradient(y, xs)]


@pytest.mark.parametrize("name, fn, values", [
    ("prod_signed_zero", lambda tf, x: tf.reduce_prod(x), [[-0.0, 2.0, -3.0]]),
    ("prod_axis_zeros", lambda tf, x: tf.reduce_prod(x, axis=1), [[[0.0, -2.0, 1.0], [-1.0, 0.0, -0.0]]]),
    ("prod_axes", lambda tf, x: tf.reduce_prod(x * x - 1.0, axis=[0, 2]), [np.linspace(-1, 1, 12).reshape(2, 3, 2)]),
    ("softmax_xent_one_class", lambda tf, l, x: tf.nn.softmax_cross_entropy_with_logits(l, x),
     [[[1.0]], [[2.0]]]),
])
def test_signed_zeros(name, fn, values):
    same_values(lambda tf: _signed(tf, fn, *values))
