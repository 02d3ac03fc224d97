"""The protobuf wire format, by hand, for the few small messages jaxtape writes.

Hand-written rather than generated code because a checkpoint needs only five
tiny messages (bundle header and entry, tensor shape, object graph, version),
`tf.io.serialize_tensor` one (TensorProto), and this keeps `protobuf` out of
jaxtape's runtime dependencies.
"""
from __future__ import annotations

import struct

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def varint(value: int) -> bytes:
    if value < 0:  # proto int32/int64: negative numbers take ten bytes
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(buf, pos: int) -> tuple[int, int]:
    """(value, next position); raises WireError past the end."""
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise WireError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3 | VARINT) + varint(value)


def field_bytes(number: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | BYTES) + varint(len(payload)) + payload


def field_fixed32(number: int, value: int) -> bytes:
    return varint(number << 3 | FIXED32) + struct.pack("<I", value)


def field_double(number: int, value: float) -> bytes:
    return varint(number << 3 | FIXED64) + struct.pack("<d", value)


def fields(buf) -> list[tuple[int, int, object]]:
    """Every (field number, wire type, value) of a message, in order.

    Varints come back as ints, length-delimited fields as bytes, fixed32 and
    fixed64 as their raw little-endian ints.
    """
    out, pos, end = [], 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, kind = key >> 3, key & 7
        if kind == VARINT:
            value, pos = read_varint(buf, pos)
        elif kind == BYTES:
            size, pos = read_varint(buf, pos)
            if pos + size > end:
                raise WireError("length-delimited field runs past the message")
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif kind == FIXED32:
            if pos + 4 > end:
                raise WireError("truncated fixed32")
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        elif kind == FIXED64:
            if pos + 8 > end:
                raise WireError("truncated fixed64")
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        else:
            raise WireError(f"unsupported wire type {kind}")
        out.append((number, kind, value))
    return out
