"""`fit` / `evaluate` / `predict`: Keras's own JAX trainer, its steps traced
with TF's float32 defaults.

Keras's trainer jits its train, test and predict steps itself; jaxtape's x64
mode would make the float values Keras creates inside them float64 (the
sparse cross-entropy's one-hot targets put float64 `[batch, classes]` ops in
every compiled train step), where TF computes in float32. The jitted bodies
run under `float32_defaults`; only the optimizer's update keeps x64, as in
`training.py`: its iteration count is int64, as in TF. The switch happens
while tracing, so a compiled step costs nothing more per call.

Per batch, Keras hands the step's logs to its callbacks on a worker thread
(`CallbackList`'s async dispatch), which converts them to Python numbers
even when no callback has a batch hook (`fit(verbose=0)`: only `History`):
a thread hop and a wait per step, ~10% of an MLP `fit` step's CPU time
(measured).
When every callback's hook for that batch end is Keras's default no-op, the
bridge calls none. The training loop runs ahead of the device no further
than before: Keras's loop never waited for that worker either. And the
trainer's per-step `model._jax_state = {...}` (the step's new arrays, kept
for a callback that syncs) skips Keras's attribute tracking, which walked
every array in it (~600 Python calls a step for the MLP; arrays are never
tracked).
"""
from __future__ import annotations

import functools

import jax

from jaxtape._src.keras.common import float32_defaults

from keras.src.backend.config import is_nnx_enabled
from keras.src.backend.jax import trainer as jax_trainer
from keras.src.callbacks.callback_list import CallbackList
from keras.src.layers.layer import Layer
from keras.src.optimizers.base_optimizer import BaseOptimizer
from keras.src.utils.python_utils import is_default


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


def _lean_batch_end(batch_end, hooks):
    """`CallbackList.on_*_batch_end`, skipped when no callback overrides `hooks`."""
    @functools.wraps(batch_end)
    def lean(self, batch, logs=None):
        for callback in self.callbacks:
            for hook in hooks:
                if not is_default(getattr(callback, hook)):
                    return batch_end(self, batch, logs)
    return lean


def _setattr(self, name, value):
    if name == "_jax_state" and not is_nnx_enabled():
        super(Layer, self).__setattr__(name, value)  # Layer's own store, untracked
    else:
        Layer.__setattr__(self, name, value)


# The hooks each batch end calls on every callback (a default
# `on_train_batch_end` calls `on_batch_end`).
BATCH_END_HOOKS = {"on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
                   "on_test_batch_end": ("on_test_batch_end",),
                   "on_predict_batch_end": ("on_predict_batch_end",)}


def install() -> None:
    jax_trainer.jit = _float32_jit(jax_trainer.jit)
    BaseOptimizer.stateless_apply = _x64_stateless_apply(BaseOptimizer.stateless_apply)
    jax_trainer.JAXTrainer.__setattr__ = _setattr
    for name, hooks in BATCH_END_HOOKS.items():
        setattr(CallbackList, name, _lean_batch_end(getattr(CallbackList, name), hooks))
