"""Keras variables as jaxtape variables to the tape.

A jaxtape `Variable` talks to the tape through `_id` (the id every read
shares), `_unique_id` (creation order, for `watched_variables`) and
`_read_for_op` (a read that watches the variable on tapes that watch
accessed variables). Keras variables get the same three, set on Keras's
variable class, so `tape.gradient(loss, model.trainable_variables)`,
`tape.watch(keras_var)` and `tf.*` ops on Keras variables work unchanged,
and `tf.function` captures them as it captures its own variables.
"""
from __future__ import annotations

import functools

from jaxtape._src.compile import capture
from jaxtape._src.framework import variables as jaxtape_variables
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, _next_id
from jaxtape._src.keras.common import bridged, float32_defaults, unwrap

from keras.src.backend.common.stateless_scope import in_stateless_scope


def _identity(var):
    """(id, unique id), made on first use (variables may predate the bridge)."""
    ids = var.__dict__.get("_jaxtape_ids")
    if ids is None:
        ids = var.__dict__["_jaxtape_ids"] = (_next_id(), next(jaxtape_variables._unique))
    return ids


def _read_for_op(self) -> Tensor:
    """The current value (inside a StatelessScope: the scope's) under the variable's id."""
    if self.trainable:
        for tape in local.tapes:
            if tape.watch_accessed_variables:
                tape.watch_variable(self)
    return Tensor(self.value, _identity(self)[0])


def install(keras_variable_class) -> None:
    cls = keras_variable_class
    cls._keras_variable = True
    cls._id = property(lambda self: _identity(self)[0])
    cls._unique_id = property(lambda self: _identity(self)[1])
    cls._read_for_op = _read_for_op
    # Inside tf.function a read is an input of the compiled program and a write
    # an output (Keras keeps a variable's array in `_value`, as jaxtape does).
    capture.register_variable_class(cls)

    # Initial values and `assign(tensor)`: Keras converts them with JAX, which
    # cannot see inside a jaxtape tensor, and under x64 a Python value would
    # become float64/int64 where TF makes float32/int32. A requested dtype
    # (the optimizer's int64 iteration count) is kept.
    convert = cls._convert_to_tensor

    @functools.wraps(convert)
    def _convert_to_tensor(self, value, dtype=None):
        value = unwrap(value)
        if dtype is None and not hasattr(value, "dtype"):
            with float32_defaults():
                return convert(self, value, dtype=dtype)
        return convert(self, value, dtype=dtype)

    cls._convert_to_tensor = _convert_to_tensor
    install_operators(cls)


# A Keras variable's operators in user code are recorded jaxtape ops (as a
# tf.Variable's); inside Keras's own code (a bridged call, an optimizer's
# update, a StatelessScope) they stay Keras's. Comparisons for equality stay
# Keras's: Keras's own bookkeeping compares variables.
OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
             "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
             "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
             "__pos__", "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__",
             "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__invert__")


def _operator(name, keras_op):
    @functools.wraps(keras_op)
    def operator(self, *args):
        if bridged() or in_stateless_scope():
            return keras_op(self, *args)
        return getattr(self._read_for_op(), name)(*args)
    return operator


def install_operators(cls) -> None:
    for name in OPERATORS:
        keras_op = getattr(cls, name, None)
        if keras_op is not None and hasattr(Tensor, name):
            setattr(cls, name, _operator(name, keras_op))
