"""Keras optimizer and metric updates in jaxtape's kernel cache: keyed by what
the object holds, never served to an object that computes otherwise."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from test_keras_bridge import run  # tests/keras is on the path, as for test_keras_differential

pytest.importorskip("keras")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One Adam step on a tiny model per optimizer setting, in a fresh process
# (the kernel cache serves a process's first call of a kernel). `off`: those
# settings run with the cache off (the reference, never stored).
SCRIPT = r"""
import json, sys
import numpy as np
import jaxtape as tf
from jaxtape._src.framework import kernel_cache
from jaxtape._src.tape import tiers
keras = tf.keras
kernel_cache._ready.wait()
kernel_cache.state["source"] = "pinned"  # other edits of the checkout between the two processes
out = {}
for name in sys.argv[1].split(","):
    off = name.endswith("-off")
    settings = {"a": {}, "b": {"epsilon": 1.0}, "c": {"weight_decay": 0.5}}[name.split("-")[0]]
    kernel_cache.state["dir"] = None if off else sys.argv[2]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([np.full((3, 2), 0.5, np.float32), np.zeros(2, np.float32)])
    opt = keras.optimizers.Adam(0.1, **settings)
    mean = keras.metrics.Mean()
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    before = kernel_cache.stats["hits"]
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
    out[name] = {"weights": [w.tolist() for w in model.get_weights()],
                 "mean": float(mean.result()), "hits": kernel_cache.stats["hits"] - before}
    tiers.wait()  # the background compiles that store what JAX's cache answered
    out[name]["stores"] = kernel_cache.stats["stores"]
print("RESULT " + json.dumps(out))
"""


def _run(names, cache_dir):
    env = dict(os.environ, KERAS_BACKEND="jax", JAXTAPE_COMPILATION_CACHE=str(cache_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(names), str(cache_dir / "kernels")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def test_served_only_to_the_same_settings(tmp_path):
    first = _run(["a", "b-off", "c-off"], tmp_path)  # stores "a" only
    for f in (tmp_path / "kernels").glob("*.kernel"):
        f.unlink()  # as after an edit of jaxtape: JAX's cache still holds the programs
    again = _run(["a"], tmp_path)  # code from JAX's cache: compiled afresh in the background
    assert again["a"]["hits"] == 0 and again["a"]["stores"] >= 2
    second = _run(["a", "b", "c"], tmp_path)
    assert second["a"]["hits"] >= 2  # the optimizer's and the metric's updates
    assert second["a"]["weights"] == first["a"]["weights"]
    assert second["a"]["mean"] == first["a"]["mean"]
    for name in ("b", "c"):  # other settings: their own code, not "a"'s
        np.testing.assert_allclose(np.concatenate([np.ravel(w) for w in second[name]["weights"]]),
                                   np.concatenate([np.ravel(w) for w in first[name + "-off"]["weights"]]),
                                   rtol=1e-6)
        assert second[name]["weights"] != first["a"]["weights"]
        assert second[name]["hits"] == 1  # the metric's update only: the same Mean


def test_identity_follows_what_the_object_holds():
    run("""
        import jaxtape as tf
        from jaxtape._src.keras import common
        keras = tf.keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

        def ident(opt):
            opt.build(model.trainable_variables)
            return common.identity(opt, skip=("_trainable_variables_indices",))

        # Named alike: a name is in its variables' paths, which the identity holds.
        ids = [ident(keras.optimizers.Adam(name="adam", **settings))
               for settings in ({}, {}, {"beta_1": 0.5}, {"learning_rate": 0.01})]
        assert ids[0] is not None and ids[0] == ids[1] != ids[2]
        assert ids[3] == ids[0]  # the learning rate is a variable: an input, not in the code
        opt = keras.optimizers.Adam(name="adam")
        opt.exclude_from_weight_decay(var_names=["bias"])  # state outside `get_config`
        assert ident(opt) != ids[0]

        class MyAdam(keras.optimizers.Adam):  # user code: never keyed
            def update_step(self, gradient, variable, learning_rate):
                return super().update_step(gradient * 2, variable, learning_rate)

        assert ident(MyAdam()) is None
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
        assert common.identity(keras.optimizers.SGD(schedule)) is not None

        class Halving(keras.optimizers.schedules.LearningRateSchedule):
            def __call__(self, step):
                return 0.1 / (step + 1)

        assert common.identity(keras.optimizers.SGD(Halving())) is None
        mean, sum_ = keras.metrics.Mean(name="m"), keras.metrics.Sum(name="m")
        assert common.identity(mean) == common.identity(keras.metrics.Mean(name="m")) is not None
        assert common.identity(mean) != common.identity(sum_)
        """)
