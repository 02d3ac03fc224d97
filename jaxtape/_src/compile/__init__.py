"""Compilation: `tf.function` (traced with JAX, compiled whole with XLA)."""
from jaxtape._src.framework.errors import OperatorNotAllowedInGraphError  # noqa: F401
from jaxtape._src.compile.function import ConcreteFunction, Function, function  # noqa: F401
from jaxtape._src.compile.signature import TensorSpec  # noqa: F401
