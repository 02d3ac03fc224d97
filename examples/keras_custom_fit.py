"""Customizing what happens in fit(): a model's own train_step and test_step.

Modeled on TensorFlow's guide "Customizing what happens in fit()": the step
is written with a GradientTape, `compute_loss`, `apply_gradients` and the
compiled metrics, and `fit` / `evaluate` run it over tf.data datasets, with
a learning-rate schedule and a callback. Synthetic regression data and
weights from NumPy, so it runs without downloads and gives the same numbers
everywhere.
"""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(7)
x = rng.normal(size=(96, 4)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5], [1.0]], np.float32)
     + 0.1 * rng.normal(size=(96, 1))).astype(np.float32)
train = tf.data.Dataset.from_tensor_slices((x[:64], y[:64])).batch(16)
valid = tf.data.Dataset.from_tensor_slices((x[64:], y[64:])).batch(16)


class CustomModel(tf.keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = tf.keras.Input(shape=(4,))
hidden = tf.keras.layers.Dense(16, activation="tanh")(inputs)
model = CustomModel(inputs, tf.keras.layers.Dense(1)(hidden))
init = np.random.default_rng(0)
model.set_weights([init.normal(scale=0.4, size=w.shape).astype(np.float32)
                   for w in model.get_weights()])

schedule = tf.keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.9)
model.compile(optimizer=tf.keras.optimizers.Adam(schedule), loss="mse", metrics=["mae"])


class LearningRateLogger(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        lr = float(self.model.optimizer.learning_rate)
        print(f"epoch {epoch + 1}: loss {logs['loss']:.4f}  mae {logs['mae']:.4f}  "
              f"val_loss {logs['val_loss']:.4f}  learning rate {lr:.5f}")


history = model.fit(train, validation_data=valid, epochs=5, verbose=0,
                    callbacks=[LearningRateLogger()])
print("history keys:", sorted(history.history))
loss, mae = model.evaluate(valid, verbose=0)
print(f"evaluate: loss {loss:.4f}  mae {mae:.4f}")
print("prediction:", np.round(model.predict(x[:3], verbose=0).ravel(), 3))
print("steps taken:", int(model.optimizer.iterations.numpy()))
