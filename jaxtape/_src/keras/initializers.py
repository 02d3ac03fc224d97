"""Keras's constant initializers (zeros, ones) filled on the host.

On JAX, `ops.zeros(shape)` is a jitted broadcast that XLA compiles once per
shape: every bias and every optimizer slot of a new shape costs a compile
on the first call of a model or an optimizer, where TF fills the buffer
eagerly. The same values made with NumPy and put on the device compile
nothing. Inside a JAX trace the original stays (a NumPy constant of a
big shape would be baked into the program).
"""
from __future__ import annotations

import functools

import jax
import numpy as np
from jax._src.core import trace_state_clean  # no public "am I traced" test in JAX

from jaxtape._src.keras.backend import keras  # noqa: F401 - imports Keras on JAX first

from keras.src.backend import standardize_dtype
from keras.src.initializers.constant_initializers import Ones, Zeros


def _on_host(cls, fill):
    original = cls.__call__

    @functools.wraps(original)
    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        if trace_state_clean() and dtype != "bfloat16":
            return jax.device_put(fill(tuple(shape), dtype=np.dtype(dtype)))
        return original(self, shape, dtype)

    cls.__call__ = __call__


def install() -> None:
    _on_host(Zeros, np.zeros)
    _on_host(Ones, np.ones)
