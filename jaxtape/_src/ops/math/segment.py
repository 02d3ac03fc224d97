"""Segment reductions, bincount and confusion_matrix.

Segment ids are checked eagerly on the host, as TF's kernels check them
(sorted ids for `segment_*`, ids below `num_segments` for the unsorted ones);
empty segments get TF's fill values: 0 for sorted max/min, the dtype's lowest
/ highest value for unsorted max/min, 1 for products, 0 for sums and means.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import kernel_dtype_name, op_error, tensor
from jaxtape._src.tape.primitive import Primitive

_SEGMENT = {"sum": jax.ops.segment_sum, "max": jax.ops.segment_max, "min": jax.ops.segment_min}


def _lowest(dtype):
    return jnp.finfo(dtype).min if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).min


def _highest(dtype):
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
    out = _SEGMENT[kind](flat, flat_ids, num_segments, indices_are_sorted=sorted_ids)
    if kind in ("max", "min"):
        fill = 0 if sorted_ids else (_lowest(flat.dtype) if kind == "max" else _highest(flat.dtype))
        out = jnp.where(count > 0, out, jnp.asarray(fill, flat.dtype))
    return out


_segment_prim = Primitive(_segment, "Segment")


def _index_tensor(ids, op, attr="Tindices"):
    ids = tensor(ids)
    if ids.dtype.name not in ("int32", "int64"):
        raise op_error(f"Value for attr '{attr}' of {kernel_dtype_name(ids.dtype)} is not in the list "
                       "of allowed values: int32, int64", op)
    return ids


def _sorted_segment(data, segment_ids, kind, op):
    data = tensor(data)
    math_kernels.check("SegmentSumV2" if kind in ("sum", "mean", "prod") else "SegmentMaxV2", data)
    ids = _index_tensor(segment_ids, op)
    if ids.ndim != 1:
        raise op_error("segment_ids should be a vector.", op)
    if data.ndim == 0 or ids._value.shape[0] != data._value.shape[0]:
        raise op_error("segment_ids should be the same size as dimension 0 of input.", op)
    host = np.asarray(ids._value)
    num = int(host[-1]) + 1 if host.size else 0
    if host.size and host[0] < 0:
        raise op_error(f"Segment id {host[0]} out of range [0, {num}), possibly because 'segment_ids' "
                       "input is not sorted.", op)
    if np.any(np.diff(host) < 0):
        raise op_error("segment ids are not increasing", op)
    return _segment_prim(data, ids, kind=kind, num_segments=num, sorted_ids=True)


def _unsorted_segment(data, segment_ids, num_segments, kind, op):
    data = tensor(data)
    math_kernels.check("UnsortedSegmentSum" if kind in ("sum", "mean", "sqrt_n") else
                       "UnsortedSegment" + kind.capitalize(), data)
    ids = _index_tensor(segment_ids, op)
    num = int(tensor(num_segments).numpy())
    ds, ishape = data._value.shape, ids._value.shape
    if ds[:len(ishape)] != ishape:
        raise op_error(f"data.shape = {_dims(ds)} does not start with segment_ids.shape = "
                       f"{_dims(ishape)}", op)
    host = np.asarray(ids._value).reshape(-1)
    over = np.nonzero(host >= num)[0]
    if over.size:
        raise op_error(f"segment_ids[{over[0]}] = {host[over[0]]} is out of range [0, {num})", op)
    # Negative ids drop their rows (JAX drops out-of-range indices too).
    return _segment_prim(data, ids, kind=kind, num_segments=num, sorted_ids=False)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _export_segments():
    for kind in ("sum", "mean", "max", "min", "prod"):
        op = "Segment" + kind.capitalize()

        def sorted_fn(data, segment_ids, name=None, kind=kind, op=op):
            return _sorted_segment(data, segment_ids, kind, op)

        sorted_fn.__name__ = f"segment_{kind}"
        sorted_fn.__doc__ = f"Segment {kind} over sorted `segment_ids` (one row per id up to the largest)."
        export(f"math.segment_{kind}")(sorted_fn)
        globals()[sorted_fn.__name__] = sorted_fn
    for kind in ("sum", "mean", "max", "min", "prod", "sqrt_n"):
        op = "UnsortedSegment" + "".join(p.capitalize() for p in kind.split("_"))

        def unsorted_fn(data, segment_ids, num_segments, name=None, kind=kind, op=op):
            return _unsorted_segment(data, segment_ids, num_segments, kind, op)

        unsorted_fn.__name__ = f"unsorted_segment_{kind}"
        unsorted_fn.__doc__ = (f"Segment {kind} into `num_segments` rows; ids need not be sorted, "
                               "negative ids are dropped.")
        export(f"math.unsorted_segment_{kind}")(unsorted_fn)
        globals()[unsorted_fn.__name__] = unsorted_fn


_export_segments()


# -- bincount ---------------------------------------------------------------------

def _bincount(arr, weights, *, length, dtype, per_row):
    if per_row:
        rows = jnp.arange(arr.shape[0])[:, None] * length
        flat = (arr + rows).reshape(-1)
        w = None if weights is None else weights.reshape(-1)
        valid = (arr < length).reshape(-1)
        counts = jnp.zeros(arr.shape[0] * length, dtype)
        add = jnp.ones_like(flat, dtype) if w is None else w.astype(dtype)
        counts = counts.at[jnp.where(valid, flat, arr.shape[0] * length)].add(add, mode="drop")
        return counts.reshape(arr.shape[0], length)
    flat = arr.reshape(-1)
    add = jnp.ones(flat.shape, dtype) if weights is None else weights.reshape(-1).astype(dtype)
    return jnp.zeros(length, dtype).at[flat].add(add, mode="drop")


_bincount_prim = Primitive(_bincount, "DenseBincount", differentiable=False)
_binarize = Primitive(lambda c: (c > 0).astype(c.dtype), "Binarize", differentiable=False)


@export("math.bincount")
def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None,
             axis=None, binary_output=False):
    """Counts of each value in `arr` (weighted sums with `weights`); axis -1 counts per row."""
    arr = tensor(arr)
    if not arr.dtype.is_integer:
        arr = tensor(np.asarray(arr._value).astype(np.int32))
    host = np.asarray(arr._value)
    if host.size and host.min() < 0:
        raise op_error("Input arr must be non-negative!", "DenseBincount")
    length = int(host.max()) + 1 if host.size else 0
    if minlength is not None:
        length = max(length, int(tensor(minlength).numpy()))
    if maxlength is not None:
        length = min(length, int(tensor(maxlength).numpy()))
    if weights is not None:
        weights = tensor(weights)
        dtype = weights.dtype
    out_dtype = dtypes.as_dtype(dtype).as_numpy_dtype
    per_row = axis is not None and axis in (-1, arr.ndim - 1) and arr.ndim == 2
    out = _bincount_prim(arr, weights, length=length, dtype=out_dtype, per_row=per_row)
    if binary_output:
        out = _binarize(out)
    return out


# -- confusion matrix -------------------------------------------------------------

def _confusion(labels, predictions, weights, *, num_classes, dtype):
    add = jnp.ones(labels.shape, dtype) if weights is None else weights.astype(dtype)
    return jnp.zeros((num_classes, num_classes), dtype).at[labels, predictions].add(add)


_confusion_prim = Primitive(_confusion, "ConfusionMatrix", differentiable=False)


@export("math.confusion_matrix")
def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32,
                     name=None):
    """Counts (or summed `weights`) of each (label, prediction) pair; rows are labels."""
    labels = tensor(np.asarray(tensor(labels)._value).astype(np.int64))
    predictions = tensor(np.asarray(tensor(predictions)._value).astype(np.int64))
    if labels._value.shape != predictions._value.shape:
        raise op_error(f"Shapes of all inputs must match: values[0].shape = {_dims(labels._value.shape)}"
                       f" != values[1].shape = {_dims(predictions._value.shape)}", "Pack")
    lab, pred = np.asarray(labels._value), np.asarray(predictions._value)
    for what, v in (("labels", lab), ("predictions", pred)):
        if v.size and v.min() < 0:
            raise InvalidArgumentError(None, None, f"`{what}` contains negative values.  ")
    if num_classes is None:
        num_classes = int(max(lab.max(initial=-1), pred.max(initial=-1))) + 1
    else:
        num_classes = int(tensor(num_classes).numpy())
        for what, v in (("labels", lab), ("predictions", pred)):
            if v.size and v.max() >= num_classes:
                raise InvalidArgumentError(None, None, f"`{what}` out of bound")
    w = None if weights is None else tensor(weights)
    return _confusion_prim(labels, predictions, w, num_classes=num_classes,
                           dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
