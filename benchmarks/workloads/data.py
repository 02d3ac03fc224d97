"""Workload: one epoch of the tf.data pipeline of `benchmarks/data_pipeline.py`.

`from_tensor_slices((x, y)).shuffle(10000).batch(128).map(normalize)
.prefetch(AUTOTUNE)`, at a suite-sized 4,096 rows of 784 float32 (the
standalone script runs 60,000 rows, each framework in its own process).
"JAX eager" is the same epoch written with NumPy indexing and `jnp`
(a permutation, a gather per batch, the normalization). The tiny size keeps
the order (buffer 1), so the smoke test can compare the last batches.
"""
from __future__ import annotations

import numpy as np

from benchmarks import data_pipeline
from benchmarks import frameworks as fw
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants


def _jax_epoch(rows, shuffle):
    import jax
    import jax.numpy as jnp
    x, y = data_pipeline.data(rows)
    rng = np.random.default_rng(0)
    normalize = jax.jit(lambda a: (a - 0.5) / 0.25)

    def run():
        order = rng.permutation(rows) if shuffle else np.arange(rows)
        last = None
        for i in range(0, rows, 128):
            idx = order[i:i + 128]
            last = normalize(jnp.asarray(x[idx])), jnp.asarray(y[idx])
        return last
    return run


def build(size, frameworks):
    import jaxtape
    rows, buffer = (4096, 10000) if size == "full" else (300, 1)
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        ds = data_pipeline.build(jaxtape, rows, buffer=buffer)
        out["jaxtape"] = lambda: data_pipeline.epoch(ds, rows)
    if wants(frameworks, "tensorflow"):
        tds = data_pipeline.build(fw.tensorflow(), rows, buffer=buffer)
        out["TF eager"] = lambda: data_pipeline.epoch(tds, rows)
    if "jax" in frameworks:
        out["JAX eager"] = _jax_epoch(rows, shuffle=buffer > 1)
    return out


WORKLOAD = Workload(
    "data", "tf.data epoch: 4096x784 float32, shuffle(10000).batch(128).map.prefetch",
    build, targets=(Ratio("tf.data epoch <= 1.0x TF", "jaxtape", "TF eager", 1.0),),
    warmup=1, isolate=True)
