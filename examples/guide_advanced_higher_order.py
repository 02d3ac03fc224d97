"""Advanced autodiff guide, part 3: multiple tapes and higher-order gradients.

Each tape only sees what it watches; a gradient computed inside an outer
tape is recorded by it and can be differentiated again.
"""
import tensorflow as tf

# Two tapes, each watching a different input.
x0 = tf.constant(0.0)
x1 = tf.constant(0.0)
with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
    tape0.watch(x0)
    tape1.watch(x1)
    y0 = tf.math.sin(x0)
    y1 = tf.nn.sigmoid(x1)
    y = y0 + y1
    ys = tf.reduce_sum(y)
print(tape0.gradient(ys, x0).numpy())   # cos(0) = 1
print(tape1.gradient(ys, x1).numpy())   # sigmoid'(0) = 0.25

# Second derivative of x^3 at 1.
x = tf.Variable(1.0)
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        y = x * x * x
    dy_dx = t1.gradient(y, x)
d2y_dx2 = t2.gradient(dy_dx, x)
print('dy_dx:', dy_dx.numpy())
print('d2y_dx2:', d2y_dx2.numpy())

# Third derivative by stacking one more tape: d3(x^3)/dx3 = 6.
x = tf.constant(2.0)
with tf.GradientTape() as t3:
    t3.watch(x)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = x * x * x
        d1 = t1.gradient(y, x)
    d2 = t2.gradient(d1, x)
d3 = t3.gradient(d2, x)
print([d1.numpy(), d2.numpy(), d3.numpy()])

# Input-gradient regularization with a hand-written relu layer (fixed weights
# in place of a Keras layer): penalize the norm of d(output)/d(input) and
# differentiate that penalty with respect to the layer's variables.
x = tf.constant([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]])
kernel = tf.Variable([[1.0, -1.0, 2.0, 0.0], [0.0, 1.0, -1.0, 1.0]], name='kernel')
bias = tf.Variable([0.0, 0.5, 0.0, -1.0], name='bias')


def layer(inputs):
    return tf.nn.relu(inputs @ kernel + bias)


with tf.GradientTape() as t2:
    # The inner tape differentiates with respect to the input only.
    with tf.GradientTape(watch_accessed_variables=False) as t1:
        t1.watch(x)
        out = tf.reduce_sum(layer(x) ** 2)
    g1 = t1.gradient(out, x)
    g1_mag = tf.norm(g1)
dg1_mag = t2.gradient(g1_mag, [kernel, bias])
print(out)
print(g1)
print(g1_mag)
print([var.shape for var in dg1_mag])
print([var.name for var in t2.watched_variables()])
