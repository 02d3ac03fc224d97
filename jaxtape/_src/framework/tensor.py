"""`Tensor`: an immutable value wrapping a `jax.Array`, as TF's EagerTensor.

Operators (`+`, `@`, `[]`, ...) are attached by `jaxtape._src.ops.operators` so
that this file knows nothing about ops: every arithmetic goes through the one
recording mechanism in `jaxtape._src.tape.primitive`.
"""
from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import BOOL_MESSAGE, OperatorNotAllowedInGraphError
from jaxtape._src.framework.tensor_shape import TensorShape

_next_id = itertools.count(1).__next__


def numpy_text(array: np.ndarray, is_repr: bool) -> str:
    """How TF shows a tensor's values: NumPy's str/repr, on its own line if long."""
    if is_repr:
        # Scalars show as Python values (`numpy=6.0`), as TF's repr does.
        text = repr(array.item() if isinstance(array, np.generic) else array)
    else:
        text = str(array)
    return "\n" + text if "\n" in text else text


class Tensor:
    """A value the tape can record. `_id` names it on tapes; `_value` holds it.

    Reads of one variable share the variable's id, so their gradients sum
    into the variable's gradient, as a TF resource handle's do.

    A tensor whose op is deferred (`jaxtape._src.tape.deferred`) has no
    `_value` yet: the slot is unset and `_pending` is `(aval, segment,
    position)`. Reading `_value` then misses the slot and `__getattr__`
    runs the pending segment, so every reader works unchanged; metadata
    (`shape`, `dtype`, `ndim`, and `_meta`, which op wrappers read to check
    their arguments) reads the aval without running anything.
    The cost: with `__getattr__` defined, CPython does not specialise
    attribute loads on tensors (~20 ns more per read, about 3% of an
    untaped `x * y`); a pending subclass swapped to `Tensor` when filled
    would avoid it, if the `type(x) is Tensor` fast paths accepted it.
    """

    __slots__ = ("_value", "_id", "_pending", "__weakref__")

    # Make NumPy defer to our reflected operators (`np_array * tensor`).
    __array_priority__ = 100

    def __init__(self, value, _id=None):
        self._value = value
        self._id = _next_id() if _id is None else _id
        self._pending = None

    def __getattr__(self, name):
        # Only reached when normal lookup fails: `_value` of a pending tensor.
        if name == "_value":
            p = self._pending
            while p is not None:
                p[1].flush()
                q = self._pending
                if q is None:
                    return self._value
                if q is p:
                    raise RuntimeError("a deferred op's segment ran without it (a race between threads)")
                p = q  # moved to the tail of its segment's fused gradient meanwhile
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'",
                             name=name, obj=self)

    @property
    def _meta(self):
        """What has `shape` and `dtype` without running anything: the aval of
        the value (pending or not; a jax.Array's own `shape` and `dtype` are
        Python properties over it, ~4x slower to read), or a host value itself."""
        p = self._pending
        if p is not None:
            return p[0]
        v = self._value
        try:
            return v.aval
        except AttributeError:  # a string tensor's NumPy array
            return v

    # -- metadata -------------------------------------------------------
    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(self._meta.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._meta.shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape):
        if not self.shape.is_compatible_with(shape):
            raise ValueError(f"Tensor's shape {self.shape} is not compatible with supplied shape {TensorShape(shape)}.")

    @property
    def ndim(self) -> int:
        return self._meta.ndim

    @property
    def device(self) -> str:
        dev = next(iter(self._value.devices()))
        kind = "GPU" if dev.platform in ("gpu", "cuda", "rocm") else dev.platform.upper()
        return f"/job:localhost/replica:0/task:0/device:{kind}:{dev.id}"

    @property
    def backing_device(self) -> str:
        return self.device

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    @property
    def graph(self):
        raise AttributeError("Tensor.graph is undefined when eager execution is enabled.")

    def numpy(self) -> np.ndarray:
        """A NumPy copy; a NumPy scalar for rank 0, as TF returns."""
        if isinstance(self._value, Tracer):  # inside tf.function: a symbolic tensor has no value
            raise AttributeError("'SymbolicTensor' object has no attribute 'numpy'")
        a = np.asarray(self._value)
        return a[()] if a.ndim == 0 else a

    def _numpy(self):
        return self.numpy()

    def jax(self):
        """The underlying `jax.Array` (jaxtape's own addition)."""
        return self._value

    def experimental_ref(self):
        return self.ref()

    def ref(self):
        return _Reference(self)

    # -- Python protocols ---------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._value)
        return a if dtype is None else a.astype(dtype)

    def __jax_array__(self):
        return self._value

    # The scalar conversions go through NumPy, as TF's do, so that errors and
    # edge cases (an empty tensor is falsy) read the same.
    def __bool__(self):
        if isinstance(self._value, Tracer):  # a traced tensor inside tf.function
            raise OperatorNotAllowedInGraphError(BOOL_MESSAGE)
        a = self.numpy()
        return bool(a.size > 0 and a) if isinstance(a, np.ndarray) else bool(a)

    def __float__(self):
        return float(self._host())

    def __int__(self):
        return int(self._host())

    def __index__(self):
        return self._host().__index__()

    def _host(self):
        """The NumPy value, or the tracer itself so JAX explains why it has none."""
        return self._value if isinstance(self._value, Tracer) else self.numpy()

    def __complex__(self):
        return complex(self._value)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __iter__(self):
        # Not a generator: a scalar must fail at `iter()`, not at the first `next()`.
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(self._value.shape[0]))

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __format__(self, spec):
        # TF formats the NumPy value: f"{t}" is "1.5", not the tensor's str.
        if isinstance(self._value, Tracer):  # inside tf.function: no value yet
            return format(str(self), spec)
        return format(self.numpy(), spec)

    def __str__(self):
        if isinstance(self._value, Tracer):  # inside tf.function
            return 'Tensor("traced:0", shape=%s, dtype=%s)' % (self.shape, self.dtype.name)
        return "tf.Tensor(%s, shape=%s, dtype=%s)" % (
            numpy_text(self.numpy(), False), self.shape, self.dtype.name)

    def __repr__(self):
        if isinstance(self._value, Tracer):  # inside tf.function
            return "<tf.Tensor 'traced:0' shape=%s dtype=%s>" % (self.shape, self.dtype.name)
        return "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>" % (
            self.shape, self.dtype.name, numpy_text(self.numpy(), True))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return Tensor(self._value)

    def __reduce__(self):
        return _rebuild, (self.numpy(),)


def _rebuild(array):
    return Tensor(jnp.asarray(array))


class _Reference:
    """A hashable handle on a tensor or variable (`Tensor.ref()`)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __eq__(self, other):
        return isinstance(other, _Reference) and other._obj is self._obj

    def __hash__(self):
        return id(self._obj)

    def __repr__(self):
        return f"<Reference wrapping {self._obj!r}>"


def is_tensor(x) -> bool:
    """`tf.is_tensor`: true for tensors and for variables, as in TF."""
    return isinstance(x, Tensor) or hasattr(x, "_read_for_op")
