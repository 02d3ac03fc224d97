"""Runs the programs of `programs.py` under real TF + Keras and under jaxtape's tf.keras.

Keras picks one backend per process, so each side runs in its own
subprocess: real TensorFlow with `KERAS_BACKEND=tensorflow`, jaxtape with
Keras on JAX (which also keeps Keras out of the pytest process). One
subprocess per side runs every program and pickles what each returned, as
NumPy values, or the exception it raised.
"""
from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]

RUNNER = """
import pickle, sys, traceback
sys.path.insert(0, {here!r})
if {side!r} == "tf":
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
else:
    import jaxtape as tf
import numpy as np
import programs
programs.tf = tf
import harness
out = {{}}
for name in {names!r}:
    try:
        out[name] = ("ok", harness.plain(getattr(programs, name)()))
    except Exception as e:
        out[name] = ("error", type(e).__name__, str(e), traceback.format_exc())
with open({path!r}, "wb") as f:
    pickle.dump(out, f)
"""


def plain(x):
    """Results as NumPy values: arrays, None, numbers, strings, lists and dicts of them."""
    if x is None or isinstance(x, (bool, int, float, str, bytes)):
        return x
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return np.asarray(x)


def run_side(side: str, names: list[str], files: str = "") -> dict:
    """{program name: ("ok", result) or ("error", type, message, traceback)};
    `files`: the folder programs write their files to (shared by both sides)."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND="tensorflow" if side == "tf" else "jax", JAX_PLATFORMS="cpu",
               KERAS_PROGRAM_FILES=files,
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.pkl")
        code = RUNNER.format(here=str(HERE), side=side, names=names, path=path)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=600)
        if proc.returncode != 0 or not os.path.exists(path):
            raise RuntimeError(f"the {side} side failed:\n{proc.stdout}\n{proc.stderr}")
        with open(path, "rb") as f:
            return pickle.load(f)


def assert_same(expected, actual, path="result", rtol=1e-4, atol=1e-6):
    """Same structure, same None-ness, numbers within rtol (TF's are `expected`)."""
    if expected is None or actual is None:
        assert expected is None and actual is None, f"{path}: TF gives {expected!r}, jaxtape {actual!r}"
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(expected) == list(actual), path
        for k in expected:
            assert_same(expected[k], actual[k], f"{path}[{k!r}]", rtol, atol)
        return
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), \
            f"{path}: lengths {len(expected)} vs {len(actual) if isinstance(actual, list) else actual}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{path}[{i}]", rtol, atol)
        return
    if isinstance(expected, (bool, str, bytes)):
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"
        return
    e, a = np.asarray(expected), np.asarray(actual)
    assert e.dtype == a.dtype and e.shape == a.shape, f"{path}: {e.dtype}{e.shape} vs {a.dtype}{a.shape}"
    if e.dtype.kind not in "biufc":  # strings, bytes: exactly
        np.testing.assert_array_equal(a, e, err_msg=path)
        return
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=path)
