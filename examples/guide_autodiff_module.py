"""Autodiff guide, part 2: gradients with respect to a model's variables.

The guide uses a Keras layer here; a plain tf.Module with fixed weights shows
the same pattern without Keras. tf.Module collects its tf.Variables, and
trainable_variables skips the non-trainable ones.
"""
import tensorflow as tf


class Dense(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.kernel = tf.Variable([[1.0, -1.0], [0.0, 2.0], [1.0, 0.0]], name='kernel')
        self.bias = tf.Variable([0.0, 1.0], name='bias')
        # Not trainable: excluded from trainable_variables and never watched.
        self.scale = tf.Variable(2.0, trainable=False, name='scale')

    def __call__(self, x):
        return tf.nn.relu(x @ self.kernel + self.bias) * self.scale


layer = Dense(name='dense')
x = tf.constant([[1.0, 2.0, 3.0]])

with tf.GradientTape() as tape:
    y = layer(x)
    loss = tf.reduce_mean(y ** 2)

grad = tape.gradient(loss, layer.trainable_variables)
print(y)
print(loss)
print(layer.name)
print([var.name for var in layer.variables])
for var, g in zip(layer.trainable_variables, grad):
    print(f'{var.name}, shape: {g.shape}')
    print(g)
print([var.name for var in tape.watched_variables()])
