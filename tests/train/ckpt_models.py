"""Structures saved by both TensorFlow and jaxtape in the checkpoint tests.

Each function takes the `tf` module (real TensorFlow or jaxtape) so that the
same code builds the same object graph in both.
"""
from __future__ import annotations

import numpy as np


def make_model(tf, offset: int = 0):
    """A module with float32/float64/int32/int64 variables, a nested module,
    a list, a tuple, a dict (with a key that needs escaping), a shared
    variable and untracked attributes; values shift with `offset`."""

    class Inner(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.arange(6, dtype=np.float64).reshape(2, 3) + offset)
            self.b = tf.Variable(np.array([1, 2, 3], np.int64) + offset)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.z = tf.Variable(np.float32(1.5 + offset))
            self.inner = Inner()
            self.vs = [tf.Variable(np.int32(7 + offset)),
                       tf.Variable(np.array([1.0, 2.0], np.float32) + offset)]
            self.d = {"b": tf.Variable(np.float32(2 + offset)),
                      "a/x.y": tf.Variable(np.float32(3 + offset))}
            self.t = (tf.Variable(np.float32(4 + offset), name="tv"), 3)
            self.ints = [1, 2]
            self.nothing = None
            self._priv = self.z  # the same variable twice: one node
            self.label = "not tracked"

    return Model()


def snapshot(model, step) -> dict:
    """Every variable's value and dtype name, by a readable path."""
    named = {"z": model.z, "inner.w": model.inner.w, "inner.b": model.inner.b,
             "vs0": model.vs[0], "vs1": model.vs[1], "d.b": model.d["b"],
             "d.a/x.y": model.d["a/x.y"], "t0": model.t[0], "step": step}
    return {k: [np.asarray(v.numpy()).tolist(), v.dtype.name] for k, v in named.items()}


def manager_run(tf, directory: str) -> list:
    """Saves five times through a CheckpointManager(max_to_keep=2), one with an
    explicit number; returns what each save and the manager reported."""
    v = tf.Variable(1.0)
    ckpt = tf.train.Checkpoint(v=v)
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=2)
    out = [manager.latest_checkpoint]
    for number in (None, None, None, 10, None):
        v.assign_add(1.0)
        out.append(manager.save(checkpoint_number=number))
    out.append([manager.latest_checkpoint, manager.checkpoints, int(ckpt.save_counter.numpy())])
    again = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(0.0)), directory,
                                       max_to_keep=3)
    out.append([again.latest_checkpoint, again.checkpoints])
    return out


def many_variables(tf, count: int = 4000) -> dict:
    """Enough variables that the index file spans several table blocks."""
    return {f"variable_with_a_rather_long_name_{i:05d}": tf.Variable(np.float32(i))
            for i in range(count)}
