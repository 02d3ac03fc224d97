"""Keras models and optimizers in `tf.train.Checkpoint`, both ways with real TF + Keras.

`keras_ckpt_side.py` runs the jaxtape side (Keras on JAX) in a subprocess,
which runs the TF side (Keras on TensorFlow) in another: each writes a
Sequential, a functional model with BatchNormalization and a subclassed model
with a trained Adam through `CheckpointManager`, and restores the other's
into models initialized differently (`assert_consumed` must pass).
"""
from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.train import bundle, object_graph

HERE = pathlib.Path(__file__).resolve().parent
KINDS = ("sequential", "functional", "subclassed")


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("keras_ckpt")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_ENABLE_ONEDNN_OPTS="0",
               TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(HERE.parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(HERE / "keras_ckpt_side.py"), "jax", str(folder)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-6000:]
    out = {}
    for side in ("jax", "tf"):
        with open(folder / f"{side}.pkl", "rb") as f:
            out[side] = pickle.load(f)
    return folder, out


def assert_close(expected, actual, path):
    if isinstance(expected, dict):
        assert expected.keys() == actual.keys(), path
        for k in expected:
            assert_close(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_close(e, a, f"{path}[{i}]")
    else:
        # Restored weights are bit-equal; predictions come from two frameworks' float32
        # kernels, whose last bits depend on the CPU (an AVX-512 host: 2.1e-6 relative
        # after BatchNorm's rsqrt).
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=path)


@pytest.mark.parametrize("kind", KINDS)
def test_restores_both_ways(sides, kind):
    _, out = sides
    # Same predictions, weights (BatchNormalization's moving statistics too),
    # Adam slots and iteration count as the model that was saved.
    assert_close(out["jax"]["wrote"][kind], out["tf"]["read"][kind], f"jaxtape -> TF {kind}")
    assert_close(out["tf"]["wrote"][kind], out["jax"]["read"][kind], f"TF -> jaxtape {kind}")


def _graph(prefix, names=True):
    nodes = object_graph.decode(bundle.Reader(prefix).tensor(bundle.OBJECT_GRAPH_KEY))
    return [(n.children, [(a, f if names else "", k) for a, f, k in n.attributes], n.slot_variables)
            for n in nodes]


@pytest.mark.parametrize("kind", KINDS)
def test_same_object_graph_as_tf(sides, kind):
    folder, _ = sides
    ours, theirs = (str(folder / side / kind / "ckpt-1") for side in ("jax", "tf"))
    assert [(n, s) for n, s in tf.train.list_variables(ours)] == \
        [(n, s) for n, s in tf.train.list_variables(theirs)]
    if kind == "subclassed":  # variables' full names follow Keras paths (README: Differences)
        assert _graph(ours, names=False) == _graph(theirs, names=False)
    else:
        reader = lambda p: bundle.Reader(p).tensor(bundle.OBJECT_GRAPH_KEY)  # noqa: E731
        assert reader(ours) == reader(theirs)


def test_partial_restore_statuses(sides):
    _, out = sides
    jax_side, tf_side = out["jax"]["partial"], out["tf"]["partial"]
    assert {k: v for k, v in jax_side.items() if k != "pred"} == \
        {k: v for k, v in tf_side.items() if k != "pred"}
    assert jax_side["consumed"] == "AssertionError" and jax_side["existing"] == "ok"
    # The model-only restore still restored the model's values.
    np.testing.assert_allclose(jax_side["pred"], out["tf"]["wrote"]["functional"]["pred"], rtol=1e-5)
    np.testing.assert_allclose(tf_side["pred"], out["jax"]["wrote"]["functional"]["pred"], rtol=1e-5)


def test_deferred_restore_into_unbuilt_model(sides):
    # A TF-written checkpoint restored before the model and optimizer are built:
    # pending until the variables exist, then consumed, with the saved values.
    _, out = sides
    got = dict(out["jax"]["deferred"])
    assert (got.pop("early"), got.pop("late")) == ("AssertionError", "ok")
    assert_close(out["tf"]["wrote"]["subclassed"], got, "TF -> jaxtape deferred")
