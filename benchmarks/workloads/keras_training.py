"""Workload: Keras train steps, jaxtape's tf.keras against TF + Keras and plain Keras-JAX.

Models: an MLP 784-256-256-10 (batch 128) and a small CNN with BatchNorm
(28x28x1 -> Conv16 + BN + ReLU + MaxPool -> Conv32 + BN + ReLU + global
average pool -> Dense10, batch 64); Adam, sparse categorical cross-entropy
from logits, a `Mean` metric. Steps:

* eager: the custom train step (tape + model + loss + `apply_gradients` +
  metric), as TF's "training loop from scratch" guide writes it;
* tf.function: that step under `tf.function` (plain Keras-JAX: `jax.jit` of
  `stateless_call` + `optimizer.stateless_apply`, Keras's recipe for JAX);
* fit step: `model.train_on_batch` (the step `fit` runs per batch);
* first step: the eager step's first call in a fresh process (model built,
  Keras imported before the clock starts), one sample per process.

Keras picks its backend once per process, so every cell runs in its own
worker process; a timed call sends one line and waits for the loss to come
back (a pipe round trip, tens of microseconds, in every cell alike).
"""
from __future__ import annotations

import atexit
import os
import subprocess
import sys

from benchmarks.workloads.base import Ratio, Workload, unavailable, wants
from benchmarks.workloads.compile_policy import _stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SIZES = {"full": {"mlp": ((784, 256, 256, 10), 128), "cnn": ((28, 16, 32, 10), 64)},
         "tiny": {"mlp": ((12, 8, 8, 3), 4), "cnn": ((8, 2, 4, 3), 4)}}

WORKER = r"""
import os, sys, time
framework, model_kind, mode, dims, batch = sys.argv[1], sys.argv[2], sys.argv[3], eval(sys.argv[4]), int(sys.argv[5])
import numpy as np
if framework == "jaxtape":
    import jaxtape as tf
    keras = tf.keras
elif framework == "tensorflow":
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
    keras = tf.keras
else:
    import jax
    import keras
rng = np.random.default_rng(0)
if model_kind == "mlp":
    layers = [keras.Input((dims[0],))] + [keras.layers.Dense(d, activation="relu") for d in dims[1:-1]]
    layers.append(keras.layers.Dense(dims[-1]))
    x = rng.normal(size=(batch, dims[0])).astype(np.float32)
else:
    side, c1, c2, classes = dims
    L = keras.layers
    layers = [keras.Input((side, side, 1)), L.Conv2D(c1, 3, padding="same", use_bias=False),
              L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(), L.Conv2D(c2, 3, padding="same", use_bias=False),
              L.BatchNormalization(), L.ReLU(), L.GlobalAveragePooling2D(), L.Dense(classes)]
    x = rng.normal(size=(batch, side, side, 1)).astype(np.float32)
model = keras.Sequential(layers)
if model_kind == "mlp":  # the same start everywhere (the smoke test compares losses)
    init = np.random.default_rng(1)
    model.set_weights([(init.normal(size=w.shape) / np.sqrt(w.shape[0])).astype(np.float32)
                       for w in model.get_weights()])
y = rng.integers(0, dims[-1], size=batch).astype(np.int32)
optimizer = keras.optimizers.Adam(1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
mean = keras.metrics.Mean()

if framework != "keras-jax":
    xs, ys = tf.constant(x), tf.constant(y)

    def eager_step():
        with tf.GradientTape() as tape:
            loss = loss_fn(ys, model(xs, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
        return float(loss)

    @tf.function
    def function_step(xs, ys):
        with tf.GradientTape() as tape:
            loss = loss_fn(ys, model(xs, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
        return loss

    steps = {"eager": eager_step, "function": lambda: float(function_step(xs, ys))}
else:
    import jax.numpy as jnp
    xs, ys = jnp.asarray(x), jnp.asarray(y)
    optimizer.build(model.trainable_variables)

    def loss_of(trainable, non_trainable, xs, ys):
        out, non_trainable = model.stateless_call(trainable, non_trainable, xs, training=True)
        return loss_fn(ys, out), non_trainable

    grad_fn = jax.value_and_grad(loss_of, has_aux=True)

    def update(state, xs, ys):
        trainable, non_trainable, opt_vars, metric_vars = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, xs, ys)
        trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        metric_vars = mean.stateless_update_state(metric_vars, loss)
        return loss, (trainable, non_trainable, opt_vars, metric_vars)

    jitted = jax.jit(update, donate_argnums=0)
    state = [[v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
             [v.value for v in optimizer.variables], [v.value for v in mean.variables]]

    def stateful(fn):
        def step():
            global state
            loss, state = fn(state, xs, ys)
            return float(loss)
        return step

    steps = {"eager": stateful(update), "function": stateful(jitted)}
if mode == "fit":
    model.compile(optimizer=optimizer, loss=loss_fn)
    steps["fit"] = lambda: float(np.asarray(model.train_on_batch(x, y)))
step = steps[mode]
start = time.perf_counter()
loss = step()
print("ready", time.perf_counter() - start, loss, flush=True)
for line in sys.stdin:
    print(step(), flush=True)
"""

_workers = []


@atexit.register
def _stop_workers():
    for proc in _workers:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=30)


def _worker(framework, model, mode, size):
    """A worker process; returns (its step as a callable, its first-step seconds)."""
    dims, batch = SIZES[size][model]
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND="tensorflow" if framework == "tensorflow" else "jax",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", WORKER, framework, model, mode, repr(dims),
                             str(batch)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    _workers.append(proc)
    ready = proc.stdout.readline().split()
    if not ready or ready[0] != "ready":
        raise RuntimeError(f"keras worker {framework}/{model}/{mode} failed to start")

    def step():
        proc.stdin.write("step\n")
        return float(proc.stdout.readline())
    return step, float(ready[1])


NAMES = {"jaxtape": "jaxtape", "tensorflow": "TF+Keras", "keras-jax": "Keras-JAX"}
MODES = {"eager": "eager", "function": "tf.function", "fit": "fit step"}


def build(size, frameworks):
    out = unavailable(frameworks)
    if size != "full":  # the smoke test: jaxtape's eager step against Keras-JAX's, MLP only
        return {"jaxtape eager: mlp": _worker("jaxtape", "mlp", "eager", size)[0],
                "Keras-JAX jit: mlp": _worker("keras-jax", "mlp", "function", size)[0]}
    chosen = [f for f in ("jaxtape", "tensorflow") if wants(frameworks, f)]
    if "jax" in frameworks:
        chosen.append("keras-jax")
    first = {}
    for model in ("mlp", "cnn"):
        for framework in chosen:
            for mode in ("eager", "function", "fit"):
                if framework == "keras-jax" and mode == "fit":
                    continue
                label = "jit" if framework == "keras-jax" and mode == "function" else MODES[mode]
                step, seconds = _worker(framework, model, mode, size)
                out[f"{NAMES[framework]} {label}: {model}"] = step
                if mode == "eager" and model == "mlp":
                    first[framework] = [seconds]
    for framework, seconds in first.items():  # two more fresh processes each
        for _ in range(2):
            seconds.append(_worker(framework, "mlp", "eager", size)[1])
            _workers.pop().stdin.close()
        out[f"{NAMES[framework]} first eager step: mlp"] = _stats(seconds)
    return out


def _targets():
    targets = []
    for model in ("mlp", "cnn"):
        targets += [
            Ratio(f"Keras {model} eager <= 0.2x TF+Keras eager", f"jaxtape eager: {model}",
                  f"TF+Keras eager: {model}", 0.2),
            Ratio(f"Keras {model} tf.function <= 1.1x Keras-JAX jit",
                  f"jaxtape tf.function: {model}", f"Keras-JAX jit: {model}", 1.1),
            Ratio(f"Keras {model} fit step <= 1.1x Keras-JAX jit", f"jaxtape fit step: {model}",
                  f"Keras-JAX jit: {model}", 1.1)]
    targets.append(Ratio("Keras first eager step <= 2x TF+Keras", "jaxtape first eager step: mlp",
                         "TF+Keras first eager step: mlp", 2.0))
    return tuple(targets)


WORKLOAD = Workload(
    "keras", "Keras train steps: MLP 784-256-256-10 (batch 128), CNN + BatchNorm (batch 64), Adam",
    build, targets=_targets(), warmup=3,
    note="Each cell is a worker process (Keras picks one backend per process); a timed call "
         "is a pipe round trip to it. The first step: model built and Keras imported before "
         "the clock starts; three fresh processes per framework.")
