"""Keras programs run unchanged under real TF + Keras and under jaxtape (see harness.py).

`tf` is set by the harness: TensorFlow, or jaxtape. Every weight comes from
NumPy with a fixed seed, so both sides start equal; each program returns
NumPy-convertible results (None where a gradient is None). Programs that
write files write them under `$KERAS_PROGRAM_FILES`, named by side; those
in `READS_OTHER_SIDE` read the other side's files, so TF runs them in a
second pass, after jaxtape wrote its files.
"""
import os

import numpy as np

tf = None  # set by the harness


def _data(seed=0, n=16, d=4, classes=3):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)).astype(np.float32),
            rng.integers(0, classes, size=(n,)).astype(np.int32))


def _set_weights(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])


def _mlp(d=4, hidden=16, classes=3):
    model = tf.keras.Sequential([tf.keras.Input((d,)),
                                 tf.keras.layers.Dense(hidden, activation="relu"),
                                 tf.keras.layers.Dense(classes)])
    _set_weights(model)
    return model


def mlp_adam_custom_loop():
    x, y = _data()
    model = _mlp()
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    mean = tf.keras.metrics.Mean()
    losses, dtypes = [], []
    for _ in range(3):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
        losses.append(loss)
        dtypes.append([g.dtype.name for g in grads] + [logits.dtype.name, loss.dtype.name])
    after = mean.result()
    mean.reset_state()
    return {"losses": losses, "weights": model.get_weights(), "mean": after,
            "reset": mean.result(), "dtypes": dtypes,
            "iterations": int(optimizer.iterations.numpy()),
            "optimizer_dtypes": [v.dtype for v in optimizer.variables]}


def fgsm_input_gradient():
    x, y = _data(seed=2)
    model = _mlp()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    image = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = loss_fn(y, model(image))
    grad = tape.gradient(loss, image)
    adversarial = image + 0.1 * tf.sign(grad)
    return {"grad": grad, "adversarial_loss": loss_fn(y, model(adversarial))}


def _gradient_penalty():
    x, _ = _data(seed=3)
    model = _mlp(classes=1)
    xs = tf.constant(x)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(xs)
            out = model(xs, training=True)
        g = inner.gradient(out, xs)
        norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1))
        penalty = tf.reduce_mean((norm - 1.0) ** 2)
    return penalty, outer.gradient(penalty, model.trainable_variables)


def gradient_penalty():
    penalty, grads = _gradient_penalty()
    return {"penalty": penalty, "grads": grads[:3]}


def gradient_penalty_output_bias():
    """TF gives None: the input gradient does not depend on the output bias."""
    return _gradient_penalty()[1][3]


class _Subclassed:
    """A subclassed tf.keras.Model with add_weight and tf.* ops in call (built per side)."""

    @staticmethod
    def make():
        class Model(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = tf.keras.layers.Dense(5)

            def build(self, input_shape):
                self.w = self.add_weight(shape=(5, 2), initializer="ones", name="w")
                self.unused = self.add_weight(shape=(3,), initializer="ones", name="unused")
                self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

            def call(self, x):
                h = tf.nn.tanh(self.dense(x))
                return tf.matmul(h, self.w) * self.scale + 0.1 * tf.reduce_sum(x, axis=1, keepdims=True)

        return Model()


def subclassed_model():
    x, _ = _data(seed=4)
    model = _Subclassed.make()
    model(x[:1])
    _set_weights(model, seed=5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    names = [v.name for v in model.trainable_variables]
    return {"loss": loss, "names": names, "grads": grads,
            "watched": len(tape.watched_variables())}


def unused_variable_gets_none():
    x, _ = _data(seed=6)
    model = _mlp()
    extra = tf.keras.Variable(np.ones(3, np.float32), name="extra")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x)[:, :1])
    return {"grads": tape.gradient(loss, model.trainable_variables + [extra])}


def keras_variables_on_the_tape():
    v = tf.keras.Variable(np.array([1.0, 2.0], np.float32))
    w = tf.keras.Variable(np.array([3.0, 4.0], np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v + w * v)  # the variables' own operators
        z = tf.reduce_sum(tf.multiply(w, v)) + tf.reduce_sum(v[1:] ** 2 - 1.0 / w)
    grads = tape.gradient([y, z], [v, w])
    with tf.GradientTape(watch_accessed_variables=False) as unwatched:
        u = tf.reduce_sum(v * w)
    return {"grads": grads, "watched": len(tape.watched_variables()),
            "unwatched": unwatched.gradient(u, [v, w]), "dtype": v.dtype}


def batchnorm_and_dropout():
    x, _ = _data(seed=7, n=32, d=6)
    model = tf.keras.Sequential([tf.keras.Input((6,)), tf.keras.layers.Dense(8),
                                 tf.keras.layers.BatchNormalization(momentum=0.9),
                                 tf.keras.layers.Dropout(0.5)])
    _set_weights(model, seed=8)
    bn = model.layers[1]
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(2):
        with tf.GradientTape() as tape:
            # Dropout's mask is random (TF's and JAX's generators differ), so the
            # loss reads the BN output before dropout through the functional path.
            loss = tf.reduce_mean(tf.square(bn(model.layers[0](x), training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    dense_out = model.layers[0](x)
    dropped = model.layers[2](dense_out, training=True)
    kept = np.asarray(dropped) != 0
    return {"loss": loss, "moving_mean": bn.moving_mean, "moving_variance": bn.moving_variance,
            "inference": model(x, training=False),
            "dropout_kept_values_scaled": bool(np.allclose(
                np.asarray(dropped)[kept], 2.0 * np.asarray(dense_out)[kept], rtol=1e-5)),
            "dropout_some_dropped": bool(0.2 < 1 - kept.mean() < 0.8),
            "dropout_off": model.layers[2](dense_out, training=False),
            "grad_count": len([g for g in grads if g is not None])}


def regularizer_losses():
    x, _ = _data(seed=9)
    model = tf.keras.Sequential([
        tf.keras.Input((4,)),
        tf.keras.layers.Dense(3, kernel_regularizer=tf.keras.regularizers.L2(0.1),
                              activity_regularizer=tf.keras.regularizers.L1(0.01))])
    _set_weights(model, seed=10)
    with tf.GradientTape() as tape:
        out = model(x)
        reg = tf.add_n(model.losses)
        loss = tf.reduce_mean(out) + reg
    return {"n_losses": len(model.losses), "reg": reg,
            "grads": tape.gradient(loss, model.trainable_variables)}


def functional_two_inputs_add_loss_and_jacobians():
    x, _ = _data(seed=12, n=5)
    a_in, b_in = tf.keras.Input((4,)), tf.keras.Input((2,))

    class Penalty(tf.keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.5 * tf.reduce_mean(tf.square(inputs)))
            return inputs

    h = tf.keras.layers.Concatenate()([tf.keras.layers.Dense(3, activation="tanh")(a_in), b_in])
    out = tf.keras.layers.Dense(2)(Penalty()(h))
    model = tf.keras.Model([a_in, b_in], out)
    _set_weights(model, seed=13)
    a, b = tf.constant(x), tf.constant(x[:, :2] * 2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        y = model([a, b])
        loss = tf.reduce_sum(y) + tf.add_n(model.losses)
    return {"y": y, "losses": model.losses, "grads": tape.gradient(loss, model.trainable_variables),
            "jacobian": tape.jacobian(y, a), "batch_jacobian": tape.batch_jacobian(y, a)}


def compile_fit_evaluate_predict():
    x, y = _data(seed=14, n=64)
    model = _mlp()
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0),
            "predict": model.predict(x[:4], verbose=0), "weights": model.get_weights()}


def loss_functions_and_float32():
    x, y = _data(seed=11)
    logits = tf.constant(x[:, :3])
    onehot = tf.one_hot(y, 3)
    return {
        "scce_fn": tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True),
        "mse_fn": tf.keras.losses.mse(onehot, logits),
        "cce": tf.keras.losses.CategoricalCrossentropy(from_logits=True)(onehot, logits),
        "variable_dtype": tf.keras.Variable([1.0]).dtype,
        "int_variable_dtype": tf.keras.Variable([1]).dtype,
        "accuracy": _accuracy(y, logits),
    }


def metric_dtypes():
    # 64-bit metric state stays 64-bit, eager and in tf.function (update and result).
    x, y = _data(seed=12)
    total, mean = tf.keras.metrics.Sum(dtype="int64"), tf.keras.metrics.Mean(dtype="float64")
    counts = np.asarray(y, np.int64) + 2**31  # beyond int32
    total.update_state(counts)
    mean.update_state(x[:, 0].astype(np.float64))

    @tf.function
    def step(c, v):
        total.update_state(c)
        mean.update_state(v)
        return total.result(), mean.result()

    traced = step(tf.constant(counts), tf.constant(x[:, 1].astype(np.float64)))
    return {"sum": total.result(), "mean": mean.result(), "traced": traced,
            "state": [v.numpy() if hasattr(v, "numpy") else np.asarray(v) for v in total.variables]}


def metric_results():
    # Eager `result()` of Keras's own metrics, before and after updates, and
    # metrics that make their variables on the first update (F1Score,
    # R2Score, multi-label AUC), updated twice.
    x, y = _data(seed=13, n=12, d=3, classes=3)
    onehot = np.eye(3, dtype=np.float32)[y]
    probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    metrics = {"mean": tf.keras.metrics.Mean(), "accuracy": tf.keras.metrics.CategoricalAccuracy(),
               "f1": tf.keras.metrics.F1Score(), "r2": tf.keras.metrics.R2Score(),
               "auc": tf.keras.metrics.AUC(multi_label=True), "mse": tf.keras.metrics.MeanSquaredError()}
    out = {"empty_mean": metrics["mean"].result()}
    for half in (slice(0, 6), slice(6, 12)):
        metrics["mean"].update_state(x[half, 0])
        for name in ("accuracy", "f1", "r2", "auc", "mse"):
            metrics[name].update_state(onehot[half], probs[half])
        out.update({f"{name}_{half.start}": m.result() for name, m in metrics.items()})
    for m in metrics.values():
        m.reset_state()
    out["after_reset"] = [metrics["mean"].result(), metrics["accuracy"].result()]
    return out


def fit_on_datasets():
    # fit / evaluate / predict on tf.data datasets: validation data, class
    # weights, an infinite dataset with steps_per_epoch.
    x, y = _data(seed=14, n=48)
    model = _mlp()
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(train, validation_data=train.take(1), epochs=2, shuffle=False, verbose=0)
    weighted = model.fit(train, epochs=1, class_weight={0: 2.0, 1: 0.5, 2: 1.0}, verbose=0)
    try:  # a label past the largest class weighted: TF's table lookup fails
        model.fit(train, epochs=1, class_weight={0: 2.0}, verbose=0)
        missing = "no error"
    except Exception as e:  # noqa: BLE001
        missing = [type(e).__name__, "is not in [0, 1)" in str(e)]
    repeated = model.fit(train.repeat(), steps_per_epoch=2, epochs=2, verbose=0)
    return {"history": history.history, "weighted": weighted.history, "missing_class": missing,
            "repeated": repeated.history, "evaluate": model.evaluate(train, verbose=0),
            "predict": model.predict(train, verbose=0),
            "predict_x": model.predict(tf.data.Dataset.from_tensor_slices(x).batch(20), verbose=0),
            "weights": model.get_weights()}


def custom_train_step():
    # TF's "Customizing what happens in fit()": train_step / test_step
    # overridden with a tape, compute_loss, apply_gradients and the metrics.
    x, y = _data(seed=15, n=32)
    target = (x @ np.array([1.0, -2.0, 3.0, 0.5], np.float32))[:, None]

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
    outputs = tf.keras.layers.Dense(1)(tf.keras.layers.Dense(8, activation="tanh")(inputs))
    model = CustomModel(inputs, outputs)
    _set_weights(model, seed=16)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    seen = []

    class Probe(tf.keras.callbacks.Callback):  # the weights as a callback sees them mid-epoch
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                seen.append(self.model.get_weights()[-1].copy())

    history = model.fit(x, target, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:8], target[:8]), callbacks=[Probe()])
    return {"history": history.history, "evaluate": model.evaluate(x, target, verbose=0),
            "weights": model.get_weights(), "predict": model.predict(x[:4], verbose=0),
            "seen": seen}


def custom_step_tf2_spelling():
    # A TF 2 era train_step: compiled_loss with the regularization losses,
    # compiled_metrics (both deprecated shims of Keras's TF trainer).
    x, y = _data(seed=18, n=32)
    target = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)

    class Old(tf.keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = tf.keras.Input((4,))
    outputs = tf.keras.layers.Dense(1, activation="sigmoid",
                                    kernel_regularizer=tf.keras.regularizers.L2(0.05))(inputs)
    model = Old(inputs, outputs)
    _set_weights(model, seed=19)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, target, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "weights": model.get_weights()}


def custom_step_gan():
    # The DCGAN guide's shape: a model without `call`, `compile` overridden
    # with two optimizers, two tapes per step, tracker metrics, a dataset.
    real_data, _ = _data(seed=20, n=32)
    latent = np.random.default_rng(21).normal(size=(16, 2)).astype(np.float32)

    class GAN(tf.keras.Model):
        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator, self.generator = discriminator, generator
            self.d_loss_tracker = tf.keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = tf.keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        def train_step(self, real):
            n = real.shape[0]
            fake = self.generator(tf.constant(latent))
            combined = tf.concat([fake, real], axis=0)
            labels = tf.concat([tf.ones((n, 1)), tf.zeros((n, 1))], axis=0)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with tf.GradientTape() as tape:
                g_loss = self.loss_fn(tf.zeros((n, 1)),
                                      self.discriminator(self.generator(tf.constant(latent) * 0.5)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    disc = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
                                tf.keras.layers.Dense(1)])
    gen = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(8, activation="relu"),
                               tf.keras.layers.Dense(4)])
    _set_weights(disc, seed=22)
    _set_weights(gen, seed=23)
    gan = GAN(disc, gen)
    gan.compile(tf.keras.optimizers.Adam(1e-2), tf.keras.optimizers.Adam(1e-2),
                tf.keras.losses.BinaryCrossentropy(from_logits=True))
    dataset = tf.data.Dataset.from_tensor_slices(real_data).batch(16, drop_remainder=True)
    history = gan.fit(dataset, epochs=2, verbose=0)
    return {"history": history.history, "disc": disc.get_weights(), "gen": gen.get_weights()}


def custom_step_multi_output():
    # compute_loss over two outputs (per-output loss trackers) and compute_metrics.
    x, _ = _data(seed=24, n=32)
    y = (x @ np.array([1.0, -1.0, 0.5, 2.0], np.float32))[:, None]
    inputs = tf.keras.Input((4,))
    a = tf.keras.layers.Dense(1, name="a")(inputs)
    b = tf.keras.layers.Dense(1, name="b")(inputs)

    class Multi(tf.keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return self.compute_metrics(x, y, y_pred)

    model = Multi(inputs, [a, b])
    _set_weights(model, seed=25)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss=["mse", "mae"],
                  metrics=[["mae"], ["mse"]])
    history = model.fit(x, [y, y], batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "weights": model.get_weights()}


def activations_outside_layers():
    # tf.keras.activations.* on tensors under a tape, keyword arguments included.
    x = tf.constant(np.linspace(-2.0, 2.0, 8, dtype=np.float32).reshape(2, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        outs = {"gelu": tf.keras.activations.gelu(x),
                "leaky": tf.keras.activations.leaky_relu(x, negative_slope=0.1),
                "softmax": tf.keras.activations.softmax(x, axis=0),
                "swish": tf.keras.activations.swish(x), "elu": tf.keras.activations.elu(x)}
        total = tf.add_n([tf.reduce_sum(v) for v in outs.values()])
    outs["grad"] = tape.gradient(total, x)
    return outs


def loss_scale_optimizer():
    # mixed precision's LossScaleOptimizer in a custom loop, eager and in
    # tf.function: scale_loss, growth after dynamic_growth_steps, a
    # non-finite step skipped with the scale halved; and under fit.
    x, _ = _data(seed=27, n=4)
    dense = tf.keras.layers.Dense(2)
    dense.build((None, 4))
    dense.set_weights([np.full((4, 2), 0.1, np.float32), np.zeros(2, np.float32)])
    opt = tf.keras.mixed_precision.LossScaleOptimizer(tf.keras.optimizers.SGD(0.1),
                                                      initial_scale=8.0, dynamic_growth_steps=2)

    def step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(dense(inputs) ** 2)
            scaled = opt.scale_loss(loss)
        grads = tape.gradient(scaled, dense.trainable_variables)
        opt.apply_gradients(zip(grads, dense.trainable_variables))
        return loss, scaled

    trace = []
    for inputs in (x, x, x * np.inf, x):
        trace.append([*step(tf.constant(inputs)), opt.dynamic_scale.numpy()])
    compiled = tf.function(step)
    for _ in range(2):
        trace.append([*compiled(tf.constant(x)), opt.dynamic_scale.numpy()])
    model = _mlp()
    model.compile(optimizer=tf.keras.mixed_precision.LossScaleOptimizer(
        tf.keras.optimizers.SGD(0.05)), loss=tf.keras.losses.MeanSquaredError())
    xs, ys = _data(seed=28, n=16)
    history = model.fit(xs, np.eye(3, dtype=np.float32)[ys], batch_size=8, epochs=2,
                        shuffle=False, verbose=0)
    # TF's basic loops keep plain tf.Variables: scaled too, eager and compiled.
    w, b = tf.Variable(np.full((4, 2), 0.2, np.float32)), tf.Variable(np.zeros(2, np.float32))
    plain_opt = tf.keras.mixed_precision.LossScaleOptimizer(tf.keras.optimizers.SGD(0.1),
                                                            initial_scale=4.0, dynamic_growth_steps=2)

    def plain_step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((tf.matmul(inputs, w) + b) ** 2)
            scaled = plain_opt.scale_loss(loss)
        plain_opt.apply_gradients(zip(tape.gradient(scaled, [w, b]), [w, b]))
        return loss

    plain = [plain_step(tf.constant(x)) for _ in range(2)]
    plain += [tf.function(plain_step)(tf.constant(x)) for _ in range(2)]
    return {"trace": trace, "weights": dense.get_weights(), "fit": history.history,
            "fit_weights": model.get_weights(),
            "plain_variables": [plain, w, b, plain_opt.dynamic_scale.numpy()]}


def user_metric_loss_and_layer_in_fit():
    # compile/fit with a user's Metric subclass, loss function and layer, all
    # written with tf.* ops (run inside Keras's own traced step), and
    # steps_per_execution; then fit on a generator and on a PyDataset.
    x, _ = _data(seed=29, n=32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)

    class TruePositives(tf.keras.metrics.Metric):
        def __init__(self, name="true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_weight(name="tp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hit = tf.logical_and(tf.cast(y_true, tf.bool), y_pred > 0.5)
            self.true_positives.assign_add(tf.reduce_sum(tf.cast(hit, self.dtype)))

        def result(self):
            return self.true_positives

    def loss_fn(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_true - y_pred)) + 0.01 * tf.reduce_mean(tf.abs(y_pred))

    class Doubled(tf.keras.layers.Layer):
        def call(self, inputs):
            return tf.nn.relu(inputs) * 2.0

    model = tf.keras.Sequential([tf.keras.Input((4,)), Doubled(),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    _set_weights(model, seed=31)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss=loss_fn,
                  metrics=[TruePositives(), "accuracy"], steps_per_execution=2)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    def batches():
        for i in range(0, 32, 8):
            yield x[i:i + 8], y[i:i + 8]

    class Batches(tf.keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    generator = model.fit(batches(), epochs=1, verbose=0)
    py_dataset = model.fit(Batches(), epochs=1, shuffle=False, verbose=0)
    return {"history": history.history, "generator": generator.history,
            "py_dataset": py_dataset.history, "evaluate": model.evaluate(x, y, verbose=0),
            "weights": model.get_weights()}


def schedules_read_by_user_code():
    # A schedule's value as a training loop reads it (schedule(step),
    # optimizer.learning_rate eagerly and in tf.function): float32 tensors.
    S = tf.keras.optimizers.schedules
    schedules = {"exponential": S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5),
                 "piecewise": S.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
                 "cosine": S.CosineDecay(0.1, decay_steps=10, alpha=0.1),
                 "polynomial": S.PolynomialDecay(0.1, decay_steps=5, end_learning_rate=0.01),
                 "inverse_time": S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)}
    out = {name: [s(step).numpy() for step in range(6)] for name, s in schedules.items()}
    out["dtypes"] = [s(1).dtype.name for s in schedules.values()]
    optimizer = tf.keras.optimizers.SGD(schedules["exponential"])
    v = tf.Variable(1.0)
    for _ in range(2):
        optimizer.apply_gradients([(tf.constant(1.0), v)])
    out["learning_rate"] = optimizer.learning_rate.numpy()
    out["traced"] = tf.function(lambda: optimizer.learning_rate)()
    return out


def keras_optimizers_on_tf_variables():
    # TF's basic tutorials: Keras optimizers updating plain tf.Variables,
    # eagerly and in tf.function, with a schedule and slot variables.
    w = tf.Variable(np.array([[1.0, 2.0], [0.5, -1.0]], np.float32))
    b = tf.Variable(np.array([0.5, 0.0], np.float32))
    x = tf.constant(np.array([[1.0, -1.0]], np.float32))
    out = {}
    for name, optimizer in (("sgd", tf.keras.optimizers.SGD(0.1, momentum=0.9)),
                            ("adam", tf.keras.optimizers.Adam(0.05)),
                            ("rmsprop", tf.keras.optimizers.RMSprop(0.01))):
        def step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b))
            optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
            return loss
        losses = [step() for _ in range(2)] + [tf.function(step)() for _ in range(2)]
        out[name] = {"losses": losses, "w": w.numpy(), "b": b.numpy(),
                     "iterations": int(optimizer.iterations.numpy()),
                     "slots": [v.path for v in optimizer.variables]}
    return out


def preprocessing_normalization():
    x, _ = _data(seed=17, n=20)
    norm = tf.keras.layers.Normalization()
    norm.adapt(x)
    return {"normalized": norm(x[:3]), "mean": norm.mean, "variance": norm.variance}


def _accuracy(y, logits):
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y, logits)
    return metric.result()


def _compiled_steps(model, x, y, loss_fn, steps=3):
    """Adam + metric in one `tf.function` train step, several calls."""
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
    mean = tf.keras.metrics.Mean()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
        return loss

    xs, ys = tf.constant(x), tf.constant(y)
    losses = [step(xs, ys) for _ in range(steps)]
    return {"losses": losses, "weights": model.get_weights(), "mean": mean.result(),
            "iterations": int(optimizer.iterations.numpy()),
            "slots": [v.numpy() for v in optimizer.variables[1:]],
            "inference": model(xs, training=False)}


def tf_function_mlp_step():
    x, y = _data(seed=20, n=32)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(16, activation="relu"),
                                 tf.keras.layers.BatchNormalization(), tf.keras.layers.Dense(3)])
    _set_weights(model, seed=21)
    return _compiled_steps(model, x, y,
                           tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def tf_function_cnn_bn_step():
    rng = np.random.default_rng(22)
    x = rng.normal(size=(8, 8, 8, 2)).astype(np.float32)
    y = rng.integers(0, 4, size=(8,)).astype(np.int32)
    model = tf.keras.Sequential([
        tf.keras.Input((8, 8, 2)),
        # No conv bias: BN cancels it, its gradient is rounding noise that Adam would amplify.
        tf.keras.layers.Conv2D(4, 3, padding="same", use_bias=False),
        tf.keras.layers.BatchNormalization(), tf.keras.layers.ReLU(),
        tf.keras.layers.MaxPooling2D(), tf.keras.layers.Flatten(), tf.keras.layers.Dense(4)])
    _set_weights(model, seed=23)
    model.layers[1].moving_variance.assign(np.ones(4, np.float32))  # set_weights drew it
    return _compiled_steps(model, x, y,
                           tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def _layer_steps(layers, x, seed, steps=1, optimizer=None):
    """A Sequential of `layers` (or a built model) on `x`: outputs, gradients and
    weights over `steps` SGD (or `optimizer`) steps of a squared loss."""
    model = layers if isinstance(layers, tf.keras.Model) else tf.keras.Sequential(
        [tf.keras.Input(x.shape[1:], dtype=x.dtype.name), *layers])
    _set_weights(model, seed)
    optimizer = optimizer or tf.keras.optimizers.SGD(learning_rate=0.05)
    xs = tf.constant(x)
    outs, losses = [], []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            out = model(xs, training=True)
            loss = tf.reduce_mean(tf.square(out - 0.5))
        grads = tape.gradient(loss, model.trainable_variables)
        grads = [None if g is None else tf.convert_to_tensor(g) for g in grads]  # IndexedSlices
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        outs.append(out)
        losses.append(loss)
    return {"outputs": outs, "losses": losses, "grads": grads, "weights": model.get_weights(),
            "trainable": len(model.trainable_variables)}


def _images(seed, shape):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def conv_and_pooling_layers():
    layers = tf.keras.layers
    x1, x2 = _images(40, (2, 9, 3)), _images(41, (2, 6, 6, 2))
    return {
        "1d": _layer_steps([layers.Conv1D(4, 3, strides=2, padding="same", activation="tanh"),
                            layers.Conv1DTranspose(2, 3, strides=2), layers.MaxPooling1D(2),
                            layers.AveragePooling1D(2, padding="same"),
                            layers.GlobalMaxPooling1D()], x1, 42),
        "2d": _layer_steps([layers.Conv2D(3, 3, padding="valid"),
                            layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
                            layers.DepthwiseConv2D(3), layers.MaxPooling2D(2),
                            layers.AveragePooling2D(2, strides=1, padding="same"),
                            layers.GlobalAveragePooling2D(), layers.Dense(2)], x2, 43),
    }


def recurrent_layers():
    layers = tf.keras.layers
    return _layer_steps([layers.SimpleRNN(4, return_sequences=True),
                         layers.GRU(4, return_sequences=True),
                         layers.Bidirectional(layers.LSTM(3))], _images(50, (2, 5, 3)), 51)


def attention_and_embedding():
    layers = tf.keras.layers
    q, v = tf.keras.Input((4, 6)), tf.keras.Input((5, 6))
    model = tf.keras.Model([q, v], layers.MultiHeadAttention(num_heads=2, key_dim=3)(q, v))
    _set_weights(model, seed=60)
    qs, vs = tf.constant(_images(61, (2, 4, 6))), tf.constant(_images(62, (2, 5, 6)))
    with tf.GradientTape() as tape:
        tape.watch(qs)
        out = model([qs, vs])
        loss = tf.reduce_sum(out * out)
    grads = tape.gradient(loss, model.trainable_variables + [qs])
    del grads[3]  # the key bias: softmax cancels it, its gradient is rounding noise
    tokens = np.array([[1, 3, 3, 0], [2, 1, 4, 4]], np.int32)
    return {"attention": out, "attention_grads": grads,
            "embedding": _layer_steps([layers.Embedding(6, 3), layers.Flatten(), layers.Dense(2)],
                                      tokens, 63)}


def schedules_and_clipping():
    """One model (one compiled backward), trained afresh by each optimizer."""
    x = _images(70, (8, 4))
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(5, activation="relu"),
                                 tf.keras.layers.Dense(2)])
    schedules = tf.keras.optimizers.schedules
    decay = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = tf.keras.optimizers
    optimizers = {
        "exponential_decay_adam": opt.Adam(decay),
        "piecewise_sgd_momentum": opt.SGD(schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.05, 0.01]),
                                          momentum=0.9),
        "cosine_rmsprop": opt.RMSprop(schedules.CosineDecay(0.05, decay_steps=4)),
        "clipnorm_sgd": opt.SGD(0.1, clipnorm=0.05),
        "clipvalue_adam": opt.Adam(0.01, clipvalue=0.01),
        "global_clipnorm_adamw": opt.AdamW(0.01, global_clipnorm=0.1),
        "adagrad": opt.Adagrad(0.1),
    }
    results = {name: _layer_steps(model, x, 71, 3, optimizer) for name, optimizer in optimizers.items()}
    results["decayed_lr"] = float(decay(3))
    return results


def trainable_false_freezing():
    x = _images(80, (16, 4))
    frozen = tf.keras.layers.Dense(6, activation="tanh")
    frozen.trainable = False
    bn = tf.keras.layers.BatchNormalization()
    bn.trainable = False  # a frozen BN runs in inference mode, even with training=True
    result = _layer_steps([frozen, bn, tf.keras.layers.Dense(2)], x, 81, 2,
                          tf.keras.optimizers.Adam(0.01))
    result["frozen_kernel"] = frozen.kernel
    result["bn_moving_mean"] = bn.moving_mean
    result["non_trainable"] = len(frozen.non_trainable_variables) + len(bn.non_trainable_variables)
    return result


def mixed_precision():
    """`mixed_float16` and `mixed_bfloat16`: float16/bfloat16 compute, float32 variables."""
    results = {}
    for policy in ("mixed_float16", "mixed_bfloat16"):
        tf.keras.mixed_precision.set_global_policy(policy)
        try:
            x = _images(90, (8, 4))
            model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(6, activation="relu"),
                                         tf.keras.layers.Dense(2, dtype="float32")])
            _set_weights(model, seed=91)
            optimizer = tf.keras.optimizers.SGD(0.1)
            with tf.GradientTape() as tape:
                hidden = model.layers[0](x)
                out = model.layers[1](hidden)
                loss = tf.reduce_mean(tf.square(out))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            results[policy] = {
                "dtypes": [hidden.dtype.name, out.dtype.name, loss.dtype.name,
                           model.layers[0].kernel.dtype, model.layers[0].compute_dtype]
                + [g.dtype.name for g in grads],
                "loss": tf.cast(loss, tf.float32), "grads": [tf.cast(g, tf.float32) for g in grads],
                "weights": model.get_weights()}
        finally:
            tf.keras.mixed_precision.set_global_policy("float32")
    return results


def _side():
    return "tf" if tf.__name__ == "tensorflow" else "jax"


def _file(name):
    return os.path.join(os.environ["KERAS_PROGRAM_FILES"], name)


def tensorboard_callback():
    # fit with the TensorBoard callback: which runs, steps and tags the event
    # files hold (histograms each epoch), and the epoch losses they record.
    import glob
    x, y = _data(seed=26, n=32)
    model = _mlp()
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    log_dir = _file(f"tensorboard_{_side()}")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x, y),
              callbacks=[tf.keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1)])
    seen, losses = set(), {}
    for path in sorted(glob.glob(os.path.join(log_dir, "*", "events.out.tfevents.*"))):
        run = os.path.basename(os.path.dirname(path))
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                seen.add((run, value.tag, event.step))
                if value.tag == "epoch_loss":
                    losses[run, event.step] = tf.make_ndarray(value.tensor)
    return {"seen": sorted(seen), "losses": [losses[k] for k in sorted(losses)]}


def _files_model():
    inputs = tf.keras.Input((4,))
    h = tf.keras.layers.BatchNormalization()(tf.keras.layers.Dense(8, activation="relu")(inputs))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3)(h))
    _set_weights(model, seed=30)
    model.layers[2].moving_variance.assign(np.ones(8, np.float32))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _train_step(model, x, y):
    with tf.GradientTape() as tape:
        loss = model.loss(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def keras_files_written():
    """Each side saves `.keras` (with Adam's state, set from NumPy so both sides'
    files hold the same numbers) and `.weights.h5`, and reads its own back."""
    x, y = _data(seed=31)
    model = _files_model()
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(32)
    model.optimizer.iterations.assign(3)
    for v in model.optimizer.variables[2:]:  # after the iteration count and learning rate
        v.assign(np.abs(rng.normal(scale=0.1, size=v.shape)).astype(np.float32))
    model.save(_file(f"{_side()}.keras"))
    model.save_weights(_file(f"{_side()}.weights.h5"))
    again = tf.keras.models.load_model(_file(f"{_side()}.keras"))
    return {"predict": model(x), "reloaded": again(x),
            "iterations": int(again.optimizer.iterations.numpy())}


def keras_files_from_the_other_side():
    """The other framework's files: same predictions, and training resumes from
    the file's optimizer state (TF reads jaxtape's files, jaxtape TF's)."""
    x, y = _data(seed=31)
    other = "jax" if _side() == "tf" else "tf"
    loaded = tf.keras.models.load_model(_file(f"{other}.keras"))
    predict = loaded(x)
    iterations = int(loaded.optimizer.iterations.numpy())
    resumed = [_train_step(loaded, x, y) for _ in range(2)]
    fresh = _files_model()
    fresh.load_weights(_file(f"{other}.weights.h5"))
    return {"predict": predict, "iterations": iterations, "resumed_losses": resumed,
            "resumed_weights": loaded.get_weights(),
            "moving_variance": loaded.layers[2].moving_variance,
            "from_weights_file": fresh(x, training=False)}


def _elements(dataset):
    """A dataset's elements as NumPy (strings as str lists), in order."""
    def value(t):
        return np.asarray(t.numpy()).astype(str).tolist() if t.dtype == tf.string else t.numpy()
    return [tf.nest.map_structure(value, e) for e in dataset]


def _sorted_rows(batches):
    """The rows of every (x, y) batch, order aside (shuffle buffers draw from
    each framework's own generator; which rows and their pairing must agree)."""
    rows = [(x if isinstance(x, str) else np.asarray(x).tobytes(), np.asarray(y).tobytes())
            for bx, by in batches for x, y in zip(bx, by)]
    return sorted(rows)


def text_and_timeseries_datasets():
    # TF's text classification and time series tutorials: Keras's utilities
    # build tf.data datasets from a folder of text files and from an array.
    root = _file(f"text_{_side()}")
    for label, count in (("neg", 5), ("pos", 4)):
        os.makedirs(os.path.join(root, label), exist_ok=True)
        for i in range(count):
            with open(os.path.join(root, label, f"{i}.txt"), "w") as f:
                f.write(f"{label} review {i} " + "word " * i)
    plain = tf.keras.utils.text_dataset_from_directory(root, batch_size=4, shuffle=False)
    train, val = tf.keras.utils.text_dataset_from_directory(
        root, batch_size=3, validation_split=0.3, subset="both", seed=42)
    onehot = tf.keras.utils.text_dataset_from_directory(
        root, batch_size=None, label_mode="categorical", shuffle=False, max_length=10)
    series = np.arange(40, dtype=np.float32).reshape(20, 2)
    windows = tf.keras.utils.timeseries_dataset_from_array(
        series[:-3], series[3:, 0], sequence_length=4, sequence_stride=2, sampling_rate=2,
        batch_size=3, start_index=1, end_index=15)
    shuffled = tf.keras.utils.timeseries_dataset_from_array(
        series, None, sequence_length=3, batch_size=4, shuffle=True, seed=7)
    model = tf.keras.Sequential([tf.keras.Input((4, 2)), tf.keras.layers.Flatten(),
                                 tf.keras.layers.Dense(1)])
    _set_weights(model, seed=5)
    model.compile(optimizer=tf.keras.optimizers.SGD(1e-4), loss="mse")
    history = model.fit(windows, epochs=2, verbose=0)
    return {"class_names": [plain.class_names, train.class_names],
            "plain": _elements(plain), "onehot": _elements(onehot),
            "split": [_sorted_rows(_elements(train)), _sorted_rows(_elements(val))],
            "spec": [str(train.element_spec), str(onehot.element_spec)],
            "windows": _elements(windows),
            "shuffled": sorted(w.tobytes() for batch in _elements(shuffled) for w in batch),
            "cardinality": [int(d.cardinality()) for d in (plain, train, val, windows)],
            "history": history.history}


def image_dataset_from_directory():
    # TF's image classification tutorial: a folder per class of PNG / JPEG / BMP
    # files, read by Keras's utility, rescaled in the model, fitted.
    import io
    import shutil

    from PIL import Image

    root = _file(f"images_{_side()}")
    rng = np.random.default_rng(11)
    for label, fmt in (("cats", "PNG"), ("dogs", "JPEG"), ("owls", "BMP")):
        os.makedirs(os.path.join(root, label), exist_ok=True)
        for i in range(3):
            pixels = (rng.random((10 + i, 12, 3)) * 255).astype(np.uint8)
            out = io.BytesIO()
            Image.fromarray(pixels).save(out, fmt)
            with open(os.path.join(root, label, f"{i}.{fmt.lower()}"), "wb") as f:
                f.write(out.getvalue())
    # grayscale reads of BMP and GIF are errors in TF: that folder is left out there
    gray_root = _file(f"gray_images_{_side()}")
    shutil.copytree(root, gray_root, ignore=shutil.ignore_patterns("*.bmp"), dirs_exist_ok=True)
    plain = tf.keras.utils.image_dataset_from_directory(
        root, image_size=(8, 8), batch_size=4, shuffle=False)
    gray = tf.keras.utils.image_dataset_from_directory(
        gray_root, image_size=(6, 5), color_mode="grayscale", label_mode="categorical",
        batch_size=None, shuffle=False, crop_to_aspect_ratio=True)
    train, val = tf.keras.utils.image_dataset_from_directory(
        root, image_size=(8, 8), batch_size=2, validation_split=0.34, subset="both", seed=3)
    model = tf.keras.Sequential([tf.keras.Input((8, 8, 3)), tf.keras.layers.Rescaling(1 / 255),
                                 tf.keras.layers.Flatten(), tf.keras.layers.Dense(3)])
    _set_weights(model, seed=2)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(plain.cache().prefetch(tf.data.AUTOTUNE), epochs=2, verbose=0)
    return {"class_names": plain.class_names, "plain": _elements(plain), "gray": _elements(gray),
            "split": [_sorted_rows(_elements(train)), _sorted_rows(_elements(val))],
            "spec": [str(plain.element_spec), str(gray.element_spec)],
            "history": history.history}


READS_OTHER_SIDE = ["keras_files_from_the_other_side"]


NAMES = [name for name in list(globals()) if not name.startswith("_")
         and callable(globals()[name]) and name not in ("tf", "os")]
