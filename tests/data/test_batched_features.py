"""tf.data.experimental.make_batched_features_dataset against real TensorFlow: element
specs (static batch when repeating forever or dropping the remainder), values in file
order without shuffling, label_key pairs, reader_num_threads interleaving, errors."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import real_tf, same_outcome

FEATURES = None


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tf = real_tf()
    root = tmp_path_factory.mktemp("batched")
    for f in range(2):
        with tf.io.TFRecordWriter(str(root / f"d{f}.tfrecord")) as w:
            for i in range(5):
                feature = {
                    "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i, f])),
                    "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[10 * f + i])),
                    "s": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"q"] * (i % 3)))}
                w.write(tf.train.Example(features=tf.train.Features(
                    feature=feature)).SerializeToString())
    return root


def feats(tf):
    return {"x": tf.io.FixedLenFeature([2], tf.float32), "y": tf.io.FixedLenFeature([], tf.int64),
            "s": tf.io.FixedLenSequenceFeature([], tf.string, allow_missing=True)}


def described(ds, limit=None):
    out = [repr(ds.element_spec)]
    for i, e in enumerate(ds):
        if limit is not None and i >= limit:
            break
        out.append(e)
    return out


def test_in_file_order(files):
    same_outcome(lambda tf: described(tf.data.experimental.make_batched_features_dataset(
        str(files / "d*.tfrecord"), 3, feats(tf), shuffle=False, num_epochs=1)))


def test_label_key_and_drop_final_batch(files):
    same_outcome(lambda tf: described(tf.data.experimental.make_batched_features_dataset(
        str(files / "d*.tfrecord"), 3, feats(tf), label_key="y", shuffle=False, num_epochs=2,
        drop_final_batch=True)))


def test_repeating_forever_has_a_static_batch(files):
    same_outcome(lambda tf: described(tf.data.experimental.make_batched_features_dataset(
        str(files / "d*.tfrecord"), 4, feats(tf), label_key="y", shuffle=False), limit=4))


def test_shuffled_spec_and_contents(files):
    def fn(tf):
        ds = tf.data.experimental.make_batched_features_dataset(
            str(files / "d*.tfrecord"), 5, feats(tf), num_epochs=1, shuffle_seed=3)
        ys = sorted(v for e in ds for v in e["y"].numpy().tolist())
        return [repr(ds.element_spec), ys]
    same_outcome(fn)


def test_reader_threads_interleave(files):
    same_outcome(lambda tf: described(tf.data.experimental.make_batched_features_dataset(
        [str(files / "d1.tfrecord"), str(files / "d0.tfrecord")], 4, feats(tf), shuffle=False,
        num_epochs=1, reader_num_threads=2)))


def test_bad_label_key(files):
    same_outcome(lambda tf: tf.data.experimental.make_batched_features_dataset(
        str(files / "d*.tfrecord"), 3, feats(tf), label_key="zz"))


def test_no_files_raises(files):
    same_outcome(lambda tf: tf.data.experimental.make_batched_features_dataset(
        str(files / "none*.tfrecord"), 3, feats(tf)), message=False)
