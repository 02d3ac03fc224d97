"""Data-parallel scaling: an MLP (784-256-256-10) trained with MirroredStrategy on
1, 2, 4, 8 devices (host CPU devices here; GPUs where JAX sees them).

Each device count runs in its own process (JAX fixes its CPU device count at
start). The step is `tf.function(strategy.run(step))`: one SPMD program, the
gradient sum an XLA all-reduce. The global batch is fixed (strong scaling), so
efficiency is t(1) / (n * t(n)); host devices share the machine's cores, so on
a CPU the figure measures overhead, not speed-up.

    PYTHONPATH=. python benchmarks/distribute_scaling.py [--steps 30] [--batch 512]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

COUNTS = (1, 2, 4, 8)


def worker(steps: int, batch: int) -> dict:
    import numpy as np

    import jaxtape as tf

    strategy = tf.distribute.MirroredStrategy()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 784)).astype("float32")
    y = rng.integers(0, 10, size=(batch,))
    sizes = [784, 256, 256, 10]
    with strategy.scope():
        params = [tf.Variable((rng.normal(size=(a, b)) / np.sqrt(a)).astype("float32"),
                              aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
                  for a, b in zip(sizes, sizes[1:])]
    data = next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(batch))))

    def step(inputs):
        xb, yb = inputs
        with tf.GradientTape() as tape:
            h = xb
            for w in params[:-1]:
                h = tf.nn.relu(h @ w)
            logits = h @ params[-1]
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits)
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
    return {"devices": strategy.num_replicas_in_sync, "first_s": first,
            "step_ms": 1e3 * statistics.median(times)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.steps, args.batch)))
        return 0
    rows = []
    for n in COUNTS:
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}")
        if "JAX_PLATFORMS" not in env:
            env["JAX_PLATFORMS"] = "cpu"
        proc = subprocess.run([sys.executable, __file__, "--worker", "--steps", str(args.steps),
                               "--batch", str(args.batch)], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = rows[0]["step_ms"]
    print(f"MLP 784-256-256-10, global batch {args.batch}, tf.function(strategy.run), "
          f"median of {args.steps} steps")
    print("| devices | step (ms) | first call (s) | speed-up | efficiency |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        speedup = base / r["step_ms"]
        print(f"| {r['devices']} | {r['step_ms']:.2f} | {r['first_s']:.2f} | {speedup:.2f}x | "
              f"{speedup / r['devices']:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
