"""Autodiff guide, part 4: non-scalar targets and control flow.

Several targets, or a non-scalar target, give the gradient of their sum.
Python control flow simply decides which operations get recorded.
"""
import tensorflow as tf

x = tf.Variable(2.0)
with tf.GradientTape(persistent=True) as tape:
    y0 = x ** 2
    y1 = 1 / x
print(tape.gradient(y0, x).numpy())   # 2x = 4
print(tape.gradient(y1, x).numpy())   # -1/x^2 = -0.25
del tape

# A dict of targets: 4 + (-0.25).
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y0 = x ** 2
    y1 = 1 / x
print(tape.gradient({'y0': y0, 'y1': y1}, x).numpy())

# A vector target: 3 + 4.
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = x * [3.0, 4.0]
print(tape.gradient(y, x).numpy())

# Element-wise functions: the gradient of the sum is the per-element slope.
x = tf.linspace(-2.0, 2.0, 5)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = 0.5 * x * x
dy_dx = tape.gradient(y, x)
print(x)
print(dy_dx)

# Control flow: only the branch that ran is connected to the result, and the
# condition itself has no gradient.
for value in (1.0, -1.0):
    x = tf.constant(value)
    v0 = tf.Variable(2.0)
    v1 = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:
            result = v0
        else:
            result = v1 ** 2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    print(dv0)
    print(dv1)
    print(tape.gradient(result, x))
    del tape
