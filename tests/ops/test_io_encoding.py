"""tf.io's byte encodings against real TensorFlow: decode_raw, base64,
decode_compressed, serialize_tensor / parse_tensor."""
from __future__ import annotations

import gzip
import zlib

import ml_dtypes
import numpy as np
import pytest

import jaxtape
from tests.difftest import real_tf, same_outcome

CASES = [
    lambda tf: tf.io.decode_raw(b"\x01\x00\x02\x00", tf.int16),
    lambda tf: tf.io.decode_raw(b"\x01\x00\x02\x00", tf.int16, little_endian=False),
    lambda tf: tf.io.decode_raw([[b"abcd", b"efgh"]], tf.uint8),
    lambda tf: tf.io.decode_raw([b"abcd", b"ef"], tf.uint8),
    lambda tf: tf.io.decode_raw(b"abc", tf.int16),
    lambda tf: tf.io.decode_raw([b"abcd", b"ef"], tf.uint8, fixed_length=3),
    lambda tf: tf.io.decode_raw([b"abcd"], tf.int16, fixed_length=3),
    lambda tf: tf.io.decode_raw(np.float64([1.5, -2]).tobytes(), tf.float64),
    lambda tf: tf.io.decode_raw(b"\x01\x00", tf.bool),
    lambda tf: tf.io.decode_raw(b"ab", tf.string),
    lambda tf: tf.io.decode_raw(np.complex64([1 + 2j]).tobytes(), tf.complex64),
    lambda tf: tf.io.decode_raw(np.float16([1.5]).tobytes(), tf.float16),
    lambda tf: tf.io.decode_raw(b"\x80\x3f\x00\x40", tf.bfloat16),
    lambda tf: tf.io.decode_raw(b"", tf.int32),
    lambda tf: tf.io.encode_base64([b"hello?>", b"", bytes(range(256))]),
    lambda tf: tf.io.encode_base64(b"hello?>", pad=True),
    lambda tf: tf.io.decode_base64([b"aGVsbG8_Pg", b"aGVsbG8_Pg==", b""]),
    lambda tf: tf.io.decode_base64(b"aGVsbG8/Pg=="),
    lambda tf: tf.io.decode_base64(b"a"),
    lambda tf: tf.io.decode_base64(b"a$bc"),
    lambda tf: tf.io.decode_compressed(zlib.compress(b"hi there"), "ZLIB"),
    lambda tf: tf.io.decode_compressed([gzip.compress(b"hi"), gzip.compress(b"yo")], "GZIP"),
    lambda tf: tf.io.decode_compressed(b"plain"),
    lambda tf: tf.io.decode_compressed(b"plain", "ZLIB"),
    lambda tf: tf.io.decode_compressed(b"plain", "BZ2"),
    lambda tf: tf.io.parse_tensor(b"junk\xff", tf.int32),
]


@pytest.mark.parametrize("call", CASES, ids=[str(i) for i in range(len(CASES))])
def test_byte_encodings_match_tf(call):
    same_outcome(call)


VALUES = [np.float32([[1.5, 2]]), np.int32(3), np.bool_([True, False]), np.int64([3, -4]),
          np.float16([3]), np.zeros((0, 3), np.float32), np.arange(1000, dtype=np.float64),
          np.array([b"ab", b"c", b""], object), np.array(b"scalar", object),
          np.complex128([1 - 2j]), np.uint8([[1], [2]]), np.array([1.5], ml_dtypes.bfloat16)]


@pytest.mark.parametrize("index", range(len(VALUES)))
def test_serialize_tensor_writes_tfs_bytes_and_reads_them_back(index):
    tf = real_tf()
    value = VALUES[index]
    theirs = tf.io.serialize_tensor(tf.constant(value)).numpy()
    assert jaxtape.io.serialize_tensor(jaxtape.constant(value)).numpy() == theirs
    dtype = tf.constant(value).dtype.name
    same_outcome(lambda tf: tf.io.parse_tensor(theirs, getattr(tf, dtype)))
    same_outcome(lambda tf: tf.io.parse_tensor(theirs, tf.int8))
    same_outcome(lambda tf: tf.io.parse_tensor(tf.constant(theirs), tf.int8))


def test_parse_tensor_reads_typed_value_fields():
    """Protos from other writers keep values in float_val / int_val / ... (one value: a fill)."""
    tf = real_tf()
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

    def proto(dtype, field, values, shape):
        p = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in shape]))
        getattr(p, field).extend(values)
        return p.SerializeToString()

    cases = [(types_pb2.DT_FLOAT, "float_val", [1.5, -2.0], [2], "float32"),
             (types_pb2.DT_FLOAT, "float_val", [7.0], [2, 2], "float32"),
             (types_pb2.DT_INT32, "int_val", [-3, 4, 5], [3], "int32"),
             (types_pb2.DT_INT64, "int64_val", [-(2 ** 40)], [1], "int64"),
             (types_pb2.DT_BOOL, "bool_val", [True, False], [2], "bool"),
             (types_pb2.DT_DOUBLE, "double_val", [0.25], [], "float64"),
             (types_pb2.DT_STRING, "string_val", [b"x", b"yz"], [2], "string")]
    for dtype, field, values, shape, name in cases:
        data = proto(dtype, field, values, shape)
        same_outcome(lambda tf: tf.io.parse_tensor(data, getattr(tf, name)))
