"""`tf.TensorArray` (eager, and unrolled inside `tf.function`) against real TensorFlow."""
from __future__ import annotations

import logging

import numpy as np
import pytest

import jaxtape
from difftest import check, same_outcome

# TF's eager TensorArray warns through its logger about arrays whose write result is unused.
logging.getLogger("tensorflow").setLevel(logging.CRITICAL)


def written(tf, **kw):
    ta = tf.TensorArray(tf.float32, size=3, **kw)
    ta = ta.write(0, 1.0)
    ta = ta.write(2, 3)
    return ta


CASES = {
    "stack with unwritten zero": lambda tf: written(tf).stack(),
    "read unwritten": lambda tf: written(tf).read(1),
    "read written": lambda tf: written(tf).read(0),
    "overwrite": lambda tf: written(tf).write(0, 5.0).read(0),
    "size": lambda tf: written(tf).size(),
    "dtype and shape": lambda tf: (written(tf).dtype.name, str(written(tf).element_shape),
                                   written(tf).dynamic_size),
    "cleared after read": lambda tf: (lambda ta: (ta.read(0), ta.stack()))(written(tf)),
    "read twice": lambda tf: (lambda ta: (ta.read(0), ta.read(0)))(written(tf)),
    "read twice kept": lambda tf: (lambda ta: (ta.read(0), ta.read(0)))(written(tf, clear_after_read=False)),
    "write out of range": lambda tf: written(tf).write(5, 2.0),
    "write negative": lambda tf: written(tf).write(-1, 2.0),
    "read out of range": lambda tf: written(tf).read(7),
    "read negative": lambda tf: written(tf).read(-1),
    "shape mismatch": lambda tf: written(tf).write(1, [1.0, 2.0]),
    "declared shape mismatch": lambda tf: tf.TensorArray(tf.float32, size=2, element_shape=[2]).write(0, [1.0, 2.0, 3.0]),
    "dtype mismatch": lambda tf: written(tf).write(1, tf.constant(1)),
    "float into int": lambda tf: tf.TensorArray(tf.int32, size=1).write(0, 1.5),
    "numpy float64 into float32": lambda tf: tf.TensorArray(tf.float32, size=1).write(0, np.float64(1.5)).read(0),
    "tensor index": lambda tf: tf.TensorArray(tf.float32, size=2).write(tf.constant(1), 3.0).read(tf.constant(1)),
    "dynamic": lambda tf: (lambda ta: (ta.size(), ta.stack(), ta.concat(), ta.gather([3, 0])))(
        tf.TensorArray(tf.int32, size=0, dynamic_size=True).write(0, [1, 2]).write(3, [5, 6])),
    "dynamic read past end": lambda tf: tf.TensorArray(tf.float32, size=0, dynamic_size=True).read(2),
    "unstack": lambda tf: (lambda ta: (ta.stack(), str(ta.element_shape)))(
        tf.TensorArray(tf.float32, size=2).unstack([[1.0, 2.0], [3.0, 4.0]])),
    "unstack too many": lambda tf: tf.TensorArray(tf.float32, size=1).unstack([1.0, 2.0]),
    "scatter": lambda tf: (lambda ta: (ta.stack(), str(ta.element_shape)))(
        tf.TensorArray(tf.float32, size=4).scatter([1, 3], [[1.0], [2.0]])),
    "scatter grows": lambda tf: tf.TensorArray(tf.float32, size=0, dynamic_size=True).scatter([3], [1.0]).size(),
    "scatter out of range": lambda tf: tf.TensorArray(tf.float32, size=1).scatter([3], [1.0]),
    "split": lambda tf: tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2]).read(1),
    "concat ragged": lambda tf: tf.TensorArray(tf.float32, size=2, infer_shape=False)
        .write(0, [1.0]).write(1, [2.0, 3.0]).concat(),
    "empty stack": lambda tf: tf.TensorArray(tf.float32, size=0).stack(),
    "empty stack with shape": lambda tf: tf.TensorArray(tf.float32, size=0, element_shape=[2, 3]).stack(),
    "unknown shape unwritten": lambda tf: tf.TensorArray(tf.float32, size=2).read(0),
    "partial shape": lambda tf: str(tf.TensorArray(tf.float32, size=2, element_shape=[None, 2])
                                    .write(0, [[1.0, 2.0]]).element_shape),
    "no size": lambda tf: tf.TensorArray(tf.float32),
    "string dtype name": lambda tf: tf.TensorArray("float32", size=1).dtype.name,
    "identity and close": lambda tf: (written(tf).identity().stack(), written(tf).close()),
}


@pytest.mark.parametrize("case", CASES)
def test_same_as_tf(case):
    same_outcome(CASES[case])


def test_gradient_through_write_and_stack():
    def fn(tf, x):
        ta = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            ta = ta.write(i, x[i] * x[i])
        return ta.stack() * [1.0, 2.0, 3.0]
    check(fn, np.array([1.0, 2.0, 3.0], np.float32))


def test_gradient_through_unstack_read_and_concat():
    def fn(tf, x):
        ta = tf.TensorArray(tf.float32, size=3, clear_after_read=False).unstack(x * 2.0)
        return ta.read(1) * ta.read(2) + tf.reduce_sum(ta.concat()), ta.gather([2, 0])
    check(fn, np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32))


def test_unrolled_loop_inside_function():
    def fn(tf, x):
        @tf.function
        def cumulative(x):
            ta = tf.TensorArray(tf.float32, size=4)
            acc = tf.constant(0.0)
            for i in range(4):
                acc = acc + x[i]
                ta = ta.write(i, acc)
            return ta.stack()
        return cumulative(x)
    check(fn, np.array([1.0, 2.0, 3.0, 4.0], np.float32))


def _squares(tf, x):
    ta = tf.TensorArray(tf.float32, size=3, element_shape=[], clear_after_read=False)

    def body(i, ta):
        return i + 1, ta.write(i, x[i] * x[i])
    _, ta = tf.while_loop(lambda i, ta: i < 3, body, [tf.constant(0), ta])
    return ta.stack() * [1.0, 2.0, 3.0], ta.read(2), ta.gather([0, 2])


def test_carried_through_eager_while_loop_with_gradient():
    check(_squares, np.array([1.0, 2.0, 3.0], np.float32))


def test_carried_through_compiled_while_loop_with_gradient():
    check(lambda tf, x: tf.function(lambda x: _squares(tf, x))(x), np.array([1.0, 2.0, 3.0], np.float32))


def test_traced_index_needs_a_known_element_shape():
    @jaxtape.function
    def f():
        ta = jaxtape.TensorArray(jaxtape.float32, size=3)
        return jaxtape.while_loop(lambda i, ta: i < 3, lambda i, ta: (i + 1, ta.write(i, 1.0)),
                                  [jaxtape.constant(0), ta])[1].stack()
    with pytest.raises(ValueError, match="element_shape="):
        f()
