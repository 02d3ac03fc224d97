"""Tutorial 5: Python control flow under the tape.

The tape records only the operations that actually run, so ordinary `if`,
`for` and `while` statements are differentiated along the path taken.
This tutorial imports the tape class from its internal module, as some
older code does.
"""
import tensorflow as tf
from tensorflow.python.eager.backprop import GradientTape


def f(x, y):
    output = 1.0
    for i in range(y):
        # Multiplies by x once for each i in 2, 3, 4 that the loop reaches.
        if i > 1 and i < 5:
            output = tf.multiply(output, x)
    return output


def grad(x, y):
    with GradientTape() as tape:
        tape.watch(x)
        out = f(x, y)
    return tape.gradient(out, x)


x = tf.convert_to_tensor(2.0)
# y=6 and y=5 give x^3 (slope 3x^2 = 12); y=4 gives x^2 (slope 2x = 4).
print(grad(x, 6).numpy())
print(grad(x, 5).numpy())
print(grad(x, 4).numpy())
print(grad(x, 6))


def g(m):
    # Iterating over a 2-D tensor yields its rows; the branch depends on data.
    total = tf.constant(0.0)
    for row in m:
        if tf.reduce_sum(row) > 0:
            total += tf.reduce_sum(row * row)
        else:
            total -= tf.reduce_sum(row)
    return total


m = tf.constant([[1.0, 2.0], [-3.0, 1.0], [0.5, 0.5]])
with GradientTape() as tape:
    tape.watch(m)
    out = g(m)
print(out)
print(tape.gradient(out, m))

# A while loop whose trip count depends on a tensor value: doubles v until it
# exceeds 10, so out = 8v for v = 1.5 and the slope is 8.
v = tf.Variable(1.5)
with GradientTape() as tape:
    out = v * 1.0
    while out < 10.0:
        out = out * 2.0
print(out)
print(tape.gradient(out, v))
