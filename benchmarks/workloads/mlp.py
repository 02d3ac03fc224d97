"""Workloads 3 and 4: one SGD step of a 784-256-256-10 ReLU MLP, batch 128.

Loss: mean sparse softmax cross-entropy; gradient of all six variables;
update with `assign_sub` (JAX and torch: the same arithmetic on their own
parameters). Eager runs the step op by op; compiled wraps the same Python
step in `tf.function` (jaxtape, TF) or `jax.jit` (plain JAX: value_and_grad
and the update in one program). PyTorch eager is the reference in both.
"""
from __future__ import annotations

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants

LR = 0.01


# Layer widths and batch: the benchmark, the memory workload's long loop, the smoke test.
SIZES = {"full": ((784, 256, 256, 10), 128), "small": ((32, 64, 64, 10), 32),
         "tiny": ((12, 8, 8, 3), 4)}


def problem(size):
    """Fixed float32 parameters and data (seeded), as NumPy."""
    dims, batch = SIZES[size]
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        params.append(np.zeros(n_out, np.float32))
    x = rng.standard_normal((batch, dims[0])).astype(np.float32)
    labels = rng.integers(0, dims[-1], batch).astype(np.int32)
    return params, x, labels


def tape_loss(tf, variables, x, y):
    """The model's loss as a TF user writes it (call it under a tape)."""
    w1, b1, w2, b2, w3, b3 = variables
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    h = tf.nn.relu(tf.matmul(h, w2) + b2)
    logits = tf.matmul(h, w3) + b3
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def tape_step(tf, size):
    """The step as a TF user writes it; runs on jaxtape and TensorFlow alike."""
    params, x_np, y_np = problem(size)
    variables = [tf.Variable(p) for p in params]
    x, y = tf.constant(x_np), tf.constant(y_np)

    def step():
        with tf.GradientTape() as tape:
            loss = tape_loss(tf, variables, x, y)
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(LR * g)
        return loss
    return step, variables


def jax_loss(params, x, y):
    import jax
    import jax.numpy as jnp
    w1, b1, w2, b2, w3, b3 = params
    h = jax.nn.relu(x @ w1 + b1)
    h = jax.nn.relu(h @ w2 + b2)
    logp = jax.nn.log_softmax(h @ w3 + b3)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def jax_steps(size):
    """(eager step, jitted step): each updates its own copy of the parameters."""
    import jax
    import jax.numpy as jnp
    params_np, x_np, y_np = problem(size)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    value_and_grad = jax.value_and_grad(jax_loss)

    def update(params):
        loss, grads = value_and_grad(params, x, y)
        return loss, [p - LR * g for p, g in zip(params, grads)]

    jitted = jax.jit(update)

    def stepper(fn):
        state = {"params": [jnp.asarray(p) for p in params_np]}

        def step():
            loss, state["params"] = fn(state["params"])
            return loss, state["params"]
        return step, state
    return stepper(update), stepper(jitted)


def torch_step(size):
    torch = fw.torch()
    params_np, x_np, y_np = problem(size)
    params = [torch.tensor(p, requires_grad=True) for p in params_np]
    x, y = torch.tensor(x_np), torch.tensor(y_np, dtype=torch.long)
    relu, ce = torch.nn.functional.relu, torch.nn.functional.cross_entropy

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h = relu(x @ w1 + b1)
        h = relu(h @ w2 + b2)
        loss = ce(h @ w3 + b3, y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(LR * g)
        return loss
    return step, params


def _with(step, variables):
    """Returns the variables too, so timing waits for the updates."""
    return lambda: (step(), variables)


def build_eager(size, frameworks):
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _with(*tape_step(jaxtape, size))
    if wants(frameworks, "tensorflow"):
        out["TF eager"] = tape_step(fw.tensorflow(), size)[0]
    if "jax" in frameworks:
        (eager, _), (jitted, _) = jax_steps(size)
        out["JAX eager"] = eager
        if size == "tiny":  # for the smoke test's comparison only
            out["JAX jit"] = jitted
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = torch_step(size)[0]
    return out


def build_compiled(size, frameworks):
    import jaxtape
    out = unavailable(frameworks)
    if "jaxtape" in frameworks:
        step, variables = tape_step(jaxtape, size)
        out["jaxtape tf.function"] = _with(jaxtape.function(step), variables)
    if wants(frameworks, "tensorflow"):
        tf = fw.tensorflow()
        out["TF eager"] = tape_step(tf, size)[0]
        out["TF tf.function"] = tf.function(tape_step(tf, size)[0])
    if "jax" in frameworks:
        out["JAX jit"] = jax_steps(size)[1][0]
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = torch_step(size)[0]
    return out


EAGER = Workload(
    "mlp", "MLP step, eager: 784-256-256-10 ReLU, batch 128, SGD", build_eager,
    targets=(Ratio("MLP eager <= 0.5x TF eager", "jaxtape", "TF eager", 0.5),
             Ratio("MLP eager <= 1.0x PyTorch eager", "jaxtape", "PyTorch eager", 1.0)),
    # The steady state of a training loop, for every framework: jaxtape's eager
    # step becomes one program after some 25 steps (the first steps are the
    # first_steps workload's).
    warmup=40, isolate=True)

COMPILED = Workload(
    "mlp_compiled", "MLP step, compiled: tf.function / jax.jit (torch eager for reference)",
    build_compiled,
    targets=(Ratio("MLP compiled <= 1.1x JAX jit", "jaxtape tf.function", "JAX jit", 1.1),
             Ratio("MLP compiled < TF tf.function", "jaxtape tf.function", "TF tf.function",
                   1.0, strict=True)),
    isolate=True)
