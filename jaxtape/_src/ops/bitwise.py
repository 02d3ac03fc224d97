"""`tf.bitwise`: and, or, xor, invert and the two shifts on integer tensors.

TF registers them for the eight integer dtypes only (no bool, no float) and
gives them no gradient. Its shift kernels clamp the shift amount into
`[0, bits - 1]`: a negative shift is no shift, a shift by the width or more
shifts by `bits - 1` (a left shift keeps only the lowest bit, moved to the
top; a right shift of a signed value keeps its sign, arithmetically).
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework.messages import dtype_not_allowed, incompatible_shapes, named_by
from jaxtape._src.ops.support import args, kernel_dtypes
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_SHIFT_SUMMARY = ("Op<name={op}; signature=x:T, y:T -> z:T; attr=T:type,allowed=[DT_INT8, DT_INT16, "
                  "DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64]>")


def _clamped(y, dtype):
    bits = jnp.iinfo(dtype).bits
    return jnp.clip(y, 0, bits - 1).astype(dtype)


def _left_shift(x, y):
    return lax.shift_left(x, _clamped(y, x.dtype))


def _right_shift(x, y):
    y = _clamped(y, x.dtype)
    if jnp.issubdtype(x.dtype, jnp.signedinteger):
        return lax.shift_right_arithmetic(x, y)
    return lax.shift_right_logical(x, y)


_PRIMS = {
    "BitwiseAnd": Primitive(jnp.bitwise_and, "BitwiseAnd", differentiable=False),
    "BitwiseOr": Primitive(jnp.bitwise_or, "BitwiseOr", differentiable=False),
    "BitwiseXor": Primitive(jnp.bitwise_xor, "BitwiseXor", differentiable=False),
    "LeftShift": Primitive(_left_shift, "LeftShift", differentiable=False),
    "RightShift": Primitive(_right_shift, "RightShift", differentiable=False),
}
_invert_prim = Primitive(jnp.invert, "Invert", differentiable=False)


def _operands(x, y, op):
    named = named_by(x, y)
    x, y = args.binary(x, y, op)
    if op in kernel_dtypes.KERNELS:
        kernel_dtypes.check(op, x)
    elif not x.dtype.is_integer:
        raise dtype_not_allowed(op, x.dtype, kernel_dtypes.INTEGER, _SHIFT_SUMMARY.format(op=op))
    sx, sy = x._meta.shape, y._meta.shape
    if sx != sy and not all(a == b or a == 1 or b == 1 for a, b in zip(reversed(sx), reversed(sy))):
        raise incompatible_shapes(op, sx, sy, named)
    return x, y


def _binary(op: str, export_name: str):
    prim = _PRIMS[op]

    def op_fn(x, y, name=None):
        return prim(*_operands(x, y, op))

    leaf = export_name.rpartition(".")[2]
    return defined(export_name, primitive=prim,
                   doc=f"Elementwise `{leaf}` of two integer tensors, broadcasting (TF op {op}).")(op_fn)


bitwise_and = _binary("BitwiseAnd", "bitwise.bitwise_and")
bitwise_or = _binary("BitwiseOr", "bitwise.bitwise_or")
bitwise_xor = _binary("BitwiseXor", "bitwise.bitwise_xor")
left_shift = _binary("LeftShift", "bitwise.left_shift")
right_shift = _binary("RightShift", "bitwise.right_shift")


@defined("bitwise.invert", primitive=_invert_prim)
def invert(x, name=None):
    """Flips every bit of an integer tensor (TF op Invert)."""
    x = args.tensor(x)
    kernel_dtypes.check("Invert", x)
    return _invert_prim(x)
