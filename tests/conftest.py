import os
import sys

# Tests never need an accelerator; keep them on the CPU so results match TF's CPU kernels.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))
