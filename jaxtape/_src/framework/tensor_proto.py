"""TensorFlow's `DataType` numbers, `TensorShapeProto` and `TensorProto` on the wire.

TensorProto fields: dtype = 1, tensor_shape = 2, tensor_content = 4 (the
elements' little-endian bytes, what TF writes for numbers), and the typed
repeated fields other writers use: half_val = 13 (as int32 bits), float_val
= 5, double_val = 6, int_val = 7, string_val = 8, scomplex_val = 9, int64_val
= 10, bool_val = 11, dcomplex_val = 12, uint32_val = 16, uint64_val = 17.
A typed field holding one value stands for every element (TF's splat).
"""
from __future__ import annotations

import struct

import ml_dtypes
import numpy as np

from jaxtape._src.framework import wire

# types.proto's DataType values for the dtypes jaxtape has.
DTYPE_ENUM = {
    np.dtype(np.float32): 1, np.dtype(np.float64): 2, np.dtype(np.int32): 3,
    np.dtype(np.uint8): 4, np.dtype(np.int16): 5, np.dtype(np.int8): 6,
    np.dtype(np.complex64): 8, np.dtype(np.int64): 9, np.dtype(np.bool_): 10,
    np.dtype(ml_dtypes.bfloat16): 14, np.dtype(np.uint16): 17,
    np.dtype(np.complex128): 18, np.dtype(np.float16): 19, np.dtype(np.uint32): 22,
    np.dtype(np.uint64): 23,
}
ENUM_DTYPE = {v: k for k, v in DTYPE_ENUM.items()}
DT_STRING = 7


def encode_shape(shape) -> bytes:
    """A TensorShapeProto: one `dim` (2) per dimension, its `size` (1) left out when 0."""
    return b"".join(wire.field_bytes(2, wire.field_varint(1, d) if d else b"") for d in shape)


def decode_shape(buf: bytes) -> tuple[int, ...]:
    dims = []
    for number, _, value in wire.fields(buf):
        if number == 2:
            size = 0
            for n, _, v in wire.fields(value):
                if n == 1:
                    size = wire.signed64(v)
            dims.append(size)
    return tuple(dims)


def encode(array: np.ndarray) -> bytes:
    """A TensorProto as TF writes one: shape, then the bytes (strings one field each)."""
    if array.dtype == object:
        out = wire.field_varint(1, DT_STRING) + wire.field_bytes(2, encode_shape(array.shape))
        return out + b"".join(wire.field_bytes(8, s) for s in array.reshape(-1))
    out = wire.field_varint(1, DTYPE_ENUM[array.dtype]) + wire.field_bytes(
        2, encode_shape(array.shape))
    if array.size:
        out += wire.field_bytes(4, np.ascontiguousarray(array).astype(
            array.dtype.newbyteorder("<")).tobytes())
    return out


# typed field -> how its values are stored (packed or not)
_PACKED = {5: "<f4", 6: "<f8", 9: "<f4", 12: "<f8"}
_VARINT_FIELDS = (7, 10, 11, 13, 16, 17)


def decode(buf: bytes) -> np.ndarray:
    """The array of a TensorProto; ValueError when it is not one jaxtape can read."""
    enum, shape, content, typed = None, (), None, {}
    for number, kind, value in wire.fields(buf):
        if number == 1:
            enum = value
        elif number == 2:
            shape = decode_shape(value)
        elif number == 4:
            content = value
        elif number == 8:
            typed.setdefault(8, []).append(value)
        elif number in _PACKED or number in _VARINT_FIELDS:
            typed.setdefault(number, []).extend(_values(number, kind, value))
    if enum == DT_STRING:
        out = np.empty(len(typed.get(8, [])), object)
        out[:] = typed.get(8, [])
        return _fill(out, shape)
    if enum not in ENUM_DTYPE:
        raise ValueError(f"unsupported DataType {enum}")
    dtype = ENUM_DTYPE[enum]
    if content is not None:
        return np.frombuffer(content, dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    values = next(iter(typed.values()), [])
    if dtype == np.float16:  # half_val holds the bits
        flat = np.array(values, np.uint16).view(np.float16)
    elif dtype.kind == "c":
        flat = np.array(values[0::2], dtype) + 1j * np.array(values[1::2], dtype)
    elif dtype == ml_dtypes.bfloat16:
        flat = np.array(values, np.uint16).view(ml_dtypes.bfloat16)
    else:
        flat = np.array(values).astype(dtype)
    return _fill(flat, shape)


def _values(number: int, kind: int, value):
    if number in _PACKED:
        fmt = _PACKED[number]
        if kind == wire.BYTES:
            return list(np.frombuffer(value, fmt))
        size = 4 if fmt == "<f4" else 8
        return list(np.frombuffer(struct.pack("<I" if size == 4 else "<Q", value), fmt))
    if kind == wire.BYTES:  # packed varints
        out, pos = [], 0
        while pos < len(value):
            v, pos = wire.read_varint(value, pos)
            out.append(wire.signed64(v) if number in (7, 10) else v)
        return out
    return [wire.signed64(value) if number in (7, 10) else value]


def _fill(flat: np.ndarray, shape) -> np.ndarray:
    size = int(np.prod(shape, dtype=np.int64))
    if flat.size == size:
        return flat.reshape(shape)
    if flat.size == 1 or (flat.size == 0 and size):
        fill = flat.reshape(-1)[0] if flat.size else (b"" if flat.dtype == object else 0)
        out = np.empty(size, flat.dtype)
        out[:] = fill
        return out.reshape(shape)
    raise ValueError(f"{flat.size} values for shape {list(shape)}")
