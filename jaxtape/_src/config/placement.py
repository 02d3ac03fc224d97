"""`tf.device`: a context in which new tensors go to one JAX device.

TF's soft placement (on by default in eager mode) lets a device that does not
exist, such as `/GPU:0` on a CPU-only machine, fall back silently, so such a
scope changes nothing; an unparsable name raises TF's ValueError.
"""
from __future__ import annotations

import contextlib
import re

import jax

from jaxtape._src.config import devices
from jaxtape._src.framework.exports import export

_KINDS = {"CPU": "CPU", "GPU": "GPU", "TPU": "TPU"}
_FIELD = re.compile(r"^(job|replica|task):(.*)$")


def parse(name: str) -> tuple[str | None, int | None]:
    """(device type, index) that a TF device string names; either may be None."""
    kind = index = None
    for part in (p for p in name.split("/") if p):
        if _FIELD.match(part):
            continue
        fields = part.split(":")
        if fields[0].lower() == "device":
            fields = fields[1:]
        if fields and fields[0].upper() in _KINDS and len(fields) <= 2:
            kind = _KINDS[fields[0].upper()]
            if len(fields) == 2 and fields[1] != "*":
                if not fields[1].isdigit():
                    raise ValueError(f"Unknown attribute '{part}' is encountered while parsing "
                                     f"the device spec: '{name}'.")
                index = int(fields[1])
            continue
        raise ValueError(f"Unknown attribute '{part}' is encountered while parsing the device "
                         f"spec: '{name}'.")
    return kind, index


@export("device")
def device(device_name):
    """Places tensors created inside the `with` block on `device_name` when that device exists."""
    if device_name is None:
        return contextlib.nullcontext()
    if not isinstance(device_name, str):
        raise ValueError(f"Expecting a string device name. Got {type(device_name)}({device_name})")
    kind, index = parse(device_name)
    target = None if kind is None else devices.jax_device(kind, index or 0)
    if target is None:  # soft placement: stay where we are
        return contextlib.nullcontext()
    return jax.default_device(target)
