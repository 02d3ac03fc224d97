"""Forward-mode autodiff with tf.autodiff.ForwardAccumulator.

A ForwardAccumulator pushes a tangent (direction) through the computation
and reports Jacobian-vector products; combined with a GradientTape it gives
Hessian-vector products.
"""
import tensorflow as tf

# jvp of y = x^3 (element-wise) in the direction e0: 3x^2 * v.
x = tf.constant([1.0, 2.0, 3.0])
v = tf.constant([1.0, 0.0, 0.0])
with tf.autodiff.ForwardAccumulator(primals=x, tangents=v) as acc:
    y = x * x * x
    s = tf.reduce_sum(y)
print(acc.jvp(y))
print(acc.jvp(s))
# jvp accepts nested structures.
print(acc.jvp({'y': y, 's': s}))

# Tensors that do not depend on the primals have no tangent unless zeros are requested.
with tf.autodiff.ForwardAccumulator(x, v) as acc:
    unrelated = tf.constant(2.0) * 3.0
print(acc.jvp(unrelated))
print(acc.jvp(unrelated, unconnected_gradients=tf.UnconnectedGradients.ZERO))

# Variables can be primals too: d(W @ u) in the direction T is T @ u.
w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
u = tf.constant([[1.0], [-1.0]])
tangent = tf.constant([[1.0, 0.0], [0.0, 2.0]])
with tf.autodiff.ForwardAccumulator(w, tangent) as acc:
    out = tf.matmul(w, u)
print(out)
print(acc.jvp(out))

# Several primals with their own tangents: f(a, b) = a * b + b, so
# jvp = (b * ta) + (a + 1) * tb.
a = tf.constant(2.0)
b = tf.constant(5.0)
with tf.autodiff.ForwardAccumulator([a, b], [tf.constant(1.0), tf.constant(10.0)]) as acc:
    f = a * b + b
print(acc.jvp(f))

# Hessian-vector product, forward over backward: for sum(x^3) the Hessian is
# diag(6x), so H v = 6 x v.
x = tf.constant([1.0, 2.0])
v = tf.constant([1.0, 1.0])
with tf.autodiff.ForwardAccumulator(x, v) as acc:
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x * x * x)
    g = tape.gradient(y, x)
print(g)
print(acc.jvp(g))

# The same product, backward over forward.
with tf.GradientTape() as tape:
    tape.watch(x)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = tf.reduce_sum(x * x * x)
    directional = acc.jvp(y)
print(directional)
print(tape.gradient(directional, x))

# Nested accumulators give second directional derivatives: 6 x v v.
x = tf.constant([1.0, 2.0])
v = tf.constant([1.0, 2.0])
with tf.autodiff.ForwardAccumulator(x, v) as outer:
    with tf.autodiff.ForwardAccumulator(x, v) as inner:
        y = x * x * x
    d1 = inner.jvp(y)
d2 = outer.jvp(d1)
print(d1)
print(d2)
