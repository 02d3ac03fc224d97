"""Order and uniqueness: `tf.sort`, `argsort`, `searchsorted`, `unique`, `unique_with_counts`."""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import host_array, single_axis, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

# TF's namedtuple result types (`Unique(y=..., idx=...)`).
_Unique = collections.namedtuple("Unique", ("y", "idx"))
_UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ("y", "idx", "count"))


def _check_direction(direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Argument `direction` should be one of ASCENDING, DESCENDING. "
                         f"Received: direction={direction}")


# Rows up to this long are sorted by insertion sort in TF's kernel (std::sort's threshold).
_INSERTION_SORT_MAX = 16


def _descending_order(key):
    """TF's TopKV2 order of a whole row (`k` = its length): std::sort by `>`,
    equal values by index. Without NaN that is a stable descending sort; a
    NaN compares false with everything, so it stays where std::sort's steps
    leave it: for rows of up to 16 (its insertion sort) those steps run here,
    only when a NaN is present; longer rows (introsort) put NaNs first."""
    n = key.shape[-1]
    stable = n - 1 - jnp.flip(jnp.argsort(jnp.flip(key, -1), axis=-1, stable=True), -1)
    if not jnp.issubdtype(key.dtype, jnp.floating) or not 1 < n <= _INSERTION_SORT_MAX:
        return stable
    return jax.lax.cond(jnp.any(jnp.isnan(key)), _insertion_order, lambda k: stable.astype(jnp.int32), key)


def _insertion_order(key):
    """The permutation libstdc++'s insertion sort makes of each row with `a` before `b` iff `b < a`."""
    n = key.shape[-1]
    j = jnp.arange(n)

    def insert(i, state):
        vals, idx = state
        v, vi = (jax.lax.dynamic_slice_in_dim(a, i, 1, axis=-1) for a in (vals, idx))
        moves = (vals < v) & (j < i)  # the earlier elements `v` would move left past
        # Past the first element: to the front; otherwise left until the first that it does not pass.
        stop = jnp.max(jnp.where(moves | (j >= i), -1, j), axis=-1, keepdims=True)
        pos = jnp.where(moves[..., :1], 0, stop + 1)
        shifted = (j > pos) & (j <= i)
        return tuple(jnp.where(j == pos, new, jnp.where(shifted, jnp.roll(a, 1, axis=-1), a))
                     for a, new in ((vals, v), (idx, vi)))

    idx = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32), key.shape)
    return jax.lax.fori_loop(1, n, insert, (key, idx))[1]


def _argsort_last(x, descending):
    """TF's order: ties keep their original order in both directions; TF sorts
    ascending as the descending order of `-x`, so NaNs sit where that puts them."""
    if descending:
        return _descending_order(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return _descending_order(-x)
    return jnp.argsort(x, axis=-1, stable=True)


@primitive(name="Sort")
def _sort(x, *, axis, descending):
    x = jnp.moveaxis(x, axis, -1)
    order = _argsort_last(jax.lax.stop_gradient(x), descending)
    if descending or not jnp.issubdtype(x.dtype, jnp.floating):
        out = jnp.take_along_axis(x, order, axis=-1)
    else:  # TF's -top_k(-x): its gradient, negated twice, gives -0 under a zero upstream
        out = -jnp.take_along_axis(-x, order, axis=-1)
    return jnp.moveaxis(out, -1, axis)


@primitive(name="Argsort", differentiable=False)
def _argsort(x, *, axis, descending):
    idx = _argsort_last(jnp.moveaxis(x, axis, -1), descending)
    return jnp.moveaxis(idx, -1, axis).astype(jnp.int32)


def _sort_args(values, axis, direction):
    _check_direction(direction)
    x = tensor(values)
    return x, dict(axis=single_axis(axis, x.ndim, "TopKV2"), descending=direction == "DESCENDING")


@defined("sort", primitive=_sort)
def sort(values, axis=-1, direction="ASCENDING", name=None):
    x, static = _sort_args(values, axis, direction)
    return _sort(x, **static)


@defined("argsort", primitive=_argsort)
def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    x, static = _sort_args(values, axis, direction)
    return _argsort(x, **static)


@primitive(name="SearchSorted", differentiable=False)
def _searchsorted(seq, values, *, side, dtype):
    flat_s = jnp.reshape(seq, (-1, seq.shape[-1]))
    flat_v = jnp.reshape(values, (-1, values.shape[-1]))
    out = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))(flat_s, flat_v)
    return jnp.reshape(out, values.shape).astype(dtype)


@defined("searchsorted", primitive=_searchsorted)
def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: `side` = {side}.")
    seq, vals = tensor(sorted_sequence), tensor(values)
    if seq._value.shape[:-1] != vals._value.shape[:-1]:
        raise op_error("Leading dim_size of both tensors must match.", "LowerBound"
                       if side == "left" else "UpperBound")
    return _searchsorted(seq, vals, side=side, dtype=dtypes.as_dtype(out_type).as_numpy_dtype)


def _unique_parts(x, out_idx, op):
    """(values, index of each input, counts), values in order of first appearance."""
    x = tensor(x)
    if x.ndim != 1:
        raise op_error("unique expects a 1D vector.", op)
    out_idx = dtypes.as_dtype(out_idx)
    if out_idx not in (dtypes.int32, dtypes.int64):
        raise dtype_not_allowed(op, out_idx, "int32, int64", attr="out_idx")
    values = host_array(x, f"tf.{op.lower().replace('uniquewithcounts', 'unique_with_counts')}",
                        "the size of its output")
    _, first, inverse, counts = np.unique(values, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first, kind="stable")  # TF lists values by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    y = Tensor(jnp.asarray(values[first[order]]))
    idx = Tensor(jnp.asarray(rank[inverse.reshape(-1)], dtype=out_idx.as_numpy_dtype))
    count = Tensor(jnp.asarray(counts[order], dtype=out_idx.as_numpy_dtype))
    return y, idx, count


@defined("unique")
def unique(x, out_idx=dtypes.int32, name=None):
    """(y, idx): distinct values in order of first appearance; TF defines no gradient."""
    y, idx, _ = _unique_parts(x, out_idx, "Unique")
    return _Unique(y, idx)


@defined("unique_with_counts")
def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    return _UniqueWithCounts(*_unique_parts(x, out_idx, "UniqueWithCounts"))
