"""TensorFlow-style dtype objects over NumPy dtypes.

A `DType` compares equal to the NumPy dtype, the NumPy type and the name it
stands for, so ported code that writes `x.dtype == tf.float32`,
`x.dtype == np.float32` or `dtype="float32"` all work.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np


class DType:
    """One TensorFlow dtype (`tf.float32`, `tf.int64`, ...)."""

    __slots__ = ("name", "as_numpy_dtype", "_np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self._np = np.dtype(np_dtype)
        self.as_numpy_dtype = self._np.type

    # Kinds, as TensorFlow classifies them.
    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f" or self.name == "bfloat16"

    @property
    def is_complex(self) -> bool:
        return self._np.kind == "c"

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def is_numeric(self) -> bool:
        return not self.is_bool and self._np.kind != "O"

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def is_trainable(self) -> bool:
        """Whether a tape records ops on tensors of this dtype (float or complex)."""
        return self.is_floating or self.is_complex

    @property
    def base_dtype(self) -> "DType":
        return self

    @property
    def real_dtype(self) -> "DType":
        if self.name == "complex64":
            return float32
        if self.name == "complex128":
            return float64
        return self

    @property
    def size(self) -> int:
        return 0 if self._np.kind == "O" else self._np.itemsize  # tf.string: no fixed size

    @property
    def itemsize(self) -> int:
        return self._np.itemsize

    @property
    def min(self):
        if self.is_floating:
            return ml_dtypes.finfo(self._np).min if self.name == "bfloat16" else np.finfo(self._np).min
        if self.is_integer:
            return np.iinfo(self._np).min
        raise TypeError(f"Cannot find minimum value of {self} with type {self}.")

    @property
    def max(self):
        if self.is_floating:
            return ml_dtypes.finfo(self._np).max if self.name == "bfloat16" else np.finfo(self._np).max
        if self.is_integer:
            return np.iinfo(self._np).max
        raise TypeError(f"Cannot find maximum value of {self} with type {self}.")

    @property
    def limits(self):
        return (self.min, self.max)

    def is_compatible_with(self, other) -> bool:
        return self == other

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: {self.name!r}>"

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16)
half = float16
bfloat16 = DType("bfloat16", ml_dtypes.bfloat16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
double = float64
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
bool = DType("bool", np.bool_)  # noqa: A001 - TensorFlow's public name

ALL = (float16, bfloat16, float32, float64, complex64, complex128, int8, int16,
       int32, int64, uint8, uint16, uint32, uint64, bool)

# tf.string: bytes held in NumPy object arrays on the host (framework/strings.py);
# not in ALL, which lists the dtypes a JAX array can have.
string = DType("string", object)
string.as_numpy_dtype = object

_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, double=float64, string=string)
_BY_NP = {d._np: d for d in ALL}
_BY_NP[string._np] = string


class _UnsupportedDType(TypeError):
    pass


def _not_a_dtype(value) -> TypeError:
    return TypeError(f"Cannot convert the argument `type_value`: {value!r} to a TensorFlow DType.")


def as_dtype(value) -> DType:
    """Converts a DType, NumPy dtype or type, or dtype name to a `DType`."""
    if isinstance(value, DType):
        return value
    if value is None:  # NumPy would take None for float64
        raise _not_a_dtype(value)
    if isinstance(value, str):
        found = _BY_NAME.get(value)
        if found is not None:
            return found
        raise _not_a_dtype(value)
    try:
        np_dtype = np.dtype(value)
    except Exception:
        raise _not_a_dtype(value) from None
    found = _BY_NP.get(np_dtype)
    if found is None:
        raise _not_a_dtype(value)
    return found


def from_numpy(np_dtype) -> DType:
    """Fast path for dtypes of arrays jaxtape made itself."""
    found = _BY_NP.get(np_dtype)
    return found if found is not None else as_dtype(np_dtype)
