"""A model's TF-style `train_step(self, data)` (and `test_step`,
`predict_step`) under `fit` / `evaluate` / `predict`.

TensorFlow's guide "Customizing what happens in fit()" overrides
`train_step(self, data)`: a tape, `self.compute_loss`, the optimizer's
`apply_gradients`, metric updates, a dict of results. Keras's JAX trainer
calls `train_step(state, data)` on arrays instead (its own stateless
recipe), so such a model failed with a TypeError. A step method of one
argument besides `self` is taken for TF's kind: it runs as a jaxtape
`tf.function` (eagerly under `compile(run_eagerly=True)`) that reads and
writes the model's variables themselves (updated in place), and the state
the trainer threads through its loop is empty: the variables hold it. The
trainer's purge of the model's variables at an epoch's start (a memory
saving that assumes its stateless step) is skipped for such a model: the
step reads them. A two-argument override is Keras's JAX recipe and runs as
Keras runs it.
"""
from __future__ import annotations

import inspect
import warnings
import weakref

import jax
import numpy as np

from jaxtape._src.compile.function import function
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.keras.backend import keras
from jaxtape._src.keras.common import unwrap_tree
from jaxtape._src.keras.training import _tensor
from jaxtape._src.ops.array.join import stack
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.reduce import reduce_sum

from keras.src.backend.jax import trainer as jax_trainer
from keras.src.metrics.reduction_metrics import Mean

STEPS = ("train_step", "test_step", "predict_step")

# What each step's state holds, in the trainer's order.
_GROUPS = {"train_step": ("trainable", "non_trainable", "optimizer", "metrics"),
           "test_step": ("trainable", "non_trainable", "metrics"),
           "predict_step": ("trainable", "non_trainable")}

_kinds = weakref.WeakKeyDictionary()  # model class -> {step name: TF-style?}


def tf_style(model, name) -> bool:
    """Whether `type(model).name` is a user's override taking `data` alone."""
    cls = type(model)
    try:
        kinds = _kinds[cls]
    except KeyError:
        kinds = _kinds[cls] = {}
    except TypeError:
        return False
    kind = kinds.get(name)
    if kind is None:
        method = getattr(cls, name, None)
        own = getattr(jax_trainer.JAXTrainer, name)
        kind = False
        if method is not None and method is not own:
            try:
                params = list(inspect.signature(method).parameters.values())[1:]
            except (TypeError, ValueError):
                params = None
            kind = params is not None and len(params) == 1 and params[0].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        kinds[name] = kind
    return kind


def live(model) -> bool:
    """Whether any of the model's steps reads its variables (TF-style)."""
    return any(tf_style(model, name) for name in STEPS)


class _Step:
    """`(state, data) -> (outputs, state)` around the model's TF-style step."""

    def __init__(self, model, name):
        self._model = weakref.ref(model)  # the model holds this step
        self._name = name
        self._compiled = None

    def _run(self, data):
        model = self._model()
        step = getattr(type(model), self._name)
        if model.run_eagerly:
            return step(model, data)
        if self._compiled is None:
            ref = self._model

            def compiled_step(data):
                return step(ref(), data)

            compiled_step.__name__ = self._name
            self._compiled = function(compiled_step)
        return self._compiled(data)

    def __call__(self, state, data):
        del state  # the variables themselves are the state
        data = jax.tree_util.tree_map(_tensor, data)  # (None leaves are empty subtrees)
        outputs = unwrap_tree(self._run(data))
        # The variables hold the state: the trainer gets empty groups (its sync
        # then writes nothing back), and keeps no arrays the next call must
        # copy instead of updating in place.
        return outputs, tuple([] for _ in _GROUPS[self._name])


def _make(original, name, attribute, concatenate=False):
    def make(self, force=False):
        if not tf_style(self, name):
            return original(self, force)
        if getattr(self, attribute) is None or force:
            if concatenate:
                function_ = self._make_function(_Step(self, name), concatenate_outputs=True)
            else:
                function_ = self._make_function(_Step(self, name))
            setattr(self, attribute, function_)
        return getattr(self, attribute)
    make.__wrapped__ = original
    return make


# -- TF's backward-compatible names for a custom step ---------------------------
# Keras's TensorFlow trainer keeps `compiled_loss` and `compiled_metrics`
# (TF 2's `train_step` spelling, warned as deprecated); ported steps call them.

def _compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
    warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                  "`model.compute_loss(x, y, y_pred, sample_weight, training)`.")
    return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)


class _CompiledMetrics:
    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        warnings.warn("`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n```\n"
                      "for metric in self.metrics:\n    metric.update_state(y, y_pred)\n```\n",
                      stacklevel=2)
        for metric in self._model.metrics:
            if isinstance(metric, Mean):  # the loss tracker among them, as TF's shim does
                metric.update_state(y_pred, sample_weight=sample_weight)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)


def _compute_loss(compute_loss):
    """Keras's `compute_loss` in a TF-style step or under a tape: the compiled
    loss and `model.losses` summed with jaxtape's ops (Keras's own would take
    the tensors' arrays and leave the tape behind)."""
    def compute(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not any(isinstance(leaf, Tensor) for leaf in jax.tree_util.tree_leaves((y, y_pred))):
            return compute_loss(self, x, y, y_pred, sample_weight, training)
        losses = []
        if self._compile_loss is not None:
            loss = self._compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                losses.append(loss)
        for loss in self.losses:
            loss = convert_to_tensor(loss)
            if not loss.dtype.is_floating:
                loss = cast(loss, keras.config.floatx())
            losses.append(reduce_sum(loss))
        if len(losses) == 1:
            return losses[0]
        if not losses:
            return convert_to_tensor(np.zeros((), keras.config.floatx()))
        return reduce_sum(stack(losses))

    compute.__wrapped__ = compute_loss
    return compute


def install() -> None:
    T = jax_trainer.JAXTrainer
    T.compute_loss = _compute_loss(T.compute_loss)
    if not hasattr(T, "compiled_loss"):
        T.compiled_loss = _compiled_loss
    if not hasattr(T, "compiled_metrics"):
        T.compiled_metrics = property(_CompiledMetrics)
    T.make_train_function = _make(T.make_train_function, "train_step", "train_function")
    T.make_test_function = _make(T.make_test_function, "test_step", "test_function")
    T.make_predict_function = _make(T.make_predict_function, "predict_step", "predict_function",
                                    concatenate=True)
    purge = T._purge_model_variables

    def purge_unless_live(self, *args, **kwargs):
        if not live(self):
            purge(self, *args, **kwargs)

    purge_unless_live.__wrapped__ = purge
    T._purge_model_variables = purge_unless_live
    symbolic_build = T._symbolic_build

    def build_unless_live(self, *args, **kwargs):
        # TF's trainer builds a model (a GAN wrapper may have no `call`) and its
        # compiled metrics in the first traced step; Keras's JAX trainer calls
        # the model symbolically first.
        if not live(self):
            return symbolic_build(self, *args, **kwargs)

    build_unless_live.__wrapped__ = symbolic_build
    T._symbolic_build = build_unless_live
