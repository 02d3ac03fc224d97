"""`tensor[...]`, tf.slice and tf.strided_slice against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, check_raises

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7.0


@pytest.mark.parametrize("fn", [
    lambda tf, x: x[1],
    lambda tf, x: x[:, 1:, ::2],
    lambda tf, x: x[::-1, ::-2, -1],
    lambda tf, x: x[0, ..., 1:3],
    lambda tf, x: x[tf.newaxis, :, None, 1],
    lambda tf, x: x[tf.constant(-1, tf.int64), tf.constant(1, tf.int64):tf.constant(3, tf.int64)],
    lambda tf, x: x[np.int64(1), 5:-9:-1],
    lambda tf, x: x[[1, 2]],
    lambda tf, x: x[x > 1.0],
    lambda tf, x: tf.slice(x, [1, 0, 1], [1, -1, 2]),
    lambda tf, x: tf.strided_slice(x, [0, 1], [0, 3], [1, 1], ellipsis_mask=1),
    lambda tf, x: tf.strided_slice(x, [1, -1], [2, 0], [1, -1], shrink_axis_mask=1),
    lambda tf, x: tf.strided_slice(x, [1, 2, 0], [0, 0, 3], [1, -1, 2], begin_mask=1, end_mask=2),
])
def test_indexing(fn):
    check(fn, X)


def test_variable_indexing_and_loop_of_int_indices():
    check(lambda tf, x: [x[i, i % 3] for i in range(2)] + [tf.Variable(x)[1, ::-1]], X)


@pytest.mark.parametrize("fn,match", [
    (lambda tf, x: x[5], "slice index 5 of dimension 0 out of bounds."),
    (lambda tf, x: x[1, 7], "slice index 7 of dimension 1 out of bounds."),
    (lambda tf, x: x[0, 0, 0, 0], "Index out of range using input dim 3; input has only 3 dims"),
    (lambda tf, x: x[tf.constant(-3)], "slice index -1 of dimension 0 out of bounds."),
    (lambda tf, x: x[:, -5], "slice index -2 of dimension 1 out of bounds."),
    (lambda tf, x: x[::0], "strides[0] must be non-zero"),
    (lambda tf, x: x[..., ...], "Multiple ellipses in slice spec not allowed"),
    (lambda tf, x: tf.constant(3.)[0], "Attempting to slice scalar input."),
    (lambda tf, x: x[1.5], "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 tensors are valid indices, got 1.5"),
    (lambda tf, x: x[tf.constant([0, 1])], "are valid indices, got"),
    (lambda tf, x: tf.slice(x, [3, 0, 0], [1, 1, 1]), "Expected begin[0] in [0, 2], but got 3"),
    (lambda tf, x: tf.slice(x, [0, 0, 0], [1, 4, 1]), "Expected size[1] in [0, 3], but got 4"),
])
def test_errors(fn, match):
    check_raises(fn, X, match=match)


def _assign(tf, x):
    x[0] = 1.0


def test_item_assignment_raises_tfs_type_error():
    got, want = check_raises(_assign, X)
    assert str(got) == str(want)
