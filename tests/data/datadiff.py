"""Comparing a pipeline under jaxtape with the same pipeline under TensorFlow."""
from __future__ import annotations

import numpy as np

import jaxtape
from difftest import outcome, real_tf


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_plain(v) for v in x)
    a = np.asarray(x)
    return (a.dtype.name, a.shape, a.tolist())


def describe(ds, limit=50):
    """What TF defines for a dataset: repr, spec, cardinality, and its elements
    (as Tensors: dtype, shape, values) up to `limit`."""
    elements = []
    it = iter(ds)
    for _ in range(limit):
        try:
            e = next(it)
        except StopIteration:
            break
        elements.append(_plain(e))
    return {"repr": repr(ds), "spec": repr(ds.element_spec),
            "cardinality": int(ds.cardinality()), "elements": elements}


def same_dataset(build, limit=50):
    """Asserts `build(tf)` gives the same dataset under jaxtape as under TF."""
    want = describe(build(real_tf()), limit)
    got = describe(build(jaxtape), limit)
    for key in want:
        assert got[key] == want[key], f"{key}: {got[key]} != TF's {want[key]}"
    return got


def same_outcome_of(fn):
    """Asserts `fn(tf)` has the same outcome (value, or exception type and message)."""
    want = outcome(fn, real_tf(), _plain_any)
    got = outcome(fn, jaxtape, _plain_any)
    assert got == want, f"{got} != TF's {want}"
    return got


def _plain_any(x):
    if hasattr(x, "element_spec") and hasattr(x, "cardinality"):
        return describe(x)
    if isinstance(x, (int, str)):
        return x
    return _plain(x)
