"""Datasets that make elements: slices, whole tensors, ranges, zips, generators."""
from __future__ import annotations

import glob
import math
import os

import numpy as np
from jax import tree_util

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError, NotFoundError, NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.strings import bytes_array
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.data import options as _options
from jaxtape._src.ops import io_records
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.spec import TensorSpec, without_batch_dim
from jaxtape._src.data.structure import Structure, flat_of, normalize, to_host, to_numpy


class _TensorSliceDataset(Dataset):
    """`from_tensor_slices`: element i is row i of every component."""

    def __init__(self, tensors):
        value = normalize(tensors, copy=True)
        leaves = flat_of(value)
        for leaf in leaves:
            if isinstance(leaf, Dataset):
                raise TypeError("jaxtape does not implement slicing datasets of datasets")
            if leaf.ndim == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        n = leaves[0].shape[0] if leaves else 0
        for leaf in leaves[1:]:
            if leaf.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {leaf.shape[0]} are not compatible")
        structure = Structure.of(value)
        super().__init__(structure.with_specs([without_batch_dim(s) for s in structure.specs]))
        self._arrays = leaves
        self._n = n

    def _iter(self):
        arrays = self._arrays
        for i in range(self._n):
            yield tuple(a[i, ...] for a in arrays)

    def _cardinality(self):
        return self._n

    def _indexable(self):
        arrays = self._arrays
        return self._n, lambda idx: tuple(a[idx] for a in arrays)

    def _blocks(self, size):
        arrays, n = self._arrays, self._n
        return (tuple(a[i:i + size] for a in arrays) for i in range(0, n, size))


class _TensorDataset(Dataset):
    """`from_tensors`: the whole structure as one element."""

    def __init__(self, tensors):
        value = normalize(tensors, copy=True)
        super().__init__(Structure.of(value))
        self._leaves = flat_of(value)

    def _iter(self):
        yield self._leaves

    def _cardinality(self):
        return 1

    def _indexable(self):
        leaves = self._leaves
        return 1, lambda idx: tuple(np.repeat(a[None], len(idx), axis=0) for a in leaves)


def _int(value) -> int:
    return int(to_host(value))


class _RangeDataset(Dataset):
    """`range([start,] stop[, step], output_type=tf.int64)`, as Python's `range`."""

    def __init__(self, *args, output_type=dtypes.int64, name=None, **ignored):
        # TF reads only `output_type` and `name`; other keywords pass silently.
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 and 3 "
                             f"but was {len(args)}.")
        values = [_int(a) for a in args]
        start, stop, step = (0, values[0], 1) if len(values) == 1 else (values + [1])[:3]
        if step == 0:
            raise InvalidArgumentError(None, None, "step must be a non-zero integer. "
                                       "[Op:RangeDataset] name: ")
        self._start, self._step = start, step
        self._n = max(0, math.ceil((stop - start) / step)) if abs(stop) < 2**53 else \
            max(0, (stop - start + step - (1 if step > 0 else -1)) // step)
        self._dtype = dtypes.as_dtype(output_type).as_numpy_dtype
        super().__init__(Structure.from_specs(TensorSpec((), output_type)))

    def _iter(self):
        start, step, dtype = self._start, self._step, self._dtype
        for i in range(self._n):
            yield (np.asarray(start + i * step, dtype),)

    def _cardinality(self):
        return self._n

    def _indexable(self):
        start, step, dtype = self._start, self._step, self._dtype
        return self._n, lambda idx: ((start + idx.astype(np.int64) * step).astype(dtype),)


class _ZipDataset(Dataset):
    """`zip`: the i-th elements of each dataset, in the datasets' nesting."""

    def __init__(self, datasets):
        leaves, _ = tree_util.tree_flatten(datasets, is_leaf=lambda x: not isinstance(x, (tuple, dict, list)))
        for d in leaves:
            if not isinstance(d, Dataset):
                raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) "
                                "structures of `tf.data.Dataset` objects but encountered object "
                                f"of type {type(d)}.")
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        self._datasets = leaves
        specs = tree_util.tree_map(lambda d: d.element_spec, datasets,
                                   is_leaf=lambda x: isinstance(x, Dataset))
        super().__init__(Structure.from_specs(specs), leaves)

    def _iter(self):
        its = [d._iter() for d in self._datasets]
        while True:
            out = ()
            for it in its:
                try:
                    out += tuple(next(it))
                except StopIteration:
                    return
            yield out

    def _cardinality(self):
        result = _options.INFINITE
        for d in self._datasets:
            n = d._cardinality()
            if n == _options.UNKNOWN:
                return n
            if n != _options.INFINITE and (result == _options.INFINITE or n < result):
                result = n
        return result

    def _indexable(self):
        accesses = [d._indexable() for d in self._datasets]
        if any(a is None for a in accesses):
            return None
        length = min(a[0] for a in accesses)
        gathers = [a[1] for a in accesses]
        return length, lambda idx: tuple(x for g in gathers for x in g(idx))


def _signature_of(output_types, output_shapes):
    """output_signature from the older output_types / output_shapes pair."""
    is_leaf = lambda x: not isinstance(x, (tuple, dict, list))  # noqa: E731
    if output_shapes is None:
        return tree_util.tree_map(lambda t: TensorSpec(None, t), output_types, is_leaf=is_leaf)
    shape_leaf = lambda s: s is None or isinstance(s, TensorShape) or (  # noqa: E731
        isinstance(s, (list, tuple)) and all(d is None or isinstance(d, int) for d in s))
    flat_types, treedef = tree_util.tree_flatten(output_types, is_leaf=is_leaf)
    flat_shapes = treedef.flatten_up_to(output_shapes) if treedef.num_leaves > 1 or not shape_leaf(output_shapes) \
        else [output_shapes]
    return tree_util.tree_unflatten(
        treedef, [TensorSpec(s, t) for t, s in zip(flat_types, flat_shapes)])


class _FlatMapDataset(Dataset):
    """`from_generator`: TF builds it as a flat_map, and prints it so."""

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is None:
            if output_types is None:
                raise TypeError("To specify the output signature you need to provide either the "
                                "`output_signature` argument or the `output_types` argument.")
            output_signature = _signature_of(output_types, output_shapes)
        elif output_types is not None or output_shapes is not None:
            raise TypeError("The `output_types` and `output_shapes` arguments can only be used "
                            "without `output_signature`.")
        if isinstance(output_signature, list):
            output_signature = tuple(output_signature)
        super().__init__(Structure.from_specs(output_signature))
        self._generator = generator
        self._args = tuple(to_numpy(to_host(a)) for a in (args or ()))

    def _iter(self):
        structure = self._structure
        specs = structure.specs
        for value in self._generator(*self._args):
            if len(specs) == 1 and structure.treedef.num_nodes == 1:
                flat = [value]
            else:
                try:
                    flat = structure.treedef.flatten_up_to(
                        tuple(value) if isinstance(value, list) else value)
                except (TypeError, ValueError):
                    raise TypeError(f"`generator` yielded an element that did not match the "
                                    f"expected structure. The expected structure was "
                                    f"{structure.element_spec}, but the yielded element was "
                                    f"{value}.") from None
            yield tuple(_checked(v, spec) for v, spec in zip(flat, specs))

    def _cardinality(self):
        return _options.UNKNOWN


# How TF ends an error raised inside the generator's py_func.
_PYFUNC = "\n\n\n\t [[{{node PyFunc}}]] [Op:IteratorGetNext] name: "


def _checked(value, spec):
    try:
        array = np.asarray(to_numpy(to_host(value)), dtype=spec.dtype.as_numpy_dtype)
    except (TypeError, ValueError):
        raise InvalidArgumentError(None, None, f"TypeError: `generator` yielded an element that "
                                   f"could not be converted to the expected type. The expected "
                                   f"type was {spec.dtype.name}, but the yielded element was "
                                   f"{value}.{_PYFUNC}") from None
    if not spec.shape.is_compatible_with(TensorShape(array.shape)):
        raise InvalidArgumentError(None, None, f"TypeError: `generator` yielded an element of "
                                   f"shape {tuple(array.shape)} where an element of shape "
                                   f"{spec.shape} was expected.{_PYFUNC}")
    return array


_GeneratorDataset = _FlatMapDataset


def _filenames(value) -> list[str]:
    return [os.fsdecode(f) for f in bytes_array(to_host(value)).reshape(-1).tolist()]


class _FileDataset(Dataset):
    """Scalar strings read from each file in turn, as iteration reaches it;
    `num_parallel_reads` interleaves the files, that many at a time, as TF's."""

    def __init__(self, filenames, num_parallel_reads, compression: str):
        self._files = _filenames(filenames)
        self._compression = compression
        self._interleaved = None if not num_parallel_reads or len(self._files) < 2 else \
            _TensorSliceDataset(bytes_array(self._files)).interleave(
                lambda f: type(self)(f, compression), cycle_length=int(num_parallel_reads),
                block_length=1)
        super().__init__(Structure.from_specs(TensorSpec((), dtypes.string)))

    def _iter(self):
        if self._interleaved is not None:
            yield from self._interleaved._iter()
            return
        for path in self._files:
            for item in self._read(path):
                yield (bytes_array(item),)

    def _cardinality(self):
        return _options.UNKNOWN


@export("data.TextLineDataset")
class TextLineDatasetV2(_FileDataset):
    """`TextLineDataset`: each line of each file, without its line ending."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        if compression_type:
            raise NotImplementedInJaxtape("jaxtape does not implement compressed TextLineDatasets")
        super().__init__(filenames, num_parallel_reads, "")

    def _read(self, path):
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{path}; No such file or directory "
                                "[Op:IteratorGetNext] name: ") from None
        with f:
            for line in f:
                line = line[:-1] if line.endswith(b"\n") else line
                yield line[:-1] if line.endswith(b"\r") else line


@export("data.TFRecordDataset")
class TFRecordDatasetV2(_FileDataset):
    """`TFRecordDataset`: each record of each file (`io_records` reads them)."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        if compression_type is not None and not isinstance(compression_type, (str, bytes)):
            compression_type = bytes_array(to_host(compression_type)).reshape(-1)[0]  # a tensor
        super().__init__(filenames, num_parallel_reads,
                         io_records.compression_type_name(compression_type))

    def _read(self, path):
        return io_records.records(path, self._compression)


def list_files(file_pattern, shuffle=None, seed=None):
    """`Dataset.list_files`: the sorted matches, shuffled unless `shuffle=False`."""
    patterns = _filenames(file_pattern)
    matches = sorted({m for p in patterns for m in glob.glob(p)})
    if not matches:
        raise InvalidArgumentError(None, None, "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to "
                                   f"be true. Summarized data: b'No files matched pattern: "
                                   f"{', '.join(patterns)}'")
    dataset = _TensorSliceDataset(bytes_array(matches))
    if shuffle is False:
        return dataset
    return dataset.shuffle(len(matches), seed=seed)
