"""Tutorial 2: second derivatives with nested tapes.

The outer tape can only differentiate the inner gradient if that gradient was
computed while the outer tape was still recording.
"""
import tensorflow as tf

# y = x^3 at x = 1: dy/dx = 3, d2y/dx2 = 6.
x = tf.Variable(1.0)
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = x * x * x
    # Still inside `outer`, so the backward pass of `inner` is recorded too.
    dy_dx = inner.gradient(y, x)
d2y_dx2 = outer.gradient(dy_dx, x)
print(dy_dx)
print(d2y_dx2)

# Same thing for a watched constant; both tapes must watch it.
x = tf.constant(1.0)
with tf.GradientTape() as outer:
    outer.watch(x)
    with tf.GradientTape() as inner:
        inner.watch(x)
        y = x * x * x
    dy_dx = inner.gradient(y, x)
d2y_dx2 = outer.gradient(dy_dx, x)
print([dy_dx, d2y_dx2])

# Taking the inner gradient after leaving `outer`: the outer tape never saw
# how dy_dx was computed, so the second derivative is None.
x = tf.Variable(1.0)
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = x * x * x
dy_dx = inner.gradient(y, x)
d2y_dx2 = outer.gradient(dy_dx, x)
print(dy_dx)
print(d2y_dx2)

# A polynomial y = 2x^3 + 5x^2 + 3x at x = 2 (y = 42):
#   dy/dx = 6x^2 + 10x + 3 = 47, d2y/dx2 = 12x + 10 = 34,
# and for z = y^4, dz/dy = 4 * 42^3 = 296352.
x = tf.Variable(2.0)
with tf.GradientTape() as outer:
    # Persistent, because two gradients are taken from the inner tape.
    with tf.GradientTape(persistent=True) as inner:
        y = 2 * x ** 3 + 5 * x ** 2 + 3 * x
        z = y ** 4
    dy_dx = inner.gradient(y, x)
    dz_dy = inner.gradient(z, y)
d2y_dx2 = outer.gradient(dy_dx, x)
print(y)
print(z)
print(dy_dx)
print(d2y_dx2)
print(dz_dy)
print(dz_dy.numpy())
