"""GPU memory settings and statistics.

JAX's GPU allocator is fixed when its backend starts (set
`XLA_PYTHON_CLIENT_PREALLOCATE=false` before importing jaxtape for on-demand
growth), so memory growth is recorded and reported back, not applied.
"""
from __future__ import annotations

from jaxtape._src.config import devices as devices_mod
from jaxtape._src.config.placement import parse
from jaxtape._src.framework.exports import export

_growth: dict = {}


def _check_gpu(device):
    if not isinstance(device, devices_mod.PhysicalDevice) or device not in devices_mod.list_physical_devices():
        raise ValueError(f"Unrecognized device: {device!r}")


@export("config.experimental.set_memory_growth")
def set_memory_growth(device, enable):
    _check_gpu(device)
    if device.device_type != "GPU":
        raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")
    _growth[device] = bool(enable)


@export("config.experimental.get_memory_growth")
def get_memory_growth(device):
    _check_gpu(device)
    if device.device_type != "GPU":
        raise KeyError(device)
    return _growth.get(device, False)


def _stats(device: str) -> dict:
    kind, index = parse(device)
    dev = None if kind is None else devices_mod.jax_device(kind, index or 0)
    if dev is None:
        raise ValueError(f"No matching devices found for '{device}'")
    stats = dev.memory_stats() if kind != "CPU" else None
    if not stats:
        raise ValueError(f"Allocator stats not available for device '{device}'")
    return stats


@export("config.experimental.get_memory_info")
def get_memory_info(device):
    """`{'current': bytes in use, 'peak': peak bytes}` from JAX's allocator statistics."""
    stats = _stats(device)
    return {"current": int(stats.get("bytes_in_use", 0)),
            "peak": int(stats.get("peak_bytes_in_use", 0))}


@export("config.experimental.get_memory_usage")
def get_memory_usage(device):
    return get_memory_info(device)["current"]


@export("config.experimental.reset_memory_stats")
def reset_memory_stats(device):
    """Checks the device; JAX has no call to reset its peak, so the peak stays."""
    _stats(device)
