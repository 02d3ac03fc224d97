"""One epoch of a tf.data pipeline, jaxtape vs TensorFlow.

    python benchmarks/data_pipeline.py [--epochs 5] [--rows 60000]

The pipeline is the one training scripts use:
`from_tensor_slices((x, y)).shuffle(10000).batch(128).map(normalize)
.prefetch(AUTOTUNE)` over x: rows x 784 float32 and y: rows int64; a second
one maps per element before batching (`map(cast to float / 255).batch(32)`
over rows x 28 x 28 uint8), where jaxtape vectorizes a pure function. Each
framework runs in its own subprocess (so neither's threads or imports slow
the other), TensorFlow with its default settings (oneDNN left as it is);
the first epoch is reported apart from the median of the rest.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

def data(rows: int, pipeline: str = "batch_map"):
    """The random (inputs, labels) the pipeline reads."""
    import numpy as np
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, rows).astype(np.int64)
    if pipeline == "batch_map":
        return rng.random((rows, 784), dtype=np.float32), y
    return rng.integers(0, 256, (rows, 28, 28)).astype(np.uint8), y


def normalize(images, labels):
    return (images - 0.5) / 0.25, labels


def build(tf, rows: int, pipeline: str = "batch_map", buffer: int = 10000):
    """The pipeline over `rows` random rows, in framework `tf` (jaxtape or TensorFlow)."""
    x, y = data(rows, pipeline)
    if pipeline == "batch_map":
        return (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(buffer).batch(128)
                .map(normalize).prefetch(tf.data.AUTOTUNE))
    return (tf.data.Dataset.from_tensor_slices((x, y))
            .map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b)).batch(32)
            .prefetch(tf.data.AUTOTUNE))


def epoch(ds, rows: int):
    """Iterates one epoch; returns the last batch (what must be finished)."""
    n, last = 0, None
    for last in ds:
        n += int(last[1].shape[0])
    assert n == rows, n
    return last


_SCRIPT = r"""
import json, sys, time
framework, rows, epochs, pipeline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if framework == "tensorflow":
    import tensorflow as tf
else:
    import jaxtape as tf
from benchmarks.data_pipeline import build, epoch
ds = build(tf, rows, pipeline)
times = []
for _ in range(epochs):
    start = time.perf_counter()
    epoch(ds, rows)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


PIPELINES = {
    "batch_map": "from_tensor_slices({rows}x784 float32, int64).shuffle(10000).batch(128)"
                 ".map(normalize).prefetch(AUTOTUNE)",
    "map_batch": "from_tensor_slices({rows}x28x28 uint8, int64).map(cast / 255).batch(32)"
                 ".prefetch(AUTOTUNE)",
}


def run(framework: str, rows: int, epochs: int, pipeline: str) -> list[float]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, framework, str(rows), str(epochs), pipeline],
                          env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{framework} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=60000)
    args = parser.parse_args(argv)
    for pipeline, text in PIPELINES.items():
        print(f"{text.format(rows=args.rows)}, {args.epochs} epochs")
        results = {}
        for framework in ("jaxtape", "tensorflow"):
            times = run(framework, args.rows, args.epochs, pipeline)
            rest = statistics.median(times[1:]) if len(times) > 1 else times[0]
            results[framework] = rest
            print(f"{framework:>12}: first epoch {times[0] * 1e3:7.1f} ms, "
                  f"median of the rest {rest * 1e3:7.1f} ms")
        print(f"  jaxtape / tensorflow: {results['jaxtape'] / results['tensorflow']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
