"""tf.bitwise against real TensorFlow: values, dtypes, shift clamping, errors."""
import numpy as np
import pytest

from difftest import same_outcome

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"])
def test_binary(op, dtype):
    info = np.iinfo(dtype)
    bits = info.bits
    x = np.array([1, 5, info.max, info.min, 7, 3], dtype)
    y = np.array([0, 1, bits - 1, bits, bits + 3, 2], dtype)
    if info.min < 0:
        y = y.copy()
        y[-1] = -3
    same_outcome(lambda tf: getattr(tf.bitwise, op)(tf.constant(x), tf.constant(y)))
    same_outcome(lambda tf: getattr(tf.bitwise, op)(tf.constant(x[:, None]), tf.constant(y[None, :2])))
    same_outcome(lambda tf: tf.function(lambda a, b: getattr(tf.bitwise, op)(a, b))(
        tf.constant(x), tf.constant(y)))


@pytest.mark.parametrize("dtype", INTS)
def test_invert(dtype):
    x = np.array([0, 1, 5, np.iinfo(dtype).max], dtype)
    same_outcome(lambda tf: tf.bitwise.invert(tf.constant(x)))


@pytest.mark.parametrize("fn", [
    lambda tf: tf.bitwise.bitwise_and(1.0, 2.0),
    lambda tf: tf.bitwise.invert(tf.constant([True])),
    lambda tf: tf.bitwise.invert(1.5),
    lambda tf: tf.bitwise.bitwise_and(tf.constant(1), tf.constant(1, tf.int64)),
    lambda tf: tf.bitwise.bitwise_or([1, 2], [1, 2, 3]),
    lambda tf: tf.bitwise.bitwise_or(tf.constant([1, 2]), tf.constant([1, 2, 3])),
    lambda tf: tf.bitwise.left_shift(tf.constant([True]), tf.constant([True])),
    lambda tf: tf.bitwise.right_shift(tf.constant([1.0]), tf.constant([1.0])),
    lambda tf: tf.bitwise.bitwise_xor(5, 3),
    lambda tf: tf.bitwise.bitwise_and([5], 3),
])
def test_conversions_and_errors(fn):
    same_outcome(fn)
