"""Transformations that call a user function per element: map, filter,
take_while, flat_map, interleave, unique."""
from __future__ import annotations

import itertools
import os

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.functions import call, call_normalized, infer, vectorized
from jaxtape._src.data.spec import relaxed, spec_of
from jaxtape._src.data.structure import Structure, flat_of, host_array, to_host


_VECTOR_BLOCK = 1024  # elements per vectorized map call


def structure_of_results(seen, what):
    """The element structure from the results on the first one or two
    elements: dimensions where two differ become None."""
    if not seen:
        raise ValueError(f"jaxtape cannot tell the element_spec of a {what} over an empty "
                         "dataset whose function it cannot trace")
    first = seen[0]
    if len(seen) == 2 and seen[1].same_nesting(first):
        first = first.with_specs([relaxed(a, b) if hasattr(a, "shape") else a
                                  for a, b in zip(first.specs, seen[1].specs)])
    return first


def _host_function(fn, structure):
    """A `tf.function` over string elements runs its Python function eagerly, on the
    host: strings cannot be traced into XLA (TF runs such functions in its graph)."""
    if any(getattr(s, "dtype", None) == dtypes.string for s in structure.specs):
        return getattr(fn, "python_function", fn)
    return fn


class _MapDataset(Dataset):
    """`map(fn)`: `fn` runs eagerly on each element's Tensors (once per batch
    after `batch`); a `tf.function` passed in runs compiled."""

    def __init__(self, input_dataset, map_func):
        self._input = input_dataset
        self._fn = map_func = _host_function(map_func, input_dataset._structure)
        inferred = infer(map_func, input_dataset._structure)
        # A pure function over fully known shapes also runs vectorized, a block of
        # elements per compiled call, when a batch downstream asks for blocks.
        self._vector = (vectorized(map_func, input_dataset._structure)
                        if inferred is not None and inferred.pure else None)
        super().__init__(inferred if inferred is not None else self._first_structure,
                         [input_dataset])

    def _blocks(self, size):
        if self._vector is None:
            return None
        blocks = self._input._blocks(max(size, _VECTOR_BLOCK))
        if blocks is None:
            return None
        return (self._vector(tuple(host_array(a) for a in block)) for block in blocks)

    def _first_structure(self):
        """The spec from the first two elements' results: dims where they differ are None."""
        seen = []
        for leaves in itertools.islice(self._input._iter(), 2):
            seen.append(Structure.of(call_normalized(self._fn, self._input._structure, leaves)))
        return structure_of_results(seen, "map")

    def _iter(self):
        fn, structure = self._fn, self._input._structure
        out = self._structure
        for leaves in self._input._iter():
            value = call_normalized(fn, structure, leaves)
            flat = flat_of(value)
            if len(flat) != len(out.specs):
                raise TypeError("The map function returned a different structure for this "
                                f"element: {len(flat)} components instead of {len(out.specs)}")
            yield flat

    def _cardinality(self):
        return self._input._cardinality()


class _ParallelMapDataset(_MapDataset):
    """`map(fn, num_parallel_calls=...)`: runs in order on one thread in jaxtape."""


def _predicate_spec_error(spec):
    return ValueError("Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, "
                      f"but its return type is {spec!r}.")


class _PredicateDataset(Dataset):
    """Shared by filter and take_while: a predicate that must give a bool scalar."""

    def __init__(self, input_dataset, predicate):
        self._input = input_dataset
        self._fn = predicate = _host_function(predicate, input_dataset._structure)
        inferred = infer(predicate, input_dataset._structure)
        if inferred is not None:
            spec = inferred.element_spec
            if (len(inferred.specs) != 1 or not hasattr(spec, "dtype") or spec.dtype != dtypes.bool
                    or spec.shape.rank != 0):
                raise _predicate_spec_error(spec)
        super().__init__(input_dataset._structure, [input_dataset])

    def _test(self, leaves) -> bool:
        value = to_host(call(self._fn, self._input._structure, leaves))
        if value.dtype != np.bool_ or value.ndim != 0:
            raise _predicate_spec_error(spec_of(value))
        return bool(value)


class _FilterDataset(_PredicateDataset):
    """`filter(predicate)`: the elements for which it is True."""

    def _iter(self):
        for leaves in self._input._iter():
            if self._test(leaves):
                yield leaves


class _TakeWhileDataset(_PredicateDataset):
    """`take_while(predicate)`: elements up to the first for which it is False."""

    def _iter(self):
        for leaves in self._input._iter():
            if not self._test(leaves):
                return
            yield leaves


def _dataset_result(fn, structure, leaves):
    out = call(fn, structure, leaves)
    if not isinstance(out, Dataset):
        raise TypeError(f"The `map_func` argument must return a `Dataset` object. Got {type(out)}.")
    return out


def _result_structure(fn, input_dataset):
    """The datasets `fn` returns all have one element structure; learn it from
    a trace when possible, else from the first element's result."""
    for leaves in input_dataset._iter():
        return _dataset_result(fn, input_dataset._structure, leaves)._structure
    raise ValueError("jaxtape cannot tell the element_spec of a flat_map over an empty dataset")


class _FlatMapDataset(Dataset):
    """`flat_map(fn)`: the elements of each dataset `fn` returns, in order."""

    def __init__(self, input_dataset, map_func):
        self._input = input_dataset
        self._fn = map_func
        super().__init__(lambda: _result_structure(map_func, input_dataset), [input_dataset])

    def _iter(self):
        structure = self._input._structure
        for leaves in self._input._iter():
            yield from _dataset_result(self._fn, structure, leaves)._iter()


def _default_cycle_length() -> int:
    """TF's AUTOTUNE cycle length: the number of schedulable CPU cores."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _InterleaveDataset(Dataset):
    """`interleave(fn, cycle_length, block_length)`: TF's round robin over
    `cycle_length` open datasets, `block_length` elements from each in turn."""

    def __init__(self, input_dataset, map_func, cycle_length, block_length):
        self._input = input_dataset
        self._fn = map_func
        cycle = _options.AUTOTUNE if cycle_length is None else int(to_host(cycle_length))
        self._cycle = _default_cycle_length() if cycle == _options.AUTOTUNE else cycle
        self._block = 1 if block_length is None else int(to_host(block_length))
        if self._cycle <= 0:
            raise _invalid("cycle_length must be greater than zero.", "InterleaveDataset")
        if self._block <= 0:
            raise _invalid("block_length must be greater than zero.", "InterleaveDataset")
        super().__init__(lambda: _result_structure(map_func, input_dataset), [input_dataset])

    def _iter(self):
        structure = self._input._structure
        source = self._input._iter()
        slots = [None] * self._cycle
        open_count, index, taken, exhausted = 0, 0, 0, False
        while not exhausted or open_count:
            current = slots[index]
            if current is not None:
                try:
                    item = next(current)
                except StopIteration:
                    slots[index] = None
                    open_count -= 1
                    index, taken = (index + 1) % self._cycle, 0
                    continue
                taken += 1
                if taken == self._block:
                    index, taken = (index + 1) % self._cycle, 0
                yield item
            elif not exhausted:
                try:
                    leaves = next(source)
                except StopIteration:
                    exhausted = True
                    continue
                slots[index] = _dataset_result(self._fn, structure, leaves)._iter()
                open_count += 1
            else:
                index, taken = (index + 1) % self._cycle, 0


class _ParallelInterleaveDataset(_InterleaveDataset):
    """`interleave(..., num_parallel_calls=...)`: the same order, on one thread."""


class _UniqueDataset(Dataset):
    """`unique()`: each distinct scalar element once, in first-seen order."""

    def __init__(self, input_dataset):
        specs = input_dataset._structure.specs
        if len(specs) != 1 or specs[0].shape.rank != 0:
            raise TypeError("`tf.data.Dataset.unique` only supports inputs with a single "
                            "`tf.int32`, `tf.int64`, or `tf.string` component.")
        self._input = input_dataset
        super().__init__(input_dataset._structure, [input_dataset])

    def _iter(self):
        seen = set()
        for leaves in self._input._iter():
            key = leaves[0].item()
            if key not in seen:
                seen.add(key)
                yield leaves


def _invalid(message, op):
    return InvalidArgumentError(None, None, f"{message} [Op:{op}] name: ")
