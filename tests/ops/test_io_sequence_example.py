"""tf.io.RaggedFeature / SparseFeature in parse_example, and parse_*sequence_example,
against real TensorFlow: the same tensors (ragged and sparse too), dict orders and errors."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import plain as _plain, real_tf, same_outcome

pytest.importorskip("google.protobuf", reason="protobuf is not installed (pip install -e '.[test]')")


def plain(x):
    """`difftest.plain`, with RaggedTensors as their lists, dtypes, splits and shape."""
    if hasattr(x, "flat_values") and hasattr(x, "row_splits"):
        return ("Ragged", x.dtype.name, x.to_list(), x.row_splits.dtype.name,
                [plain(s) for s in x.nested_row_splits], tuple(x.shape.as_list()))
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v) for v in x)
    return _plain(x)


def same(fn):
    return same_outcome(fn, plain=plain)


def _feature(train, v):
    if not v:
        return train.Feature()
    if v and isinstance(v[0], float):
        return train.Feature(float_list=train.FloatList(value=v))
    if v and isinstance(v[0], bytes):
        return train.Feature(bytes_list=train.BytesList(value=v))
    return train.Feature(int64_list=train.Int64List(value=v))


def example(**features):
    t = jaxtape.train
    return t.Example(features=t.Features(feature={
        k: _feature(t, v) for k, v in features.items()})).SerializeToString()


def sequence_example(context, lists):
    t = jaxtape.train
    return t.SequenceExample(
        context=t.Features(feature={k: _feature(t, v) for k, v in context.items()}),
        feature_lists=t.FeatureLists(feature_list={
            k: t.FeatureList(feature=[_feature(t, x) for x in v]) for k, v in lists.items()}),
    ).SerializeToString()


# valid partitions of each example's values `v` (2, 3 and 4 of them) and `f` (0, 2, 4)
_L = [[2], [1, 2], [1, 0, 3]]
_IDS = [[0, 0], [0, 1, 1], [0, 2, 2, 2]]
_ST = [[0], [0, 1], [0, 1, 1]]
_LIM = [[2], [1, 3], [1, 1, 4]]
_RS = [[0, 2], [0, 1, 3], [0, 1, 1, 4]]
_FL = [[], [2], [1, 3]]
EXAMPLES = [example(v=list(range(i + 2)), f=[1.5] * (2 * i), l=_L[i], ix=[0, 3][:i],
                    iy=[1, 0][:i], s=[b"a", b"b"][:i], sp=[2, 0][:i], rs=_RS[i], ids=_IDS[i],
                    st=_ST[i], lim=_LIM[i], fl=_FL[i])
            for i in range(3)]


def _ragged_cases(tf):
    R = tf.io.RaggedFeature
    return [
        {"v": R(tf.int64)},
        {"v": R(tf.int64, row_splits_dtype=tf.int64), "w": R(tf.int64, "v", row_splits_dtype=tf.int64)},
        {"f": R(tf.float32, partitions=[R.UniformRowLength(2)])},
        {"f": R(tf.float32, partitions=[R.UniformRowLength(2)], row_splits_dtype=tf.int64)},
        {"v": R(tf.int64, partitions=[R.RowLengths("l")])},
        {"v": R(tf.int64, partitions=[R.ValueRowIds("ids")])},
        {"v": R(tf.int64, partitions=[R.RowStarts("st")])},
        {"v": R(tf.int64, partitions=[R.RowLimits("lim")])},
        {"v": R(tf.int64, partitions=[R.RowSplits("rs")])},
        {"s": R(tf.string), "label": tf.io.FixedLenFeature([], tf.int64, default_value=5),
         "v2": tf.io.VarLenFeature(tf.int64)},
        {"x": R(tf.float32, "f", partitions=[R.RowLengths("fl"), R.UniformRowLength(1)])},
        {"q": R(tf.int64)},
    ]


@pytest.mark.parametrize("case", range(12))
def test_ragged_features_match_tf(case):
    same(lambda tf: tf.io.parse_example(EXAMPLES, _ragged_cases(tf)[case]))
    same(lambda tf: tf.io.parse_example(tf.constant([], tf.string), _ragged_cases(tf)[case]))
    for record in EXAMPLES:
        same(lambda tf: tf.io.parse_single_example(record, _ragged_cases(tf)[case]))


def _sparse_cases(tf):
    S = tf.io.SparseFeature
    return [
        {"m": S(["ix", "iy"], "s", tf.string, [4, 2])},
        {"m": S("ix", "s", tf.string, 4), "s": tf.io.VarLenFeature(tf.string)},
        {"m": S("sp", "s", tf.string, 3, already_sorted=True), "z": S("ix", "sp", tf.int64, 5)},
    ]


@pytest.mark.parametrize("case", range(3))
def test_sparse_features_match_tf(case):
    same(lambda tf: tf.io.parse_example(EXAMPLES, _sparse_cases(tf)[case]))
    for record in EXAMPLES:
        same(lambda tf: tf.io.parse_single_example(record, _sparse_cases(tf)[case]))


BAD = example(v=[1, 2, 3], ix=[0, 5], s=[b"a"])
R_ERRORS = [
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(tf.float32)}),
    lambda tf: tf.io.parse_example([BAD, BAD], {"v": tf.io.RaggedFeature(tf.float32)}),
    lambda tf: tf.io.parse_single_example(BAD, {"s": tf.io.VarLenFeature(tf.int64)}),
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(
        tf.int64, partitions=[tf.io.RaggedFeature.UniformRowLength(2)])}),
    lambda tf: tf.io.parse_example([BAD], {"v": tf.io.RaggedFeature(
        tf.int64, partitions=[tf.io.RaggedFeature.UniformRowLength(2)])}),
    lambda tf: tf.io.parse_single_example(BAD, {"sp": tf.io.SparseFeature("ix", "s", tf.string, 4)}),
    lambda tf: tf.io.parse_example([BAD], {"sp": tf.io.SparseFeature("ix", "v", tf.int64, 4)}),
    lambda tf: tf.io.parse_single_example(BAD, {"sp": tf.io.SparseFeature("ix", "v", tf.int64, [4])}),
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(tf.int64), "x": tf.io.RaggedFeature(
        tf.int64, "v", row_splits_dtype=tf.int64)}),
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(tf.int64), "x": tf.io.VarLenFeature(
        tf.int64), "y": tf.io.SparseFeature("v", "s", tf.string, 3)}),
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(tf.int64), "x": tf.io.VarLenFeature(
        tf.float32), "y": tf.io.SparseFeature("x", "s", tf.string, 3)}),
    lambda tf: tf.io.parse_single_example(BAD, {"v": tf.io.RaggedFeature(tf.int64),
                                                "w": tf.io.FixedLenFeature([3], tf.int64, default_value=[0, 0, 0]),
                                                "x": tf.io.RaggedFeature(tf.int64, "w")}),
    lambda tf: tf.io.RaggedFeature(tf.int32),
    lambda tf: tf.io.RaggedFeature(tf.int64, partitions=3),
    lambda tf: tf.io.RaggedFeature(tf.int64, row_splits_dtype=tf.float32),
    lambda tf: tf.io.RaggedFeature(tf.int64, value_key=3),
    lambda tf: tf.io.RaggedFeature(tf.int64, value_key=""),
    lambda tf: tf.io.RaggedFeature(tf.int64, validate=1),
    lambda tf: repr(tf.io.RaggedFeature(tf.int64, "k", [tf.io.RaggedFeature.RowLengths("l"),
                                                        tf.io.RaggedFeature.UniformRowLength(3)])),
    lambda tf: repr(tf.io.SparseFeature(["a", "b"], "c", tf.float32, [3, 4])),
    lambda tf: tf.io.RaggedFeature(tf.int64) == (tf.int64, None, (), tf.int32, False),
]


@pytest.mark.parametrize("call", R_ERRORS, ids=[str(i) for i in range(len(R_ERRORS))])
def test_feature_spec_errors_match_tf(call):
    same(call)


def test_partition_type_error_names_the_value():
    with pytest.raises(TypeError, match="Argument `partitions` cannot be cast to any of the "
                                        "partition types in .*; got: 3 with type <class 'int'>"):
        jaxtape.io.RaggedFeature(jaxtape.int64, partitions=[3])


def test_ragged_and_sparse_features_in_a_dataset_map_match_tf():
    def pipeline(tf):
        R = tf.io.RaggedFeature
        features = {"v": R(tf.int64), "f": R(tf.float32, partitions=[R.UniformRowLength(2)]),
                    "m": tf.io.SparseFeature("ix", "s", tf.string, 4)}

        def parse(record):
            out = tf.io.parse_single_example(record, features)
            return tf.reduce_sum(out["v"]), tf.reduce_sum(out["f"], 1), tf.sparse.to_dense(out["m"])
        return list(tf.data.Dataset.from_tensor_slices(EXAMPLES).map(parse))
    same(pipeline)


A = sequence_example({"c": [1, 2], "n": [b"x"], "c2": [5, 6, 7]},
                     {"a": [[1, 2], [3, 4], [5, 6]], "b": [[1.0], [2.0, 3.0]], "r": [[1], [], [2, 3]],
                      "rl": [[1, 0], [], [1, 1]], "s": [[b"p"], [b"q", b"r"], None]})
B = sequence_example({"c": [3, 4]}, {"a": [[7, 8]], "b": [[4.0]], "r": [[9]], "rl": [[1]],
                                     "s": [[b"t"]]})
C = sequence_example({}, {"a": [[1, 2], [3]], "b": [[1], [2.0]]})


def _context(tf):
    F = tf.io.FixedLenFeature
    return {"c": F([2], tf.int64), "n": F([], tf.string, default_value="d"),
            "cv": tf.io.VarLenFeature(tf.int64), "cr": tf.io.RaggedFeature(tf.int64, "c2")}


def _lists(tf):
    FS, R = tf.io.FixedLenSequenceFeature, tf.io.RaggedFeature
    return {"a": FS([2], tf.int64), "b": tf.io.VarLenFeature(tf.float32), "r": R(tf.int64),
            "m": FS([], tf.int64, allow_missing=True), "s": R(tf.string),
            "rr": R(tf.int64, "r", partitions=[R.RowLengths("rl")]),
            "ru": R(tf.int64, "r", partitions=[R.UniformRowLength(1)])}


def test_parse_sequence_example_matches_tf():
    same(lambda tf: tf.io.parse_single_sequence_example(A, _context(tf), _lists(tf)))
    same(lambda tf: tf.io.parse_single_sequence_example(B, _context(tf), _lists(tf)))
    same(lambda tf: tf.io.parse_sequence_example([A, B], _context(tf), _lists(tf)))
    same(lambda tf: tf.io.parse_sequence_example([B, A, B], _context(tf), _lists(tf)))
    same(lambda tf: tf.io.parse_sequence_example(A, _context(tf), _lists(tf)))
    same(lambda tf: tf.io.parse_sequence_example([A, B], _context(tf)))
    same(lambda tf: tf.io.parse_sequence_example([A, B], None, {"b": tf.io.VarLenFeature(tf.float32)}))
    same(lambda tf: tf.io.parse_single_sequence_example(tf.constant(A), sequence_features={
        "a": tf.io.FixedLenSequenceFeature([2], tf.int64)}, example_name="one"))


FS = "tf.io.FixedLenSequenceFeature"
S_ERRORS = [
    "tf.io.parse_sequence_example([A, B], None, {'a': tf.io.FixedLenFeature([2], tf.int64)})",
    "tf.io.parse_sequence_example([A, B], None, None)",
    "tf.io.parse_sequence_example([A, B], {}, {})",
    f"tf.io.parse_single_sequence_example(A, None, {{'z': {FS}([2], tf.int64)}})",
    f"tf.io.parse_sequence_example([A, B], None, {{'z': {FS}([2], tf.int64)}}, example_names=['p', 'q'])",
    f"tf.io.parse_sequence_example([A, B], None, {{'a': {FS}([3], tf.int64)}}, example_names=['p', 'q'])",
    f"tf.io.parse_single_sequence_example(A, None, {{'a': {FS}([3], tf.int64)}})",
    f"tf.io.parse_single_sequence_example(A, None, {{'a': {FS}([2], tf.float32)}})",
    f"tf.io.parse_sequence_example([B, A], None, {{'a': {FS}([2], tf.float32)}})",
    "tf.io.parse_single_sequence_example(A, {'z': tf.io.FixedLenFeature([], tf.int64)}, None)",
    "tf.io.parse_sequence_example([A, B], {'z': tf.io.FixedLenFeature([2], tf.int64)}, None)",
    "tf.io.parse_sequence_example([A, B], {'c': tf.io.FixedLenFeature([3], tf.int64)}, None)",
    "tf.io.parse_single_sequence_example(A, {'c': tf.io.FixedLenFeature([2], tf.float32)}, None)",
    "tf.io.parse_single_sequence_example(A, {'c': tf.io.VarLenFeature(tf.float32)}, None)",
    "tf.io.parse_single_sequence_example(A, None, {'b': tf.io.VarLenFeature(tf.int64)})",
    "tf.io.parse_single_sequence_example(A, None, {'b': tf.io.RaggedFeature(tf.int64)})",
    f"tf.io.parse_single_sequence_example(A, None, {{'a': {FS}([2], tf.int64, default_value=0)}})",
    f"tf.io.parse_single_sequence_example([A], None, {{'a': {FS}([2], tf.int64)}})",
    f"tf.io.parse_sequence_example([[A]], None, {{'a': {FS}([2], tf.int64)}})",
    f"tf.io.parse_single_sequence_example(b'garbage', None, {{'a': {FS}([2], tf.int64)}})",
    f"tf.io.parse_sequence_example([b'garbage'], None, {{'a': {FS}([2], tf.int64)}}, example_names=['p'])",
    "tf.io.parse_single_sequence_example(A, None, {'a': tf.io.SparseFeature('a', 'a', tf.int64, 3)})",
    f"tf.io.parse_single_sequence_example(A, {{'c': {FS}([2], tf.int64, allow_missing=True)}}, None)",
    f"tf.io.parse_sequence_example([A, B], None, {{'a': {FS}([2], tf.int32)}})",
    f"tf.io.parse_single_sequence_example(C, None, {{'a': {FS}([2], tf.int64)}})",
    f"tf.io.parse_single_sequence_example(C, None, {{'a': {FS}([], tf.int64)}})",
    "tf.io.parse_single_sequence_example(C, None, {'b': tf.io.VarLenFeature(tf.float32)})",
]


@pytest.mark.parametrize("expr", S_ERRORS, ids=[str(i) for i in range(len(S_ERRORS))])
def test_sequence_example_errors_match_tf(expr):
    same(lambda tf: eval(expr, {"tf": tf, "A": A, "B": B, "C": C}))


def test_sequence_examples_parse_in_a_dataset_map_as_tfs():
    def pipeline(tf):
        def parse(record):
            context, lists = tf.io.parse_single_sequence_example(record, _context(tf), {
                "a": tf.io.FixedLenSequenceFeature([2], tf.int64)})
            return context["c"], tf.reduce_sum(lists["a"], 0)
        return list(tf.data.Dataset.from_tensor_slices([A, B]).map(parse))
    same(pipeline)
