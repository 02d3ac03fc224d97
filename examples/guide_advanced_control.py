"""Advanced autodiff guide, part 1: controlling recording.

stop_recording() pauses the tape, reset() discards what it has recorded, and
tf.stop_gradient() blocks a single path without touching the tape.
"""
import tensorflow as tf

# stop_recording: y*y is computed but not recorded, so dz/dy is None.
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    x_sq = x * x
    with t.stop_recording():
        y_sq = y * y
    z = x_sq + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])
print(z)

# reset: everything recorded before the call is forgotten, including y*y.
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    y_sq = y * y
    t.reset()
    z = x * x + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])

# Without the reset both paths are connected (dz/dy = 2y = 6).
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    y_sq = y * y
    z = x * x + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])

# stop_gradient cuts one path precisely.
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    y_sq = y ** 2
    z = x ** 2 + tf.stop_gradient(y_sq)
grad = t.gradient(z, {'x': x, 'y': y})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])
print(grad)

# stop_gradient inside an expression: only the unblocked factor contributes.
# z = x * sg(x) at x = 3 has slope sg(x) = 3, not 2x = 6.
x = tf.constant(3.0)
with tf.GradientTape() as t:
    t.watch(x)
    z = x * tf.stop_gradient(x)
print(t.gradient(z, x))
