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
from jaxtape._src.framework import tf_logging
from jaxtape._src.framework.ragged_tensor import RaggedTensor
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


class _Partition:
    """The row partitions of a RaggedFeature (outermost first), as TF's namedtuples."""
    RowSplits = collections.namedtuple("RowSplits", ["key"])
    RowLengths = collections.namedtuple("RowLengths", ["key"])
    RowStarts = collections.namedtuple("RowStarts", ["key"])
    RowLimits = collections.namedtuple("RowLimits", ["key"])
    ValueRowIds = collections.namedtuple("ValueRowIds", ["key"])
    UniformRowLength = collections.namedtuple("UniformRowLength", ["length"])


_PARTITIONS = (_Partition.RowSplits, _Partition.RowLengths, _Partition.RowStarts,
               _Partition.RowLimits, _Partition.ValueRowIds, _Partition.UniformRowLength)


class RaggedFeature(collections.namedtuple(
        "RaggedFeature", ["dtype", "value_key", "partitions", "row_splits_dtype", "validate"])):
    """A feature parsed to a `tf.RaggedTensor`: the values of `value_key` (default: the
    feature's own key), cut by `partitions` (outermost first)."""

    RowSplits = _Partition.RowSplits
    RowLengths = _Partition.RowLengths
    RowStarts = _Partition.RowStarts
    RowLimits = _Partition.RowLimits
    ValueRowIds = _Partition.ValueRowIds
    UniformRowLength = _Partition.UniformRowLength
    _PARTITION_TYPES = _PARTITIONS

    def __new__(cls, dtype, value_key=None, partitions=(), row_splits_dtype=dtypes.int32,
                validate=False):
        if value_key is not None:
            if not isinstance(value_key, str):
                raise ValueError(f"Argument `value_key` must be a string; got {value_key}")
            if not value_key:
                raise ValueError("Argument `value_key` must not be empty")
        dtype = dtypes.as_dtype(dtype)
        if dtype not in (dtypes.int64, dtypes.float32, dtypes.string):
            raise ValueError(f"Argument `dtype` must be int64, float32, or bytes; got {dtype!r}")
        row_splits_dtype = dtypes.as_dtype(row_splits_dtype)
        if row_splits_dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"Argument `row_splits_dtype` must be int32 or int64; got"
                             f"{row_splits_dtype!r}")
        if not isinstance(partitions, (list, tuple)):
            raise TypeError(f"Argument `partitions` must be a list or tuple. Received"
                            f"partitions={partitions} of type {type(partitions).__name__}.")
        checked = []
        for partition in partitions:
            if not isinstance(partition, _PARTITIONS):
                raise TypeError("Argument `partitions` cannot be cast to any of the partition "
                                f"types in {_PARTITIONS}; got: {partition!r} with type "
                                f"{type(partition)}")
            checked.append(partition)
        if not isinstance(validate, bool):
            raise TypeError(f"Argument `validate` must be a bool; got {validate!r}")
        return super().__new__(cls, dtype, value_key, tuple(checked), row_splits_dtype, validate)


class SparseFeature(collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """A `tf.SparseTensor` whose indices come from `index_key` features (one per
    dimension) and values from `value_key`, of dense shape `size`."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


export("io.RaggedFeature")(RaggedFeature)
export("io.SparseFeature")(SparseFeature)
export("io.FixedLenFeature")(FixedLenFeature)
export("io.FixedLenSequenceFeature")(FixedLenSequenceFeature)
export("io.VarLenFeature")(VarLenFeature)


class _Spec:
    """One raw feature read from each Example: "dense" (FixedLen and
    FixedLenSequence), "sparse" (VarLen; SparseFeature's parts) or "ragged"
    (RaggedFeature's values and partitions), validated as TF validates it."""

    def __init__(self, key, feature, kind=None, section="example"):
        self.key, self.name = key, key.decode() if isinstance(key, bytes) else str(key)
        self.sequence = isinstance(feature, FixedLenSequenceFeature)
        self.kind = kind or ("sparse" if isinstance(feature, VarLenFeature) else "dense")
        self.var_len = self.kind != "dense"
        if self.var_len:
            feature = FixedLenSequenceFeature([], feature.dtype, True)
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {self.name}. Received "
                             f"feature={feature!r}.")
        if self.sequence and not feature.allow_missing and section == "example":
            raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to "
                             "be True.")
        self.allow_missing = getattr(feature, "allow_missing", True)
        self.dtype = dtypes.as_dtype(feature.dtype)
        if self.dtype not in _LIST:
            raise attr_not_allowed(*_ATTR[section], kernel_dtype_name(self.dtype),
                                   "float, int64, string", _SUMMARY if section == "example"
                                   else _SEQUENCE_SUMMARY, named=False)
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

    def read(self, feature, where: str):
        """A Feature's values (flat), None where it has none; `where` prefixes a type error."""
        kind = None if feature is None else feature.WhichOneof("kind")
        if kind is None:
            return None
        if kind != self.field:
            if self.var_len:
                raise _error(f"{where}Data types don't match. Expected type: "
                             f"{kernel_dtype_name(self.dtype)}, Actual type: {_KIND_NAME[kind]}")
            raise _error(f"{where}Data types don't match. Data type: {_KIND_NAME[kind]} but "
                         f"expected type: {kernel_dtype_name(self.dtype)}")
        found = getattr(feature, kind).value
        # fromiter: protobuf's repeated field through np.array costs ~3x as much
        return np.array(list(found), object) if self.text else \
            np.fromiter(found, self.numpy, len(found))

    def values(self, example, where: str, batch: bool) -> np.ndarray | None:
        """This feature's values in one Example (flat), or None where it is absent."""
        feature = example.features.feature.get(self.name)
        values = self.read(feature, where)
        if values is None:
            return None
        if self.sequence:
            if self.size and values.size % self.size:
                raise _error(f"Error while parsing feature with key {self.name}: number of "
                             f"elements should be divisible by {self.size}, found {values.size} "
                             "instead")
        elif not self.var_len and values.size != self.size:
            kind = feature.WhichOneof("kind")
            if batch:
                raise _error(f"{where}Number of {_KIND_NAME[kind].replace('string', 'bytes')} "
                             f"values != expected.  Values size: {values.size} but output "
                             f"shape: [{','.join(map(str, self.shape))}]")
            raise _error(f"{where}Can't parse serialized Example: Some {kind} slice was not "
                         "parsed.")
        return values


def _error(message: str, op: str = _OP):
    return op_error(message, op, named=False)


_SEQUENCE_OP = "ParseSequenceExampleV2"
_SEQUENCE_SUMMARY = (
    "Op<name=ParseSequenceExampleV2; signature=serialized:string, debug_name:string, "
    "context_sparse_keys:string, context_dense_keys:string, context_ragged_keys:string, "
    "feature_list_sparse_keys:string, feature_list_dense_keys:string, "
    "feature_list_ragged_keys:string, feature_list_dense_missing_assumed_empty:bool, "
    "context_dense_defaults: -> context_sparse_indices:Ncontext_sparse*int64, "
    "context_sparse_values:, context_sparse_shapes:Ncontext_sparse*int64, context_dense_values:, "
    "context_ragged_values:, context_ragged_row_splits:, "
    "feature_list_sparse_indices:Nfeature_list_sparse*int64, feature_list_sparse_values:, "
    "feature_list_sparse_shapes:Nfeature_list_sparse*int64, feature_list_dense_values:, "
    "feature_list_dense_lengths:Nfeature_list_dense*int64, feature_list_ragged_values:, "
    "feature_list_ragged_outer_splits:, feature_list_ragged_inner_splits:; "
    "attr=Ncontext_sparse:int,default=0,min=0; attr=Tcontext_dense:list(type),default=[],min=0,"
    "allowed=[DT_FLOAT, DT_INT64, DT_STRING]; attr=context_sparse_types:list(type),default=[],"
    "min=0,allowed=[DT_FLOAT, DT_INT64, DT_STRING]; attr=context_ragged_value_types:list(type),"
    "default=[],min=0,allowed=[DT_FLOAT, DT_INT64, DT_STRING]; "
    "attr=context_ragged_split_types:list(type),default=[],min=0,allowed=[DT_INT32, DT_INT64]; "
    "attr=context_dense_shapes:list(shape),default=[],min=0; "
    "attr=Nfeature_list_sparse:int,default=0,min=0; attr=Nfeature_list_dense:int,default=0,min=0; "
    "attr=feature_list_dense_types:list(type),default=[],min=0,allowed=[DT_FLOAT, DT_INT64, "
    "DT_STRING]; attr=feature_list_sparse_types:list(type),default=[],min=0,allowed=[DT_FLOAT, "
    "DT_INT64, DT_STRING]; attr=feature_list_ragged_value_types:list(type),default=[],min=0,"
    "allowed=[DT_FLOAT, DT_INT64, DT_STRING]; attr=feature_list_ragged_split_types:list(type),"
    "default=[],min=0,allowed=[DT_INT32, DT_INT64]; "
    "attr=feature_list_dense_shapes:list(shape),default=[],min=0>")
_ATTR = {"example": (_OP, "Tdense"), "context": (_SEQUENCE_OP, "Tcontext_dense"),
         "feature_list": (_SEQUENCE_OP, "feature_list_dense_types")}


class _Plan:
    """What to read for a features dict (TF's ParseOpParams): the raw sparse, dense and
    ragged keys, in TF's order, and the composite features built from them."""

    def __init__(self, features, section="example"):
        self.sparse, self.dense, self.ragged = {}, [], {}  # name -> _Spec
        self.composite = []  # (output key, name, feature) of Sparse/RaggedFeatures
        self.keys = {}  # name -> the caller's key
        for key, feature in sorted(dict(features).items(),
                                   key=lambda kv: kv[0].decode() if isinstance(kv[0], bytes)
                                   else str(kv[0])):
            name = key.decode() if isinstance(key, bytes) else str(key)
            self.keys[name] = key
            self._add(key, name, feature, section)
        self._validate()
        self.specs = list(self.sparse.values()) + self.dense + list(self.ragged.values())

    def _add(self, key, name, feature, section):
        if section != "example":
            allowed = (FixedLenFeature, VarLenFeature, RaggedFeature) if section == "context" \
                else (FixedLenSequenceFeature, VarLenFeature, RaggedFeature)
            if isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature,
                                    SparseFeature)) and not isinstance(feature, allowed):
                raise ValueError(f"Unsupported {type(feature).__name__} {feature!r} for key "
                                 f"{name!r}")
        if isinstance(feature, VarLenFeature):
            self._sparse_key(name, feature.dtype, key, section)
        elif isinstance(feature, SparseFeature):
            if not feature.index_key:
                raise ValueError(f"Missing index_key for SparseFeature {feature}.")
            if not feature.value_key:
                raise ValueError(f"Missing value_key for SparseFeature {feature}.")
            index = [feature.index_key] if isinstance(feature.index_key, str) else \
                list(feature.index_key)
            if len(index) > 1:
                tf_logging.get_logger().warning("SparseFeature is a complicated feature config and should "
                                   "only be used after careful consideration of VarLenFeature.")
            for index_key in sorted(index):
                self._sparse_key(index_key, dtypes.int64, index_key, section)
            self._sparse_key(feature.value_key, feature.dtype, feature.value_key, section)
            self.composite.append((key, name, feature))
        elif isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature)):
            if section == "feature_list" and feature.default_value is not None:
                raise ValueError(f"Value feature_list.dense_defaults[{name}] must be None")
            self.dense.append(_Spec(key, feature, section=section))
        elif isinstance(feature, RaggedFeature):
            value_key = name if feature.value_key is None else feature.value_key
            self._ragged_key(value_key, feature.dtype, feature.row_splits_dtype, section)
            for partition in feature.partitions:
                if not isinstance(partition, RaggedFeature.UniformRowLength):
                    self._ragged_key(partition.key, dtypes.int64, feature.row_splits_dtype,
                                     section)
            self.composite.append((key, name, feature))
        else:
            raise NotImplementedInJaxtape(
                f"jaxtape does not implement tf.io.{type(feature).__name__}")

    def _sparse_key(self, name, dtype, key, section):
        dtype = dtypes.as_dtype(dtype)
        known = self.sparse.get(name)
        if known is not None:
            if known.dtype != dtype:
                raise ValueError(f"Conflicting type {_str(known.dtype)} vs {_str(dtype)} for feature "
                                 f"{name}.")
            return
        self.sparse[name] = _Spec(key, VarLenFeature(dtype), "sparse", section)

    def _ragged_key(self, name, dtype, splits, section):
        known = self.ragged.get(name)
        if known is not None:
            if known.dtype != dtype:
                raise ValueError(f"Conflicting type {_str(known.dtype)} vs {_str(dtype)} for feature "
                                 f"{name}.")
            if known.splits != splits:
                raise ValueError(f"Conflicting partition type {_str(known.splits)} vs {_str(splits)} "
                                 f"for feature {name}.")
            return
        spec = _Spec(name, VarLenFeature(dtype), "ragged", section)
        spec.splits = splits
        self.ragged[name] = spec

    def _validate(self):
        dense = [s.name for s in self.dense]
        sparse, ragged = list(self.sparse), list(self.ragged)
        for a, b, what, names in ((dense, sparse, "Dense and sparse", ("dense", "sparse")),
                                  (dense, ragged, "Dense and ragged", ("dense", "ragged")),
                                  (ragged, sparse, "Ragged and sparse", ("ragged", "sparse"))):
            common = set(a) & set(b)
            if common:
                head = f"{what} keys must not intersect; {names[0]}_keys: "
                tail = f"{a}, {names[1]}_keys: {b}, intersection: {common}"
                if what == "Dense and ragged":  # TF passes this message as two arguments
                    raise ValueError(head, tail)
                raise ValueError(head + tail)


def _str(dtype) -> str:
    return f"<dtype: '{dtypes.as_dtype(dtype).name}'>"


_PLANS: dict = {}  # (id(features), section) -> (features, its items' identities, plan)


def plan(features, section="example") -> _Plan:
    """The validated plan, built once per features dict: a pipeline's map parses every
    record with the same dict, and building it costs more than parsing a small record."""
    items = tuple((k, id(f)) for k, f in dict(features).items())
    cached = _PLANS.get((id(features), section))
    if cached is not None and cached[1] == items:
        return cached[2]
    made = _Plan(features, section)
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[(id(features), section)] = (features, items, made)  # holding `features` keeps its id
    return made


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


def _flat(rows: list[np.ndarray], spec: _Spec) -> np.ndarray:
    return np.concatenate(rows) if rows else np.zeros(0, spec.numpy)


def _sparse(rows: list[np.ndarray], spec: _Spec, batch: bool) -> SparseTensor:
    """A VarLenFeature's values: row i's j-th value at [i, j] (at [j] for one example)."""
    lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    total = int(lengths.sum())
    indices = np.stack([np.repeat(np.arange(len(rows), dtype=np.int64), lengths),
                        np.arange(total, dtype=np.int64) - starts], 1)
    shape = [len(rows), int(lengths.max()) if len(rows) else 0]
    if not batch:
        indices, shape = indices[:, 1:], shape[1:]
    return SparseTensor(indices, _tensor(_flat(rows, spec), spec), np.array(shape, np.int64))


def dense_rows(rows: list[np.ndarray], spec: _Spec, batch: bool):
    """A dense feature's tensor from its per-example flat rows (sequences padded)."""
    if spec.sequence:
        per = max(spec.size, 1)
        longest = max((len(r) // per for r in rows), default=0)
        pad = spec.default if spec.default is not None else \
            np.array([b"" if spec.dtype == dtypes.string else 0], spec.numpy)
        rows = [r if len(r) == longest * per else
                np.concatenate([r, np.repeat(pad, (longest * per - len(r)))]) for r in rows]
        shape = [longest] + spec.shape
    else:
        shape = spec.shape
    if not batch:
        return _tensor(rows[0].reshape(shape), spec)
    stacked = np.stack(rows).reshape([len(rows)] + shape) if rows else \
        np.zeros([0] + shape, spec.numpy)
    return _tensor(stacked, spec)


def _raw(examples, names, specs, batch: bool) -> dict:
    """{name: per-example flat rows (sparse, ragged) or the dense tensor}."""
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
        out[spec.name] = rows if spec.var_len else dense_rows(rows, spec, batch)
    return out


# -- SparseFeature ------------------------------------------------------------------

def sparse_feature(feature: SparseFeature, raw: dict, specs: dict, batch: bool) -> SparseTensor:
    """TF's sparse_merge of the index features with the value feature."""
    index = [feature.index_key] if isinstance(feature.index_key, str) else \
        list(feature.index_key)
    size = feature.size
    if isinstance(feature.index_key, str):
        if not isinstance(size, (int, np.integer)) and not hasattr(size, "dtype"):
            raise TypeError(f"vocab_size has to be a Tensor or Python int. Found {type(size)}")
        size = [size]
    size = [int(s) for s in size]
    values = raw[feature.value_key]
    ids = [raw[k] for k in index]
    total = sum(len(r) for r in values)
    for rows in ids:
        count = sum(len(r) for r in rows)
        if count != total:
            raise ValueError(f"Dimensions {count} and {total} are not compatible")
    lengths = np.fromiter((len(r) for r in values), np.int64, len(values))
    columns = [np.concatenate(rows) if rows else np.zeros(0, np.int64) for rows in ids]
    if batch:
        columns = [np.repeat(np.arange(len(values), dtype=np.int64), lengths)] + columns
        size = [len(values)] + size
    indices = np.stack(columns, 1).astype(np.int64) if columns else np.zeros((0, 0), np.int64)
    flat = _flat(values, specs[feature.value_key])
    if not feature.already_sorted and len(indices):
        order = np.lexsort(indices.T[::-1])
        indices, flat = indices[order], flat[order]
    return SparseTensor(indices, _tensor(flat, specs[feature.value_key]),
                        np.array(size, np.int64))


# -- RaggedFeature ------------------------------------------------------------------
# An item (one Example, or one step of a feature list) is built as (flat values,
# levels): levels outermost first, each a splits array or a uniform row length (int).

def _reshape_error(count: int, multiple: int):
    return op_error(f"Input to reshape is a tensor with {count} values, but the requested "
                    f"shape requires a multiple of {multiple}", "Reshape")


def _nrows(flat: np.ndarray, levels: list) -> int:
    if not levels:
        return flat.shape[0]
    if isinstance(levels[0], int):
        return _nrows(flat, levels[1:]) // levels[0] if levels[0] else 0
    return len(levels[0]) - 1


def _item(flat: np.ndarray, parts: list) -> tuple:
    """One item's values cut by its partitions (`parts`: (partition, int64 values))."""
    levels = []
    for partition, t in reversed(parts):
        if isinstance(partition, _Partition.UniformRowLength):
            length = int(partition.length)
            if levels:
                levels.insert(0, length)
                continue
            inner = int(np.prod(flat.shape[1:], dtype=np.int64)) * length
            if inner == 0 or flat.size % inner:
                raise _reshape_error(flat.size, inner)
            flat = flat.reshape((-1, length) + flat.shape[1:])
            continue
        n = _nrows(flat, levels)
        t = t.astype(np.int64)
        if isinstance(partition, _Partition.RowSplits):
            splits = np.concatenate([[0], t[1:]]) if len(t) else np.zeros(1, np.int64)
        elif isinstance(partition, _Partition.RowLengths):
            splits = np.concatenate([[0], np.cumsum(t)])
        elif isinstance(partition, _Partition.RowStarts):
            splits = np.concatenate([t, [n]])
        elif isinstance(partition, _Partition.RowLimits):
            splits = np.concatenate([[0], t])
        else:  # ValueRowIds
            rows = int(t.max()) + 1 if len(t) else 0
            splits = np.concatenate([[0], np.cumsum(np.bincount(t, minlength=rows))]) \
                if len(t) else np.zeros(1, np.int64)
        levels.insert(0, splits.astype(np.int64))
    return flat, levels


def _stack(items: list) -> tuple:
    """Items as one (flat, levels) with a new outer level: item i is row i."""
    flat = np.concatenate([f for f, _ in items])
    depth = len(items[0][1])
    levels = [np.concatenate([[0], np.cumsum([_nrows(f, lv) for f, lv in items])])
              .astype(np.int64)]
    for d in range(depth):
        first = items[0][1][d]
        if isinstance(first, int):
            levels.append(first)
            continue
        pieces, offset = [np.zeros(1, np.int64)], 0
        for _, lv in items:
            pieces.append(lv[d][1:] + offset)
            offset += int(lv[d][-1])
        levels.append(np.concatenate(pieces))
    return flat, levels


def _ragged(flat: np.ndarray, levels: list, spec: _Spec, splits_dtype):
    """A RaggedTensor (or, with no levels, a Tensor) of host arrays."""
    out = _tensor(flat, spec)
    for level in reversed(levels):
        if isinstance(level, int):
            rows = _nrows_of(out) // level if level else 0
            s = np.arange(rows + 1, dtype=np.int64) * level
            out = RaggedTensor._make(out, _splits_tensor(s, splits_dtype), level)
        else:
            out = RaggedTensor._make(out, _splits_tensor(level, splits_dtype))
    return out


def _nrows_of(value) -> int:
    return value.nrows_int() if isinstance(value, RaggedTensor) else int(value.shape[0])


def _splits_tensor(s: np.ndarray, dtype):
    return Tensor(np.asarray(s, dtypes.as_dtype(dtype).as_numpy_dtype))


def ragged_feature(feature: RaggedFeature, name: str, raw: dict, specs: dict, outer):
    """A RaggedFeature from the raw rows of its value and partition keys.

    outer: None for one Example (its items: just it); "batch" when the items are
    rows of the result; else the splits grouping items (steps) into examples."""
    value_key = name if feature.value_key is None else feature.value_key
    spec = specs[value_key]
    values = raw[value_key]
    keyed = [(p, raw.get(p.key) if not isinstance(p, _Partition.UniformRowLength) else None)
             for p in feature.partitions]
    empty = np.zeros(0, spec.numpy)
    if outer is not None:  # TF reshapes the whole batch's values at once: its count first
        total = sum(len(v) for v in values)
        inner = 1
        for p, _ in reversed(keyed):
            if not isinstance(p, _Partition.UniformRowLength):
                break
            inner *= int(p.length)
            if inner == 0 or total % inner:
                raise _reshape_error(total, inner)
    items = []
    for i, flat in enumerate(values):
        parts = [(p, empty if rows is None else
                  (rows[i] if i < len(rows) else np.zeros(0, np.int64))) for p, rows in keyed]
        items.append(_item(flat, parts))
    if outer is None:
        flat, levels = items[0]
        return _ragged(flat, levels, spec, feature.row_splits_dtype)
    if items:
        flat, levels = _stack(items)
    else:  # an empty batch: the levels (and dense inner dims) of an empty item
        flat, levels = _item(empty, [(p, np.zeros(0, np.int64)) for p, _ in keyed])
        levels = [np.zeros(1, np.int64)] + levels
    if not isinstance(outer, str):
        levels = [np.asarray(outer, np.int64)] + levels
    return _ragged(flat, levels, spec, feature.row_splits_dtype)


def composite(plan_: _Plan, raw: dict, batch: bool, outer=None) -> dict:
    """The result dict in TF's order: the raw features asked for (sparse, dense, ragged),
    then the composite ones not among them. `outer`: see `ragged_feature`."""
    specs = {**plan_.sparse, **plan_.ragged}
    made = {}
    for key, name, feature in plan_.composite:
        made[name] = sparse_feature(feature, raw, specs, batch) \
            if isinstance(feature, SparseFeature) else \
            ragged_feature(feature, name, raw, specs,
                           outer if outer is not None else ("batch" if batch else None))
    out = {}
    for spec in plan_.specs:
        if spec.name not in plan_.keys:
            continue
        key = plan_.keys[spec.name]
        if spec.name in made:
            out[key] = made[spec.name]
        elif spec.kind == "sparse":
            out[key] = _sparse(raw[spec.name], spec, batch)
        else:
            out[key] = raw[spec.name]
    for key, name, _ in plan_.composite:
        if key not in out:
            out[key] = made[name]
    return out


def _parse(records: list[bytes], names: list[str] | None, plan_: _Plan, batch: bool):
    Example = example_proto.classes()["Example"]
    examples = [_decode(Example, r) for r in records]
    raw = _raw(examples, names, plan_.specs, batch)
    return composite(plan_, raw, batch)


def _features_plan(features) -> _Plan:
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    return plan(features)


@export("io.parse_single_example")
def parse_single_example(serialized, features, example_names=None, name=None):
    """One serialized Example (a scalar string) to a dict of tensors, keys sorted."""
    values = as_string_tensor(serialized)._value
    if values.shape:
        raise ValueError("Input serialized must be a scalar")
    return _parse([values.reshape(-1)[0]], None, _features_plan(features), batch=False)


@export("io.parse_example")
def parse_example(serialized, features, example_names=None, name=None):
    """A vector of serialized Examples to a dict of batched tensors (a scalar: unbatched)."""
    plan_ = _features_plan(features)
    values = as_string_tensor(serialized)._value
    if values.ndim > 1:
        raise _error("Expected serialized to be a scalar or vector, got shape: "
                     f"[{','.join(map(str, values.shape))}]")
    names = None if example_names is None else [
        n.decode() for n in as_string_tensor(example_names)._value.reshape(-1)]
    if values.ndim == 0:
        return _parse([values.reshape(-1)[0]], names, plan_, batch=False)
    return _parse(list(values), names, plan_, batch=True)
