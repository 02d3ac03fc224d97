"""tf.sparse.cross / cross_hashed and tf.ragged.cross / cross_hashed against real
TensorFlow: the joined strings, FarmHash-based hashes (exactly), order, shapes, errors."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_outcome


def a(tf):
    return tf.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])


def b(tf):
    return tf.sparse.SparseTensor([[0, 0], [1, 0]], np.int64([7, -8]), [2, 1])


def d(tf):
    return tf.constant([["f"], ["g"]])


def long(tf):
    return tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]],
                                  ["a fairly long feature string, past sixty-four bytes ....",
                                   "x" * 100, "mid-sized string of 20+"], [2, 3])


def empty_row(tf):
    return tf.sparse.SparseTensor([[1, 0]], np.int64([3]), [2, 4])


CASES = [
    lambda tf: tf.sparse.cross([a(tf), b(tf), d(tf)]),
    lambda tf: tf.sparse.cross([d(tf), a(tf), b(tf)]),
    lambda tf: tf.sparse.cross([a(tf), d(tf), b(tf)], separator="|"),
    lambda tf: tf.sparse.cross([a(tf)]),
    lambda tf: tf.sparse.cross([a(tf), a(tf)]),
    lambda tf: tf.sparse.cross([a(tf), empty_row(tf)]),
    lambda tf: tf.sparse.cross([a(tf), tf.constant([[1.5, 2.0], [-2.5, 3.0]])]),
    lambda tf: tf.sparse.cross([tf.constant([[1], [2]], tf.int32),
                                tf.constant([[True], [False]])]),
    lambda tf: tf.sparse.cross([]),
    lambda tf: tf.sparse.cross([a(tf), tf.constant([["f"], ["g"], ["h"]])]),
    lambda tf: tf.sparse.cross([a(tf), tf.constant(["x", "y"])]),
    lambda tf: tf.sparse.cross([tf.sparse.SparseTensor([[0, 0, 0]], ["a"], [2, 2, 2])]),
    lambda tf: tf.sparse.cross(a(tf)),
    lambda tf: tf.sparse.cross([a(tf), [["x"], ["y"]]]),
    lambda tf: tf.sparse.cross_hashed([a(tf), b(tf), d(tf)]),
    lambda tf: tf.sparse.cross_hashed([a(tf), b(tf), d(tf)], num_buckets=100, hash_key=123),
    lambda tf: tf.sparse.cross_hashed([a(tf)]),
    lambda tf: tf.sparse.cross_hashed([b(tf)]),
    lambda tf: tf.sparse.cross_hashed([long(tf), a(tf)], num_buckets=1000),
    lambda tf: tf.sparse.cross_hashed([long(tf), b(tf), empty_row(tf)]),
    lambda tf: tf.sparse.cross_hashed([tf.constant([[-5, 2**40], [0, 1]], tf.int64), d(tf)],
                                      hash_key=-12345),
    lambda tf: tf.sparse.cross_hashed([d(tf)], hash_key=2**63 + 5),
    lambda tf: tf.sparse.cross_hashed([a(tf), [["x"], ["y"]]]),
    lambda tf: tf.ragged.cross([d(tf), tf.ragged.constant([["a"], ["b", "c"]]), b(tf)]),
    lambda tf: tf.ragged.cross_hashed([d(tf), tf.ragged.constant([["a"], ["b", "c"]]), b(tf)],
                                      num_buckets=10),
    lambda tf: tf.ragged.cross_hashed([tf.ragged.constant([["a"], ["b", "c"]]), long(tf)]),
    lambda tf: tf.ragged.cross([tf.constant([[1, 2], [3, 4]]),
                                tf.ragged.constant([["a"], ["b", "c"]])]),
    lambda tf: tf.ragged.cross([tf.ragged.constant([["a"], []]), d(tf)]),
    lambda tf: tf.ragged.cross([tf.ragged.constant([["a"], ["b"]]),
                                tf.constant([["f"], ["g"], ["h"]])]),
]


def _plain_ragged(x):
    if hasattr(x, "row_splits"):
        return ("ragged", x.row_splits.dtype.name, x.to_list())
    return x


@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_tf(case):
    from tests.difftest import plain
    same_outcome(lambda tf: _plain_ragged(CASES[case](tf)), plain=plain)


def test_in_dataset_map():
    def fn(tf):
        ds = tf.data.Dataset.from_tensor_slices(np.int64([[1, 2], [3, 4]]))
        ds = ds.map(lambda x: tf.sparse.to_dense(tf.sparse.cross_hashed(
            [tf.reshape(x, [1, 2]), tf.constant([["q"]])], num_buckets=50)))
        return list(ds)
    same_outcome(fn)
