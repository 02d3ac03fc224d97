"""`fit` / `evaluate` / `predict`: Keras's own JAX trainer, its steps traced
with TF's float32 defaults.

Keras's trainer jits its train, test and predict steps itself; jaxtape's x64
mode would make the float values Keras creates inside them float64 (the
sparse cross-entropy's one-hot targets put float64 `[batch, classes]` ops in
every compiled train step), where TF computes in float32. The jitted bodies
run under `float32_defaults`; only the optimizer's update keeps x64, as in
`training.py`: its iteration count is int64, as in TF. The switch happens
while tracing, so a compiled step costs nothing more per call.
"""
from __future__ import annotations

import functools

import jax

from jaxtape._src.keras.common import float32_defaults

from keras.src.backend.jax import trainer as jax_trainer
from keras.src.optimizers.base_optimizer import BaseOptimizer


def _float32_jit(jit):
    @functools.wraps(jit)
    def float32_jit(fn, *args, **kwargs):
        @functools.wraps(fn)
        def body(*a, **k):
            with float32_defaults():
                return fn(*a, **k)
        return jit(body, *args, **kwargs)
    return float32_jit


def _x64_stateless_apply(stateless_apply):
    @functools.wraps(stateless_apply)
    def apply(self, *args, **kwargs):
        with jax.enable_x64(True):  # jaxtape's global mode, back inside a float32 step
            return stateless_apply(self, *args, **kwargs)
    return apply


def install() -> None:
    jax_trainer.jit = _float32_jit(jax_trainer.jit)
    BaseOptimizer.stateless_apply = _x64_stateless_apply(BaseOptimizer.stateless_apply)
