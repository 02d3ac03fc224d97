import os
import sys

# Tests never need an accelerator; keep them on the CPU so results match TF's CPU kernels.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Tests leave the user's XLA cache directory alone (and a fresh run does not pay
# the cache writes); tests of the cache itself set their own environment.
os.environ.setdefault("JAXTAPE_COMPILATION_CACHE", "0")
# The reference is TF's portable CPU kernels: with oneDNN on, TF's errors depend
# on the CPU (a scalar softmax raises AbortedError) and a bad conv2d aborts the
# process. Pinned before anything imports TensorFlow.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402 - after the environment above is pinned


@pytest.fixture(params=["steps", "compiled", "recorded"])
def backward_mode(request):
    """Runs a test once per way of executing the backward pass (step by step,
    compiled whole, recorded as one primitive), so the three pin each other."""
    from jaxtape._src.tape import backward
    backward.config["force"] = request.param
    try:
        yield request.param
    finally:
        backward.config["force"] = None


# Each xdist worker holds TF, JAX and Keras (up to 4.2 GB resident, measured
# over a whole run on 2 workers) and starts subprocesses of its own (0.2-1.2 GB
# each, four at once in tests/distribute): `-n auto` runs one worker per usable
# CPU, at most 4 and at most one per 5 GiB of available memory
# (PYTEST_XDIST_AUTO_NUM_WORKERS overrides).
WORKER_CAP, WORKER_BYTES = 4, 5 * 2 ** 30


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    workers = min(cpus, WORKER_CAP)
    try:
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f
                             if line.startswith("MemAvailable:"))
        workers = min(workers, available // WORKER_BYTES)
    except (OSError, StopIteration, ValueError):
        pass
    return max(1, workers)


@pytest.fixture(autouse=True)
def _tf_variable_scope_reset():
    """TF's scan/foldl/foldr set a caching device on the process-wide variable
    scope while tracing and leave it set when the trace raises; every later eager
    variable scope (tf.recompute_grad) then fails. Clear it after each test."""
    yield
    tf = sys.modules.get("tensorflow")
    compat = getattr(tf, "compat", None)
    if compat is not None:
        scope = compat.v1.get_variable_scope()
        if scope.caching_device is not None:
            scope._caching_device = None  # the public setter refuses in eager mode
