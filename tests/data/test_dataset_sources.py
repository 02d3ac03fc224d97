"""Sources against real TensorFlow: from_tensor_slices, from_tensors, range,
zip, from_generator, and the string-file sources jaxtape lacks."""
import collections

import numpy as np
import pytest

import jaxtape
from datadiff import same_dataset, same_outcome_of

X = np.arange(12, dtype=np.float32).reshape(6, 2)
Y = np.arange(6)


@pytest.mark.parametrize("build", [
    lambda tf: tf.data.Dataset.from_tensor_slices(X),
    lambda tf: tf.data.Dataset.from_tensor_slices((X, Y)),
    lambda tf: tf.data.Dataset.from_tensor_slices({"b": X, "a": Y}),
    lambda tf: tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": (np.zeros((2, 3)), [1., 2.])}),
    lambda tf: tf.data.Dataset.from_tensor_slices([1, 2, 3]),
    lambda tf: tf.data.Dataset.from_tensor_slices([[1., 2.], [3., 4.]]),
    lambda tf: tf.data.Dataset.from_tensor_slices([np.zeros(2), np.ones(2)]),
    lambda tf: tf.data.Dataset.from_tensor_slices(tf.constant([[1, 2], [3, 4]])),
    lambda tf: tf.data.Dataset.from_tensor_slices(np.zeros((0, 2))),
    lambda tf: tf.data.Dataset.from_tensor_slices(np.array([True, False])),
    lambda tf: tf.data.Dataset.from_tensors((X, Y)),
    lambda tf: tf.data.Dataset.from_tensors([1, 2]),
    lambda tf: tf.data.Dataset.from_tensors(3.0),
    lambda tf: tf.data.Dataset.from_tensors({"a": 1, "b": (2., [3, 4])}),
    lambda tf: tf.data.Dataset.range(5),
    lambda tf: tf.data.Dataset.range(2, 9),
    lambda tf: tf.data.Dataset.range(1, 10, 2, output_type=tf.int32),
    lambda tf: tf.data.Dataset.range(10, 0, -3),
    lambda tf: tf.data.Dataset.range(0),
    lambda tf: tf.data.Dataset.range(5, output_type=tf.float32),
    lambda tf: tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(4))),
    lambda tf: tf.data.Dataset.zip(tf.data.Dataset.range(3), tf.data.Dataset.range(4)),
    lambda tf: tf.data.Dataset.zip({"n": tf.data.Dataset.range(3),
                                    "xy": tf.data.Dataset.from_tensor_slices((X, Y))}),
    lambda tf: tf.data.Dataset.zip(tf.data.Dataset.range(3)),
    lambda tf: tf.data.Dataset.zip((tf.data.Dataset.range(3).repeat(), tf.data.Dataset.range(2))),
])
def test_sources_match_tf(build):
    same_dataset(build)


def test_namedtuple_elements_keep_their_type():
    Point = collections.namedtuple("Point", "x y")
    ds = jaxtape.data.Dataset.from_tensor_slices(Point(X, Y))
    first = next(iter(ds))
    assert type(first) is Point and first.y.dtype == jaxtape.int64
    assert type(ds.element_spec) is Point


def gen_pairs():
    for i in range(3):
        yield i, [float(i)] * i


@pytest.mark.parametrize("build", [
    lambda tf: tf.data.Dataset.from_generator(lambda: iter([1, 2]),
                                              output_signature=tf.TensorSpec((), tf.int32)),
    lambda tf: tf.data.Dataset.from_generator(lambda: iter([1, 2]), output_types=tf.int32),
    lambda tf: tf.data.Dataset.from_generator(lambda: iter([1, 2]), output_types=tf.int32,
                                              output_shapes=()),
    lambda tf: tf.data.Dataset.from_generator(gen_pairs, output_types=(tf.int64, tf.float32),
                                              output_shapes=((), (None,))),
    lambda tf: tf.data.Dataset.from_generator(
        gen_pairs, output_signature=(tf.TensorSpec((), tf.int64), tf.TensorSpec((None,), tf.float32))),
    lambda tf: tf.data.Dataset.from_generator(lambda n: iter(range(n)), args=(3,),
                                              output_types=tf.int64),
    lambda tf: tf.data.Dataset.from_generator(
        lambda: iter([{"a": 1, "b": [1., 2.]}]),
        output_signature={"a": tf.TensorSpec((), tf.int32), "b": tf.TensorSpec((2,), tf.float32)}),
])
def test_from_generator_matches_tf(build):
    same_dataset(build)


@pytest.mark.parametrize("fn", [
    lambda tf: tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4))),
    lambda tf: tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [1, 2, 3]}),
    lambda tf: tf.data.Dataset.from_tensor_slices(np.float32(1)),
    lambda tf: tf.data.Dataset.zip((tf.data.Dataset.range(3), 1)),
    lambda tf: tf.data.Dataset.from_generator(lambda: iter([1])),
    lambda tf: list(tf.data.Dataset.from_generator(
        lambda: iter([[1], [1, 2]]), output_signature=tf.TensorSpec((1,), tf.int32))),
])
def test_source_errors_match_tf(fn):
    kind = same_outcome_of(lambda tf: _first_line(fn, tf))
    assert kind[0] == "value"


def _first_line(fn, tf):
    """The error type and the first line of its message (TF's generator errors
    carry a Python traceback after it)."""
    try:
        fn(tf)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).splitlines()[0].replace("{{function_node __wrapped__IteratorGetNext_output_types_1_device_/job:localhost/replica:0/task:0/device:CPU:0}} ", "")
    return "no error"


def test_source_copies_the_callers_array():
    x = np.arange(3)
    ds = jaxtape.data.Dataset.from_tensor_slices(x)
    x[0] = 99
    assert [int(v) for v in ds] == [0, 1, 2]
