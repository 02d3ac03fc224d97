"""Autodiff guide, part 3: controlling what the tape watches.

Only trainable variables are watched automatically; tensors need watch(), and
watch_accessed_variables=False turns automatic watching off.
"""
import tensorflow as tf

x0 = tf.Variable(3.0, name='x0')                   # trainable variable: watched
x1 = tf.Variable(3.0, name='x1', trainable=False)  # not trainable: ignored
x2 = tf.Variable(2.0, name='x2') + 1.0              # variable + number is a Tensor
x3 = tf.constant(3.0, name='x3')                    # a Tensor, never watched here

with tf.GradientTape() as tape:
    y = (x0 ** 2) + (x1 ** 2) + (x2 ** 2)

grad = tape.gradient(y, [x0, x1, x2, x3])
for g in grad:
    print(g)
print(x1.trainable)
print([var.name for var in tape.watched_variables()])

# Watching a tensor explicitly.
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x ** 2
print(tape.gradient(y, x).numpy())

# With automatic watching off, only the explicitly watched variable connects.
# softplus'(0) = sigmoid(0) = 0.5.
a = tf.Variable(0.0, name='a')
b = tf.Variable(0.0, name='b')
with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(b)
    y0 = tf.math.sin(a)
    y1 = tf.nn.softplus(b)
    y = y0 + y1
    ys = tf.reduce_sum(y)
grad = tape.gradient(ys, {'a': a, 'b': b})
print('dy/da:', grad['a'])
print('dy/db:', grad['b'].numpy())
print([var.name for var in tape.watched_variables()])
