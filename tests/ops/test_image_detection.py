"""tf.image's combined, padded and overlap-matrix non-max suppression against real TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_outcome

B = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1],
              [0, 100, 1, 101]], np.float32)
S = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], np.float32)
RNG = np.random.default_rng(2)


def _random_boxes(*lead, n=40):
    yx = RNG.uniform(0, 1, size=lead + (n, 2))
    hw = RNG.uniform(0.05, 0.4, size=lead + (n, 2))
    return np.concatenate([yx, yx + hw], -1).astype(np.float32)


RB = _random_boxes(2, 3)
RS = RNG.uniform(0, 1, size=(2, 3, 40)).astype(np.float32)


@pytest.mark.parametrize("kw", [dict(), dict(pad_to_max_output_size=True), dict(score_threshold=0.4,
                                pad_to_max_output_size=True), dict(sorted_input=True), dict(iou_threshold=0.9),
                                dict(canonicalized_coordinates=True)])
def test_non_max_suppression_padded_matches_tf(kw):
    same_outcome(lambda tf: tf.image.non_max_suppression_padded(tf.constant(B), tf.constant(S), 5, **kw))
    same_outcome(lambda tf: tf.image.non_max_suppression_padded(tf.constant(B[:, [2, 3, 0, 1]]), tf.constant(S),
                                                                8, **kw))
    same_outcome(lambda tf: tf.image.non_max_suppression_padded(tf.constant(RB[0, 0]), tf.constant(RS[0, 0]),
                                                                12, **kw))


def test_non_max_suppression_padded_batched_matches_tf():
    for kw in (dict(), dict(sorted_input=True), dict(iou_threshold=0.3, score_threshold=0.5)):
        same_outcome(lambda tf: tf.image.non_max_suppression_padded(
            tf.constant(RB), tf.constant(RS), 10, pad_to_max_output_size=True, **kw))
    same_outcome(lambda tf: tf.image.non_max_suppression_padded(tf.constant(RB), tf.constant(RS), 10))
    same_outcome(lambda tf: tf.image.non_max_suppression_padded(
        tf.constant([[-2.0, -2.0, -1.0, -1.0], [0, 0, 1, 1]]), tf.constant([0.9, 0.8]), 2,
        pad_to_max_output_size=True))


@pytest.mark.parametrize("kw", [dict(), dict(pad_per_class=True), dict(clip_boxes=False),
                                dict(score_threshold=0.55), dict(iou_threshold=0.2, pad_per_class=True)])
def test_combined_non_max_suppression_matches_tf(kw):
    boxes = np.stack([B, B])[:, :, None, :]
    scores = np.stack([np.stack([S, S[::-1]], 1)] * 2)
    same_outcome(lambda tf: tf.image.combined_non_max_suppression(tf.constant(boxes), tf.constant(scores), 3, 5,
                                                                  **kw))
    same_outcome(lambda tf: tf.image.combined_non_max_suppression(
        tf.constant(_random_boxes(2, n=30)[:, :, None, :] * 1.2 - 0.1), tf.constant(RS[:, :, :30].transpose(0, 2, 1)),
        4, 9, **kw))
    per_class = np.stack([RB[0].transpose(1, 0, 2)[:, :, :], RB[1].transpose(1, 0, 2)])  # [2, 40, 3, 4]
    same_outcome(lambda tf: tf.image.combined_non_max_suppression(
        tf.constant(per_class), tf.constant(RS.transpose(0, 2, 1)), 5, 20, **kw))


def test_combined_non_max_suppression_inside_tf_function():
    boxes = np.stack([B, B])[:, :, None, :]
    scores = np.stack([np.stack([S, S[::-1]], 1)] * 2)
    same_outcome(lambda tf: tf.function(lambda b, s: tf.image.combined_non_max_suppression(b, s, 3, 5))(
        tf.constant(boxes), tf.constant(scores)))


def test_non_max_suppression_overlaps_matches_tf():
    o = (np.eye(3) + 0.6 * (1 - np.eye(3))).astype(np.float32)
    same_outcome(lambda tf: tf.image.non_max_suppression_overlaps(tf.constant(o), tf.constant([0.5, 0.9, 0.7]), 3))
    same_outcome(lambda tf: tf.image.non_max_suppression_overlaps(tf.constant(o), tf.constant([0.5, 0.9, 0.7]), 3,
                                                                  0.7, 0.6))
    m = RNG.uniform(0, 1, size=(30, 30)).astype(np.float32)
    m = (m + m.T) / 2
    for args in ((10, 0.5), (30, 0.8, 0.2), (0, 0.5), (5, 0.3)):
        same_outcome(lambda tf: tf.image.non_max_suppression_overlaps(tf.constant(m), tf.constant(RS[0, 0, :30]),
                                                                      *args))
