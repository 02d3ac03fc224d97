"""Autodiff guide, part 5: when gradient() returns None, and getting zeros.

A target that is not connected to a source gives None. The less obvious
ways to disconnect it are shown one by one.
"""
import numpy as np
import tensorflow as tf

# Plainly unconnected: z only depends on y.
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as tape:
    z = y * y
print(tape.gradient(z, x))

# 1. Rebinding a Variable to a Tensor: the second pass differentiates with
#    respect to an unwatched tensor.
x = tf.Variable(2.0)
for epoch in range(2):
    with tf.GradientTape() as tape:
        y = x + 1
    print(epoch, isinstance(x, tf.Variable), tape.gradient(y, x))
    x = x + 1

# ... whereas updating in place keeps the Variable.
x = tf.Variable(2.0)
for epoch in range(2):
    with tf.GradientTape() as tape:
        y = x + 1
    print(epoch, isinstance(x, tf.Variable), tape.gradient(y, x))
    x.assign_add(1)
print(x.numpy())

# 2. A step computed with NumPy is invisible to the tape.
x = tf.Variable([[1.0, 2.0],
                 [3.0, 4.0]], dtype=tf.float32)
with tf.GradientTape() as tape:
    x2 = x ** 2
    y = np.mean(x2, axis=0)
    # The NumPy result comes back as a new constant tensor.
    y = tf.reduce_mean(y, axis=0)
print(y)
print(tape.gradient(y, x))

# 3. Integers are not differentiable (TF also logs a warning on stderr).
x = tf.constant(10)
with tf.GradientTape() as g:
    g.watch(x)
    y = x * x
print(y)
print(g.gradient(y, x))

# 4. State blocks gradients: after assign_add, x1 is just a variable read.
x0 = tf.Variable(3.0)
x1 = tf.Variable(0.0)
with tf.GradientTape() as tape:
    x1.assign_add(x0)
    y = x1 ** 2
print(y)
print(tape.gradient(y, x0))

# Zeros instead of None for unconnected sources.
x = tf.Variable([2.0, 2.0])
y = tf.Variable(3.0)
with tf.GradientTape(persistent=True) as tape:
    z = y ** 2
print(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO))
print(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.NONE))
print(tape.gradient(z, [x, y], unconnected_gradients='zero'))
del tape
