"""Where pipeline functions run: on the host CPU, as TensorFlow places tf.data.

A `map` function on a machine with a GPU would otherwise send every element
to the device and back; batches reach the default device once, when the
iterator hands them out.
"""
from __future__ import annotations

import contextlib

import jax

_cpu = []


def on_host():
    """A context that makes new JAX arrays default to the CPU."""
    if not _cpu:
        try:
            _cpu.append(jax.devices("cpu")[0] if jax.default_backend() != "cpu" else None)
        except RuntimeError:  # no CPU backend: stay where we are
            _cpu.append(None)
    device = _cpu[0]
    return contextlib.nullcontext() if device is None else jax.default_device(device)
