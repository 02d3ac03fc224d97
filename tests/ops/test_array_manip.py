"""Array manipulation ops against real TensorFlow: values, dtypes, shapes, gradients."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype(np.float32)
B3 = rng.normal(size=(2, 3, 4)).astype(np.float32)
I34 = np.arange(12, dtype=np.int32).reshape(3, 4)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.reshape(x, [-1]),
    lambda tf, x: tf.reshape(x, [2, -1, 3]),
    lambda tf, x: tf.transpose(x, [1, 0]),
    lambda tf, x: tf.expand_dims(x, -1),
    lambda tf, x: tf.squeeze(tf.reshape(x, [1, 3, 1, 4]), [0, -2]),
    lambda tf, x: tf.tile(x, [2, 1]),
    lambda tf, x: tf.broadcast_to(x[:1], [3, 3, 4]),
    lambda tf, x: tf.reverse(x, [0, -1]),
    lambda tf, x: tf.roll(x, [1, -1], [0, 1]),
    lambda tf, x: tf.repeat(x, 2),
    lambda tf, x: tf.repeat(x, [1, 0, 2], axis=0),
    lambda tf, x: tf.pad(x, [[1, 2], [0, 1]], constant_values=2.5),
    lambda tf, x: tf.pad(x, [[2, 2], [1, 3]], mode="REFLECT"),
    lambda tf, x: tf.pad(x, [[3, 2], [1, 4]], mode="symmetric"),
    lambda tf, x: tf.unstack(x, num=4, axis=1),
    lambda tf, x: tf.split(x, [1, -1, 1], axis=1),
    lambda tf, x: tf.concat([x, 2 * x], -1),
    lambda tf, x: tf.stack([x, x * x], axis=1),
    lambda tf, x: tf.identity_n([tf.ensure_shape(x, [None, 4]), tf.transpose(x)]),
    lambda tf, x: tf.meshgrid(x[0], x[1, :3], indexing="ij"),
    lambda tf, x: tf.reverse_sequence(x, [1, 2, 4], seq_axis=1, batch_axis=0),
    lambda tf, x: tf.linspace(x[0], x[1], 3, axis=1),
])
def test_float_ops(fn):
    check(fn, A)


def test_batched_tile_and_transpose():
    check(lambda tf, x: tf.transpose(tf.tile(x, [1, 2, 1]), [2, 0, 1]), B3)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.one_hot(x, 5),
    lambda tf, x: tf.one_hot(x, 4, on_value=3, off_value=-1),
    lambda tf, x: tf.one_hot(x, 4, axis=0, dtype=tf.float64),
    lambda tf, x: tf.sequence_mask(x[:2, :2], 5, dtype=tf.float32),
    lambda tf, x: tf.shape_n([x, x[0]], out_type=tf.int64),
    lambda tf, x: (tf.shape(x), tf.size(x), tf.rank(x), tf.shape(x, out_type=tf.int64)),
    lambda tf, x: tf.sort(x, direction="DESCENDING"),
    lambda tf, x: tf.unique(tf.reshape(x % 5, [-1])),
    lambda tf, x: tf.unique_with_counts(tf.reshape(x % 3, [-1]), out_idx=tf.int64),
    lambda tf, x: tf.searchsorted(x, x[:, 1:3], side="right", out_type=tf.int64),
    lambda tf, x: tf.broadcast_dynamic_shape(tf.shape(x[:1]), [2, 1, 4]),
    lambda tf, x: tf.fill([2, 3], x[1, 1]),
])
def test_integer_ops(fn):
    check(fn, I34)


def test_sort_argsort_ties_and_gradient():
    x = np.array([[3., 1., 3., 2., 1.], [0., -1., 5., 5., 2.]], np.float32)
    check(lambda tf, x: tf.sort(x, axis=0, direction="DESCENDING"), x)
    check(lambda tf, x: (tf.argsort(x), tf.argsort(x, axis=0, direction="DESCENDING", stable=True),
                         tf.searchsorted(tf.sort(x), [[0.5, 3.], [2., 9.]])), x, grad=False)


def test_pad_constant_values_get_no_gradient():
    check(lambda tf, x, c: tf.pad(x, [[1, 0], [2, 1]], constant_values=c), A, np.float32(4.0))


def test_one_hot_values_get_no_gradient():
    check(lambda tf, i, on: tf.one_hot(i, 3, on_value=on, off_value=tf.constant(0.)),
          np.array([0, 2, 5], np.int32), np.float32(2.0))


def test_creation():
    check(lambda tf, v: tf.fill([2, 3], v) * [1.0, 2.0, 3.0], np.float32(0.5))  # FillGrad: the sum
    check(lambda tf: (tf.zeros([2, 3]), tf.ones(3, tf.int64), tf.fill([2], 1.5), tf.eye(2, 3),
                      tf.eye(2, batch_shape=[2], dtype=tf.int32)))
    check(lambda tf: (tf.range(5), tf.range(1, 2, 0.25), tf.range(5, dtype=tf.float64),
                      tf.range(tf.constant(3, tf.int64)), tf.linspace(0, 1, 5),
                      tf.linspace(0., 1., 1)))


@pytest.mark.parametrize("fn", [
    lambda tf: tf.constant([1, 2.5]),
    lambda tf: tf.constant([[True, False]]),
    lambda tf: tf.constant(2 ** 40),
    lambda tf: tf.constant([1, 2 ** 31]),
    lambda tf: tf.constant(np.float64(1.5)),
    lambda tf: tf.constant(np.arange(3.)),
    lambda tf: tf.constant(1, dtype=tf.float64),
    lambda tf: tf.constant(300, dtype=tf.uint8),
    lambda tf: tf.constant(-1, dtype=tf.uint8),
    lambda tf: tf.constant(2 ** 40, dtype=tf.int32),
    lambda tf: tf.constant(5., shape=[2, 3]),
    lambda tf: tf.constant([7], shape=[2, 2]),
    lambda tf: tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3]),
    lambda tf: tf.constant([]),
    lambda tf: tf.convert_to_tensor([1, 2], dtype=tf.float32),
    lambda tf: tf.convert_to_tensor(np.float64(2.0)),
    lambda tf: tf.broadcast_static_shape(tf.TensorShape([1, 3]), tf.TensorShape([2, 1])).as_list(),
])
def test_constant_and_conversion(fn):
    check(lambda tf: [tf.convert_to_tensor(v) for v in (
        lambda r: r if isinstance(r, (list, tuple)) else [r])(fn(tf))])


@pytest.mark.parametrize("fn,match", [
    (lambda tf: tf.constant(2 ** 63), "out-of-range integer"),
    (lambda tf: tf.constant([True, 1]), "mixed types"),
    (lambda tf: tf.constant([[1], [1, 2]]), "non-rectangular"),
    (lambda tf: tf.constant(1.5, dtype=tf.int32), "Cannot convert 1.5 to EagerTensor of dtype int32"),
    (lambda tf: tf.constant([1, 2, 3], shape=[2, 2]), "has 3 elements, but got `shape` (2, 2)"),
    (lambda tf: tf.convert_to_tensor(None), "Attempt to convert a value (None)"),
    (lambda tf: tf.convert_to_tensor(tf.constant(1.), dtype=tf.float64),
     "Tensor conversion requested dtype float64 for Tensor with dtype float32"),
])
def test_constant_errors(fn, match):
    check_raises(fn, match=match)


@pytest.mark.parametrize("fn,match", [
    (lambda tf, x: tf.reshape(x, [5, -1]), "requested shape requires a multiple of 5"),
    (lambda tf, x: tf.reshape(x, [5, 2]), "Input to reshape is a tensor with 12 values, but the requested shape has 10"),
    (lambda tf, x: tf.concat([x, tf.ones([3])], 0), "Ranks of all input tensors should match: shape[0] = [3,4] vs. shape[1] = [3]"),
    (lambda tf, x: tf.concat([x, tf.ones([2, 3])], 0), "Dimension 1 in both shapes must be equal"),
    (lambda tf, x: tf.concat([x, x], 5), "Expected concatenating dimensions in the range [-2, 2), but got 5"),
    (lambda tf, x: tf.stack([x, tf.ones([2])]), "Shapes of all inputs must match: values[0].shape = [3,4] != values[1].shape = [2]"),
    (lambda tf, x: tf.tile(x, [2]), "Expected multiples argument to be a vector of length 2 but got length 1"),
    (lambda tf, x: tf.broadcast_to(x, [2, 4]), "Incompatible shapes: [3,4] vs. [2,4]"),
    (lambda tf, x: tf.expand_dims(x, 5), "Tried to expand dim index 5 for tensor with 2 dimensions."),
    (lambda tf, x: tf.squeeze(x, 0), "Can not squeeze dim[0], expected a dimension of 1, got 3"),
    (lambda tf, x: tf.squeeze(x, 5), "Tried to squeeze dim index 5 for tensor with 2 dimensions."),
    (lambda tf, x: tf.transpose(x, [0]), "transpose expects a vector of size 2. But input(1) is a vector of size 1"),
    (lambda tf, x: tf.unstack(x, num=2), "Input shape axis 0 must equal 2, got shape [3,4]"),
    (lambda tf, x: tf.unstack(x, axis=4), "Argument `axis` = 4 not in range [-2, 2)"),
    (lambda tf, x: tf.pad(x, [[1, 1]]), "The first dimension of paddings must be the rank of inputs[1,2] [3,4]"),
    (lambda tf, x: tf.pad(x, [[3, 3], [0, 0]], mode="REFLECT"), "paddings must be less than the dimension size: 3, 3 not less than 3"),
    (lambda tf, x: tf.pad(x, [[1, 1], [0, 0]], mode="FOO"), "Received `mode` = FOO"),
    (lambda tf, x: tf.reverse(x, [3]), "'axis'[0] = 3 is out of valid range [0, 1"),
    (lambda tf, x: tf.split(x, 3, axis=1), "should evenly divide the split dimension, but got split_dim 1 (size = 4) and num_split 3"),
    (lambda tf, x: tf.split(x, [1, 2], axis=1), "along split_dim if not fully specified.  Got: 3"),
    (lambda tf, x: tf.ensure_shape(x, [3, 5]), "Shape of tensor input [3,4] is not compatible with expected shape [3,5]."),
    (lambda tf, x: tf.one_hot(tf.constant([1.]), 3), "Value for attr 'TI' of float is not in the list of allowed values"),
    (lambda tf, x: tf.one_hot([0, 1], 2, on_value=5., dtype=tf.int32), "dtype <dtype: 'float32'> of on_value does not match dtype parameter <dtype: 'int32'>"),
    (lambda tf, x: tf.sort(x, direction="UP"), "Argument `direction` should be one of ASCENDING, DESCENDING. Received: direction=UP"),
    (lambda tf, x: tf.unique(x), "unique expects a 1D vector."),
    (lambda tf, x: tf.range(0, 5, 0), "Requires delta != 0: 0"),
    (lambda tf, x: tf.broadcast_dynamic_shape(tf.constant([4, 3]), tf.constant([2, 1])), "Incompatible shapes: [4,3] vs. [2,1]"),
    (lambda tf, x: tf.broadcast_static_shape(tf.TensorShape([4, 3]), tf.TensorShape([2, 1])), "Received: (4, 3) and (2, 1)."),
])
def test_errors(fn, match):
    check_raises(fn, A, match=match)
