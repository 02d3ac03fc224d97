"""Transformations that group elements: batch, padded_batch, unbatch,
rebatch, window.

Batches are built with array ops: from an input's stacked blocks when it has
them (slices, shuffled slices, unbatched batches), else by one `np.stack`
per component over the batch's elements.
"""
from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import DataLossError, InvalidArgumentError
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.spec import DatasetSpec, TensorSpec, leading_dim, with_batch_dim, without_batch_dim
from jaxtape._src.data.structure import Structure, host_array, int64_arg, to_host


def _size(value, what) -> int:
    return int64_arg(value, what)


def _batch_count(n: int, size: int, drop: bool) -> int:
    if n in (_options.INFINITE, _options.UNKNOWN):
        return n
    return n // size if drop else -(-n // size)


def _stack(elements, component):
    arrays = [host_array(e[component]) for e in elements]
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise InvalidArgumentError(
                None, None, "Cannot add tensor to the batch: number of elements does not match. "
                f"Shapes are: [tensor]: [{','.join(map(str, a.shape))}], [batch]: "
                f"[{','.join(map(str, first))}] [Op:IteratorGetNext] name: ")
    return np.stack(arrays)


def regroup(blocks, size, drop: bool):
    """Cuts a stream of stacked blocks into blocks of exactly `size` rows
    (a list of sizes: taken in turn), a short last one unless `drop`; whole
    blocks pass through uncopied."""
    sizes = itertools.cycle(size) if isinstance(size, list) else itertools.repeat(size)
    size = next(sizes)
    pending, count = [], 0
    for block in blocks:
        rows = len(block[0]) if block else 0
        if not pending and rows == size:
            yield block
            size = next(sizes)
            continue
        pending.append(block)
        count += rows
        while count >= size:
            out, need, rest = [], size, []
            for b in pending:
                n = len(b[0])
                if need >= n:
                    out.append(b)
                    need -= n
                elif need > 0:
                    out.append(tuple(a[:need] for a in b))
                    rest.append(tuple(a[need:] for a in b))
                    need = 0
                else:
                    rest.append(b)
            yield out[0] if len(out) == 1 else tuple(np.concatenate(parts) for parts in zip(*out))
            pending, count = rest, count - size
            size = next(sizes)
    if count and not drop:
        yield pending[0] if len(pending) == 1 else tuple(np.concatenate(parts) for parts in zip(*pending))


def _flag(drop_remainder) -> bool:
    """`drop_remainder` as TF converts it to a bool tensor (None does not convert)."""
    if drop_remainder is None:
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    return bool(drop_remainder)


class _BatchDataset(Dataset):
    """`batch(n, drop_remainder)`: stacks n consecutive elements."""

    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        self._input = input_dataset
        self._size = _size(batch_size, "batch_size")
        if self._size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero. "
                                       "[Op:BatchDatasetV2] name: ")
        self._drop = _flag(drop_remainder)
        dim = self._size if self._drop else None
        structure = input_dataset._structure
        super().__init__(structure.with_specs([with_batch_dim(s, dim) for s in structure.specs]),
                         [input_dataset])

    def _iter(self):
        blocks = self._input._blocks(self._size)
        if blocks is not None:
            yield from regroup(blocks, self._size, self._drop)
            return
        size, elements = self._size, []
        for leaves in self._input._iter():
            elements.append(leaves)
            if len(elements) == size:
                yield tuple(_stack(elements, c) for c in range(len(leaves)))
                elements = []
        if elements and not self._drop:
            yield tuple(_stack(elements, c) for c in range(len(elements[0])))

    def _cardinality(self):
        return _batch_count(self._input._cardinality(), self._size, self._drop)


class _ParallelBatchDataset(_BatchDataset):
    """`batch(..., num_parallel_calls=...)`: the same batches, on one thread."""


class _MapAndBatchDataset(_BatchDataset):
    """`experimental.map_and_batch`: a map then a batch, printed as TF's fused op."""


def _padded_shape(shape):
    if isinstance(shape, TensorShape):
        return shape
    if hasattr(shape, "_value"):  # a Tensor of dims
        shape = to_host(shape).tolist()
    return TensorShape([None if d is None or d == -1 else int(d) for d in shape])


class _PaddedBatchDataset(Dataset):
    """`padded_batch`: batches whose components are padded to a common shape."""

    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values, drop_remainder):
        self._input = input_dataset
        self._size = _size(batch_size, "batch_size")
        if self._size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero. "
                                       "[Op:PaddedBatchDatasetV2] name: ")
        self._drop = _flag(drop_remainder)
        structure = input_dataset._structure
        specs = structure.specs
        for spec in specs:
            if spec.shape.rank is None and padded_shapes is None:
                raise ValueError("You must provide `padded_shapes` argument because component "
                                 "of the input has unknown rank")
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
        else:
            shapes = [_padded_shape(p) for p in _up_to(structure, padded_shapes, _is_shape)]
        if padding_values is None:
            values = [np.asarray(b"" if s.dtype == dtypes.string else 0, s.dtype.as_numpy_dtype)
                      for s in specs]
        else:
            values = []
            for spec, v in zip(specs, _up_to(structure, padding_values, lambda x: not isinstance(x, (tuple, dict)))):
                array = np.asarray(to_host(v))
                if isinstance(v, (int, float, bool)) and not isinstance(v, np.generic):
                    array = np.asarray(v, spec.dtype.as_numpy_dtype)
                elif dtypes.as_dtype(array.dtype) != spec.dtype:
                    raise TypeError(f"Invalid `padding_values`. `padding_values` values type "
                                    f"<dtype: '{dtypes.as_dtype(array.dtype).name}'> does not match "
                                    f"type <dtype: '{spec.dtype.name}'> of the corresponding input "
                                    "component.")
                values.append(array)
        self._shapes, self._values = shapes, values
        dim = self._size if self._drop else None
        super().__init__(structure.with_specs(
            [TensorSpec([dim] + (p.as_list() if p.rank is not None else []), s.dtype)
             for p, s in zip(shapes, specs)]), [input_dataset])

    def _pad(self, elements, c):
        arrays = [host_array(e[c]) for e in elements]
        target = self._shapes[c]
        rank = arrays[0].ndim
        dims = [max(a.shape[d] for a in arrays) for d in range(rank)]
        if target.rank is not None:
            for d, want in enumerate(target.as_list()):
                if want is not None:
                    if dims[d] > want:
                        raise DataLossError(None, None, "Attempted to pad to a smaller size than "
                                            "the input element. [Op:IteratorGetNext] name: ")
                    dims[d] = want
        out = np.full([len(arrays)] + dims, self._values[c], dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            out[(i,) + tuple(slice(0, n) for n in a.shape)] = a
        return out

    def _iter(self):
        size, elements = self._size, []
        for leaves in self._input._iter():
            elements.append(leaves)
            if len(elements) == size:
                yield tuple(self._pad(elements, c) for c in range(len(leaves)))
                elements = []
        if elements and not self._drop:
            yield tuple(self._pad(elements, c) for c in range(len(elements[0])))

    def _cardinality(self):
        return _batch_count(self._input._cardinality(), self._size, self._drop)


def _is_shape(x):
    return x is None or isinstance(x, (TensorShape, list)) or hasattr(x, "_value") or (
        isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x))


def _up_to(structure: Structure, value, is_leaf):
    """`value`'s leaves matched to the element's components (a single value
    applies to every component)."""
    if structure.treedef.num_leaves == 1 and is_leaf(value):
        return [value]
    if is_leaf(value):
        return [value] * len(structure.specs)
    from jax import tree_util
    flat, _ = tree_util.tree_flatten(value, is_leaf=is_leaf)
    if len(flat) != len(structure.specs):
        raise ValueError("The structure of the argument does not match the element structure "
                         f"{structure.element_spec}")
    return flat


class _UnbatchDataset(Dataset):
    """`unbatch()`: splits each element along its first dimension."""

    def __init__(self, input_dataset):
        self._input = input_dataset
        structure = input_dataset._structure
        for spec in structure.specs:
            if spec.shape.rank == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
        super().__init__(structure.with_specs([without_batch_dim(s) for s in structure.specs]),
                         [input_dataset])

    def _iter(self):
        for block in self._input._iter():
            block = tuple(host_array(a) for a in block)
            for i in range(_rows(block)):
                yield tuple(a[i, ...] for a in block)

    def _blocks(self, size):
        return (b for b in (tuple(host_array(a) for a in b) for b in self._input._iter()) if _rows(b))

    def _cardinality(self):
        n = self._input._cardinality()
        dims = {leading_dim(s) for s in self._input._structure.specs}
        if n >= 0 and len(dims) == 1 and None not in dims:  # every batch has the same static size
            return n * dims.pop()
        return n if n == _options.INFINITE else _options.UNKNOWN


def _rows(block) -> int:
    n = block[0].shape[0]
    for a in block[1:]:
        if a.shape[0] != n:
            raise InvalidArgumentError(None, None, "Input element must have the same batch size "
                                       "in each component. Component 0 had size "
                                       f"{n} but component had size {a.shape[0]}. "
                                       "[Op:IteratorGetNext] name: ")
    return n


class _RebatchDataset(Dataset):
    """`rebatch(n)`: re-cuts batches into batches of n (or of a list of sizes, cycled)."""

    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        self._input = input_dataset
        sizes = to_host(batch_size)
        self._sizes = [int(s) for s in np.atleast_1d(sizes)]
        self._drop = bool(drop_remainder)
        structure = input_dataset._structure
        static = None
        if sizes.ndim == 0 and (self._drop or all(leading_dim(s) is not None and
                                                  leading_dim(s) % self._sizes[0] == 0
                                                  for s in structure.specs)):
            static = self._sizes[0]
        super().__init__(structure.with_specs(
            [with_batch_dim(without_batch_dim(s), static) for s in structure.specs]),
            [input_dataset])

    def _iter(self):
        sizes = self._sizes[0] if len(self._sizes) == 1 else self._sizes
        blocks = (tuple(host_array(a) for a in b) for b in self._input._iter())
        yield from regroup((b for b in blocks if _rows(b)), sizes, self._drop)

    def _cardinality(self):
        n = self._input._cardinality()
        return n if n == _options.INFINITE else _options.UNKNOWN


class _VariantDataset(Dataset):
    """One window's component: a dataset over already-gathered elements."""

    def __init__(self, arrays, spec):
        super().__init__(Structure.from_specs(spec))
        self._arrays = arrays

    def _iter(self):
        for a in self._arrays:
            yield (a,)

    def _cardinality(self):
        return len(self._arrays)


class _WindowDataset(Dataset):
    """`window(size, shift, stride, drop_remainder)`: each element is a
    structure of datasets, one per component, holding one window."""

    def __init__(self, input_dataset, size, shift=None, stride=1, drop_remainder=False):
        self._input = input_dataset
        self._window = _size(size, "size")
        self._shift = self._window if shift is None else _size(shift, "shift")
        self._stride = _size(stride, "stride")
        for name, v in (("size", self._window), ("shift", self._shift), ("stride", self._stride)):
            if v <= 0:
                raise InvalidArgumentError(None, None, f"Window {name} must be greater than zero, "
                                           f"but got {v}. [Op:WindowDataset] name: ")
        self._drop = bool(drop_remainder)
        structure = input_dataset._structure
        super().__init__(structure.with_specs([DatasetSpec(s) for s in structure.specs]),
                         [input_dataset])

    def _iter(self):
        span = (self._window - 1) * self._stride + 1
        buffer, start = [], 0  # buffer[0] is input element number `start`
        specs = self._input._structure.specs
        it = self._input._iter()
        done = False
        while True:
            while not done and len(buffer) < span:
                try:
                    buffer.append(next(it))
                except StopIteration:
                    done = True
            if not buffer or (done and self._drop and len(buffer) < span):
                return
            picked = [tuple(host_array(a) for a in e) for e in buffer[0:span:self._stride]]
            yield tuple(_VariantDataset([e[c] for e in picked], specs[c]) for c in range(len(specs)))
            drop = min(self._shift, len(buffer))
            skip = self._shift - drop
            buffer = buffer[drop:]
            while skip and not done:  # shift beyond what is buffered: skip input elements
                try:
                    next(it)
                    skip -= 1
                except StopIteration:
                    done = True

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (_options.INFINITE, _options.UNKNOWN):
            return n
        if not self._drop:
            return -(-n // self._shift)
        span = (self._window - 1) * self._stride + 1
        return (n - span) // self._shift + 1 if n >= span else 0
