"""What every bridged entry point shares: unwrapping jaxtape values for Keras,
TF's float32 defaults despite jaxtape's x64 mode, the bridge's nesting depth,
and TF's `init_scope` for building Keras objects inside a `tf.function` trace."""
from __future__ import annotations

import contextlib
import threading

import jax

from jaxtape._src.compile import capture
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape import stack


def unwrap(x):
    """A jaxtape tensor or variable as the array Keras computes with (JAX no
    longer calls `__jax_array__` while tracing); anything else unchanged."""
    if type(x) is Tensor:
        return x._value
    if hasattr(x, "_read_for_op") and not hasattr(x, "_keras_variable"):
        return x._read_for_op()._value  # a tf.Variable: its read is watched as in TF
    return x


def unwrap_tree(tree):
    return jax.tree_util.tree_map(unwrap, tree)


def values_of(variables) -> list:
    """The variables' arrays, outside any StatelessScope (where `.value`'s
    scope and autocast checks find nothing): a step reads some 30 of them."""
    return [v.value if v._value is None else v._value for v in variables]


def write_back(variables, values) -> None:
    """Stores values that Keras's own stateless code computed for `variables`.

    They come out of Keras's `assign` inside a StatelessScope, so their dtype
    and shape are the variable's already; `_direct_assign` is the store
    `assign` ends in (inside `tf.function` the capture sees it the same way),
    without re-converting and re-checking each value (~17 Python calls per
    variable, some 30 variables a train step).
    """
    for v, value in zip(variables, values):
        v._direct_assign(value)


def float32_defaults():
    """Context: Python numbers and lists become float32/int32 inside Keras, as
    under TF. jaxtape turns on JAX's x64 mode, which would make
    `keras.Variable([1.0])` float64; jaxtape's own float64 tensors stay
    float64 in jaxtape ops outside."""
    return jax.enable_x64(False)


class _Depth(threading.local):
    value = 0


_depth = _Depth()


def bridged() -> bool:
    """Whether Keras code is already running inside a bridged call (then a
    nested layer call is plain Keras inside the outer one's trace)."""
    return _depth.value > 0


@contextlib.contextmanager
def inside():
    _depth.value += 1
    try:
        yield
    finally:
        _depth.value -= 1


@contextlib.contextmanager
def lifted():
    """TF's `init_scope`: a layer or optimizer built while `tf.function` traces
    creates its variables with concrete values, outside the traced program,
    unseen by tapes (its later reads inside the trace are captured as usual)."""
    tracing, local.tracing = local.tracing, 0
    try:
        with stack.hidden(), capture.tracing_scope(None), jax.ensure_compile_time_eval():
            yield
    finally:
        local.tracing = tracing
