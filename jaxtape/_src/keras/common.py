"""What every bridged entry point shares: unwrapping jaxtape values for Keras,
TF's float32 defaults despite jaxtape's x64 mode, the bridge's nesting depth,
and TF's `init_scope` for building Keras objects inside a `tf.function` trace."""
from __future__ import annotations

import contextlib
import re
import threading
import types

import jax
import numpy as np

from jaxtape._src.compile.init_scope import lifted  # noqa: F401 - the bridge's name for it
from jaxtape._src.framework import kernel_cache
from jaxtape._src.framework.tensor import Tensor


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


def output_array(x):
    """What Keras's traced code returns, as arrays: a tensor's array (a user's
    `tf.*` ops inside Keras's step), a Keras variable's value (a metric's
    `result()` returning its variable, as Keras's guide writes it)."""
    if getattr(x, "_keras_variable", False):
        return x.value
    return unwrap(x)


def output_tree(tree):
    return jax.tree_util.tree_map(output_array, tree)


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


# -- Keras objects in jaxtape's kernel cache --------------------------------------

class _Opaque(Exception):
    """A value that does not identify itself across processes."""


_own_classes: dict = {}


def _keras_own(cls) -> bool:
    """Whether `cls` and every class it inherits from are Keras's own, with
    no method replaced by code from elsewhere (jaxtape's bridges are in the
    kernel cache's key through jaxtape's source): a user's subclass or
    patched method may compute anything."""
    own = _own_classes.get(cls)
    if own is None:
        own = all(c is object or (c.__module__.startswith("keras.") and all(
            _own_code(f) for f in vars(c).values())) for c in cls.__mro__)
        _own_classes[cls] = own
    return own


def _own_code(attr) -> bool:
    if isinstance(attr, property):
        return all(f is None or _own_code(f) for f in (attr.fget, attr.fset))
    if isinstance(attr, (classmethod, staticmethod)):
        attr = attr.__func__
    return not isinstance(attr, types.FunctionType) or \
        attr.__module__.startswith(("keras.", "jaxtape."))


def _plain(v, depth):
    """`v` as plain values, equal across processes exactly when `v` is the same
    setting; raises `_Opaque`."""
    if depth > 12:
        raise _Opaque
    t = type(v)
    if v is None or t in (bool, int, str):
        return v
    if t is float:
        return ("f", repr(v))
    keras_own = t.__module__.startswith("keras.")  # Keras's tracked lists and dicts
    if t in (list, tuple) or (keras_own and isinstance(v, (list, tuple))):
        return (t.__name__, *[_plain(x, depth + 1) for x in v])
    if t is dict or (keras_own and isinstance(v, dict)):
        return ("dict", *sorted(((_plain(k, depth + 1), _plain(x, depth + 1)) for k, x in v.items()),
                                key=repr))
    if isinstance(v, np.generic) or (t is np.ndarray and v.size <= 64):
        return ("array", v.dtype.name, v.shape, v.tobytes())
    if isinstance(v, re.Pattern):
        return ("re", v.pattern, v.flags)
    if isinstance(v, _variable_class()):
        return ("variable", v.path, tuple(v.shape), str(v.dtype), v.trainable,
                v.overwrite_with_gradient, str(v.aggregation), str(v.synchronization),
                _plain(v.constraint, depth + 1))  # the optimizer applies the constraint
    if t is types.FunctionType:
        module, name = v.__module__ or "", v.__qualname__
        if module.startswith("keras.") and v.__closure__ is None and "<" not in name:
            return ("function", module, name)
        raise _Opaque
    if _keras_own(t):  # a Keras schedule, constraint, dtype policy: by its own state
        return ("object", t.__module__, t.__qualname__, _state(v, (), depth + 1))
    raise _Opaque


def _variable_class():
    from keras.src.backend import Variable  # noqa: PLC0415 - Keras is imported by the caller
    return Variable


# Settings Keras's code reads at trace time besides an object's own state.
def _settings():
    import keras  # noqa: PLC0415
    config = keras.config
    return (keras.__version__, config.floatx(), config.epsilon(), config.image_data_format(),
            config.backend(), str(config.dtype_policy()))


def _state(obj, skip, depth):
    return tuple((k, _plain(v, depth)) for k, v in sorted(vars(obj).items())
                 if k not in skip and k != "_tracker")


def identity(obj, skip=()):
    """What Keras's code for `obj` (an optimizer, a metric) computes with,
    as plain values: Keras's version and settings, its class and every
    attribute it holds (variables by path, shape, dtype and flags), but not
    `skip`; None when it is not all Keras's own (a subclass, a user's
    schedule or constraint): such code cannot be keyed by what it holds."""
    cls = type(obj)
    if not _keras_own(cls):
        return None
    try:
        return ("keras", _settings(), cls.__module__, cls.__qualname__, _state(obj, skip, 0))
    except _Opaque:
        return None
    except Exception:  # noqa: BLE001 - an odd attribute: not cached
        return None


def cached_jit(fn, ident, name):
    """`jax.jit(fn)` (positional array arguments only) whose compiled code
    is looked up in jaxtape's kernel cache under `ident` (see `identity`)
    before it traces, so a fresh process's first call skips Keras's trace,
    the lowering and JAX's cache fetch; plain `jax.jit` when `ident` is None
    or the cache is off. A miss that JAX's cache answers (the same program
    from a process before an edit of jaxtape: its code cannot be stored) is
    compiled afresh in the background under a name of its own and stored."""
    fn.__name__ = name
    jitted = jax.jit(fn)
    tag = kernel_cache.tag(("keras", ident)) if ident is not None else ""
    if not tag:
        return jitted

    def fresh(*arrays):
        return fn(*arrays)

    fresh.__name__ = f"{name}_{tag}"
    slot = {}
    kernel = slot["k"] = kernel_cache.Kernel(jitted, None, slot, "k")
    kernel.ident = ("keras", ident)  # instead of `kernel_cache.identity(fn)`
    kernel.fresh = jax.jit(fresh)

    def call(*arrays):
        return slot["k"](*arrays)  # the plain jit once the kernel hands it back
    return call
