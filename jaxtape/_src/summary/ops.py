"""`tf.summary.scalar`, `histogram`, `image`, `text`, `write`: one event each in the default writer.

Each returns a bool tensor, True when something was written (False without
a default writer or when `record_if` says no), as TF's do. Inside
`tf.function` the values exist only at run time, so the event is written
by a host callback on every call, with the step and condition read then.
"""
from __future__ import annotations

import jax
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.summary import protos
from jaxtape._src.summary.writer import default_writer, get_step, recording_condition

_NO_STEP = ("No step set. Please specify one either through the `step` argument or through "
            "tf.summary.experimental.set_step()")


def _emit(build, tensors, step):
    """Writes `build(*arrays)` at `step` if a writer is set and recording is on."""
    writer = default_writer()
    if writer is None or writer._logdir is None:
        return convert_to_tensor(False)
    step = get_step() if step is None else step
    if step is None:
        raise ValueError(_NO_STEP)
    condition = recording_condition()
    if callable(condition):
        condition = condition()
    values = [convert_to_tensor(t)._value for t in tensors]
    step_value = convert_to_tensor(step)._value
    condition_value = convert_to_tensor(condition)._value

    def write(record, step_now, *arrays):
        if bool(np.asarray(record)):
            writer.add(build(*[np.asarray(a) for a in arrays]), int(np.asarray(step_now)))

    if local.tracing or not all(isinstance(v, jax.Array) for v in [condition_value, step_value]):
        jax.debug.callback(write, condition_value, step_value, *values, ordered=True)
        return convert_to_tensor(condition)
    write(condition_value, step_value, *values)
    return convert_to_tensor(bool(np.asarray(condition_value)))


@export("summary.should_record_summaries")
def should_record_summaries():
    """Whether a summary written now would be recorded (a writer is set and `record_if` holds)."""
    writer = default_writer()
    if writer is None or writer._logdir is None:
        return convert_to_tensor(False)
    condition = recording_condition()
    return convert_to_tensor(condition() if callable(condition) else condition)


@export("summary.scalar")
def scalar(name, data, step=None, description=None):
    data = convert_to_tensor(data)
    if data.shape.rank != 0:
        raise ValueError(f"Expected scalar shape, saw shape: {data.shape}.")
    return _emit(lambda v: protos.scalar(name, v, description), [data], step)


@export("summary.histogram")
def histogram(name, data, step=None, buckets=None, description=None):
    return _emit(lambda v: protos.histogram(name, v, buckets, description), [data], step)


@export("summary.image")
def image(name, data, step=None, max_outputs=3, description=None):
    data = convert_to_tensor(data)
    if data.shape.rank != 4:
        raise ValueError(f"Tensor  must have rank 4.  Received rank {data.shape.rank}, shape {data.shape}")
    return _emit(lambda v: protos.image(name, v, max_outputs, description), [data], step)


@export("summary.text")
def text(name, data, step=None, description=None):
    """Strings: a tf.string tensor, a Python str, bytes or a nested list / NumPy array of them."""
    if isinstance(data, StringTensor):
        data = data.numpy()
    elif is_tensor(data):
        raise TypeError("jaxtape does not implement string tensors (tf.string): pass Python strings "
                        "to tf.summary.text")
    return _emit(lambda: protos.text(name, data, description), [], step)


@export("summary.write")
def write(tag, tensor, step=None, metadata=None, name=None):
    """A raw tensor summary with optional `SummaryMetadata` (a proto or its bytes)."""
    return _emit(lambda v: protos.tensor_summary(tag, v, metadata), [tensor], step)
