"""Resuming training from a `.keras` file that real TensorFlow wrote.

`keras_resume_tf.keras` beside this script was saved by TensorFlow + Keras
after two epochs of `model.fit` (`python examples/keras_resume.py --save`,
run under real TensorFlow, rewrites it). The script loads it, weights and
Adam's state included, checks where training stood, trains on with a
`tf.function` train step, and saves and reloads its own file. Under jaxtape
the same lines resume TensorFlow's training from TensorFlow's file.
"""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
START = os.path.join(HERE, "keras_resume_tf.keras")

rng = np.random.default_rng(7)
n, features, classes = 192, 6, 3
centers = rng.normal(scale=2.0, size=(classes, features)).astype(np.float32)
y_train = rng.integers(0, classes, size=n).astype(np.int32)
x_train = (centers[y_train] + rng.normal(size=(n, features))).astype(np.float32)

if "--save" in sys.argv:
    model = tf.keras.Sequential([tf.keras.Input((features,)),
                                 tf.keras.layers.Dense(24, activation="relu"),
                                 tf.keras.layers.BatchNormalization(),
                                 tf.keras.layers.Dense(classes)])
    init = np.random.default_rng(0)
    model.set_weights([init.normal(scale=0.3, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.layers[1].moving_variance.assign(np.ones(24, np.float32))
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=2, batch_size=48, shuffle=False, verbose=0)
    model.save(START)
    print("saved", START)
    sys.exit()

model = tf.keras.models.load_model(START)
optimizer = model.optimizer
loss_fn = model.loss
print("restored optimizer steps:", int(optimizer.iterations.numpy()))


def evaluate(model):
    logits = model(x_train, training=False)
    accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
    accuracy.update_state(y_train, logits)
    return float(loss_fn(y_train, logits)), float(accuracy.result())


loss, accuracy = evaluate(model)
print(f"after TF's two epochs: loss {loss:.4f}, accuracy {accuracy:.4f}")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for epoch in range(2, 4):
    losses = [train_step(tf.constant(x_train[i:i + 48]), tf.constant(y_train[i:i + 48]))
              for i in range(0, n, 48)]
    print(f"epoch {epoch}: mean batch loss {float(tf.reduce_mean(tf.stack(losses))):.4f}")

print("optimizer steps now:", int(optimizer.iterations.numpy()))
bn = model.layers[1]
print("moving mean (first 3):", [round(float(v), 3) for v in bn.moving_mean.numpy()[:3]])

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "resumed.keras")
    model.save(path)
    again = tf.keras.models.load_model(path)
    print("reloaded model evaluates the same:", evaluate(again) == evaluate(model),
          "; steps:", int(again.optimizer.iterations.numpy()))
loss, accuracy = evaluate(model)
print(f"after two more epochs: loss {loss:.4f}, accuracy {accuracy:.4f}")
