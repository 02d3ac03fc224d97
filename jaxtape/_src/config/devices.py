"""TF's device lists over JAX's devices: `/physical_device:GPU:0` is JAX's GPU 0.

TF numbers devices per type (`CPU:0`, `GPU:0`, `GPU:1`); JAX's devices of
each platform are numbered the same way here, in JAX's order. Visible
devices start as all of them; `set_visible_devices` narrows them and moves
JAX's default device onto a visible one, which is how hiding the GPUs
(`set_visible_devices([], 'GPU')`) keeps new tensors on the CPU.
"""
from __future__ import annotations

import collections

import jax

from jaxtape._src.framework.exports import export, export_value

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])
export_value(PhysicalDevice, "config.PhysicalDevice")
export_value(LogicalDevice, "config.LogicalDevice")

# TF's device type for each JAX backend, in the order TF lists them.
_BACKENDS = (("cpu", "CPU"), ("gpu", "GPU"), ("tpu", "TPU"))

_visible: list[PhysicalDevice] | None = None  # None: all devices


def jax_devices() -> dict[str, list]:
    """JAX's local devices by TF device type; a backend that is absent gives none."""
    found = {}
    for backend, kind in _BACKENDS:
        try:
            found[kind] = list(jax.local_devices(backend=backend))
        except RuntimeError:  # no such backend on this machine
            found[kind] = []
    return found


def _physical() -> list[PhysicalDevice]:
    return [PhysicalDevice(f"/physical_device:{kind}:{i}", kind)
            for kind, devs in jax_devices().items() for i in range(len(devs))]


def jax_device(kind: str, index: int):
    """The JAX device TF calls `kind:index` if it exists and is visible, else None."""
    devs = jax_devices().get(kind, [])
    if index >= len(devs):
        return None
    if _visible is not None and PhysicalDevice(f"/physical_device:{kind}:{index}", kind) not in _visible \
            and kind != "CPU":
        return None
    return devs[index]


@export("config.list_physical_devices", "config.experimental.list_physical_devices")
def list_physical_devices(device_type=None):
    """Every physical device, or those of `device_type` ('CPU', 'GPU', 'TPU'; case matters, as in TF)."""
    return [d for d in _physical() if device_type is None or d.device_type == device_type]


@export("config.get_visible_devices", "config.experimental.get_visible_devices")
def get_visible_devices(device_type=None):
    devices = _physical() if _visible is None else list(_visible)
    return [d for d in devices if device_type is None or d.device_type == device_type]


@export("config.set_visible_devices", "config.experimental.set_visible_devices")
def set_visible_devices(devices, device_type=None):
    """Makes only `devices` (of `device_type`, or of every type) visible.

    The CPU cannot be hidden, as in TF. New tensors go to the first visible
    accelerator, or to the CPU when none is visible.
    """
    global _visible
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    devices = list(devices)
    for d in devices:
        if not isinstance(d, PhysicalDevice) or d not in _physical():
            raise ValueError(f"Unrecognized device: {d!r}")
    kept = [d for d in get_visible_devices()
            if device_type is not None and d.device_type != device_type]
    chosen = kept + devices
    if not any(d.device_type == "CPU" for d in chosen):
        raise ValueError("CPU must be visible")
    _visible = [d for d in _physical() if d in chosen]
    accelerators = [d for d in _visible if d.device_type != "CPU"]
    first = accelerators[0] if accelerators else _visible[0]
    kind, index = first.device_type, int(first.name.rsplit(":", 1)[1])
    jax.config.update("jax_default_device", jax_devices()[kind][index])


@export("config.list_logical_devices", "config.experimental.list_logical_devices")
def list_logical_devices(device_type=None):
    """The visible devices as TF's LogicalDevice (`/device:GPU:0`)."""
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in get_visible_devices(device_type)]


@export("config.experimental.get_device_details")
def get_device_details(device):
    """TF gives `device_name` and `compute_capability` for GPUs, nothing for CPUs."""
    if not isinstance(device, PhysicalDevice):
        raise ValueError(f"Unrecognized device: {device!r}")
    if device.device_type != "GPU":
        return {}
    dev = jax_device("GPU", int(device.name.rsplit(":", 1)[1]))
    details = {"device_name": getattr(dev, "device_kind", "")}
    capability = getattr(dev, "compute_capability", None)
    if capability:
        details["compute_capability"] = tuple(int(p) for p in str(capability).split("."))
    return details
