"""`tf.fingerprint`: a FarmHash Fingerprint64 of each row, as 8 little-endian bytes.

A row of a numeric tensor is hashed as its raw bytes; a string tensor with
one string per row hashes each string, and one with several hashes the
concatenated 8-byte fingerprints of the row's strings, as TF's kernel does.
Computed on the host (`ops/strings/hashing.py`'s Fingerprint64).
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.strings.hashing import fingerprint64
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined


def _hash_rows(rows) -> np.ndarray:
    return np.array([fingerprint64(bytes(r)) for r in rows], "<u8").reshape(-1, 1).view(np.uint8)


@defined("fingerprint")
def fingerprint(data, method="farmhash64", name=None):
    """`[data.shape[0], 8]` uint8 fingerprints of each row of `data`."""
    named = False  # TF's wrapper passes its name: the message has no ` name: `
    x = tensor(data)
    method = method.decode() if isinstance(method, bytes) else str(method)
    if x.ndim < 1:
        raise op_error(f"`data` should have at least one dimension: {dims(x.shape.as_list())}",
                       "Fingerprint", named)
    if method != "farmhash64":
        raise op_error(f"Unsupported fingerprint method: {method}", "Fingerprint", named)
    n = x.shape[0]
    if isinstance(x, StringTensor):
        flat = x._value.reshape(-1)
        if n == 0:
            out = np.zeros((0, 8), np.uint8)
        elif flat.size == n:
            out = _hash_rows(flat)
        else:
            each = _hash_rows(flat).reshape(n, -1)
            out = _hash_rows(each)
    else:
        v = np.ascontiguousarray(host_array(x, "tf.fingerprint", "data"))
        if x.dtype == dtypes.bfloat16:
            v = v.view(np.uint16)
        raw = v.reshape(n, -1).view(np.uint8).reshape(n, -1) if v.size else np.zeros((n, 0), np.uint8)
        out = _hash_rows(raw) if n else np.zeros((0, 8), np.uint8)
    return tensor(out.reshape(n, 8))
