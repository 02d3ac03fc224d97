"""Workloads 5 and 6: Jacobians through the tape API.

batch_jacobian: `tanh(x @ W)` with x 64x128 and W 128x128, Jacobian of each
row with respect to its own input row (64 x 128 x 128). Hessian: nested tapes,
`jacobian` of the gradient of `sum(tanh(A x)^2)` for x of size 32. JAX and
torch compute the same thing with their function transforms.
"""
from __future__ import annotations

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants


def _bj_data(size):
    rng = np.random.default_rng(1)
    b, n = (64, 128) if size == "full" else (3, 4)
    x = rng.standard_normal((b, n)).astype(np.float32)
    w = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    return x, w


def _tape_batch_jacobian(tf, size):
    x_np, w_np = _bj_data(size)
    x, w = tf.constant(x_np), tf.constant(w_np)

    def run():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.tanh(tf.matmul(x, w))
        return tape.batch_jacobian(y, x)
    return run


def _missing(method):
    import jaxtape
    if not hasattr(jaxtape.GradientTape, method):
        return f"n/a (not implemented: GradientTape.{method})"
    return None


def build_batch_jacobian(size, frameworks):
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _missing("batch_jacobian") or _tape_batch_jacobian(jaxtape, size)
    if wants(frameworks, "tensorflow"):
        tf = fw.tensorflow()
        out["TF eager"] = _tape_batch_jacobian(tf, size)
        out["TF tf.function"] = tf.function(_tape_batch_jacobian(tf, size))
    if "jax" in frameworks:
        out.update(_jax_batch_jacobian(size))
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = _torch_batch_jacobian(size)
    return out


def _jax_batch_jacobian(size):
    import jax
    import jax.numpy as jnp
    x_np, w_np = _bj_data(size)
    x, w = jnp.asarray(x_np), jnp.asarray(w_np)
    per_row = jax.vmap(jax.jacrev(lambda r: jnp.tanh(r @ w)))
    jitted = jax.jit(per_row)
    return {"JAX eager": lambda: per_row(x), "JAX jit": lambda: jitted(x)}


def _torch_batch_jacobian(size):
    torch = fw.torch()
    x_np, w_np = _bj_data(size)
    x, w = torch.tensor(x_np), torch.tensor(w_np)
    per_row = torch.func.vmap(torch.func.jacrev(lambda r: torch.tanh(r @ w)))
    return lambda: per_row(x)


def _h_data(size):
    rng = np.random.default_rng(2)
    n = 32 if size == "full" else 4
    a = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    return a, rng.standard_normal(n).astype(np.float32)


def _tape_hessian(tf, size):
    a_np, x_np = _h_data(size)
    a, x = tf.constant(a_np), tf.constant(x_np)

    def run():
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.reduce_sum(tf.square(tf.tanh(tf.linalg.matvec(a, x))))
            g = inner.gradient(y, x)
        return outer.jacobian(g, x)
    return run


def build_hessian(size, frameworks):
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _missing("jacobian") or _tape_hessian(jaxtape, size)
    if wants(frameworks, "tensorflow"):
        tf = fw.tensorflow()
        out["TF eager"] = _tape_hessian(tf, size)
        out["TF tf.function"] = tf.function(_tape_hessian(tf, size))
    if "jax" in frameworks:
        out.update(_jax_hessian(size))
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = _torch_hessian(size)
    return out


def _jax_hessian(size):
    import jax
    import jax.numpy as jnp
    a_np, x_np = _h_data(size)
    a, x = jnp.asarray(a_np), jnp.asarray(x_np)
    hess = jax.hessian(lambda v: jnp.sum(jnp.tanh(a @ v) ** 2))
    jitted = jax.jit(hess)
    return {"JAX eager": lambda: hess(x), "JAX jit": lambda: jitted(x)}


def _torch_hessian(size):
    torch = fw.torch()
    a_np, x_np = _h_data(size)
    a, x = torch.tensor(a_np), torch.tensor(x_np)
    hess = torch.func.hessian(lambda v: torch.sum(torch.tanh(a @ v) ** 2))
    return lambda: hess(x)


BATCH_JACOBIAN = Workload(
    "batch_jacobian", "batch_jacobian of tanh(x @ W), x 64x128, W 128x128",
    build_batch_jacobian,
    targets=(Ratio("batch_jacobian <= 0.1x TF eager", "jaxtape", "TF eager", 0.1),),
    note="JAX and PyTorch: vmap(jacrev) of the per-row function.", isolate=True)

HESSIAN = Workload(
    "hessian", "Hessian by nested tapes: jacobian of the gradient of sum(tanh(A x)^2), x of size 32",
    build_hessian, targets=(Ratio("Hessian <= 0.1x TF eager", "jaxtape", "TF eager", 0.1),),
    note="JAX: jax.hessian; PyTorch: torch.func.hessian.", isolate=True)
