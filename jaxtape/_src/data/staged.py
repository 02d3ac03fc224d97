"""A dataset or iterator read inside `tf.function`: its elements fed per call.

TF runs a dataset's iteration inside the compiled function at every call.
jaxtape reads the elements on the host when the compiled function is
called and feeds them to it (`compile/feeds.py`): `for x in ds` scans over
a whole pass (`compile/autograph/dataset_loop.py`), `next(iterator)` takes
one element per call. Tracing does not consume elements: what it reads is
what the first call gets.
"""
from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src.compile import feeds
from jaxtape._src.framework.errors import NotImplementedInJaxtape, OutOfRangeError
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.data import options as _options
from jaxtape._src.data.structure import host_array

_END = "End of sequence [Op:IteratorGetNext] name: "
_BLOCK = 4096
_MANY_GETS = 32  # TF's threshold for a Python `for` over a dataset without AutoGraph
_MANY_GETS_ERROR = (
    "An unusually high number of `tf.data.Iterator.get_next()` calls was detected. This "
    "suggests that the `for elem in dataset: ...` idiom is used within tf.function with "
    "AutoGraph disabled. This idiom is only supported when AutoGraph is enabled.")


def _check_tensors(structure):
    for spec in structure.specs:
        if not hasattr(spec, "shape"):
            raise NotImplementedInJaxtape(
                "jaxtape does not implement iterating a dataset of datasets inside tf.function")


def _stacked_pass(dataset, elements):
    """A pass as stacked runs: the flat list of each run's stacked leaves.

    Consecutive elements of equal shapes share a run; an indexable source
    is stacked in blocks without a loop over its elements."""
    if elements is None:
        blocks = dataset._blocks(_BLOCK)
        if blocks is not None:
            blocks = list(blocks)
            if not blocks:
                return []
            return [np.concatenate([host_array(b[j]) for b in blocks])
                    for j in range(len(blocks[0]))]
        elements = dataset._iter()
    runs = []
    for leaves in elements:
        leaves = [host_array(leaf) for leaf in leaves]
        shapes = [leaf.shape for leaf in leaves]
        if runs and runs[-1][0] == shapes:
            runs[-1][1].append(leaves)
        else:
            runs.append((shapes, [leaves]))
    return [np.stack([e[j] for e in elems]) for _, elems in runs for j in range(len(elems[0]))]


def runs(owner, dataset, elements=None):
    """`_staged_runs()` of a dataset (or of an iterator's rest: `elements`).

    `owner` keeps the values read while tracing for the first call."""
    structure = dataset._structure
    _check_tensors(structure)
    if dataset._cardinality() == _options.INFINITE:
        raise NotImplementedInJaxtape(
            "jaxtape does not implement iterating an infinite tf.data.Dataset inside "
            "tf.function: take(n) a finite part of it, or iterate it eagerly")
    arrays = feeds.stage(owner, lambda: _stacked_pass(dataset, elements() if elements else None),
                         optional=elements is None)  # an iterator's rest is taken at each call
    k = len(structure)
    tensors = [Tensor(a) for a in arrays]
    return [(structure.pack, tensors[i:i + k]) for i in range(0, len(tensors), k)]


def next_element(owner, structure, produce):
    """The element `next()` gives inside a trace, fed afresh at each call."""
    _check_tensors(structure)
    if feeds.uses(owner) >= _MANY_GETS:
        raise ValueError(_MANY_GETS_ERROR)

    def one():
        try:
            leaves = produce()
        except StopIteration:
            raise OutOfRangeError(None, None, _END) from None
        return [host_array(leaf) for leaf in leaves]

    return structure.pack([Tensor(a) for a in feeds.stage(owner, one)])


class StagedIterator:
    """`iter(dataset)` inside `tf.function`: a fresh pass at every call."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._taken = 0

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        k = self._taken
        self._taken += 1
        ds = self._dataset
        return next_element(ds, ds._structure, lambda: next(itertools.islice(ds._iter(), k, None)))

    next = __next__
    get_next = __next__

    def _staged_runs(self):
        ds, k = self._dataset, self._taken
        return runs(ds, ds, (lambda: itertools.islice(ds._iter(), k, None)) if k else None)
