"""Host callbacks in a `tf.function` called under a tape: once per call, as in TF.

The function's VJP must not run its forward (and so its callbacks) again;
`py_function` inside it is differentiable as in TF, `numpy_function` is not.
"""
from __future__ import annotations

import numpy as np

from difftest import same_values


def _calls_and_gradients(tf, path):
    calls = []

    def host(a):
        calls.append("numpy")
        return (a * 2).astype(np.float32)

    def pyf(a):
        calls.append("py")
        return a * a * 3.0

    w = tf.Variable(3.0)

    @tf.function
    def f(x):
        tf.print("x =", x, output_stream=f"file://{path}")
        y = tf.numpy_function(host, [x], tf.float32)
        z = tf.py_function(pyf, [x], tf.float32)
        return w * x * x + y * w + z * x

    x = tf.constant(2.0)
    out = [f(x)]  # traced here: jaxtape runs the callbacks once more to learn their shapes
    calls.clear()
    for _ in range(2):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        out.append([y, tape.gradient(y, [x, w]), list(calls)])
    with open(path) as fh:
        out.append(fh.read())
    return out


def test_callbacks_run_once_per_call_under_a_tape_with_tf_gradients(tmp_path):
    paths = iter([tmp_path / "tf.txt", tmp_path / "jaxtape.txt"])
    same_values(lambda tf: _calls_and_gradients(tf, next(paths)))


def test_py_function_is_differentiable_under_a_tape_inside_the_function():
    def body(tf):
        @tf.function
        def f(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.py_function(lambda a: tf.sin(a) * a, [x], tf.TensorSpec([3], tf.float32))
                s = tf.reduce_sum(y * 2.0)
            return s, tape.gradient(s, x)
        return [f(tf.constant([0.5, 1.0, 2.0])), f(tf.constant([1.5, -1.0, 0.0]))]
    same_values(body)
