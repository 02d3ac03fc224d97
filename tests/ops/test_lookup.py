"""tf.lookup tables and tf.strings.to_hash_bucket_fast against real TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_outcome

RNG = np.random.default_rng(0)
# every FarmHash length class: 0-16, 17-32, 33-64 and multi-block, with partial last blocks
STRINGS = [bytes(RNG.integers(0, 256, n).astype(np.uint8))
           for n in list(range(0, 140)) + [191, 192, 193, 255, 256, 257, 1000, 4097]]


def test_to_hash_bucket_fast_matches_tf_at_every_length():
    same_outcome(lambda tf: [tf.strings.to_hash_bucket_fast(STRINGS, 2 ** 62 + 11),
                             tf.strings.to_hash_bucket_fast([[b"a", b"b"]], 3),
                             tf.strings.to_hash_bucket_fast("word", 1)])
    same_outcome(lambda tf: tf.strings.to_hash_bucket_fast("word", 0))


@pytest.mark.parametrize("key", [[123, 456], [-5, 2 ** 62], [0, 0]])
def test_to_hash_bucket_strong_and_legacy_match_tf(key):
    same_outcome(lambda tf: [tf.strings.to_hash_bucket_strong(STRINGS, 2 ** 62 + 11, key),
                             tf.strings.to_hash_bucket(STRINGS, 2 ** 62 + 11),
                             tf.strings.to_hash_bucket([[b"a", b"b"]], 7)])
    same_outcome(lambda tf: tf.strings.to_hash_bucket_strong("x", 0, key))


def _string_table(tf):
    init = tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], [1, 2, 3])
    return tf.lookup.StaticHashTable(init, default_value=-1)


def _int_table(tf):
    init = tf.lookup.KeyValueTensorInitializer(tf.constant([3, 1, 2], tf.int64),
                                               tf.constant([1.5, 2.5, 3.5]))
    return tf.lookup.StaticHashTable(init, -1.0)


CASES = [
    lambda tf: _string_table(tf).lookup(tf.constant(["a", "z", "c"])),
    lambda tf: _string_table(tf).lookup(tf.constant([["a"], ["b"]])),
    lambda tf: [_string_table(tf).size(), _string_table(tf).default_value,
                _string_table(tf).key_dtype.name, _string_table(tf).value_dtype.name],
    lambda tf: _string_table(tf).lookup(tf.constant([1])),
    lambda tf: _string_table(tf).lookup(["a"]),
    lambda tf: _int_table(tf).lookup(tf.constant([[2, 5], [3, 1]], tf.int64)),
    lambda tf: _int_table(tf).lookup(tf.constant([2])),
    lambda tf: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        [1, 2], [b"x", b"y"]), b"?").lookup(tf.constant([2, 5])),
    lambda tf: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "a"], [1, 2]), -1),
    lambda tf: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "a"], [1, 1]), -1).size(),
    lambda tf: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a"], [1]), "x"),
    lambda tf: [sorted(v.numpy().tolist()) for v in _string_table(tf).export()],
    lambda tf: tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["a", "b"], tf.constant([0, 1], tf.int64)), num_oov_buckets=3).lookup(
        tf.constant(["a", "b", "zz", "hello", "q", ""])),
    lambda tf: tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["a", "b"], tf.constant([0, 1], tf.int64)), 3).size(),
    lambda tf: tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant([7, 9], tf.int64), tf.constant([0, 1], tf.int64)), 5).lookup(
        tf.constant([9, 7, 8, 123456789], tf.int64)),
    lambda tf: tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["a"], [0]), 3),
]


@pytest.mark.parametrize("call", CASES, ids=[str(i) for i in range(len(CASES))])
def test_tables_match_tf(call):
    same_outcome(call)


def test_text_file_tables_match_tf(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("emerson\nlake\npalmer\n")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("x\t10\ny\t20\nz\t30\n")

    def run(tf):
        index = tf.lookup.TextFileIndex
        names = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER), -1)
        numbers = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(pairs), tf.string, 0, tf.int64, 1), -1)
        limited = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER,
            vocab_size=2), -1)
        ids = tf.lookup.StaticVocabularyTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER), 2)
        words = tf.constant(["lake", "palmer", "x", "emerson"])
        return [names.lookup(words), numbers.lookup(tf.constant(["z", "x", "q"])),
                limited.lookup(words), ids.lookup(words), ids.size()]

    same_outcome(run)


def test_lookups_in_pipelines_and_functions_match_tf():
    def run(tf):
        words = _string_table(tf)
        numbers = _int_table(tf)
        data = tf.data.Dataset.from_tensor_slices(["a", "b", "q"]).map(words.lookup).batch(2)
        ints = tf.data.Dataset.range(5).map(numbers.lookup)

        @tf.function
        def find(x):
            return numbers.lookup(x) * 2.0

        return [list(data), list(ints), find(tf.constant([1, 4], tf.int64))]

    same_outcome(run)


def test_mutable_hash_table_matches_tf():
    def run(tf):
        table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
        table.insert(tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64))
        first = table.lookup(tf.constant(["a", "c"]))
        table.insert(tf.constant(["c", "a"]), tf.constant([3, 9], tf.int64))
        table.remove(tf.constant(["b"]))
        return [first, table.lookup(tf.constant(["a", "b", "c"])), table.size(),
                table.lookup(tf.constant(["b"]), dynamic_default_values=tf.constant([7], tf.int64)),
                sorted(table.export()[0].numpy().tolist())]

    same_outcome(run)
