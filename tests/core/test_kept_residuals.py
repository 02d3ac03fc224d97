"""`Primitive(..., keep_residuals=True)`: the forward runs `jax.vjp` once and
the backward applies the saved pullback, without running the op again; first
and second order gradients are the recomputing op's in every backward mode."""
import jax
import jax.numpy as jnp
import numpy as np

import jaxtape as tf
from jaxtape._src.tape import backward
from jaxtape._src.tape.primitive import Primitive

X = np.array([[0.3, -1.2, 0.5], [1.1, 0.2, -0.7]], np.float32)
W = np.array([[0.4, -0.3], [0.9, 0.1], [-0.5, 0.8]], np.float32)


def _ops():
    """The same op kept, kept under a save policy (the matmul's output only) and
    recomputing, each counting the traces of its body."""
    traces = {"kept": 0, "policy": 0, "plain": 0}

    def body(which):
        def dense_tanh(x, w):
            traces[which] += 1
            return jnp.tanh(x @ w)
        return dense_tanh

    return (Primitive(body("kept"), keep_residuals=True),
            Primitive(body("policy"), keep_residuals=jax.checkpoint_policies.dots_saveable),
            Primitive(body("plain")), traces)


def _first_and_second_order(op, x, w):
    with tf.GradientTape() as outer:
        outer.watch(w)
        with tf.GradientTape() as inner:
            inner.watch(w)
            y = op(x, w)
            loss = tf.reduce_sum(y * y)
        gw = inner.gradient(loss, w)
        penalty = tf.reduce_sum(gw * gw)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(w)
        y = op(x, w)
        tape.watch(x)  # followed only after the call: the pullback has no x gradient
        loss = tf.reduce_sum(y * y)
    return [g.numpy() for g in (gw, outer.gradient(penalty, w), tape.gradient(loss, w),
                                tape.gradient(loss, x))]


def test_kept_residuals_give_the_recomputing_ops_gradients():
    # The inner gradient runs recorded (an outer tape watches); the others step
    # by step, then compiled whole.
    kept, policy, plain, traces = _ops()
    x, w = tf.constant(X), tf.constant(W)
    for force in (None, "compiled"):
        backward.config["force"] = force
        try:
            want = _first_and_second_order(plain, x, w)
            got = [_first_and_second_order(op, x, w) for op in (kept, policy)]
        finally:
            backward.config["force"] = None
        for grads in got:
            for a, b in zip(grads, want):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_backward_applies_the_pullback_without_running_the_op_again():
    kept, policy, plain, traces = _ops()
    x, w = tf.constant(X), tf.constant(W)
    for op in (kept, policy, plain):
        for _ in range(2):  # the second call reuses every compiled kernel
            with tf.GradientTape() as tape:
                tape.watch(w)
                loss = tf.reduce_sum(op(x, w))
            tape.gradient(loss, w)
    # Kept: traced once, in its forward (the policy's recomputed tanh is part
    # of the saved pullback). Recomputing: forward and VJP kernel.
    assert traces == {"kept": 1, "policy": 1, "plain": 2}
