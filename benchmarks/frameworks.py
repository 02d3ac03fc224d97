"""Which frameworks are installed, and one thread setting for all of them.

Thread pools must be sized before a framework starts, so `configure` runs
first thing in `__main__`, before anything imports JAX, TensorFlow or torch.
"""
from __future__ import annotations

import functools
import importlib
import os

settings = {"threads": None}


def configure(threads: int | None) -> None:
    """Gives every framework the same number of compute threads.

    With one thread, XLA's CPU backend is told not to use its Eigen thread
    pool; with more, XLA keeps its default (all cores) since it has no exact
    knob, and TF and torch are set to `threads`. None leaves every framework
    at its own default threading, as a user gets it (`--threads default`).
    """
    settings["threads"] = threads
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads is None:
        return
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        # (XLA has no flag for its runtime's own pool: independent operations
        # of one program may still run on several threads.)
        extra = "--xla_cpu_multi_thread_eigen=false"
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} {extra}".strip()
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


@functools.lru_cache(maxsize=None)
def tensorflow():
    """Real TensorFlow, CPU only and thread-limited, or None when absent."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        tf = importlib.import_module("tensorflow")
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    threads = settings["threads"]
    try:
        tf.config.set_visible_devices([], "GPU")
        if threads:  # None: TF's default pools
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised (e.g. imported by a test first)
        pass
    return tf


@functools.lru_cache(maxsize=None)
def torch():
    """PyTorch, thread-limited, or None when absent."""
    try:
        torch = importlib.import_module("torch")
    except Exception:  # noqa: BLE001
        return None
    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
        try:
            torch.set_num_interop_threads(settings["threads"])
        except RuntimeError:  # only settable before the first parallel work
            pass
    return torch


def versions() -> dict:
    """Installed versions of what the suite compares (None when absent)."""
    from importlib import metadata
    out = {}
    for name in ("jaxtape", "jax", "jaxlib", "numpy", "tensorflow-cpu", "tensorflow", "torch",
                 "matplotlib", "psutil"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out.get("tensorflow") is None:
        out["tensorflow"] = out.get("tensorflow-cpu")
    out.pop("tensorflow-cpu", None)
    return out
