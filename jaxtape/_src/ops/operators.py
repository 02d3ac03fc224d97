"""Python operators on Tensor and Variable (`+`, `*`, `@`, `==`, `[]`, ...), routed to the TF ops.

`install()` wires them all; `api/build.py` calls it once, after every op
module is loaded. Importing this module changes nothing.
"""
from __future__ import annotations

import types

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor, scalar_tensor
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.array import slicing
from jaxtape._src.ops.linalg.matmul import matmul
from jaxtape._src.ops.math import arithmetic, compare
from jaxtape._src.ops.math.unary import abs as _abs, negative
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import binary, tensor
from jaxtape._src.tape.primitive import Primitive


def _flip(fn):
    # TF converts the left operand of a reflected op to the tensor's dtype first
    # (`1 / t` works for a float `t`; `2.5 + int_t` is a TypeError).
    def reflected(self, other):
        t = type(other)
        if t is float or t is int:  # the common `2.0 * x`: a cached scalar
            # `_meta`: a deferred `self` stays pending (a Variable has no `_meta`).
            c = scalar_tensor(other, (self._meta if type(self) is Tensor else self._value).dtype)
            if c is not None:
                return fn(c, self)
        if not is_tensor(other):
            other = convert_to_tensor(other, dtype=self.dtype)
        return fn(other, self)
    return reflected


def _compare_or_constant(self, other, op, compare_fn, mismatch):
    """TF's `==`/`!=`: elementwise when shapes broadcast, else one bool scalar.

    Dtype mismatches and unconvertible operands still raise, as in TF.
    """
    x, y = binary(self, other, op)
    try:
        np.broadcast_shapes(x._meta.shape, y._meta.shape)
    except ValueError:
        return Tensor(jnp.asarray(mismatch))
    return compare_fn(x, y)


def _eq(self, other):
    if other is None:
        return False
    return _compare_or_constant(self, other, "Equal", compare.equal, False)


def _ne(self, other):
    if other is None:
        return True
    return _compare_or_constant(self, other, "NotEqual", compare.not_equal, True)


# Bitwise ops back `&`, `|`, `^`, `~` on integer tensors (bool ones are logical).
_BITWISE = {
    "and": Primitive(jnp.bitwise_and, "BitwiseAnd", differentiable=False),
    "or": Primitive(jnp.bitwise_or, "BitwiseOr", differentiable=False),
    "xor": Primitive(jnp.bitwise_xor, "BitwiseXor", differentiable=False),
}
_LOGICAL = {"and": compare.logical_and, "or": compare.logical_or, "xor": compare.logical_xor}
_invert_prim = Primitive(jnp.invert, "Invert", differentiable=False)


def _bitwise(kind):
    prim = _BITWISE[kind]

    def apply(x, y):
        if convert_to_tensor(x).dtype.is_bool:
            return _LOGICAL[kind](x, y)
        x, y = binary(x, y, prim.name)
        kernel_dtypes.check(prim.name, x)
        return prim(x, y)
    return apply


def _invert(self):
    x = tensor(self)
    if x.dtype.is_bool:
        return compare.logical_not(x)
    kernel_dtypes.check("Invert", x)
    return _invert_prim(x)


def _mul_checked(x, y):
    # TF's `*` on two bool tensors is a logical and; `multiply` has no bool kernel.
    if type(x) is Tensor and x._meta.dtype == np.bool_:
        return compare.logical_and(x, y)
    return arithmetic.apply_binary(x, y, "Mul")


_mul = arithmetic.fast_binary("Mul", _mul_checked)


BINARY = {
    "add": arithmetic.add, "sub": arithmetic.subtract, "mul": _mul,
    "truediv": arithmetic.truediv, "floordiv": arithmetic.floordiv, "mod": arithmetic.floormod,
    "pow": arithmetic.pow, "matmul": matmul,
    "and": _bitwise("and"), "or": _bitwise("or"), "xor": _bitwise("xor"),
}
COMPARE = {"lt": compare.less, "le": compare.less_equal, "gt": compare.greater,
           "ge": compare.greater_equal}


def _install_on(cls):
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
    cls.__neg__ = negative
    cls.__abs__ = _abs
    cls.__invert__ = _invert
    cls.__getitem__ = slicing.getitem


def install():
    """Attaches the Python operators to Tensor and Variable (idempotent)."""
    _install_on(Tensor)
    _install_on(Variable)
    # TF tensors are immutable; Python's default message would name jaxtape's class.
    Tensor.__setitem__ = slicing.setitem
