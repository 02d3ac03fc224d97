"""`fit`'s fast paths in the bridge's trainer (jaxtape/_src/keras/trainer.py)
against Keras's own code: the same histories, callback logs, metric values
and weights with them as without them. One fresh subprocess (Keras picks its
backend once per process and stays out of the pytest process)."""
import pytest

from test_keras_bridge import run  # tests/keras is on the path, as for test_keras_differential


def test_fit_fast_paths_match_keras_own_trainer_code():
    pytest.importorskip("keras")
    out = run("""
        import numpy as np
        import jaxtape as tf
        keras = tf.keras
        keras.layers  # loads Keras on JAX with the bridge, before Keras's modules below
        from keras.src.backend.jax import trainer as jax_trainer
        from keras.src.callbacks.callback_list import CallbackList
        from keras.src.trainers.trainer import Trainer
        from jaxtape._src.keras import trainer as bridge

        # Every method the bridge's trainer replaces with a fast path; the
        # replacement wraps Keras's own (`__wrapped__`).
        replaced = [(jax_trainer.JAXTrainer, "_get_jax_state"), (jax_trainer.JAXTrainer, "jax_state_sync"),
                    (Trainer, "reset_metrics")] + [(CallbackList, name) for name in bridge.BATCH_HOOKS]
        fast = {key: getattr(*key) for key in replaced}

        def use_fast_paths(on):
            for (cls, name), fn in fast.items():
                setattr(cls, name, fn if on else fn.__wrapped__)

        class Seen(keras.metrics.Metric):  # Keras's base `reset_state` (zeroes), an int64 variable
            def __init__(self):
                super().__init__(name="seen")
                self.n = self.add_variable(shape=(), dtype="int64", initializer="zeros", name="n")

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.n.assign_add(keras.ops.cast(keras.ops.shape(y_true)[0], "int64"))

            def result(self):
                return keras.ops.cast(self.n, "float32")

        resets = []

        class Offset(keras.metrics.MeanMetricWrapper):  # its own `reset_state`, run as written
            def __init__(self):
                super().__init__(lambda y_true, y_pred: keras.ops.max(y_pred, axis=-1), name="offset")

            def reset_state(self):
                resets.append(1)
                self.total.assign(3.0)
                self.count.assign(1.0)

        class Logs(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seen = []

            def on_train_batch_begin(self, batch, logs=None):
                self.seen.append(("begin", batch))

            def on_train_batch_end(self, batch, logs=None):
                self.seen.append(("end", batch, sorted((k, type(v).__name__, v) for k, v in logs.items())))

            def on_epoch_end(self, epoch, logs=None):
                self.seen.append(("epoch", epoch, sorted(logs.items())))

        class Peek(keras.callbacks.Callback):  # `self.model` syncs the state mid-epoch
            def __init__(self):
                super().__init__()
                self.seen = []

            def on_train_batch_end(self, batch, logs=None):
                if batch % 4 == 1:
                    self.seen.append([w.tolist() for w in self.model.get_weights()])

        rng = np.random.default_rng(0)
        x = rng.normal(size=(96, 6)).astype(np.float32)
        y = rng.integers(0, 3, size=96).astype(np.int32)
        xv, yv = x[:32] + 0.5, y[:32]
        weights = [rng.normal(size=s).astype(np.float32) for s in ((6, 8), (8,), (8, 3), (3,))]

        def train(on):
            use_fast_paths(on)
            before = bridge._zeros.cache_info()
            del resets[:]
            model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(3)])
            model.set_weights(weights)
            model.compile(optimizer=keras.optimizers.Adam(0.01), steps_per_execution=2,
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy", Seen(), Offset()])
            logs, peek = Logs(), Peek()
            np.random.seed(5)  # Keras's shuffle draws from NumPy's global generator
            first = model.fit(x, y, batch_size=16, epochs=2, shuffle=True, validation_data=(xv, yv),
                              class_weight={0: 1.0, 1: 2.0, 2: 0.5}, callbacks=[logs, peek], verbose=0)
            second = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
            result = {"first": first.history, "second": second.history, "logs": logs.seen, "peek": peek.seen,
                      "evaluate": model.evaluate(xv, yv, batch_size=16, verbose=0, return_dict=True),
                      "predict": model.predict(xv, batch_size=16, verbose=0).tolist(),
                      "weights": [w.tolist() for w in model.get_weights()],
                      "optimizer": [np.asarray(v.value).tolist() for v in model.optimizer.variables],
                      "metrics": [(v.path, str(v.value.dtype), np.asarray(v.value).tolist())
                                  for v in model.metrics_variables],
                      "resets": len(resets)}
            return result, bridge._zeros.cache_info().hits + bridge._zeros.cache_info().misses - \\
                before.hits - before.misses

        with_fast, zeroings = train(True)
        without, none = train(False)
        use_fast_paths(True)
        for key in with_fast:
            same = with_fast[key] == without[key]
            print(key, "equal" if same else f"DIFFER {with_fast[key]} {without[key]}")
        print("zeroings", zeroings > 0, none)
        print("resets", with_fast["resets"], "peeks", len(with_fast["peek"]))
        print("seen", with_fast["metrics"])
        print("batch logs", with_fast["logs"][:2])
        """)
    for key in ("first", "second", "logs", "peek", "evaluate", "predict", "weights", "optimizer",
                "metrics", "resets"):
        assert f"{key} equal" in out, out
    assert "zeroings True 0" in out, out  # the fast path ran, and only with it on
    # The user's reset_state: per epoch (2 + 1), per validation (2), per evaluate (1).
    assert "resets 6 peeks 4" in out, out  # Peek: batch ends 1 and 5 of each first-fit epoch
    assert "'int64'" in out, out  # an int64 metric variable stays int64 after a reset
    # Python-number logs at every batch end, batch begins seen
    assert "('begin', 0), ('end', 1, [('accuracy', 'float', " in out, out
