"""tf.distribute against real TensorFlow, every run in its own process (several
CPU devices must be set before JAX or TF starts). Four processes start
together (one fixture) and each test waits for its own:

* program.py under TF and under jaxtape (4 logical CPUs): dataset splitting
  incl. batches that do not divide, run/reduce/gather/all_reduce, eager and in
  tf.function, contexts, MirroredVariable, datasets and values from
  functions, the public classes; a Keras optimizer in a custom loop; a training loop whose last batch
  does not divide by the replicas (threads meeting at collectives) on 4
  replicas and on 1; Keras first loaded inside `strategy.scope()` and `fit`;
  worker.py's training in one process;
* worker.py: two MultiWorkerMirroredStrategy processes on 127.0.0.1 (two CPU
  devices each, one replica each as in TF), whose last batch does not divide
  by the replicas, end with the single-process weights (TF's and jaxtape's);
  then one dies and the other fails.

(examples/distribute_mirrored.py, Keras with a partial last batch, is compared
with TF's output by tests/test_examples.py.)
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

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 600  # all four processes together, on a loaded 2-core machine (seen: 350 s)


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
    return {
        "program_tf": [([sys.executable, str(HERE / "program.py"), "tensorflow"], _env())],
        "program_jaxtape": [([sys.executable, str(HERE / "program.py"), "jaxtape"], _env())],
        "workers": _cluster(["die"]),
    }


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


@pytest.fixture(scope="module")
def programs(runs):
    return json.loads(runs.stdout("program_jaxtape")), json.loads(runs.stdout("program_tf"))


def test_program_matches_tensorflow(programs):
    ours, theirs = programs
    assert ours["replicas"] == theirs["replicas"] == 4
    assert any(len(set(map(len, batch))) > 1 for batch in theirs["splits"]["16/10"])  # uneven
    _close({k: v for k, v in ours.items() if k not in JAXTAPE_ONLY}, theirs)


JAXTAPE_ONLY = ("uneven_train_1", "unmatched", "views", "spmd_traces")


def test_mirrored_variables_are_views_and_steps_one_program(programs):
    ours, theirs = programs  # type, repr, values, devices == TF's: test_program_matches_tensorflow
    assert theirs["mirrored_variable"]["type"] == ["MirroredVariable"] * 2
    assert len(theirs["mirrored_variable"]["values"]) == 4
    assert ours["views"] == [True] * 4  # each component is its device's buffer, no copy
    assert ours["spmd_traces"] == 1  # 3 even steps on 4 replicas: the body traced once


def test_a_partial_last_batch_trains_as_on_one_device(programs):
    ours, theirs = programs  # ours["uneven_train_4"] == theirs: test_program_matches_tensorflow
    four, one = ours["uneven_train_4"], ours["uneven_train_1"]
    assert [r["sizes"][0] for r in theirs["uneven_train_4"]] == [[2, 2, 2, 2], [2, 2, 2, 0]] * 2
    _close([r["w"] for r in four], [r["w"] for r in one], tol=1e-5)
    _close([r["loss"][0] for r in four], [r["loss"][0] for r in one], tol=1e-5)
    assert ours["replica_error"] == theirs["replica_error"] == "replica 3 has no rows"
    assert "every replica must call the same collectives" in ours["unmatched"]


def test_keras_loaded_inside_the_scope_fits_data_parallel(programs):
    ours, theirs = programs
    assert ours["fit"]["kernel_devices"] == theirs["fit"]["kernel_devices"] == 4


def test_two_worker_processes_end_with_the_same_weights(runs, programs):
    (code0, out0, err0, _), (code1, out1, err1, _) = runs.result("workers")
    assert out0.strip() and out1.strip(), f"{err0[-3000:]}\n{err1[-3000:]}"
    a, b = (json.loads(next(line for line in out.splitlines() if line.startswith("{")))
            for out in (out0, out1))  # gloo prints to stdout too
    ours, theirs = (p["worker_reference"] for p in programs)  # one process, 4 replicas
    # As TF's: a worker without accelerators is one replica, however many CPUs it has.
    assert a["replicas"] == b["replicas"] == 2 and ours["replicas"] == 4
    # The last batch (5 rows) does not divide: 3, 2 on the workers, 2, 2, 1, 0 on one process.
    assert a["sizes"] == b["sizes"] == [[4, 4]] * 3 + [[3, 2]]
    assert theirs["sizes"] == [[2, 2, 2, 2]] * 3 + [[2, 2, 1, 0]]
    assert a["w"] == b["w"]
    for reference in (ours, theirs):
        _close({"losses": a["losses"], "w": a["w"]}, {k: reference[k] for k in ("losses", "w")}, tol=1e-5)
    assert [a["uneven_eager"]["local_rows"], b["uneven_eager"]["local_rows"]] == [[3], [2]]
    for w in (a, b):
        assert w["uneven_eager"]["gather"] == [[3.0 * i, 3.0 * i + 1, 3.0 * i + 2] for i in range(5)]
        assert w["uneven_eager"]["sum"] == 105.0


def test_a_dead_worker_fails_the_other_in_bounded_time(runs):
    (survivor_code, survivor_out, survivor_err, seconds), (dead_code, _, _, _) = runs.result("workers")
    assert dead_code == 3
    assert survivor_code != 0 and "still running" not in survivor_out
    assert seconds < TIMEOUT_S
    assert re.search(r"(?i)heartbeat|unavailable|coordination|error", survivor_err)
