"""`tf.keras`: Keras 3 on its JAX backend, bridged to jaxtape's tape.

Since TF 2.16 `tf.keras` is Keras 3, and Keras 3 runs on JAX, so jaxtape's
`tf.keras` is the real Keras with a few entry points adapted (see
`install.py`): Keras variables carry jaxtape variable identity, a layer call
is one recorded op, and optimizers, losses and metrics accept jaxtape
tensors. Importing Keras takes seconds and Keras is an optional extra, so
this module only builds the lazy `tf.keras` namespace; the first attribute
looked up on it imports Keras and installs the bridge.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types

from jaxtape._src.framework.exports import export_value

INSTALL_HINT = "pip install 'jaxtape[keras]'"
# Called once the bridge is installed, by packages above this one that adapt
# Keras further (tf.distribute) whenever it loads: they cannot be imported here.
on_load: list = []


class KerasNamespace(types.ModuleType):
    """`tf.keras`: forwards every lookup to the real `keras` module, bridged on first use."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__path__ = []  # a package, so `import tensorflow.keras.layers` descends

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        keras = load()
        try:
            value = getattr(keras, attr)
        except AttributeError:
            raise AttributeError(f"module 'tf.keras' has no attribute '{attr}'") from None
        setattr(self, attr, value)  # later lookups skip __getattr__
        return value

    def __dir__(self):
        return dir(load())


class KerasAlias(KerasNamespace):
    """`tf.losses`, `tf.metrics`, `tf.optimizers`, `tf.initializers`: in TF 2.21
    lazy aliases of `tf.keras.<submodule>`, so here the same lazy forwarding to
    the bridged Keras's (the same objects; the same error without Keras)."""

    def __init__(self, submodule: str):
        super().__init__(f"jaxtape.{submodule}")
        self._submodule = submodule
        self._loaded = False

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        target = getattr(load(), self._submodule)
        self._loaded = True
        try:
            value = getattr(target, attr)
        except AttributeError:
            raise AttributeError(f"module 'tf.{self._submodule}' has no attribute '{attr}'") from None
        setattr(self, attr, value)
        return value

    def __dir__(self):
        return dir(getattr(load(), self._submodule))

    def __repr__(self):  # TF's KerasLazyLoader's
        if not self._loaded:
            return "<KerasLazyLoader>"
        return repr(getattr(load(), self._submodule))  # once loaded: the module's own


# TF 2.21's lazy aliases of the tf.keras modules.
export_value(KerasAlias("initializers"), "initializers")
export_value(KerasAlias("losses"), "losses")
export_value(KerasAlias("metrics"), "metrics")
export_value(KerasAlias("optimizers"), "optimizers")


def load():
    """The real `keras` module on its JAX backend, with the bridge installed."""
    # Keras is imported below, for real: a pending `import keras` hook steps aside.
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _PlainImport)]
    # Deferred, not a cycle: importing Keras costs seconds and Keras is optional.
    from jaxtape._src.keras import install
    return install.keras_module()


class _PlainImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import keras` in a script run by `python -m jaxtape run` gets the bridged
    Keras (what `tf.keras` is), not Keras on whatever backend it would pick."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" or "keras" in sys.modules:
            return None
        load()  # takes this hook off sys.meta_path first
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        self._spec = sys.modules["keras"].__spec__
        return sys.modules["keras"]

    def exec_module(self, module):
        module.__spec__ = self._spec  # Keras's own, which the import system overwrote


def bridge_plain_import() -> None:
    """Makes a later `import keras` load the bridged Keras (the runner calls this)."""
    if "keras" not in sys.modules and not any(isinstance(f, _PlainImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PlainImport())
