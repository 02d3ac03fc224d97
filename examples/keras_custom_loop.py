"""Writing a training loop from scratch: a Keras model, a GradientTape, Adam.

Modeled on TensorFlow's guide "Writing a training loop from scratch", on
synthetic data (two noisy interleaved classes plus a third) so it runs
without downloads and gives the same numbers everywhere.
"""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(42)
n, features, classes = 256, 8, 3
centers = rng.normal(scale=2.0, size=(classes, features)).astype(np.float32)
y_train = rng.integers(0, classes, size=n).astype(np.int32)
x_train = (centers[y_train] + rng.normal(size=(n, features))).astype(np.float32)

inputs = tf.keras.Input(shape=(features,), name="digits")
h = tf.keras.layers.Dense(32, activation="relu", name="dense_1")(inputs)
h = tf.keras.layers.Dense(32, activation="relu", name="dense_2")(h)
outputs = tf.keras.layers.Dense(classes, name="predictions")(h)
model = tf.keras.Model(inputs=inputs, outputs=outputs)

# Weights from NumPy, so every framework starts from the same point.
init = np.random.default_rng(0)
model.set_weights([init.normal(scale=0.3, size=w.shape).astype(np.float32)
                   for w in model.get_weights()])

optimizer = tf.keras.optimizers.Adam(learning_rate=1e-2)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc = tf.keras.metrics.SparseCategoricalAccuracy()
train_loss = tf.keras.metrics.Mean()

batch_size = 64
for epoch in range(3):
    for start in range(0, n, batch_size):
        x_batch = x_train[start:start + batch_size]
        y_batch = y_train[start:start + batch_size]
        with tf.GradientTape() as tape:
            logits = model(x_batch, training=True)
            loss_value = loss_fn(y_batch, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc.update_state(y_batch, logits)
        train_loss.update_state(loss_value)
        if start == 0:
            print(f"epoch {epoch} first batch loss: {float(loss_value):.4f}")
    print(f"epoch {epoch}: loss {float(train_loss.result()):.4f}, "
          f"accuracy {float(train_acc.result()):.4f}")
    train_acc.reset_state()
    train_loss.reset_state()

print("steps taken:", int(optimizer.iterations.numpy()))
print("logits dtype:", logits.dtype.name)
print("final kernel norm:", round(float(tf.norm(model.trainable_weights[0])), 4))
