"""tf.io.serialize_sparse / serialize_many_sparse / deserialize_many_sparse against real
TensorFlow: TF's TensorProto bytes, the stacked result, errors; in a Dataset.map too."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_outcome

import jaxtape


def sp(tf, indices=((0, 1), (2, 0), (2, 3)), values=np.float32([1, -2, 3.5]), shape=(3, 4)):
    return tf.sparse.SparseTensor(list(map(list, indices)), values, shape)


SP3 = (((0, 1, 1), (2, 0, 5), (2, 3, 0)), np.int64([1, -2, 3]), (4, 4, 6))
STR = (((0, 1), (2, 0)), np.array([b"a", b"bc"], object), (3, 4))
EMPTY = (np.zeros((0, 2), np.int64), np.float32([]), (2, 5))

CASES = [
    lambda tf: tf.io.serialize_sparse(sp(tf)),
    lambda tf: tf.io.serialize_sparse(sp(tf, *SP3)),
    lambda tf: tf.io.serialize_sparse(sp(tf, *STR)),
    lambda tf: tf.io.serialize_sparse(sp(tf, *EMPTY)),
    lambda tf: tf.io.serialize_sparse(sp(tf, [[1, 0]], np.float64([2.0]), [2, 2]), tf.string),
    lambda tf: tf.io.serialize_many_sparse(sp(tf)),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, *SP3)),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, *STR)),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, *EMPTY)),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, [[2, 0], [0, 1]], np.float32([1, 2]), [3, 4])),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, [[0, 1], [0, 1]], np.float32([1, 2]), [3, 4])),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, [[0, 7]], np.float32([1]), [3, 4])),
    lambda tf: tf.io.serialize_many_sparse(sp(tf, [[1]], np.float32([1]), [3])),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf)), tf.float32),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf, *SP3)), tf.int64),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf, *STR)),
                                             tf.string),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf, *EMPTY)),
                                             tf.float32),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf)), tf.float32,
                                             rank=2),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp(tf)), tf.int32),
    lambda tf: tf.io.deserialize_many_sparse(tf.io.serialize_sparse(sp(tf)), tf.float32),
    lambda tf: tf.io.deserialize_many_sparse(
        tf.stack([tf.io.serialize_sparse(sp(tf)), tf.io.serialize_sparse(sp(tf, [[4, 1]],
                                                                            np.float32([9]),
                                                                            [5, 2]))]),
        tf.float32),
    lambda tf: tf.io.deserialize_many_sparse(
        tf.reshape(tf.io.serialize_many_sparse(sp(tf, *SP3)), [2, 2, 3]), tf.int64),
    lambda tf: tf.io.deserialize_many_sparse(
        tf.stack([tf.io.serialize_sparse(sp(tf)), tf.io.serialize_sparse(sp(tf, *SP3))]),
        tf.float32),
    lambda tf: tf.io.deserialize_many_sparse(tf.constant([["a", "b", "c"]]), tf.float32),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_tf(case):
    same_outcome(CASES[case])


def test_rank_hint_mismatch_raises_value_error():
    same_outcome(lambda tf: tf.io.deserialize_many_sparse(
        tf.io.serialize_many_sparse(sp(tf)), tf.float32, rank=3))


def test_parse_tensor_reads_each_part():
    same_outcome(lambda tf: [tf.io.parse_tensor(s, t) for s, t in zip(
        tf.unstack(tf.io.serialize_sparse(sp(tf))), (tf.int64, tf.float32, tf.int64))])


def test_in_dataset_map():
    def fn(tf):
        ds = tf.data.Dataset.from_tensor_slices(np.float32([[0, 1, 0], [2, 0, 3]]))
        ds = ds.map(lambda x: tf.io.serialize_sparse(tf.sparse.from_dense(x)))
        return [ds.element_spec.shape.as_list(), ds.element_spec.dtype.name, list(ds)]
    same_outcome(fn)


def test_variant_out_type_is_refused():
    with pytest.raises(jaxtape.errors.NotImplementedInJaxtape if hasattr(
            jaxtape.errors, "NotImplementedInJaxtape") else NotImplementedError):
        jaxtape.io.serialize_sparse(sp(jaxtape), out_type="variant")
