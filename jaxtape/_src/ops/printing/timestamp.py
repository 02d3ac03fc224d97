"""`tf.timestamp` (TF's logging_ops): seconds since the epoch as a float64 scalar.

Inside `tf.function` the time is read by a host callback staged into the
program, so every call reads its own time (as TF's stateful kernel does),
not the trace's. The op has no gradient in TF: its result is a fresh tensor
no tape follows.
"""
from __future__ import annotations

import time

import jax
import numpy as np
from jax.experimental import io_callback

from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor

_SCALAR = jax.ShapeDtypeStruct((), np.float64)


def _now():
    return np.float64(time.time())


@export("timestamp")
def timestamp(name=None):
    """The current time in seconds (microsecond resolution), float64."""
    if local.tracing:
        return Tensor(io_callback(_now, _SCALAR, ordered=True))
    return Tensor(jax.device_put(_now()))
