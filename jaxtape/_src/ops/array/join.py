"""Joining tensors: `tf.concat` and `tf.stack`."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import dims, dtype_mismatch, op_error
from jaxtape._src.ops.array.identity import identity
from jaxtape._src.ops.support.args import single_axis, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_concat = Primitive(lambda *xs, axis: jnp.concatenate(xs, axis=axis), "ConcatV2")
_stack = Primitive(lambda *xs, axis: jnp.stack(xs, axis=axis), "Pack")


def same_dtype(xs, op):
    """`xs` unchanged, or TF's error naming the first input whose dtype differs from the first."""
    first = xs[0].dtype
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != first:
            raise dtype_mismatch(op, i, first, x.dtype)
    return xs


@defined("concat", primitive=_concat)
def concat(values, axis, name="concat"):
    xs = [tensor(v) for v in values]
    if len(xs) == 1:
        return identity(xs[0])
    if not xs:  # no input gives TF's kernel no `T`: its CPU registry's complaint
        index = tensor(axis).dtype.name.upper()
        raise op_error(f"OpKernel 'ConcatV2' has constraint on attr 'T' not in NodeDef '[N=0, "
                       f"Tidx=DT_{index}]', KernelDef: 'goo.gle/debugstr   op: \"ConcatV2\" device_type: "
                       f"\"CPU\" constraint {{ name: \"T\" allowed_values {{ list {{ type: DT_QINT32 }} }} "
                       f"}} host_memory_arg: \"axis\"'", "ConcatV2")
    first = xs[0]._meta.shape
    n = len(first)
    axis = int(axis)
    if not -n <= axis < n:
        raise op_error(f"ConcatOp : Expected concatenating dimensions in the range [{-n}, {n}), "
                       f"but got {axis}", "ConcatV2")
    axis %= n
    for i, x in enumerate(xs[1:], 1):
        s = x._meta.shape
        if len(s) != n:
            raise op_error(f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                           f"{dims(first)} vs. shape[{i}] = {dims(s)}", "ConcatV2")
        for d in range(n):
            if d != axis and s[d] != first[d]:
                raise op_error(f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                               f"{dims(first)} vs. shape[{i}] = {dims(s)}", "ConcatV2")
    return _concat(*same_dtype(xs, "ConcatV2"), axis=axis)


@defined("stack", primitive=_stack)
def stack(values, axis=0, name="stack"):
    if not len(values) and axis == 0:  # TF tries convert_to_tensor(values) first
        return tensor([])
    xs = [tensor(v) for v in values]
    rank = xs[0].ndim + 1
    if not -rank <= axis < rank:  # TF's Python check, before Pack's
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank}, {rank})")
    shapes = {x._meta.shape for x in xs}
    if len(shapes) > 1:
        i = next(i for i, x in enumerate(xs) if x._meta.shape != xs[0]._meta.shape)
        raise op_error(f"Shapes of all inputs must match: values[0].shape = "
                       f"{dims(xs[0]._meta.shape)} != values[{i}].shape = "
                       f"{dims(xs[i]._meta.shape)}", "Pack")
    axis = single_axis(axis, xs[0].ndim + 1, "Pack")
    return _stack(*same_dtype(xs, "Pack"), axis=axis)
