"""Transformations that pass elements through unchanged: cache, prefetch,
with_options, ignore_errors."""
from __future__ import annotations

import os
import queue
import threading

import numpy as np

from jaxtape._src.framework.errors import OpError
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.structure import int64_arg


class CacheDataset(Dataset):
    """`cache(filename="")`: the first complete pass is kept (in memory, or
    in `filename` + ".npz") and later passes replay it without running the
    input again."""

    def __init__(self, input_dataset, filename=""):
        self._input = input_dataset
        self._file = str(filename) if filename else ""
        self._cached = None      # list of elements, once a pass completes
        self._stacked = None     # per-component arrays of the cache, when shapes agree
        super().__init__(input_dataset._structure, [input_dataset])

    def _path(self):
        return self._file + ".npz"

    def _load(self):
        if self._cached is None and self._file and os.path.exists(self._path()):
            with np.load(self._path()) as data:
                n, k = int(data["count"]), int(data["components"])
                self._cached = [tuple(data[f"e{i}_{c}"] for c in range(k)) for i in range(n)]
        return self._cached

    def _iter(self):
        cached = self._load()
        if cached is not None:
            yield from cached
            return
        elements = []
        for leaves in self._input._iter():
            elements.append(leaves)
            yield leaves
        self._cached = elements  # reached only when the pass completed
        if self._file:
            self._save(elements)

    def _save(self, elements):
        arrays = {f"e{i}_{c}": a for i, e in enumerate(elements) for c, a in enumerate(e)}
        k = len(self._structure.specs)
        tmp = self._file + ".tmp.npz"
        np.savez(tmp, count=len(elements), components=k, **arrays)
        os.replace(tmp, self._path())

    def _cardinality(self):
        return self._input._cardinality()

    def _indexable(self):
        cached = self._load()
        if cached is None:
            return None
        if self._stacked is None:
            comps = list(zip(*cached)) if cached else []
            if not all(isinstance(c[0], np.ndarray) and all(a.shape == c[0].shape for a in c)
                       for c in comps) or not cached:
                return None
            self._stacked = [np.stack(c) for c in comps]
        stacked = self._stacked
        return len(cached), lambda idx: tuple(a[idx] for a in stacked)


_DONE = object()


class _PrefetchDataset(Dataset):
    """`prefetch(n)`: a background thread runs the input up to n elements ahead."""

    def __init__(self, input_dataset, buffer_size):
        self._input = input_dataset
        size = int64_arg(buffer_size, "buffer_size")
        self._buffer_size = 4 if size == _options.AUTOTUNE else max(size, 1)
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        items = queue.Queue(self._buffer_size)
        stop = threading.Event()
        source = self._input._iter()

        def put(item):
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    pass
            return False

        def produce():
            try:
                for leaves in source:
                    if not put(leaves):
                        return
                put(_DONE)
            except BaseException as e:  # noqa: BLE001 - handed to the consumer
                put(("error", e))

        thread = threading.Thread(target=produce, name="jaxtape-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = items.get()
                if item is _DONE:
                    return
                if type(item) is tuple and len(item) == 2 and isinstance(item[1], BaseException) \
                        and item[0] == "error":
                    raise item[1]
                yield item
        finally:
            stop.set()

    def _cardinality(self):
        return self._input._cardinality()


class _OptionsDataset(Dataset):
    """`with_options(options)`: the same elements, carrying the options."""

    def __init__(self, input_dataset, options):
        self._input = input_dataset
        self._own_options = options
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        return self._input._iter()

    def _cardinality(self):
        return self._input._cardinality()

    def _indexable(self):
        return self._input._indexable()

    def _blocks(self, size):
        return self._input._blocks(size)


class _IgnoreErrorsDataset(Dataset):
    """`ignore_errors()`: elements whose computation raised an op error are dropped."""

    def __init__(self, input_dataset):
        self._input = input_dataset
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        it = self._input._iter()
        while True:
            try:
                leaves = next(it)
            except StopIteration:
                return
            except OpError:
                continue  # a generator that raised cannot resume: this ends it too
            yield leaves
