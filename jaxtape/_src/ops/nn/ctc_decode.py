"""CTC decoders: `tf.nn.ctc_greedy_decoder` and `tf.nn.ctc_beam_search_decoder`
(and their compat.v1 forms), on the host.

Their outputs' sizes depend on the values (TF's kernels run on the CPU too),
so they are NumPy loops returning `SparseTensor`s with int64 indices
[batch, position] and values, as TF's. The blank is the last class unless
the greedy decoder is given `blank_index`. TF registers no gradient for
either: the log probabilities have none.

The beam search is TF's prefix beam search (its CTCBeamSearchDecoder): a tree
of label prefixes, each with the log probabilities of ending in a blank and
in its last label, the beam a top-`beam_width` set of leaves. Its visits,
prunings and container orders are TF's, so pruned beams and equally likely
paths come out as TF's do.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.messages import dtype_mismatch, dtype_not_allowed, named_by, op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined

_GREEDY = "CTCGreedyDecoder"
_BEAM = "CTCBeamSearchDecoder"
_SUMMARY = {
    _GREEDY: "Op<name=CTCGreedyDecoder; signature=inputs:T, sequence_length:int32 -> decoded_indices:"
             "int64, decoded_values:int64, decoded_shape:int64, log_probability:T; attr=merge_repeated:"
             "bool,default=false; attr=blank_index:int,default=-1; attr=T:type,default=DT_FLOAT,"
             "allowed=[DT_FLOAT, DT_DOUBLE]>",
    _BEAM: "Op<name=CTCBeamSearchDecoder; signature=inputs:T, sequence_length:int32 -> decoded_indices:"
           "top_paths*int64, decoded_values:top_paths*int64, decoded_shape:top_paths*int64, "
           "log_probability:T; attr=beam_width:int,min=1; attr=top_paths:int,min=1; attr=merge_repeated:"
           "bool,default=true; attr=T:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_DOUBLE]>",
}
_FLOATS = (dtypes.float32, dtypes.float64)


def _inputs(inputs, sequence_length, op):
    """TF's conversion and checks: (logits [T,B,C] as NumPy, dtype, lengths [B],
    whether TF's errors end in ` name: `)."""
    named = named_by(inputs, sequence_length)
    if isinstance(inputs, Tensor) or hasattr(inputs, "_read_for_op"):
        x = tensor(inputs)
    elif named:  # TF's fast path converts a NumPy value to the op's default, float32
        x = tensor(inputs, dtypes.float32)
    else:  # its slow path keeps a float or double value's dtype, else makes float32
        x = tensor(inputs)
        if x.dtype not in _FLOATS:
            x = tensor(inputs, dtypes.float32)
    if x.dtype not in _FLOATS:
        raise dtype_not_allowed(op, x.dtype, "float, double", _SUMMARY[op], named=named)
    n = tensor(sequence_length) if isinstance(sequence_length, Tensor) else \
        tensor(sequence_length, dtypes.int32)
    if n.dtype != dtypes.int32:
        raise dtype_mismatch(op, 1, dtypes.int32, n.dtype)
    shape = x._meta.shape
    if len(shape) != 3:
        raise op_error("inputs is not a 3-Tensor", op, named)
    if 0 in shape:
        raise op_error("inputs must not be empty", op, named)
    if n.ndim != 1:
        raise op_error("sequence_length is not a vector", op, named)
    max_time, batch = shape[0], shape[1]
    if n._meta.shape[0] != batch:
        raise FailedPreconditionError(
            None, None, f"len(sequence_length) != batch_size.  len(sequence_length):  "
            f"{n._meta.shape[0]} batch_size: {batch} [Op:{op}]" + (" name: " if named else ""))
    lengths = host_array(n, f"tf.nn.{op}", "its sequence lengths").reshape(-1)
    for b, t in enumerate(lengths):
        if t > max_time:
            raise FailedPreconditionError(None, None, f"sequence_length({b}) <= {max_time} [Op:{op}]"
                                          + (" name: " if named else ""))
    return host_array(x, f"tf.nn.{op}", "its inputs"), x.dtype, lengths, named


def _sparse(sequences) -> SparseTensor:
    """Decoded label sequences (one per batch element) as TF's SparseTensor."""
    indices = [(b, t) for b, seq in enumerate(sequences) for t in range(len(seq))]
    values = [v for seq in sequences for v in seq]
    width = max((len(s) for s in sequences), default=0)
    return SparseTensor(Tensor(jnp.asarray(np.array(indices, np.int64).reshape(-1, 2))),
                        Tensor(jnp.asarray(np.array(values, np.int64))),
                        Tensor(jnp.asarray(np.array([len(sequences), width], np.int64))))


def _greedy(x, lengths, merge_repeated, blank):
    """Best path per batch element: each frame's first maximum, blanks dropped."""
    max_time, batch, classes = x.shape
    # TF's row maximum: the first index greater than every earlier one, so a
    # NaN is never taken after the first column (nor beaten there).
    masked = np.where(np.isnan(x), -np.inf, x)
    best = np.where(np.isnan(x[..., 0]), 0, np.argmax(masked, axis=-1))
    score = np.zeros(batch, x.dtype)
    sequences = []
    for b in range(batch):
        seq, prev = [], -1
        for t in range(max(int(lengths[b]), 0)):
            c = int(best[t, b])
            if c != blank and not (merge_repeated and c == prev):
                seq.append(c)
            prev = c
        sequences.append(seq)
    for t in range(max_time):  # summed frame by frame in the input's precision, as TF
        score = np.where(t < lengths, score - x[t, np.arange(batch), best[t]], score).astype(x.dtype)
    return sequences, score[:, None]


@defined("nn.ctc_greedy_decoder", "compat.v1.nn.ctc_greedy_decoder")
def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Greedy (best path) decoding of time-major logits [max_time, batch, classes]:
    ([SparseTensor of labels], -sum of each frame's largest logit [batch, 1])."""
    x, dtype, lengths, named = _inputs(inputs, sequence_length, _GREEDY)
    classes = x.shape[2]
    given = -1 if blank_index is None else int(blank_index)
    blank = given + classes if given < 0 else given
    if not 0 <= blank < classes:
        raise op_error(f"blank_index expected to be between {-classes} and {classes - 1} but was "
                       f"{given}", _GREEDY, named)
    sequences, score = _greedy(x, lengths, bool(merge_repeated), blank)
    return [_sparse(sequences)], Tensor(jnp.asarray(score.astype(dtype.as_numpy_dtype)))


# -- beam search ---------------------------------------------------------------------
#
# TF keeps the beam in a gtl::TopN over a std::vector ordered by libstdc++'s
# heap and sort algorithms: which of two equally likely prefixes stays in the
# beam, and the order of equally likely paths returned, follow from them. So
# those algorithms are written out below (on TF's "greater" comparison of
# totals), probed against TF on tied inputs; the arithmetic rounds to the
# input's precision after every operation, as TF's float or double code.

def _better(a, b):
    return a.new[0] > b.new[0]


def _push_heap(v, hole, top, value):
    parent = (hole - 1) // 2
    while hole > top and _better(v[parent], value):
        v[hole] = v[parent]
        hole, parent = parent, (parent - 1) // 2
    v[hole] = value


def _adjust_heap(v, hole, n, value):
    top, child = hole, hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if _better(v[child], v[child - 1]):
            child -= 1
        v[hole], hole = v[child], child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        v[hole], hole = v[child - 1], child - 1
    _push_heap(v, hole, top, value)


def _make_heap(v, n):
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(v, parent, n, v[parent])


def _pop_heap(v, n):
    """Moves the heap's top (the worst entry) of v[:n] to v[n - 1]."""
    if n > 1:
        value, v[n - 1] = v[n - 1], v[0]
        _adjust_heap(v, 0, n - 1, value)


def _sort_heap(v, n):
    while n > 1:
        _pop_heap(v, n)
        n -= 1


def _linear_insert(v, i):
    value = v[i]
    while _better(value, v[i - 1]):
        v[i] = v[i - 1]
        i -= 1
    v[i] = value


def _insertion_sort(v, lo, hi):
    for i in range(lo + 1, hi):
        if _better(v[i], v[lo]):
            v[lo + 1:i + 1], v[lo] = v[lo:i], v[i]
        else:
            _linear_insert(v, i)


def _median_to_first(v, result, a, b, c):
    if _better(v[a], v[b]):
        pick = b if _better(v[b], v[c]) else c if _better(v[a], v[c]) else a
    else:
        pick = a if _better(v[a], v[c]) else c if _better(v[b], v[c]) else b
    v[result], v[pick] = v[pick], v[result]


def _partition(v, lo, hi, pivot):
    while True:
        while _better(v[lo], v[pivot]):
            lo += 1
        hi -= 1
        while _better(v[pivot], v[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        v[lo], v[hi] = v[hi], v[lo]
        lo += 1


def _introsort(v, lo, hi, depth):
    while hi - lo > 16:
        if depth == 0:  # partial_sort over the range: heap select, then sort_heap
            part = v[lo:hi]
            _make_heap(part, len(part))
            _sort_heap(part, len(part))
            v[lo:hi] = part
            return
        depth -= 1
        _median_to_first(v, lo, lo + 1, lo + (hi - lo) // 2, hi - 1)
        cut = _partition(v, lo + 1, hi, lo)
        _introsort(v, cut, hi, depth)
        hi = cut


def _sort(v):
    """std::sort, best first."""
    n = len(v)
    if n < 2:
        return
    _introsort(v, 0, n, 2 * (n.bit_length() - 1))
    if n > 16:
        _insertion_sort(v, 0, 16)
        for i in range(16, n):
            _linear_insert(v, i)
    else:
        _insertion_sort(v, 0, n)


class _TopN:
    """TF's gtl::TopN: at most `limit` entries; an unordered vector until a
    `limit + 1`th arrives, then a heap with the worst entry first (which a
    better newcomer replaces). Its orders are TF's, so are its ties."""

    def __init__(self, limit):
        self.limit, self.items, self.state = limit, [], "unordered"

    def size(self):
        return len(self.items)

    def push(self, e):
        v = self.items
        if self.state != "heap":
            v.append(e)
            if self.state != "unordered" and not _better(v[-1], v[0]):
                v[0], v[-1] = v[-1], v[0]  # keep the known bottom first
            if len(v) == self.limit + 1:
                _make_heap(v, len(v))
                _pop_heap(v, len(v))
                v.pop()
                self.state = "heap"
        elif _better(e, v[0]):
            _pop_heap(v, len(v))
            v[-1] = e
            _push_heap(v, len(v) - 1, 0, e)

    def bottom(self):
        v = self.items
        if self.state == "unordered":
            worst = 0
            for i in range(1, len(v)):
                if _better(v[worst], v[i]):
                    worst = i
            v[0], v[worst] = v[worst], v[0]
            self.state = "bottom known"
        return v[0]

    def unsorted(self):
        return list(self.items)

    def extract(self):
        """The entries, best first; the set is left empty."""
        out, self.items = self.items, []
        if self.state != "heap":
            _sort(out)
        else:
            _sort_heap(out, len(out))
        self.state = "unordered"
        return out


def _rounding(dtype):
    return float if dtype == dtypes.float64 else _f32


def _f32(v):
    return float(np.float32(v))


def _log_add(a, b, r):
    """TF's LogSumExp of two log probabilities: exact when either is log 0, and
    its log1p(exp(difference)) in float precision even for double inputs."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    if a > b:
        return r(a + _f32(math.log1p(_f32(math.exp(_f32(b - a))))))
    return r(b + _f32(math.log1p(_f32(math.exp(_f32(a - b))))))


class _Entry:
    """A prefix in the beam tree: log P(prefix) as [total, ending in a blank,
    ending in its last label], now (`new`) and at the previous frame (`old`)."""

    __slots__ = ("parent", "label", "children", "new", "old")

    def __init__(self, parent, label):
        self.parent, self.label, self.children = parent, label, {}
        self.new = [-math.inf, -math.inf, -math.inf]
        self.old = [-math.inf, -math.inf, -math.inf]

    def active(self):
        return self.new[0] != -math.inf

    def child(self, label):
        c = self.children.get(label)
        if c is None:
            c = self.children[label] = _Entry(self, label)
        return c

    def labels(self, merge_repeated):
        out, prev, e = [], -1, self
        while e.parent is not None:
            if not merge_repeated or e.label != prev:
                out.append(e.label)
            prev, e = e.label, e.parent
        return out[::-1]


def _beam_step(leaves, row, width, r):
    """One frame: TF's update of the beam's prefixes, then their extensions."""
    blank = len(row) - 1
    top = max(row)
    total = 0.0
    for v in row:
        total = r(total + r(math.exp(r(v - top))))
    offset = r(top + r(math.log(total)))  # log-softmax: logit - offset
    branches = leaves.extract()
    for b in branches:
        b.old = list(b.new)
    for b in branches:
        if b.parent is not None:
            if b.parent.active():
                parent = b.parent.old
                previous = parent[1] if b.label == b.parent.label else parent[0]
                b.new[2] = _log_add(b.new[2], previous, r)
            b.new[2] = r(b.new[2] + r(row[b.label] - offset))
        b.new[1] = r(r(b.old[0] + row[blank]) - offset)
        b.new[0] = _log_add(b.new[1], b.new[2], r)
        leaves.push(b)

    def candidate(p):
        return p > -math.inf and (leaves.size() < width or p > leaves.bottom().new[0])

    for b in branches:
        if not candidate(b.old[0]):
            continue
        for label in range(blank):
            c = b.child(label)
            if c.active():
                continue
            previous = b.old[1] if label == b.label else b.old[0]
            p = r(r(row[label] - offset) + previous)
            c.new = [p, -math.inf, p]
            if candidate(p):
                if leaves.size() == width:  # the worst leaf leaves the beam
                    leaves.bottom().new = [-math.inf] * 3
                leaves.push(c)
            else:
                c.old, c.new = [-math.inf] * 3, [-math.inf] * 3


def _beam_search(x, dtype, lengths, width, top_paths, merge_repeated, named):
    max_time, batch, classes = x.shape
    r = _rounding(dtype)
    paths = [[] for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths))
    for b in range(batch):
        root = _Entry(None, -1)
        root.new = [0.0, 0.0, -math.inf]
        leaves = _TopN(width)
        leaves.push(root)
        for t in range(max(int(lengths[b]), 0)):
            _beam_step(leaves, x[t, b].tolist(), width, r)
        if top_paths > width:
            raise op_error("requested more paths than the beam width.", _BEAM, named)
        if top_paths > leaves.size():
            raise op_error("Less leaves in the beam search than requested.", _BEAM, named)
        best = _TopN(top_paths)
        for e in leaves.unsorted():
            best.push(e)
        for p, e in enumerate(best.extract()):
            paths[p].append(e.labels(merge_repeated))
            scores[b, p] = e.new[0]
    return paths, scores


def _beam_attrs(beam_width, top_paths, named):
    for attr, value in (("beam_width", beam_width), ("top_paths", top_paths)):
        if int(value) < 1:
            raise op_error(f"Value for attr '{attr}' of {int(value)} must be at least minimum 1\n\t; "
                           f"NodeDef: {{{{node {_BEAM}}}}}; {_SUMMARY[_BEAM]}", _BEAM, named)
    return int(beam_width), int(top_paths)


def _beam_decoder(inputs, sequence_length, beam_width, top_paths, merge_repeated):
    x, dtype, lengths, named = _inputs(inputs, sequence_length, _BEAM)
    width, top = _beam_attrs(beam_width, top_paths, named)
    paths, scores = _beam_search(x, dtype, lengths, width, top, merge_repeated, named)
    return ([_sparse(p) for p in paths],
            Tensor(jnp.asarray(scores.astype(dtype.as_numpy_dtype))))


@defined("nn.ctc_beam_search_decoder", "compat.v1.nn.ctc_beam_search_decoder_v2")
def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """Beam search decoding of time-major logits [max_time, batch, classes], the
    last class the blank: (top_paths SparseTensors, best first; their log
    probabilities [batch, top_paths])."""
    return _beam_decoder(inputs, sequence_length, beam_width, top_paths, False)


@defined("compat.v1.nn.ctc_beam_search_decoder")
def ctc_beam_search_decoder_v1(inputs, sequence_length, beam_width=100, top_paths=1,
                               merge_repeated=True):
    """TF 1's beam search decoder; `merge_repeated` also merges repeated labels
    of a beam's output (which TF 2 drops: it returns less likely paths)."""
    return _beam_decoder(inputs, sequence_length, beam_width, top_paths, bool(merge_repeated))
