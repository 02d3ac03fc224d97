"""Data-parallel scaling: an MLP (784-256-256-10) and a small CNN (two 3x3
convolutions, 16 and 32 filters, the second with stride 2, then a dense layer
to 10 classes, on 28x28 images) trained with MirroredStrategy on 1, 2, 4, 8
devices (host CPU devices here; GPUs where JAX sees them).

Each device count runs in its own process (JAX fixes its CPU device count at
start). The step is `tf.function(strategy.run(step))`: one SPMD program, the
gradient sum an XLA all-reduce. The global batch is fixed (strong scaling), so
efficiency is t(1) / (n * t(n)); host devices share the machine's cores, so on
a CPU the figure measures overhead, not speed-up.

    PYTHONPATH=. python benchmarks/distribute_scaling.py [--steps 30] [--batch 512] [--models mlp,cnn]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

COUNTS = (1, 2, 4, 8)


def _mlp(tf, rng):
    sizes = [784, 256, 256, 10]
    params = [tf.Variable((rng.normal(size=(a, b)) / np.sqrt(a)).astype("float32"),
                          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
              for a, b in zip(sizes, sizes[1:])]

    def logits(x):
        h = x
        for w in params[:-1]:
            h = tf.nn.relu(h @ w)
        return h @ params[-1]
    return params, logits, (784,)


def _cnn(tf, rng):
    shapes = [(3, 3, 1, 16), (3, 3, 16, 32), (14 * 14 * 32, 10)]
    params = [tf.Variable((rng.normal(size=s) / np.sqrt(np.prod(s[:-1]))).astype("float32"),
                          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA) for s in shapes]

    def logits(x):
        h = tf.nn.relu(tf.nn.conv2d(x, params[0], strides=1, padding="SAME"))
        h = tf.nn.relu(tf.nn.conv2d(h, params[1], strides=2, padding="SAME"))
        return tf.reshape(h, [-1, 14 * 14 * 32]) @ params[2]
    return params, logits, (28, 28, 1)


MODELS = {"mlp": _mlp, "cnn": _cnn}


def worker(steps: int, batch: int, model: str) -> dict:
    import jaxtape as tf

    strategy = tf.distribute.MirroredStrategy()
    rng = np.random.default_rng(0)
    with strategy.scope():
        params, logits, shape = MODELS[model](tf, rng)
    x = rng.normal(size=(batch, *shape)).astype("float32")
    y = rng.integers(0, 10, size=(batch,))
    data = next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(batch))))

    def step(inputs):
        xb, yb = inputs
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits(xb))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=batch)
        grads = tape.gradient(loss, params)
        grads = tf.distribute.get_replica_context().all_reduce("SUM", grads)
        for w, g in zip(params, grads):
            w.assign_sub(0.01 * g)
        return loss

    train = tf.function(lambda b: strategy.reduce("SUM", strategy.run(step, args=(b,)), axis=None))
    start = time.perf_counter()
    float(train(data))
    first = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        float(train(data))
        times.append(time.perf_counter() - start)
    return {"model": model, "devices": strategy.num_replicas_in_sync, "first_s": first,
            "step_ms": 1e3 * statistics.median(times)}


TITLES = {"mlp": "MLP 784-256-256-10", "cnn": "CNN conv3x3(16)-conv3x3/2(32)-dense(10), 28x28x1"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--models", default="mlp,cnn", help="comma-separated: mlp, cnn")
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)), help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    models = args.models.split(",")
    if args.worker:
        for model in models:
            print(json.dumps(worker(args.steps, args.batch, model)), flush=True)
        return 0
    rows = []
    for n in map(int, args.counts.split(",")):  # one process per device count, every model in it
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}")
        if "JAX_PLATFORMS" not in env:
            env["JAX_PLATFORMS"] = "cpu"
        proc = subprocess.run([sys.executable, __file__, "--worker", "--steps", str(args.steps),
                               "--batch", str(args.batch), "--models", args.models],
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            return 1
        rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        base = mine[0]["step_ms"]  # the first count's (1 device by default)
        print(f"{TITLES[model]}, global batch {args.batch}, tf.function(strategy.run), "
              f"median of {args.steps} steps")
        print("| devices | step (ms) | first call (s) | speed-up | efficiency |")
        print("| --- | --- | --- | --- | --- |")
        for r in mine:
            speedup = base / r["step_ms"]
            print(f"| {r['devices']} | {r['step_ms']:.2f} | {r['first_s']:.2f} | {speedup:.2f}x | "
                  f"{speedup / r['devices']:.0%} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
