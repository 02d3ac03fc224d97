"""tf.debugging assertions against real TensorFlow: which calls pass, and the
exception type and full text of those that fail."""

import numpy as np
import pytest

import jaxtape
from difftest import check, check_raises, real_tf, same_error

X = np.array([1., 2., 3.], np.float32)
Y = np.array([1., 2., 4.], np.float32)
M = np.array([[1, 2], [3, 4]], np.int32)
M2 = np.array([[1, 2], [3, 5]], np.int32)


def same_result(fn, *arrays):
    tf = real_tf()
    outs = []
    for mod in (tf, jaxtape):
        outs.append(fn(mod, *[mod.constant(a) for a in arrays]))
    assert (outs[0] is None) == (outs[1] is None)


FAILING = [
    lambda tf, x, y: tf.debugging.assert_equal(x, y),
    lambda tf, x, y: tf.assert_equal(x, y, message="hello", summarize=1),
    lambda tf, x, y: tf.debugging.assert_less(y, x),
    lambda tf, x, y: tf.assert_less(x, y),
    lambda tf, x, y: tf.assert_greater(x, y, summarize=-1),
    lambda tf, x, y: tf.debugging.assert_greater_equal(x, y),
    lambda tf, x, y: tf.debugging.assert_less_equal(y, x),
    lambda tf, x, y: tf.debugging.assert_none_equal(x, y),
    lambda tf, x, y: tf.debugging.assert_equal(x, 2.0),
    lambda tf, x, y: tf.debugging.assert_equal(x[:1], y[2:]),
    lambda tf, x, y: tf.debugging.assert_equal(x, y[:2]),
    lambda tf, x, y: tf.debugging.assert_equal(x, tf.cast(y, tf.int32)),
    lambda tf, x, y: tf.debugging.assert_near(x, y),
    lambda tf, x, y: tf.debugging.assert_near(x, y, rtol=0.1, atol=0.01, message="close"),
    lambda tf, x, y: tf.debugging.assert_positive(x - 1),
    lambda tf, x, y: tf.debugging.assert_negative(x, message="neg"),
    lambda tf, x, y: tf.debugging.assert_non_negative(x - 2),
    lambda tf, x, y: tf.debugging.assert_non_positive(x),
    lambda tf, x, y: tf.debugging.assert_rank(x, 2),
    lambda tf, x, y: tf.assert_rank(x, 0, message="r"),
    lambda tf, x, y: tf.debugging.assert_rank_at_least(x, 2),
    lambda tf, x, y: tf.debugging.assert_rank_in(x, [0, 2]),
    lambda tf, x, y: tf.debugging.assert_type(x, tf.int32),
    lambda tf, x, y: tf.debugging.assert_integer(x),
    lambda tf, x, y: tf.debugging.assert_scalar(x),
    lambda tf, x, y: tf.debugging.assert_proper_iterable(np.ones(2)),
    lambda tf, x, y: tf.debugging.assert_proper_iterable("ab"),
    lambda tf, x, y: tf.debugging.check_numerics(x / 0.0, "msg"),
    lambda tf, x, y: tf.debugging.check_numerics(x * 0.0 / 0.0, "msg"),
    lambda tf, x, y: tf.debugging.check_numerics(tf.concat([x / 0.0, x * 0.0 / 0.0], 0), "both"),
    lambda tf, x, y: tf.debugging.assert_all_finite(tf.math.log(x - 2), "bad"),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, ("N",)), (tf.ones([2, 3]), ("N", "M"))]),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, (4,))], message="m"),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, ("N", "M"))]),
    lambda tf, x, y: tf.debugging.assert_shapes([(tf.ones([2, 3, 4]), (..., "N", 5))]),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, ("N", ...))]),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, 3)]),
    lambda tf, x, y: tf.Assert(False, [x]),
    lambda tf, x, y: tf.Assert(x[0] > 1.5, ["x was", x, 7], summarize=2),
]


@pytest.mark.parametrize("i", range(len(FAILING)))
def test_failures_match_tf(i):
    same_error(FAILING[i], X, Y)


def test_integer_matrix_messages():
    same_error(lambda tf, a, b: tf.debugging.assert_equal(a, b, summarize=2), M, M2)
    same_error(lambda tf, a, b: tf.debugging.assert_less(a, b), M, M2)
    check_raises(lambda tf, a, b: tf.debugging.check_numerics(a, "ints"), M, M2,
                 match="Value for attr 'T' of int32 is not in the list of allowed values: "
                       "bfloat16, half, float, double")


PASSING = [
    lambda tf, x, y: tf.debugging.assert_equal(x, x),
    lambda tf, x, y: tf.debugging.assert_less(x - 1, y),
    lambda tf, x, y: tf.debugging.assert_less_equal(x, y),
    lambda tf, x, y: tf.debugging.assert_near(x, x + 1e-7),
    lambda tf, x, y: tf.debugging.assert_positive(x),
    lambda tf, x, y: tf.debugging.assert_non_negative(x - 1),
    lambda tf, x, y: tf.debugging.assert_rank(x, 1),
    lambda tf, x, y: tf.debugging.assert_rank_in(x, [1, 2]),
    lambda tf, x, y: tf.debugging.assert_type(x, tf.float32),
    lambda tf, x, y: tf.debugging.assert_shapes([(x, ("N",)), (y, ("N",)), (tf.ones([2, 3]), (None, 3))]),
    lambda tf, x, y: tf.debugging.assert_shapes([(tf.ones([2, 3, 4]), ("*", 4)), (x[0], ())]),
    lambda tf, x, y: tf.Assert(True, [x]),
    lambda tf, x, y: tf.debugging.assert_proper_iterable([x]),
]


@pytest.mark.parametrize("i", range(len(PASSING)))
def test_passing_asserts_return_none(i):
    same_result(PASSING[i], X, Y)


def test_check_numerics_passes_values_and_gradients():
    check(lambda tf, x: tf.debugging.check_numerics(x * x, "ok") + tf.debugging.assert_all_finite(x, "m"), X)
    same_result(lambda tf, x: tf.debugging.assert_scalar(x[0]), X)
    assert jaxtape.debugging.is_numeric_tensor(jaxtape.constant(X))
    assert not jaxtape.debugging.is_numeric_tensor(jaxtape.constant([True]))
