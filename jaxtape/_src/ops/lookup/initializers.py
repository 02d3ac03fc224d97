"""`tf.lookup.KeyValueTensorInitializer`, `TextFileInitializer` and `TextFileIndex`:
what a table is filled with, read once as host arrays."""
from __future__ import annotations

import os

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, NotFoundError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.strings import StringTensor


def host_values(t) -> np.ndarray:
    return t._value if isinstance(t, StringTensor) else np.asarray(t.numpy())


class TableInitializer:
    """The keys, values and their dtypes a table starts from."""

    key_dtype: dtypes.DType
    value_dtype: dtypes.DType

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


@export("lookup.KeyValueTensorInitializer")
class KeyValueTensorInitializer(TableInitializer):
    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        keys = convert_to_tensor(keys, key_dtype)
        values = convert_to_tensor(values, value_dtype)
        self.key_dtype, self.value_dtype = keys.dtype, values.dtype
        self._keys, self._values = host_values(keys).reshape(-1), host_values(values).reshape(-1)
        if len(self._keys) != len(self._values):
            raise InvalidArgumentError(None, None, "Expected shape "
                                       f"[{len(self._keys)}] for value, got [{len(self._values)}]")

    def entries(self):
        return self._keys, self._values


@export("lookup.TextFileIndex")
class TextFileIndex:
    WHOLE_LINE = -2
    LINE_NUMBER = -1


@export("lookup.TextFileInitializer")
class TextFileInitializer(TableInitializer):
    """Keys and values from the lines of a text file: the whole line, its number, or a
    field split at `delimiter`."""

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index, vocab_size=None,
                 delimiter="\t", name=None, value_index_offset=0):
        self._path = os.fsdecode(host_values(convert_to_tensor(filename)).reshape(-1)[0]) \
            if not isinstance(filename, (str, bytes, os.PathLike)) else os.fsdecode(filename)
        self.key_dtype, self.value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        self._key_index, self._value_index = int(key_index), int(value_index)
        self._vocab_size, self._delimiter = vocab_size, delimiter
        self._offset = int(value_index_offset)

    def _column(self, index: int, line: bytes, number: int, dtype):
        if index == TextFileIndex.LINE_NUMBER:
            return number + self._offset
        text = line if index == TextFileIndex.WHOLE_LINE else \
            line.split(self._delimiter.encode())[index]
        return text if dtype == dtypes.string else (
            float(text) if dtype.is_floating else int(text))

    def entries(self):
        try:
            with open(self._path, "rb") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{self._path}; No such file or directory") from None
        if self._vocab_size is not None:
            lines = lines[:int(self._vocab_size)]
        keys = [self._column(self._key_index, l, i, self.key_dtype) for i, l in enumerate(lines)]
        values = [self._column(self._value_index, l, i, self.value_dtype)
                  for i, l in enumerate(lines)]
        return _array(keys, self.key_dtype), _array(values, self.value_dtype)


def _array(items, dtype) -> np.ndarray:
    if dtype == dtypes.string:
        out = np.empty(len(items), object)
        out[:] = items
        return out
    return np.array(items, dtype.as_numpy_dtype)
