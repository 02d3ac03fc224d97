"""Keras max pooling through `window_max` (jaxtape/_src/keras/pooling.py): the same values and
input gradients as Keras-JAX's own reduce-window, bit for bit, with no select-and-scatter where
the windows tile the input; other pools untouched. In a subprocess (Keras picks its backend once
per process)."""
from test_keras_bridge import run


def test_max_pooling_layers_same_bits_without_select_and_scatter():
    out = run("""
        import jax, jax.numpy as jnp, numpy as np
        import jaxtape as tf
        keras = tf.keras
        keras.layers.Dense  # loads the bridge, which installs the pooling
        from keras.src.backend.jax import nn as knn
        from jaxtape._src.keras import pooling
        wrapped = knn._pool
        assert wrapped.jaxtape_window_max
        before = wrapped.original
        pooling.install()  # once only
        assert knn._pool is wrapped
        rng = np.random.default_rng(0)
        L = keras.layers
        cases = [(L.MaxPooling2D(), (2, 8, 6, 3), 0), (L.MaxPooling2D(3, padding="same"), (2, 9, 6, 2), 0),
                 (L.MaxPooling1D(2), (2, 7, 3), 0), (L.MaxPooling3D(2), (1, 4, 4, 4, 2), 0),
                 (L.MaxPooling2D(3, strides=2), (2, 8, 8, 2), 1),
                 (L.MaxPooling2D(2, padding="same"), (1, 5, 5, 1), 1),
                 (L.AveragePooling2D(2), (2, 8, 6, 3), None)]
        for layer, shape, scatters in cases:
            x = jnp.asarray(rng.integers(-2, 3, size=shape).astype(np.float32))  # ties
            def grad_with(pool_fn):
                knn._pool, saved = pool_fn, knn._pool
                try:
                    f = jax.jit(lambda a: jax.value_and_grad(lambda b: jnp.sum(layer(b) ** 2))(a))
                    jaxpr = str(jax.make_jaxpr(f)(x))
                    return f(x), jaxpr.count("select_and_scatter")
                finally:
                    knn._pool = saved
            (v_new, g_new), n_new = grad_with(knn._pool)
            (v_old, g_old), n_old = grad_with(before)
            assert np.array_equal(v_new, v_old) and np.array_equal(g_new, g_old), layer.name
            if scatters is not None:
                assert n_old == 1 and n_new == scatters, (layer.name, n_old, n_new)
        print("ok")
        """)
    assert out.strip().endswith("ok")
