"""Module objects for `tf`, `tf.math`, `tf.nn`, ... built from the registry.

Every namespace is a real module in `sys.modules` (`jaxtape.math`), so
`from tensorflow.math import sin` works under the runner. A name jaxtape does
not provide raises `NotImplementedInJaxtape` naming it in TF's terms.
"""
from __future__ import annotations

import sys
import types

from jaxtape._src.framework.exports import REGISTRY
from jaxtape._src.framework.errors import NotImplementedInJaxtape

# TensorFlow's public submodules, so `tf.image.adjust_contrast` is reported as
# that name rather than as a missing `tf.image`.
KNOWN_NAMESPACES = (
    "audio", "autodiff", "autograph", "bitwise", "compat", "compat.v1", "compat.v2", "config",
    "data", "debugging", "distribute", "dtypes", "errors", "experimental", "feature_column",
    "graph_util", "image", "io", "keras", "linalg", "lite", "lookup", "math", "mlir", "nest",
    "nn", "quantization", "queue", "ragged", "random", "random.experimental", "raw_ops",
    "saved_model", "sets", "signal", "sparse", "strings", "summary", "sysconfig", "test",
    "tpu", "train", "types", "version", "xla", "python", "python.eager",
    "python.eager.backprop",
)


class Namespace(types.ModuleType):
    """A TF namespace; unknown attributes name themselves in the error."""

    def __init__(self, name: str, tf_path: str):
        super().__init__(name)
        self._tf_path = tf_path
        self.__path__ = []  # a package, so `import tensorflow.python.eager.backprop` can descend

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotImplementedInJaxtape(f"jaxtape does not implement {self._tf_path}.{attr}")

    def __dir__(self):
        return sorted(k for k in self.__dict__ if not k.startswith("_"))


def build(root: types.ModuleType) -> None:
    """Fills `root` (the jaxtape package) and its sub-namespaces from REGISTRY."""
    spaces = {"": root}

    def space(path: str):
        if path in spaces:
            return spaces[path]
        parent_path, _, leaf = path.rpartition(".")
        parent = space(parent_path)
        existing = getattr(parent, leaf, None) if leaf in parent.__dict__ else None
        if isinstance(existing, types.ModuleType):
            spaces[path] = existing
            return existing
        module = Namespace(f"{root.__name__}.{path}", f"tf.{path}")
        setattr(parent, leaf, module)
        sys.modules[module.__name__] = module
        spaces[path] = module
        return module

    for path in KNOWN_NAMESPACES:
        space(path)
    for name, obj in REGISTRY.items():
        path, _, leaf = name.rpartition(".")
        setattr(space(path), leaf, obj)
