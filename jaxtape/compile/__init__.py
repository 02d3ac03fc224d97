"""Compilation: `tf.function` (traced with JAX, compiled whole with XLA)."""
from jaxtape.compile.errors import OperatorNotAllowedInGraphError  # noqa: F401
from jaxtape.compile.function import ConcreteFunction, Function, function  # noqa: F401
from jaxtape.compile.signature import TensorSpec  # noqa: F401
