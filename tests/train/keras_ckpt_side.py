"""Both sides of test_keras_checkpoint.py: `python keras_ckpt_side.py jax DIR`.

Keras picks one backend per process, so the jaxtape side runs here with Keras
on JAX and starts this file again as the TF side (`tf DIR`, real TF + Keras)
at once, so that the two imports and writes overlap. Each side writes a
checkpoint per model kind with `CheckpointManager`; the TF side then waits
for a line on its stdin (the jaxtape side's writes are done) before it
restores them. Each restores the other side's into a differently initialized
model and pickles what it saw to DIR/<side>.pkl.
"""
import os
import pickle
import subprocess
import sys

SIDE, DIR = sys.argv[1], sys.argv[2]
if SIDE == "jax":  # the TF side starts first: its import is the longer one
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_ENABLE_ONEDNN_OPTS="0",
               TF_CPP_MIN_LOG_LEVEL="3")
    TF_SIDE = subprocess.Popen([sys.executable, __file__, "tf", DIR], env=env,
                               stdin=subprocess.PIPE, text=True)
if SIDE == "tf":
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
else:
    import jaxtape as tf
import numpy as np

keras = tf.keras
X = np.random.RandomState(7).standard_normal((4, 3)).astype(np.float32)
Y = np.random.RandomState(8).standard_normal((4, 2)).astype(np.float32)


def sequential():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                             keras.layers.Dense(2)])


def functional():
    x = keras.Input((3,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(x))
    return keras.Model(x, keras.layers.Dense(2)(h))


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(4, activation="tanh")
        self.out = keras.layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


MODELS = {"sequential": sequential, "functional": functional, "subclassed": Subclassed}


def build(kind, seed):
    """A built model with seeded weights and a built Adam (its slots exist)."""
    keras.backend.clear_session()  # layer names (variables' full names) as in a fresh process
    model = MODELS[kind]()
    model(X)
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in model.get_weights()])
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def state(model, optimizer):
    return {"pred": np.asarray(model(X, training=False)),
            "weights": [np.asarray(w) for w in model.get_weights()],
            "optimizer": [np.asarray(v) for v in optimizer.variables]}


def write(kind):
    model, optimizer = build(kind, 0)
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(X, training=True) - Y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    tf.train.CheckpointManager(ckpt, f"{DIR}/{SIDE}/{kind}", max_to_keep=2).save()
    return state(model, optimizer)


def read(kind, writer):
    model, optimizer = build(kind, 1)
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(
        tf.train.latest_checkpoint(f"{DIR}/{writer}/{kind}"))
    status.assert_consumed()
    return state(model, optimizer)


def outcome(fn):
    try:
        fn()
        return "ok"
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return type(e).__name__


def partial(writer):
    """A model-only Checkpoint restoring a model+optimizer checkpoint, and a wrong shape."""
    path = tf.train.latest_checkpoint(f"{DIR}/{writer}/functional")
    model, _ = build("functional", 1)
    status = tf.train.Checkpoint(model=model).restore(path)
    out = {"consumed": outcome(status.assert_consumed),
           "existing": outcome(status.assert_existing_objects_matched),
           "nontrivial": outcome(status.assert_nontrivial_match),
           "partial": outcome(lambda: status.expect_partial().assert_existing_objects_matched()),
           "pred": np.asarray(model(X, training=False))}
    wide = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5), keras.layers.Dense(2)])
    out["shape"] = outcome(lambda: tf.train.Checkpoint(model=wide).restore(
        tf.train.latest_checkpoint(f"{DIR}/{writer}/sequential")))
    return out


def deferred(writer):
    """An unbuilt subclassed model and optimizer: values arrive as variables are created."""
    keras.backend.clear_session()
    model, optimizer = Subclassed(), keras.optimizers.Adam(0.1)
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(
        tf.train.latest_checkpoint(f"{DIR}/{writer}/subclassed"))
    early = outcome(status.assert_consumed)
    model(X)
    optimizer.build(model.trainable_variables)
    return dict(state(model, optimizer), early=early, late=outcome(status.assert_consumed))


out = {}
other = "tf" if SIDE == "jax" else "jax"
out["wrote"] = {kind: write(kind) for kind in MODELS}
if SIDE == "jax":
    TF_SIDE.communicate("written\n")  # the TF side reads ours, then writes its pickle
    if TF_SIDE.returncode != 0:
        sys.exit(f"the TF side failed with status {TF_SIDE.returncode}")
elif sys.stdin.readline() != "written\n":
    sys.exit("the jaxtape side ended before its checkpoints were written")
out["read"] = {kind: read(kind, other) for kind in MODELS}
out["partial"] = partial(other)
if SIDE == "jax":  # TF + Keras 3 creates a second kernel here instead (README: Differences)
    out["deferred"] = deferred(other)
with open(f"{DIR}/{SIDE}.pkl", "wb") as f:
    pickle.dump(out, f)
