"""tf.autodiff.ForwardAccumulator against real TensorFlow.

Each differential test runs the same `fn(tf)` under TF and jaxtape and
compares the returned structure leaf by leaf: None-ness, dtype, shape and
values (JVPs, Hessian-vector products, gradients of JVPs).
"""
import gc
import threading

import numpy as np
import pytest

import jaxtape
from difftest import assert_same, check_raises, plain, real_tf, same_values as same

rng = np.random.default_rng(4)
A = rng.normal(size=(3, 4)).astype(np.float32)
TA = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(4, 2)).astype(np.float32)
TB = rng.normal(size=(4, 2)).astype(np.float32)
P = rng.uniform(0.5, 2.0, size=(5,))  # float64, positive
TP = rng.normal(size=(5,))


def _jvps(tf, primal, tangent, body):
    x = tf.constant(primal)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(tangent)) as acc:
        out = body(tf, x)
    return acc.jvp(out)


@pytest.mark.parametrize("body", [
    lambda tf, x: tf.sin(x) * tf.exp(x),
    lambda tf, x: (tf.tanh(x) / (1.0 + x * x), tf.sqrt(x), tf.math.log(x)),
    lambda tf, x: tf.pow(x, 3.5) - tf.maximum(x, 1.0),
    lambda tf, x: tf.nn.softmax(x),
    lambda tf, x: tf.where(x > 1.0, x * x, -x),
    lambda tf, x: [tf.reduce_sum(x), tf.reduce_mean(x * x), tf.reduce_max(x), tf.reduce_prod(x)],
    lambda tf, x: tf.reshape(x, [5, 1]) * tf.reverse(x, [0]),
    lambda tf, x: tf.gather(x, [4, 0, 0]),
    lambda tf, x: tf.unstack(x),
], ids=["sin_exp", "unary", "pow_max", "softmax", "where", "reductions", "reshape", "gather",
        "unstack"])
def test_elementwise_and_reductions(body):
    same(lambda tf: _jvps(tf, P, TP, body), rtol=1e-6, atol=1e-9)


def test_matmul_two_primals():
    def fn(tf):
        a, b = tf.constant(A), tf.constant(B)
        with tf.autodiff.ForwardAccumulator([a, b], [tf.constant(TA), tf.constant(TB)]) as acc:
            c = tf.matmul(a, b)
            d = tf.reduce_sum(tf.matmul(a, b, transpose_a=False) ** 2, axis=0)
        return acc.jvp([c, d, a, b])
    same(fn, rtol=1e-4, atol=1e-5)


def test_nested_structures_in_and_out():
    def fn(tf):
        x, y = tf.constant(P), tf.constant(P[::-1].copy())
        primals = {"z": x, "a": (y,)}
        tangents = {"z": tf.constant(TP), "a": (tf.ones_like(y),)}
        with tf.autodiff.ForwardAccumulator(primals, tangents) as acc:
            u = x * y
            w = tf.reduce_sum(u) + x
        return acc.jvp({"w": w, "u": [u, (x, None)][:1], "b": (y, u)})
    got = same(fn)
    assert list(got) == ["w", "u", "b"]


def test_variables_as_primals():
    def fn(tf):
        w = tf.Variable(A)
        u = tf.constant(B)
        with tf.autodiff.ForwardAccumulator(w, tf.constant(TA)) as acc:
            out = tf.matmul(w, u)
            read = w.read_value()
            w.assign(w * 2.0)
            after = w + 1.0
        return acc.jvp([w, out, read, after])
    same(fn, rtol=1e-5, atol=1e-6)


def test_unconnected_none_and_zero():
    def fn(tf):
        x = tf.constant(P)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as acc:
            unrelated = tf.constant(2.0) * 3.0
            as_int = tf.cast(x, tf.int32)
            back = tf.cast(as_int, tf.float64)
            floor = tf.floor(x)
            sign = tf.sign(x) * 2.0
            stopped = tf.stop_gradient(x) * x
        zero = tf.UnconnectedGradients.ZERO
        return [acc.jvp([unrelated, as_int, back, floor, sign, stopped]),
                acc.jvp([unrelated, as_int, floor], unconnected_gradients=zero),
                acc.jvp(back, unconnected_gradients="zero"),
                acc.jvp(tf.Variable(1.5), unconnected_gradients=zero)]
    same(fn)


def test_ops_with_a_custom_vjp_inside():
    """JAX cannot push tangents through a custom_vjp; its VJP is transposed instead."""
    def fn(tf):
        labels = tf.constant([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
        logits = tf.constant([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
        tangent = tf.constant([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
        with tf.autodiff.ForwardAccumulator([labels, logits], [tangent, tangent * 2.0]) as acc:
            loss = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
        return acc.jvp(loss)
    same(fn)


def test_integer_primal_keeps_its_tangent_only():
    def fn(tf):
        x = tf.constant([1, 2])
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1, 1])) as acc:
            y = x * 3
            z = tf.cast(x, tf.float32) * 2.0
        return acc.jvp([x, y, z])
    same(fn)


def test_jvp_of_primal_is_its_tangent():
    for tf in (real_tf(), jaxtape):
        x, v = tf.constant(P), tf.constant(TP)
        acc = tf.autodiff.ForwardAccumulator(x, v)
        assert acc.jvp(x) is v


def test_hessian_vector_product_forward_over_backward():
    def fn(tf):
        x = tf.constant(P)
        w = tf.Variable(P[::-1].copy())
        with tf.autodiff.ForwardAccumulator([x, w], [tf.constant(TP), tf.ones_like(P)]) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.sin(x) * x * w ** 2) + tf.reduce_prod(x)
            g = tape.gradient(y, [x, w])
            # A linear function's gradient cannot depend on x: TF gives no tangent.
            with tf.GradientTape() as tape2:
                tape2.watch(x)
                lin = tf.reduce_sum(x * 3.0)
            g_lin = tape2.gradient(lin, x)
        return [g, acc.jvp(g), acc.jvp(g_lin)]
    same(fn, rtol=1e-6, atol=1e-9)


def test_hessian_vector_product_backward_over_forward():
    def fn(tf):
        x, v = tf.constant(P), tf.constant(TP)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, v])
            with tf.autodiff.ForwardAccumulator(x, v) as acc:
                y = tf.reduce_sum(tf.exp(x) * x * x)
                z = tf.matmul(tf.reshape(x, [1, 5]), tf.reshape(x, [5, 1]))
            jy, jz = acc.jvp(y), acc.jvp(z)
        return [jy, tape.gradient(jy, [x, v]), tape.gradient(jz, x)]
    same(fn, rtol=1e-6, atol=1e-9)


def test_tape_inside_accumulator_ignores_its_tangents():
    def fn(tf):
        x = tf.constant(2.0)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                j = acc.jvp(x ** 3)
        return [j, tape.gradient(j, x)]
    same(fn)


def test_nested_accumulators_forward_over_forward():
    def fn(tf):
        x = tf.constant(P)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as outer:
            with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)) as inner:
                y = x ** tf.constant(3.5, tf.float64) * tf.sin(x)
        d1 = inner.jvp(y)
        # Inner accumulators never see the outer one's tangent computations.
        return [d1, outer.jvp(d1), outer.jvp(y), inner.jvp(outer.jvp(y))]
    same(fn, rtol=1e-6, atol=1e-9)


def test_ops_after_exit_are_not_tracked():
    def fn(tf):
        x = tf.constant(P)
        acc = tf.autodiff.ForwardAccumulator(x, tf.constant(TP))
        before = x * 2.0
        with acc:
            inside = x * 2.0
        after = x * 2.0
        acc.__exit__(None, None, None)  # exiting twice is harmless
        return acc.jvp([before, inside, after])
    same(fn)


@pytest.mark.parametrize("fn, match", [
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant([1.0]), tf.constant([1.0], tf.float64)),
     "Tensor conversion requested dtype float32 for Tensor with dtype float64"),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant([1.0]), tf.constant([1])),
     "Tensor conversion requested dtype float32 for Tensor with dtype int32"),
    (lambda tf: tf.autodiff.ForwardAccumulator([tf.constant(1.0)], tf.constant(1.0)),
     "The two structures don't have the same nested structure."),
    (lambda tf: tf.autodiff.ForwardAccumulator({"a": tf.constant(1.0)}, {"b": tf.constant(1.0)}),
     "The two structures don't have the same nested structure."),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant(1.0), None),
     "Attempt to convert a value (None)"),
    (lambda tf: (lambda x: tf.autodiff.ForwardAccumulator([x, x], [x, x]))(tf.constant(1.0)),
     "was specified as a primal multiple times"),
    (lambda tf: tf.autodiff.ForwardAccumulator(3.0, 1.0), "object has no attribute 'dtype'"),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant(1.0), 1.0).jvp(3.0),
     "'float' object has no attribute '_id'"),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant(1.0), 1.0).jvp([None]),
     "'NoneType' object has no attribute '_id'"),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant(1.0), 1.0).jvp(
        tf.constant(1.0), unconnected_gradients="bad"), "'bad' is not a valid UnconnectedGradients"),
    (lambda tf: tf.autodiff.ForwardAccumulator(tf.constant(1.0), 1.0)._pop_accumulator(),
     "Accumulator is not recording."),
])
def test_errors(fn, match):
    check_raises(fn, match=match)


def _reenter(tf):
    acc = tf.autodiff.ForwardAccumulator(tf.constant(1.0), tf.constant(1.0))
    with acc:
        with acc:
            pass


def test_reentering_raises():
    check_raises(_reenter, match="Accumulator is already recording.")


@pytest.mark.parametrize("tangent", [[1.0, 2.0, 3.0], [[1.0, 2.0]], 1.0])
def test_wrongly_shaped_tangent_fails_where_used(tangent):
    """TF accepts the tangent and fails with a shape ValueError at the first op."""
    def fn(tf):
        x = tf.constant([1.0, 2.0])
        with tf.autodiff.ForwardAccumulator(x, tf.constant(tangent)):
            x * 3.0
    got, want = check_raises(fn)
    assert "must be equal" in str(got) and "must be equal" in str(want)


# -- jaxtape-only properties ------------------------------------------------

def test_thread_local():
    tf = jaxtape
    x = tf.constant(P)
    results = {}
    with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as acc:
        def other():
            results["y"] = x * 2.0
        t = threading.Thread(target=other)
        t.start()
        t.join()
        mine = x * 2.0
    assert acc.jvp(results["y"]) is None
    np.testing.assert_allclose(acc.jvp(mine), 2 * TP)


def test_tangents_forgotten_with_their_tensors():
    tf = jaxtape
    x = tf.constant(P)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as acc:
        for _ in range(50):
            y = tf.sin(x) * 2.0
    gc.collect()
    assert len(acc._tangents) <= 3  # x, and y with its one intermediate at most
    np.testing.assert_allclose(acc.jvp(y), 2 * np.cos(P) * TP)


def test_jvp_kernels_are_cached():
    tf = jaxtape
    x = tf.constant(P)
    cache = tf.sin.primitive.jvp_cache

    def run():
        with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as acc:
            y = tf.sin(x)
        return acc.jvp(y)

    run()
    assert cache, "no jvp kernel was cached"
    kernels = {k: entry[0] for k, entry in cache.items()}
    run()
    assert {k: entry[0] for k, entry in cache.items()} == kernels


def test_custom_gradient_tangents():
    """`accumulate_custom` gives what TF's custom_gradient does: the forward's
    own tangent where it has one, else the transposed gradient function."""
    tf = real_tf()

    @tf.custom_gradient
    def stopped(x):
        return tf.stop_gradient(x) * 2.0, lambda dy: dy * 10.0

    @tf.custom_gradient
    def doubled(x):
        return x * 2.0, lambda dy: dy * 10.0

    @tf.custom_gradient
    def pair(x):
        return (tf.stop_gradient(x) * x, tf.stop_gradient(x)), lambda d1, d2: d1 * 3.0 + d2

    def run(tf, call):
        x = tf.constant(P)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(TP)) as acc:
            outs = [call(tf, f, x) for f in ("stopped", "doubled", "pair")]
        return acc.jvp(outs)

    def with_tf(tf, name, x):
        return {"stopped": stopped, "doubled": doubled, "pair": pair}[name](x)

    def with_jaxtape(tf, name, x):
        from jaxtape._src.autodiff import forward
        from jaxtape._src.framework.tensor import Tensor
        body, grad = {
            "stopped": (lambda: [tf.stop_gradient(x) * 2.0], lambda dys: [dys[0] * 10.0]),
            "doubled": (lambda: [x * 2.0], lambda dys: [dys[0] * 10.0]),
            "pair": (lambda: [tf.stop_gradient(x) * x, tf.stop_gradient(x)],
                     lambda dys: [dys[0] * 3.0 + dys[1]]),
        }[name]
        results = body()
        outs = [Tensor(r._value) for r in results]  # as custom_gradient hands them out
        forward.accumulate_custom(grad, [x], results, outs)
        return outs[0] if len(outs) == 1 else tuple(outs)

    want = run(tf, with_tf)
    got = run(jaxtape, with_jaxtape)
    assert_same(plain(got), plain(want), rtol=1e-7, atol=0)
