"""Keras 3 layers, models, optimizers and variables as checkpoint objects.

On its TensorFlow backend Keras builds on TF's `AutoTrackable`: an attribute
is a checkpoint child when the value assigned is a layer, an optimizer or a
variable, or a plain `list`/`dict` (or a tuple holding such objects) - but not
Keras's own `TrackedList`/`TrackedDict`, which Keras substitutes for lists
assigned while its tracking is on. On JAX Keras has no such tracking, so the
graph TF would build is derived here from what Keras leaves behind, which
is the same Python code on both backends: the instance `__dict__` in
assignment order (TF's dependency order) and the types of the values.
Two TF-backend-only details are reproduced by hand: TF's layer base sets an
empty `_tracked` list first, a child only where the layer was constructed with
Keras tracking off (a functional model's inner lists are then plain lists),
and the tracker's own variable/layer lists are kept out of TF's tracking.
Checked against TF's files for Sequential, functional and subclassed models
with Adam; a miss elsewhere would be an extra or missing node, and restoring
still matches by name down to the variables, as TF does. Restoring into
objects built later is TF's deferred restoration: Keras's `__setattr__`
reports new attributes to the waiting restore. Installed on Keras's classes
when jaxtape's `tf.keras` loads.
"""
from __future__ import annotations

import functools
import sys
import weakref

import numpy as np

from jaxtape._src import keras as keras_package
from jaxtape._src.framework.module import Module
from jaxtape._src.framework.variables import Variable
from jaxtape._src.train import object_graph, restore

# The Keras tracker's collections (set with TF tracking switched off) and a
# functional model's flattened inputs/outputs: never checkpoint children under TF.
_NOT_TRACKED = frozenset({"_trainable_variables", "_non_trainable_variables", "_layers",
                          "_metrics", "_seed_generators", "_tracker", "_inputs", "_outputs"})

_installed: list = []
_keras_classes: tuple = ()
# Keras objects with a restore waiting for an attribute (deferred restoration).
_listening: "weakref.WeakSet" = weakref.WeakSet()


def _is_object(value) -> bool:
    """A value TF tracks as an object in its own right (not a container)."""
    return isinstance(value, _keras_classes) or isinstance(value, (Variable, Module)) or (
        not isinstance(value, (list, tuple, dict))
        and callable(getattr(value, "_trackable_children", None)))


def _contains_object(value) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(_is_object(v) or (isinstance(v, (list, tuple, dict)) and _contains_object(v))
               for v in items)


def _layer_children(layer) -> dict:
    attrs = vars(layer)
    # Built with Keras tracking off (Functional.__init__): lists stayed plain lists.
    untracked = type(attrs.get("_inbound_nodes")) is list
    out = {"_tracked": []} if untracked else {}
    for name, value in attrs.items():
        if name in _NOT_TRACKED:
            continue
        if _is_object(value):
            out[name] = value
        elif type(value) in (list, dict) or (untracked and name == "_losses_override"):
            # (the bridge's layer call reassigns `_losses_override`, which makes it a TrackedList)
            out[name] = value
        elif isinstance(value, tuple) and _contains_object(value):
            out[name] = value
    return out


def _optimizer_children(optimizer) -> dict:
    # Every optimizer variable list Keras keeps (`_variables`, slot lists such
    # as Adam's `_momentums`), the trainable-variable bookkeeping, and the
    # iteration and learning-rate variables, in assignment order as under TF.
    out = {}
    for name, value in vars(optimizer).items():
        if name == "_tracker":
            continue
        if _is_object(value) or name == "_trainable_variables_indices":
            out[name] = value
        elif isinstance(value, list) and (not value or all(map(_is_object, value))):
            out[name] = value
    return out


class _KerasValue:
    """A Keras variable's saved tensor (`VARIABLE_VALUE`), checked on restore as TF's are."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    @property
    def name(self) -> str:
        return self.variable.path

    def _checkpoint_value(self):
        return np.asarray(self.variable.numpy())

    def _restore_check(self, key, entry, value):
        restore.check_value(key, str(self.variable.dtype), entry.dtype_name,
                            tuple(self.variable.shape), np.shape(value), self.variable.path)

    def _restore_from_tensor(self, value):
        var = self.variable
        if getattr(var, "_value", True) is None and callable(getattr(var, "_initializer", None)):
            # Created in a StatelessScope (Keras's symbolic build): Keras sets
            # the value from the initializer later, so the checkpoint value
            # becomes the initializer.
            var._initializer = lambda shape, dtype=None: np.asarray(value, dtype=var.dtype)
        else:
            var.assign(value)


def _listen_for_attributes(self, on: bool) -> bool:
    if on:
        _listening.add(self)
    else:
        _listening.discard(self)
    return True


def _observing(setattr_):
    """`__setattr__` that also tells a waiting restore about the new attribute, as
    TF's tracking does when a layer builds its variables or an optimizer its slots."""
    @functools.wraps(setattr_)
    def __setattr__(self, name, value):
        setattr_(self, name, value)
        if _listening and self in _listening:
            restore.attribute_set(self, name, vars(self).get(name, value))
    return __setattr__


def install_if_loaded() -> None:
    """Adds the checkpoint hooks to Keras's classes once the bridge is installed."""
    global _keras_classes
    if _installed or "jaxtape._src.keras.install" not in sys.modules:
        return
    _installed.append(True)
    from keras.src.backend.common.variables import Variable as KerasVariable
    from keras.src.layers.layer import Layer
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    _keras_classes = (KerasVariable, Layer, BaseOptimizer)
    Layer._trackable_children = _layer_children
    BaseOptimizer._trackable_children = _optimizer_children
    for cls in (Layer, BaseOptimizer):
        cls._listen_for_attributes = _listen_for_attributes
        cls.__setattr__ = _observing(cls.__setattr__)
    KerasVariable._trackable_children = lambda self: {}
    KerasVariable._checkpoint_attributes = lambda self: {
        object_graph.VARIABLE_VALUE: _KerasValue(self)}


keras_package.on_load.append(install_if_loaded)
install_if_loaded()
