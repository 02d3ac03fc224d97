"""tf.sparse against real TensorFlow: SparseTensor, conversions, reductions,
sparse-dense matmul, add and the structural ops; values, errors and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import real_tf, same_outcome

INDICES = [[0, 1], [2, 0], [2, 3]]
VALUES = np.float32([1.0, -2.0, 3.5])


def sp(tf, indices=INDICES, values=VALUES, shape=(3, 4)):
    return tf.sparse.SparseTensor(indices, values, shape)


CASES = [
    lambda tf: sp(tf),
    lambda tf: [str(sp(tf)), sp(tf).shape.as_list(), sp(tf).dtype.name, sp(tf).get_shape().as_list()],
    lambda tf: tf.sparse.SparseTensor([0, 0], [1.0], [3]),
    lambda tf: tf.sparse.SparseTensor([[0]], [[1.0]], [3]),
    lambda tf: tf.sparse.SparseTensor([[0, 0]], [1.0, 2.0], [3, 4]),
    lambda tf: tf.sparse.to_dense(sp(tf)),
    lambda tf: tf.sparse.to_dense(sp(tf), default_value=-1.0),
    lambda tf: tf.sparse.to_dense(sp(tf, [[1, 0], [0, 0]], [1.0, 2.0], [2, 2])),
    lambda tf: tf.sparse.to_dense(sp(tf, [[1, 0], [0, 0]], [1.0, 2.0], [2, 2]), validate_indices=False),
    lambda tf: tf.sparse.to_dense(sp(tf, [[0], [0]], [1.0, 2.0], [2])),
    lambda tf: tf.sparse.to_dense(sp(tf, [[5, 0]], [1.0], [3, 4])),
    lambda tf: tf.sparse.to_dense(sp(tf, [[0], [2]], [b"a", b"b"], [4]), default_value=b"?"),
    lambda tf: tf.sparse.to_dense(sp(tf, [[0], [2]], [4, 5], [4])),
    lambda tf: tf.sparse.from_dense([[0, 1], [2, 0]]),
    lambda tf: tf.sparse.from_dense(tf.constant([b"", b"a"])),
    lambda tf: tf.sparse.from_dense(np.zeros((2, 3), np.float32)),
    lambda tf: tf.sparse.reorder(sp(tf, [[2, 0], [0, 1], [0, 0]], [1.0, 2.0, 3.0], [3, 2])),
    lambda tf: [tf.sparse.reduce_sum(sp(tf)), tf.sparse.reduce_sum(sp(tf), axis=1),
                tf.sparse.reduce_sum(sp(tf), axis=-1), tf.sparse.reduce_sum(sp(tf), 0, keepdims=True)],
    lambda tf: [tf.sparse.reduce_sum(sp(tf), axis=1, output_is_sparse=True),
                tf.sparse.reduce_sum(sp(tf), axis=0, keepdims=True, output_is_sparse=True)],
    lambda tf: tf.sparse.sparse_dense_matmul(sp(tf), np.arange(8, dtype=np.float32).reshape(4, 2)),
    lambda tf: tf.sparse.sparse_dense_matmul(sp(tf), np.ones((3, 2), np.float32), adjoint_a=True),
    lambda tf: tf.sparse.sparse_dense_matmul(sp(tf), np.ones((2, 4), np.float32), adjoint_b=True),
    lambda tf: tf.sparse.sparse_dense_matmul(np.arange(6, dtype=np.float32).reshape(2, 3), sp(tf)),
    lambda tf: tf.sparse.sparse_dense_matmul(sp(tf), np.ones((3, 2), np.float32)),
    lambda tf: tf.sparse.add(sp(tf), np.ones((3, 4), np.float32)),
    lambda tf: tf.sparse.add(sp(tf), sp(tf, [[0, 1], [1, 1]], np.float32([-1.0, 4.0]))),
    lambda tf: tf.sparse.add(sp(tf), sp(tf, [[0, 1], [1, 1]], np.float32([-0.5, 4.0])), threshold=0.6),
    lambda tf: tf.sparse.map_values(tf.multiply, sp(tf), 2.0),
    lambda tf: tf.sparse.expand_dims(sp(tf), 0),
    lambda tf: tf.sparse.expand_dims(sp(tf), -1),
    lambda tf: tf.sparse.transpose(sp(tf)),
    lambda tf: tf.sparse.retain(sp(tf), [True, False, True]),
    lambda tf: isinstance(sp(tf), tf.SparseTensor) and tf.SparseTensor is tf.sparse.SparseTensor,
]


@pytest.mark.parametrize("call", CASES, ids=[str(i) for i in range(len(CASES))])
def test_sparse_ops_match_tf(call):
    same_outcome(call)


def _gradients(tf):
    values = tf.Variable(VALUES)
    default = tf.Variable(0.5)
    dense = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    with tf.GradientTape(persistent=True) as tape:
        s = tf.sparse.SparseTensor(INDICES, values * 1.0, [3, 4])
        losses = [tf.reduce_sum(tf.sparse.to_dense(s, default_value=default) ** 2),
                  tf.reduce_sum(tf.sparse.sparse_dense_matmul(s, dense) ** 2),
                  tf.reduce_sum(tf.sparse.reduce_sum(s, axis=1) * [1.0, 2.0, 3.0]),
                  tf.reduce_sum(tf.sparse.add(s, s).values ** 3),
                  tf.reduce_sum(tf.sparse.reorder(tf.sparse.transpose(s)).values * [1.0, 2.0, 3.0])]
    return [tape.gradient(loss, [values, default, dense]) for loss in losses]


def test_gradients_through_sparse_ops_match_tf():
    same_outcome(_gradients)


def test_var_len_features_parse_to_sparse_tensors():
    tf = real_tf()
    records = []
    for i in range(4):
        ex = tf.train.Example(features=tf.train.Features(feature={
            "tokens": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i)))),
            "words": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"w%d" % i] * (i % 2)))}))
        records.append(ex.SerializeToString())

    def parse(tf):
        spec = {"tokens": tf.io.VarLenFeature(tf.int64), "words": tf.io.VarLenFeature(tf.string),
                "dense": tf.io.FixedLenFeature([], tf.float32, default_value=1.0)}
        single = [tf.io.parse_single_example(r, spec) for r in records]
        batch = tf.io.parse_example(records, spec)
        return single + [batch, tf.sparse.to_dense(batch["tokens"], default_value=-1)]

    same_outcome(parse)
    assert isinstance(jaxtape.io.parse_example(records, {"t": jaxtape.io.VarLenFeature(jaxtape.int64)})["t"],
                      jaxtape.SparseTensor)


def test_sparse_elements_in_datasets_say_what_to_do():
    tf = jaxtape
    ex = tf.train.Example(features=tf.train.Features(feature={
        "t": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))})).SerializeToString()
    spec = {"t": tf.io.VarLenFeature(tf.int64)}
    dense = tf.data.Dataset.from_tensor_slices([ex, ex]).map(
        lambda r: tf.sparse.to_dense(tf.io.parse_single_example(r, spec)["t"]))
    assert [d.numpy().tolist() for d in dense] == [[1, 2], [1, 2]]
    with pytest.raises(NotImplementedError, match="jaxtape does not implement tf.SparseTensor "
                       "elements in tf.data"):
        list(tf.data.Dataset.from_tensor_slices([ex]).map(lambda r: tf.io.parse_single_example(r, spec)))
