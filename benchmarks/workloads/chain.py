"""Workloads 1 and 2: a chain of scalar ops under a tape, then its gradient.

Hot: the same 100 multiplies every call (what a training loop looks like, so
caches keyed by structure may help). Cold: a new structure every call, 50 to
99 ops mixing add and multiply, so nothing keyed by structure can be reused.
With strict alternation there would be only 50 structures, which a
structure cache would see again within one run; the op of each position is
therefore drawn from the same seeded sequence too. Every implementation's
k-th call builds the same k-th structure.
"""
from __future__ import annotations

import random

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants

MUL, ADD = 1.01, 0.01


def structures(seed=5):
    """Endless (is_multiply, ...) tuples; the same sequence for every caller."""
    rng = random.Random(seed)
    while True:
        n = rng.randint(50, 99)
        yield tuple(rng.random() < 0.5 for _ in range(n))


def _tape_chain(tf, ops_for_call):
    """Works for jaxtape and TensorFlow alike: both have TF's API."""
    x = tf.constant(np.float32(1.5))
    m = tf.constant(np.float32(MUL))
    a = tf.constant(np.float32(ADD))

    def step():
        ops = ops_for_call()
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for is_mul in ops:
                y = y * m if is_mul else y + a
        return tape.gradient(y, x)
    return step


def _jax_fn(ops):
    import jax.numpy as jnp
    m, a = jnp.float32(MUL), jnp.float32(ADD)

    def f(x):
        y = x
        for is_mul in ops:
            y = y * m if is_mul else y + a
        return y
    return f


def _torch_chain(ops_for_call):
    torch = fw.torch()
    x = torch.tensor(1.5, requires_grad=True)
    m, a = torch.tensor(MUL), torch.tensor(ADD)

    def step():
        y = x
        for is_mul in ops_for_call():
            y = y * m if is_mul else y + a
        return torch.autograd.grad(y, x)[0]
    return step


def _hot_ops(size):
    ops = (True,) * (100 if size == "full" else 5)
    return lambda: ops


def _cold_ops(size):
    it = structures()
    if size == "full":
        return lambda: next(it)
    return lambda: next(it)[:6]


def build_hot(size, frameworks):
    import jax
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _tape_chain(jaxtape, _hot_ops(size))
    if wants(frameworks, "tensorflow"):
        tf = fw.tensorflow()
        out["TF eager"] = _tape_chain(tf, _hot_ops(size))
        out["TF tf.function"] = tf.function(_tape_chain(tf, _hot_ops(size)))
    if "jax" in frameworks:
        f = _jax_fn(_hot_ops(size)())
        x = jax.numpy.float32(1.5)
        grad, jitted = jax.grad(f), jax.jit(jax.grad(f))
        out["JAX eager"] = lambda: grad(x)
        out["JAX jit"] = lambda: jitted(x)
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = _torch_chain(_hot_ops(size))
    return out


def build_cold(size, frameworks):
    import jax
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _tape_chain(jaxtape, _cold_ops(size))
    if wants(frameworks, "tensorflow"):
        out["TF eager"] = _tape_chain(fw.tensorflow(), _cold_ops(size))
    if "jax" in frameworks:
        ops = _cold_ops(size)
        x = jax.numpy.float32(1.5)
        out["JAX eager"] = lambda: jax.grad(_jax_fn(ops()))(x)
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = _torch_chain(_cold_ops(size))
    return out


# Warm-up past jaxtape's transient: the plan compiles whole by its 8th sighting
# (`backward.config["compile_by"]`) and the pending forward fuses with it 16
# plain gradients later (`deferred.config["fuse_after"]`). With 5 calls the
# calibration call met a compile, so each sample was one call and the samples
# mixed the step-by-step, compiling and fused phases (IQR +-83%).
HOT = Workload(
    "chain", "chain, hot: 100 scalar multiplies + gradient, same structure every call",
    build_hot, targets=(Ratio("chain hot <= 0.5x TF eager", "jaxtape", "TF eager", 0.5),
                        Ratio("chain hot <= 1.0x PyTorch eager", "jaxtape", "PyTorch eager", 1.0)),
    per=100, warmup=30, isolate=True)

COLD = Workload(
    "chain_cold", "chain, cold: 50-99 scalar adds/multiplies + gradient, new structure every call",
    build_cold, targets=(Ratio("chain cold <= 1.0x TF eager", "jaxtape", "TF eager", 1.0),),
    note="Compiled variants (tf.function, jax.jit) are left out: they would retrace every call.",
    isolate=True)
