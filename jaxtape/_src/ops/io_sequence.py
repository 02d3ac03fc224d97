"""`tf.io.parse_single_sequence_example` / `parse_sequence_example`, on the host.

A `tf.train.SequenceExample` holds context features (parsed as an Example's:
FixedLen, VarLen, Ragged) and feature lists, one Feature per step: a
`FixedLenSequenceFeature` gives [steps, *shape] (padded to the batch's
longest, with the lengths returned), a `VarLenFeature` a SparseTensor
indexed [(example,) step, position], a `RaggedFeature` a RaggedTensor whose
rows are the steps. Built on `io_parsing`'s plans, rows and composites; the
errors are TF's ParseSequenceExampleV2 kernel's.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import example_proto
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops import io_parsing as P
from jaxtape._src.ops.strings.host import as_string_tensor

_OP = P._SEQUENCE_OP


def _error(message: str):
    return P._error(message, _OP)


def _read(spec, feature, where: str):
    kind = None if feature is None else feature.WhichOneof("kind")
    if kind is None:
        return None
    if kind != spec.field:
        raise _error(f"{where}Data types don't match. Expected type: "
                     f"{kernel_dtype_name(spec.dtype)}")
    return spec.read(feature, "")


def _context(examples, names, plan, batch: bool) -> dict:
    raw = {}
    for spec in plan.specs:
        rows = []
        for i, example in enumerate(examples):
            name = names[i] if names else "<unknown>"
            values = _read(spec, example.context.feature.get(spec.name),
                           f"Name: {name}, Context feature: {spec.name}.  ")
            if not spec.var_len:
                if values is None:
                    values = spec.default
                found = 0 if values is None else values.size
                if found != spec.size:
                    raise _error(f"Inconsistent max number of elements for feature "
                                 f"{spec.name}: expected {spec.size}, but found {found}")
            rows.append(np.zeros(0, spec.numpy) if values is None else values)
        raw[spec.name] = rows if spec.var_len else P.dense_rows(rows, spec, batch)
    return P.composite(plan, raw, batch)


def _steps(spec, example, i: int, name: str) -> list:
    """The flat values of each step of this feature's list in one example."""
    found = example.feature_lists.feature_list.get(spec.name)
    if found is None:
        if not spec.var_len and not spec.allow_missing:
            raise _error(f"Name: {name}, Feature list '{spec.name}' is required but could not "
                         "be found.  Did you mean to include it in "
                         "feature_list_dense_missing_assumed_empty or "
                         "feature_list_dense_defaults?")
        return []
    empty = np.zeros(0, spec.numpy)
    steps = []
    for t, feature in enumerate(found.feature):
        values = _read(spec, feature, f"Name: {name}, Feature list: {spec.name}, Index: {t}.  ")
        steps.append(empty if values is None else values)
    if not spec.var_len:
        if steps and len(steps[0]) != spec.size:
            raise _error(f"Name: {name}, Key: {spec.name}, Index: 0.  Number of values != "
                         f"expected.  values size: {len(steps[0])} but output shape: "
                         f"[{','.join(map(str, spec.shape))}]")
        total = sum(len(s) for s in steps)
        if total != spec.size * len(steps):
            raise _error(f"Feature list '{spec.name}' has an unexpected number of values.  "
                         f"Total values size: {total} is not consistent with output shape: "
                         f"[?,{','.join(map(str, spec.shape))}]".replace("[?,]", "[?]"))
    return steps


def _sparse(per_example: list, spec, batch: bool) -> SparseTensor:
    """A VarLenFeature list: value k of step t of example b at [b, t, k]."""
    rows, index = [], []
    for b, steps in enumerate(per_example):
        for t, values in enumerate(steps):
            rows.append(values)
            index.append((b, t))
    lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
    where = np.array(index, np.int64).reshape(-1, 2)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    indices = np.concatenate([np.repeat(where, lengths, axis=0),
                              (np.arange(int(lengths.sum())) - starts)[:, None]], 1)
    shape = [len(per_example), max((len(s) for s in per_example), default=0),
             int(lengths.max()) if len(rows) else 0]
    if not batch:
        indices, shape = indices[:, 1:], shape[1:]
    return SparseTensor(indices.astype(np.int64), P._tensor(P._flat(rows, spec), spec),
                        np.array(shape, np.int64))


def _feature_lists(examples, names, plan, batch: bool):
    per = {}
    for spec in plan.specs:
        per[spec.name] = [_steps(spec, example, i, names[i] if names else "<unknown>")
                          for i, example in enumerate(examples)]
    lengths, raw = {}, {}
    for spec in plan.dense:
        steps = per[spec.name]
        count = np.array([len(s) for s in steps], np.int64)
        lengths[spec.key] = Tensor(count if batch else count[0])
        rows = [np.concatenate(s) if s else np.zeros(0, spec.numpy) for s in steps]
        raw[spec.name] = P.dense_rows(rows, spec, batch)
    for spec in plan.ragged.values():  # the items of a ragged feature: every step
        raw[spec.name] = [values for steps in per[spec.name] for values in steps]
    def outer(feature, name):  # the steps of each example: those of the value key's list
        if not batch:
            return "batch"
        steps = per[name if feature.value_key is None else feature.value_key]
        return np.concatenate([[0], np.cumsum([len(s) for s in steps])]).astype(np.int64)

    for spec in plan.sparse.values():
        raw[spec.name] = _sparse(per[spec.name], spec, batch)
    specs = dict(plan.ragged)
    made = {name: P.ragged_feature(feature, name, raw, specs, outer(feature, name))
            for _, name, feature in plan.composite}
    out = {}
    for spec in plan.specs:
        if spec.name in plan.keys:
            out[plan.keys[spec.name]] = made[spec.name] if spec.name in made else raw[spec.name]
    for key, name, _ in plan.composite:
        if key not in out:
            out[key] = made[name]
    return out, lengths


def _decode(records, names):
    SequenceExample = example_proto.classes()["SequenceExample"]
    out = []
    for i, record in enumerate(records):
        try:
            out.append(SequenceExample.FromString(record))
        except Exception:  # noqa: BLE001 - protobuf's DecodeError, whatever its module
            raise _error("Invalid protocol message input, example id: "
                         f"{names[i] if names else '<unknown>'}") from None
    return out


def _parse(serialized, context_features, sequence_features, names, single: bool):
    if not context_features and not sequence_features:
        raise ValueError("Both `context_features` and `sequence_features` argument are None, "
                         "but at least one should have values.")
    context = P.plan(context_features or {}, "context")
    lists = P.plan(sequence_features or {}, "feature_list")
    values = as_string_tensor(serialized)._value
    if single and values.shape:
        raise ValueError("Input serialized must be a scalar")
    if values.ndim > 1:
        raise _error("Expected serialized to be a scalar or vector, got shape: "
                     f"[{','.join(map(str, values.shape))}]")
    batch = values.ndim == 1
    records = list(values) if batch else [values.reshape(-1)[0]]
    examples = _decode(records, names)
    return (_context(examples, names, context, batch),) + \
        _feature_lists(examples, names, lists, batch)


def _names(value):
    if value is None:
        return None
    return [n.decode() for n in as_string_tensor(value)._value.reshape(-1)]


@export("io.parse_single_sequence_example")
def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """One serialized SequenceExample to (context dict, feature-list dict)."""
    context, lists, _ = _parse(serialized, context_features, sequence_features,
                               _names(example_name), single=True)
    return context, lists


@export("io.parse_sequence_example")
def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """A vector of SequenceExamples to (context, feature lists, feature-list lengths)."""
    return _parse(serialized, context_features, sequence_features, _names(example_names),
                  single=False)
