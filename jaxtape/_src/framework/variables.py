"""`tf.Variable`: mutable state whose reads a tape can follow.

A variable has a fixed `_id`; every read returns a fresh `Tensor` holding the
value of that moment under the same id. A tape therefore sums the gradients
of all reads into the variable, while each read keeps its own value, so
reading, assigning and reading again inside one tape differentiates both
reads at the values they had. Assignment replaces the array and is never
recorded, which is what makes it break the gradient chain, as in TF.
"""
from __future__ import annotations

import contextlib
import enum
import itertools
import operator
import threading

import numpy as np

from jaxtape._src.framework import dtypes, kernel_cache
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import invalid_argument
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.name_scope import variable_name
from jaxtape._src.framework.messages import dims
from jaxtape._src.framework.tensor import Tensor, _next_id, numpy_text, _Reference
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.framework.state import local


class VariableSynchronization(enum.Enum):
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


_unique = itertools.count()
# While a tf.distribute strategy's scope is active, its layout for new variables'
# arrays (replicated on its devices: TF's mirrored variables); innermost last.
creation_layouts: list = []
# ... and the class `tf.Variable(...)` makes there (TF's MirroredVariable).
creation_classes: list = []
# Jitted updates take JAX's C++ dispatch path, a few µs cheaper than `+`/`-`.
_add = kernel_cache.jit(operator.add)  # read from the kernel cache in a fresh process
_sub = kernel_cache.jit(operator.sub)


# `deferred.defer_write(var, tensor, kind)`: records a write of a pending value
# (True) or declines (False); set by jaxtape._src.tape.deferred.
write_hook = None


def settle(var) -> None:
    """Runs `var`'s pending write (an update deferred with the fused gradient
    it depends on, see tape/deferred.py), if it has one: for code reading its
    instance dictionary directly (the tf.function trace's variable capture)."""
    d = var.__dict__
    w = d.get("_write")
    if w is not None and "_value" not in d:
        w[1].flush()


# `tf.variable_creator_scope` creators, outermost first (per thread, as TF's stack).
class _Creators(threading.local):
    def __init__(self):
        self.stack = []


_creators = _Creators()

# The keyword arguments TF's `tf.Variable(...)` hands the creators, in its order.
_CREATOR_KWARGS = ("initial_value", "trainable", "validate_shape", "caching_device", "name",
                   "variable_def", "dtype", "import_scope", "constraint", "synchronization",
                   "aggregation", "shape", "experimental_enable_variable_lifting")


class _VariableMeta(type):
    """`tf.Variable(...)` goes through the active variable creators, as TF's
    metaclass does: the innermost creator is called first with `next_creator`
    and every argument as a keyword; the last `next_creator` makes the variable."""

    def __call__(cls, *args, **kwargs):
        stack = _creators.stack
        if not stack or cls is not Variable:
            return super().__call__(*args, **kwargs)
        kwargs = _creator_kwargs(args, kwargs)

        def default(**kws):  # TF's default creator ignores keywords it does not know
            return type.__call__(Variable, **{k: v for k, v in kws.items() if k in _CREATOR_KWARGS})

        creator = default
        for fn in stack:  # the innermost, entered last, ends up called first
            creator = _chain(fn, creator)
        return creator(**kwargs)


def _chain(fn, next_creator):
    def creator(**kwargs):
        return fn(next_creator, **kwargs)
    return creator


def _creator_kwargs(args, kwargs):
    """`tf.Variable`'s arguments as the keywords TF passes the creators."""
    if len(args) > len(_CREATOR_KWARGS):
        raise TypeError(f"Variable() takes from 1 to {len(_CREATOR_KWARGS)} positional "
                        f"arguments but {len(args)} were given")
    given = dict(zip(_CREATOR_KWARGS, args))
    for k in kwargs:
        if k in given:
            raise TypeError(f"Variable() got multiple values for argument '{k}'")
    given.update(kwargs)
    out = {"initial_value": None, "trainable": None, "validate_shape": True,
           "caching_device": None, "name": None, "variable_def": None, "dtype": None,
           "import_scope": None, "constraint": None,
           "synchronization": VariableSynchronization.AUTO,
           "aggregation": VariableAggregation.NONE, "shape": None,
           "experimental_enable_variable_lifting": None}
    out.update(given)
    if out["aggregation"] is None:
        out["aggregation"] = VariableAggregation.NONE
    return out


@export("variable_creator_scope")
@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Within it, `tf.Variable(...)` calls `variable_creator(next_creator, **kwargs)`
    (TF 2's semantics: nested scopes chain, the innermost runs first)."""
    stack = _creators.stack
    stack.append(variable_creator)
    try:
        yield
    finally:
        stack.pop()


class Variable(metaclass=_VariableMeta):
    """A mutable tensor; trainable reads inside a tape are watched.

    A write of a pending value (`v.assign_sub(lr * g)` after a fused
    gradient) may be deferred: `_value` then leaves the instance dictionary
    and `_write` holds `(aval, tail, position)`; the first read of `_value`
    misses and `__getattr__` runs the tail, so every reader works unchanged.
    """

    __array_priority__ = 100
    _write = None  # a pending write's `(aval, tail, position)`

    def __new__(cls, *args, **kwargs):
        if creation_classes and cls is Variable:
            cls = creation_classes[-1]
        return object.__new__(cls)

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None,
                 synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE, shape=None,
                 experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The `initial_value` arg to `tf.Variable` must be specified except when "
                             "you are not providing a `variable_def`. You provided neither.")
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(initial_value, Variable):
            initial_value = initial_value.read_value()
        try:
            value = convert_to_tensor(initial_value, dtype=dtype)
        except ValueError as e:
            if isinstance(initial_value, Tensor):  # a tensor is never cast silently, as in TF
                raise ValueError(f"initial_value: {e}") from None
            raise
        if synchronization == VariableSynchronization.ON_READ and trainable:
            raise ValueError("Synchronization value can be set to VariableSynchronization.ON_READ "
                             "only for non-trainable variables.")
        if trainable is None:
            trainable = synchronization != VariableSynchronization.ON_READ
        self._value = value._value if not creation_layouts else creation_layouts[-1](value._value)
        self._id = _next_id()
        self._trainable = bool(trainable)
        self._shape = TensorShape(self._value.shape)
        if shape is not None:
            shape = TensorShape(shape)
            if not shape.is_compatible_with(self._shape):
                raise ValueError(
                    f"In this `tf.Variable` creation, the initial value's shape ({self._shape}) is "
                    f"not compatible with the explicitly supplied `shape` argument ({shape}).")
            self._shape = shape
        self._name = variable_name(name) + ":0"
        self._constraint = constraint
        self._synchronization = synchronization
        self._aggregation = aggregation
        self._unique_id = next(_unique)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: `_value` during a pending write.
        if name == "_value":
            settle(self)
            try:
                return self.__dict__["_value"]
            except KeyError:
                pass
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'",
                             name=name, obj=self)

    # -- reads ----------------------------------------------------------
    def _read_for_op(self) -> Tensor:
        """The current value as a tensor sharing the variable's id while a tape or
        accumulator is active. Outside them a read is a tensor of its own, as TF's
        ReadVariableOp output is: a tape that starts later and watches the variable
        does not connect that read to it (its gradient is None)."""
        st = local
        tapes = st.tapes
        if tapes:
            if self._trainable:
                for tape in tapes:
                    if tape.watch_accessed_variables:
                        tape.watch_variable(self)
            return Tensor(self._value, self._id)
        if st.accumulators:
            return Tensor(self._value, self._id)
        return Tensor(self._value)

    def read_value(self) -> Tensor:
        return self._read_for_op()

    def value(self) -> Tensor:
        return self._read_for_op()

    def numpy(self):
        return self._read_for_op().numpy()

    def jax(self):
        return self._value

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._value)
        return a if dtype is None else a.astype(dtype)

    def __jax_array__(self):
        return self._value

    # -- writes ---------------------------------------------------------
    def _new_value(self, value, op):
        return self._checked(value, op)._value

    def _checked(self, value, op):
        """`value` as a tensor of this variable's dtype and shape, or TF's error
        (`_meta`: a pending value stays pending)."""
        tensor = convert_to_tensor(value, dtype=self.dtype)
        if self._shape.is_fully_defined() and tuple(tensor._meta.shape) != tuple(self._shape):
            if op == "assign":
                raise ValueError(
                    f"Cannot assign value to variable ' {self._name}': Shape mismatch."
                    f"The variable shape {self._shape}, and the assigned value shape "
                    f"{tensor.shape} are incompatible.")
            # assign_add/assign_sub fail in the kernel in TF, with its error type and text.
            raise invalid_argument(
                f"Cannot update variable with shape {dims(self._shape)} using a Tensor with "
                f"shape {dims(tensor.shape)}, shapes must be equal.", op)
        return tensor

    def _deferred(self, value, op, kind):
        """Whether the write of pending `value` was deferred (checked first, so
        a bad shape raises here as in TF); a plain Variable's only."""
        if type(self) is not Variable or write_hook is None:
            return False
        return write_hook(self, self._checked(value, op), kind)

    def assign(self, value, use_locking=None, name=None, read_value=True):
        if type(value) is not Tensor or value._pending is None or not self._deferred(
                value, "assign", "assign"):
            self._value = self._new_value(value, "assign")
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        if type(delta) is not Tensor or delta._pending is None or not self._deferred(
                delta, "AssignAddVariableOp", "add"):
            self._value = _add(self._value, self._new_value(delta, "AssignAddVariableOp"))
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        if type(delta) is not Tensor or delta._pending is None or not self._deferred(
                delta, "AssignSubVariableOp", "sub"):
            self._value = _sub(self._value, self._new_value(delta, "AssignSubVariableOp"))
        return self if read_value else None

    # -- metadata -------------------------------------------------------
    @property
    def dtype(self):
        w = self._write
        if w is not None and "_value" not in self.__dict__:  # pending: its aval, nothing runs
            return dtypes.from_numpy(w[0].dtype)
        return dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def device(self):
        return Tensor(self._value).device

    @property
    def handle(self):
        return Tensor(self._value, self._id)

    def ref(self):
        return _Reference(self)

    experimental_ref = ref

    @property
    def initial_value(self):
        raise RuntimeError("This property is not supported when eager execution is enabled.")

    def __hash__(self):
        raise TypeError(f"Variable is unhashable. Instead, use variable.ref() as the key. "
                        f"(Variable: {self!r})")

    def __bool__(self):
        return bool(self._read_for_op())

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __index__(self):
        return self._read_for_op().__index__()

    def __iter__(self):
        return iter(self._read_for_op())

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (
            self._name, self._shape, self.dtype.name, numpy_text(self.numpy(), True))

    __str__ = __repr__

    def __deepcopy__(self, memo):
        return Variable(self._value, trainable=self._trainable, name=self._name[:-2])
