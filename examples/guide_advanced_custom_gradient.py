"""Advanced autodiff guide, part 2: custom gradients with tf.custom_gradient.

The decorated function returns its output together with a function that maps
the upstream gradient to gradients for the inputs.
"""
import tensorflow as tf


# Identity in the forward pass; the backward pass clips the gradient norm.
@tf.custom_gradient
def clip_gradients(y):
    def backward(dy):
        return tf.clip_by_norm(dy, 0.5)
    return y, backward


v = tf.Variable(2.0)
with tf.GradientTape() as t:
    output = clip_gradients(v * v)
# The upstream 1.0 is clipped to 0.5, then scaled by d(v*v)/dv = 4.
print(output)
print(t.gradient(output, v))


# log(1 + e^x): the textbook gradient overflows to nan for large x; a custom
# gradient written as 1 - 1/(1 + e^x) stays finite.
def log1pexp_naive(x):
    return tf.math.log(1 + tf.exp(x))


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))
    return tf.math.log(1 + e), grad


for fn in (log1pexp_naive, log1pexp):
    for value in (0.0, 100.0):
        x = tf.constant(value)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        print(fn.__name__, value, tape.gradient(y, x))

# The custom gradient is itself differentiable: d2/dx2 at 0 is 1/4.
x = tf.constant(0.0)
with tf.GradientTape() as outer:
    outer.watch(x)
    with tf.GradientTape() as inner:
        inner.watch(x)
        y = log1pexp(x)
    dy_dx = inner.gradient(y, x)
print(dy_dx)
print(outer.gradient(dy_dx, x))


# Straight-through rounding: round in the forward pass, pass the gradient through.
@tf.custom_gradient
def round_straight_through(x):
    def grad(dy):
        return dy
    return tf.round(x), grad


x = tf.constant([0.4, 1.6, 2.5, -1.5])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = 3.0 * round_straight_through(x)
    y_plain = 3.0 * tf.round(x)
print(y)
print(tape.gradient(y, x))
# tf.round itself has no useful gradient, so the plain version is unconnected.
print(tape.gradient(y_plain, x))
del tape


# Two inputs: the gradient function returns one gradient per input.
@tf.custom_gradient
def mul_only_first(a, b):
    def grad(dy):
        # Deliberately block the gradient to b.
        return dy * b, tf.zeros_like(b)
    return a * b, grad


a = tf.constant([1.0, 2.0])
b = tf.constant([3.0, 4.0])
with tf.GradientTape() as tape:
    tape.watch([a, b])
    out = tf.reduce_sum(mul_only_first(a, b))
print(out)
print(tape.gradient(out, [a, b]))

# A custom gradient that reads a variable must also return its gradient
# through the `variables` keyword.
w = tf.Variable(3.0)


@tf.custom_gradient
def scale_by_w(x):
    def grad(dy, variables=None):
        dx = dy * w
        # Report ten times the true gradient for w to show it is used.
        dw = [10.0 * tf.reduce_sum(dy * x)]
        return dx, dw
    return x * w, grad


x = tf.constant([1.0, 2.0])
with tf.GradientTape() as tape:
    tape.watch(x)
    out = tf.reduce_sum(scale_by_w(x))
print(out)
print(tape.gradient(out, [x, w]))
