"""The first training steps of a fresh process: the MLP of `mlp` with Adam.

The model, data and loss are `mlp`'s (784-256-256-10 ReLU, batch 128, mean
sparse softmax cross-entropy); the update is Adam written with
`tf.Variable` slots and tensor ops, the same code on TF and jaxtape
(`tf.keras`-free: TF's `tf.optimizers` is Keras, and Keras's import alone
would dominate a first step). One process per sample (the machinery of
`compile_policy.first_gradient`); step 1 is timed from the first op (the
variables' creation) to the loss's value after the update, import excluded
for both frameworks, and "first 10" is steps 1-10 in all. Every variable
shape meets every update op for the first time on step 1, so there jaxtape
compiles (or reads from its compilation cache) a kernel per op and shape
where TF runs precompiled kernels. With `JAXTAPE_QUICK_FIRST=1` those
start in XLA's quick tier, the full tier compiled in the background from
step 2 (`jaxtape._src.tape.tiers`); each process waits for those after its
timed steps, so the discarded first run leaves both tiers in the cache, as
a user's earlier, longer run would.
"""
from __future__ import annotations

import math

from benchmarks.workloads import mlp
from benchmarks.workloads.base import Ratio, Workload, unavailable
from benchmarks.workloads.compile_policy import _stats, fresh_runs

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7
STEPS = 10


def adam_training(tf, size):
    """A step function: loss and gradient of `mlp`'s model, then one Adam update."""
    params, x_np, y_np = mlp.problem(size)
    variables = [tf.Variable(p) for p in params]
    slots = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in variables]
    x, y = tf.constant(x_np), tf.constant(y_np)
    t = [0]

    def step():
        with tf.GradientTape() as tape:
            loss = mlp.tape_loss(tf, variables, x, y)
        grads = tape.gradient(loss, variables)
        t[0] += 1
        lr = LR * math.sqrt(1 - B2 ** t[0]) / (1 - B1 ** t[0])
        for var, (m, v), g in zip(variables, slots, grads):
            m.assign(B1 * m + (1 - B1) * g)
            v.assign(B2 * v + (1 - B2) * tf.square(g))
            var.assign_sub(lr * m / (tf.sqrt(v) + EPS))
        return loss
    return step, variables


# Run in a fresh interpreter (cwd: the repository): prints {"import": s, "steps": [s, ...]}.
_FRESH = r"""
import json, sys, time
framework, steps = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
tf = __import__(framework)
t1 = time.perf_counter()
from benchmarks.timing import sync
from benchmarks.workloads import first_steps
times = []
start = time.perf_counter()
step, variables = first_steps.adam_training(tf, "full")
for _ in range(steps):
    step().numpy()
    sync(variables)  # jaxtape's updates run asynchronously; TF's are done
    end = time.perf_counter()
    times.append(end - start)
    start = end
if framework == "jaxtape":  # untimed: the full-tier compiles still queued reach the cache,
    tf._src.tape.tiers.wait()  # as a user's earlier (longer) run leaves them there
print(json.dumps({"import": t1 - t0, "steps": times}))
"""


def _jax_adam(size):
    """The same steps in plain JAX, jitted (the smoke test's reference: one compile)."""
    import jax
    import jax.numpy as jnp
    params_np, x_np, y_np = mlp.problem(size)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    value_and_grad = jax.value_and_grad(mlp.jax_loss)

    @jax.jit
    def update(params, ms, vs, lr):
        loss, grads = value_and_grad(params, x, y)
        ms = [B1 * m + (1 - B1) * g for m, g in zip(ms, grads)]
        vs = [B2 * v + (1 - B2) * g * g for v, g in zip(vs, grads)]
        return loss, [p - lr * m / (jnp.sqrt(v) + EPS) for p, m, v in zip(params, ms, vs)], ms, vs

    params = [jnp.asarray(p) for p in params_np]
    state = {"params": params, "m": [jnp.zeros_like(p) for p in params],
             "v": [jnp.zeros_like(p) for p in params], "t": 0}

    def step():
        state["t"] += 1
        t = state["t"]
        lr = jnp.float32(LR * math.sqrt(1 - B2 ** t) / (1 - B1 ** t))
        loss, state["params"], state["m"], state["v"] = update(
            state["params"], state["m"], state["v"], lr)
        return loss, state["params"]
    return step


def _in_process(size, frameworks):
    """The smoke test's cells: the same training steps, in this process."""
    import jaxtape
    step, variables = adam_training(jaxtape, size)
    return {"jaxtape": lambda: (step(), variables), "JAX eager": _jax_adam(size)}


def build(size, frameworks):
    if size != "full":
        return _in_process(size, frameworks)
    out = unavailable(frameworks)
    runs = fresh_runs(_FRESH, [str(STEPS)], 3, frameworks, others=("tensorflow",))
    for name, rs in runs.items():
        out[name] = _stats([r["steps"][0] for r in rs])
        out[f"{name}: first {STEPS}"] = _stats([sum(r["steps"]) for r in rs])
        out[f"{name}: import"] = _stats([r["import"] for r in rs])
    return out


WORKLOAD = Workload(
    "first_steps", f"first {STEPS} MLP + Adam training steps in a fresh process "
    "(784-256-256-10, batch 128; one process per sample)",
    build,
    targets=(Ratio("first MLP + Adam step in a fresh process <= 2x TF eager",
                   "jaxtape", "TF eager", 2.0),
             Ratio(f"first {STEPS} MLP + Adam steps in a fresh process <= 1.0x TF eager",
                   f"jaxtape: first {STEPS}", f"TF eager: first {STEPS}", 1.0)),
    note="Step 1 is timed from the variables' creation to the loss after the update, "
         "import excluded for both frameworks (the ': import' rows). Adam is written with "
         "tf.Variable slots and tensor ops, the same code on both (TF's tf.optimizers is "
         "Keras). Each framework's first process is discarded (bytecode; for 'jaxtape' its "
         "persistent compilation cache, a user's second run; with JAXTAPE_QUICK_FIRST=1 each "
         "jaxtape process waits, untimed, for its background full-tier compiles, so both "
         "tiers are cached).")
