"""Tutorial 1: first gradients with tf.GradientTape.

Covers a trainable variable (watched automatically), a constant (watched
explicitly), a reduction followed by a square, and a power.
"""
import tensorflow as tf

# A trainable tf.Variable is watched as soon as it is read inside the tape.
w = tf.Variable([1.0])
print(w)
with tf.GradientTape() as tape:
    loss = w * w
grad = tape.gradient(loss, w)
print(grad)
print(grad.numpy())

# A tensor is only tracked after tape.watch(); the result matches the variable case.
c = tf.constant([1.0])
with tf.GradientTape() as tape:
    tape.watch(c)
    loss = c * c
print(tape.gradient(loss, c))

# Forgetting watch() leaves the constant unconnected, so the gradient is None.
with tf.GradientTape() as tape:
    loss = c * c
print(tape.gradient(loss, c))

# z = (sum of six ones)^2, so dz/dx = 2 * 6 = 12 for every element.
x = tf.ones((2, 3))
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.reduce_sum(x)
    z = tf.square(y)
dz_dx = tape.gradient(z, x)
print(y)
print(z)
print(dz_dx)
print(dz_dx.numpy())

# x ** 3 at x = 5: value 125, slope 3 * 25 = 75. Printing a list shows the reprs.
x = tf.Variable(5.0)
with tf.GradientTape() as tape:
    y = x ** 3
dy_dx = tape.gradient(y, x)
print([y, dy_dx])
print(dy_dx.numpy())
