"""Module objects for `tf`, `tf.math`, `tf.nn`, ... built from the registry.

Each namespace is a fresh module holding exactly the names registered under
it (and its sub-namespaces), and is put in `sys.modules` (`jaxtape.math`) so
`from tensorflow.math import sin` works wherever `tensorflow` is jaxtape (the
runner, or `sys.modules["tensorflow"] = jaxtape`; see `alias.py`). Any other name, in
any namespace, raises `NotImplementedInJaxtape` naming it in TF's terms.
"""
from __future__ import annotations

import functools
import sys
import types

from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import REGISTRY

# TensorFlow's public namespaces. Those jaxtape registers nothing in still
# exist (empty), so a missing name is reported in full, `tf.lite.Interpreter`
# rather than `tf.lite`, and `import tensorflow.lite` works under the runner.
# `tf.keras` is Keras itself, bridged lazily (jaxtape._src.keras).
TF_NAMESPACES = (
    "audio", "autodiff", "autograph", "bitwise", "compat", "compat.v1", "compat.v2", "config",
    "data", "data.experimental", "debugging", "distribute", "dtypes", "errors", "experimental",
    "feature_column", "graph_util", "image", "io", "linalg", "lite", "lookup", "math",
    "mlir", "nest", "nn", "quantization", "queue", "ragged", "random", "random.experimental",
    "raw_ops", "saved_model", "sets", "signal", "sparse", "strings", "summary", "sysconfig",
    "test", "tpu", "train", "types", "version", "xla",
)


def missing(tf_path: str, name: str):
    """What looking up a name jaxtape lacks raises (dunders stay plain AttributeErrors)."""
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedInJaxtape(f"jaxtape does not implement {tf_path}.{name}")


def missing_name(tf_path: str):
    """A module `__getattr__` that names the missing TF symbol."""
    return functools.partial(missing, tf_path)


class Namespace(types.ModuleType):
    """A TF namespace such as `tf.math`."""

    def __init__(self, name: str, tf_path: str):
        super().__init__(name)
        self._tf_path = tf_path
        self.__path__ = []  # a package, so `import tensorflow.python.eager.backprop` can descend

    def __getattr__(self, attr):
        missing(self._tf_path, attr)

    def __dir__(self):
        return public_names(self)


def public_names(module: types.ModuleType) -> list[str]:
    return sorted(k for k in vars(module) if not k.startswith("_"))


def build(root: types.ModuleType) -> None:
    """Fills `root` (the jaxtape package) and fresh sub-namespaces from REGISTRY."""
    spaces = {"": root}

    def space(path: str):
        if path in spaces:
            return spaces[path]
        parent_path, _, leaf = path.rpartition(".")
        parent = space(parent_path)
        if leaf in vars(parent):
            raise RuntimeError(f"tf.{path} is both a name and a namespace")
        module = Namespace(f"{root.__name__}.{path}", f"tf.{path}")
        setattr(parent, leaf, module)
        sys.modules[module.__name__] = module
        spaces[path] = module
        return module

    for path in TF_NAMESPACES:
        space(path)
    for name, obj in REGISTRY.items():
        path, _, leaf = name.rpartition(".")
        namespace = space(path)
        if isinstance(vars(namespace).get(leaf), Namespace):
            raise RuntimeError(f"tf.{name} is both a name and a namespace")
        setattr(namespace, leaf, obj)
