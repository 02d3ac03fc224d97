"""`tf.test`'s questions about GPUs, answered from JAX's backends and plugins."""
from __future__ import annotations

import importlib.util

from jaxtape._src.config import devices
from jaxtape._src.framework.exports import export

_CUDA_PLUGINS = ("jax_cuda12_plugin", "jax_cuda13_plugin", "jax_plugins.xla_cuda12",
                 "jax_plugins.xla_cuda13")


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@export("test.is_gpu_available")
def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """True if JAX sees a GPU (of at least that compute capability, if given)."""
    gpus = devices.jax_devices()["GPU"]
    if min_cuda_compute_capability is None:
        return bool(gpus)
    want = tuple(min_cuda_compute_capability)
    for dev in gpus:
        have = getattr(dev, "compute_capability", None)
        if have and tuple(int(p) for p in str(have).split(".")) >= want:
            return True
    return False


@export("test.is_built_with_cuda")
def is_built_with_cuda():
    """True when JAX's CUDA plugin is installed (TF's CUDA build), whether or not a GPU is present."""
    return any(_has_module(m) for m in _CUDA_PLUGINS)


@export("test.is_built_with_rocm")
def is_built_with_rocm():
    return any(_has_module(m) for m in ("jax_rocm60_plugin", "jax_rocm7_plugin", "jax_plugins.xla_rocm60"))


@export("test.is_built_with_gpu_support")
def is_built_with_gpu_support():
    return is_built_with_cuda() or is_built_with_rocm()


@export("test.gpu_device_name")
def gpu_device_name():
    """'/device:GPU:0' when a GPU is visible, else ''."""
    return "/device:GPU:0" if devices.get_visible_devices("GPU") else ""
