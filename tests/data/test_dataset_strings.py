"""String datasets (slices, files, map over strings, batches), differentially against TF."""
from __future__ import annotations

import pytest

from difftest import real_tf, same_outcome

import jaxtape


def _files(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"one\ntwo\r\nthree")
    (tmp_path / "b.txt").write_bytes(b"four\n\nsix\n")
    return [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]


def _describe(ds):
    return repr(ds), repr(ds.element_spec), list(ds.as_numpy_iterator())


CASES = {
    "slices": lambda tf: _describe(tf.data.Dataset.from_tensor_slices(["a", "b", "c"])),
    "from_tensors": lambda tf: _describe(tf.data.Dataset.from_tensors(["a", b"b"])),
    "tuple": lambda tf: _describe(tf.data.Dataset.from_tensor_slices((["a", "b"], [1, 2]))),
    "map": lambda tf: _describe(tf.data.Dataset.from_tensor_slices(["ab", "c"]).map(
        lambda s: (tf.strings.upper(s), tf.strings.length(s)))),
    "batch": lambda tf: _describe(tf.data.Dataset.from_tensor_slices(["a", "b", "c"]).batch(2)),
    "filter": lambda tf: list(tf.data.Dataset.from_tensor_slices(["a", "b", "c"]).filter(
        lambda s: s != "b").as_numpy_iterator()),
    "tf.function map": lambda tf: list(tf.data.Dataset.from_tensor_slices(["a", "b"]).map(
        tf.function(lambda s: tf.strings.upper(s))).as_numpy_iterator()),
    "reduce": lambda tf: tf.data.Dataset.from_tensor_slices(["a", "b"]).reduce(
        tf.constant(""), lambda a, b: a + b),
    "padded_batch": lambda tf: _describe(tf.data.Dataset.from_generator(
        lambda: iter([["a"], ["b", "c"]]), output_signature=tf.TensorSpec([None], tf.string)).padded_batch(2)),
    "unbatch": lambda tf: _describe(tf.data.Dataset.from_tensor_slices([["a", "b"], ["c", "d"]]).unbatch()),
    "elements": lambda tf: [str(e) for e in tf.data.Dataset.from_tensor_slices(["a", "b"])],
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_tf(name):
    same_outcome(CASES[name])


def test_text_lines_and_list_files(tmp_path):
    files = _files(tmp_path)

    def run(tf):
        lines = tf.data.TextLineDataset(files)
        listed = tf.data.Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
        shuffled = sorted(tf.data.Dataset.list_files(str(tmp_path / "*.txt")).as_numpy_iterator())
        mapped = lines.map(lambda s: tf.strings.length(s)).batch(3)
        return _describe(lines), _describe(listed), shuffled, list(mapped.as_numpy_iterator())[0].tolist()
    assert run(jaxtape) == run(real_tf())


def test_text_line_variants(tmp_path):
    for name, text in [("m1", "a1\na2\na3\n"), ("m2", "b1\n"), ("m3", "1,2\n3,4\n")]:
        (tmp_path / f"{name}.txt").write_text(text)
    files = [str(tmp_path / f"m{i}.txt") for i in (1, 2, 3)]

    def run(tf):
        parallel = tf.data.TextLineDataset(files, num_parallel_reads=2)
        numbers = tf.data.TextLineDataset(files[2:]).map(
            lambda line: tf.strings.to_number(tf.strings.split(line, ",")))
        return (_describe(parallel), int(parallel.cardinality()),
                [a.tolist() for a in numbers.as_numpy_iterator()])
    assert run(jaxtape) == run(real_tf())
    same_outcome(lambda tf: list(tf.data.TextLineDataset([str(tmp_path / "none.txt")])))


def test_list_files_no_match(tmp_path):
    same_outcome(lambda tf: tf.data.Dataset.list_files(str(tmp_path / "*.none")))


def test_a_missing_name_in_a_host_map_is_reported_by_name():
    # The spec of a map over strings is learnt from its first results; an
    # AttributeError there (a jaxtape gap) must surface as itself, not as
    # "object has no attribute '_structure'".
    ds = jaxtape.data.Dataset.from_tensor_slices(["a", "b"]).map(
        lambda s: jaxtape.strings.no_such_op(s))
    with pytest.raises(AttributeError, match="tf.strings.no_such_op"):
        ds.batch(2)
