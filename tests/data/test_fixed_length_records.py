"""tf.data.FixedLengthRecordDataset, tf.io.matching_files and
tf.data.experimental.parse_example_dataset against real TensorFlow."""
from __future__ import annotations

import gzip
import zlib

import pytest

import jaxtape
from tests.difftest import real_tf, same_outcome, strip_node


@pytest.fixture
def files(tmp_path):
    body = bytes(range(12))
    (tmp_path / "a.bin").write_bytes(b"HH" + body + b"FFF")
    (tmp_path / "b.bin").write_bytes(b"HH" + bytes(range(100, 113)) + b"FFF")
    (tmp_path / "c.bin").write_bytes(b"H")
    (tmp_path / "d.bin").write_bytes(body)
    with gzip.open(tmp_path / "a.gz", "wb") as f:
        f.write(b"HH" + body + b"FFF")
    (tmp_path / "a.z").write_bytes(zlib.compress(b"HH" + body + b"FFF"))
    return tmp_path


def test_records_match_tf(files):
    a, d = str(files / "a.bin"), str(files / "d.bin")
    D = "FixedLengthRecordDataset"
    same_outcome(lambda tf: list(getattr(tf.data, D)(a, 4, 2, 3)))
    same_outcome(lambda tf: list(getattr(tf.data, D)([a, d], 6, 2, 3)))
    same_outcome(lambda tf: list(getattr(tf.data, D)([d], 3)))
    same_outcome(lambda tf: list(getattr(tf.data, D)(tf.constant([a, a]), 6, 2, 3, num_parallel_reads=2)))
    same_outcome(lambda tf: list(getattr(tf.data, D)(a, 4, 2, 3, buffer_size=7)))
    same_outcome(lambda tf: list(getattr(tf.data, D)(str(files / "a.gz"), 4, 2, 3, compression_type="GZIP")))
    same_outcome(lambda tf: list(getattr(tf.data, D)(str(files / "a.z"), 4, 2, 3, compression_type="ZLIB")))
    same_outcome(lambda tf: [getattr(tf.data, D)(a, 4).element_spec,
                             getattr(tf.data, D)(a, 4).cardinality()], plain=repr)
    same_outcome(lambda tf: list(getattr(tf.data, D)(a, 4, 2, 3).map(
        lambda r: tf.io.decode_raw(r, tf.uint8)).batch(2)))


@pytest.mark.parametrize("args", [("b.bin", 4, 2, 3), ("a.bin", 5, 2, 3), ("nope", 4),
                                  ("c.bin", 4, 2, 3)])
def test_file_errors_match_tf(files, args):
    path = str(files / args[0])
    same_outcome(lambda tf: list(tf.data.FixedLengthRecordDataset(path, *args[1:])))


@pytest.mark.parametrize("kwargs", [dict(record_bytes=0), dict(record_bytes=-1),
                                    dict(record_bytes=4, header_bytes=-1),
                                    dict(record_bytes=4, footer_bytes=-2),
                                    dict(record_bytes=4, buffer_size=-1),
                                    dict(record_bytes=4, compression_type="BZ2")])
def test_argument_errors_match_tf_when_iterating(files, kwargs):
    tf = real_tf()
    path = str(files / "a.bin")
    errors = []
    for lib in (tf, jaxtape):
        dataset = lib.data.FixedLengthRecordDataset(path, **kwargs)  # no error yet
        with pytest.raises(Exception) as info:
            list(dataset)
        errors.append(info.value)
    want, got = errors
    assert type(got).__name__ == type(want).__name__
    tail = lambda e: strip_node(str(e)).split("FlatMap: ")[-1]  # noqa: E731 - TF numbers its FlatMaps
    assert tail(got) == tail(want)


def test_matching_files_matches_tf(files):
    same_outcome(lambda tf: tf.io.matching_files(str(files / "*.bin")))
    same_outcome(lambda tf: tf.io.matching_files([str(files / "a*"), str(files / "[bc].bin")]))
    same_outcome(lambda tf: tf.io.matching_files(str(files / "zzz*")))
    same_outcome(lambda tf: tf.io.matching_files([[str(files / "a*")]]))


def _serialized(tf):
    return [tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
        "f": tf.train.Feature(float_list=tf.train.FloatList(value=[i * 0.5, 1.0]))}))
        .SerializeToString() for i in range(5)]


def test_parse_example_dataset_matches_tf():
    def pipeline(tf):
        features = {"a": tf.io.FixedLenFeature([], tf.int64), "f": tf.io.FixedLenFeature([2], tf.float32),
                    "z": tf.io.FixedLenFeature([], tf.int64, default_value=3)}
        data = tf.data.Dataset.from_tensor_slices(_serialized(tf)).batch(2).apply(
            tf.data.experimental.parse_example_dataset(features))
        return [list(data), repr(data.element_spec)]
    same_outcome(pipeline)
    same_outcome(lambda tf: tf.data.experimental.parse_example_dataset(None))
    same_outcome(lambda tf: tf.data.Dataset.from_tensor_slices(_serialized(tf)).apply(
        tf.data.experimental.parse_example_dataset({"a": tf.io.FixedLenFeature([], tf.int64)})))
