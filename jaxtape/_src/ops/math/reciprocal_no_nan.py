"""`tf.math.reciprocal_no_nan`: TF's `div_no_nan(1, x)`, so 0 gives 0, the
gradient is DivNoNan's and integer inputs are refused by that kernel."""
from __future__ import annotations

from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.array.creation import constant
from jaxtape._src.ops.math.arithmetic import divide_no_nan
from jaxtape._src.ops.support.define import defined


@defined("math.reciprocal_no_nan")
def reciprocal_no_nan(x, name=None):
    """`1 / x` elementwise, 0 where `x` is 0."""
    x = tensor(x)
    kernel_dtypes.check("DivNoNan", x)
    return divide_no_nan(constant(1, dtype=x.dtype), x)
