"""`tf.strings.ngrams` and `tf.strings.unsorted_segment_join`, on the host bytes."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.strings.host import as_string_tensor
from jaxtape._src.ops.strings.text import _bytes, _text
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined


def _strings(items, shape=None) -> StringTensor:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    out = out.reshape(shape if shape is not None else (len(items),))
    out.flags.writeable = False
    return StringTensor(out)


def _row_ngrams(row, widths, sep, left, right, padding_width, preserve):
    """The ngrams of one sequence, width by width (TF's StringNGrams kernel order)."""
    out = []
    for w in widths:
        pad = 0 if left is None else (w - 1 if padding_width is None else min(padding_width, w - 1))
        seq = [left] * pad + list(row) + [right] * pad
        out.extend(sep.join(seq[i:i + w]) for i in range(len(seq) - w + 1))
    if preserve and not out and len(row):
        pad = 0 if left is None or padding_width is None else padding_width
        out.append(sep.join([left] * pad + list(row) + [right] * pad))
    return out


def _data(data):
    if isinstance(data, RaggedTensor):
        return data
    if isinstance(data, Tensor) and not isinstance(data, StringTensor):
        convert_to_tensor(data, dtype=dtypes.string, name="data")  # TF's ValueError
    return as_string_tensor(data)


@defined("strings.ngrams")
def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """Joined ngrams of the innermost dimension, for each width of `ngram_width` in turn."""
    data = _data(data)
    widths = list(ngram_width) if isinstance(ngram_width, (list, tuple)) else [ngram_width]
    if any(int(w) <= 0 for w in widths):
        raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    widths = [int(w) for w in widths]
    if pad_values is None:
        left = right = None
        if padding_width is not None:
            raise ValueError("pad_values must be provided if padding_width is set.")
    elif isinstance(pad_values, (str, bytes)):
        left = right = _bytes(pad_values)
    elif isinstance(pad_values, (tuple, list)):
        left, right = _bytes(pad_values[0]), _bytes(pad_values[1])
    else:
        raise TypeError("pad_values must be a string, tuple of strings, or None.")
    if padding_width is not None and padding_width < 1:
        raise ValueError("padding_width must be greater than 0.")
    sep = _bytes(separator)

    def rows(seqs):
        return [_row_ngrams(r, widths, sep, left, right, padding_width, preserve_short_sequences)
                for r in seqs]

    if isinstance(data, RaggedTensor):
        if data.ragged_rank > 1:
            return data.with_values(ngrams(data.values, ngram_width, separator, pad_values,
                                           padding_width, preserve_short_sequences))
        values = _text(data.values, "StringNGrams")
        s = np.asarray(data.row_splits.numpy())
        if values.ndim != 1:
            raise op_error(f"Last split value must be data size. Expected {s[-1]}, got "
                           f"{values.shape[0]}", "StringNGrams")
        out = rows([values[a:b].tolist() for a, b in zip(s[:-1], s[1:])])
        flat = _strings([g for r in out for g in r])
        return RaggedTensor.from_row_lengths(flat, np.array([len(r) for r in out],
                                                            data.row_splits.dtype.as_numpy_dtype))
    a = data._value
    if a.ndim == 0:
        raise ValueError("Data must have rank>0")
    out = rows([r.tolist() for r in a.reshape(-1, a.shape[-1])] if a.size else
               [[] for _ in range(int(np.prod(a.shape[:-1])))])
    count = len(out[0]) if out else len(_row_ngrams([b""] * a.shape[-1], widths, sep, left, right,
                                                    padding_width, preserve_short_sequences))
    return _strings([g for r in out for g in r], a.shape[:-1] + (count,))


@defined("strings.unsorted_segment_join")
def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """The strings of each segment joined with `separator`, in input order."""
    op = "UnsortedSegmentJoin"
    named = isinstance(inputs, Tensor) and isinstance(segment_ids, Tensor)  # TF's fast path
    a = _text(inputs, op)
    ids_t = convert_to_tensor(segment_ids)
    if ids_t.dtype not in (dtypes.int32, dtypes.int64):
        raise dtype_not_allowed(op, ids_t.dtype, "int32, int64", _SUMMARY, "Tindices", named)
    ids = host_array(ids_t, "tf.strings.unsorted_segment_join", "segment_ids")
    num = int(host_array(num_segments, "tf.strings.unsorted_segment_join", "num_segments"))
    if ids.ndim == 0:
        raise op_error("Segment_id cannot have rank 0", op, named)
    if num < 0:
        raise op_error(f"Number of segments must be non-negative but got {num}", op, named)
    for d in range(ids.ndim):
        if d >= a.ndim or ids.shape[d] != a.shape[d]:
            raise op_error(f"Segment dimension is {ids.shape[d]} while input dimension is {a.ndim} in "
                           f"rank {d}", op, named)
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        raise op_error("segment_ids are not allowed to exceed num_segments or to have negative "
                       "values.", op, named)
    inner = a.shape[ids.ndim:]
    rows = a.reshape((ids.size,) + inner)
    sep = _bytes(separator)
    out = np.empty((num,) + inner, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = []
    for k, seg in enumerate(ids.reshape(-1).tolist()):
        for idx in np.ndindex(inner):
            out[(seg,) + idx].append(rows[(k,) + idx])
    joined = np.empty(out.shape, dtype=object)
    for idx in np.ndindex(out.shape):
        joined[idx] = sep.join(out[idx])
    joined.flags.writeable = False
    return StringTensor(joined)


_SUMMARY = ("Op<name=UnsortedSegmentJoin; signature=inputs:string, segment_ids:Tindices, "
            "num_segments:Tnumsegments -> output:string; attr=separator:string,default=\"\"; "
            "attr=Tindices:type,allowed=[DT_INT32, DT_INT64]; attr=Tnumsegments:type,default=DT_INT32,"
            "allowed=[DT_INT32, DT_INT64]>")
