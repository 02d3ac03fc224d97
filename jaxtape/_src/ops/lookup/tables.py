"""`tf.lookup.StaticHashTable`, `StaticVocabularyTable` and
`tf.lookup.experimental.MutableHashTable`.

String keys are looked up on the host (strings live there). Numeric keys and
values are searched with JAX in the sorted keys, one recorded op, so a
lookup of an integer tensor works inside `tf.function` and traced maps.
Out-of-vocabulary ids are TF's: the vocabulary size plus the FarmHash
fingerprint of the key (of its decimal text for integers) mod the bucket count.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.lookup.initializers import TableInitializer, host_values
from jaxtape._src.ops.strings.hashing import buckets
from jaxtape._src.tape.primitive import Primitive


def _keys_of(keys, key_dtype):
    if not hasattr(keys, "dtype"):  # TF reads `keys.dtype` before converting
        raise AttributeError(f"'{type(keys).__name__}' object has no attribute 'dtype'")
    keys = keys if isinstance(keys, Tensor) else convert_to_tensor(keys)
    if keys.dtype != key_dtype:
        raise TypeError(f"Dtype of argument `keys` must be {key_dtype}, received: {keys.dtype}")
    return keys


def _as_output(array: np.ndarray, dtype):
    return StringTensor(array) if dtype == dtypes.string else convert_to_tensor(array)


class _Entries:
    """A key -> value mapping, searchable on the host or with JAX."""

    def __init__(self, keys: np.ndarray, values: np.ndarray, key_dtype, value_dtype):
        self.key_dtype, self.value_dtype = key_dtype, value_dtype
        self.mapping = {}
        for k, v in zip(keys.tolist(), values.tolist()):
            if k in self.mapping and self.mapping[k] != v:
                shown = k.decode() if isinstance(k, bytes) else k
                raise FailedPreconditionError(
                    None, None, f"HashTable has different value for same key. Key {shown} has "
                    f"{_shown(self.mapping[k])} and trying to add value {_shown(v)} "
                    "[Op:LookupTableImportV2] name: ")
            self.mapping[k] = v
        self._search = None

    def searchable(self) -> bool:
        return self.key_dtype != dtypes.string and self.value_dtype != dtypes.string

    def find(self, keys: Tensor, default) -> Tensor:
        """The value of each key, `default` (a scalar or per-key array) where absent."""
        if self.searchable():
            return self._searcher()(keys, convert_to_tensor(default, self.value_dtype))
        flat = host_values(keys)
        fallback = np.broadcast_to(np.asarray(host_values(convert_to_tensor(
            default, self.value_dtype)), object if self.value_dtype == dtypes.string else None),
            flat.shape)
        out = np.empty(flat.shape, object if self.value_dtype == dtypes.string
                       else self.value_dtype.as_numpy_dtype)
        for i in np.ndindex(flat.shape):
            out[i] = self.mapping.get(flat[i].item() if hasattr(flat[i], "item") else flat[i],
                                      fallback[i])
        return _as_output(out, self.value_dtype)

    def _searcher(self):
        if self._search is None:
            order = sorted(self.mapping)
            sorted_keys = np.array(order, self.key_dtype.as_numpy_dtype)
            sorted_values = np.array([self.mapping[k] for k in order],
                                     self.value_dtype.as_numpy_dtype)

            def search(keys, default):
                if not len(sorted_keys):
                    return jnp.broadcast_to(default, keys.shape).astype(default.dtype)
                at = jnp.clip(jnp.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
                return jnp.where(jnp.asarray(sorted_keys)[at] == keys,
                                 jnp.asarray(sorted_values)[at], default)
            self._search = Primitive(search, "LookupTableFindV2", differentiable=False)
        return self._search

    def export(self):
        keys = np.array(list(self.mapping), object if self.key_dtype == dtypes.string
                        else self.key_dtype.as_numpy_dtype)
        values = np.array(list(self.mapping.values()), object if self.value_dtype == dtypes.string
                          else self.value_dtype.as_numpy_dtype)
        return _as_output(keys, self.key_dtype), _as_output(values, self.value_dtype)


def _shown(v):
    return v.decode() if isinstance(v, bytes) else v


def _entries(initializer: TableInitializer) -> _Entries:
    keys, values = initializer.entries()
    return _Entries(keys, values, initializer.key_dtype, initializer.value_dtype)


@export("lookup.StaticHashTable")
class StaticHashTable:
    """An immutable table built from an initializer; absent keys give `default_value`."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        self._entries = _entries(initializer)
        self._default = convert_to_tensor(default_value, self._entries.value_dtype)
        self._name = name or "hash_table"

    key_dtype = property(lambda self: self._entries.key_dtype)
    value_dtype = property(lambda self: self._entries.value_dtype)
    default_value = property(lambda self: self._default)
    name = property(lambda self: self._name)

    def lookup(self, keys, name=None):
        return self._entries.find(_keys_of(keys, self.key_dtype), self._default)

    def size(self, name=None):
        return convert_to_tensor(np.int64(len(self._entries.mapping)))

    def export(self, name=None):
        return self._entries.export()


@export("lookup.StaticVocabularyTable")
class StaticVocabularyTable:
    """Ids for a vocabulary: a key's value, or one of `num_oov_buckets` hashed ids after
    the vocabulary's."""

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        self._entries = _entries(initializer) if initializer is not None else _Entries(
            np.zeros(0, object), np.zeros(0, np.int64), dtypes.as_dtype(lookup_key_dtype
                                                                        or dtypes.string),
            dtypes.int64)
        if self._entries.value_dtype != dtypes.int64:
            raise TypeError(f"Invalid `value_dtype`, expected {dtypes.int64} but got "
                            f"{self._entries.value_dtype}.")
        self._oov = int(num_oov_buckets)
        self._name = name or "hash_table"

    key_dtype = property(lambda self: self._entries.key_dtype)
    value_dtype = property(lambda self: dtypes.int64)
    name = property(lambda self: self._name)

    def lookup(self, keys, name=None):
        keys = _keys_of(keys, self.key_dtype)
        flat = host_values(keys)
        text = flat if self.key_dtype == dtypes.string else \
            np.vectorize(lambda k: str(k).encode(), otypes=[object])(flat)
        hashed = len(self._entries.mapping) + buckets(np.asarray(text, object), self._oov)
        return self._entries.find(keys, hashed)

    def size(self, name=None):
        return convert_to_tensor(np.int64(len(self._entries.mapping) + self._oov))


@export("lookup.experimental.MutableHashTable")
class MutableHashTable:
    """A table that grows: `insert`, `remove`, `lookup` (host side)."""

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable",
                 checkpoint=True, experimental_is_anonymous=False):
        self._entries = _Entries(np.zeros(0, object), np.zeros(0, object),
                                 dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype))
        self._default = convert_to_tensor(default_value, self._entries.value_dtype)
        self._name = name

    key_dtype = property(lambda self: self._entries.key_dtype)
    value_dtype = property(lambda self: self._entries.value_dtype)
    name = property(lambda self: self._name)

    def insert(self, keys, values, name=None):
        keys = host_values(_keys_of(convert_to_tensor(keys, self.key_dtype), self.key_dtype))
        values = host_values(convert_to_tensor(values, self.value_dtype))
        for k, v in zip(keys.reshape(-1).tolist(), np.broadcast_to(values, keys.shape).reshape(-1).tolist()):
            self._entries.mapping[k] = v
        self._entries._search = None

    def remove(self, keys, name=None):
        for k in host_values(_keys_of(convert_to_tensor(keys, self.key_dtype),
                                      self.key_dtype)).reshape(-1).tolist():
            self._entries.mapping.pop(k, None)
        self._entries._search = None

    def lookup(self, keys, dynamic_default_values=None, name=None):
        default = self._default if dynamic_default_values is None else dynamic_default_values
        return self._entries.find(_keys_of(keys, self.key_dtype), default)

    def size(self, name=None):
        return convert_to_tensor(np.int64(len(self._entries.mapping)))

    def export(self, name=None):
        return self._entries.export()
