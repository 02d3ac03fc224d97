"""`tf.sparse.cross` / `cross_hashed` and `tf.ragged.cross` / `cross_hashed`, on the host.

Each input is a batch of feature lists (a SparseTensor's row b: its values with
index [b, *], in their stored order; a dense [batch, k] tensor's row; a
RaggedTensor's row). Row b of the result is the cartesian product of the
inputs' row-b lists, the last input varying fastest; an input with an empty
row leaves the row empty. `tf.sparse` crosses its SparseTensors first, then
its dense inputs (TF's kernel takes them in two lists); `tf.ragged` keeps the
given order. Non-string values are cast to int64 first.

String crosses join the features with `separator` ("_X_"), int64 values as
decimal text. Hashed crosses fold each feature's hash (FarmHash's
Fingerprint64 of a string, the int64 value itself) into `hash_key`
(0xDECAFCAFFE by default) with TF's FingerprintCat64, then take the result
modulo `num_buckets` (0: modulo 2**63 - 1), as TF's SparseCross kernels do.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.strings.hashing import fingerprint64
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined

_M = (1 << 64) - 1
_K_MUL = 0xC6A4A7935BD1E995
DEFAULT_HASH_KEY = 0xDECAFCAFFE
_INT64_MAX = (1 << 63) - 1


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TF's FingerprintCat64: two 64-bit fingerprints combined (not commutative)."""
    result = fp1 ^ _K_MUL
    result ^= (_shift_mix((fp2 * _K_MUL) & _M) * _K_MUL) & _M
    result = (result * _K_MUL) & _M
    result = (_shift_mix(result) * _K_MUL) & _M
    return _shift_mix(result)


def _values(t, op: str) -> np.ndarray:
    """A tensor's values on the host: bytes objects for strings, else int64 (TF's cast)."""
    if isinstance(t, StringTensor):
        return t._value
    array = host_array(t, op)
    if array.dtype.kind == "f":
        array = np.trunc(array)
    return array.astype(np.int64)


def _dense_rows(t, position: int, op: str) -> list:
    values = _values(t, op)
    if values.ndim != 2:
        raise op_error(f"Dense inputs should be a matrix but received shape {dims(values.shape)} "
                       f"at position {position}", op)
    return [list(row) for row in values]


def _sparse_rows(sp: SparseTensor, position: int, op: str) -> list:
    indices = host_array(sp.indices, op)
    shape = host_array(sp.dense_shape, op).reshape(-1)
    if indices.ndim != 2:
        raise op_error(f"Input indices should be a matrix but received shape "
                       f"{dims(indices.shape)} at position {position}", op)
    if indices.shape[1] != 2:
        raise op_error(f"Expected D2 of index to be 2 got {indices.shape[1]} at position "
                       f"{position}", op)
    if len(shape) != 2:
        raise op_error(f"Input shapes should be a vector of size 2 but received shape "
                       f"{dims(shape.shape)} at position {position}", op)
    values = _values(sp.values, op)
    batch = int(shape[0])
    counts = np.bincount(indices[:, 0].astype(np.int64), minlength=batch)[:batch] \
        if len(indices) else np.zeros(batch, np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return [list(values[starts[b]:starts[b] + counts[b]]) for b in range(batch)]


def _ragged_rows(rt: RaggedTensor, op: str) -> list:
    if rt.ragged_rank != 1 or rt.flat_values.shape.rank != 1:
        raise ValueError(f"tf.ragged.cross only supports inputs with rank=2 (got {rt!r})")
    splits = host_array(rt.row_splits, op).astype(np.int64)
    values = _values(rt.flat_values, op)
    return [list(values[splits[b]:splits[b + 1]]) for b in range(len(splits) - 1)]


def _text(v) -> bytes:
    return bytes(v) if isinstance(v, (bytes, bytearray)) else str(int(v)).encode()


def _hash(v) -> int:
    return fingerprint64(bytes(v)) if isinstance(v, (bytes, bytearray)) else int(v) & _M


def _cross_rows(columns: list, hashed: bool, num_buckets: int, hash_key: int,
                separator: bytes, op: str, batch: int | None = None) -> list:
    """Per row, the crossed features (bytes, or ints when hashed)."""
    if batch is None:
        batch = len(columns[0]) if columns else 0
    for kind, i, rows in columns:
        if len(rows) != batch:
            raise op_error(f"Expected batch size {batch} got {len(rows)} at {kind} tensor {i}", op)
    out = []
    for b in range(batch):
        lists = [rows[b] for _, _, rows in columns]
        if not lists or any(not features for features in lists):
            out.append([])
            continue
        crossed = []
        for combo in np.ndindex(*[len(f) for f in lists]):
            picked = [f[j] for f, j in zip(lists, combo)]
            if hashed:
                h = hash_key
                for v in picked:
                    h = fingerprint_cat64(h, _hash(v))
                crossed.append(h % num_buckets if num_buckets > 0 else h % _INT64_MAX)
            else:
                crossed.append(separator.join(_text(v) for v in picked))
        out.append(crossed)
    return out


def _result_values(flat: list, hashed: bool):
    if hashed:
        return Tensor(np.array(flat, np.uint64).astype(np.int64) if flat else
                      np.zeros(0, np.int64))
    out = np.empty(len(flat), object)
    out[:] = flat
    return StringTensor(out)


def _check_list(inputs, what: str):
    if not isinstance(inputs, (tuple, list)):
        raise TypeError("Inputs must be a list")
    if not all(isinstance(i, (SparseTensor, Tensor)) for i in inputs):
        raise TypeError(what)


def _sparse_cross(inputs, hashed, num_buckets, hash_key, separator, op, what):
    _check_list(inputs, what)
    sparse = [i for i in inputs if isinstance(i, SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, SparseTensor)]
    columns = [("sparse", i, _sparse_rows(s, i, op)) for i, s in enumerate(sparse)]
    dense_rows = [("dense", i, _dense_rows(d, i, op)) for i, d in enumerate(dense)]
    batch = len(columns[0][2]) if columns else (len(dense_rows[0][2]) if dense_rows else 0)
    rows = _cross_rows(columns + dense_rows, hashed, num_buckets, hash_key, separator, op, batch)
    counts = [len(r) for r in rows]
    indices = np.array([[b, j] for b, n in enumerate(counts) for j in range(n)],
                       np.int64).reshape(-1, 2)
    flat = [v for r in rows for v in r]
    shape = np.array([batch, max(counts, default=0)], np.int64)
    return SparseTensor(indices, _result_values(flat, hashed), shape)


def _key(hash_key) -> int:
    """The int64 attr `hash_key` (TF's default when None or 0), as its 64 bits."""
    key = int(hash_key or DEFAULT_HASH_KEY)
    if not -(1 << 63) <= key < (1 << 63):
        raise OverflowError("int too big to convert")
    return key & _M


def _separator(separator) -> bytes:
    if separator is None:
        return b"_X_"
    if isinstance(separator, StringTensor):
        return bytes(separator._value.reshape(-1)[0])
    return separator.encode() if isinstance(separator, str) else bytes(separator)


@defined("sparse.cross")
def sparse_cross(inputs, name=None, separator=None):
    """Crossed string features of the inputs' rows (SparseTensors first, then dense)."""
    return _sparse_cross(inputs, False, 0, 0, _separator(separator), "SparseCrossV2",
                         "All inputs must be Tensor or SparseTensor.")


@defined("sparse.cross_hashed")
def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """Crossed features as FingerprintCat64 hashes (mod `num_buckets` when > 0)."""
    return _sparse_cross(inputs, True, int(num_buckets), _key(hash_key),
                         b"", "SparseCross", "All inputs must be SparseTensors")


def _ragged_cross(inputs, hashed, num_buckets, hash_key, separator):
    op = "RaggedCross"
    if not isinstance(inputs, (tuple, list)):
        raise TypeError("Inputs must be a list")
    columns = []
    for i, x in enumerate(inputs):
        if isinstance(x, RaggedTensor):
            columns.append(("ragged", i, _ragged_rows(x, op)))
        elif isinstance(x, SparseTensor):
            columns.append(("sparse", i, _sparse_rows(x, i, op)))
        else:
            t = x if isinstance(x, Tensor) else convert_to_tensor(x)
            if t.shape.rank != 2:
                raise ValueError(f"tf.ragged.cross only supports inputs with rank=2 (got {t!r})")
            columns.append(("dense", i, _dense_rows(t, i, op)))
    batch = len(columns[0][2]) if columns else 0
    if any(len(rows) != batch for _, _, rows in columns):
        raise op_error("inputs must all have the same batch dimension size.", op)
    rows = _cross_rows(columns, hashed, num_buckets, hash_key, separator, op, batch)
    splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    values = _result_values([v for r in rows for v in r], hashed)
    return RaggedTensor._make(values, Tensor(splits))


@defined("ragged.cross")
def ragged_cross(inputs, name=None):
    """Crossed string features of RaggedTensor, SparseTensor or dense rows, in input order."""
    return _ragged_cross(inputs, False, 0, 0, b"_X_")


@defined("ragged.cross_hashed")
def ragged_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """`ragged.cross` as FingerprintCat64 hashes (mod `num_buckets` when > 0)."""
    return _ragged_cross(inputs, True, int(num_buckets), _key(hash_key), b"")
