"""tf.data.experimental.CsvDataset and make_csv_dataset against real TensorFlow."""
from __future__ import annotations

import gzip

import pytest

from tests.difftest import same_outcome

TITANIC = ("sex,age,fare,alone,name\nmale,22,7.25,n,Bob\nfemale,38,71.2833,y,\"Smith, Ann\"\n"
           "female,,7.925,y,Eve\nmale,35,8.05,n,Al\nfemale,4,16.7,n,Sue\n")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "a.csv").write_text(TITANIC)
    (tmp_path / "b.csv").write_text("sex,age,fare,alone,name\nmale,61,32.3,y,Max\n")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(TITANIC.encode()))
    (tmp_path / "semi.csv").write_text("1;x;2.5\n3;y;\n")
    return tmp_path


def _rows(data):
    return [tuple(v for v in row) for row in data]


def test_csv_dataset_matches_tf(files):
    a, semi, gz = str(files / "a.csv"), str(files / "semi.csv"), str(files / "c.csv.gz")
    same_outcome(lambda tf: tf.data.experimental.CsvDataset(
        a, [tf.string, tf.int32, tf.float32, "", ""], header=True).element_spec, plain=repr)
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        a, [tf.string, tf.int32, tf.float32, "", ""], header=True)))
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        a, ["?", -1, 0.0], header=True, select_cols=[0, 1, 2])))
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        a, [tf.constant("?"), tf.constant(0, tf.int64), "-"], header=True, exclude_cols=[2, 3])))
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        semi, [0, "", tf.constant(-1.0, tf.float64)], field_delim=";")))
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        gz, [tf.string, 0, 0.0, "", ""], header=True, compression_type="GZIP")))
    same_outcome(lambda tf: _rows(tf.data.experimental.CsvDataset(
        a, [tf.int32, 0, 0.0, "", ""], header=True)))
    same_outcome(lambda tf: tf.data.experimental.CsvDataset(a, [0, 0], select_cols=[0, 1, 2]))


def _batches(data):
    out = []
    for element in data:
        features, label = element if isinstance(element, tuple) else (element, None)
        out.append(([(k, v) for k, v in features.items()], label))
    return out


def test_make_csv_dataset_matches_tf(files):
    a = str(files / "a.csv")
    both = str(files / "[ab].csv")
    same_outcome(lambda tf: tf.data.experimental.make_csv_dataset(
        a, batch_size=2, label_name="fare", num_epochs=1, shuffle=False).element_spec, plain=repr)
    same_outcome(lambda tf: _batches(tf.data.experimental.make_csv_dataset(
        a, batch_size=2, label_name="fare", num_epochs=1, shuffle=False)))
    same_outcome(lambda tf: _batches(tf.data.experimental.make_csv_dataset(
        a, batch_size=4, num_epochs=2, shuffle=False, select_columns=["age", "sex"])))
    same_outcome(lambda tf: _batches(tf.data.experimental.make_csv_dataset(
        a, batch_size=3, num_epochs=1, shuffle=False, select_columns=[0, 1],
        column_defaults=["x", 0])))
    same_outcome(lambda tf: _batches(tf.data.experimental.make_csv_dataset(
        both, batch_size=3, num_epochs=1, shuffle=False, num_parallel_reads=1)))
    same_outcome(lambda tf: tf.data.experimental.make_csv_dataset(a, batch_size=2).cardinality())
    same_outcome(lambda tf: tf.data.experimental.make_csv_dataset(a, 2, label_name="nope"))
    same_outcome(lambda tf: tf.data.experimental.make_csv_dataset(str(files / "none*.csv"), 2))
    same_outcome(lambda tf: tf.data.experimental.make_csv_dataset(str(files / "*.csv"), 2))


def test_shuffled_csv_batches_hold_the_same_rows_as_tf(files):
    a = str(files / "a.csv")

    def rows(tf):
        data = tf.data.experimental.make_csv_dataset(a, batch_size=2, num_epochs=3,
                                                     shuffle_seed=5, label_name="age")
        seen = [(n, int(v)) for features, label in data
                for n, v in zip(features["name"].numpy().tolist(), label.numpy().tolist())]
        return sorted(seen)

    same_outcome(rows)
