"""`tf.string` tensors: bytes in a NumPy object array, on the host.

JAX arrays cannot hold strings, so a string tensor is a `StringTensor`, a
`Tensor` subclass whose `_value` is a read-only NumPy object array of `bytes`
(TF stores bytes: `"é"` becomes `b'\\xc3\\xa9'`). Being a subclass keeps the
numeric path untouched: the primitive mechanism unwraps only exact `Tensor`s
and tapes record only those, so a string never reaches a tape (its gradient
is None, as in TF) and an op without a string kernel fails inside JAX, where
the ops that TF defines for strings catch it (`ops/strings/`).
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape

_TEXT = (str, bytes, np.str_, np.bytes_)


def _to_bytes(v):
    if isinstance(v, (str, np.str_)):
        return str(v).encode("utf-8")
    return bytes(v)


def is_text(value) -> bool:
    """A Python/NumPy str or bytes scalar."""
    return isinstance(value, _TEXT)


def bytes_array(value) -> np.ndarray:
    """`value` (str/bytes, nested lists of them, a NumPy U/S/O array) as an object
    array of bytes, with TF's errors for what is not rectangular or not text."""
    if type(value) is bytes:  # one record or line, the common case in input pipelines
        out = np.empty((), dtype=object)
        out[()] = value
        out.flags.writeable = False
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "US":
        flat = [_to_bytes(v) for v in value.reshape(-1).tolist()]
    else:
        if isinstance(value, np.ndarray):
            arr = value
        else:
            try:
                arr = np.array(value, dtype=object)
            except ValueError:
                raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from None
            if _ragged(value):
                raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
        flat = arr.reshape(-1).tolist()
        for v in flat:
            if not isinstance(v, _TEXT):
                if isinstance(value, np.ndarray):
                    raise ValueError("Failed to convert a NumPy array to a Tensor "
                                     f"(Unsupported object type {type(v).__name__}).")
                raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
        flat = [_to_bytes(v) for v in flat]
        value = arr
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    out = out.reshape(np.shape(value))
    out.flags.writeable = False
    return out


def _ragged(value) -> bool:
    """Nested lists whose lengths differ (NumPy would make an array of lists)."""
    if not isinstance(value, (list, tuple)):
        return False
    kinds = {isinstance(v, (list, tuple)) for v in value}
    if len(kinds) > 1:
        return True
    if kinds == {True}:
        if len({len(v) for v in value}) > 1:
            return True
        return any(_ragged(v) for v in value)
    return False


def string_tensor(value, dtype=None) -> "StringTensor":
    """`tf.constant(value)` for text; a numeric `dtype` is TF's TypeError."""
    if dtype is not None and dtype is not dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {kernel_dtype_name(dtype)}")
    return StringTensor(bytes_array(value))


def wrap(array):
    """A host or device array as the Tensor user code sees (object arrays are strings)."""
    if isinstance(array, np.ndarray) and array.dtype == object:
        return StringTensor(array)
    return Tensor(array)


class StringTensor(Tensor):
    """A `tf.string` tensor (see the module docstring)."""

    __slots__ = ()

    @property
    def dtype(self):
        return dtypes.string

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def numpy(self):
        a = self._value.copy()
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype=None, copy=None):
        return self._value.copy() if dtype is None else self._value.astype(dtype)

    def __jax_array__(self):
        raise TypeError(not_traceable("this op"))

    def __deepcopy__(self, memo):
        return StringTensor(self._value)

    def __reduce__(self):
        return StringTensor, (self._value,)


def not_traceable(what: str) -> str:
    return (f"jaxtape does not implement string tensors in {what}: strings live on the host "
            "and cannot be traced into an XLA program (a string that is a Python constant "
            "inside tf.function works; pass strings to a tf.function as Python values)")
