"""Smoke test for the benchmark suite: every jaxtape workload runs at a tiny
size and agrees with the same computation in plain JAX, the timing loop and
the report run on the results. Framework comparisons are left to the suite.
"""
import gc
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import report  # noqa: E402
from benchmarks.timing import round_robin  # noqa: E402
from benchmarks.workloads import TIMED, keras_training, large, memory  # noqa: E402

# The jaxtape implementation and the plain-JAX one it must agree with.
PAIRS = {
    "chain": [("jaxtape", "JAX eager")],
    "chain_cold": [("jaxtape", "JAX eager")],
    "mlp": [("jaxtape", "JAX jit")],  # JAX eager compiles op by op: slow to start
    "mlp_compiled": [("jaxtape tf.function", "JAX jit")],
    "batch_jacobian": [("jaxtape", "JAX jit")],
    "hessian": [("jaxtape", "JAX jit")],
    "overhead": [("jaxtape, no tape", "bare jnp.multiply"), ("jaxtape, taped", "bare jnp.multiply")],
    "data": [("jaxtape", "JAX eager")],
    "new_batch": [("jaxtape", "JAX eager")],
    "recurring": [("jaxtape", "JAX eager")],
    "varlen": [("jaxtape", "JAX eager")],
    "first_gradient": [("jaxtape", "JAX eager")],
    "first_steps": [("jaxtape", "JAX eager")],
    **{w.name: [("jaxtape", "JAX eager")] for w in large.SWEEP},
    "long_tape": [("jaxtape", "JAX eager")],
    "keras": [("jaxtape eager: mlp", "Keras-JAX jit: mlp")],  # worker processes: same losses
}


@pytest.fixture(scope="module", autouse=True)
def _stop_worker_processes():
    """The Keras and long-tape workloads' worker processes otherwise live until
    the test process exits: about 1 GB held for the rest of the suite."""
    yield
    keras_training._stop_workers()
    large._stop_long_workers()


def flat(result):
    if isinstance(result, (list, tuple)):
        return [a for r in result for a in flat(r)]
    return [np.asarray(getattr(result, "_value", result))]


def test_every_workload_has_a_check():
    assert set(PAIRS) == {w.name for w in TIMED}


@pytest.mark.parametrize("workload", TIMED, ids=lambda w: w.name)
def test_workload_runs_and_agrees_with_jax(workload):
    impls = workload.build("tiny", ("jaxtape", "jax"))
    for ours, theirs in PAIRS[workload.name]:
        assert callable(impls[ours]), impls[ours]
        got, want = flat(impls[ours]()), flat(impls[theirs]())
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


def test_timing_and_report():
    workload = TIMED[0]
    impls = workload.build("tiny", ("jaxtape", "jax"))
    stats = round_robin(impls, repeats=3, warmup=1, sample_s=0.001, max_calls=3)
    assert set(stats) == set(impls)
    assert all(s.median > 0 and s.samples == 3 for s in stats.values())
    results = [(workload, stats)]
    text = report.console(results, None)
    assert "jaxtape" in text and "targets" in text
    info = {"date": "d", "cpu": "c", "os": "o", "python": "p", "versions": {"jax": "1"},
            "threads": 1, "command": "python -m benchmarks", "load_start": "0", "load_end": "0"}
    md = report.markdown(results, None, info, "m")
    assert report.NO_GPU in md and "| jaxtape |" in md


def test_memory_tiny():
    # Every measurement runs full collections (13 here), each a walk over the
    # whole test process's heap: seconds apiece once TF and the suite are
    # loaded. Frozen, that heap is skipped; what the workload allocates is
    # still collected, and RSS and tracemalloc see the same growth. Not
    # unfrozen after: that would also undo `import jaxtape`'s own freeze.
    gc.freeze()
    tapes, loops = memory.run("tiny", ("jaxtape",), isolate=False)
    assert [(t.framework, t.elements) for t in tapes] == [("jaxtape", 16), ("jaxtape", 1024)]
    assert all(t.python_bytes_per_op > 0 for t in tapes)
    assert [s for s, _ in loops[0].checkpoints] == [0, 3, 6]
