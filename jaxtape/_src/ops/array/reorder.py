"""Reordering elements: `tf.transpose`, `tf.reverse`, `tf.roll`, `tf.reverse_sequence`."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import named_by, op_error
from jaxtape._src.ops.support.args import single_axis, static_shape, tensor
from jaxtape._src.ops.support.args import tensor as _as_tensor  # where TF's argument is `tensor`
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive

_transpose = Primitive(jnp.transpose, "Transpose")
_conj = Primitive(jnp.conj, "Conj")
_reverse = Primitive(jnp.flip, "ReverseV2")
_roll = Primitive(jnp.roll, "Roll")


def _first_repeat(axes):
    seen = set()
    for a in axes:
        if a in seen:
            return a
        seen.add(a)
    return None


@defined("transpose", primitive=_transpose)
def transpose(a, perm=None, conjugate=False, name="transpose"):
    x = tensor(a)
    named = named_by(perm)
    perm = tuple(reversed(range(x.ndim))) if perm is None else static_shape(perm)
    if len(perm) != x.ndim:
        raise op_error(f"transpose expects a vector of size {x.ndim}. But input(1) is a vector "
                       f"of size {len(perm)}", "Transpose", named)
    norm = tuple(p % x.ndim if -x.ndim <= p < x.ndim else p for p in perm)
    for i, p in enumerate(norm):
        if not 0 <= p < x.ndim:
            raise op_error(f"{perm[i]} is out of range [0 .. {x.ndim})", "Transpose", named)
    if sorted(norm) != list(range(x.ndim)):
        missing = next(i for i in range(x.ndim) if i not in norm)
        raise op_error(f"{missing} is missing from {{{','.join(map(str, norm))}}}.", "Transpose", named)
    out = _transpose(x, axes=norm)
    return _conj(out) if conjugate and x.dtype.is_complex else out


@defined("reverse", primitive=_reverse)
def reverse(tensor, axis, name=None):  # noqa: F811 - TF's argument name
    x = _as_tensor(tensor)
    named = named_by(axis)
    axes = static_shape(axis)
    out = []
    for i, a in enumerate(axes):
        if not -x.ndim <= a < x.ndim:
            raise op_error(f"'axis'[{i}] = {a} is out of valid range [0, {x.ndim - 1}", "ReverseV2", named)
        out.append(a % x.ndim)
    if len(set(out)) != len(out):
        raise op_error(f"axis {_first_repeat(out)} specified more than once.", "ReverseV2", named)
    return _reverse(x, axis=tuple(out))


@defined("roll", primitive=_roll)
def roll(input, shift, axis, name=None):  # noqa: A002 - TF's argument name
    x = tensor(input)
    named = named_by(shift, axis)
    shifts, axes = static_shape(shift), static_shape(axis)
    if len(shifts) != len(axes):
        raise op_error("shift and axis must have the same size", "Roll", named)
    for a in axes:
        if not -x.ndim <= a < x.ndim:
            raise op_error(f"axis {a} is out of range", "Roll", named)
    return _roll(x, shift=shifts, axis=tuple(a % x.ndim for a in axes))


@primitive(name="ReverseSequence")
def _reverse_sequence(x, lengths, *, seq_axis, batch_axis):
    n = x.shape[seq_axis]
    pos = jnp.arange(n)
    lengths = lengths.astype(pos.dtype)
    # src[b, t]: where output position t of batch row b reads from.
    src = jnp.where(pos[None, :] < lengths[:, None], lengths[:, None] - 1 - pos[None, :], pos[None, :])
    shape = [1] * x.ndim
    shape[batch_axis], shape[seq_axis] = x.shape[batch_axis], n
    order = sorted((batch_axis, seq_axis))
    src = src if order == [batch_axis, seq_axis] else src.T
    src = jnp.broadcast_to(jnp.reshape(src, shape), x.shape)
    return jnp.take_along_axis(x, src, axis=seq_axis)


@defined("reverse_sequence", primitive=_reverse_sequence)
def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    x = tensor(input)
    lengths = tensor(seq_lengths)
    seq_axis = single_axis(seq_axis, x.ndim, "ReverseSequence")
    batch_axis = single_axis(0 if batch_axis is None else batch_axis, x.ndim, "ReverseSequence")
    if seq_axis == batch_axis:
        raise op_error(f"seq_dim == batch_dim == {seq_axis}", "ReverseSequence")
    lens = lengths.numpy().reshape(-1)
    if lens.size != x._value.shape[batch_axis]:
        raise op_error(f"Length of seq_lengths != input.dims({batch_axis}), ({lens.size} vs. "
                       f"{x._value.shape[batch_axis]})", "ReverseSequence")
    if lens.size and lens.max() > x._value.shape[seq_axis]:
        raise op_error(f"seq_lens(0) > input.dims({seq_axis})", "ReverseSequence")
    return _reverse_sequence(x, lengths, seq_axis=seq_axis, batch_axis=batch_axis)
