"""tf.nn losses against real TensorFlow: values, gradients to logits and
labels (TF 2's softmax cross-entropy differentiates both), and TF's errors."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(1)
LOGITS = np.array([[-3., 0., 2.5, 40.], [0., 0., -1., -60.]], np.float32)
PROBS = rng.uniform(0, 1, size=(2, 4)).astype(np.float32)
DIST = (PROBS / PROBS.sum(-1, keepdims=True)).astype(np.float32)
UNNORM = PROBS * 3  # labels that do not sum to one: TF's kernel gradient shows it
IDS = np.array([3, 0], np.int32)


def test_sigmoid_and_weighted():
    check(lambda tf, z, y: (tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z),
                            tf.nn.weighted_cross_entropy_with_logits(y, z, pos_weight=2.5),
                            tf.nn.weighted_cross_entropy_with_logits(y, z, 0.3)),
          LOGITS, PROBS)


@pytest.mark.parametrize("labels", [DIST, UNNORM], ids=["distribution", "unnormalized"])
def test_softmax_xent(labels):
    check(lambda tf, y, z: tf.nn.softmax_cross_entropy_with_logits(y, z), labels, LOGITS)


def test_softmax_xent_axis_and_rank():
    z = rng.normal(size=(3, 2, 4)).astype(np.float32)
    y = rng.uniform(size=(3, 2, 4)).astype(np.float32)
    check(lambda tf, y, z: (tf.nn.softmax_cross_entropy_with_logits(y, z, axis=0),
                            tf.nn.softmax_cross_entropy_with_logits(y, z, axis=1),
                            tf.nn.softmax_cross_entropy_with_logits(y[0, 0], z[0, 0])), y, z)


def test_softmax_xent_float64_and_half():
    check(lambda tf, y, z: tf.nn.softmax_cross_entropy_with_logits(y, z),
          DIST.astype(np.float64), LOGITS.astype(np.float64), rtol=1e-10, atol=1e-12)
    check(lambda tf, y, z: tf.nn.softmax_cross_entropy_with_logits(y, z),
          DIST.astype(np.float16), LOGITS.astype(np.float16) / 8, rtol=2e-3, atol=2e-3)


def test_sparse_xent():
    check(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z),
          IDS, LOGITS)
    check(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
          np.array([[1, 0, 2]], np.int64), rng.normal(size=(1, 3, 3)))


def test_l2_and_poisson():
    t = np.array([0., 0.5, 1., 2., 7.], np.float32)
    li = rng.normal(size=5).astype(np.float32)
    check(lambda tf, t, li: (tf.nn.l2_loss(li), tf.nn.log_poisson_loss(t, li),
                             tf.nn.log_poisson_loss(t, li, compute_full_loss=True)), t, li)
    check(lambda tf, x: tf.nn.l2_loss(x), rng.normal(size=(2, 3)))


def test_compute_average_loss():
    check(lambda tf, x: (tf.nn.compute_average_loss(x), tf.nn.compute_average_loss(x, global_batch_size=8),
                         tf.nn.compute_average_loss(x, sample_weight=2.0)),
          rng.normal(size=(4,)).astype(np.float32))
    check(lambda tf, x: tf.nn.compute_average_loss(x, sample_weight=tf.constant([1., 2.])),
          rng.normal(size=(2, 3)).astype(np.float32))


@pytest.mark.parametrize("size,match", [
    (2.0, "global_batch_size must be an integer."), ([2], "global_batch_size must be scalar."),
    (-1, "Condition x >= 0 did not hold element-wise:\nx (shape=() dtype=int32) = \n-1")])
def test_compute_average_loss_errors(size, match):
    check_raises(lambda tf: tf.nn.compute_average_loss([1., 2.], global_batch_size=size), match=match)
    check_raises(lambda tf: tf.nn.compute_average_loss(1.0), match="Expected a tensor with at least rank 1")


def test_sparse_errors():
    z = LOGITS
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.array([1, 4], np.int32), z,
                 match="Received a label value of 4 which is outside the valid range of [0, 4).")
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.array([-1, 2], np.int32), z, match="Received a label value of -1")
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.array([[1, 2]], np.int32), z, match="`labels.shape.rank` must equal")
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.array([1, 2, 0], np.int32), z, match="must equal `logits.shape` except")
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.array([1., 2.], np.float32), z, match="Value for attr 'Tlabels' of float")
    check_raises(lambda tf, y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(y, z),
                 np.int32(1), np.float32(1.0), match="`logits` cannot be a scalar")


def test_shape_errors():
    check_raises(lambda tf, y, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z),
                 PROBS[:1], LOGITS, match="must have the same shape")
    check_raises(lambda tf, y, z: tf.nn.weighted_cross_entropy_with_logits(y, z, 2.0),
                 PROBS[:, :2], LOGITS, match="must have the same shape")
    check_raises(lambda tf, y, z: tf.nn.softmax_cross_entropy_with_logits(y, z),
                 PROBS[:, :3], LOGITS, match="logits and labels must be broadcastable")
    check_raises(lambda tf, t, li: tf.nn.log_poisson_loss(t, li),
                 PROBS[0], LOGITS, match="must have the same shape")
    check_raises(lambda tf, x: tf.nn.l2_loss(x), np.array([1, 2], np.int32),
                 match="Value for attr 'T' of int32")
