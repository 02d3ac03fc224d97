"""`tf.init_scope`: code that runs as if outside any `tf.function` trace.

TF lifts it into the outermost eager context; here it leaves the trace: new
variables get concrete values (a variable read there gives its value before
the traced call), outside the traced program and unseen by tapes. Reads made
later inside the trace are captured as usual. Keras objects built inside a
trace and `ExponentialMovingAverage`'s shadows are created this way.
"""
from __future__ import annotations

import contextlib

import jax

from jaxtape._src.compile import capture
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.tape import stack


@export("init_scope")
@contextlib.contextmanager
def init_scope():
    tracing, local.tracing = local.tracing, 0
    try:
        with stack.hidden(), capture.tracing_scope(None), jax.ensure_compile_time_eval():
            yield
    finally:
        local.tracing = tracing


lifted = init_scope  # the name jaxtape's own code uses
