"""tf.math reductions, scans, arg ops, top_k, segments and counting against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(4)
X = rng.normal(size=(2, 3, 4)).astype(np.float32)
TIES = np.array([[1., 3., 3.], [2., 2., 0.]], np.float32)
I = rng.integers(-5, 6, size=(3, 4)).astype(np.int32)
B = rng.uniform(size=(3, 4)) > 0.5

FLOAT_REDUCTIONS = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
                    "reduce_logsumexp", "reduce_std", "reduce_variance", "reduce_euclidean_norm"]


@pytest.mark.parametrize("axis,keepdims", [(None, False), ([0, -1], True), ([], False)])
def test_float_reductions(axis, keepdims):
    check(lambda tf, x: [getattr(tf.math, n)(x, axis=axis, keepdims=keepdims)
                         for n in FLOAT_REDUCTIONS], X, rtol=1e-4, atol=1e-5)


def test_ties_share_the_gradient():
    check(lambda tf, x: (tf.reduce_max(x, 1), tf.reduce_min(x), tf.math.top_k(x, 2),
                         tf.argmax(x, 1), tf.argmin(x, output_type=tf.int32)), TIES)


def test_integer_and_bool_reductions():
    check(lambda tf, i, b: (tf.reduce_sum(i, 0), tf.reduce_mean(i, 1), tf.reduce_mean(i),
                            tf.reduce_prod(i[:, :2]), tf.reduce_max(i), tf.reduce_min(i, 1, True),
                            tf.math.reduce_euclidean_norm(i, 1), tf.reduce_all(b, 1),
                            tf.reduce_any(b, [0, 1], keepdims=True), tf.math.count_nonzero(i),
                            tf.math.count_nonzero(i, 1, keepdims=True, dtype=tf.int32),
                            tf.math.count_nonzero(b, 0), tf.argmax(b), tf.cumsum(i, 1),
                            tf.math.cumprod(i, exclusive=True), tf.math.zero_fraction(i),
                            tf.argmax(i, 1, output_type=tf.int16)), I, B)


def test_empty_reductions():
    check(lambda tf: (tf.reduce_max(tf.zeros([0])), tf.reduce_min(tf.zeros([0], tf.int32)),
                      tf.reduce_mean(tf.zeros([0])), tf.reduce_mean(tf.zeros([0], tf.int32)),
                      tf.reduce_sum(tf.zeros([2, 0]), 1), tf.reduce_logsumexp([-np.inf, -np.inf])))


@pytest.mark.parametrize("exclusive,reverse", [(False, True), (True, False), (True, True)])
def test_scans(exclusive, reverse):
    check(lambda tf, x: (tf.cumsum(x, 1, exclusive, reverse), tf.math.cumprod(x, -1, exclusive, reverse),
                         tf.math.cumulative_logsumexp(x, 2, exclusive, reverse)), X,
          rtol=1e-5, atol=1e-5)


def test_top_k_in_top_k_l2_normalize():
    check(lambda tf, x: (tf.math.top_k(x, 3), tf.nn.top_k(x[0], k=1, sorted=True),
                         tf.math.top_k(tf.constant([1, 3, 2, 3]), 3),
                         tf.math.in_top_k([0, 1], x[0, :2, :3], 1), tf.nn.in_top_k([2, 0], x[1, :2], 2),
                         tf.math.l2_normalize(x, 1), tf.nn.l2_normalize(x, [0, 2], epsilon=1e-3),
                         tf.linalg.l2_normalize(x * 0.)), X)


DATA = rng.normal(size=(5, 2)).astype(np.float32)
SORTED = np.array([0, 0, 2, 3, 3], np.int32)
UNSORTED = np.array([3, 0, -1, 0, 1], np.int32)


def test_segments():
    def ops(tf, d):
        out = [getattr(tf.math, f"segment_{k}")(d, SORTED) for k in ("sum", "mean", "max", "min", "prod")]
        out += [getattr(tf.math, f"unsorted_segment_{k}")(d, UNSORTED, 5)
                for k in ("sum", "mean", "max", "min", "prod", "sqrt_n")]
        out.append(tf.math.unsorted_segment_sum(tf.reshape(d, [5, 2, 1]), tf.constant([[0, 1]] * 5), 2))
        return out
    check(ops, DATA, rtol=1e-5, atol=1e-6)


def test_bincount_and_confusion_matrix():
    check(lambda tf, w: (tf.math.bincount([1, 1, 3]), tf.math.bincount([1, 1, 3], minlength=6, maxlength=5),
                         tf.math.bincount([1, 1, 3], weights=w), tf.math.bincount([[1, 2], [0, 0]], axis=-1),
                         tf.math.bincount([1], dtype=tf.float32), tf.math.bincount(tf.zeros([0], tf.int32)),
                         tf.math.confusion_matrix([1, 2], [2, 2]),
                         tf.math.confusion_matrix([1, 2, 0], [2, 2, 0], num_classes=4, weights=w,
                                                  dtype=tf.float32)),
          np.array([0.5, 1., 2.], np.float32), grad=False)


@pytest.mark.parametrize("fn,match", [
    (lambda tf: tf.reduce_mean(tf.ones([2, 3]), axis=2), "Invalid reduction dimension (2 for input with 2 dimension(s)"),
    (lambda tf: tf.reduce_sum(tf.ones([2, 3]), axis=-3), "Invalid reduction dimension (-3"),
    (lambda tf: tf.reduce_sum(tf.constant(1.), axis=0), "Invalid reduction dimension (0 for input with 0"),
    (lambda tf: tf.reduce_sum(tf.ones([2, 3]), axis=[1, -1]), "Axes contains duplicate dimension: 1"),
    (lambda tf: tf.reduce_sum(tf.ones([2]), axis=0.), "Cannot convert 0.0 to EagerTensor of dtype int32"),
    (lambda tf: tf.reduce_sum(tf.constant([True])), "Value for attr 'T' of bool"),
    (lambda tf: tf.reduce_all(tf.constant([1.])), "cannot compute All as input #0(zero-based) was expected to be a bool tensor but is a float tensor"),
    (lambda tf: tf.math.reduce_std(tf.constant([1, 2])), "Input must be either real or complex. Received integer type <dtype: 'int32'>."),
    (lambda tf: tf.argmax(tf.constant([1., 3.]), axis=1), "Expected dimension in the range [-1, 1), but got 1"),
    (lambda tf: tf.argmax(tf.constant(1.)), "Expected dimension in the range [0, 0), but got 0"),
    (lambda tf: tf.cumsum(tf.constant([1, 2]), axis=1), "ScanOp: Expected scan axis in the range [-1, 1), but got 1"),
    (lambda tf: tf.math.cumulative_logsumexp(tf.constant([1, 2])), "Value for attr 'T' of int32"),
    (lambda tf: tf.math.top_k(tf.constant([1., 3.]), k=3), "input must have at least k columns. Had 2, needed 3"),
    (lambda tf: tf.math.top_k(tf.constant(1.), k=1), "input must be >= 1-D, got shape []"),
    (lambda tf: tf.math.top_k(tf.constant([1.]), k=-1), "Need k >= 0, got -1"),
    (lambda tf: tf.math.in_top_k(tf.constant([0]), tf.ones([2, 2]), 1), "First dimension of predictions 2 must match length of targets 1"),
    (lambda tf: tf.math.segment_sum(tf.ones([3]), tf.constant([0, 2, 1])), "segment ids are not increasing"),
    (lambda tf: tf.math.segment_sum(tf.ones([3]), tf.constant([-1, 0, 0])), "possibly because 'segment_ids' input is not sorted"),
    (lambda tf: tf.math.segment_sum(tf.ones([3]), tf.constant([0, 0])), "segment_ids should be the same size as dimension 0 of input."),
    (lambda tf: tf.math.segment_sum(tf.ones([3]), tf.constant([0., 0., 0.])), "Value for attr 'Tindices' of float is not in the list of allowed values: int32, int64"),
    (lambda tf: tf.math.unsorted_segment_sum(tf.ones([3]), tf.constant([0, 5, 1]), 3), "segment_ids[1] = 5 is out of range [0, 3)"),
    (lambda tf: tf.math.unsorted_segment_sum(tf.ones([3]), tf.constant([0, 1]), 3), "data.shape = [3] does not start with segment_ids.shape = [2]"),
    (lambda tf: tf.math.bincount(tf.constant([1, -1])), "Input arr must be non-negative!"),
    (lambda tf: tf.math.confusion_matrix([1, -2], [2, 2]), "`labels` contains negative values."),
    (lambda tf: tf.math.confusion_matrix([1, 5], [2, 2], num_classes=3), "`labels` out of bound"),
])
def test_errors(fn, match):
    check_raises(fn, match=match)
