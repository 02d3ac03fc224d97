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
tracked). Batch begins are skipped the same way.

Per `fit` call, Keras's fixed work before the first step and after the last
cost ~1.9 ms of main-thread CPU (measured on a 2-core CPU, where a 16-batch
MLP epoch takes ~28 ms, mostly compute on XLA's threads; the hand-written
jit loop has none of it). The largest parts: `reset_metrics`, whose
`assign(0)`s turn Python zeros into device arrays one at a time (~50 us
each), and the epoch's state read and sync, every variable through Keras's
`value` and checking `assign`. The bridge zeroes what Keras's own
`reset_state`s would zero in one jitted call (any other `reset_state` runs
as written) and reads and stores the state directly (a value whose dtype
the float32 step changed, an int64 metric's, still goes through `assign`);
every variable ends with the same value.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxtape._src.framework.state import local
from jaxtape._src.keras import tf_steps
from jaxtape._src.keras.common import float32_defaults, write_back

from keras.src.backend.common.stateless_scope import in_stateless_scope
from keras.src.backend.common.variables import get_autocast_scope
from keras.src.backend.config import is_nnx_enabled
from keras.src.backend.jax import trainer as jax_trainer
from keras.src.callbacks.callback_list import CallbackList
from keras.src.layers.layer import Layer
from keras.src.metrics.metric import Metric
from keras.src.metrics.reduction_metrics import Mean, Sum
from keras.src.optimizers.base_optimizer import BaseOptimizer
from keras.src.optimizers.loss_scale_optimizer import LossScaleOptimizer
from keras.src.trainers import compile_utils
from keras.src.trainers.trainer import Trainer
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


def _lean_batch_hook(batch_hook, hooks):
    """`CallbackList.on_*_batch_begin/end`, skipped when no callback overrides `hooks`."""
    @functools.wraps(batch_hook)
    def lean(self, batch, logs=None):
        for callback in self.callbacks:
            for hook in hooks:
                if not is_default(getattr(callback, hook)):
                    return batch_hook(self, batch, logs)
    return lean


# The trainer's per-step and per-epoch bookkeeping: an array dict and a bool.
_UNTRACKED = frozenset(("_jax_state", "_jax_state_synced"))


def _setattr(self, name, value):
    if name in _UNTRACKED and not is_nnx_enabled():
        super(Layer, self).__setattr__(name, value)  # Layer's own store, untracked
    else:
        Layer.__setattr__(self, name, value)


# The hooks each batch begin and end calls on every callback (a default
# `on_train_batch_*` calls `on_batch_*`).
BATCH_HOOKS = {"on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
               "on_test_batch_end": ("on_test_batch_end",),
               "on_predict_batch_end": ("on_predict_batch_end",),
               "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
               "on_test_batch_begin": ("on_test_batch_begin",),
               "on_predict_batch_begin": ("on_predict_batch_begin",)}


def _direct() -> bool:
    """Whether a variable's `value` is its stored array and `assign` a checked
    store (outside a StatelessScope, an autocast scope and a jaxtape trace)."""
    return not (in_stateless_scope() or get_autocast_scope() is not None or local.tracing
                or is_nnx_enabled())


# -- the state read at an epoch's start and stored back at its end ------------

def _lean_get_jax_state(get_jax_state):
    @functools.wraps(get_jax_state)
    def get(self, trainable_variables=False, non_trainable_variables=False,
            optimizer_variables=False, metrics_variables=False, purge_model_variables=False):
        if not _direct():
            return get_jax_state(self, trainable_variables, non_trainable_variables,
                                 optimizer_variables, metrics_variables, purge_model_variables)
        keys, groups = [], []
        for wanted, key, variables in (
                (trainable_variables, "trainable_variables", lambda: self.trainable_variables),
                (non_trainable_variables, "non_trainable_variables",
                 lambda: self.non_trainable_variables),
                (optimizer_variables, "optimizer_variables", lambda: self.optimizer.variables),
                (metrics_variables, "metrics_variables", lambda: self.metrics_variables)):
            if wanted:
                keys.append(key)
                groups.append(variables())
        # An unset array (purged): Keras's placeholder from the initializer.
        state = tuple([v.value if v._value is None else v._value for v in group] for group in groups)
        if purge_model_variables and not tf_steps.live(self):  # freed until the epoch's sync
            for group in groups:
                for v in group:
                    v._value = None
            # What the sync restores if no step finishes (a failed first step, an
            # empty dataset): Keras's own purge then left the model without weights.
            self._jax_state = dict(zip(keys, state))
            self._jax_state_synced = False
        return state
    return get


def _lean_state_sync(state_sync):
    @functools.wraps(state_sync)
    def sync(self):
        state = getattr(self, "_jax_state", None)
        if not state or self._jax_state_synced or not _direct():
            return state_sync(self)
        for key, variables in (("trainable_variables", lambda: self.trainable_variables),
                               ("non_trainable_variables", lambda: self.non_trainable_variables),
                               ("optimizer_variables", lambda: self.optimizer.variables),
                               ("metrics_variables", lambda: self.metrics_variables)):
            values = state.get(key)
            if not values:
                continue
            for v, value in zip(variables(), values):
                # The compiled step's outputs: Keras's assigns in its StatelessScope
                # made them the variable's dtype and shape, save an int64 one's
                # (int32 in the float32 step: `assign` converts it back).
                if isinstance(value, jax.Array) and value.is_deleted():
                    continue  # given to a step that then failed: nothing to restore
                if isinstance(value, jax.Array) and value.dtype == v._dtype and value.shape == v._shape:
                    v._direct_assign(value)
                else:
                    v.assign(value)
        self._jax_state_synced = True
    return sync


# -- metrics reset -------------------------------------------------------------

def _own(method):
    """Keras's function behind a class's method (the bridge wraps some)."""
    return getattr(method, "__wrapped__", method)


# Keras's own `reset_state`s that only zero variables: which ones.
_ZEROING = {_own(Metric.reset_state): lambda m: m.variables,
            _own(Mean.reset_state): lambda m: (m.total, m.count),
            _own(Sum.reset_state): lambda m: (m.total,)}
# Keras's own `reset_state`s that reset the metrics they hold.
_COMPOSITE = {_own(compile_utils.MetricsList.reset_state): lambda m: m.metrics,
              _own(compile_utils.CompileMetrics.reset_state):
                  lambda m: (m._flat_metrics + m._flat_weighted_metrics) if m.built else ()}


def _sort_resets(metrics, zeroed, others):
    """Splits `metrics` into the variables Keras's own resets zero and the
    metrics whose `reset_state` is someone else's (run as written)."""
    for m in metrics:
        if m is None:
            continue
        reset = _own(type(m).reset_state)
        if reset in _ZEROING:
            variables = _ZEROING[reset](m)
            if reset is not _own(Metric.reset_state) and any(v.shape != () for v in variables):
                others.append(m)  # `assign(0)` to a non-scalar: Keras's error
            else:
                zeroed.extend(variables)
        elif reset in _COMPOSITE:
            _sort_resets(_COMPOSITE[reset](m), zeroed, others)
        else:
            others.append(m)


@functools.lru_cache(maxsize=64)
def _zeros(spec):
    """One jitted call making fresh zero arrays of `spec`'s (shape, dtype)s
    (a compiled step donates them, so none is shared)."""
    return jax.jit(lambda: [jnp.zeros(shape, dtype) for shape, dtype in spec])


def _lean_reset_metrics(reset_metrics):
    @functools.wraps(reset_metrics)
    def reset(self):
        if not _direct():
            return reset_metrics(self)
        zeroed, others = [], []
        _sort_resets(self.metrics, zeroed, others)
        if zeroed:
            with jax.enable_x64(True):  # the variables' own dtypes (int64 too)
                write_back(zeroed, _zeros(tuple((tuple(v.shape), v.dtype) for v in zeroed))())
        for m in others:
            m.reset_state()
    return reset


def install() -> None:
    jax_trainer.jit = _float32_jit(jax_trainer.jit)
    BaseOptimizer.stateless_apply = _x64_stateless_apply(BaseOptimizer.stateless_apply)
    LossScaleOptimizer.stateless_apply = _x64_stateless_apply(LossScaleOptimizer.stateless_apply)
    jax_trainer.JAXTrainer.__setattr__ = _setattr
    jax_trainer.JAXTrainer._get_jax_state = _lean_get_jax_state(jax_trainer.JAXTrainer._get_jax_state)
    jax_trainer.JAXTrainer.jax_state_sync = _lean_state_sync(jax_trainer.JAXTrainer.jax_state_sync)
    Trainer.reset_metrics = _lean_reset_metrics(Trainer.reset_metrics)
    for name, hooks in BATCH_HOOKS.items():
        setattr(CallbackList, name, _lean_batch_hook(getattr(CallbackList, name), hooks))
