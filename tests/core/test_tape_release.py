"""A persistent tape lets go, when its context exits, of the recorded inputs
no gradient it can still compute reads (`tape/release.py`): the numbers stay
TF's (differential tests, in every backward mode), the tensors are freed,
and a gradient that would need a value let go fails by name."""
import gc
import weakref

import numpy as np
import pytest

import jaxtape
from difftest import same_outcome as same
from jaxtape._src.tape.primitive import Dropped

pytestmark = pytest.mark.usefixtures("backward_mode", "release_every_tape")


@pytest.fixture
def release_every_tape(monkeypatch):
    """Short tapes too (by default only tapes of 64 nodes or more let go)."""
    from jaxtape._src.tape import release
    monkeypatch.setitem(release.config, "min_nodes", 0)

rng = np.random.default_rng(3)
X = rng.normal(size=(4, 5)).astype(np.float32)
W1 = rng.normal(size=(5, 6)).astype(np.float32)
B1 = rng.normal(size=(6,)).astype(np.float32)
W2 = rng.normal(size=(6, 3)).astype(np.float32)


def _chain(tf, steps=50):
    x = tf.constant(np.linspace(0.5, 1.5, 16, dtype=np.float32))
    c = tf.constant(np.full(16, 1.01, np.float32))
    d = tf.constant(np.full(16, 0.25, np.float32))
    t = tf.GradientTape(persistent=True)
    with t:
        t.watch(x)
        y = x
        for i in range(steps):
            y = y * c if i % 3 else y + d - c
    return t, x, c, y


def test_a_chain_frees_its_intermediates_and_keeps_tf_gradients():
    t, x, c, y = _chain(jaxtape)
    node = next(n for n in t._tape.nodes if n.prim.name == "Mul")
    assert type(node.args[0]) is Dropped and node.args[1] is c  # d(y * c)/dy reads c only

    refs = []
    t = jaxtape.GradientTape(persistent=True)
    with t:
        t.watch(x)
        z = x
        for _ in range(200):
            z = z * c
            refs.append(weakref.ref(z))
    gc.collect()
    assert sum(r() is not None for r in refs) <= 2  # the last (held by `z`) and a pending one

    def fn(tf):
        t, x, c, y = _chain(tf)
        return t.gradient(y, x), t.gradient(y, c), t.gradient(y, [x, c]), t.gradient(tf.reduce_sum(y * y), x)

    same(fn)


def _mlp(tf):
    """Sources of every kind: a watched input, variables, a late watch inside the context."""
    x = tf.constant(X)
    w1, b1, w2 = tf.Variable(W1), tf.Variable(B1), tf.Variable(W2)
    scale = tf.constant(np.float32(0.5))
    t = tf.GradientTape(persistent=True)
    with t:
        t.watch(x)
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
        flat = tf.reshape(h, [-1])
        h2 = tf.reshape(flat, [4, 6]) * scale
        t.watch(scale)  # watched after its use, inside the context: TF counts it
        out = tf.matmul(h2, w2) - tf.reduce_mean(h2)
        loss = tf.reduce_sum(out * out)
    return t, x, (w1, b1, w2), scale, out, loss


def test_matmul_bias_add_reshape_gradients_jacobians_match_tf():
    def fn(tf):
        t, x, ws, scale, out, loss = _mlp(tf)
        return (t.gradient(loss, [x, *ws, scale]), t.gradient(out, ws[1]),
                t.jacobian(out, ws[2]), t.batch_jacobian(out, x))

    same(fn, rtol=2e-5, atol=2e-5)


def test_second_order_through_a_released_persistent_tape():
    def fn(tf):
        x = tf.constant(np.array([0.3, -1.2, 2.0], np.float32))
        c = tf.constant(np.array([1.5, 0.5, -2.0], np.float32))
        with tf.GradientTape(persistent=True) as outer:
            outer.watch(x)
            with tf.GradientTape(persistent=True) as inner:
                inner.watch(x)
                y = tf.reduce_sum(tf.sin(x * c) * c + x)
            g = inner.gradient(y, x)  # inner exited while outer records: nothing let go
        tape = tf.GradientTape(persistent=True)
        with tape:
            tape.watch(x)
            z = tf.reduce_sum(tf.exp(x * c) + x * x)
        with tf.GradientTape() as second:  # released tape, gradient recorded by `second`
            second.watch(x)
            gz = tape.gradient(z, x)
            s = tf.reduce_sum(gz * gz)
        return g, outer.gradient(g, x), gz, second.gradient(s, x)

    same(fn)


def test_a_reentered_tape_differentiates_old_and_new_ops():
    def fn(tf):
        t, x, c, y = _chain(tf, steps=7)
        with t:
            w = y * y + x
        return t.gradient(w, x), t.gradient(y, x), t.gradient(w, c)

    same(fn)


def test_inner_tape_exited_while_outer_records_keeps_tf_late_watch():
    def fn(tf):
        x, c = tf.constant(1.5), tf.constant(2.0)
        inner = tf.GradientTape(persistent=True)
        with tf.GradientTape():
            with inner:
                inner.watch(x)
                y = x * c
            inner.watch(c)  # counts: the outer tape records
        return inner.gradient(y, c)

    same(fn)


def test_a_late_watch_that_needs_a_value_let_go_fails_by_name():
    """The one difference from TF: TF gives d(x * c)/dc = x here; jaxtape let
    go of `x` when the tape exited (no tape recorded then)."""
    x, c = jaxtape.constant(1.5), jaxtape.constant(2.0)
    t = jaxtape.GradientTape(persistent=True)
    with t:
        t.watch(x)
        y = x * c
    with jaxtape.GradientTape():
        t.watch(c)
    with pytest.raises(ValueError, match="let go of the inputs of a recorded Mul"):
        t.gradient(y, c)
    assert float(t.gradient(y, x)) == 2.0
