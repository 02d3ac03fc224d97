"""`tf.io.parse_single_example` / `parse_example` and their feature specs, on the host.

Each serialized `tf.train.Example` is read with the protobuf class of
`train/example.py`; a `FixedLenFeature` becomes a dense tensor of its shape
(its default where the feature is absent), a `FixedLenSequenceFeature` one
row per `shape`-sized slice (padded to the batch's longest), a
`VarLenFeature` a `SparseTensor`. Errors are TF's,
worded as TF's single-example and batch kernels word them.
"""
from __future__ import annotations

import collections

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor, bytes_array
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.strings.host import as_string_tensor
from jaxtape._src.framework import example_proto

_OP = "ParseExampleV2"
_SUMMARY = (
    "Op<name=ParseExampleV2; signature=serialized:string, names:string, sparse_keys:string, "
    "dense_keys:string, ragged_keys:string, dense_defaults: -> sparse_indices:num_sparse*int64, "
    "sparse_values:, sparse_shapes:num_sparse*int64, dense_values:, ragged_values:, "
    "ragged_row_splits:; attr=Tdense:list(type),min=0,allowed=[DT_FLOAT, DT_INT64, DT_STRING]; "
    "attr=num_sparse:int,min=0; attr=sparse_types:list(type),min=0,allowed=[DT_FLOAT, DT_INT64, "
    "DT_STRING]; attr=ragged_value_types:list(type),min=0,allowed=[DT_FLOAT, DT_INT64, "
    "DT_STRING]; attr=ragged_split_types:list(type),min=0,allowed=[DT_INT32, DT_INT64]; "
    "attr=dense_shapes:list(shape),min=0>")

# the Feature field holding each dtype's values, and how TF's messages name them
_LIST = {dtypes.float32: "float_list", dtypes.int64: "int64_list", dtypes.string: "bytes_list"}
_KIND_NAME = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """A feature of a known shape; absent, it takes `default_value` (None: required)."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """Any number of `shape`-sized values, stacked (padded with `default_value` in a batch)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature of any length, parsed to a `tf.SparseTensor` (rows: examples)."""


export("io.FixedLenFeature")(FixedLenFeature)
export("io.FixedLenSequenceFeature")(FixedLenSequenceFeature)
export("io.VarLenFeature")(VarLenFeature)


class _Spec:
    """One requested feature, validated as TF validates it before parsing."""

    def __init__(self, key, feature):
        if not isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature)):
            raise NotImplementedInJaxtape(
                f"jaxtape does not implement tf.io.{type(feature).__name__}")
        self.key, self.name = key, key.decode() if isinstance(key, bytes) else str(key)
        self.sequence = isinstance(feature, FixedLenSequenceFeature)
        self.var_len = isinstance(feature, VarLenFeature)
        if self.var_len:
            feature = FixedLenSequenceFeature([], feature.dtype, True)
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {self.name}. Received "
                             f"feature={feature!r}.")
        if self.sequence and not feature.allow_missing:
            raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to "
                             "be True.")
        self.dtype = dtypes.as_dtype(feature.dtype)
        if self.dtype not in _LIST:
            raise attr_not_allowed(_OP, "Tdense", kernel_dtype_name(self.dtype),
                                   "float, int64, string", _SUMMARY, named=False)
        self.shape = [int(d) for d in feature.shape]
        self.field = _LIST[self.dtype]
        self.text = self.dtype == dtypes.string
        self.numpy = object if self.dtype == dtypes.string else self.dtype.as_numpy_dtype
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.default = self._default(feature.default_value)

    def _default(self, value):
        if value is None:
            return None
        values = np.asarray(bytes_array(value) if self.dtype == dtypes.string else value,
                            self.numpy).reshape(-1)
        wanted = 1 if self.sequence else self.size
        if values.size != wanted:
            raise op_error(f"Input to reshape is a tensor with {values.size} values, but the "
                           f"requested shape has {wanted}", "Reshape", named=False)
        return values

    def values(self, example, where: str, batch: bool) -> np.ndarray | None:
        """This feature's values in one Example (flat), or None where it is absent."""
        features = example.features.feature
        feature = features.get(self.name)
        kind = None if feature is None else feature.WhichOneof("kind")
        if kind is None:
            return None
        if kind != self.field:
            raise _error(f"{where}Data types don't match. Data type: {_KIND_NAME[kind]} but "
                         f"expected type: {kernel_dtype_name(self.dtype)}")
        found = getattr(feature, kind).value
        # fromiter: protobuf's repeated field through np.array costs ~3x as much
        values = np.array(list(found), object) if self.text else \
            np.fromiter(found, self.numpy, len(found))
        if self.sequence or self.var_len:
            if self.size and values.size % self.size:
                raise _error(f"Error while parsing feature with key {self.name}: number of "
                             f"elements should be divisible by {self.size}, found {values.size} "
                             "instead")
        elif values.size != self.size:
            if batch:
                raise _error(f"{where}Number of {_KIND_NAME[kind].replace('string', 'bytes')} "
                             f"values != expected.  Values size: {values.size} but output "
                             f"shape: [{','.join(map(str, self.shape))}]")
            raise _error(f"{where}Can't parse serialized Example: Some {kind} slice was not "
                         "parsed.")
        return values


def _error(message: str):
    return op_error(message, _OP, named=False)


_SPECS: dict = {}  # id(features) -> (features, its items' identities, specs)


def _specs(features) -> list[_Spec]:
    """The validated specs, built once per features dict: a pipeline's map parses every
    record with the same dict, and building them costs more than parsing a small record."""
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    items = tuple((k, id(f)) for k, f in dict(features).items())
    cached = _SPECS.get(id(features))
    if cached is not None and cached[1] == items:
        return cached[2]
    # TF's order: the VarLenFeatures, then the dense ones, each sorted by key
    specs = sorted((_Spec(k, f) for k, f in dict(features).items()),
                   key=lambda s: (not s.var_len, s.name))
    if len(_SPECS) > 64:
        _SPECS.clear()
    _SPECS[id(features)] = (features, items, specs)  # holding `features` keeps its id unique
    return specs


def _decode(Example, record: bytes):
    try:
        return Example.FromString(record)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError, whatever its module
        text = record.decode("utf-8", "replace")
        raise _error(f"Could not parse example input, value: '{text}'") from None


def _tensor(array: np.ndarray, spec: _Spec):
    """A host tensor: parsing runs in input pipelines, and a device copy per feature
    per record (JAX's device_put, ~60 us) would cost more than the parse."""
    if spec.dtype == dtypes.string:
        out = np.empty(array.shape, object)
        out[...] = array
        return StringTensor(out)
    return Tensor(np.asarray(array, spec.numpy))


def _sparse(rows: list[np.ndarray], spec: _Spec, batch: bool) -> SparseTensor:
    """A VarLenFeature's values: row i's j-th value at [i, j] (at [j] for one example)."""
    positions = [np.stack([np.full(len(r), i), np.arange(len(r))], 1) for i, r in enumerate(rows)]
    indices = np.concatenate(positions).astype(np.int64) if rows else np.zeros((0, 2), np.int64)
    longest = max((len(r) for r in rows), default=0)
    shape = [len(rows), longest]
    if not batch:
        indices, shape = indices[:, 1:], shape[1:]
    values = np.concatenate(rows) if rows else np.zeros(0, spec.numpy)
    return SparseTensor(indices, _tensor(values, spec), np.array(shape, np.int64))


def _parse(records: list[bytes], names: list[str] | None, specs: list[_Spec], batch: bool):
    Example = example_proto.classes()["Example"]
    examples = [_decode(Example, r) for r in records]
    out = {}
    for spec in specs:
        rows = []
        for i, example in enumerate(examples):
            name = names[i] if names else "<unknown>"
            where = f"Name: {name}, Key: {spec.name}, Index: {i}.  " if batch \
                else f"Key: {spec.name}.  "
            values = spec.values(example, where, batch)
            if values is None and not (spec.sequence or spec.var_len):
                if spec.default is None:
                    prefix = f"Name: {name}, " if batch else ""
                    raise _error(f"{prefix}Feature: {spec.name} (data type: "
                                 f"{kernel_dtype_name(spec.dtype)}) is required but could not "
                                 "be found.")
                values = spec.default
            rows.append(np.zeros(0, spec.numpy) if values is None else values)
        if spec.var_len:
            out[spec.key] = _sparse(rows, spec, batch)
            continue
        if spec.sequence:
            per = max(spec.size, 1)
            longest = max((len(r) // per for r in rows), default=0)
            pad = spec.default if spec.default is not None else \
                np.array([b"" if spec.dtype == dtypes.string else 0], spec.numpy)
            rows = [np.concatenate([r, np.repeat(pad, (longest * per - len(r)))]) for r in rows]
            shape = [longest] + spec.shape
        else:
            shape = spec.shape
        if not batch:
            out[spec.key] = _tensor(rows[0].reshape(shape), spec)
            continue
        stacked = np.stack(rows).reshape([len(rows)] + shape) if rows else \
            np.zeros([0] + shape, spec.numpy)
        out[spec.key] = _tensor(stacked, spec)
    return out


@export("io.parse_single_example")
def parse_single_example(serialized, features, example_names=None, name=None):
    """One serialized Example (a scalar string) to a dict of tensors, keys sorted."""
    values = as_string_tensor(serialized)._value
    if values.shape:
        raise ValueError("Input serialized must be a scalar")
    return _parse([values.reshape(-1)[0]], None, _specs(features), batch=False)


@export("io.parse_example")
def parse_example(serialized, features, example_names=None, name=None):
    """A vector of serialized Examples to a dict of batched tensors (a scalar: unbatched)."""
    specs = _specs(features)
    values = as_string_tensor(serialized)._value
    if values.ndim > 1:
        raise _error("Expected serialized to be a scalar or vector, got shape: "
                     f"[{','.join(map(str, values.shape))}]")
    names = None if example_names is None else [
        n.decode() for n in as_string_tensor(example_names)._value.reshape(-1)]
    if values.ndim == 0:
        return _parse([values.reshape(-1)[0]], names, specs, batch=False)
    return _parse(list(values), names, specs, batch=True)
