"""TFRecord files, tf.train.Example and tf.io.parse_*example against real TensorFlow:
the same files byte for byte, the same records, tensors and errors."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import real_tf, same_outcome

pytest.importorskip("google.protobuf", reason="protobuf is not installed (pip install -e '.[test]')")

RECORDS = [b"", b"x", b"hello" * 40, bytes(range(256)) * 3, "text"]


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB", None, 1, 2])
def test_a_written_file_is_byte_identical_to_tfs(tmp_path, compression):
    tf = real_tf()
    for lib, name in ((tf, "tf"), (jaxtape, "jaxtape")):
        with lib.io.TFRecordWriter(str(tmp_path / name), options=compression) as writer:
            for record in RECORDS:
                writer.write(record)
    assert (tmp_path / "jaxtape").read_bytes() == (tmp_path / "tf").read_bytes()


def test_options_objects_and_levels_match_tf(tmp_path):
    tf = real_tf()
    for lib, name in ((tf, "tf"), (jaxtape, "jaxtape")):
        options = lib.io.TFRecordOptions(compression_type="GZIP", compression_level=9)
        with lib.io.TFRecordWriter(str(tmp_path / name), options) as writer:
            for record in RECORDS * 20:
                writer.write(record)
    assert (tmp_path / "jaxtape").read_bytes() == (tmp_path / "tf").read_bytes()
    assert jaxtape.io.TFRecordOptions.get_compression_type_string("ZLIB") == "ZLIB"
    same_outcome(lambda tf: tf.io.TFRecordWriter(str(tmp_path / "bad"), options="BZ2"))


def _files(tmp_path, compression=""):
    tf = real_tf()
    paths = []
    for i in range(3):
        path = str(tmp_path / f"part-{i}.tfrecord")
        with tf.io.TFRecordWriter(path, options=compression) as writer:
            for j in range(4 + i):
                writer.write(f"file {i} record {j}".encode() * j)
        paths.append(path)
    return paths


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
@pytest.mark.parametrize("parallel", [None, 2])
def test_tfrecord_dataset_reads_tfs_files(tmp_path, compression, parallel):
    paths = _files(tmp_path, compression)
    same_outcome(lambda tf: [r for r in tf.data.TFRecordDataset(
        paths, compression_type=compression, num_parallel_reads=parallel)])
    same_outcome(lambda tf: [tf.data.TFRecordDataset(paths[0]).element_spec,
                             tf.data.TFRecordDataset(paths[0]).cardinality()], plain=repr)


def _damaged(tmp_path):
    data = (tmp_path / "part-0.tfrecord").read_bytes()
    cases = {"truncated": data[:-3], "header cut": data[:-len(data) + 30],
             "body flipped": data[:14] + bytes([data[14] ^ 1]) + data[15:],
             "second body flipped": data[:30] + bytes([data[30] ^ 1]) + data[31:],
             "length flipped": data[:3] + bytes([data[3] ^ 1]) + data[4:],
             "not a tfrecord": b"just some text, not records"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    return list(cases)


def test_damaged_and_missing_files_raise_tfs_errors(tmp_path):
    _files(tmp_path)
    for name in _damaged(tmp_path) + ["no such file"]:
        path = str(tmp_path / name)
        same_outcome(lambda tf: [r for r in tf.data.TFRecordDataset(path)])


def test_tf_record_iterator_matches_tf(tmp_path):
    paths = _files(tmp_path, "GZIP")
    same_outcome(lambda tf: list(tf.compat.v1.io.tf_record_iterator(paths[1], "GZIP")))


def _example(lib, i):
    train = lib.train
    return train.Example(features=train.Features(feature={
        "image": train.Feature(float_list=train.FloatList(value=np.arange(6) * 0.5 + i)),
        "label": train.Feature(int64_list=train.Int64List(value=[i % 3])),
        "name": train.Feature(bytes_list=train.BytesList(value=[b"item%d" % i])),
        "tokens": train.Feature(int64_list=train.Int64List(value=list(range(i % 4)))),
    }))


def test_examples_serialize_parse_and_print_as_tfs():
    tf = real_tf()
    for i in range(4):
        theirs, mine = _example(tf, i), _example(jaxtape, i)
        assert mine.SerializeToString(deterministic=True) == \
            theirs.SerializeToString(deterministic=True)
        assert jaxtape.train.Example.FromString(theirs.SerializeToString()) == mine
        assert tf.train.Example.FromString(mine.SerializeToString()) == theirs
        assert str(mine) == str(theirs)
    assert repr(jaxtape.train.Example) == repr(tf.train.Example)
    assert isinstance(_example(jaxtape, 0), jaxtape.train.Example)
    sequence = jaxtape.train.SequenceExample()
    sequence.feature_lists.feature_list["x"].feature.add().float_list.value.append(3.0)
    assert str(tf.train.SequenceExample.FromString(sequence.SerializeToString())) == str(sequence)


SERIALIZED = [_example(jaxtape, i).SerializeToString() for i in range(5)]


def _features(tf):
    F = tf.io.FixedLenFeature
    return {"image": F([2, 3], tf.float32), "label": F([], tf.int64),
            "name": F([1], tf.string), "missing": F([2], tf.float32, default_value=[7.0, 8.0]),
            "tokens": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True,
                                                    default_value=-1)}


def test_parse_single_example_matches_tf():
    for record in SERIALIZED:
        same_outcome(lambda tf: tf.io.parse_single_example(record, _features(tf)))
    same_outcome(lambda tf: tf.io.parse_single_example(SERIALIZED[2], {
        "name": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}))
    same_outcome(lambda tf: tf.io.parse_single_example(tf.constant(SERIALIZED[0]),
                                                       {b"label": tf.io.FixedLenFeature([1], tf.int64)}))


def test_parse_example_matches_tf():
    same_outcome(lambda tf: tf.io.parse_example(SERIALIZED, _features(tf)))
    same_outcome(lambda tf: tf.io.parse_example(SERIALIZED[0], _features(tf)))


F_CASES = [
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"nope": tf.io.FixedLenFeature([], tf.float32)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"nope": tf.io.FixedLenFeature([], tf.float32)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"nope": tf.io.FixedLenFeature([], tf.string)},
                                   example_names=[f"ex{i}" for i in range(5)]),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"image": tf.io.FixedLenFeature([5], tf.float32)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"name": tf.io.FixedLenFeature([2], tf.string)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"image": tf.io.FixedLenFeature([7], tf.float32)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"label": tf.io.FixedLenFeature([2], tf.int64)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"name": tf.io.FixedLenFeature([3], tf.string)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"label": tf.io.FixedLenFeature([], tf.float32)}),
    lambda tf: tf.io.parse_example(SERIALIZED, {"name": tf.io.FixedLenFeature([1], tf.int64)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"label": tf.io.FixedLenFeature([], tf.int32)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"z": tf.io.FixedLenFeature([3], tf.float32, 0.0)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"label": tf.io.FixedLenFeature(None, tf.int64)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[1], {"tokens": tf.io.FixedLenSequenceFeature([], tf.int64)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[3], {"tokens": tf.io.FixedLenSequenceFeature([2], tf.int64, allow_missing=True)}),
    lambda tf: tf.io.parse_single_example(SERIALIZED[2], {"tokens": tf.io.FixedLenSequenceFeature([2], tf.int64, allow_missing=True)}),
    lambda tf: tf.io.parse_single_example(b"\x0a\x05hello", {"label": tf.io.FixedLenFeature([], tf.int64, 0)}),
    lambda tf: tf.io.parse_single_example(b"", {"label": tf.io.FixedLenFeature([], tf.int64, 4)}),
    lambda tf: tf.io.parse_single_example([SERIALIZED[0]], {"label": tf.io.FixedLenFeature([], tf.int64)}),
    lambda tf: tf.io.parse_example([SERIALIZED[:2]], {"label": tf.io.FixedLenFeature([], tf.int64)}),
    lambda tf: repr(tf.io.FixedLenFeature([2], tf.float32)) + repr(tf.io.VarLenFeature(tf.int64))
    + repr(tf.io.FixedLenSequenceFeature([], tf.string, allow_missing=True)),
]


@pytest.mark.parametrize("call", F_CASES, ids=[str(i) for i in range(len(F_CASES))])
def test_feature_specs_and_their_errors_match_tf(call):
    same_outcome(call)


def test_ragged_and_sparse_features_say_what_is_missing():
    with pytest.raises(NotImplementedError, match="jaxtape does not implement tf.io.RaggedFeature"):
        jaxtape.io.parse_single_example(SERIALIZED[0], {"label": _Ragged(jaxtape.int64)})


class _Ragged:  # stands in for tf.io.RaggedFeature, which jaxtape does not define
    def __init__(self, dtype):
        self.dtype = dtype


_Ragged.__name__ = "RaggedFeature"


def test_a_tfrecord_input_pipeline_matches_tf(tmp_path):
    """TF's TFRecord tutorial: Examples written by TF, read, parsed, shuffled, batched."""
    tf = real_tf()
    path = str(tmp_path / "train.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for i in range(11):
            writer.write(_example(tf, i).SerializeToString())

    def pipeline(tf):
        def parse(record):
            parsed = tf.io.parse_single_example(record, _features(tf))
            return tf.reshape(parsed["image"], [6]) * 2.0, parsed["label"]

        data = tf.data.TFRecordDataset([path]).map(parse).batch(4)
        batched = tf.data.TFRecordDataset(path).batch(3).map(
            lambda records: tf.io.parse_example(records, {"label": tf.io.FixedLenFeature([], tf.int64)}))
        return [list(data), list(batched)]

    same_outcome(pipeline)


def test_without_protobuf_examples_name_the_extra(monkeypatch):
    import sys

    from jaxtape._src.framework import example_proto

    example_proto.classes.cache_clear()
    monkeypatch.setitem(sys.modules, "google.protobuf", None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'jaxtape\[records\]'"):
            jaxtape.train.Example()
    finally:
        example_proto.classes.cache_clear()
