"""tf.distribute against real TensorFlow, every run in its own process (several
CPU devices must be set before JAX or TF starts). All processes start together
(one fixture) and each test waits for its own, so the file costs one slow run.

* program.py under TF and jaxtape (4 logical CPUs): dataset splitting incl.
  batches that do not divide, run/reduce/gather/all_reduce, eager and in
  tf.function, contexts, mirrored variables;
* examples/distribute_mirrored.py (Keras model, SGD, tape, eager and
  tf.function steps) at 6 digits: jaxtape on 4 devices = jaxtape on 1 device
  (its 4-digit output against TF's is tests/test_examples.py's);
* worker.py: two MultiWorkerMirroredStrategy processes on 127.0.0.1 end with
  the single-process weights; a worker that dies makes the other fail.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 240


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
               TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0", JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster(argv):
    addresses = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    config = lambda i: json.dumps({"cluster": {"worker": addresses},  # noqa: E731
                                   "task": {"type": "worker", "index": i}})
    return [([sys.executable, str(HERE / "worker.py"), *argv],
             _env(TF_CONFIG=config(i), XLA_FLAGS="--xla_force_host_platform_device_count=2"))
            for i in range(2)]


def _jobs():
    example = ["examples/distribute_mirrored.py"]
    jobs = {
        "program_tf": [([sys.executable, str(HERE / "program.py"), "tensorflow"], _env())],
        "program_jaxtape": [([sys.executable, str(HERE / "program.py"), "jaxtape"], _env())],
        "example_jaxtape_4": [([sys.executable, "-m", "jaxtape", "run", *example], _env(DIGITS="6"))],
        "example_jaxtape_1": [([sys.executable, "-m", "jaxtape", "run", *example],
                               _env(DIGITS="6", REPLICAS="1"))],
        "workers": _cluster([]),
        "one_process": [([sys.executable, str(HERE / "worker.py")],
                         _env(XLA_FLAGS="--xla_force_host_platform_device_count=4"))],
        "dying_workers": _cluster(["die"]),
    }
    return jobs


class _Runs:
    def __init__(self):
        self.started = time.monotonic()
        self.procs = {name: [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True)
                             for cmd, env in specs]
                      for name, specs in _jobs().items()}

    def result(self, name):
        """[(returncode, stdout, stderr, seconds)] of the job's processes."""
        out = []
        for p in self.procs[name]:
            try:
                stdout, stderr = p.communicate(timeout=max(1, TIMEOUT_S - (time.monotonic() - self.started)))
            except subprocess.TimeoutExpired:
                p.kill()
                stdout, stderr = p.communicate()
                pytest.fail(f"{name}: still running after {TIMEOUT_S} s\n{stderr[-3000:]}")
            out.append((p.returncode, stdout, stderr, time.monotonic() - self.started))
        return out

    def stdout(self, name):
        (code, stdout, stderr, _), = self.result(name)
        assert code == 0, f"{name} failed:\n{stderr[-4000:]}"
        return stdout

    def kill(self):
        for procs in self.procs.values():
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.communicate()


@pytest.fixture(scope="module")
def runs():
    r = _Runs()
    yield r
    r.kill()


def _close(a, b, path="", tol=1e-4):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}/{k}", tol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]", tol)
    elif isinstance(a, float) or isinstance(b, float):
        assert abs(a - b) <= tol * max(1.0, abs(b)), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_program_matches_tensorflow(runs):
    ours = json.loads(runs.stdout("program_jaxtape"))
    theirs = json.loads(runs.stdout("program_tf"))
    assert ours["replicas"] == theirs["replicas"] == 4
    assert any(len(set(map(len, batch))) > 1 for batch in theirs["splits"]["16/10"])  # uneven
    _close(ours, theirs)


def _numbers(text):
    return [float(x) for x in re.findall(r"-?\d+\.\d+|-?\d+(?=\D)", text)]


def test_training_on_four_devices_matches_one_device(runs):
    """The same script on 1 and 4 devices, at 6 digits (tests/test_examples.py compares
    its 4-device output with TF's, examples/expected/distribute_mirrored.txt)."""
    four, one = runs.stdout("example_jaxtape_4"), runs.stdout("example_jaxtape_1")
    assert "replicas in sync: 4" in four and "replicas in sync: 1" in one
    # The same losses and weights (the replica counts, rows and ids differ).
    body = lambda text: text.split("rows per replica")[0].split("\n", 1)[1]  # noqa: E731
    np.testing.assert_allclose(_numbers(body(one)), _numbers(body(four)), rtol=2e-4, atol=2e-5)


def test_two_worker_processes_end_with_the_same_weights(runs):
    results = runs.result("workers")
    for code, stdout, stderr, _ in results:
        assert code == 0, stderr[-4000:]
    a, b = (json.loads(r[1].strip().splitlines()[-1]) for r in results)
    reference = json.loads(runs.stdout("one_process").strip().splitlines()[-1])
    assert a["replicas"] == b["replicas"] == reference["replicas"] == 4
    assert a["w"] == b["w"]
    _close(a, reference, tol=1e-5)


def test_a_dead_worker_fails_the_other_in_bounded_time(runs):
    (survivor_code, _, survivor_err, seconds), (dead_code, _, _, _) = runs.result("dying_workers")
    assert dead_code == 3
    assert survivor_code != 0
    assert seconds < TIMEOUT_S
    assert re.search(r"(?i)heartbeat|unavailable|coordination|error", survivor_err)
