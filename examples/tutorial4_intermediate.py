"""Tutorial 4: gradients with respect to intermediate values.

Any tensor produced while the tape is recording can be used as a source.
"""
import tensorflow as tf

# y = sum of four ones = 4, z = y * y: dz/dy = 2y = 8 and, since each element
# contributes 1 to y, dz/dx = 8 everywhere.
x = tf.ones((2, 2))
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = tf.reduce_sum(x)
    z = tf.multiply(y, y)
dz_dx = tape.gradient(z, x)
dz_dy = tape.gradient(z, y)
print(x)
print(y)
print(z)
print(dz_dx)
print(dz_dx.numpy())
print(dz_dy)
print(dz_dy.numpy())
# Sources can be mixed: the original input and the intermediate together.
print(tape.gradient(z, [x, y]))
del tape
