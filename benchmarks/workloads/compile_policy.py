"""Workloads where compiling does not obviously pay: new shapes, many
recurring structures, varied lengths, a fresh process.

* new_batch: a small MLP (32-64-64-10) loss + gradient where every call
  meets a batch size not seen before (variable-size inputs, exploration);
  every kernel meets a new shape, so whatever is compiled per shape is paid
  on every call.
* recurring: 400 structures (10-op chains of adds and multiplies) drawn at
  random, so each recurs every few hundred calls: more than a cache of 256
  compiled programs holds.
* varlen: a recurrent loop `h = tanh(h * w + x)` over a 4-vector whose
  length is drawn from 50-561 every call (variable-length sequences).
* first_gradient: the first tape gradient of a fresh process, one process
  per sample (timed inside it, from the first op to the gradient's values,
  import excluded; the import is timed beside it). `fresh_samples` is the
  machinery of every fresh-process workload (see also first_steps).

Every implementation's k-th call meets the same k-th shape or structure.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from benchmarks import frameworks as fw
from benchmarks.timing import Stats
from benchmarks.workloads.base import Ratio, Workload, unavailable, wants

DIMS = (32, 64, 64, 10)


def _params(dims):
    rng = np.random.default_rng(0)
    out = []
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        out.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        out.append(np.full(n_out, 0.01, np.float32))
    return out


def _batches(size):
    """Endless (x, labels) with a batch size new every call (the same for every caller)."""
    rng = np.random.default_rng(1)
    n = 16 if size == "full" else 2
    dims = DIMS if size == "full" else (6, 5, 5, 3)
    while True:
        yield (rng.standard_normal((n, dims[0])).astype(np.float32),
               rng.integers(0, dims[-1], n).astype(np.int32))
        n += 1


def _tape_mlp(tf, size):
    dims = DIMS if size == "full" else (6, 5, 5, 3)
    variables = [tf.Variable(p) for p in _params(dims)]
    batches = _batches(size)

    def step():
        x, y = (tf.constant(a) for a in next(batches))
        w1, b1, w2, b2, w3, b3 = variables
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            h = tf.nn.relu(tf.matmul(h, w2) + b2)
            logits = tf.matmul(h, w3) + b3
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        return tape.gradient(loss, variables)
    return step


def _jax_mlp(size):
    import jax
    import jax.numpy as jnp
    dims = DIMS if size == "full" else (6, 5, 5, 3)
    params = [jnp.asarray(p) for p in _params(dims)]
    batches = _batches(size)

    def loss(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = jax.nn.relu(x @ w1 + b1)
        h = jax.nn.relu(h @ w2 + b2)
        logp = jax.nn.log_softmax(h @ w3 + b3)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    grad = jax.grad(loss)
    return lambda: grad(params, *(jnp.asarray(a) for a in next(batches)))


def _torch_mlp(size):
    torch = fw.torch()
    dims = DIMS if size == "full" else (6, 5, 5, 3)
    params = [torch.tensor(p, requires_grad=True) for p in _params(dims)]
    batches = _batches(size)
    relu, ce = torch.nn.functional.relu, torch.nn.functional.cross_entropy

    def step():
        x, y = next(batches)
        x, y = torch.tensor(x), torch.tensor(y, dtype=torch.long)
        w1, b1, w2, b2, w3, b3 = params
        h = relu(relu(x @ w1 + b1) @ w2 + b2)
        return torch.autograd.grad(ce(h @ w3 + b3, y), params)
    return step


def _builder(tape, jax_, torch_):
    """A workload's build function from its per-framework step makers."""
    def build(size, frameworks):
        import jaxtape
        out = unavailable(frameworks)
        if "jaxtape" in frameworks:
            out["jaxtape"] = tape(jaxtape, size)
        if wants(frameworks, "tensorflow"):
            out["TF eager"] = tape(fw.tensorflow(), size)
        if "jax" in frameworks:
            out["JAX eager"] = jax_(size)
        if wants(frameworks, "torch"):
            out["PyTorch eager"] = torch_(size)
        return out
    return build


build_new_batch = _builder(_tape_mlp, _jax_mlp, _torch_mlp)


# -- structures drawn from a set larger than the compiled-program cache --------

MUL, ADD = 1.01, 0.01


def _structures(count, seed=7):
    rng = random.Random(seed)
    return [tuple(rng.random() < 0.5 for _ in range(10)) for _ in range(count)]


def _draws(size, seed=11):
    """Endless structures drawn at random from a fixed set of 400 (6 when tiny)."""
    pool = _structures(400 if size == "full" else 6)
    rng = random.Random(seed)
    while True:
        yield pool[rng.randrange(len(pool))]


def _tape_chain(tf, ops_for_call):
    x = tf.constant(np.float32(1.5))
    m, a = tf.constant(np.float32(MUL)), tf.constant(np.float32(ADD))

    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for is_mul in ops_for_call():
                y = y * m if is_mul else y + a
        return tape.gradient(y, x)
    return step


def _jax_chain(ops_for_call):
    import jax
    import jax.numpy as jnp
    m, a = jnp.float32(MUL), jnp.float32(ADD)
    x = jnp.float32(1.5)

    def step():
        ops = ops_for_call()

        def f(y):
            for is_mul in ops:
                y = y * m if is_mul else y + a
            return y
        return jax.grad(f)(x)
    return step


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


def build_recurring(size, frameworks):
    import jaxtape
    out = unavailable(frameworks)

    def ops():
        draws = _draws(size)
        return lambda: next(draws)
    if "jaxtape" in frameworks:
        out["jaxtape"] = _tape_chain(jaxtape, ops())
    if wants(frameworks, "tensorflow"):
        out["TF eager"] = _tape_chain(fw.tensorflow(), ops())
    if "jax" in frameworks:
        out["JAX eager"] = _jax_chain(ops())
    if wants(frameworks, "torch"):
        out["PyTorch eager"] = _torch_chain(ops())
    return out


# -- a recurrent loop of varied length ------------------------------------------

def _lengths(size, seed=3):
    rng = random.Random(seed)
    lo, hi = (50, 561) if size == "full" else (3, 9)
    while True:
        yield rng.randint(lo, hi)


def _inputs():
    rng = np.random.default_rng(2)
    return (rng.standard_normal((561, 4)).astype(np.float32) * 0.1,
            np.float32(0.9), rng.standard_normal(4).astype(np.float32) * 0.1)


def _tape_loop(tf, size):
    xs_np, w_np, h0_np = _inputs()
    xs = [tf.constant(r) for r in xs_np]
    w, h0 = tf.constant(w_np), tf.constant(h0_np)
    lengths = _lengths(size)

    def step():
        with tf.GradientTape() as tape:
            tape.watch(w)
            h = h0
            for t in range(next(lengths)):
                h = tf.tanh(h * w + xs[t])
            loss = tf.reduce_sum(h)
        return tape.gradient(loss, w)
    return step


def _jax_loop(size):
    import jax
    import jax.numpy as jnp
    xs_np, w_np, h0_np = _inputs()
    xs = [jnp.asarray(r) for r in xs_np]
    w, h0 = jnp.asarray(w_np), jnp.asarray(h0_np)
    lengths = _lengths(size)

    def step():
        n = next(lengths)

        def f(w):
            h = h0
            for t in range(n):
                h = jnp.tanh(h * w + xs[t])
            return jnp.sum(h)
        return jax.grad(f)(w)
    return step


def _torch_loop(size):
    torch = fw.torch()
    xs_np, w_np, h0_np = _inputs()
    xs = [torch.tensor(r) for r in xs_np]
    w, h0 = torch.tensor(w_np, requires_grad=True), torch.tensor(h0_np)
    lengths = _lengths(size)

    def step():
        h = h0
        for t in range(next(lengths)):
            h = torch.tanh(h * w + xs[t])
        return torch.autograd.grad(h.sum(), w)[0]
    return step


build_varlen = _builder(_tape_loop, _jax_loop, _torch_loop)


# -- the first gradient of a fresh process ----------------------------------------

# Run in a fresh interpreter: prints {"import": s, "first": s}. The gradient
# is the tiny MLP's, so compiling (or its absence) is what is timed.
_FRESH = r"""
import json, os, sys, time
import numpy as np
fw = sys.argv[1]
t0 = time.perf_counter()
if fw == "torch":
    import torch
    torch.set_num_threads(1)
else:
    tf = __import__("jaxtape" if fw == "jaxtape" else "tensorflow")
t1 = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.standard_normal((8, 32)).astype(np.float32)
w = (rng.standard_normal((32, 10)) / 6).astype(np.float32)
t2 = time.perf_counter()
if fw == "torch":
    v = torch.tensor(w, requires_grad=True)
    loss = torch.mean(torch.tanh(torch.tensor(x) @ v) ** 2)
    g = torch.autograd.grad(loss, v)[0].numpy()
else:
    v = tf.Variable(w)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.tanh(tf.matmul(tf.constant(x), v)) ** 2)
    g = tape.gradient(loss, v).numpy()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t3 - t2}))
"""


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fresh_env(tmp, framework):
    """The environment of a fresh-process sample of `framework`. jaxtape's
    bytecode goes to `tmp`: the default environment here may forbid writing
    it, and then every import would compile jaxtape's sources where an
    installed TF or torch reads its .pyc (`fresh_samples` discards a first
    run, which writes it)."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")
    if framework == "jaxtape":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pyc")
    return env


# What `fresh_runs` calls each framework's cell.
_LABELS = {"tensorflow": "TF eager", "torch": "PyTorch eager"}


def fresh_runs(script, args, samples, frameworks, others=("tensorflow", "torch")):
    """`fresh_samples` of `script` (its argv: the framework's module name, then
    `args`) per cell: jaxtape with its compilation cache (in a fresh directory)
    and without, then each of `others` that is wanted and installed."""
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "jaxtape" in frameworks:
            env = fresh_env(tmp, "jaxtape")
            runs["jaxtape"] = fresh_samples(script, ["jaxtape", *args], samples,
                                            dict(env, XDG_CACHE_HOME=tmp))
            runs["jaxtape, compilation cache off"] = fresh_samples(
                script, ["jaxtape", *args], samples, dict(env, JAXTAPE_COMPILATION_CACHE="0"))
        for name in others:
            if wants(frameworks, name):
                runs[_LABELS[name]] = fresh_samples(script, [name, *args], samples,
                                                    fresh_env(tmp, name))
    return runs


def fresh_samples(script, args, samples, env):
    """`samples` runs of `script` (its last line of output is JSON) in fresh
    interpreters, after one discarded run: that run fills the bytecode cache
    and, where it is on, jaxtape's compilation cache (a user's second run)."""
    out = []
    for _ in range(samples + 1):
        run = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)
        out.append(json.loads(run.stdout.strip().splitlines()[-1]))
    return out[1:]


def _stats(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4) if len(xs) >= 2 else [xs[0]] * 3
    return Stats(statistics.median(xs), q[0], q[2], len(xs), 1, xs[0], tuple(xs))


def _in_process(size, frameworks):
    """The smoke test's cells: the same gradient, in this process."""
    import jax
    import jax.numpy as jnp
    import jaxtape as tf
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 32)).astype(np.float32)
    w = (rng.standard_normal((32, 10)) / 6).astype(np.float32)
    v = tf.Variable(w)

    def tape_grad():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.tanh(tf.matmul(tf.constant(x), v)) ** 2)
        return tape.gradient(loss, v)
    grad = jax.grad(lambda w: jnp.mean(jnp.tanh(jnp.asarray(x) @ w) ** 2))
    return {"jaxtape": tape_grad, "JAX eager": lambda: grad(jnp.asarray(w))}


def build_first_gradient(size, frameworks):
    if size != "full":
        return _in_process(size, frameworks)
    out = unavailable(frameworks)
    runs = fresh_runs(_FRESH, [], 5, frameworks)
    for name, rs in runs.items():
        out[name] = _stats([r["first"] for r in rs])
        out[name + ": import"] = _stats([r["import"] for r in rs])
    return out


NEW_BATCH = Workload(
    "new_batch", "small MLP loss + gradient, a new batch size every call (16, 17, ...)",
    build_new_batch,
    targets=(Ratio("new batch size every call <= 1.0x TF eager", "jaxtape", "TF eager", 1.0),),
    warmup=2, sample_s=0.001,
    note="Every sample is one call on a batch size no implementation has met before.")

RECURRING = Workload(
    "recurring", "400 recurring structures (10-op chains) drawn at random + gradient",
    build_recurring,
    targets=(Ratio("400 recurring structures <= 1.0x TF eager", "jaxtape", "TF eager", 1.0),),
    per=10, warmup=200)

VARLEN = Workload(
    "varlen", "recurrent loop of length 50-561 (random each call) over a 4-vector + gradient",
    build_varlen,
    targets=(Ratio("variable-length loop <= 1.0x TF eager", "jaxtape", "TF eager", 1.0),),
    warmup=20)

FIRST_GRADIENT = Workload(
    "first_gradient", "first gradient in a fresh process (tiny MLP; one process per sample)",
    build_first_gradient,
    targets=(Ratio("first gradient in a fresh process <= 2x TF eager", "jaxtape", "TF eager", 2.0),),
    note="Timed inside each process from the first op (the variable's creation) to the "
         "gradient's values, import excluded for every framework; the ': import' rows are "
         "the import before it. Each framework's first process is discarded: for jaxtape it "
         "writes the bytecode (an installed TF has its .pyc) and, for 'jaxtape', its "
         "persistent compilation cache (a user's second run); the '..., compilation cache off' rows "
         "compile everything. JAX sets up its CPU client and MLIR on the first op, where "
         "TF does it in its import.")
