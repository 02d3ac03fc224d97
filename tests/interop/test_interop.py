"""`jaxtape.op` and `jaxtape.numpy`: foreign JAX code as recorded ops."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtape as tf
import jaxtape.numpy as tnp


def test_op_records_pytree_function_and_matches_jax_grad():
    @tf.op
    def layer(params, x):
        return {"out": jnp.tanh(x @ params["w"] + params["b"]), "arg": jnp.argmax(x, axis=-1)}

    w0 = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    params = {"w": tf.Variable(w0), "b": tf.Variable(np.ones(2, np.float32))}
    x = tf.constant(np.ones((4, 3), np.float32))
    with tf.GradientTape() as tape:
        out = layer(params, x)
        loss = tf.reduce_sum(out["out"] ** 2)
    assert out["arg"].dtype == tf.int64
    gw, gb = tape.gradient(loss, [params["w"], params["b"]])

    def ref(w, b):
        return jnp.sum(jnp.tanh(jnp.ones((4, 3)) @ w + b) ** 2)

    rw, rb = jax.grad(ref, argnums=(0, 1))(w0, np.ones(2, np.float32))
    np.testing.assert_allclose(gw.numpy(), rw, rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), rb, rtol=1e-5)


def test_op_is_one_node_and_second_order_works():
    @tf.op
    def cube(x):
        return x ** 3

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        assert len(inner._tape.nodes) == 1
        dy = inner.gradient(y, x)
    assert float(dy) == 12.0
    assert float(outer.gradient(dy, x)) == 12.0


def test_op_rejects_unhashable_static_arguments():
    @tf.op
    def f(x, options):
        return x

    with pytest.raises(TypeError, match="hashable"):
        f(tf.constant(1.0), options=[{"a": []}, set()])


def test_numpy_namespace_records_and_passes_constants():
    x = tf.constant([0.5, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tnp.sum(tnp.sin(x) * tnp.exp(x), axis=0)
    g = tape.gradient(y, x)
    xs = np.array([0.5, 1.0, 2.0], np.float32)
    np.testing.assert_allclose(g.numpy(), np.cos(xs) * np.exp(xs) + np.sin(xs) * np.exp(xs), rtol=1e-5)
    assert tnp.pi == np.pi
    assert tnp.float32 is jnp.float32


def test_numpy_missing_name_says_so():
    with pytest.raises(AttributeError, match="jax.numpy has no function 'no_such_fn'"):
        tnp.no_such_fn
