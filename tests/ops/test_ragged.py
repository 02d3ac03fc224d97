"""tf.RaggedTensor and tf.ragged against real TensorFlow: factories and their
validation, structure, conversions, printed forms, indexing, operators,
tf.ragged ops, the reductions that serve tf.reduce_* on ragged tensors, and
gradients through the flat values."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from jaxtape._src.ops.ragged import math as ragged_math
from tests.difftest import real_tf, same_outcome
from tests.difftest import ragged_plain as rplain


def same(fn, message=True):
    return same_outcome(fn, plain=rplain, message=message)


def reduce(tf, name):
    """tf.math.reduce_<name> in TF (dispatched on ragged); jaxtape's ragged one here."""
    return getattr(tf.math, name) if tf is real_tf() else getattr(ragged_math, name)


def rt(tf):
    return tf.ragged.constant([[1, 2, 3], [], [4, 5]])


def rf(tf):
    return tf.ragged.constant([[1.0, 2.0, 3.0], [], [4.0, 5.5]])


def r2(tf):
    return tf.ragged.constant([[[1, 2], [3]], [], [[4], [5, 6, 7]]])


def r3(tf):  # a uniform inner dimension of 2
    return tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1)


FACTORIES = [
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 3]),
    lambda tf: tf.RaggedTensor.from_row_splits(values=[1.5, 2, 3], row_splits=[0, 0, 3]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], np.array([0, 2, 3], np.int32)),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], tf.constant([0, 2, 3])),
    lambda tf: tf.RaggedTensor.from_row_splits([[1, 2], [3, 4], [5, 6]], [0, 2, 3]),
    lambda tf: tf.RaggedTensor.from_row_splits(["a", "b"], [0, 2, 2]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [1, 2, 3]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [1, 3, 2]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 3, 2]),
    lambda tf: tf.RaggedTensor.from_row_splits(list(range(10)), [0, 3, 2, 1, 0, -1, -2]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 4]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2]),
    lambda tf: tf.RaggedTensor.from_row_splits(list(range(10)), [0, 3, 2, 10], validate=False),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], []),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [[0, 3]]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 3.0]),
    lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], tf.constant([0, 2, 3], tf.int16)),
    lambda tf: tf.RaggedTensor.from_row_splits(1, [0, 1]),
    lambda tf: tf.RaggedTensor([1, 2], [0, 2]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [2, 1]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], np.array([0, 3, 0], np.int32)),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [2, 2]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [4, -1]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [-1, -2, -3, -4, 9]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [[2, 1]]),
    lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [0.5, 2]),
    lambda tf: tf.RaggedTensor.from_row_lengths([], []),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2]),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=4),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], np.array([0, 0, 1], np.int32)),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=2),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 2, 1], nrows=1),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 2, 1]),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [-1, 2, 1]),
    lambda tf: tf.RaggedTensor.from_value_rowids(list(range(7)), [0, 5, 4, 3, 2, 1, 0]),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0]),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 1], nrows=-1),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 1], nrows=[3]),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 1], nrows=tf.constant(3)),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0.0, 0, 1]),
    lambda tf: tf.RaggedTensor.from_value_rowids([], np.zeros([0], np.int64), nrows=2),
    lambda tf: tf.RaggedTensor.from_row_starts([1, 2, 3], [0, 2]),
    lambda tf: tf.RaggedTensor.from_row_starts([1, 2, 3], []),
    lambda tf: tf.RaggedTensor.from_row_starts([1, 2, 3], [1, 2]),
    lambda tf: tf.RaggedTensor.from_row_starts([1, 2, 3], [0, 4]),
    lambda tf: tf.RaggedTensor.from_row_starts([1, 2, 3], [0, 5, 2]),
    lambda tf: tf.RaggedTensor.from_row_limits([1, 2, 3], [2, 3]),
    lambda tf: tf.RaggedTensor.from_row_limits([1, 2, 3], [2, 4]),
    lambda tf: tf.RaggedTensor.from_row_limits([1, 2, 3], [3, 2]),
    lambda tf: tf.RaggedTensor.from_row_limits([1, 2, 3], [-1, 3]),
    lambda tf: tf.RaggedTensor.from_row_limits([1, 2, 3], []),
    lambda tf: tf.RaggedTensor.from_nested_row_splits([1, 2, 3, 4], [[0, 2, 3], [0, 1, 3, 4]]),
    lambda tf: tf.RaggedTensor.from_nested_row_splits([1, 2, 3, 4], []),
    lambda tf: tf.RaggedTensor.from_nested_row_splits([1, 2, 3, 4], [0, 2, 3]),
    lambda tf: tf.RaggedTensor.from_nested_row_splits([1, 2, 3], [[0, 2], [0, 3]]),
    lambda tf: tf.RaggedTensor.from_nested_row_splits([1, 2, 3], [[0, 1], np.array([0, 3], np.int32)]),
    lambda tf: tf.RaggedTensor.from_nested_row_lengths([1, 2, 3, 4], [[2, 1], [1, 2, 1]]),
    lambda tf: tf.RaggedTensor.from_nested_row_lengths([1, 2, 3], [[1], [2, 1]]),
    lambda tf: tf.RaggedTensor.from_nested_value_rowids([1, 2, 3, 4], [[0, 0, 1], [0, 1, 1, 2]]),
    lambda tf: tf.RaggedTensor.from_row_splits(tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 1, 3]), [0, 2]),
    lambda tf: tf.RaggedTensor.from_row_splits(tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 1, 3]), [0, 1]),
    lambda tf: tf.RaggedTensor.from_row_splits(tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 1, 3]),
                                               np.array([0, 2], np.int32)),
    lambda tf: tf.RaggedTensor.from_row_splits(tf.Variable([1.0, 2.0]), [0, 2]),
    lambda tf: [tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 2),
                tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 2).uniform_row_length,
                tf.RaggedTensor.from_uniform_row_length([], 0, nrows=3),
                tf.RaggedTensor.from_uniform_row_length([], 0),
                tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4], np.int32(2)),
                tf.RaggedTensor.from_uniform_row_length(rt(tf), 3)],
    lambda tf: tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 4),
    lambda tf: tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 0, nrows=3),
    lambda tf: tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4], [2]),
]

FROM_TENSOR = [
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]]),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], padding=0),
    lambda tf: tf.RaggedTensor.from_tensor([[0, 2, 0], [0, 0, 0]], padding=0),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], lengths=[1, 3]),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], lengths=[1, 4]),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], lengths=[1, -1]),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], lengths=[1]),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], lengths=[1, 2], padding=0),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], padding=[0, 0]),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], padding=0),
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2, 3]], padding=[0]),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], ragged_rank=2),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], ragged_rank=2, padding=0),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], ragged_rank=3),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]], ragged_rank=0),
    lambda tf: tf.RaggedTensor.from_tensor([[[1, 2], [0, 0]], [[3, 0], [0, 0]]],
                                           lengths=([1, 2], [2, 1, 1]), ragged_rank=2),
    lambda tf: tf.RaggedTensor.from_tensor([1, 2, 3]),
    lambda tf: tf.RaggedTensor.from_tensor(np.zeros((0, 3), np.float32)),
    lambda tf: tf.RaggedTensor.from_tensor([["a", "", ""], ["", "b", ""]], padding=""),
    lambda tf: tf.RaggedTensor.from_tensor([[1.0, 2.0, 0.0]], padding=0.0, row_splits_dtype=tf.int32),
]

CONSTANT = [
    lambda tf: tf.ragged.constant([[1, 2], [3]]),
    lambda tf: tf.ragged.constant([[1, 2], [3]], dtype=tf.float64),
    lambda tf: tf.ragged.constant([[1, 2], [3]], dtype=tf.int64, row_splits_dtype=tf.int32),
    lambda tf: tf.ragged.constant([[1.5], [2.25, 3]]),
    lambda tf: tf.ragged.constant([[True], [False, True]]),
    lambda tf: tf.ragged.constant([["a", "b"], ["c"]]),
    lambda tf: tf.ragged.constant([[b"a"], ["\xe9"]]),
    lambda tf: tf.ragged.constant([[1, 2 ** 40]]),
    lambda tf: tf.ragged.constant([(1, 2), (3,)]),
    lambda tf: tf.ragged.constant([[[1, 2], [3]], [], [[4]]]),
    lambda tf: tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1),
    lambda tf: tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], inner_shape=(2,)),
    lambda tf: tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1, inner_shape=(2,)),
    lambda tf: tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=2, inner_shape=(2,)),
    lambda tf: tf.ragged.constant([[1, 2], [3]], inner_shape=()),
    lambda tf: tf.ragged.constant([[1, 2, 3, 4], [5, 6]], inner_shape=(2,)),
    lambda tf: tf.ragged.constant([[[1, 2]], [[3]]], ragged_rank=1),
    lambda tf: tf.ragged.constant([[[1, 2]], []], ragged_rank=1),
    lambda tf: tf.ragged.constant([[1, 2], 3]),
    lambda tf: tf.ragged.constant([[[1]], [2]]),
    lambda tf: tf.ragged.constant([1, 2]),
    lambda tf: tf.ragged.constant(3),
    lambda tf: tf.ragged.constant([[1, 2], [3]], ragged_rank=0),
    lambda tf: tf.ragged.constant([[1, 2], [3]], ragged_rank=2),
    lambda tf: tf.ragged.constant([1, 2], ragged_rank=1),
    lambda tf: tf.ragged.constant([[1]], ragged_rank=-1),
    lambda tf: tf.ragged.constant([], ragged_rank=1),
    lambda tf: tf.ragged.constant([[], []]),
    lambda tf: tf.ragged.constant([[], [[]]]),
    lambda tf: tf.ragged.constant([[], [[]]], ragged_rank=1),
    lambda tf: tf.ragged.constant([[], []], ragged_rank=2),
    lambda tf: tf.ragged.constant([[[], []]], ragged_rank=1),
    lambda tf: tf.ragged.constant([[]], ragged_rank=1, inner_shape=(3,)),
    lambda tf: tf.ragged.constant([[1, "a"]]),
    lambda tf: tf.ragged.constant([[True, 2]]),
    lambda tf: tf.ragged.constant([[1, 2], [3]], dtype=tf.string),
    lambda tf: tf.ragged.constant([[1.5, 2], [3]], dtype=tf.int32),
    lambda tf: tf.ragged.constant(np.array([[1, 2], [3, 4]], np.int32)),
    lambda tf: tf.ragged.constant([np.array([1, 2], np.int32), np.array([3], np.int32)]),
    lambda tf: tf.ragged.constant([[np.float64(1.0)]]),
]

STRUCTURE = [
    lambda tf: [rt(tf).values, rt(tf).flat_values, rt(tf).row_splits, rt(tf).nested_row_splits],
    lambda tf: [r2(tf).values, r2(tf).flat_values, r2(tf).nested_row_splits, r2(tf).ragged_rank],
    lambda tf: [r3(tf).values, r3(tf).ragged_rank, r3(tf).shape.as_list(), r3(tf).get_shape().as_list()],
    lambda tf: [rt(tf).shape.as_list(), r2(tf).shape.as_list(), rt(tf).shape.rank, rt(tf).dtype.name,
                rt(tf).shape[0], rt(tf).uniform_row_length, rt(tf).row_splits.dtype.name],
    lambda tf: [rt(tf).row_lengths(), rt(tf).row_starts(), rt(tf).row_limits(), rt(tf).value_rowids(),
                rt(tf).nrows(), rt(tf).nrows(out_type=tf.int32)],
    lambda tf: [r2(tf).row_lengths(), r2(tf).row_lengths(axis=2), r2(tf).row_lengths(-1),
                r2(tf).row_lengths(axis=0), r2(tf).nested_row_lengths(), r2(tf).nested_value_rowids(),
                r2(tf).value_rowids()],
    lambda tf: r3(tf).row_lengths(2),
    lambda tf: rt(tf).row_lengths(2),
    lambda tf: r2(tf).row_lengths(axis=3),
    lambda tf: tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=5).nrows(),
    lambda tf: [rt(tf).bounding_shape(), rt(tf).bounding_shape(axis=1), r2(tf).bounding_shape(),
                r3(tf).bounding_shape(), rt(tf).bounding_shape(out_type=tf.int32)],
    lambda tf: [tf.ragged.constant([[]]).bounding_shape(),
                tf.ragged.constant([], ragged_rank=1).bounding_shape()],
    lambda tf: rt(tf).with_values([4, 5, 6, 7, 8]),
    lambda tf: rt(tf).with_values(tf.constant(["a", "b", "c", "d", "e"])),
    lambda tf: rt(tf).with_values([4, 5]),
    lambda tf: rt(tf).with_values(tf.RaggedTensor.from_row_splits([1, 2, 3, 4, 5], [0, 2, 2, 3, 5, 5])),
    lambda tf: rt(tf).with_values(tf.RaggedTensor.from_row_splits(
        [1, 2, 3, 4, 5], np.array([0, 2, 2, 3, 5, 5], np.int32))),
    lambda tf: [rt(tf).with_flat_values(tf.constant([0.5, 1, 2, 3, 4])),
                r2(tf).with_flat_values(tf.range(7) * 10)],
    lambda tf: r2(tf).with_values([1, 2, 3, 4]),
    lambda tf: [rt(tf).with_row_splits_dtype(tf.int32), r2(tf).with_row_splits_dtype("int32")],
    lambda tf: rt(tf).with_row_splits_dtype(tf.float32),
    lambda tf: [rt(tf).merge_dims(0, 1), rt(tf).merge_dims(1, 1), rt(tf).merge_dims(-2, -1),
                r2(tf).merge_dims(0, 1), r2(tf).merge_dims(1, 2), r2(tf).merge_dims(0, -1),
                r3(tf).merge_dims(0, 1), r3(tf).merge_dims(1, 2), r3(tf).merge_dims(0, 2),
                tf.RaggedTensor.from_tensor(tf.zeros([2, 3, 4]), ragged_rank=2).merge_dims(1, 2),
                tf.ragged.constant([[[[1, 2]], [[3, 4], [5, 6]]]], ragged_rank=2).merge_dims(2, 3),
                tf.ragged.constant([[[[1, 2]], [[3, 4], [5, 6]]]], ragged_rank=2).merge_dims(1, 3)],
    lambda tf: rt(tf).merge_dims(1, 0),
    lambda tf: rt(tf).merge_dims(0, 2),
    lambda tf: rt(tf).merge_dims(0, 1.5),
    lambda tf: [x.uniform_row_length for x in (rt(tf), tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]]),
                                               tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])[1:],
                                               tf.RaggedTensor.from_tensor([[1, 2, 0]]).with_row_splits_dtype(
                                                   tf.int32), rt(tf)[tf.newaxis])],
    lambda tf: [tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])[:, 1:],
                tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])[:, ::2],
                tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])[0],
                tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]]).with_values([1, 2, 3, 4, 5, 6]),
                tf.ragged.map_flat_values(tf.negative, tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])),
                tf.ragged.boolean_mask(tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]]), [True, False]),
                tf.ragged.stack([tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])] * 2, axis=1)],
    lambda tf: rt(tf).row_splits_dtype,
    lambda tf: isinstance(rt(tf), tf.RaggedTensor),
    lambda tf: hash(rt(tf)),
    lambda tf: bool(rt(tf)),
    lambda tf: len(rt(tf)),
    lambda tf: list(rt(tf)),
    lambda tf: list(r2(tf)),
]

CONVERSIONS = [
    lambda tf: [rt(tf).to_tensor(), rt(tf).to_tensor(default_value=-1), rf(tf).to_tensor(default_value=2)],
    lambda tf: [rt(tf).to_tensor(shape=[2, 2]), rt(tf).to_tensor(shape=[4, 4]),
                rt(tf).to_tensor(shape=[None, 2]), rt(tf).to_tensor(shape=tf.TensorShape([2, None]))],
    lambda tf: [r2(tf).to_tensor(), r2(tf).to_tensor(shape=[3, 1, 2]), r2(tf).to_tensor(default_value=9)],
    lambda tf: [r3(tf).to_tensor(), r3(tf).to_tensor(default_value=[7, 8]),
                r3(tf).to_tensor(default_value=9)],
    lambda tf: tf.ragged.constant([["a"], ["b", "c"]]).to_tensor(),
    lambda tf: tf.ragged.constant([["a"], ["b", "c"]]).to_tensor(default_value="z"),
    lambda tf: [tf.ragged.constant([], ragged_rank=1).to_tensor(),
                tf.ragged.constant([[[1]], []], ragged_rank=1).to_tensor()],
    lambda tf: rt(tf).to_tensor(shape=[2]),
    lambda tf: rt(tf).to_tensor(shape=[2, 2, 2]),
    lambda tf: rt(tf).to_tensor(shape=[2, None, 1]),
    lambda tf: r3(tf).to_tensor(shape=[2, 2, 3]),
    lambda tf: rt(tf).to_tensor(default_value=[1]),
    lambda tf: rf(tf).to_tensor(default_value=tf.constant(2)),
    lambda tf: [rt(tf).to_list(), r2(tf).to_list(), r3(tf).to_list(), rf(tf).to_list(),
                tf.ragged.constant([["a"], ["b", "c"]]).to_list()],
    lambda tf: [repr(x.numpy()) for x in (
        rt(tf), r2(tf), r3(tf), tf.ragged.constant([[1, 2], [3, 4]]),
        tf.ragged.constant([[[1], [2, 3]], [[4], [5]]]), tf.ragged.constant([], ragged_rank=1),
        tf.ragged.constant([[], []]), tf.ragged.constant([[[]], []]),
        tf.ragged.constant([["a"], ["b", "c"]]))],
    lambda tf: [type(rt(tf).numpy()).__name__, rt(tf).numpy().dtype.name, rt(tf).numpy()[0].dtype.name],
]

PRINTED = [
    lambda tf: [repr(rt(tf)), str(rt(tf)), repr(r2(tf)), str(r3(tf))],
    lambda tf: [repr(tf.ragged.constant([list(range(i)) for i in range(12)])),
                repr(tf.ragged.constant([list(range(2000))]))],
    lambda tf: [repr(tf.ragged.constant(v)) for v in ([["a", "b"], ["c"]], [[True], [False, True]],
                                                      [[1.5], [2.25, 3]], [[], []], [[[1], [2]], [[3], [4]]],
                                                      [[[1], [2]], [[3]]], [[[]], []])],
    lambda tf: [repr(tf.ragged.constant([[1.123456789, 2e10], [3e-8]])),
                repr(tf.ragged.constant([[float("nan"), float("inf")], [-0.0]])),
                repr(tf.ragged.constant([[1.5, 2], [3]], dtype=tf.float16)),
                repr(tf.ragged.constant([[1.5, 2], [3]], dtype=tf.float64))],
    lambda tf: [repr(tf.ragged.constant([], ragged_rank=1)),
                repr(tf.RaggedTensor.from_row_splits(np.zeros((3, 0), np.float32), [0, 2, 3])),
                repr(tf.RaggedTensor.from_row_splits(np.zeros((0, 3), np.float32), [0, 0, 0]))],
    lambda tf: [repr(tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])), repr(r3(tf) + 10)],
]

GETITEM = [
    lambda tf: [rt(tf)[0], rt(tf)[1], rt(tf)[-1], rt(tf)[tf.constant(1)], rt(tf)[np.int64(2)]],
    lambda tf: rt(tf)[3],
    lambda tf: rt(tf)[-4],
    lambda tf: [rt(tf)[1:], rt(tf)[::2], rt(tf)[::-1], rt(tf)[5:], rt(tf)[...], rt(tf)[tf.newaxis]],
    lambda tf: [rt(tf)[:, 1:], rt(tf)[:, :2], rt(tf)[:, ::2], rt(tf)[:, ::-1], rt(tf)[:, 5:],
                rt(tf)[:, -2:], rt(tf)[:, 1:-1], rt(tf)[1:, 1:], rt(tf)[:, ...], rt(tf)[..., 1:]],
    lambda tf: [rt(tf)[:, None], rt(tf)[0:1, None]],
    lambda tf: [rt(tf)[0, 1], rt(tf)[0, 1:], rt(tf)[2, -1], rt(tf)[[0, 1]]],
    lambda tf: rt(tf)[:, 0],
    lambda tf: rt(tf)[..., 0],
    lambda tf: rt(tf)[0, 5],
    lambda tf: rt(tf)[:, :, 0],
    lambda tf: rt(tf)[0.5],
    lambda tf: rt(tf)[True],
    lambda tf: rt(tf)[tf.constant([0, 1])],
    lambda tf: rt(tf)[::0],
    lambda tf: rt(tf)[:, ::0],
    lambda tf: [r2(tf)[0], r2(tf)[2, 1], r2(tf)[2, 1, 0], r2(tf)[:, 1:], r2(tf)[1:, :1]],
    lambda tf: r2(tf)[:, :, 0],
    lambda tf: [r3(tf)[1], r3(tf)[1, 1, 1], r3(tf)[:, :, 0], r3(tf)[:, :, ::-1], r3(tf)[0, :, 1],
                r3(tf)[1:, 1:, 0]],
    lambda tf: r3(tf)[:, 0, 1],
]

OPERATORS = [
    lambda tf: [rt(tf) + 1, 1 + rt(tf), rt(tf) - 1, 1 - rt(tf), rt(tf) * 2, 2 * rt(tf)],
    lambda tf: [rt(tf) / 2, 2 / rt(tf), rf(tf) / 2, rt(tf) // 2, rt(tf) % 2, rt(tf) ** 2, 2 ** rt(tf)],
    lambda tf: [-rt(tf), abs(-rf(tf)), rt(tf) + rt(tf), rf(tf) * rf(tf), rf(tf) + 1.5],
    lambda tf: [rt(tf) == rt(tf), rt(tf) != 2, rt(tf) < 2, rt(tf) <= 2, rt(tf) > rt(tf), rt(tf) >= 3],
    lambda tf: [(rt(tf) > 1) & (rt(tf) < 5), (rt(tf) > 1) | (rt(tf) < 5), (rt(tf) > 1) ^ (rt(tf) < 5),
                ~(rt(tf) > 1)],
    lambda tf: rt(tf) & rt(tf),
    lambda tf: rt(tf) + rf(tf),
    lambda tf: rt(tf) + 1.5,
    lambda tf: rt(tf) + "a",
    lambda tf: [rt(tf) + tf.constant([[10], [20], [30]]), rt(tf) + np.array([[10], [20], [30]], np.int32),
                rt(tf) + [[1], [2], [3]], rt(tf) + tf.constant(5), rt(tf) * tf.constant([[2]])],
    lambda tf: [rf(tf) + tf.constant([[1.0], [2.0], [3.0]]), rf(tf) - tf.constant([0.5])],
    lambda tf: tf.ragged.constant([[1, 2], [3, 4]]) + tf.constant([10, 20]),
    lambda tf: rt(tf) + tf.constant([10, 20, 30]),
    lambda tf: rt(tf) + tf.constant([[10], [20]]),
    lambda tf: rt(tf) + tf.ragged.constant([[1, 2, 3], [], [4, 6]]),
    lambda tf: rt(tf) + tf.ragged.constant([[1, 2, 3], [1], [4]]),
    lambda tf: rt(tf) + tf.ragged.constant([[1, 2, 3], [4, 6]]),
    lambda tf: [r2(tf) + 1, r2(tf) + tf.constant([[[1]], [[2]], [[3]]]), r2(tf) * r2(tf)],
    lambda tf: r2(tf) + tf.constant([[1], [2], [3]]),
    lambda tf: [r3(tf) + tf.constant([10, 20]), r3(tf) * tf.constant([[[1]], [[2]]]),
                r3(tf) + tf.constant([[[1, 2]], [[3, 4]]])],
    lambda tf: rt(tf) + tf.constant([[10], [20], [30], [40]]),
    lambda tf: rt(tf) * 1.5,
    lambda tf: [tf.RaggedTensor.from_tensor([[1, 2], [3, 4]]) + tf.constant([10, 20]),
                tf.RaggedTensor.from_tensor([[1, 2], [3, 4]]) + tf.ragged.constant([[1, 2], [3, 4]]),
                tf.ragged.constant([[1, 2], [3, 4]]) + tf.RaggedTensor.from_tensor([[1, 2], [3, 4]]),
                tf.RaggedTensor.from_tensor([[1, 2], [3, 4]])
                * tf.RaggedTensor.from_tensor([[1, 2], [3, 4]])],
    lambda tf: tf.RaggedTensor.from_tensor([[1, 2], [3, 4]]) + tf.constant([10, 20, 30]),
    lambda tf: [tf.ragged.constant([["a"], ["b", "c"]]) == "a", tf.ragged.constant([["a"], ["b", "c"]]) + "!",
                tf.ragged.constant([["a"], ["b", "c"]]) != tf.ragged.constant([["a"], ["c", "c"]]),
                tf.ragged.constant([["a"], ["b", "c"]]) + tf.constant([["x"], ["y"]])],
    lambda tf: [repr(v) for v in (np.array([[10], [20], [30]], np.int32) + rt(tf)).ravel()],
    lambda tf: [rt(tf) == None, rt(tf) != None, rt(tf) == tf.ragged.constant([[1, 2], [3]]),  # noqa: E711
                rt(tf) != tf.constant([1, 2]), rt(tf) == tf.constant([[1], [2], [4]])],
]

RAGGED_OPS = [
    lambda tf: [tf.ragged.range([3, 0, 2]), tf.ragged.range(3), tf.ragged.range([1, 2], [4, 3]),
                tf.ragged.range([1, 2], 5, 2), tf.ragged.range([5], 0, -2), tf.ragged.range([1.5], 3),
                tf.ragged.range(3.5), tf.ragged.range([3, 2], dtype=tf.int64),
                tf.ragged.range([3, 2], row_splits_dtype=tf.int32)],
    lambda tf: tf.ragged.range([1], 3, 0),
    lambda tf: tf.ragged.range([0, 1], [3, 5], [1, 2, 3]),
    lambda tf: [tf.ragged.row_splits_to_segment_ids([0, 2, 2, 5]),
                tf.ragged.row_splits_to_segment_ids([0, 2, 2, 5], out_type=tf.int32),
                tf.ragged.row_splits_to_segment_ids(np.array([0, 2, 2, 5], np.int32)),
                tf.ragged.row_splits_to_segment_ids(tf.constant([0, 2, 2, 5])),
                tf.ragged.row_splits_to_segment_ids([0]), tf.ragged.row_splits_to_segment_ids([0, 3, 2]),
                tf.ragged.row_splits_to_segment_ids([1, 3])],
    lambda tf: tf.ragged.row_splits_to_segment_ids([]),
    lambda tf: tf.ragged.row_splits_to_segment_ids([[0, 1]]),
    lambda tf: tf.ragged.row_splits_to_segment_ids([0.0, 1]),
    lambda tf: [tf.ragged.segment_ids_to_row_splits([0, 0, 2]),
                tf.ragged.segment_ids_to_row_splits([0, 0, 2], num_segments=5),
                tf.ragged.segment_ids_to_row_splits([0, 0, 2], num_segments=2),
                tf.ragged.segment_ids_to_row_splits([0, 0, 2], out_type=tf.int32),
                tf.ragged.segment_ids_to_row_splits(np.array([0, 0, 2], np.int32)),
                tf.ragged.segment_ids_to_row_splits(tf.constant([0, 0, 2])),
                tf.ragged.segment_ids_to_row_splits([]), tf.ragged.segment_ids_to_row_splits([1, 0])],
    lambda tf: tf.ragged.segment_ids_to_row_splits([-1, 0]),
    lambda tf: tf.ragged.segment_ids_to_row_splits([[0]]),
    lambda tf: tf.ragged.segment_ids_to_row_splits([0.5]),
    lambda tf: [tf.ragged.map_flat_values(tf.ones_like, rt(tf)),
                tf.ragged.map_flat_values(tf.multiply, rt(tf), rt(tf)),
                tf.ragged.map_flat_values(tf.add, rt(tf), 5),
                tf.ragged.map_flat_values(lambda x: x + 1, r2(tf)),
                tf.ragged.map_flat_values(tf.math.reduce_sum, r3(tf), axis=1),
                tf.ragged.map_flat_values(tf.add, x=rt(tf), y=1),
                tf.ragged.map_flat_values(tf.add, 1, 2)],
    lambda tf: tf.ragged.map_flat_values(tf.add, rt(tf), r2(tf)),
    lambda tf: tf.ragged.map_flat_values(tf.add, rt(tf), tf.ragged.constant([[1, 2, 3], [1], [4]])),
    lambda tf: tf.ragged.map_flat_values(tf.add, rt(tf), tf.ragged.constant([[1, 2], [4, 5, 6]])),
    lambda tf: tf.ragged.map_flat_values(tf.add, [rt(tf)], 2),
    lambda tf: tf.ragged.map_flat_values(lambda x: x[:2], rt(tf)),
    lambda tf: [tf.ragged.boolean_mask(rt(tf), tf.ragged.constant([[True, False, True], [], [False, True]])),
                tf.ragged.boolean_mask(rt(tf), [True, False, True]),
                tf.ragged.boolean_mask([[1, 2], [3, 4]], [[True, False], [True, True]]),
                tf.ragged.boolean_mask([[1, 2], [3, 4]], [True, False]),
                tf.ragged.boolean_mask([1, 2, 3], [True, False, True]),
                tf.ragged.boolean_mask([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [[True, False], [False, True]])],
    lambda tf: [tf.ragged.boolean_mask(r2(tf), tf.ragged.constant([[True, False], [], [True, True]])),
                tf.ragged.boolean_mask(r2(tf), tf.ragged.constant(
                    [[[True, False], [False]], [], [[True], [True, False, True]]])),
                tf.ragged.boolean_mask(tf.ragged.constant([["a", "b"], ["c"]]),
                                       tf.ragged.constant([[False, True], [True]]))],
    lambda tf: tf.ragged.boolean_mask(rt(tf), tf.ragged.constant([[True, False], [], [False, True]])),
    lambda tf: tf.ragged.boolean_mask(rt(tf), [True, False]),
    lambda tf: tf.ragged.boolean_mask(rt(tf), [1, 0, 1]),
    lambda tf: tf.ragged.boolean_mask(5, True),
    lambda tf: tf.ragged.boolean_mask([[1, 2], [3, 4]], [[True, False]]),
    lambda tf: [tf.ragged.stack([rt(tf), rt(tf)]), tf.ragged.stack([rt(tf), rt(tf)], axis=1),
                tf.ragged.stack([rt(tf), [[1], [2], [3]]], axis=1),
                tf.ragged.stack([rt(tf), tf.ragged.constant([[1]])]),
                tf.ragged.stack([rt(tf)]), tf.ragged.stack([rt(tf), rt(tf)], axis=2),
                tf.ragged.stack([rt(tf), rt(tf)], axis=-1), tf.ragged.stack([rt(tf), tf.constant([[7, 8]])])],
    lambda tf: [tf.ragged.stack([[1, 2], [3, 4]]), tf.ragged.stack([[1, 2], [3, 4]], axis=1),
                tf.ragged.stack([r2(tf), r2(tf)], axis=1), tf.ragged.stack([r2(tf), r2(tf)]),
                tf.ragged.stack([r3(tf), r3(tf)], axis=1)],
    lambda tf: tf.ragged.stack([rt(tf), tf.ragged.constant([[1]])], axis=1),
    lambda tf: tf.ragged.stack([rt(tf), r2(tf)]),
    lambda tf: tf.ragged.stack([rt(tf), rf(tf)]),
    lambda tf: tf.ragged.stack([]),
    lambda tf: tf.ragged.stack([rt(tf), rt(tf)], axis=3),
    lambda tf: [tf.ragged.map_flat_values(tf.strings.upper, tf.ragged.constant([["a"], ["b", "c"]])),
                tf.ragged.stack([tf.ragged.constant([["a"], ["b", "c"]]), tf.ragged.constant([["d"]])]),
                tf.ragged.constant([["a"], ["b", "c"]])[:, ::-1], tf.ragged.constant([["a"], ["b", "c"]])[1],
                tf.RaggedTensor.from_tensor(tf.constant([["a", "b"], ["c", ""]]), padding="")],
]


def _concat(tf, values, axis):
    if tf is real_tf():
        return tf.concat(values, axis)
    from jaxtape._src.ops.ragged.structure import concat
    return concat(values, axis)


CONCAT = [
    lambda tf: [_concat(tf, [rt(tf), rt(tf)], 0), _concat(tf, [rt(tf), rt(tf)], 1),
                _concat(tf, [rt(tf), [[7], [8], [9]]], 1), _concat(tf, [r2(tf), r2(tf)], 1),
                _concat(tf, [r2(tf), r2(tf)], 0), _concat(tf, [r2(tf), r2(tf)], 2)],
]

REDUCTIONS = [
    lambda tf: [reduce(tf, "reduce_sum")(rt(tf), axis=a) for a in (1, -1, 0, None, [0, 1])],
    lambda tf: [reduce(tf, "reduce_mean")(x, axis=a) for x in (rt(tf), rf(tf)) for a in (1, 0, None)],
    lambda tf: [reduce(tf, "reduce_max")(x, axis=a) for x in (rt(tf), rf(tf)) for a in (1, 0, None)],
    lambda tf: [reduce(tf, "reduce_min")(x, axis=a) for x in (rt(tf), rf(tf)) for a in (1, -1, 0, None)],
    lambda tf: [reduce(tf, "reduce_sum")(rt(tf), axis=1, keepdims=True),
                reduce(tf, "reduce_max")(rf(tf), axis=0, keepdims=True)],
    lambda tf: [reduce(tf, n)(r2(tf), axis=a) for n in ("reduce_sum", "reduce_max") for a in (0, 1, 2)],
    lambda tf: [reduce(tf, n)(r3(tf), axis=a) for n in ("reduce_sum", "reduce_mean", "reduce_min")
                for a in (0, 1, 2)],
    lambda tf: [reduce(tf, "reduce_mean")(r2(tf), axis=a) for a in (0, 1, 2, None)],
    lambda tf: [reduce(tf, "reduce_mean")(tf.ragged.constant([[], [1.0]]), axis=0),
                reduce(tf, "reduce_max")(tf.ragged.constant([[1.0], []]), axis=0),
                reduce(tf, "reduce_mean")(tf.ragged.constant([[], [1.0]]), axis=1),
                reduce(tf, "reduce_max")(tf.ragged.constant([[], []], dtype=tf.int32), axis=0),
                reduce(tf, "reduce_mean")(tf.ragged.constant([[1, 2], [3]], dtype=tf.int64), axis=1),
                reduce(tf, "reduce_sum")(tf.ragged.constant([[1, 2], [3]], dtype=tf.uint8), axis=1)],
    lambda tf: reduce(tf, "reduce_sum")(rt(tf), axis=2),
    lambda tf: reduce(tf, "reduce_sum")(rt(tf), axis=1.5),
    lambda tf: reduce(tf, "reduce_sum")(tf.ragged.constant([[True], [False]]), axis=1),
    lambda tf: [reduce(tf, "reduce_sum")(tf.RaggedTensor.from_tensor(
        [[[1, 2], [0, 0]], [[3, 0], [0, 0]]], ragged_rank=2), axis=a) for a in (0, 1, 2)],
]

ALL = {"factories": FACTORIES, "from_tensor": FROM_TENSOR, "constant": CONSTANT, "structure": STRUCTURE,
       "conversions": CONVERSIONS, "printed": PRINTED, "getitem": GETITEM, "operators": OPERATORS,
       "ragged_ops": RAGGED_OPS, "concat": CONCAT, "reductions": REDUCTIONS}
PARAMS = [pytest.param(call, id=f"{group}-{i}") for group, calls in ALL.items()
          for i, call in enumerate(calls)]


@pytest.mark.parametrize("call", PARAMS)
def test_ragged_matches_tf(call):
    same(call)


# -- gradients -------------------------------------------------------------------------

def _watched(tf):
    flat = tf.constant([1.0, -2.0, 3.5, 0.5, 4.0])
    dense = tf.constant([[1.0], [2.0], [-1.0]])
    default = tf.constant(0.25)
    return flat, dense, default


def _grads(tf, loss_fn):
    flat, dense, default = _watched(tf)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([flat, dense, default])
        x = tf.RaggedTensor.from_row_splits(flat, [0, 3, 3, 5])
        loss = loss_fn(tf, x, dense, default)
    # TF's gradients through a gather are IndexedSlices: compared as dense tensors
    return [loss] + [g if g is None else tf.convert_to_tensor(g)
                     for g in tape.gradient(loss, [flat, dense, default])]


GRADIENTS = [
    lambda tf, x, d, c: tf.reduce_sum(x.to_tensor() ** 2),
    lambda tf, x, d, c: tf.reduce_sum(x.to_tensor(default_value=c, shape=[3, 2]) * [[1.0, 2.0]]),
    lambda tf, x, d, c: tf.reduce_sum(reduce(tf, "reduce_sum")(x, axis=1) * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(reduce(tf, "reduce_sum")(x, axis=0) * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(reduce(tf, "reduce_mean")(x * x, axis=0) * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(tf.where(tf.math.is_nan(m := reduce(tf, "reduce_mean")(x, axis=1)),
                                               0.0, m) * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(reduce(tf, "reduce_max")(x, axis=1) * [1.0, 0.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(reduce(tf, "reduce_min")(x, axis=0) * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: reduce(tf, "reduce_sum")(x * d + x * x, axis=None),
    lambda tf, x, d, c: tf.reduce_sum((x - c)[:, 1:].flat_values ** 2),
    lambda tf, x, d, c: tf.reduce_sum(x[2] * 3.0)
    + tf.reduce_sum(x[::-1].flat_values * [1.0, 2.0, 3.0, 4.0, 5.0]),
    lambda tf, x, d, c: tf.reduce_sum(tf.ragged.map_flat_values(tf.square, x).flat_values),
    lambda tf, x, d, c: tf.reduce_sum(tf.ragged.boolean_mask(x, x > 0.75).to_tensor()),
    lambda tf, x, d, c: tf.reduce_sum(tf.ragged.stack([x, x * 2.0], axis=1).flat_values ** 2),
    lambda tf, x, d, c: tf.reduce_sum(tf.RaggedTensor.from_tensor(
        tf.concat([d, d * d], 1), lengths=[1, 2, 0]).flat_values * [1.0, 2.0, 3.0]),
    lambda tf, x, d, c: tf.reduce_sum(tf.RaggedTensor.from_tensor(d * 2.0, padding=-2.0).to_tensor()),
    lambda tf, x, d, c: tf.reduce_sum(x.with_flat_values(x.flat_values * 2.0).values),
]


@pytest.mark.parametrize("loss_fn", GRADIENTS, ids=[str(i) for i in range(len(GRADIENTS))])
def test_gradients_through_ragged_values_match_tf(loss_fn):
    same(lambda tf: _grads(tf, loss_fn))


def test_watching_flat_values_records_through_ragged_ops():
    tf = jaxtape
    x = tf.ragged.constant([[1.0, 2.0], [3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x.flat_values)
        y = ragged_math.reduce_sum(x * x, axis=1)
    assert tape.gradient(y, x.flat_values).numpy().tolist() == [2.0, 4.0, 6.0]
    assert x.flat_values is x.values  # the same tensor object, so the tape sees it


def test_ragged_elements_in_datasets_say_what_to_do():
    import jaxtape as tf

    lines = tf.data.Dataset.from_tensor_slices(["a b", "c d e"])
    dense = lines.map(lambda s: tf.strings.split(tf.reshape(s, [1])).to_tensor(default_value="-"))
    assert [d.numpy().tolist() for d in dense] == [[[b"a", b"b"]], [[b"c", b"d", b"e"]]]
    with pytest.raises(NotImplementedError, match="jaxtape does not implement tf.RaggedTensor "
                       "elements in tf.data"):
        list(lines.map(lambda s: tf.strings.split(tf.reshape(s, [1]))))


def test_tf_reductions_take_ragged_tensors():
    def run(tf):
        rt = tf.ragged.constant([[1.0, 2.0], [], [3.0, 4.0, 5.0]])
        return [tf.reduce_sum(rt, axis=1), tf.reduce_mean(rt, axis=1), tf.reduce_max(rt, axis=0),
                tf.reduce_sum(rt), tf.math.reduce_min(rt), tf.reduce_sum(rt, axis=-1, keepdims=True)]

    same_outcome(run)
