"""`tf.io.serialize_sparse`, `serialize_many_sparse` and `deserialize_many_sparse`, on
the host.

A serialized SparseTensor is three TensorProto strings (indices, values,
dense_shape), as TF's SerializeSparse writes them: every tensor in
`tensor_content` (strings too: all lengths as varints, then the bytes).
`serialize_many_sparse` cuts a rank-R tensor into its rows along dimension 0
(each of rank R-1, shape `dense_shape[1:]`) after TF's index checks;
`deserialize_many_sparse` stacks rows back, the batch dimensions first and
each other dimension the largest of the rows'. TF's `tf.variant` outputs
have no jaxtape dtype: `out_type=tf.variant` is refused.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes, tensor_proto, wire
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.messages import kernel_dtype_name, op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.sparse.conversion import _validate
from jaxtape._src.ops.strings.host import as_string_tensor
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined


def _out_type(out_type):
    if isinstance(out_type, str) and out_type == "variant" or \
            getattr(out_type, "name", None) == "variant":
        raise NotImplementedInJaxtape("jaxtape has no tf.variant tensors: serialize sparse "
                                      "tensors with out_type=tf.string")
    dtype = dtypes.as_dtype(out_type)
    if dtype != dtypes.string:
        raise NotImplementedInJaxtape("jaxtape has no tf.variant tensors: serialize sparse "
                                      "tensors with out_type=tf.string")


def _sparse_arrays(sp_input, op: str):
    if not isinstance(sp_input, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    indices = host_array(sp_input.indices, op).astype(np.int64).reshape(
        -1, sp_input.indices.shape[1] or 0)
    values = sp_input.values
    values = values._value if isinstance(values, StringTensor) else host_array(values, op)
    shape = host_array(sp_input.dense_shape, op).astype(np.int64).reshape(-1)
    return indices, np.asarray(values), shape


def encode_content(array: np.ndarray) -> bytes:
    """A TensorProto with its elements in tensor_content (TF's AsProtoTensorContent)."""
    if array.dtype != object:
        return tensor_proto.encode(array)
    out = wire.field_varint(1, tensor_proto.DT_STRING) + wire.field_bytes(
        2, tensor_proto.encode_shape(array.shape))
    flat = [bytes(s) for s in array.reshape(-1)]
    if flat:
        content = b"".join(wire.varint(len(s)) for s in flat) + b"".join(flat)
        out += wire.field_bytes(4, content)
    return out


def decode_any(buf: bytes) -> np.ndarray:
    """A TensorProto's array, strings in tensor_content or string_val; ValueError if not one."""
    enum, shape, content = None, (), None
    for number, _, value in wire.fields(buf):
        if number == 1:
            enum = value
        elif number == 2:
            shape = tensor_proto.decode_shape(value)
        elif number == 4:
            content = value
    if enum != tensor_proto.DT_STRING or content is None:
        return tensor_proto.decode(buf)
    size = int(np.prod(shape, dtype=np.int64))
    lengths, pos = [], 0
    for _ in range(size):
        n, pos = wire.read_varint(content, pos)
        lengths.append(n)
    out = np.empty(size, object)
    for i, n in enumerate(lengths):
        if pos + n > len(content):
            raise ValueError("truncated string content")
        out[i] = content[pos:pos + n]
        pos += n
    return out.reshape(shape)


def _strings(items) -> StringTensor:
    out = np.empty(len(items), object)
    out[:] = items
    return StringTensor(out)


@defined("io.serialize_sparse")
def serialize_sparse(sp_input, out_type=dtypes.string, name=None):
    """A [3] string tensor: the TensorProtos of indices, values and dense_shape."""
    _out_type(out_type)
    indices, values, shape = _sparse_arrays(sp_input, "SerializeSparse")
    return _strings([encode_content(indices), encode_content(values), encode_content(shape)])


@defined("io.serialize_many_sparse")
def serialize_many_sparse(sp_input, out_type=dtypes.string, name=None):
    """An [N, 3] string tensor: row i of the rank-R input as a serialized rank-(R-1) one."""
    op = "SerializeManySparse"
    _out_type(out_type)
    indices, values, shape = _sparse_arrays(sp_input, op)
    if len(shape) <= 1:
        raise op_error(f"Rank of input SparseTensor should be > 1, but saw rank: {len(shape)}", op)
    _validate(indices, list(shape), op)
    rows = int(shape[0])
    out = np.empty((rows, 3), object)
    tail = encode_content(shape[1:])
    bounds = np.searchsorted(indices[:, 0], np.arange(rows + 1)) if len(indices) else \
        np.zeros(rows + 1, np.int64)
    for r in range(rows):
        lo, hi = bounds[r], bounds[r + 1]
        out[r, 0] = encode_content(np.ascontiguousarray(indices[lo:hi, 1:]))
        out[r, 1] = encode_content(values[lo:hi])
        out[r, 2] = tail
    return StringTensor(out)


def _proto(data: bytes, op: str):
    try:
        return decode_any(data)
    except (ValueError, IndexError, KeyError):
        raise op_error("Could not parse serialized proto", op) from None


@defined("io.deserialize_many_sparse")
def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """Serialized SparseTensors ([..., 3] strings) stacked into one: the leading dimensions
    become the first dimensions of the result."""
    op = "DeserializeManySparse"
    if isinstance(serialized_sparse, Tensor) and not isinstance(serialized_sparse, StringTensor):
        raise op_error("cannot compute DeserializeManySparse as input #0(zero-based) was "
                       f"expected to be a string tensor but is a {serialized_sparse.dtype.name} "
                       "tensor", op)
    want = dtypes.as_dtype(dtype)
    data = as_string_tensor(serialized_sparse)._value
    if data.ndim < 1 or data.shape[-1] != 3:
        raise op_error("Serialized sparse should have 3 as the last dimension "
                       f"{_shape_text(data.shape)}", op)
    batch = data.shape[:-1]
    flat = data.reshape(-1, 3)
    if not len(flat):
        raise op_error("Serialized sparse should have at least one element", op)
    parts = []
    for i, (si, sv, ss) in enumerate(flat):
        ind, val, shp = _proto(si, op), _proto(sv, op), _proto(ss, op)
        got = dtypes.string if val.dtype == object else dtypes.from_numpy(val.dtype)
        if got != want:
            raise op_error(f"Requested SparseTensor of type {kernel_dtype_name(want)} but "
                           f"SparseTensor[{i}].values.dtype() == {kernel_dtype_name(got)}", op)
        shp = shp.astype(np.int64).reshape(-1)
        if ind.size != len(val) * len(shp):
            raise op_error("Could not parse serialized proto", op)
        if parts and len(shp) != len(parts[0][2]):
            raise op_error(f"Inconsistent shape across SparseTensors: rank prior to "
                           f"SparseTensor[{i}] was: {len(parts[0][2])} but rank of "
                           f"SparseTensor[{i}] is: {len(shp)}", op)
        parts.append((ind.astype(np.int64).reshape(len(val), len(shp)), val, shp))
    inner = len(parts[0][2])
    columns, values = [], []
    for i, (ind, val, _) in enumerate(parts):
        lead = np.array(np.unravel_index(i, batch), np.int64).reshape(1, -1) if batch else \
            np.zeros((1, 0), np.int64)
        columns.append(np.concatenate([np.repeat(lead, len(val), 0), ind], 1))
        values.append(val)
    indices = np.concatenate(columns) if columns else np.zeros((0, len(batch) + inner), np.int64)
    shape = np.array(list(batch) + list(np.max([p[2] for p in parts], 0)), np.int64)
    if rank is not None and int(rank) != indices.shape[1]:
        raise ValueError(f"Tensor's shape {tuple(indices.shape)} is not compatible with supplied "
                         f"shape (None, {int(rank)}).")
    flat_values = np.concatenate(values)
    if want == dtypes.string:
        out = np.empty(flat_values.shape, object)
        out[...] = flat_values
        vals = StringTensor(out)
    else:
        vals = Tensor(np.asarray(flat_values, want.as_numpy_dtype))
    return SparseTensor(indices, vals, shape)


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"
