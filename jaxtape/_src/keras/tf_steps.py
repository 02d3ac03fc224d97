"""A model's TF-style `train_step(self, data)` (and `test_step`,
`predict_step`) under `fit` / `evaluate` / `predict`.

TensorFlow's guide "Customizing what happens in fit()" overrides
`train_step(self, data)`: a tape, `self.compute_loss`, the optimizer's
`apply_gradients`, metric updates, a dict of results. Keras's JAX trainer
calls `train_step(state, data)` on arrays instead (its own stateless
recipe), so such a model failed with a TypeError. A step method of one
argument besides `self` is taken for TF's kind: it runs as a jaxtape
`tf.function` (eagerly under `compile(run_eagerly=True)`) that reads and
writes the model's variables themselves, and the state the trainer
threads through its loop is the variables' arrays after each step. The
trainer's purge of the model's variables at an epoch's start (a memory
saving that assumes its stateless step) is skipped for such a model: the
step reads them. A two-argument override is Keras's JAX recipe and runs as
Keras runs it.
"""
from __future__ import annotations

import inspect
import weakref

import jax

from jaxtape._src.compile.function import function
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.keras.backend import keras  # noqa: F401 - Keras imported the bridge's way first

from keras.src.backend.jax import trainer as jax_trainer

STEPS = ("train_step", "test_step", "predict_step")

# What each step's state holds, in the trainer's order.
_GROUPS = {"train_step": ("trainable", "non_trainable", "optimizer", "metrics"),
           "test_step": ("trainable", "non_trainable", "metrics"),
           "predict_step": ("trainable", "non_trainable")}
_VARIABLES = {"trainable": lambda m: m.trainable_variables,
              "non_trainable": lambda m: m.non_trainable_variables,
              "optimizer": lambda m: m.optimizer.variables,
              "metrics": lambda m: m.metrics_variables}

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


def _tensor(leaf):
    if leaf is None or isinstance(leaf, Tensor):
        return leaf
    return convert_to_tensor(leaf)


def _array(leaf):
    return leaf._value if isinstance(leaf, Tensor) else leaf


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
        data = jax.tree_util.tree_map(_tensor, data, is_leaf=lambda x: x is None)
        outputs = jax.tree_util.tree_map(_array, self._run(data))
        model = self._model()
        return outputs, tuple([v.value for v in _VARIABLES[group](model)]
                              for group in _GROUPS[self._name])


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


def install() -> None:
    T = jax_trainer.JAXTrainer
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
