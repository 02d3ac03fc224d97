"""Reading and parsing TFRecord files of tf.train.Example, jaxtape vs TensorFlow.

    python benchmarks/tfrecord_pipeline.py [--records 20000] [--repeats 3]

One file of Examples (16 floats, an int64 label, a short string), written
once by TensorFlow; per framework, in its own subprocess, the microseconds
per record of: iterating `TFRecordDataset` ("read"), `map(parse_single_example)
.batch(256)` ("single", what most scripts write) and `batch(256)
.map(parse_example)` ("batch", TF's advice for speed). Each figure is the
median of `--repeats` passes after one untimed pass.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, os, sys, time
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
framework, path, records, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if framework == "tensorflow":
    import tensorflow as tf
else:
    import jaxtape as tf
if sys.argv[5] == "write":
    rng = np.random.default_rng(0)
    with tf.io.TFRecordWriter(path) as writer:
        for i in range(records):
            feature = {"x": tf.train.Feature(float_list=tf.train.FloatList(value=rng.random(16))),
                       "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 10])),
                       "t": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"token%d" % i]))}
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature))
                         .SerializeToString())
    sys.exit(0)
spec = {"x": tf.io.FixedLenFeature([16], tf.float32), "y": tf.io.FixedLenFeature([], tf.int64),
        "t": tf.io.FixedLenFeature([], tf.string)}
pipelines = {
    "read": lambda: tf.data.TFRecordDataset(path),
    "single": lambda: tf.data.TFRecordDataset(path).map(
        lambda r: tf.io.parse_single_example(r, spec)).batch(256),
    "batch": lambda: tf.data.TFRecordDataset(path).batch(256).map(
        lambda r: tf.io.parse_example(r, spec)),
}
out = {}
for name, build in pipelines.items():
    times = []
    for rep in range(repeats + 1):
        start = time.perf_counter()
        for _ in build():
            pass
        times.append(time.perf_counter() - start)
    out[name] = [t * 1e6 / records for t in times[1:]]
print(json.dumps(out))
"""


def run(framework: str, path: str, records: int, repeats: int, mode: str = "time") -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                    os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", WORKER, framework, path, str(records),
                           str(repeats), mode], env=env, capture_output=True, text=True,
                          timeout=1800, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1]) if mode == "time" else {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.tfrecord")
        run("tensorflow", path, args.records, 0, "write")
        results = {fw: run(fw, path, args.records, args.repeats)
                   for fw in ("tensorflow", "jaxtape")}
    print(f"{'pipeline':<8} {'TF us/rec':>10} {'jaxtape us/rec':>15} {'ratio':>7}")
    for name in results["tensorflow"]:
        tf_us = statistics.median(results["tensorflow"][name])
        jt_us = statistics.median(results["jaxtape"][name])
        print(f"{name:<8} {tf_us:>10.2f} {jt_us:>15.2f} {jt_us / tf_us:>6.2f}x")


if __name__ == "__main__":
    main()
