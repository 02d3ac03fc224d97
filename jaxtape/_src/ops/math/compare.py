"""Comparisons and logical ops (`tf.math.equal`, `tf.math.less`, `tf.math.logical_and`, ...).

Bool results and no gradient, as in TF. Operands convert as in TF's binary
ops (a Python number takes the tensor's dtype; two dtypes fail).
"""
from __future__ import annotations

import functools

import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dtype_mismatch
from jaxtape._src.ops.support.args import elementwise as operands
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import binary, elementwise, kernel_inputs


def _bools(x, y, op):
    """The operands of a logical op: TF's kernels take bool tensors only."""
    if op == "LogicalXor":  # TF composes it, LogicalOr first
        op = "LogicalOr"
    x, y = operands(x, y, op)
    _bool(x, op)
    return x, y


def _bool(x, op):
    x = tensor(x)
    if x.dtype != dtypes.bool:
        raise dtype_mismatch(op, 0, dtypes.bool, x.dtype)
    return x


# binary(op, fn, *names) with the defaults every comparison shares. Equality takes
# every dtype; the ordered comparisons only TF's real-number kernels (no complex,
# bool or string: TF's InvalidArgumentError).
_compare = functools.partial(binary, differentiable=False, convert=operands)
_ordered = functools.partial(binary, differentiable=False, convert=kernel_inputs)
_logical = functools.partial(binary, differentiable=False, convert=_bools)

equal = _compare("Equal", jnp.equal, "math.equal", "equal")
not_equal = _compare("NotEqual", jnp.not_equal, "math.not_equal", "not_equal")
less = _ordered("Less", jnp.less, "math.less", "less")
less_equal = _ordered("LessEqual", jnp.less_equal, "math.less_equal", "less_equal")
greater = _ordered("Greater", jnp.greater, "math.greater", "greater")
greater_equal = _ordered("GreaterEqual", jnp.greater_equal, "math.greater_equal", "greater_equal")
logical_and = _logical("LogicalAnd", jnp.logical_and, "math.logical_and", "logical_and")
logical_or = _logical("LogicalOr", jnp.logical_or, "math.logical_or", "logical_or")
logical_xor = _logical("LogicalXor", jnp.logical_xor, "math.logical_xor")
logical_not = elementwise("LogicalNot", jnp.logical_not, "math.logical_not", "logical_not",
                          differentiable=False, convert=_bool)
