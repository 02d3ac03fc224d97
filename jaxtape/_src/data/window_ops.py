"""Transformations that carry state across elements: group_by_window,
bucket_by_sequence_length (TF builds it on group_by_window, and prints it
so) and scan.

TF traces the user functions once when the dataset is built, so their
errors (a key that is not an int64 scalar, a reduce function that returns
no dataset, a state whose dtype changes) come at construction; jaxtape
traces them abstractly (`functions.infer`) for the same checks, and checks
again per element when a function cannot be traced.
"""
from __future__ import annotations

import itertools

import numpy as np
from jax import tree_util

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import (BOOL_MESSAGE, InternalError, InvalidArgumentError,
                                           OperatorNotAllowedInGraphError)
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.tape import stack
from jaxtape._src.data import options as _options
from jaxtape._src.data.batch_ops import _is_shape, _padded_shape, _up_to
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.functions import call, infer
from jaxtape._src.data.host import on_host
from jaxtape._src.data.map_ops import _host_function, structure_of_results
from jaxtape._src.data.spec import TensorSpec, relaxed, spec_of, with_batch_dim, without_batch_dim
from jaxtape._src.data.structure import (Structure, _is_leaf, flat_of, host_array, int64_arg,
                                         map_leaves, normalize, to_host, to_tensor)

_INT32_MIN, _INT32_MAX = int(np.iinfo(np.int32).min), int(np.iinfo(np.int32).max)


class _VariantDataset(Dataset):
    """One window of `group_by_window`: the grouped elements, as a dataset
    (TF's printed name for it)."""

    def __init__(self, structure, elements):
        super().__init__(structure)
        self._elements = elements

    def _iter(self):
        return iter(self._elements)

    def _cardinality(self):
        return len(self._elements)


def _call2(fn, a, b):
    """`fn(a, b)` as a pipeline function runs: on the host, unseen by tapes."""
    with on_host(), stack.hidden():
        return fn(a, b)


def _spec_of_value(value):
    """The element spec TF prints for a function's output."""
    return Structure.of(normalize(value, lists_are_tuples=True)).element_spec


def _converted_to(fn, dtype):
    """`fn` with a Python (non-tensor) result converted to `dtype`, as TF's
    `convert_to_tensor(result, dtype)` does; tensors keep their dtype so that
    a wrong one is reported."""
    def converted(*args):
        out = fn(*args)
        return out if isinstance(out, Tensor) else convert_to_tensor(out, dtype=dtype)
    return converted


def _check_int64_scalar(spec, what):
    if not hasattr(spec, "dtype") or spec.dtype != dtypes.int64:
        dtype = getattr(getattr(spec, "dtype", None), "name", spec)
        raise ValueError(f"Tensor conversion requested dtype int64 for Tensor with dtype {dtype}: "
                         f"<tf.Tensor '{what}:0' shape={getattr(spec, 'shape', None)} "
                         f"dtype={dtype}>")
    if spec.shape.rank != 0:
        raise ValueError(f"Invalid `{what}`. `{what}` must return a single `tf.int64` scalar "
                         f"tensor but its return type is {spec!r}.")


def _int64_function(fn, structure, what):
    """A host function giving `fn`'s int64 scalar result as a Python int,
    checked (as TF checks it when it traces `fn`) at construction when the
    trace succeeds, else on each call."""
    converted = _converted_to(_host_function(fn, structure), dtypes.int64)
    inferred = infer(converted, structure)
    if inferred is not None:
        _check_int64_scalar(inferred.element_spec if len(inferred.specs) == 1 else
                            TensorSpec(None, dtypes.int64), what)

    def run(leaves):
        value = host_array(to_host(call(converted, structure, leaves)))
        if inferred is None:
            _check_int64_scalar(spec_of(value), what)
        return int(value)
    return run


def _checked_dataset(out):
    if not isinstance(out, Dataset):
        raise TypeError("Invalid `reduce_func`. `reduce_func` must return a single "
                        f"`tf.data.Dataset` object but its return type is {_spec_of_value(out)}.")
    return out


class _GroupByWindowDataset(Dataset):
    """Elements grouped by an int64 key: a group that reaches its window
    size is reduced to a dataset whose elements come out at once; at the end
    the partial groups are reduced in increasing key order (TF keeps them in
    an ordered map)."""

    def __init__(self, input_dataset, key_of, window_size_of, reduce_of, structure):
        self._input = input_dataset
        self._key_of, self._window_size_of, self._reduce_of = key_of, window_size_of, reduce_of
        super().__init__(structure if structure is not None else self._first_structure,
                         [input_dataset])

    def _window_size(self, key):
        size = self._window_size_of(key)
        if size <= 0:
            raise InvalidArgumentError(None, None, f"Window size must be greater than zero, but "
                                       f"got {size}. [Op:IteratorGetNext] name: ")
        return size

    def _windows(self):
        """The dataset each window reduces to, in TF's order."""
        groups, sizes = {}, {}
        for leaves in self._input._iter():
            key = self._key_of(leaves)
            group = groups.get(key)
            if group is None:  # TF asks for the window size as each group opens
                sizes[key] = self._window_size(key)
                group = groups[key] = []
            group.append(leaves)
            if len(group) >= sizes[key]:
                del groups[key]
                yield self._reduce_of(key, group)
        for key in sorted(groups):
            yield self._reduce_of(key, groups[key])

    def _iter(self):
        for window in self._windows():
            yield from window._iter()

    def _first_structure(self):
        for window in self._windows():
            return window._structure
        raise ValueError("jaxtape cannot tell the element_spec of a group_by_window over an "
                         "empty dataset whose reduce_func it could not call ahead")

    def _cardinality(self):
        n = self._input._cardinality()
        return n if n == _options.INFINITE else _options.UNKNOWN


def _key_tensor(key):
    return to_tensor(np.asarray(key, np.int64))


def group_by_window(dataset, key_func, reduce_func, window_size=None, window_size_func=None):
    """`Dataset.group_by_window`: windows of up to `window_size` (or
    `window_size_func(key)`) elements with the same `key_func` key, each
    replaced by the dataset `reduce_func(key, window)`."""
    if (window_size is None) == (window_size_func is None):
        raise ValueError("Either the `window_size` argument or the `window_size_func` argument "
                         "must be specified.")
    structure = dataset._structure
    key_of = _int64_function(key_func, structure, "key_func")

    def reduce_of(key, elements):
        return _checked_dataset(_call2(reduce_func, _key_tensor(key),
                                       _VariantDataset(structure, elements)))

    # TF traces reduce_func on a symbolic window; jaxtape calls it on an empty
    # one. A function that fails on that (say `window.batch(key)` with key 0)
    # gets its spec from the first real window instead.
    try:
        out = _call2(reduce_func, _key_tensor(0), _VariantDataset(structure, []))
    except Exception:  # noqa: BLE001 - any failure: learn the spec from a real window
        out_structure = None
    else:
        out_structure = _checked_dataset(out)._structure
    if window_size is not None:
        size = int64_arg(window_size, "window_size")
        window_size_of = lambda key: size  # noqa: E731
    else:
        key_structure = Structure.from_specs(TensorSpec((), dtypes.int64))
        size_of = _int64_function(window_size_func, key_structure, "window_size_func")
        window_size_of = lambda key: size_of((np.asarray(key, np.int64),))  # noqa: E731
    return _GroupByWindowDataset(dataset, key_of, window_size_of, reduce_of, out_structure)


def _bounds(values):
    """A list of bucket bounds as TF converts it inside its bucketing function."""
    if any(isinstance(v, (str, bytes)) for v in values):
        raise TypeError(f"Failed to convert elements of {values!r} to Tensor. Consider casting "
                        "elements to a supported type. See https://www.tensorflow.org/api_docs/"
                        "python/tf/dtypes for supported TF dtypes.")
    return to_host(convert_to_tensor(values))


def _batch_sizes(sizes):
    if isinstance(sizes, Tensor) and sizes.dtype != dtypes.int64:
        raise TypeError(f"Expected tensor {to_host(sizes)} with dtype tf.int64, but got dtype "
                        f"tf.{sizes.dtype.name}.")
    return [int(s) for s in np.atleast_1d(to_host(convert_to_tensor(sizes, dtype=dtypes.int64)))]


def _pad_boundary_error(bucket, last):
    return InternalError(None, None, "Got error code INVALID_ARGUMENT and message: {\nassertion "
                         "failed: [When pad_to_bucket_boundary=True, elements must have length < "
                         "max(bucket_boundaries).] [Condition x < y did not hold element-wise:] "
                         f"[x (args_0:0) = ] [{bucket}] [y (Const_1:0) = ] [{last}]\n}} \nfrom "
                         "running user-defined function Dataset_group_by_window_batching_fn:  "
                         "[Op:IteratorGetNext] name: ")


def bucket_by_sequence_length(dataset, element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None, pad_to_bucket_boundary=False,
                              no_padding=False, drop_remainder=False):
    """`Dataset.bucket_by_sequence_length`: elements grouped by the bucket
    their length falls in, batched (padded unless `no_padding`) by bucket."""
    if len(bucket_batch_sizes) != len(bucket_boundaries) + 1:
        raise ValueError("`len(bucket_batch_sizes)` must equal `len(bucket_boundaries) + 1` but "
                         f"`len(bucket_batch_sizes)={len(bucket_batch_sizes)}` and "
                         f"`len(bucket_boundaries)={len(bucket_boundaries)}`.")
    sizes = _batch_sizes(bucket_batch_sizes)
    if isinstance(bucket_boundaries, Tensor):  # TF lists it inside its traced bucketing function
        raise OperatorNotAllowedInGraphError(BOOL_MESSAGE.replace(
            "Using a symbolic `tf.Tensor` as a Python `bool`",
            "Iterating over a symbolic `tf.Tensor`"))
    boundaries = list(bucket_boundaries)
    # Bucket i holds lengths in [lows[i], highs[i]); TF takes the first bucket
    # that does, so unsorted or repeated boundaries behave as in TF.
    lows, highs = _bounds([_INT32_MIN] + boundaries), _bounds(boundaries + [_INT32_MAX])
    bound_dtype = dtypes.as_dtype(lows.dtype)
    structure = dataset._structure
    length_fn = _converted_to(_host_function(element_length_func, structure), bound_dtype)

    def check_length(spec):
        if spec.dtype != bound_dtype:
            raise TypeError(f"Input 'y' of 'LessEqual' Op has type {spec.dtype.name} that does not "
                            f"match type {bound_dtype.name} of argument 'x'.")
    inferred = infer(length_fn, structure)
    if inferred is not None and len(inferred.specs) == 1:
        check_length(inferred.specs[0])

    def key_of(leaves):
        length = host_array(to_host(call(length_fn, structure, leaves)))
        if inferred is None:
            check_length(spec_of(length))
        hits = np.argwhere((lows <= length) & (length < highs))
        if not hits.size:
            raise InvalidArgumentError(None, None, f"No bucket holds the element length {length}. "
                                       "[Op:IteratorGetNext] name: ")
        return int(hits.min())

    input_shapes = structure.pack([getattr(s, "shape", TensorShape(None)) for s in structure.specs])

    def batch(bucket, window, fill=True, size=None):
        size = sizes[bucket] if size is None else size
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        filler = None
        if pad_to_bucket_boundary and fill:
            if bucket >= len(sizes) - 1:
                raise _pad_boundary_error(bucket, len(sizes) - 1)
            filler = int(boundaries[bucket]) - 1
        shapes = []
        for shape in _up_to(structure, padded_shapes or input_shapes, _is_shape):
            shape = _padded_shape(shape)
            shapes.append(shape if shape.rank is None else
                          [filler if d is None else d for d in shape.as_list()])
        return window.padded_batch(size, structure.pack(shapes), padding_values,
                                   drop_remainder=drop_remainder)

    # TF's batch size is a tensor looked up by bucket: the batch dim is None even
    # with drop_remainder, and padded dims are None under pad_to_bucket_boundary.
    out = batch(0, _VariantDataset(structure, []), fill=False, size=1)._structure
    out = out.with_specs([with_batch_dim(without_batch_dim(s), None) for s in out.specs])
    def reduce_of(bucket, elements):
        return batch(bucket, _VariantDataset(structure, elements))
    return _GroupByWindowDataset(dataset, key_of, lambda bucket: sizes[bucket], reduce_of, out)


def _pack_lists(value):
    """A list in a scan function's output is one tensor (TF's scan packs it)."""
    return map_leaves(lambda leaf: convert_to_tensor(leaf) if isinstance(leaf, list) else leaf,
                      value)


def _leaf_count(template) -> int:
    return len(tree_util.tree_leaves(template, is_leaf=_is_leaf))


def _pair_error(spec):
    return TypeError("Invalid `scan_func`. `scan_func` should return a pair consisting of new "
                     f"state and the output value but its return type is {spec!r}.")


def _nested_dtypes(template, specs):
    return tree_util.tree_unflatten(tree_util.tree_flatten(template, is_leaf=_is_leaf)[1],
                                    [s.dtype for s in specs])


class _ScanDataset(Dataset):
    """`scan(initial_state, scan_func)`: `scan_func(state, element)` gives
    (new state, output); the outputs are the elements. Each pass starts from
    the initial state.

    `host=(step, spec)`: a step over flat host arrays, `step(state, element)
    -> (new state, output)`, with the output's spec (`counter`'s fast path)."""

    def __init__(self, input_dataset, initial_state, scan_func, host=None):
        self._input = input_dataset
        state = normalize(initial_state)
        self._state_structure = Structure.of(state)
        self._state0 = list(flat_of(state))
        if host is not None:
            self._step, spec = host
            super().__init__(Structure.from_specs(spec), [input_dataset])
            return
        # What `call` packs: the function's two arguments, the state and the element.
        self._pair = Structure.from_specs((self._state_structure.element_spec,
                                           input_dataset.element_spec))
        fn = _host_function(scan_func, self._pair)
        self._fn = lambda state, element: _pack_lists(fn(state, element))
        self._step = self._call
        inferred = self._infer()
        super().__init__(inferred if inferred is not None else self._first_structure,
                         [input_dataset])

    def _split(self, structure):
        """(new state template, output Structure) of a traced (state, output) pair."""
        template = structure.template
        if type(template) is not tuple or len(template) != 2:
            raise _pair_error(structure.element_spec)
        n = _leaf_count(template[0])
        out_def = tree_util.tree_flatten(template[1], is_leaf=_is_leaf)[1]
        return template[0], n, Structure(out_def, template[1], structure.specs[n:])

    def _check_dtypes(self, template, new_dtypes):
        old = [s.dtype for s in self._state_structure.specs]
        if len(new_dtypes) == len(old) and list(new_dtypes) != old:
            expected = self._state_structure.pack(old)
            got = tree_util.tree_unflatten(tree_util.tree_flatten(template, is_leaf=_is_leaf)[1],
                                           list(new_dtypes))
            raise TypeError("Invalid `scan_func`. The element types for the new state must match "
                            f"the initial state. Expected {expected}, got {got}.")

    def _infer(self):
        """The output Structure from abstract traces; as TF, state dims that the
        function changes are relaxed to None and the function traced again."""
        state_specs = list(self._state_structure.specs)
        element_spec = self._input.element_spec
        for _ in range(8):  # each round relaxes at least one dim; deeper changes are rare
            pair = Structure.from_specs((self._state_structure.pack(state_specs), element_spec))
            traced = infer(self._fn, pair)
            if traced is None:
                return None
            template, n, out = self._split(traced)
            new = traced.specs[:n]
            self._check_dtypes(template, [s.dtype for s in new])
            if n != len(state_specs):
                return out  # reported as TF does, when the dataset runs
            weakened = [relaxed(a, b) for a, b in zip(state_specs, new)]
            if weakened == state_specs:
                return out
            state_specs = weakened
        return None

    def _call(self, state, leaves):
        value = call(self._fn, self._pair, list(state) + list(leaves))
        if type(value) is not tuple or len(value) != 2:
            raise _pair_error(_spec_of_value(value))
        new_state, output = normalize(value, device_ok=True)
        new, out = list(flat_of(new_state)), list(flat_of(output))
        n = len(self._state0)
        if len(new) != n:  # TF reads the first n results as the state
            flat = new + out
            if len(flat) > n + len(self._structure.specs):
                raise InvalidArgumentError(None, None, "Got wrong type for scan_func return value "
                                           f"{len(flat) - 1} (expected no value, got "
                                           f"{dtypes.as_dtype(flat[-1].dtype).name}). "
                                           "[Op:IteratorGetNext] name: ")
            raise InternalError(None, None, f"Expected {len(self._structure.specs)} components "
                                f"but got {len(flat) - n}. [Op:IteratorGetNext] name: ")
        self._check_dtypes(new_state, [dtypes.as_dtype(a.dtype) for a in new])
        return new, out

    def _first_structure(self):
        """The spec from the first two outputs (dims where they differ are None),
        for a function that cannot be traced."""
        seen, state = [], self._state0
        for leaves in itertools.islice(self._input._iter(), 2):
            value = call(self._fn, self._pair, list(state) + list(leaves))
            if type(value) is not tuple or len(value) != 2:
                raise _pair_error(_spec_of_value(value))
            new_state, output = normalize(value, device_ok=True)
            self._check_dtypes(new_state, [dtypes.as_dtype(a.dtype) for a in flat_of(new_state)])
            state = list(flat_of(new_state))
            seen.append(Structure.of(output))
        return structure_of_results(seen, "scan")

    def _iter(self):
        state, step = self._state0, self._step
        for leaves in self._input._iter():
            state, out = step(state, leaves)
            yield tuple(out)

    def _cardinality(self):
        return self._input._cardinality()


def scan(dataset, initial_state, scan_func):
    return _ScanDataset(dataset, initial_state, scan_func)
