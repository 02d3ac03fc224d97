"""Assembles the public `jaxtape` module: imports every op module, then builds the namespaces.

Importing an op module registers its TF names (`framework.exports`); every
module under `ops`, `autodiff` and `compile` is imported, so adding one needs
no line here.
"""
from __future__ import annotations

import types

from jaxtape._src.api import framework_exports  # noqa: F401 - registers tf.Tensor, tf.float32, ...
from jaxtape._src.api import loader, namespaces
from jaxtape._src.api.interop import op
from jaxtape._src.framework.errors import NotImplementedInJaxtape


def populate(root: types.ModuleType):
    """Fills `root` with every registered TF name; returns jaxtape's own `op`."""
    for package in ("jaxtape._src.ops", "jaxtape._src.autodiff", "jaxtape._src.compile"):
        loader.import_all(package)
    namespaces.build(root)
    return op


def missing_name(tf_path: str):
    """A module `__getattr__` that names the missing TF symbol."""
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedInJaxtape(f"jaxtape does not implement {tf_path}.{name}")
    return __getattr__
