"""Differences from TensorFlow 2.21 (CPU) fixed together: float-to-integer casts
of NaN/inf/out-of-range values, `tf.constant`'s `shape` with strings, the dtype
of lists holding NumPy scalars, `tf.nest`'s type names, and tf.data arguments."""
import numpy as np
import pytest

from tests.difftest import requires_tf, same_error, same_outcome, same_values

pytestmark = requires_tf

_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0 ** 31, -2.0 ** 31, 2.0 ** 31 - 1, -2.0 ** 31 - 1,
            2.0 ** 32, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, 1e20, -1e20, 3e9, -3e9, 300.7, -300.7,
            70000.5, -70000.5, 255.9, -1.5, 2.5, 128.0, -129.0, 32767.5, 65535.5, 9.3e18, 1e-30]


@pytest.mark.parametrize("src", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("dst", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
                                 "uint64", "bool"])
@pytest.mark.parametrize("n", [3, 30, 64, 77])  # all tail, mixed, whole packets, both
def test_cast_float_edge_values_to_integers(src, dst, n):
    rng = np.random.default_rng(n)
    x = np.resize(np.array(_SPECIAL), n)
    x[len(_SPECIAL):] = rng.uniform(-1e10, 1e10, max(0, n - len(_SPECIAL)))
    x = x.reshape((n,) if n % 2 else (2, n // 2))
    same_values(lambda tf: tf.cast(tf.cast(tf.constant(x), src), dst))


def test_cast_nan_scalar_and_complex():
    same_values(lambda tf: [tf.cast(np.nan, d) for d in (tf.int32, tf.int64, tf.uint64, tf.int8)])
    same_values(lambda tf: tf.cast(tf.constant([complex(np.nan, 1), complex(3e9, 0)]), tf.int32))
    same_values(lambda tf: tf.dtypes.saturate_cast(tf.constant([np.nan, 1e10, -1e10]), tf.int32))


@pytest.mark.parametrize("expr", [
    'tf.constant("a", shape=[2, 3])', 'tf.constant(b"a", shape=[2])', 'tf.constant(["a"], shape=[3])',
    'tf.constant("a", shape=[0])', 'tf.constant(np.array("a"), shape=3)',
    'tf.constant(tf.constant("a"), shape=[2])', 'tf.constant(["a", "b"], shape=[3])',
    'tf.constant(["a", "b", "c", "d"], shape=[2, 2])', 'tf.constant([["ab"]], shape=[3])',
    'tf.constant([[1.0]], shape=[3])', 'tf.constant("a", shape=[-1])', 'tf.constant(1.0, shape=[2, -3])',
    'tf.constant(1.0, shape=[2.5])', 'tf.constant("a", shape=(2, None))', 'tf.constant(1.0, shape=[None])',
    'tf.fill([3], [1.0])', 'tf.fill([3], ["a"])', 'tf.fill([2], [1.0, 2.0])',
])
def test_constant_shape(expr):
    same_outcome(lambda tf: eval(expr, {"tf": tf, "np": np}))


@pytest.mark.parametrize("value", [
    "[np.float64(1.5), np.float64(2.5)]", "[np.float64(1.5), 2.5]", "[2.5, np.float64(1.5)]",
    "[np.float32(1.5), np.float64(2.5)]", "[np.float16(1.5), np.float64(2.5)]", "[np.float16(1.5), 1]",
    "[[np.float64(1.5)], [2.5]]", "[[2.5], [np.float64(1.5)]]", "[np.array(1.5), 2.5]",
    "[np.array([1.5, 2.0]), [3, 4]]", "[[3, 4], np.array([1.5, 2.0])]", "(np.float64(1.5), 2.5)",
    "[np.int16(1), np.int16(2)]", "[np.int64(1), 2]", "[np.int16(1), 2 ** 40]", "[np.uint64(1), 2]",
    "[np.uint64(2 ** 63), 2]", "[np.int16(1), np.float64(2.5)]", "[np.array(1, np.int16), 2]",
    "[np.float16(1.5), 70000.0]", "[np.float16(1.5), 65519.0]", "[1.5, 1e300]", "1e300",
    "[np.float16(1.5), 2 ** 70]", "[2 ** 70, 1.5]", "[1, 2.5, 2 ** 70]",
    "[True, np.bool_(False)]", "[np.bool_(True), 1]", "[1, True]", "[True, 1]", "[1.5, True]",
    "[1, np.bool_(True)]", "[1.0, 1j]", "[1j, 1.0]", "[1j, True]", "[1, None]", "[None, 1]",
    "[np.array([], np.int64)]",
])
def test_constant_dtype_inference(value):
    same_outcome(lambda tf: tf.constant(eval(value)))
    same_outcome(lambda tf: tf.convert_to_tensor(eval(value)))


@pytest.mark.parametrize("value, dtype", [
    ("[1.5, 1e300]", "float32"), ("[1e300]", "int32"), ("[True, 1]", "int32"), ("[True, 1]", "int8"),
    ("[1, True]", "bool"), ("[np.bool_(True)]", "int32"), ("[1.0, 1j]", "complex64"),
    ("[1.0, 1j]", "complex128"), ("[1, 1j]", "float32"), ("[1j]", "float32"), ("[1, 2 ** 31]", "int32"),
    ("[1, 2 ** 64]", "int64"), ("2 ** 70", "float32"), ("[2 ** 70, 1.5]", "float32"),
    ("[np.float64(1.5), 2.5]", "float16"),
])
def test_constant_requested_dtype(value, dtype):
    same_outcome(lambda tf: tf.constant(eval(value), dtype=dtype))


@pytest.mark.parametrize("make", [
    lambda tf: ([tf.constant(1.0)], tf.constant(1.0)),
    lambda tf: ([tf.Variable(1.0)], tf.Variable(2.0)),
    lambda tf: ([np.array([1.0, 2.0])], np.array([1.0])),
    lambda tf: ([tf.constant([[1, 2]])], [[1], [2]]),
    lambda tf: ({"a": tf.constant("x")}, [1]),
])
def test_nest_assert_same_structure_names_types(make):
    same_error(lambda tf: tf.nest.assert_same_structure(*make(tf)))


@pytest.mark.parametrize("seed", [-1, -2 ** 63, 2 ** 63])
def test_shuffle_takes_negative_and_large_seeds(seed):
    same_values(lambda tf: sorted(tf.data.Dataset.range(5).shuffle(5, seed=seed).as_numpy_iterator()))


@pytest.mark.parametrize("make", [
    lambda tf: tf.data.Dataset.range(5).shuffle(-1),
    lambda tf: tf.data.Dataset.range(5).shuffle(0),
    lambda tf: tf.data.Dataset.range(5).batch(0),
    lambda tf: tf.data.Dataset.range(5).batch(-1),
    lambda tf: tf.data.Dataset.range(5).batch(2, drop_remainder=None),
    lambda tf: tf.data.Dataset.range(5).padded_batch(2, drop_remainder=None),
])
def test_dataset_argument_errors(make):
    same_outcome(lambda tf: make(tf) and None)
