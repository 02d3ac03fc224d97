"""`tf.io`'s byte encodings, on the host: `decode_raw`, `encode_base64` /
`decode_base64` (web-safe alphabet), `decode_compressed`, and
`serialize_tensor` / `parse_tensor` (a TensorProto, `framework/tensor_proto.py`)."""
from __future__ import annotations

import base64
import binascii
import re
import zlib

import numpy as np

from jaxtape._src.framework import dtypes, tensor_proto
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import DataLossError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, op_error
from jaxtape._src.framework.strings import StringTensor, wrap
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.strings.host import as_string_tensor

_RAW_TYPES = ("half, float, double, int32, uint16, uint8, int16, int8, int64, complex64, "
              "complex128, bool, bfloat16")
_RAW_SUMMARY = ("Op<name=DecodeRaw; signature=bytes:string -> output:out_type; "
                "attr=out_type:type,allowed=[DT_HALF, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT16, "
                "DT_UINT8, DT_INT16, DT_INT8, DT_INT64, DT_COMPLEX64, DT_COMPLEX128, DT_BOOL, "
                "DT_BFLOAT16]; attr=little_endian:bool,default=true>")


def _error(message: str, op: str, named: bool = False):
    return op_error(message, op, named=named)


def _strings(value) -> np.ndarray:
    return as_string_tensor(value)._value


def _each(values: np.ndarray, fn) -> StringTensor:
    out = np.empty(values.shape, object)
    for i in np.ndindex(values.shape):
        out[i] = fn(values[i])
    return StringTensor(out)


@export("io.decode_raw")
def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Each string's bytes as a vector of `out_type`, stacked on a new last axis."""
    dtype = dtypes.as_dtype(out_type)
    op = "DecodeRaw" if fixed_length is None else "DecodePaddedRaw"
    if dtype == dtypes.string or dtype.name in ("uint32", "uint64"):
        raise attr_not_allowed("DecodeRaw", "out_type", kernel_dtype_name(dtype), _RAW_TYPES,
                               _RAW_SUMMARY, named=False)
    np_dtype = np.dtype(dtype.as_numpy_dtype).newbyteorder("<" if little_endian else ">")
    values = _strings(input_bytes)
    flat = list(values.reshape(-1))
    if fixed_length is not None:
        fixed = int(np.asarray(convert_to_tensor(fixed_length)))
        if fixed % np_dtype.itemsize:
            raise _error(f"fixed_length ({fixed}) must be a multiple of the size of out_type "
                         f"({np_dtype.itemsize})", op)
        flat = [b[:fixed].ljust(fixed, b"\0") for b in flat]
    for i, b in enumerate(flat):
        if len(b) % np_dtype.itemsize:
            raise _error(f"Input to DecodeRaw has length {len(b)} that is not a multiple of "
                         f"{np_dtype.itemsize}, the size of {kernel_dtype_name(dtype)}", op)
        if len(b) != len(flat[0]):
            raise _error("DecodeRaw requires input strings to all be the same size, but "
                         f"element {i} has size {len(flat[0])} != {len(b)}", op)
    width = len(flat[0]) // np_dtype.itemsize if flat else 0
    decoded = np.frombuffer(b"".join(flat), np_dtype).astype(np_dtype.newbyteorder("="))
    return convert_to_tensor(decoded.reshape(values.shape + (width,)))


@export("io.encode_base64")
def encode_base64(input, pad=False, name=None):
    """Web-safe base64 ("-" and "_"), without "=" padding unless `pad`."""
    def encode(b):
        text = base64.urlsafe_b64encode(b)
        return text if pad else text.rstrip(b"=")
    return _each(_strings(input), encode)


@export("io.decode_base64")
def decode_base64(input, name=None):
    def decode(b):
        text = b.rstrip(b"=")
        if len(text) % 4 == 1:
            raise _error("Base64 string length cannot be 1 modulo 4.", "DecodeBase64")
        if text.translate(None, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
            raise _error("Invalid character found in base64.", "DecodeBase64")
        try:
            return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
        except binascii.Error:
            raise _error("Invalid character found in base64.", "DecodeBase64") from None
    return _each(_strings(input), decode)


@export("io.decode_compressed")
def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's argument name
    """Each string inflated (ZLIB or GZIP) or passed through ("")."""
    kind = compression_type if isinstance(compression_type, str) else compression_type.decode()
    op = "DecodeCompressed"
    if kind not in ("", "ZLIB", "GZIP"):
        raise _error("Only ZLIB, ZSTD, GZIP or NONE are supported compressions", op)
    window = 16 + zlib.MAX_WBITS if kind == "GZIP" else zlib.MAX_WBITS  # GZIP: zlib's container

    def inflate(data):
        if not kind:
            return data
        try:
            return zlib.decompress(data, window)
        except zlib.error as e:  # "Error -3 while decompressing data: <reason>"
            found = re.match(r"Error (-?\d+) while \w+ data: (.*)", str(e))
            code, reason = found.groups() if found else ("-3", str(e))
            raise DataLossError(None, None, f"inflate() failed with error {code}: {reason} "
                                f"[Op:{op}]") from None
    return _each(_strings(bytes), inflate)


@export("io.serialize_tensor")
def serialize_tensor(tensor, name=None):
    """The tensor as a serialized TensorProto (TF's bytes)."""
    value = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    array = value._value if isinstance(value, StringTensor) else np.asarray(value.numpy())
    return StringTensor(np.array(tensor_proto.encode(array), object))


@export("io.parse_tensor")
def parse_tensor(serialized, out_type, name=None):
    op = "ParseTensor"
    data = _strings(serialized).reshape(-1)[0]
    try:
        array = tensor_proto.decode(data)
    except ValueError:
        text = base64.b64encode(data).decode()
        raise _error(f"Could not parse `serialized` as TensorProto, base64: {text}", op) from None
    got = dtypes.string if array.dtype == object else dtypes.from_numpy(array.dtype)
    want = dtypes.as_dtype(out_type)
    if got != want:
        # TF's fast path (a tensor argument) ends the message in " name: "
        raise _error(f"Type mismatch between parsed tensor ({kernel_dtype_name(got)}) and dtype "
                     f"({kernel_dtype_name(want)})", op, named=isinstance(serialized, Tensor))
    return wrap(array) if array.dtype == object else convert_to_tensor(array)
