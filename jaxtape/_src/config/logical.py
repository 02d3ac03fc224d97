"""`tf.config.set_logical_device_configuration`: TF's virtual CPUs as JAX host devices.

TF splits one physical CPU into several logical ones (how `MirroredStrategy`
is tried out without GPUs). JAX fixes its number of CPU devices when its
backend starts (`jax_num_cpu_devices`), so the call restarts the backend with
that many devices; like TF, it fails once arrays exist on the old devices.
Other device types keep their devices (memory limits are not partitioned).
"""
from __future__ import annotations

import collections

import jax

from jaxtape._src.config import devices
from jaxtape._src.framework.exports import export, export_value

LogicalDeviceConfiguration = collections.namedtuple(
    "LogicalDeviceConfiguration", ["memory_limit", "experimental_priority", "experimental_device_ordinal"],
    defaults=[None, None, 0])
export_value(LogicalDeviceConfiguration, "config.LogicalDeviceConfiguration",
             "config.experimental.VirtualDeviceConfiguration")

_configured: dict = {}  # physical device -> its configuration list


@export("config.set_logical_device_configuration", "config.experimental.set_virtual_device_configuration")
def set_logical_device_configuration(device, logical_devices):
    if not isinstance(device, devices.PhysicalDevice) or device not in devices.list_physical_devices():
        raise ValueError(f"Unrecognized device: {device!r}")
    logical_devices = list(logical_devices or [])
    if device.device_type == "CPU" and logical_devices:
        wanted = len(logical_devices)
        if len(devices.jax_devices()["CPU"]) != wanted:
            if jax.live_arrays():
                raise RuntimeError("Virtual devices cannot be modified after being initialized")
            # Here, not at module level: jax.extend imports Pallas, ~0.1 s of `import jaxtape`.
            from jax.extend import backend as jax_backend  # noqa: PLC0415
            jax_backend.clear_backends()
            jax.config.update("jax_num_cpu_devices", wanted)
    _configured[device] = logical_devices


@export("config.get_logical_device_configuration", "config.experimental.get_virtual_device_configuration")
def get_logical_device_configuration(device):
    if not isinstance(device, devices.PhysicalDevice):
        raise ValueError(f"Unrecognized device: {device!r}")
    return _configured.get(device)
