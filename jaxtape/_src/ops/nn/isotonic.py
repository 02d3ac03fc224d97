"""`tf.nn.isotonic_regression`: the least-squares non-increasing (or, with
`decreasing=False`, non-decreasing) fit of each row along `axis`, and the
segment id of each element, by pool-adjacent-violators as TF's kernel runs
it: a new block merges into the one before while that one's mean is less
than its own (equal means stay apart). The output is each segment's mean of
the input, so its gradient is TF's: the incoming gradient averaged over
each segment. Float16/bfloat16/float32 stay, int8/int16 give float32, the
rest float64; segments are int32.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.array.reorder import transpose
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.math.unary import negative
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_PROMOTIONS = {"float32": dtypes.float32, "float16": dtypes.float16, "bfloat16": dtypes.bfloat16,
               "int8": dtypes.float32, "int16": dtypes.float32}


def _row_segments(y):
    """Pool-adjacent-violators on one row: each element's block id."""
    n = y.shape[0]
    zero = jnp.zeros((n,), y.dtype)

    def push(i, state):
        sums, counts, starts, top = state
        s, c, start = y[i], jnp.ones((), y.dtype), i

        def violated(st):
            sums, counts, starts, top, s, c, start = st
            return (top > 0) & (sums[jnp.maximum(top - 1, 0)] / counts[jnp.maximum(top - 1, 0)] < s / c)

        def merge(st):
            sums, counts, starts, top, s, c, start = st
            j = top - 1
            return sums, counts, starts, j, s + sums[j], c + counts[j], starts[j]

        sums, counts, starts, top, s, c, start = lax.while_loop(
            violated, merge, (sums, counts, starts, top, s, c, start))
        return sums.at[top].set(s), counts.at[top].set(c), starts.at[top].set(start), top + 1

    _, _, starts, top = lax.fori_loop(0, n, push, (zero, zero, jnp.zeros((n,), jnp.int32), jnp.int32(0)))
    marks = jnp.zeros((n,), jnp.int32).at[jnp.where(jnp.arange(n) < top, starts, n)].set(1, mode="drop")
    return jnp.cumsum(marks) - 1


@primitive(name="IsotonicRegressionSegments", differentiable=False)
def _segments(x):
    if x.shape[-1] == 0:
        return jnp.zeros(x.shape, jnp.int32)
    return jax.vmap(_row_segments)(x).astype(jnp.int32)


@primitive(name="IsotonicRegression")
def _segment_means(x, seg):
    n = x.shape[-1]

    def row(v, s):
        total = jax.ops.segment_sum(v, s, num_segments=n)
        count = jax.ops.segment_sum(jnp.ones_like(v), s, num_segments=n)
        return (total / jnp.maximum(count, 1))[s]

    return jax.vmap(row)(x, seg)


def _decreasing_fit(matrix):
    seg = _segments(matrix)
    return _segment_means(matrix, seg), seg


@defined("nn.isotonic_regression")
def isotonic_regression(inputs, decreasing=True, axis=-1):
    """(output, segments): the isotonic fit of each slice along `axis`."""
    x = tensor(inputs)
    out_dtype = _PROMOTIONS.get(x.dtype.name, dtypes.float64)
    if x.dtype != out_dtype:
        x = tensor(x._value.astype(out_dtype.as_numpy_dtype))  # TF's kernel converts; no gradient flows
    rank = x.ndim
    if rank == 0:
        raise ValueError("isotonic_regression needs an input of rank 1 or more")
    axis = axis + rank if axis < 0 else axis
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    moved = transpose(x, perm) if axis != rank - 1 else x
    shape = tuple(moved._meta.shape)
    matrix = reshape(moved, [int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]])
    if decreasing:
        out, seg = _decreasing_fit(matrix)
    else:
        out, seg = _decreasing_fit(negative(matrix))
        out = negative(out)
    out, seg = reshape(out, list(shape)), reshape(seg, list(shape))
    if axis != rank - 1:
        out, seg = transpose(out, perm), transpose(seg, perm)
    return out, seg
