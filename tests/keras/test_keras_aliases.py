"""`tf.initializers`, `tf.losses`, `tf.metrics`, `tf.optimizers`: TF 2.21's lazy
aliases of `tf.keras.<submodule>`, checked against TF + Keras. Keras picks one
backend per process, so each side runs in its own subprocess."""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

PROGRAM = """
import json, sys
import numpy as np
if sys.argv[1] == "tf":
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
else:
    import jaxtape as tf
out = {"repr_before": repr(tf.losses)}
out["same"] = [getattr(tf, n) is not None and
               getattr(getattr(tf, n), c) is getattr(getattr(tf.keras, n), c)
               for n, c in [("initializers", "GlorotUniform"), ("losses", "MeanSquaredError"),
                            ("metrics", "Mean"), ("optimizers", "Adam")]]
out["names"] = [tf.initializers.GlorotUniform.__name__, tf.losses.MeanSquaredError.__name__,
                tf.metrics.Mean.__name__, tf.optimizers.SGD.__name__]
y, p = tf.constant([[1.0, 2.0]]), tf.constant([[1.5, 1.0]])
out["mse"] = float(tf.losses.MeanSquaredError()(y, p))
m = tf.metrics.Mean()
m.update_state([1.0, 2.0, 6.0])
out["mean"] = float(m.result())
w = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(w * w)
tf.optimizers.SGD(0.1).apply_gradients(zip(tape.gradient(loss, [w]), [w]))
out["sgd"] = w.numpy().tolist()
out["zeros"] = np.asarray(tf.initializers.Zeros()((2,))).tolist()
try:
    tf.losses.not_a_loss
except AttributeError:
    out["missing"] = "AttributeError"
out["repr_after"] = repr(tf.losses)
print(json.dumps(out))
"""


def _side(side, **env):
    full_env = dict(os.environ, JAX_PLATFORMS="cpu", TF_ENABLE_ONEDNN_OPTS="0",
                    TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow" if side == "tf" else "jax",
                    **env)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", PROGRAM, side], env=full_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_aliases_match_tensorflow():
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    want, got = _side("tf"), _side("jaxtape")
    assert got == want


def test_aliases_are_lazy_and_name_the_extra_without_keras():
    code = textwrap.dedent("""
        import sys
        import jaxtape as tf
        assert "keras" not in sys.modules
        names = [tf.initializers, tf.losses, tf.metrics, tf.optimizers]
        assert "keras" not in sys.modules
        import tensorflow.losses  # noqa: F401 - under the alias, as under the runner
        sys.modules["keras"] = None  # as if Keras were not installed
        for n in names:
            try:
                n.anything
            except ModuleNotFoundError as e:
                print(e)
        """)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    code = code.replace("import tensorflow.losses", "from jaxtape._src.api import alias; "
                        "alias.alias(tf); import tensorflow.losses")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4 and all("pip install 'jaxtape[keras]'" in line for line in lines), lines
