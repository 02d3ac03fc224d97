"""`import tensorflow.X` answered by jaxtape's namespaces while `tensorflow` is jaxtape.

Harnesses alias with `sys.modules["tensorflow"] = jaxtape`, and the runner
does the same. Python then looks `tensorflow.math` or
`tensorflow.python.eager.backprop` up as files on jaxtape's package path,
where there are none. This finder, first on `sys.meta_path` from `import
jaxtape` on, answers those names with the matching namespace, but only while
`sys.modules["tensorflow"]` is jaxtape: a real TensorFlow installed beside
jaxtape imports as usual when nobody aliased.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types

PREFIX = "tensorflow"


class TensorFlowAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `tensorflow.sub[.sub]` to the jaxtape namespace of that path."""

    def __init__(self, root: types.ModuleType):
        self.root = root  # the jaxtape package, passed in: this layer sits below it
        self._specs = {}  # each namespace's own __spec__, which the import system overwrites

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(PREFIX + ".") and sys.modules.get(PREFIX) is self.root:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        target = self.root
        for part in spec.name.split(".")[1:]:
            try:
                target = getattr(target, part)
            except AttributeError:
                tf_name = "tf" + spec.name[len(PREFIX):]
                raise ModuleNotFoundError(f"jaxtape does not implement {tf_name}",
                                          name=spec.name) from None
        if not isinstance(target, types.ModuleType):  # `import tensorflow.constant`
            raise ModuleNotFoundError(f"No module named '{spec.name}'", name=spec.name)
        self._specs[spec.name] = getattr(target, "__spec__", None)
        return target

    def exec_module(self, module):
        # The namespace is already built; keep `jaxtape.math.__spec__` its own.
        module.__spec__ = self._specs.pop(module.__spec__.name, None)


def install(root: types.ModuleType) -> None:
    """Puts the finder first on `sys.meta_path` (once)."""
    if not any(isinstance(f, TensorFlowAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, TensorFlowAlias(root))


def alias(root: types.ModuleType) -> None:
    """`sys.modules["tensorflow"] = root`, with the finder installed: what the runner does."""
    install(root)
    sys.modules[PREFIX] = root
