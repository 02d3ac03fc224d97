"""Segment reductions (`tf.math.segment_sum`, `tf.math.unsorted_segment_max`, ...).

Segment ids are checked eagerly on the host, as TF's kernels check them
(sorted ids for `segment_*`, ids below `num_segments` for the unsorted ones);
empty segments get TF's fill values: 0 for sorted max/min, the dtype's lowest
/ highest value for unsorted max/min, 1 for products, 0 for sums and means.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.messages import dims, dtype_not_allowed, named_by, op_error
from jaxtape._src.ops.math.tf_gradients import with_tangent
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import host_array, host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_SEGMENT = {"sum": jax.ops.segment_sum, "max": jax.ops.segment_max, "min": jax.ops.segment_min}


def _finite_lowest(dtype):
    return jnp.finfo(dtype).min if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).min


def _finite_highest(dtype):
    return jnp.finfo(dtype).max if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).max


def _segment(data, ids, *, kind, num_segments, sorted_ids):
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.shape[0],) + data.shape[ids.ndim:])
    count = jax.ops.segment_sum(jnp.ones_like(flat_ids), flat_ids, num_segments)
    count = count.reshape(count.shape + (1,) * (flat.ndim - 1))
    if kind in ("mean", "sqrt_n"):
        total = jax.ops.segment_sum(flat, flat_ids, num_segments, indices_are_sorted=sorted_ids)
        denom = jnp.maximum(count, 1).astype(flat.dtype)
        return total / (denom if kind == "mean" else jnp.sqrt(denom))
    if kind == "prod":
        # A masked dense product: JAX's segment_prod has no gradient for repeated ids.
        member = flat_ids[None, :] == jnp.arange(num_segments)[:, None]
        member = member.reshape(member.shape + (1,) * (flat.ndim - 1))
        return jnp.prod(jnp.where(member, flat[None], jnp.ones((), flat.dtype)), axis=1)
    if kind in ("max", "min"):
        if jnp.issubdtype(flat.dtype, jnp.floating):
            return _extreme(kind, num_segments, sorted_ids)(flat, flat_ids)
        return _extreme_value(flat, flat_ids, kind, num_segments, sorted_ids)
    return _SEGMENT[kind](flat, flat_ids, num_segments, indices_are_sorted=sorted_ids)


def _extreme_value(flat, flat_ids, kind, num_segments, sorted_ids):
    """TF's segment max (min): NaN rows skipped unless a segment holds only NaN; the
    unsorted kernels start from the dtype's lowest (highest) value, so an all -inf
    segment gives that; empty segments get the fill value."""
    floating = jnp.issubdtype(flat.dtype, jnp.floating)
    nan = jnp.isnan(flat) if floating else None
    data = jnp.where(nan, -jnp.inf if kind == "max" else jnp.inf, flat) if floating else flat
    out = _SEGMENT[kind](data, flat_ids, num_segments, indices_are_sorted=sorted_ids)
    count = _segment_count(flat_ids, num_segments, out.ndim)
    if not sorted_ids:
        out = (jnp.maximum(out, _finite_lowest(flat.dtype)) if kind == "max"
               else jnp.minimum(out, _finite_highest(flat.dtype)))
    if floating:
        if not sorted_ids:  # on ties the unsorted kernels keep the later row (0 after -0)
            rows = jnp.arange(flat.shape[0]).reshape((-1,) + (1,) * (flat.ndim - 1))
            tie = flat == jnp.take(out, flat_ids, axis=0, mode="fill", fill_value=jnp.nan)
            last = jax.ops.segment_max(jnp.where(tie, rows, -1), flat_ids, num_segments)
            out = jnp.where(last >= 0, jnp.take_along_axis(flat, jnp.maximum(last, 0), axis=0), out)
        numbers = _segment_count(flat_ids, num_segments, out.ndim, ~nan)
        out = jnp.where((count > 0) & (numbers == 0), jnp.nan, out)
    fill = 0 if sorted_ids else (_finite_lowest(flat.dtype) if kind == "max" else _finite_highest(flat.dtype))
    return jnp.where(count > 0, out, jnp.asarray(fill, flat.dtype))


def _segment_count(flat_ids, num_segments, ndim, member=None):
    """Rows per segment (those where `member`), shaped to broadcast against the output."""
    ones = jnp.ones(flat_ids.shape, jnp.int32) if member is None else member.astype(jnp.int32)
    count = jax.ops.segment_sum(ones, flat_ids, num_segments)
    return count.reshape(count.shape + (1,) * (ndim - count.ndim))


@functools.lru_cache(maxsize=None)
def _extreme(kind, num_segments, sorted_ids):
    """Float segment max (min) with TF's gradient (_SegmentMinOrMaxGrad): the upstream
    split evenly among the rows equal to their segment's result; NaN rows get none."""
    def value(flat, flat_ids):
        return _extreme_value(flat, flat_ids, kind, num_segments, sorted_ids)

    def tangent(primals, tangents, out):
        flat, flat_ids = primals
        # Dropped (negative) ids gather NaN, which equals no row.
        picked = jnp.take(out, flat_ids, axis=0, mode="fill", fill_value=jnp.nan)
        selected = flat == picked
        num = jax.ops.segment_sum(selected.astype(flat.dtype), flat_ids, num_segments)
        total = jax.ops.segment_sum(jnp.where(selected, tangents[0], 0), flat_ids, num_segments)
        return total / num

    return with_tangent(value, tangent)


_segment_prim = Primitive(_segment, "Segment")


def _index_tensor(ids, op):
    ids = tensor(ids)
    if ids.dtype.name not in ("int32", "int64"):
        raise dtype_not_allowed(op, ids.dtype, "int32, int64", attr="Tindices")
    return ids


def _sorted_segment(data, segment_ids, kind, op):
    data = tensor(data)
    named = named_by(data, segment_ids)
    kernel_dtypes.check("SegmentSumV2" if kind in ("sum", "mean", "prod") else "SegmentMaxV2", data)
    ids = _index_tensor(segment_ids, op)
    if ids.ndim != 1:
        raise op_error("segment_ids should be a vector.", op, named)
    if data.ndim == 0 or ids._value.shape[0] != data._value.shape[0]:
        raise op_error("segment_ids should be the same size as dimension 0 of input.", op, named)
    host = host_array(ids, op, "the number of segments (the largest segment id)")
    num = int(host[-1]) + 1 if host.size else 0
    if host.size and host[0] < 0:
        raise op_error(f"Segment id {host[0]} out of range [0, {num}), possibly because 'segment_ids' "
                       "input is not sorted.", op, named)
    if np.any(np.diff(host) < 0):
        raise op_error("segment ids are not increasing", op, named)
    return _segment_prim(data, ids, kind=kind, num_segments=num, sorted_ids=True)


def _unsorted_segment(data, segment_ids, num_segments, kind, op, kernel):
    data = tensor(data)
    named = named_by(data, segment_ids)
    kernel_dtypes.check(kernel, data)
    ids = _index_tensor(segment_ids, op)
    num = host_int(num_segments, op)
    ds, ishape = data._value.shape, ids._value.shape
    if ds[:len(ishape)] != ishape:
        raise op_error(f"data.shape = {dims(ds)} does not start with segment_ids.shape = "
                       f"{dims(ishape)}", op, named)
    # Inside tf.function traced ids are checked by nothing (XLA drops out-of-range rows).
    host = None if isinstance(ids._value, jax.core.Tracer) else np.asarray(ids._value).reshape(-1)
    over = () if host is None else np.nonzero(host >= num)[0]
    if len(over):
        raise op_error(f"segment_ids[{over[0]}] = {host[over[0]]} is out of range [0, {num})", op, named)
    # Negative ids drop their rows (JAX drops out-of-range indices too).
    return _segment_prim(data, ids, kind=kind, num_segments=num, sorted_ids=False)


# -- sorted ids: one output row per id up to the largest ------------------------------

@defined("math.segment_sum", primitive=_segment_prim)
def segment_sum(data, segment_ids, name=None):
    """Sum of the rows of each segment; `segment_ids` sorted."""
    return _sorted_segment(data, segment_ids, "sum", "SegmentSum")


@defined("math.segment_mean", primitive=_segment_prim)
def segment_mean(data, segment_ids, name=None):
    """Mean of the rows of each segment; `segment_ids` sorted."""
    return _sorted_segment(data, segment_ids, "mean", "SegmentMean")


@defined("math.segment_max", primitive=_segment_prim)
def segment_max(data, segment_ids, name=None):
    """Maximum of the rows of each segment (0 for an empty one); `segment_ids` sorted."""
    return _sorted_segment(data, segment_ids, "max", "SegmentMax")


@defined("math.segment_min", primitive=_segment_prim)
def segment_min(data, segment_ids, name=None):
    """Minimum of the rows of each segment (0 for an empty one); `segment_ids` sorted."""
    return _sorted_segment(data, segment_ids, "min", "SegmentMin")


@defined("math.segment_prod", primitive=_segment_prim)
def segment_prod(data, segment_ids, name=None):
    """Product of the rows of each segment; `segment_ids` sorted."""
    return _sorted_segment(data, segment_ids, "prod", "SegmentProd")


# -- unsorted ids: `num_segments` output rows, negative ids dropped --------------------

@defined("math.unsorted_segment_sum", primitive=_segment_prim)
def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sum of the rows of each segment, into `num_segments` rows."""
    return _unsorted_segment(data, segment_ids, num_segments, "sum", "UnsortedSegmentSum",
                             "UnsortedSegmentSum")


@defined("math.unsorted_segment_mean", primitive=_segment_prim)
def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Mean of the rows of each segment, into `num_segments` rows."""
    return _unsorted_segment(data, segment_ids, num_segments, "mean", "UnsortedSegmentMean",
                             "UnsortedSegmentSum")


@defined("math.unsorted_segment_sqrt_n", primitive=_segment_prim)
def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Sum of the rows of each segment over sqrt(its size), into `num_segments` rows."""
    return _unsorted_segment(data, segment_ids, num_segments, "sqrt_n", "UnsortedSegmentSqrtN",
                             "UnsortedSegmentSum")


@defined("math.unsorted_segment_max", primitive=_segment_prim)
def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Maximum of the rows of each segment (the dtype's lowest for an empty one)."""
    return _unsorted_segment(data, segment_ids, num_segments, "max", "UnsortedSegmentMax",
                             "UnsortedSegmentMax")


@defined("math.unsorted_segment_min", primitive=_segment_prim)
def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Minimum of the rows of each segment (the dtype's highest for an empty one)."""
    return _unsorted_segment(data, segment_ids, num_segments, "min", "UnsortedSegmentMin",
                             "UnsortedSegmentMin")


@defined("math.unsorted_segment_prod", primitive=_segment_prim)
def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Product of the rows of each segment (1 for an empty one), into `num_segments` rows."""
    return _unsorted_segment(data, segment_ids, num_segments, "prod", "UnsortedSegmentProd",
                             "UnsortedSegmentProd")
