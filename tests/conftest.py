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
