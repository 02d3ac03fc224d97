"""Workload: Keras train steps, jaxtape's tf.keras against TF + Keras and plain Keras-JAX.

Models: an MLP 784-256-256-10 (batch 128) and a small CNN with BatchNorm
(28x28x1 -> Conv16 + BN + ReLU + MaxPool -> Conv32 + BN + ReLU + global
average pool -> Dense10, batch 64); Adam, sparse categorical cross-entropy
from logits, a `Mean` metric. Steps:

* eager: the custom train step (tape + model + loss + `apply_gradients` +
  metric), as TF's "training loop from scratch" guide writes it;
* tf.function: that step under `tf.function` (plain Keras-JAX: `jax.jit` of
  `stateless_call` + `optimizer.stateless_apply`, Keras's recipe for JAX);
* fit: one epoch of `model.fit` on NumPy arrays of `FIT_STEPS` batches
  (`epochs=1, shuffle=False, verbose=0`), warm: Keras's own per-call work
  (data adapter, callbacks, the variable sync at the end) spread over the
  epoch as a user's `fit` spreads it; a cell's time is the epoch's, so
  divide by `FIT_STEPS` for a step. (`train_on_batch`, timed here before,
  syncs every variable back to the model per call, which `fit` does once
  per epoch: it cost Keras-JAX itself ~1.6x the jit step.) Its targets
  compare it with plain Keras-JAX's own `fit` the same way (what the bridge
  adds to Keras's trainer) and with the hand-written jit step run over the
  same `FIT_STEPS` NumPy batches ("jit, NumPy batches"), the loss waited for
  at the end: JAX copies each batch to the device in the call, as `fit` on
  NumPy data does every batch. The plain "jit" cell is one step on arrays
  already on the device (the tf.function cells' counterpart: they are
  handed `tf.constant`s);
* first step: the eager MLP step's first call, the first thing a fresh
  worker runs (model built, Keras imported before the clock starts).

Keras picks its backend once per process, so each framework runs in one
worker process that builds every cell (its own model, optimizer and metric
per cell) on request; a timed call sends one line and waits for the loss to
come back (a pipe round trip, tens of microseconds, in every cell alike).
Every step is finished when its loss comes back (jaxtape's eager step waits
for its asynchronously dispatched update; before it did, that work was
charged to the next cell timed, flattering eager and penalising the next).
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
# Batches in a fit cell's epoch (and in the jit cell it is set against).
FIT_STEPS = 16
# Fresh processes per framework for the first step beyond the shared worker's
# own first step (each costs an import of TF or Keras, seconds).
EXTRA_FIRST_STEPS = 1

WORKER = r"""
import sys, time
framework, sizes, fit_steps = sys.argv[1], eval(sys.argv[2]), int(sys.argv[3])
import numpy as np
if framework == "jaxtape":
    import jax
    import jaxtape as tf
    keras = tf.keras
elif framework == "tensorflow":
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
    keras = tf.keras
else:
    import jax
    import jax.numpy as jnp
    import keras
keras.layers.Dense  # the lazy tf.keras namespace imports Keras now, before any clock


def make(model_kind, mode):
    dims, batch = sizes[model_kind]
    rng = np.random.default_rng(0)
    L = keras.layers
    if model_kind == "mlp":
        layers = [keras.Input((dims[0],))] + [L.Dense(d, activation="relu") for d in dims[1:-1]]
        layers.append(L.Dense(dims[-1]))
        x = rng.normal(size=(batch, dims[0])).astype(np.float32)
    else:
        side, c1, c2, classes = dims
        layers = [keras.Input((side, side, 1)), L.Conv2D(c1, 3, padding="same", use_bias=False),
                  L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(),
                  L.Conv2D(c2, 3, padding="same", use_bias=False),
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
    # An epoch's NumPy data for the fit and "numpy" cells: the first batch is x, y.
    xs_all = np.concatenate([x, rng.normal(size=((fit_steps - 1) * batch, *x.shape[1:]))
                             .astype(np.float32)])
    ys_all = np.concatenate([y, rng.integers(0, dims[-1], size=(fit_steps - 1) * batch)
                             .astype(np.int32)])
    if mode == "fit":
        model.compile(optimizer=optimizer, loss=loss_fn)
        return lambda: model.fit(xs_all, ys_all, batch_size=batch, epochs=1, shuffle=False,
                                 verbose=0).history["loss"][-1]
    if framework != "keras-jax":
        xs, ys = tf.constant(x), tf.constant(y)

        def eager_step():
            with tf.GradientTape() as tape:
                loss = loss_fn(ys, model(xs, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            mean.update_state(loss)
            if framework == "jaxtape":  # JAX runs the update asynchronously: wait for it here,
                # or its time is charged to whichever cell the clock times next
                jax.block_until_ready([v.value for v in (optimizer.iterations, *mean.variables)])
            return float(loss)

        @tf.function
        def function_step(xs, ys):
            with tf.GradientTape() as tape:
                loss = loss_fn(ys, model(xs, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            mean.update_state(loss)
            return loss

        return eager_step if mode == "eager" else (lambda: float(function_step(xs, ys)))
    # "numpy": an epoch of NumPy batches, which JAX copies to the device in
    # every call (as fit does with NumPy data); otherwise one batch placed once.
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

    fn = jax.jit(update, donate_argnums=0)
    state = [[[v.value for v in model.trainable_variables],
              [v.value for v in model.non_trainable_variables],
              [v.value for v in optimizer.variables], [v.value for v in mean.variables]]]

    def step():
        loss, state[0] = fn(state[0], xs, ys)
        return float(loss)

    def epoch():
        for i in range(0, fit_steps * batch, batch):
            loss, state[0] = fn(state[0], xs_all[i:i + batch], ys_all[i:i + batch])
        return float(loss)
    return epoch if mode == "numpy" else step


steps = {}
print("started", flush=True)
for line in sys.stdin:
    command, model_kind, mode = line.split()
    if command == "build":
        steps[model_kind, mode] = make(model_kind, mode)
        start = time.perf_counter()
        loss = steps[model_kind, mode]()
        print("ready", time.perf_counter() - start, loss, flush=True)
    else:
        print(steps[model_kind, mode](), flush=True)
if framework == "jaxtape":  # queued background compiles reach the caches before exit
    tf._src.tape.tiers.wait()
"""

_workers = []


@atexit.register
def _stop_workers():
    for proc in _workers:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=30)


class _Worker:
    """One framework's worker process; `build` adds a cell and times its first step."""

    def __init__(self, framework, size):
        self.framework = framework
        env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3",
                   KERAS_BACKEND="tensorflow" if framework == "tensorflow" else "jax",
                   PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, framework, repr(SIZES[size]),
                                      str(FIT_STEPS)],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        _workers.append(self.proc)
        self._expect("started", "start")

    def _expect(self, word, what):
        line = self.proc.stdout.readline().split()
        if not line or line[0] != word:
            raise RuntimeError(f"keras worker {self.framework} failed to {what}")
        return line

    def build(self, model, mode):
        """The cell's step as a callable, and its first call's seconds."""
        self.proc.stdin.write(f"build {model} {mode}\n")
        seconds = float(self._expect("ready", f"build {model} {mode}")[1])

        def step():
            self.proc.stdin.write(f"step {model} {mode}\n")
            return float(self.proc.stdout.readline())
        return step, seconds

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        _workers.remove(self.proc)


NAMES = {"jaxtape": "jaxtape", "tensorflow": "TF+Keras", "keras-jax": "Keras-JAX"}
MODES = {"eager": "eager", "function": "tf.function",
         "numpy": f"jit, {FIT_STEPS} NumPy batches", "fit": f"fit epoch of {FIT_STEPS}"}


def build(size, frameworks):
    out = unavailable(frameworks)
    if size != "full":  # the smoke test: jaxtape's eager step against Keras-JAX's, MLP only
        return {"jaxtape eager: mlp": _Worker("jaxtape", size).build("mlp", "eager")[0],
                "Keras-JAX jit: mlp": _Worker("keras-jax", size).build("mlp", "function")[0]}
    chosen = [f for f in ("jaxtape", "tensorflow") if wants(frameworks, f)]
    if "jax" in frameworks:
        chosen.append("keras-jax")
    for framework in chosen:
        if framework != "keras-jax":
            # Untimed: a user's earlier run of the script, as first_steps discards one
            # (after any edit of jaxtape's source its kernel cache starts cold).
            warm = _Worker(framework, size)
            warm.build("mlp", "eager")
            warm.close()
        worker = _Worker(framework, size)
        first = []
        for model in ("mlp", "cnn"):  # the eager MLP cell first: its first step is the process's
            for mode in ("eager", "function", "numpy", "fit"):
                if framework == "keras-jax" and mode == "eager":
                    continue  # op-by-op Keras on JAX: compiles every op per shape, in no target
                if framework != "keras-jax" and mode == "numpy":
                    continue  # the hand-written jit's input placement only
                label = MODES[mode]
                if framework == "keras-jax" and mode == "function":
                    label = "jit"
                step, seconds = worker.build(model, mode)
                out[f"{NAMES[framework]} {label}: {model}"] = step
                if (model, mode) == ("mlp", "eager"):
                    first.append(seconds)
        if framework != "keras-jax":
            for _ in range(EXTRA_FIRST_STEPS):
                fresh = _Worker(framework, size)
                first.append(fresh.build("mlp", "eager")[1])
                fresh.close()
            out[f"{NAMES[framework]} first eager step: mlp"] = _stats(first)
    return out


def _targets():
    targets = []
    for model in ("mlp", "cnn"):
        targets += [
            Ratio(f"Keras {model} eager <= 0.2x TF+Keras eager", f"jaxtape eager: {model}",
                  f"TF+Keras eager: {model}", 0.2),
            Ratio(f"Keras {model} tf.function <= 1.1x Keras-JAX jit",
                  f"jaxtape tf.function: {model}", f"Keras-JAX jit: {model}", 1.1),
            # Both over the same NumPy batches (see the module docstring).
            Ratio(f"Keras {model} fit per step <= 1.1x Keras-JAX jit (NumPy batches)",
                  f"jaxtape {MODES['fit']}: {model}", f"Keras-JAX {MODES['numpy']}: {model}", 1.1),
            # What the bridge adds to Keras's own trainer.
            Ratio(f"Keras {model} fit per step <= 1.1x Keras-JAX fit",
                  f"jaxtape {MODES['fit']}: {model}", f"Keras-JAX {MODES['fit']}: {model}", 1.1)]
    targets.append(Ratio("Keras first eager step <= 2x TF+Keras", "jaxtape first eager step: mlp",
                         "TF+Keras first eager step: mlp", 2.0))
    return tuple(targets)


WORKLOAD = Workload(
    "keras", "Keras train steps: MLP 784-256-256-10 (batch 128), CNN + BatchNorm (batch 64), Adam",
    build, targets=_targets(), warmup=2,
    note="One worker process per framework (Keras picks one backend per process) builds every "
         "cell; a timed call is a pipe round trip to it. The first step: the worker's first "
         f"cell (Keras imported before the clock starts), plus {EXTRA_FIRST_STEPS} fresh "
         "process(es) per framework.")
