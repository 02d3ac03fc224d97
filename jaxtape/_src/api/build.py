"""Assembles the public `jaxtape` module: imports every op module, then builds the namespaces.

Importing an op module registers its TF names (`framework.exports`); every
module under the packages in `PACKAGES` is imported, so adding a module to one
of them needs no line here.
"""
from __future__ import annotations

import sys
import types

from jaxtape._src.api import framework_exports  # noqa: F401 - registers tf.Tensor, tf.float32, ...
from jaxtape._src.api import loader, namespaces
from jaxtape._src.keras import KerasNamespace
from jaxtape._src.ops import operators

PACKAGES = ("jaxtape._src.ops", "jaxtape._src.compile", "jaxtape._src.autodiff",
            "jaxtape._src.train", "jaxtape._src.data",
            "jaxtape._src.config", "jaxtape._src.summary", "jaxtape._src.distribute")


def load_ops() -> None:
    """Imports every module that registers TF names, so REGISTRY is complete."""
    for package in PACKAGES:
        loader.import_all(package)


def populate(root: types.ModuleType) -> list[str]:
    """Fills `root` with every registered TF name; returns the root's TF names."""
    load_ops()
    operators.install()
    namespaces.build(root)
    _install_keras(root)
    root.__getattr__ = namespaces.missing_name("tf")
    return namespaces.public_names(root)


def _install_keras(root: types.ModuleType) -> None:
    """`tf.keras`: Keras itself, imported on first attribute lookup (it is slow and optional)."""
    keras = KerasNamespace(f"{root.__name__}.keras")
    root.keras = keras
    sys.modules[keras.__name__] = keras
