"""`tf.numpy_function` / `tf.py_function` against real TensorFlow: eager, under a tape, in `tf.function`."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from difftest import check, same_outcome, same_values

X = [1.0, 2.0]


def boom(exc):
    def f(*args):
        raise exc("boom")
    return f


CASES = {
    "np basic": lambda tf: tf.numpy_function(lambda a: a * 2, [tf.constant(X)], tf.float32),
    "np sees ndarray": lambda tf: tf.numpy_function(lambda a: np.array(type(a) is np.ndarray),
                                                    [tf.constant(X)], tf.bool),
    "np list Tout": lambda tf: tf.numpy_function(lambda a: [a, a.sum()], [tf.constant(X)],
                                                 [tf.float32, tf.float32]),
    "np one-element list Tout": lambda tf: tf.numpy_function(lambda a: [a], [tf.constant(X)], [tf.float32]),
    "np tuple Tout": lambda tf: tf.numpy_function(lambda a: (a, a), [tf.constant(X)], (tf.float32, tf.float32)),
    "np keeps returned dtype": lambda tf: tf.numpy_function(lambda a: a.astype(np.float64),
                                                            [tf.constant(X)], tf.float32),
    "np python float": lambda tf: tf.numpy_function(lambda a: 1.5, [tf.constant(X)], tf.float64),
    "np None": lambda tf: tf.numpy_function(lambda a: None, [tf.constant(X)], []),
    "np raises as is": lambda tf: tf.numpy_function(boom(ValueError), [tf.constant(X)], tf.float32),
    "py basic": lambda tf: tf.py_function(lambda a: a * 2, [tf.constant(X)], tf.float32),
    "py numpy result": lambda tf: tf.py_function(lambda a: a.numpy() * 2, [tf.constant(X)], tf.float32),
    "py python float to Tout": lambda tf: tf.py_function(lambda a: 1.5, [tf.constant(X)], tf.float64),
    "py one-element list": lambda tf: tf.py_function(lambda a: [a], [tf.constant(X)], [tf.float32]),
    "py None": lambda tf: tf.py_function(lambda a: None, [tf.constant(X)], []),
    "py TensorSpec Tout": lambda tf: tf.py_function(lambda a: a * 2, [tf.constant(X)],
                                                    tf.TensorSpec([2], tf.float32)),
}


@pytest.mark.parametrize("case", CASES)
def test_eager_same_as_tf(case):
    same_outcome(CASES[case])


@pytest.mark.parametrize("exc, name", [(ValueError, "InvalidArgumentError"),
                                       (TypeError, "InvalidArgumentError"),
                                       (ZeroDivisionError, "UnknownError")])
def test_py_function_errors_have_tf_classes(exc, name):
    got = same_outcome(lambda tf: tf.py_function(boom(exc), [tf.constant(X)], tf.float32), message=False)
    assert got[1] == name


def test_py_function_wrong_dtype_raises_as_tf():
    same_outcome(lambda tf: tf.py_function(lambda a: tf.cast(a, tf.float64), [tf.constant(X)], tf.float32),
                 message=False)


def test_py_function_is_differentiable_and_numpy_function_is_not():
    # A non-persistent tape: TF's py_function gradient fails under a persistent one (KeyError pyfunc_0).
    def fn(tf):
        x, w = tf.constant(X), tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.py_function(lambda a, b: a * a * b, [x, w], tf.float32)
            z = tf.numpy_function(lambda a: a * a, [x], tf.float32) * w
            loss = tf.reduce_sum(y) + tf.reduce_sum(z)
        return y, tape.gradient(loss, [x, w])
    same_values(fn)


def test_py_function_gradient_reaches_a_variable():
    def fn(tf):
        v = tf.Variable(2.0)
        with tf.GradientTape() as tape:
            y = tf.py_function(lambda a: a * a, [v], tf.float32)
        return y, tape.gradient(y, v)
    same_values(fn)


def test_inside_function_runs_every_call():
    def fn(tf, x):
        calls = []

        @tf.function
        def f(x):
            y = tf.numpy_function(lambda a: (calls.append(1), a * 3)[1], [x], tf.float32)
            z = tf.py_function(lambda a: [a + 1, tf.reduce_sum(a)], [x], [tf.float32, tf.float32])
            w = tf.numpy_function(lambda a: a[:1], [x], tf.float32)
            return y + z[1], z[0], w
        first, second = f(x), f(x * 2)
        assert len(calls) >= 2
        return first, second
    check(fn, np.array(X, np.float32), grad=False)


def test_compiled_shapes_from_tensor_spec_skip_the_probe():
    calls = []

    @jaxtape.function
    def f(x):
        y = jaxtape.numpy_function(lambda a: (calls.append(1), a[:1])[1], [x],
                                   jaxtape.TensorSpec([1], jaxtape.float32))
        assert y.shape == (1,)
        return y
    assert f(jaxtape.constant(X)).numpy().tolist() == [1.0]
    assert f(jaxtape.constant([5.0, 6.0])).numpy().tolist() == [5.0]
    assert len(calls) == 2
