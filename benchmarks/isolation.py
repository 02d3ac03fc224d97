"""A workload's cells in one process per framework, timed round robin from here.

Why: a user runs one framework per process. Sharing one process with
TensorFlow and PyTorch slowed jaxtape's eager MLP step (one program of
XLA's, which runs on ~1.6 cores even pinned to one compute thread) by 10%
with both merely imported and run once (1.30-1.33 vs 1.44-1.47 ms) and by
20-50% in the suite's shared loop (1.65 vs 1.99 ms on a 2-core Xeon; 2.7-3.1
vs 4.1 ms on a 2-core EPYC), while PyTorch's step was the same either way:
the ratio measured the neighbours, not the frameworks.

How: `build` starts one worker per framework asked for (`python -m
benchmarks.isolation WORKLOAD FRAMEWORK THREADS`), which builds only that
framework's cells (`workload.build("full", (framework,))`) with the suite's
thread settings, and hands back `Remote` cells. `timing.round_robin`
drives them like local ones, in the same rotated order; each sample is
timed inside its worker (`timing.sample`), so the pipe's round trip is not
in it, and starts with a quarter as many untimed calls: a process that sat
idle while another ran is slower for its first calls back (XLA's steps
measured 15% slower for some 60 calls after a 50 ms pause, 25-45% after
another process's 50 ms of work). Idle workers block on their pipe, their
pools asleep (0.0 s of CPU in 5 s measured).
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_workers: list = []


class _Worker:
    def __init__(self, workload, framework, threads):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.isolation", workload, framework,
             str(threads or "default")],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        _workers.append(self)
        self.cells = self._reply()

    def ask(self, *words):
        self.proc.stdin.write(" ".join(map(str, words)) + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def _reply(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited (status {self.proc.wait()})")
        reply = json.loads(line)
        if isinstance(reply, dict) and "error" in reply:
            raise RuntimeError(f"benchmark worker: {reply['error']}")
        return reply

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self in _workers:
            _workers.remove(self)


class Remote:
    """One cell living in a worker: `round_robin` calls `sample` and `warm`."""

    def __init__(self, worker, name):
        self.worker, self.name = worker, name

    def __call__(self):  # a plain call: one untimed iteration
        self.warm(1)

    def warm(self, calls):
        self.worker.ask("warm", calls, self.name)

    def settle(self):
        self.worker.ask("settle")

    def sample(self, calls):
        return self.worker.ask("sample", calls, self.name)


def build(workload, frameworks, threads) -> dict:
    """`workload.build("full", frameworks)`, each framework's cells in its own worker."""
    out = {}
    for framework in frameworks:
        worker = _Worker(workload.name, framework, threads)
        for name, cell in worker.cells.items():
            out[name] = Remote(worker, name) if cell is True else cell
    return out


@atexit.register
def close_all():
    for worker in list(_workers):
        worker.close()


def _serve(workload_name, framework, threads):
    from benchmarks import frameworks as fw
    fw.configure(None if threads == "default" else int(threads))
    from benchmarks import timing  # noqa: PLC0415 - after the thread settings
    from benchmarks.workloads import TIMED  # noqa: PLC0415
    workload = next(w for w in TIMED if w.name == workload_name)
    cells = workload.build("full", (framework,))
    print(json.dumps({k: True if callable(v) else v for k, v in cells.items()}), flush=True)
    for line in sys.stdin:
        command, *rest = line.split(maxsplit=2)
        try:
            if command == "settle":
                timing.settle()
                reply = None
            else:
                calls, name = int(rest[0]), rest[1].rstrip("\n")
                if command == "warm":
                    for _ in range(calls):
                        timing.sync(cells[name]())
                    reply = None
                else:
                    # Untimed calls first: this process was idle while another
                    # ran, and its first calls back pay for that (see above).
                    for _ in range(max(1, calls // 4)):
                        timing.sync(cells[name]())
                    reply = timing.sample(cells[name], calls)
        except Exception as e:  # noqa: BLE001 - reported to the suite, which stops
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    _serve(*sys.argv[1:4])
