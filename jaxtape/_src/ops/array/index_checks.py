"""TF's checks on integer index arguments, shared by gather, scatter and slicing.

TF fails on out-of-range indices where JAX clamps silently, so concrete
indices are checked eagerly and raise TF's error naming the index; traced
ones (under `tf.function`) cannot be read and are left to the kernel.
"""
from __future__ import annotations

import jax
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, named_by, op_error
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor

_INDEX_DTYPES = (dtypes.int32, dtypes.int64, dtypes.int16, dtypes.int8, dtypes.uint8)


def concrete(t) -> bool:
    """Whether the tensor's value can be read now (it is not being traced)."""
    return not isinstance(t._value, jax.core.Tracer)


def int_indices(indices, op):
    """`indices` as a tensor, or TF's error when its dtype is not an integer one."""
    idx = tensor(indices)
    if idx.dtype not in _INDEX_DTYPES:
        raise kernel_dtypes.reject(op, idx.dtype, "Tindices", named_by(indices))
    return idx


def check_in_range(idx, limit, op, named=True):
    """Every entry of `idx` in [0, limit), as `tf.gather` requires."""
    if not concrete(idx):
        return
    flat = np.asarray(idx.numpy()).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= limit))
    if bad.size:
        pos = np.unravel_index(bad[0], idx._value.shape) if idx.ndim else ()
        where = f"[{','.join(str(int(p)) for p in pos)}]" if idx.ndim else ""  # TF: `indices = 5`
        raise op_error(f"indices{where} = {int(flat[bad[0]])} is not in [0, {limit})", op, named)


def check_nd(idx, shape, what, op, suffix="", named=True):
    """Every row of an `[..., depth]` index tensor inside `shape`'s leading dims."""
    if not concrete(idx):
        return
    rows = np.asarray(idx.numpy()).reshape(-1, idx._value.shape[-1])
    limits = np.asarray(shape[:rows.shape[1]])
    bad = np.flatnonzero(((rows < 0) | (rows >= limits)).any(axis=1))
    if bad.size:
        row = ", ".join(str(int(v)) for v in rows[bad[0]])
        raise op_error(f"indices[{bad[0]}] = [{row}] does not index into {what} "
                       f"{dims(shape)}{suffix}", op, named)
