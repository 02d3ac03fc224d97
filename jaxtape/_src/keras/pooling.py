"""Keras-JAX's max pooling through `window_max`: the same values and gradients bit for bit,
without the select-and-scatter that made a CNN step's pooling gradient cost more on XLA:CPU
than its convolutions (see jaxtape/_src/ops/nn/max_window.py)."""
from __future__ import annotations

from jax import lax
from keras.src.backend.jax import nn as keras_jax_nn

from jaxtape._src.ops.nn.max_window import window_max


def install() -> None:
    original = getattr(keras_jax_nn, "_pool", None)  # a Keras without it: left as it is
    if original is None or getattr(original, "jaxtape_window_max", False):
        return

    def _pool(inputs, initial_value, reduce_fn, pool_size, strides=None, padding="valid"):
        # Keras's max_pool passes lax.max, full-rank pool_size and strides, "valid" or "same".
        if reduce_fn is lax.max and strides is not None and padding in ("valid", "same"):
            return window_max(inputs, initial_value, pool_size, strides, padding.upper())
        return original(inputs, initial_value, reduce_fn, pool_size, strides, padding)

    _pool.jaxtape_window_max = True
    _pool.original = original
    keras_jax_nn._pool = _pool
