"""TF's dtype checks for `tf.nn` kernels that register only some dtypes.

Most nn kernels are float-only; conv and pool add a few integer types. Their
error is TF's registration error, with the op's summary from `kernel_dtypes`
where the table has it (else the short `Op<name=...>`).
"""
from __future__ import annotations

from jaxtape._src.framework.messages import dtype_not_allowed
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor

FLOAT_TYPES = frozenset(("float16", "bfloat16", "float32", "float64"))
FLOAT_KERNELS = "half, bfloat16, float, double"  # the float list as TF's message prints it


def check_dtype(x: Tensor, op: str, types=FLOAT_TYPES, allowed: str = FLOAT_KERNELS,
                attr: str = "T") -> Tensor:
    """Returns `x`, or raises TF's error if `op` has no kernel for its dtype.

    types: the dtype names accepted; allowed: TF's list as its message prints it.
    """
    if x.dtype.name not in types:
        summary = kernel_dtypes.summary(op) if op in kernel_dtypes.KERNELS else f"Op<name={op}>"
        raise dtype_not_allowed(op, x.dtype, allowed, summary, attr)
    return x


def float_input(x, op: str, allowed: str = FLOAT_KERNELS) -> Tensor:
    """Converts `x` and rejects non-float dtypes as TF's float-only kernels do."""
    return check_dtype(tensor(x), op, FLOAT_TYPES, allowed)
