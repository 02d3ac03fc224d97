"""Whether code is running under a trace (tf.function, or a body JAX is tracing)."""
from __future__ import annotations

from jax import tree_util
from jax.core import Tracer

from jaxtape._src.framework.nest import is_leaf
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor


def is_traced(structure) -> bool:
    """True inside tf.function tracing, or when any tensor in `structure` holds a tracer
    (a jitted or vmapped body): Python control flow on its values is not possible there."""
    if local.tracing:
        return True
    return any(isinstance(v, Tensor) and isinstance(v._value, Tracer)
               for v in tree_util.tree_leaves(structure, is_leaf=is_leaf))
