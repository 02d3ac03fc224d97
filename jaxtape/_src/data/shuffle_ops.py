"""`shuffle`: TF's buffer semantics.

The buffer holds `buffer_size` elements; each output is drawn uniformly from
it and its slot refilled with the next input element, so a buffer smaller
than the data mixes only locally. When the input allows random access the
same draws run over element indices and whole blocks are gathered at once.
"""
from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.ops import random as random_ops
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.structure import int64_arg, to_host

_DEFAULT_GLOBAL_SEED = 87654321
_counter = itertools.count()


def _global_state():
    """tf.random's global seed and op-seed counter (both reset by `set_seed`)."""
    try:
        return random_ops._global
    except (ImportError, AttributeError):  # pragma: no cover - the module moved
        return {"seed": None, "counter": _counter}


def _base_seed(seed):
    """TF's two-level seeds: an op seed, the global seed, or fresh entropy."""
    state = _global_state()
    if seed is None and state["seed"] is None:
        return None
    g = _DEFAULT_GLOBAL_SEED if state["seed"] is None else state["seed"]
    op = next(state["counter"]) if seed is None else int(seed)
    return (g % 2**64, op % 2**64)  # TF takes any int64 seed, negative ones too


_DRAWS = 4096  # slot draws are made this many at a time


def shuffled(items, buffer_size: int, rngs):
    """Yields `items` in TF's shuffle-buffer order. `rngs`: (slot draws, drain order)."""
    draw_rng, drain_rng = rngs
    buffer = []
    it = iter(items)
    for item in it:
        buffer.append(item)
        if len(buffer) == buffer_size:
            break
    draws = []
    k = 0
    for item in it:
        if k == len(draws):
            draws = (draw_rng.random(_DRAWS) * buffer_size).astype(np.int64).tolist()
            k = 0
        j = draws[k]
        k += 1
        out = buffer[j]
        buffer[j] = item
        yield out
    for j in drain_rng.permutation(len(buffer)).tolist():  # a uniform order of what is left
        yield buffer[j]


def shuffled_indices(length: int, buffer_size: int, rngs, size: int):
    """`shuffled(range(length), ...)` as index arrays of `size`: the same order,
    with the per-element work in one tight loop per block."""
    draw_rng, drain_rng = rngs
    buffer = list(range(min(buffer_size, length)))
    nxt = len(buffer)
    while nxt < length:
        steps = min(_DRAWS, length - nxt)
        draws = (draw_rng.random(_DRAWS) * buffer_size).astype(np.int64).tolist()
        out = [0] * steps
        for t in range(steps):
            j = draws[t]
            out[t] = buffer[j]
            buffer[j] = nxt + t
        nxt += steps
        out = np.asarray(out, np.int64)
        for i in range(0, steps, size):
            yield out[i:i + size]
    tail = np.asarray(buffer, np.int64)[drain_rng.permutation(len(buffer))]
    for i in range(0, len(tail), size):
        yield tail[i:i + size]


class _ShuffleDataset(Dataset):
    """`shuffle(buffer_size, seed, reshuffle_each_iteration)`."""

    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=True):
        self._input = input_dataset
        size = int64_arg(buffer_size, "buffer_size")
        if size <= 0 and size != _options.UNKNOWN:
            raise InvalidArgumentError(None, None, "buffer_size must be greater than zero or "
                                       "UNKNOWN_CARDINALITY [Op:ShuffleDatasetV3] name: ")
        self._buffer_size = size
        self._reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        if seed is not None and not isinstance(seed, int):
            seed = int(to_host(seed))
        base = _base_seed(seed)
        # Without any seed, TF draws one seed per dataset; reshuffling still changes epochs.
        self._seed = base if base is not None else (int(np.random.SeedSequence().entropy % 2**63),)
        self._epoch = itertools.count()
        super().__init__(input_dataset._structure, [input_dataset])

    def _rng(self):
        """(slot draws, drain order) generators for the next pass."""
        epoch = next(self._epoch) if self._reshuffle else 0
        draws, drain = np.random.SeedSequence(list(self._seed) + [epoch]).spawn(2)
        return np.random.default_rng(draws), np.random.default_rng(drain)

    def _size(self, n):
        if self._buffer_size == _options.UNKNOWN:  # TF: the whole dataset
            return n if n > 0 else 1 << 62
        return self._buffer_size

    def _iter(self):
        blocks = self._blocks(256)
        if blocks is not None:
            for block in blocks:
                for i in range(len(block[0])):
                    yield tuple(a[i, ...] for a in block)
            return
        n = self._input._cardinality()
        yield from shuffled(self._input._iter(), self._size(n), self._rng())

    def _blocks(self, size):
        access = self._input._indexable()
        if access is None:
            return None
        length, gather = access
        order = shuffled_indices(length, self._size(length), self._rng(), size)
        return self._gathered(order, gather, size)

    @staticmethod
    def _gathered(order, gather, size):
        """Gathers blocks of exactly `size` indices (the last may be short)."""
        pending, count = [], 0
        for idx in order:
            pending.append(idx)
            count += len(idx)
            if count >= size:
                idx = np.concatenate(pending) if len(pending) > 1 else pending[0]
                yield gather(idx[:size])
                pending, count = ([idx[size:]], count - size) if count > size else ([], 0)
                while count >= size:
                    idx = pending[0]
                    yield gather(idx[:size])
                    pending, count = ([idx[size:]], count - size) if count > size else ([], 0)
        if count:
            yield gather(np.concatenate(pending))

    def _cardinality(self):
        return self._input._cardinality()
