"""Python operators on Tensor and Variable, routed to the TF ops."""
from __future__ import annotations

import types

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor, scalar_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.array import manipulation as array_ops
from jaxtape._src.ops.math import arithmetic as math_ops
from jaxtape._src.ops.support.args import binary, kernel_dtype_name, op_error
from jaxtape._src.tape.primitive import Primitive


def _flip(fn):
    # TF converts the left operand of a reflected op to the tensor's dtype first
    # (`1 / t` works for a float `t`; `2.5 + int_t` is a TypeError).
    def reflected(self, other):
        t = type(other)
        if t is float or t is int:  # the common `2.0 * x`: a cached scalar
            c = scalar_tensor(other, self._value.dtype)
            if c is not None:
                return fn(c, self)
        if not isinstance(other, (Tensor, Variable)) and not hasattr(other, "_read_for_op"):
            other = convert_to_tensor(other, dtype=self.dtype)
        return fn(other, self)
    return reflected


def _compare_or_constant(self, other, op, compare, mismatch):
    """TF's `==`/`!=`: elementwise when shapes broadcast, else one bool scalar.

    Dtype mismatches and unconvertible operands still raise, as in TF.
    """
    x, y = binary(self, other, op)
    try:
        np.broadcast_shapes(x._value.shape, y._value.shape)
    except ValueError:
        return Tensor(jnp.asarray(mismatch))
    return compare(x, y)


def _eq(self, other):
    if other is None:
        return False
    return _compare_or_constant(self, other, "Equal", math_ops.equal, False)


def _ne(self, other):
    if other is None:
        return True
    return _compare_or_constant(self, other, "NotEqual", math_ops.not_equal, True)


# Bitwise ops back `&`, `|`, `^`, `~` on integer tensors (bool ones are logical).
_BITWISE = {
    "and": Primitive(jnp.bitwise_and, "BitwiseAnd", differentiable=False),
    "or": Primitive(jnp.bitwise_or, "BitwiseOr", differentiable=False),
    "xor": Primitive(jnp.bitwise_xor, "BitwiseXor", differentiable=False),
}
_LOGICAL = {"and": math_ops.logical_and, "or": math_ops.logical_or, "xor": math_ops.logical_xor}
_invert_prim = Primitive(jnp.invert, "Invert", differentiable=False)
_INT_KERNELS = "int8, int16, int32, int64, uint8, uint16, uint32, uint64"


def _not_integer(dtype, op, signature, commutative):
    """TF's kernel-registration error for a bitwise op on a non-integer dtype."""
    allowed = ", ".join("DT_" + n.upper() for n in _INT_KERNELS.split(", "))
    return op_error(
        f"Value for attr 'T' of {kernel_dtype_name(dtype)} is not in the list of allowed "
        f"values: {_INT_KERNELS}\n\t; NodeDef: {{{{node {op}}}}}; Op<name={op}; "
        f"signature={signature}; attr=T:type,allowed=[{allowed}]{'; is_commutative=true' if commutative else ''}>",
        op)


def _bitwise(kind):
    prim = _BITWISE[kind]

    def apply(x, y):
        if convert_to_tensor(x).dtype.is_bool:
            return _LOGICAL[kind](x, y)
        x, y = binary(x, y, prim.name)
        if not x.dtype.is_integer:
            raise _not_integer(x.dtype, prim.name, "x:T, y:T -> z:T", True)
        return prim(x, y)
    return apply


def _invert(self):
    x = array_ops.tensor(self)
    if x.dtype.is_bool:
        return math_ops.logical_not(x)
    if not x.dtype.is_integer:
        raise _not_integer(x.dtype, "Invert", "x:T -> y:T", False)
    return _invert_prim(x)


def _mul_checked(x, y):
    # TF's `*` on two bool tensors is a logical and; `multiply` has no bool kernel.
    if type(x) is Tensor and x._value.dtype == np.bool_:
        return math_ops.logical_and(x, y)
    return math_ops.apply_binary(x, y, "Mul")


_mul = math_ops.fast_binary("Mul", _mul_checked)


BINARY = {
    "add": math_ops.add, "sub": math_ops.subtract, "mul": _mul,
    "truediv": math_ops.truediv, "floordiv": math_ops.floordiv, "mod": math_ops.floormod,
    "pow": math_ops.pow, "matmul": math_ops.matmul,
    "and": _bitwise("and"), "or": _bitwise("or"), "xor": _bitwise("xor"),
}
COMPARE = {"lt": math_ops.less, "le": math_ops.less_equal, "gt": math_ops.greater,
           "ge": math_ops.greater_equal}


def install(cls):
    # The op functions themselves become the methods (no wrapper frame: `x * y`
    # is every training loop's hot path).
    for name, fn in BINARY.items():
        assert isinstance(fn, types.FunctionType), name
        setattr(cls, f"__{name}__", fn)
        setattr(cls, f"__r{name}__", _flip(fn))
    for name, fn in COMPARE.items():
        assert isinstance(fn, types.FunctionType), name
        setattr(cls, f"__{name}__", fn)
    cls.__eq__ = _eq
    cls.__ne__ = _ne
    cls.__neg__ = lambda self: math_ops.negative(self)
    cls.__abs__ = lambda self: math_ops.abs(self)
    cls.__invert__ = _invert
    cls.__getitem__ = lambda self, key: array_ops.getitem(self, key)


install(Tensor)
install(Variable)
