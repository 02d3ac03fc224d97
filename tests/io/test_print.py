"""`tf.print` against real TensorFlow: both print to a `file://` stream and the texts must match."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import jaxtape
from difftest import real_tf


def printed(tf, tmp_path, body):
    """What `body(tf, print)` prints, where `print` is tf.print into a file."""
    path = tmp_path / f"{tf.__name__}.txt"
    body(tf, lambda *a, **k: tf.print(*a, output_stream=f"file://{path}", **k))
    return path.read_text()


def same_print(tmp_path, body):
    want = printed(real_tf(), tmp_path, body)
    got = printed(jaxtape, tmp_path, body)
    assert got == want
    return got


TENSORS = {
    "int scalar": lambda tf: tf.constant(1),
    "float scalar": lambda tf: tf.constant(1.5),
    "vector": lambda tf: tf.constant([1, 2, 3]),
    "floats": lambda tf: tf.constant([1.0, 2.5, -3.0, 1e-8, 1e8, 0.1, 123456.7, 1e20]),
    "float32 needs 9 digits": lambda tf: tf.constant(123456789.0),
    "float64": lambda tf: tf.constant([0.1, 1 / 3, 2.0], tf.float64),
    "special": lambda tf: tf.constant([np.nan, np.inf, -np.inf, -0.0]),
    "half": lambda tf: tf.constant([0.5, 1.0 / 3], tf.float16),
    "bool": lambda tf: tf.constant([True, False]),
    "uint8": lambda tf: tf.constant(3, tf.uint8),
    "int64": lambda tf: tf.constant([2 ** 40], tf.int64),
    "matrix": lambda tf: tf.constant([[1.5, 2], [3, 4]]),
    "rank 3": lambda tf: tf.reshape(tf.range(24), (2, 3, 4)),
    "rank 3 thin": lambda tf: tf.reshape(tf.range(6), (3, 2, 1)),
    "long vector elided": lambda tf: tf.range(10),
    "big matrix elided": lambda tf: tf.reshape(tf.range(100), (10, 10)),
    "empty": lambda tf: tf.zeros((0,)),
    "empty rows": lambda tf: tf.zeros((2, 0)),
    "empty first": lambda tf: tf.zeros((0, 2)),
    "empty middle": lambda tf: tf.zeros((2, 0, 3)),
    "variable": lambda tf: tf.Variable([1.0, 2.0]),
}


@pytest.mark.parametrize("case", TENSORS)
def test_tensor_text(tmp_path, case):
    same_print(tmp_path, lambda tf, p: p(TENSORS[case](tf)))


@pytest.mark.parametrize("summarize", [1, 2, -1, None])
def test_summarize(tmp_path, summarize):
    same_print(tmp_path, lambda tf, p: (p(tf.reshape(tf.range(100), (10, 10)), summarize=summarize),
                                        p(tf.constant([[1, 2, 3, 4, 5, 6, 7]]), summarize=summarize)))


def test_python_values_and_structures(tmp_path):
    same_print(tmp_path, lambda tf, p: p(
        "a", 1, 2.5, 1 / 3, None, True, [1, tf.constant(2)], {"b": tf.constant([1, 2]), "a": 3},
        (tf.constant(1.0),), ["x", np.float32(2)], np.array([1, 2]), [tf.constant(1), [tf.constant([2, 3])]]))


def test_sep_end_and_empty(tmp_path):
    same_print(tmp_path, lambda tf, p: (p(tf.range(10), tf.range(3), sep="|", end="<END>\n"), p(),
                                        p("x", end=""), p(tf.constant(5), "end", sep=""),
                                        p("%s %d", 5)))


def test_inside_function_prints_every_call_at_run_time(tmp_path):
    def body(tf, p):
        @tf.function
        def step(x, v):
            p("in", x, [x, 2], v)
            v.assign_add([1.0, 1.0])
            return x * 2

        v = tf.Variable([1.0, 2.0])
        step(tf.constant(1), v)
        step(tf.constant(2), v)
        step(tf.constant(3), v)

    got = same_print(tmp_path, body)
    assert got.count("\n") == 3


def test_default_stream_is_stderr_and_stdout_works(capsys):
    jaxtape.print(jaxtape.constant([1, 2]))
    jaxtape.print("out", jaxtape.constant(1.5), output_stream=sys.stdout)
    captured = capsys.readouterr()
    assert captured.err == "[1 2]\n" and captured.out == "out 1.5\n"


def test_function_prints_to_stdout_at_run_time(capsys):
    @jaxtape.function
    def f(x):
        jaxtape.print("x =", x, output_stream=sys.stdout)
        return x + 1

    f(jaxtape.constant(1))
    f(jaxtape.constant(2))
    assert capsys.readouterr().out == "x = 1\nx = 2\n"


def test_bad_stream_and_keyword_raise_as_tf():
    tf = real_tf()
    for mod in (tf, jaxtape):
        with pytest.raises(ValueError, match="Unsupported output stream"):
            mod.print(1, output_stream=3)
        with pytest.raises(ValueError, match="Unrecognized keyword arguments for tf.print"):
            mod.print(1, bogus=2)
