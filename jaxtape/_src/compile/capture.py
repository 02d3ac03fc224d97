"""What a trace does to variables: reads become inputs, writes become outputs.

While `tf.function` traces a body, a data descriptor replaces `_value` on the
`Variable` class, so every read and write of any variable's value (through
`read_value`, `assign_sub`, or code touching `_value` directly) goes through
the active `Scope` of this thread instead of the variable:

* the first read of a variable returns a fresh *copy* of its array; the copy
  ends up among the traced program's constants, where its identity tells
  which variable it stands for, so the compiled program can take the
  variable's current value as an input instead (see `function.py`). A copy,
  not the array itself, because two variables (or a variable and a constant)
  may share one array object;
* a write stores the traced value in the scope (`shadow`), never in the
  variable; the compiled call writes the results back afterwards;
* a variable whose first write is its creation is recorded in `created`.

Outside a trace (or in another thread) the descriptor reads and writes the
instance dictionary, so eager code is unaffected; it is installed only while
some thread traces.
"""
from __future__ import annotations

import threading

import jax
import jax.numpy as jnp

from jaxtape._src.framework.variables import Variable, settle

_MISSING = object()
_CREATE_ERROR = (
    "tf.function only supports singleton tf.Variables created on the first call. Make sure "
    "the tf.Variable is only created once or created outside tf.function. See "
    "https://www.tensorflow.org/guide/function#creating_tfvariables for more information.")


class _Local(threading.local):
    def __init__(self):
        self.scope = None


_local = _Local()
_install_lock = threading.Lock()
_installed = 0
# Classes whose instances keep their array in `_value` as a Variable does
# (Keras's variables, registered by the tf.keras bridge): traced alike.
VARIABLE_CLASSES = [Variable]


def register_variable_class(cls) -> None:
    """Routes `cls`'s `_value` through the trace as a `Variable`'s (see above)."""
    with _install_lock:
        if cls not in VARIABLE_CLASSES:
            VARIABLE_CLASSES.append(cls)
            if _installed:  # registered while some thread traces
                cls._value = _ValueSlot()


class Scope:
    """The variables one trace touched and the traced value each holds now."""

    def __init__(self, allow_create: bool):
        self.allow_create = allow_create
        self.shadow = {}    # id(var) -> current traced value
        self.base = {}      # id(var) -> value at the first touch (copy or initial value)
        self.vars = {}      # id(var) -> var, in first-touch order
        self.copies = {}    # id(copy) -> var
        self.written = {}   # id(var) -> var, in first-write order
        self.created = {}   # id(var) -> var created by this trace

    def read(self, var):
        key = id(var)
        value = self.shadow.get(key, _MISSING)
        if value is _MISSING:
            settle(var)  # a pending eager write (tape/deferred.py) lands first
            real = var.__dict__["_value"]
            with jax.ensure_compile_time_eval():
                value = jnp.array(real, copy=True)
            self.shadow[key] = self.base[key] = value
            self.vars[key] = var
            self.copies[id(value)] = var
        return value

    def write(self, var, value):
        key = id(var)
        if key not in self.shadow:
            settle(var)
            if "_value" in var.__dict__:
                self.read(var)  # the value before the write is this trace's input
            else:
                if not self.allow_create:
                    raise ValueError(_CREATE_ERROR)
                self.created[key] = var
                self.base[key] = value
        self.shadow[key] = value
        self.vars[key] = var
        self.written[key] = var


class _ValueSlot:
    """The `_value` descriptor: routes variable reads and writes to the scope."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        scope = _local.scope
        if scope is None:
            settle(obj)
            return obj.__dict__["_value"]
        return scope.read(obj)

    def __set__(self, obj, value):
        scope = _local.scope
        if scope is None:
            obj.__dict__["_value"] = value
        else:
            scope.write(obj, value)


def active_scope():
    return _local.scope


class tracing_scope:
    """Context manager: variables in this thread go through `scope` inside."""

    def __init__(self, scope):
        self.scope = scope

    def __enter__(self):
        global _installed
        with _install_lock:
            if _installed == 0:
                for cls in VARIABLE_CLASSES:
                    cls._value = _ValueSlot()
            _installed += 1
        self.outer = _local.scope
        _local.scope = self.scope
        return self.scope

    def __exit__(self, *exc):
        global _installed
        _local.scope = self.outer
        with _install_lock:
            _installed -= 1
            if _installed == 0:
                for cls in VARIABLE_CLASSES:
                    del cls._value
