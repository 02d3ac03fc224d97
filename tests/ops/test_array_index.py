"""Gather, scatter, masks and selection against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(1)
P = rng.normal(size=(3, 4)).astype(np.float32)
P3 = rng.normal(size=(2, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda tf, p: tf.gather(p, [2, 0, 2]),
    lambda tf, p: tf.gather(p, [[1, 3], [0, 0]], axis=1),
    lambda tf, p: tf.gather_nd(p, [[0, 1], [2, 3], [0, 1]]),
    lambda tf, p: tf.scatter_nd([[1], [1], [3]], p[:3, 0], [5]),
    lambda tf, p: tf.scatter_nd([[0, 1], [2, 2]], p[:2, :1] * p[0, 0], [3, 3, 1]),
    lambda tf, p: tf.tensor_scatter_nd_update(p, [[0, 1], [2, 3]], p[1, :2]),
    lambda tf, p: tf.tensor_scatter_nd_add(p, [[0, 1], [0, 1]], p[1, :2]),
    lambda tf, p: tf.tensor_scatter_nd_sub(p, [[2]], p[:1]),
    lambda tf, p: tf.boolean_mask(p, p > 0),
    lambda tf, p: tf.boolean_mask(p, [True, False, True, True], axis=1),
    lambda tf, p: tf.where(p[:, :1] > 0, p, 0.5),
    lambda tf, p: tf.where(p > 0, tf.math.log(p), 0.),
    lambda tf, p: tf.where(p > 0),
])
def test_ops(fn):
    check(fn, P)


def test_batch_dims():
    check(lambda tf, p: tf.gather(p, [[0, 1], [2, 0]], axis=1, batch_dims=1), P3)
    check(lambda tf, p: tf.gather_nd(p, [[[0, 3]], [[2, 1]]], batch_dims=1), P3)


def test_scatter_extremes_share_ties_like_tf():
    t = np.array([1., 2., 1.], np.float32)
    u = np.array([1., 5.], np.float32)
    check(lambda tf, t, u: tf.tensor_scatter_nd_max(t, [[0], [1]], u), t, u)
    check(lambda tf, t, u: tf.tensor_scatter_nd_min(t, [[0], [2]], u), t, u)


def test_integer_data():
    i = np.arange(12, dtype=np.int64).reshape(3, 4)
    check(lambda tf, i: (tf.gather(i, [1]), tf.boolean_mask(i, i % 3 == 0),
                         tf.tensor_scatter_nd_max(i, [[0, 0]], tf.constant([7], tf.int64))), i)


@pytest.mark.parametrize("fn,match", [
    (lambda tf, p: tf.gather(p, [0, 7]), "indices[1] = 7 is not in [0, 3)"),
    (lambda tf, p: tf.gather(p, [[0], [-1]]), "indices[1,0] = -1 is not in [0, 3)"),
    (lambda tf, p: tf.gather(p, [0], axis=3), "Shape must be at least rank 4 but is rank 2"),
    (lambda tf, p: tf.gather_nd(p, [[0, 7]]), "indices[0] = [0, 7] does not index into param shape [3,4], node name: GatherNd"),
    (lambda tf, p: tf.scatter_nd([[5]], [1.], [3]), "indices[0] = [5] does not index into shape [3]"),
    (lambda tf, p: tf.tensor_scatter_nd_update(p, [[5]], p[:1]), "indices[0] = [5] does not index into shape [3,4]"),
    (lambda tf, p: tf.tensor_scatter_nd_add(p, [[0, 9]], [1.]), "indices[0] = [0, 9] does not index into shape [3,4]"),
    (lambda tf, p: tf.boolean_mask(p, [True, False]), "Shapes (3,) and (2,) are incompatible"),
    (lambda tf, p: tf.where([1., 0.], 1., 0.), "Cannot convert [1.0, 0.0] to EagerTensor of dtype bool"),
    (lambda tf, p: tf.where(p, p, p), "was expected to be a bool tensor but is a float tensor"),
])
def test_errors(fn, match):
    check_raises(fn, P, match=match)
