"""Datasets that pick each element from one of several datasets, and
datasets of generated values: choose_from_datasets, sample_from_datasets,
Dataset.random, Dataset.counter.

Random draws keep tf.random's seeding rules (an op seed, the global seed of
`tf.random.set_seed`, the op-seed counter; see `shuffle_ops._base_seed`).
The bits come from NumPy's PCG64 read 64 raw bits at a time, so blocks and
single draws give one sequence; they differ from TF's Philox bits, so the
same seed picks other values than in TF (documented, as for `shuffle`).
"""
from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.window_ops import _ScanDataset
from jaxtape._src.data.shuffle_ops import _base_seed
from jaxtape._src.data.spec import TensorSpec, relaxed
from jaxtape._src.data.structure import Structure, host_array, int64_arg, to_host

_DRAWS = 4096  # raw draws taken at a time
# Mixed into the seed words so that a dataset's stream is not the one a
# `shuffle` with the same seeds reads.
_RANDOM_SALT, _SAMPLE_SALT = 0x52414E44, 0x53414D50


def _seed_words(seed):
    """The seed words of a random dataset: fixed at construction, as TF's
    seeds are (an unseeded dataset repeats its stream on each pass)."""
    base = _base_seed(None if seed is None else int64_arg(seed, "seed"))
    if base is None:
        return (int(np.random.SeedSequence().entropy % 2**63),)
    return tuple(w % 2**64 for w in base)  # SeedSequence takes words >= 0; TF seeds may be negative


class _Stream:
    """The raw 64-bit draws of one pass; `epochs` tells passes apart when
    `rerandomize_each_iteration` asks for a new stream each time."""

    def __init__(self, seed, rerandomize, salt):
        self._seed = _seed_words(seed)
        self._rerandomize = bool(rerandomize)
        self._salt = salt
        self._epochs = itertools.count()

    def open(self):
        epoch = next(self._epochs) if self._rerandomize else 0
        return np.random.PCG64(np.random.SeedSequence(list(self._seed) + [epoch, self._salt]))


class _RandomDataset(Dataset):
    """`Dataset.random(seed)`: infinite int64 scalars, uniform in [0, 2**32)
    as TF's (its kernel widens 32 random bits)."""

    def __init__(self, seed=None, rerandomize_each_iteration=None):
        self._stream = _Stream(seed, rerandomize_each_iteration, _RANDOM_SALT)
        super().__init__(Structure.from_specs(TensorSpec((), dtypes.int64)))

    @staticmethod
    def _draw(bits, n):
        return (bits.random_raw(n) >> np.uint64(32)).astype(np.int64)

    def _iter(self):
        bits = self._stream.open()
        while True:
            block = self._draw(bits, _DRAWS)
            for i in range(_DRAWS):
                yield (block[i, ...],)

    def _blocks(self, size):
        bits = self._stream.open()
        return ((self._draw(bits, size),) for _ in itertools.repeat(None))

    def _cardinality(self):
        return _options.INFINITE


def _uniforms(bits, n):
    """n floats uniform in [0, 1) from the top 53 bits of each draw."""
    return (bits.random_raw(n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _cumulative(weights):
    """Cumulative probabilities of the weights; TF draws from log(weights), so
    weights <= 0 (or NaN) are never drawn."""
    w = np.asarray(weights, np.float64).reshape(-1)
    w = np.where(w > 0, w, 0.0)
    total = w.sum()
    if not total > 0:
        raise InvalidArgumentError(None, None, "sample_from_datasets: no weight is positive. "
                                   "[Op:IteratorGetNext] name: ")
    return np.cumsum(w) / total


def _pick(cumulative, u):
    # The first category whose cumulative weight exceeds u: a zero weight is never picked.
    return np.searchsorted(cumulative, u, side="right").astype(np.int64)


class _WeightedChoices(Dataset):
    """The selector of `sample_from_datasets`: int64 indices drawn with
    probabilities proportional to the weights (a fixed vector, or one vector
    per element of a weights dataset)."""

    def __init__(self, weights, seed, rerandomize):
        self._weights = weights
        self._stream = _Stream(seed, rerandomize, _SAMPLE_SALT)
        super().__init__(Structure.from_specs(TensorSpec((), dtypes.int64)),
                         [weights] if isinstance(weights, Dataset) else [])

    def _iter(self):
        bits = self._stream.open()
        if not isinstance(self._weights, Dataset):
            cumulative = _cumulative(self._weights)
            while True:
                for i in _pick(cumulative, _uniforms(bits, _DRAWS)):
                    yield (np.asarray(i),)
        for leaves in self._weights._iter():
            yield (_pick(_cumulative(host_array(leaves[0])), _uniforms(bits, 1))[0, ...],)

    def _cardinality(self):
        if isinstance(self._weights, Dataset):
            return self._weights._cardinality()
        return _options.INFINITE


def _compatible(a, b) -> bool:
    if hasattr(a, "shape") and hasattr(b, "shape"):
        return a.dtype == b.dtype
    return a == b


def _common_structure(datasets, specs):
    """The element structure every dataset fits, dims that differ relaxed to
    None, or TF's error naming the first dataset that does not fit."""
    first = datasets[0]._structure
    common = list(first.specs)
    for i, d in enumerate(datasets[1:], 1):
        other = d._structure
        if not other.same_nesting(first) or not all(
                _compatible(a, b) for a, b in zip(common, other.specs)):
            raise TypeError("Invalid `datasets`. `datasets` must have compatible element specs.\n "
                            f"Dataset 0 element_spec={first.pack(common)!r}.\n"
                            f"Dataset {i} element_spec={specs[i]!r}.")
        common = [relaxed(a, b) if hasattr(a, "shape") else a for a, b in zip(common, other.specs)]
    return first.with_specs(common)


class _DirectedInterleaveDataset(Dataset):
    """Each element from the input the selector names next. An exhausted
    input ends the dataset (`stop_on_empty_dataset`) or is skipped; the
    dataset ends when the selector or every input is exhausted."""

    def __init__(self, selector, datasets, stop_on_empty_dataset):
        specs = [d.element_spec for d in datasets]  # TF's AttributeError for a non-dataset
        structure = _common_structure(datasets, specs)
        if not isinstance(stop_on_empty_dataset, bool):
            raise TypeError("Expected bool for argument 'stop_on_empty_dataset' not "
                            f"{stop_on_empty_dataset!r}.")
        self._selector, self._datasets, self._stop = selector, list(datasets), stop_on_empty_dataset
        super().__init__(structure, [selector] + self._datasets)

    def _iter(self):
        n = len(self._datasets)
        inputs = [d._iter() for d in self._datasets]
        live = [True] * n
        left = n
        for leaves in self._selector._iter():
            i = int(host_array(leaves[0]))
            if not 0 <= i < n:
                raise InvalidArgumentError(None, None, f"Selector index out of range: {i} >= {n} "
                                           "[Op:IteratorGetNext] name: ")
            if not live[i]:
                continue
            try:
                element = next(inputs[i])
            except StopIteration:
                if self._stop:
                    return
                live[i] = False
                left -= 1
                if not left:
                    return
                continue
            yield element

    def _cardinality(self):
        # TF's rule: infinite when any input is, whatever the selector; else unknown.
        if any(d._cardinality() == _options.INFINITE for d in self._datasets):
            return _options.INFINITE
        return _options.UNKNOWN


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """`Dataset.choose_from_datasets`: element i from `datasets[choice_i]`."""
    if not datasets:
        raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
    if not isinstance(choice_dataset, Dataset):
        raise TypeError("Invalid `choice_dataset`. `choice_dataset` should be a `tf.data.Dataset` "
                        f"but is {type(choice_dataset)}.")
    spec = choice_dataset.element_spec
    if not (isinstance(spec, TensorSpec) and spec.dtype == dtypes.int64
            and spec.shape.rank in (0, None)):
        raise TypeError("Invalid `choice_dataset`. Elements of `choice_dataset` must be scalar "
                        f"`tf.int64` tensors but are {spec!r}.")
    return _DirectedInterleaveDataset(choice_dataset, list(datasets), stop_on_empty_dataset)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                         rerandomize_each_iteration=None):
    """`Dataset.sample_from_datasets`: each element from a dataset drawn at
    random, with probabilities proportional to `weights` (uniform if None)."""
    if not datasets:
        raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
    datasets = list(datasets)
    if isinstance(weights, Dataset):
        spec = weights.element_spec
        if not (isinstance(spec, TensorSpec) and spec.dtype.is_floating):
            name = getattr(getattr(spec, "dtype", None), "name", spec)
            raise TypeError(f"Value passed to parameter 'x' has DataType {name} not in list of "
                            "allowed values: bfloat16, float16, float32, float64, complex64, "
                            "complex128")
        if spec.shape.rank not in (1, None):
            raise ValueError("Invalid `weights`. Each element of a `weights` dataset must be a "
                             f"vector of weights but is {spec!r}.")
    else:
        if weights is None:
            weights = np.ones(len(datasets))
        else:
            if isinstance(weights, Tensor):
                if not weights.shape.is_compatible_with([len(datasets)]):
                    raise ValueError("Invalid `weights`. The shape of `weights` should be "
                                     "compatible with `[len(datasets)]` but is "
                                     f"{weights.shape}.")
            elif len(weights) != len(datasets):
                raise ValueError("Invalid `weights`. `weights` should have the same length as "
                                 f"`datasets` but got `len(weights)={len(weights)}` vs. "
                                 f"`len(datasets)={len(datasets)}`.")
            if not isinstance(weights, Tensor):
                # Weights given as Python values: as TF, datasets of weight <= 0 (or
                # NaN) are left out (a tensor's weights are all kept, as in TF).
                kept = [(d, w) for d, w in zip(datasets, weights) if w > 0]
                datasets, weights = ([d for d, _ in kept], [w for _, w in kept]) if kept else \
                    ([datasets[0].take(0)], [1.0])
            array = to_host(weights)  # a list of NumPy scalars keeps their dtype, as in TF
            dtype = dtypes.as_dtype(array.dtype)
            if dtype not in (dtypes.float32, dtypes.float64):
                raise TypeError("Invalid `weights`. `weights` type must be either `tf.float32` or "
                                f"`tf.float64` but is {dtype}.")
            weights = array.astype(np.float64).reshape(-1)
        if len(datasets) == 1:
            return datasets[0]
    selector = _WeightedChoices(weights, seed, rerandomize_each_iteration)
    return _DirectedInterleaveDataset(selector, datasets, stop_on_empty_dataset)


def counter(start=0, step=1, dtype=dtypes.int64):
    """`Dataset.counter`: start, start + step, ... without end; TF builds it
    as a scan (and prints it so), adding `step` each time, wrapping on overflow."""
    start = to_host(convert_to_tensor(start, dtype=dtype))
    step = to_host(convert_to_tensor(step, dtype=dtype))

    def advance(state, _):
        with np.errstate(over="ignore"):
            return [np.asarray(np.add(state[0], step, dtype=step.dtype))], [state[0]]

    ticks = Dataset.from_tensors(np.int64(0)).repeat()
    spec = TensorSpec((), dtypes.as_dtype(start.dtype))
    return _ScanDataset(ticks, start, None, host=(advance, spec))
