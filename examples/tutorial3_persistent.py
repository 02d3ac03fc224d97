"""Tutorial 3: persistent tapes.

A tape normally frees its record after the first gradient() call; persistent
tapes allow several calls over the same computation.
"""
import tensorflow as tf

# y = x^2, z = y^2 = x^4 at x = 3: dz/dx = 4 * 27 = 108, dy/dx = 6.
x = tf.constant(3.0)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y
dz_dx = tape.gradient(z, x)
dy_dx = tape.gradient(y, x)
print(dz_dx)
print(dy_dx)
print([dz_dx.numpy(), dy_dx.numpy()])
# Dropping the reference releases the recorded operations.
del tape

# Several targets at once from a persistent tape, including a vector input.
x = tf.constant([1.0, 3.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y
print(tape.gradient(z, x))
print(tape.gradient(y, x))
print(tape.gradient(z, y))
del tape

# A non-persistent tape refuses a second gradient() call.
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x
    z = y * y
print(tape.gradient(z, x))
try:
    tape.gradient(y, x)
except RuntimeError as e:
    print(type(e).__name__, e)
