"""tf.IndexedSlices and tf.sparse.mask against real TensorFlow."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jaxtape
from tests.difftest import real_tf, same_outcome


def _slices(tf, shape=True):
    return tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([0, 2, 0]),
                            tf.constant([4, 2]) if shape else None)


def test_properties_printing_and_conversion_match_tf():
    same_outcome(lambda tf: [str(_slices(tf)), str(_slices(tf, False)), _slices(tf).values,
                             _slices(tf).indices, _slices(tf).dense_shape, str(_slices(tf).shape),
                             str(_slices(tf, False).shape), repr(_slices(tf).dtype)])
    same_outcome(lambda tf: tf.convert_to_tensor(_slices(tf)))
    same_outcome(lambda tf: tf.reduce_sum(_slices(tf)) + tf.add_n([_slices(tf), tf.ones([4, 2])]))
    same_outcome(lambda tf: tf.convert_to_tensor(_slices(tf, False)))
    assert isinstance(_slices(jaxtape), jaxtape.IndexedSlices)
    assert not isinstance(jaxtape.constant(1.0), jaxtape.IndexedSlices)


def test_conversion_is_differentiable():
    v = jaxtape.Variable([[1.0, 2.0], [3.0, 4.0]])
    with jaxtape.GradientTape() as tape:
        dense = jaxtape.convert_to_tensor(jaxtape.IndexedSlices(v * 2.0, jaxtape.constant([1, 1]),
                                                                jaxtape.constant([3, 2])))
        loss = jaxtape.reduce_sum(dense * jaxtape.constant([[1.0], [5.0], [7.0]]))
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [[10.0, 10.0], [10.0, 10.0]])


def test_large_conversion_does_not_warn_eagerly_as_tf():
    tf = real_tf()
    for lib in (tf, jaxtape):
        big = lib.IndexedSlices(lib.zeros([1, 2]), lib.constant([0]), lib.constant([60000000, 2]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.convert_to_tensor(big)
        assert not any("Converting sparse IndexedSlices" in str(w.message) for w in caught), lib


@pytest.mark.parametrize("mask", [[2], [0], [0, 1, 2], [], [7]])
def test_sparse_mask_matches_tf(mask):
    def run(tf):
        out = tf.sparse.mask(_slices(tf), tf.constant(mask, tf.int32))
        return [out.values, out.indices, out.dense_shape, isinstance(out, tf.IndexedSlices)]
    same_outcome(run)
