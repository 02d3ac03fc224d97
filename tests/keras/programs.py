"""Keras programs run unchanged under real TF + Keras and under jaxtape (see harness.py).

`tf` is set by the harness: TensorFlow, or jaxtape. Every weight comes from
NumPy with a fixed seed, so both sides start equal; each program returns
NumPy-convertible results (None where a gradient is None).
"""
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


def _accuracy(y, logits):
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y, logits)
    return metric.result()


NAMES = [name for name in list(globals()) if not name.startswith("_")
         and callable(globals()[name]) and name not in ("tf",)]
