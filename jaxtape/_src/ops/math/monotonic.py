"""`tf.math.is_non_decreasing` and `is_strictly_increasing`: TF's Python
compositions (flatten, compare neighbours, `reduce_all`), so a bool or string
tensor is refused with TF's TypeError and a complex one by the comparison's
kernel, as in TF."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.messages import dtype_not_allowed
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.framework import dtypes
from jaxtape._src.ops.array.creation import constant
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.math.compare import greater, greater_equal
from jaxtape._src.ops.math.reduce import reduce_all
from jaxtape._src.ops.support.define import defined


_COMPARE_SUMMARY = ("Op<name={op}; signature=x:T, y:T -> z:bool; attr=T:type,allowed=[DT_FLOAT, "
                    "DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_INT64, DT_BFLOAT16, "
                    "DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64]>")


def _monotonic(x, compare, op):
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer or x.dtype.is_complex) or x.dtype.is_bool:
        flat = tensor(np.reshape(x.numpy(), [-1]))  # TF names the flattened tensor
        raise TypeError(f"Expected x to be numeric, instead found: {str(flat)}")
    x = reshape(x, [-1])
    if x.dtype.is_complex:  # the comparison's kernel refuses it
        raise dtype_not_allowed(op, x.dtype, kernel_dtypes.REAL_NUMBER, _COMPARE_SUMMARY.format(op=op))
    n = x.shape[0]
    if n < 2:
        return reduce_all(constant([], dtype=dtypes.bool))
    return reduce_all(compare(x[1:], x[:-1]))


@defined("math.is_non_decreasing")
def is_non_decreasing(x, name=None):
    """True iff each element of flattened `x` is >= the one before it."""
    return _monotonic(x, greater_equal, "GreaterEqual")


@defined("math.is_strictly_increasing")
def is_strictly_increasing(x, name=None):
    """True iff each element of flattened `x` is > the one before it."""
    return _monotonic(x, greater, "Greater")
