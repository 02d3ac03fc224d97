"""Autodiff guide, part 1: computing gradients.

Scalar gradients, several variables passed as a list or dict, gradients with
respect to intermediate values, and persistent tapes. Weights are fixed
small integers (instead of random) so every printed value is exact.
"""
import tensorflow as tf

# d(x^2)/dx at x = 3.
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x ** 2
dy_dx = tape.gradient(y, x)
print(dy_dx.numpy())

# A tiny linear model. x @ w = [[-2, 4]], loss = mean([4, 16]) = 10,
# dloss/dy = y, so dloss/dw = x^T y and dloss/db = y.
w = tf.Variable([[1.0, 2.0], [0.0, 1.0], [-1.0, 0.0]], name='w')
b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
x = [[1.0, 2.0, 3.0]]
with tf.GradientTape(persistent=True) as tape:
    # A plain Python list on the left of @ is converted to a tensor.
    y = x @ w + b
    loss = tf.reduce_mean(y ** 2)
print(y)
print(loss)

# Sources may be any nest of lists/dicts; the result has the same structure.
[dl_dw, dl_db] = tape.gradient(loss, [w, b])
print(w.shape)
print(dl_dw.shape)
print(dl_dw)
print(dl_db)

grads = tape.gradient(loss, {'w': w, 'b': b})
print(sorted(grads))
print(grads['b'])
print(tape.gradient(loss, {'params': [w, b], 'bias_only': (b,)}))
del tape

# Gradient with respect to an intermediate: z = y^2 with y = x^2 = 9 gives dz/dy = 18.
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x
    z = y * y
print(tape.gradient(z, y).numpy())

# A persistent tape answers several gradient() calls: 4x^3 and 2x at x = [1, 3].
x = tf.constant([1, 3.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y
print(tape.gradient(z, x).numpy())
print(tape.gradient(y, x).numpy())
del tape
