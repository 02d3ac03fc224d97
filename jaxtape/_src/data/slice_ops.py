"""Transformations that select or join runs of elements: repeat, take,
skip, shard, concatenate."""
from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.spec import relaxed
from jaxtape._src.data.structure import int64_arg, to_host

INF, UNK = _options.INFINITE, _options.UNKNOWN


def _count(value) -> int:
    return -1 if value is None else int64_arg(value, "count")


class _RepeatDataset(Dataset):
    """`repeat(count)`: the input `count` times (forever for None or -1);
    each pass iterates the input afresh, so a shuffle reshuffles."""

    def __init__(self, input_dataset, count=None):
        self._input = input_dataset
        self._count = _count(count)
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        epochs = itertools.count() if self._count < 0 else range(self._count)
        for _ in epochs:
            produced = False
            for leaves in self._input._iter():
                produced = True
                yield leaves
            if not produced:  # an empty input repeated forever is empty
                return

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count < 0:
            return INF
        if n in (INF, UNK):
            return n
        return n * self._count

    def _indexable(self):
        access = self._input._indexable()
        if access is None or self._count < 0:
            return None
        length, gather = access
        return length * self._count, lambda idx: gather(idx % length) if length else gather(idx)


class _Counted(Dataset):
    """A transformation of one input by an element count (-1 meaning all)."""

    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = _count(count)
        super().__init__(input_dataset._structure, [input_dataset])


class _TakeDataset(_Counted):
    """`take(count)`: at most `count` elements (all for -1)."""

    def _iter(self):
        if self._count < 0:
            yield from self._input._iter()
            return
        if self._count:
            yield from itertools.islice(self._input._iter(), self._count)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INF:
            return self._count
        if n == UNK:
            return UNK
        return min(n, self._count)

    def _indexable(self):
        access = self._input._indexable()
        if access is None:
            return None
        length, gather = access
        return (length if self._count < 0 else min(length, self._count)), gather


class _SkipDataset(_Counted):
    """`skip(count)`: all but the first `count` elements (none for -1)."""

    def _iter(self):
        if self._count < 0:
            return
        yield from itertools.islice(self._input._iter(), self._count, None)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return 0
        if n in (INF, UNK):
            return n
        return max(0, n - self._count)

    def _indexable(self):
        access = self._input._indexable()
        if access is None or self._count < 0:
            return None
        length, gather = access
        k = self._count
        return max(0, length - k), lambda idx: gather(idx + k)


class _ShardDataset(Dataset):
    """`shard(num_shards, index)`: every num_shards-th element from `index`."""

    def __init__(self, input_dataset, num_shards, index):
        self._input = input_dataset
        self._num, self._index = int(to_host(num_shards)), int(to_host(index))
        if self._num <= 0:
            raise InvalidArgumentError(None, None, "Number of shards must be greater than zero "
                                       f"(currently num_shards = {self._num}). [Op:ShardDataset] name: ")
        if not 0 <= self._index < self._num:
            raise InvalidArgumentError(None, None, f"Index must be between 0 and {self._num - 1} "
                                       f"(currently index = {self._index}). [Op:ShardDataset] name: ")
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        yield from itertools.islice(self._input._iter(), self._index, None, self._num)

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INF, UNK):
            return n
        return n // self._num + (1 if self._index < n % self._num else 0)

    def _indexable(self):
        access = self._input._indexable()
        if access is None:
            return None
        length, gather = access
        num, index = self._num, self._index
        return self._cardinality_of(length), lambda idx: gather(idx * num + index)

    def _cardinality_of(self, n):
        return n // self._num + (1 if self._index < n % self._num else 0)


class _ConcatenateDataset(Dataset):
    """`concatenate(other)`: this dataset's elements, then `other`'s."""

    def __init__(self, input_dataset, dataset_to_concatenate):
        a, b = input_dataset._structure, dataset_to_concatenate._structure
        if not a.same_nesting(b) or any(
                getattr(x, "dtype", None) != getattr(y, "dtype", None) for x, y in zip(a.specs, b.specs)):
            raise TypeError(f"Incompatible dataset elements:\n  {a.element_spec} vs. "
                            f"  {b.element_spec}")
        self._first, self._second = input_dataset, dataset_to_concatenate
        super().__init__(a.with_specs([relaxed(x, y) for x, y in zip(a.specs, b.specs)]),
                         [input_dataset, dataset_to_concatenate])

    def _iter(self):
        yield from self._first._iter()
        yield from self._second._iter()

    def _cardinality(self):
        n, m = self._first._cardinality(), self._second._cardinality()
        if INF in (n, m):
            return INF
        if UNK in (n, m):
            return UNK
        return n + m

    def _indexable(self):
        x, y = self._first._indexable(), self._second._indexable()
        if x is None or y is None or self._first._structure.specs != self._second._structure.specs:
            return None
        (n, ga), (m, gb) = x, y

        def gather(idx):
            first = idx < n
            if first.all():
                return ga(idx)
            if not first.any():
                return gb(idx - n)
            parts_a, parts_b = ga(idx[first]), gb(idx[~first] - n)
            out = []
            for pa, pb in zip(parts_a, parts_b):
                o = np.empty((len(idx),) + pa.shape[1:], pa.dtype)
                o[first], o[~first] = pa, pb
                out.append(o)
            return tuple(out)
        return n + m, gather
