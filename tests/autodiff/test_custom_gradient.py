"""tf.custom_gradient and tf.recompute_grad against real TensorFlow.

Each scenario is a function of the module (`tf` or `jaxtape`) that defines
its custom gradients with that module's decorator and returns values and
gradients; `same` runs it under both and compares them leaf by leaf,
including which gradients are None.
"""
import numpy as np
import pytest

import jaxtape
from difftest import check, check_raises, leaves, same_values as same

X = np.array([0.0, 100.0, -3.0, 0.5], np.float32)
A = np.array([1.0, -2.0, 0.5], np.float32)
B = np.array([3.0, 0.25, -1.0], np.float32)


# -- the TF documentation's examples --------------------------------------------

def log1pexp(tf):
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return tf.math.log(1 + e), grad
    return log1pexp


def test_log1pexp_is_stable():
    check(lambda tf, x: log1pexp(tf)(x), X)


def test_log1pexp_second_order_through_closure():
    # grad closes over e = exp(x): the outer tape reaches x through it.
    def scenario(tf):
        f = log1pexp(tf)
        return second_order(tf, f, tf.constant(X[[0, 2, 3]]))
    same(scenario)


def test_clip_gradients():
    def fn(tf, x):
        @tf.custom_gradient
        def clip_gradients(y):
            def backward(dy):
                return tf.clip_by_norm(dy, 0.5)
            return y, backward
        return clip_gradients(x * x)
    check(fn, A)


# -- structure of inputs, outputs and gradients ------------------------------------

def test_multiple_inputs_and_nested_outputs():
    def fn(tf, a, b):
        @tf.custom_gradient
        def f(a, b):
            def grad(dp, ds0, ds1):
                return dp * b + ds0 * 3.0, dp * a + ds1
            return {"p": a * b, "s": [a * 2.0, b + 1.0]}, grad
        return f(a, b)
    check(fn, A, B)


def test_unused_output_gets_zero_cotangent():
    def scenario(tf):
        @tf.custom_gradient
        def f(x):
            def grad(dy1, dy2):
                return dy1 * 2.0 + (dy2 + 1.0) * 3.0
            return (x * 1.0, x * 2.0), grad
        x = tf.constant(A)
        with tf.GradientTape() as tape:
            tape.watch(x)
            first, _ = f(x)
        return tape.gradient(first, x)
    same(scenario)


def test_none_gradient_and_accumulation():
    # b's only path is a None gradient in one call, while in the other call
    # another op adds to b's gradient after the custom node gave it none.
    def fn(tf, a, b):
        @tf.custom_gradient
        def f(a, b):
            def grad(dy):
                return dy * b, None
            return a * b, grad
        return f(a, b), f(a, b) + b * b
    check(fn, A, B)

    def only_none(tf, a, b):
        @tf.custom_gradient
        def f(a, b):
            return a * b, lambda dy: (dy * b, None)
        return f(a, b)
    check(only_none, A, B)


def test_python_number_argument_and_gradient():
    def fn(tf, x):
        @tf.custom_gradient
        def f(x, s):
            return x * s, lambda dy: (dy * 2.0, None)
        return f(x, 3.0)
    check(fn, A)


def test_keyword_arguments_are_not_differentiated():
    def fn(tf, x, s):
        @tf.custom_gradient
        def f(x, scale=2.0):
            return x * scale, lambda dy: dy * scale
        return f(x, scale=s)
    check(fn, A, np.float32(5.0))


def test_method():
    def scenario(tf):
        class Scale:
            def __init__(self):
                self.c = tf.constant(4.0)

            @tf.custom_gradient
            def apply(self, x):
                return x * 1.0, lambda dy: dy * self.c
        x = tf.constant(A)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = Scale().apply(x)
        return y, tape.gradient(y, x)
    same(scenario)


def test_gradient_tape_inside_grad_fn():
    def fn(tf, x):
        @tf.custom_gradient
        def f(x):
            def grad(dy):
                with tf.GradientTape() as t:
                    t.watch(x)
                    z = x * x * x
                return dy * t.gradient(z, x)
            return tf.sin(x), grad
        return f(x)
    check(fn, A)


def test_repeated_calls_use_each_calls_grad_fn():
    # The backward plan's structure repeats; each call's closure must be used.
    def scenario(tf):
        @tf.custom_gradient
        def f(x, k):
            return x * 1.0, lambda dy: (dy * k, None)
        x = tf.constant(A)
        out = []
        for k in (1.0, 2.0, 3.0, 4.0):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = f(x, tf.constant(k))
            out.append(tape.gradient(y, x))
        return out
    same(scenario)


# -- variables ---------------------------------------------------------------------

def test_variables_are_passed_to_grad_fn():
    def scenario(tf):
        w = tf.Variable(3.0)
        u = tf.Variable([1.0, 2.0, 3.0])

        @tf.custom_gradient
        def f(x, u):  # u is an argument, so not among `variables`
            def grad(dy, variables=None):
                assert len(variables) == 1 and variables[0] is w
                return (dy * w, dy * 2.0), [10.0 * tf.reduce_sum(dy * x)]
            return x * w + u, grad
        x = tf.constant(A)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x, u)
        return y, tape.gradient(y, [x, w, u])
    same(scenario)


def test_variables_without_keyword_raise():
    def fn(tf, x):
        w = tf.Variable(3.0)

        @tf.custom_gradient
        def f(x):
            return x * w, lambda dy: dy
        return f(x)
    check_raises(fn, A, match="@tf.custom_gradient grad_fn must accept keyword argument "
                              "'variables', since function uses variables: [<tf.Variable")


def test_wrong_number_of_variable_gradients():
    def fn(tf, x):
        w = tf.Variable(3.0)

        @tf.custom_gradient
        def f(x):
            return x * w, lambda dy, variables=None: (dy, [])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)
    check_raises(fn, A,
                 match="Must return gradient for each variable from @custom_gradient grad_fn.")


@pytest.mark.parametrize("grad, count", [(lambda dy: dy, 1), (lambda dy: (dy, dy, dy), 3)])
def test_wrong_number_of_gradients(grad, count):
    def fn(tf, a, b):
        @tf.custom_gradient
        def f(a, b):
            return a * b, grad
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = f(a, b)
        return tape.gradient(y, [a, b])
    got, _ = check_raises(fn, A, B, match="custom_gradient function expected to return 2 gradients")
    assert str(got).endswith(f"but returned {count} instead.")


# -- higher order, tf.function -------------------------------------------------------

def nested_custom(tf):
    """First-order gradient -1.1, second-order -2.1 (grad_fn is a custom gradient)."""
    @tf.custom_gradient
    def F(x):
        def first_order_grad(dz):
            @tf.custom_gradient
            def first_order_custom(unused_x):
                return -1.1, lambda ddz: -2.1 * ddz
            return dz * first_order_custom(x)
        return x + 10.0, first_order_grad
    return F


def second_order(tf, f, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    return y, g, outer.gradient(g, x)


@pytest.mark.parametrize("where", ["eager", "function_outside_tapes", "tapes_inside_function"])
def test_second_order_override(where):
    def scenario(tf):
        F = nested_custom(tf)
        x = tf.constant(1.0)
        if where == "eager":
            return second_order(tf, F, x)
        if where == "function_outside_tapes":
            return second_order(tf, tf.function(F), x)
        return tf.function(lambda x: second_order(tf, F, x))(x)
    got = same(scenario)
    np.testing.assert_allclose([got[1][2], got[2][2]], [-1.1, -2.1], rtol=1e-6)


def test_closure_inside_function_with_outer_tapes():
    same(lambda tf: second_order(tf, tf.function(log1pexp(tf)), tf.constant(X[[0, 2, 3]])))


def test_wrong_count_inside_function_raises_only_when_differentiated():
    def f(tf):
        @tf.custom_gradient
        def f(a, b):
            return a * b, lambda dy: dy
        return f

    same(lambda tf: tf.function(f(tf))(tf.constant(A), tf.constant(B)))
    with pytest.raises(ValueError, match="expected to return 2 gradients, but returned 1"):
        fn = jaxtape.function(f(jaxtape))
        a, b = jaxtape.constant(A), jaxtape.constant(B)
        with jaxtape.GradientTape() as tape:
            tape.watch(a)
            y = fn(a, b)
        tape.gradient(y, a)


def test_keyword_arguments_inside_function_raise():
    def fn(tf, x):
        @tf.custom_gradient
        def f(x, scale=2.0):
            return x * scale, lambda dy: dy * scale
        return tf.function(lambda x: f(x, scale=3.0))(x)
    check_raises(fn, A, match="The custom_gradient decorator currently supports keywords "
                              "arguments only when eager execution is enabled.")


def test_no_tape_returns_values():
    def scenario(tf):
        @tf.custom_gradient
        def f(x):
            return (x * 2.0, [x + 1.0]), lambda d1, d2: d1
        return f(tf.constant(A))
    same(scenario)


# -- tf.recompute_grad -------------------------------------------------------------

def recomputed_scenario(tf, wrap):
    w = tf.Variable(2.0)

    def f(a, b):
        return {"p": tf.sin(a) * b * w, "q": tf.exp(a) * w}

    g = wrap(tf, f)
    a, b = tf.constant(A), tf.constant(B)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        out = g(a, b)
        loss = tf.reduce_sum(out["p"]) + tf.reduce_sum(out["q"] * out["q"])
    return out, tape.gradient(loss, [a, b, w]), tape.gradient(out["q"], [a, b])


def test_recompute_grad_matches_tf():
    same(lambda tf: recomputed_scenario(tf, lambda tf, f: tf.recompute_grad(f)))


def test_recompute_grad_keeps_values_and_gradients():
    plain = leaves(recomputed_scenario(jaxtape, lambda tf, f: f))
    recomputed = leaves(recomputed_scenario(jaxtape, lambda tf, f: tf.recompute_grad(f)))
    # b does not reach q: TF's recompute_grad gives it zeros where plain code gives None.
    assert plain[-1] is None and not np.any(recomputed[-1].numpy())
    for p, r in zip(plain[:-1], recomputed[:-1]):
        np.testing.assert_allclose(r.numpy(), p.numpy(), rtol=1e-6)


def test_recompute_grad_inside_function():
    def scenario(tf):
        v = tf.Variable(0.5)
        g = tf.recompute_grad(lambda x: tf.sin(x) * x * v)
        x = tf.constant(A)

        @tf.function
        def inside(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = g(x)
            return y, tape.gradient(y, [x, v])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.function(g)(x)
        return inside(x), y, tape.gradient(y, [x, v])
    same(scenario)


def test_recompute_grad_second_order_and_recomputation():
    runs = []

    def scenario(tf):
        def f(x):
            runs.append(1)
            return tf.sin(x) * x
        return second_order(tf, tf.recompute_grad(f), tf.constant(A))
    same(scenario)
    assert len(runs) == 4  # forward and recomputation, in TF and here


def test_variables_and_integer_inputs_inside_function():
    def scenario(tf):
        w = tf.Variable(2.0)

        @tf.custom_gradient
        def f(x, n):
            def grad(dy, variables=None):
                return (dy * w * tf.cast(n, tf.float32), tf.ones_like(n)), \
                    [10.0 * tf.reduce_sum(dy * x)]
            return x * w * tf.cast(n, tf.float32), grad

        @tf.function
        def inside(x, n):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = f(x, n)
            return tape.gradient(y, [x, w])
        x, n = tf.constant(A), tf.constant(3)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.function(f)(x, n)
        return y, tape.gradient(y, [x, w, n]), inside(x, n)
    same(scenario)


def test_grad_pass_through():
    def scenario(tf):
        x = tf.Variable(1.0)
        z = tf.Variable(3.0)
        w = tf.Variable(2.0)
        with tf.GradientTape(persistent=True) as tape:
            assigned = tf.grad_pass_through(x.assign)(z ** 2)
            scaled = tf.grad_pass_through(lambda a: a * w)(z)
        return (assigned, tape.gradient(assigned, z), scaled,
                tape.gradient(scaled, [z, w]))
    same(scenario)
