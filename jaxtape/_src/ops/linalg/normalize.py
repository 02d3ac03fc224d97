"""`tf.linalg.normalize` and `tf.linalg.matrix_rank`: TF's Python
compositions (`norm`, a division; `svd` singular values against TF's
default tolerance), so values, errors and gradients are those ops'."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.clip import norm as norm_op
from jaxtape._src.ops.linalg.decompositions import svd
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.reduce import reduce_max, reduce_sum
from jaxtape._src.ops.support.define import defined


@defined("linalg.normalize")
def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's argument names
    """(`tensor / norm`, `norm`), the norm kept with `keepdims=True`."""
    t = convert_to_tensor(tensor)
    if ord in ("euclidean", "fro") and not (t.dtype.is_floating or t.dtype.is_complex):
        kernel_dtypes.check("Sqrt", t)  # TF's norm takes a square root of the integer sum
    norm = norm_op(t, ord, axis, keepdims=True)
    norm = cast(norm, t.dtype)
    return t / norm, norm


@defined("linalg.matrix_rank")
def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above `tol` (TF's default: eps * max(M, N) * max(s))."""
    a = convert_to_tensor(a, dtype_hint=dtypes.float32)
    if not a.dtype.is_floating:
        raise TypeError(f"Input `a` must have `float`-like `dtype` (saw {a.dtype.name}).")
    s = svd(a, compute_uv=False)
    if tol is None:
        m = np.max(a.shape[-2:].as_list())
        eps = np.finfo(a.dtype.as_numpy_dtype).eps
        tol = eps * cast(m, a.dtype) * reduce_max(s, axis=-1, keepdims=True)
    return reduce_sum(cast(s > tol, dtypes.int32), axis=-1)


