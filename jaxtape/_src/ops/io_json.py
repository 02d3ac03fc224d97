"""`tf.io.decode_json_example`: the JSON text of a `tf.train.Example` to its binary
serialization, on the host, as TF's kernel (protobuf's JsonStringToBinary) writes it.

The binary is streamed in the JSON's order: map entries as they appear (not
sorted), repeated values unpacked, a field given twice written twice (its
repeated values appended), nested value arrays flattened. Field names are the
proto names or their lowerCamelCase forms. Values follow protobuf's JSON
mapping: int64 from integral numbers or numeric strings ("5", "1e3", "5.0"),
float from numbers or strings ("NaN", "Infinity", "-inf", "2.5"; a finite
value that overflows float32 is an error), bytes from standard or web-safe
base64 with optional padding, a float32 subnormal flushed to zero (TF's
threads run with flush-to-zero); `null` stands for the default value (an absent
message, an entry without a value, a zero in a list). Errors are
InvalidArgumentErrors; TF's messages (absl's, with randomised spacing) are not
reproduced word for word.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re

import numpy as np

from jaxtape._src.framework import wire
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.strings.host import as_string_tensor

_OP = "DecodeJSONExample"
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
_B64 = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}\Z")


class _Error(Exception):
    pass


class _Num(str):
    """A JSON number, kept as its text (int64 needs every digit)."""


class _Obj(list):
    """A JSON object: its (key, value) pairs in order, duplicates kept."""


def _pairs(items):
    return _Obj(items)


def _constant(name):
    raise _Error(f"unexpected token {name}")


def _load(text: str):
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_int=_Num, parse_float=_Num,
                          parse_constant=_constant)
    except json.JSONDecodeError as e:
        raise _Error(str(e)) from None


def _object(value, where: str) -> list:
    if not isinstance(value, _Obj):
        raise _Error(f"{where}: expected an object")
    return value


def _flatten(value) -> list:
    """A repeated field's JSON value: one value, an array, nested arrays (flattened)."""
    if isinstance(value, list) and not isinstance(value, _Obj):
        out = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [value]


def _int64(v, where: str) -> int:
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, str):
        raise _Error(f"{where}: expected an integer")
    if not _NUMBER.match(v):
        raise _Error(f"{where}: invalid integer")
    if re.fullmatch(r"-?[0-9]+", v):
        n = int(v)
    else:
        f = float(v)
        if not math.isfinite(f) or f != int(f):
            raise _Error(f"{where}: expected integer, but JSON number had fractional part")
        n = int(f)
    if not -(1 << 63) <= n < (1 << 63):
        raise _Error(f"{where}: JSON number out of range for int")
    return n


_SPECIAL = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf, "inf": math.inf,
            "-inf": -math.inf, "+inf": math.inf, "+infinity": math.inf, "-nan": math.nan}


def _float(v, where: str) -> bytes:
    if v is None:
        return np.float32(0).tobytes()
    if isinstance(v, bool) or not isinstance(v, str):
        raise _Error(f"{where}: expected a number")
    if isinstance(v, _Num) or _NUMBER.match(v):
        f = float(v)
    elif v.lower() in _SPECIAL:
        f = _SPECIAL[v.lower()]
    else:
        raise _Error(f"{where}: invalid number")
    with np.errstate(over="ignore"):
        out = np.float32(f)
    if math.isfinite(f) and not np.isfinite(out):
        raise _Error(f"{where}: float out of range")
    if out and abs(out) < np.finfo(np.float32).tiny:  # TF's kernels flush subnormals to zero
        out = np.float32(math.copysign(0.0, f))
    return out.astype("<f4").tobytes()


def _bytes(v, where: str) -> bytes:
    if v is None:
        return b""
    if not isinstance(v, str) or isinstance(v, _Num):
        raise _Error(f"{where}: expected a string")
    if not _B64.match(v) or len(v.rstrip("=")) % 4 == 1 or \
            ("=" in v and len(v) % 4):
        raise _Error(f"{where}: corrupt base64")
    text = v.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise _Error(f"{where}: corrupt base64") from None


# Feature's oneof: JSON names -> (field number, value reader, wire encoder)
_LISTS = {}
for _names, _number, _read, _kind in ((("bytesList", "bytes_list"), 1, _bytes, "bytes"),
                                      (("floatList", "float_list"), 2, _float, "float"),
                                      (("int64List", "int64_list"), 3, _int64, "int64")):
    for _n in _names:
        _LISTS[_n] = (_number, _read, _kind)


def _list_message(value, read, kind, where: str) -> bytes:
    out = b""
    for key, v in _object(value, where):
        if key != "value":
            raise _Error(f"{where}: no such field: '{key}'")
        if v is None:
            continue
        for i, item in enumerate(_flatten(v)):
            got = read(item, f"{where}.value[{i}]")
            if kind == "bytes":
                out += wire.field_bytes(1, got)
            elif kind == "float":
                out += b"\x0d" + got
            else:
                out += wire.field_varint(1, got & ((1 << 64) - 1))
    return out


def _feature(value, where: str) -> bytes:
    out, chosen = b"", None
    for key, v in _object(value, where):
        if key not in _LISTS:
            raise _Error(f"{where}: no such field: '{key}'")
        if v is None:
            continue
        number, read, kind = _LISTS[key]
        if chosen is not None:
            raise _Error(f"{where}.{key}: '{key}' has already been set (either directly or as "
                         "part of a oneof)")
        chosen = key
        out += wire.field_bytes(number, _list_message(v, read, kind, f"{where}.{key}"))
    return out


def _features(value, where: str) -> bytes:
    out, seen = b"", set()
    for key, v in _object(value, where):
        if key != "feature":
            raise _Error(f"{where}: no such field: '{key}'")
        if v is None:
            continue
        for i, (name, feature) in enumerate(_object(v, f"{where}.feature")):
            spot = f"{where}.feature[{len(seen)}]"
            if name in seen:
                raise _Error(f"{spot}: repeated map key: '{name}' already present")
            seen.add(name)
            entry = wire.field_bytes(1, name.encode("utf-8"))
            if feature is not None:
                entry += wire.field_bytes(2, _feature(feature, spot))
            out += wire.field_bytes(1, entry)
    return out


def json_to_example_bytes(text: bytes) -> bytes:
    """One JSON Example to its binary serialization; _Error when it is not one."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise _Error("invalid UTF-8") from None
    if not decoded.strip():
        raise _Error("unexpected EOF")
    value = _load(decoded)
    out = b""
    for key, v in _object(value, "type.googleapis.com/tensorflow.Example"):
        if key != "features":
            raise _Error(f"no such field: '{key}'")
        if v is None:
            continue
        out += wire.field_bytes(1, _features(v, "features"))
    return out


@export("io.decode_json_example")
def decode_json_example(json_examples, name=None):
    """Each JSON `tf.train.Example` as its serialized bytes (a string tensor of the same shape)."""
    values = as_string_tensor(json_examples)._value
    out = np.empty(values.shape, object)
    for i in np.ndindex(values.shape):
        try:
            out[i] = json_to_example_bytes(values[i])
        except _Error as e:
            raise op_error(f"Error while parsing JSON: {e}", _OP) from None
    return StringTensor(out)
