"""Keras's `TensorBoard` callback writing through jaxtape's `tf.summary`.

The callback imports `tensorflow.summary` for its writers (TensorFlow's
own where TF is installed beside jaxtape, an ImportError where it is not)
and writes the model's configuration with `tf.compat.v1.SummaryMetadata`.
Here both are jaxtape's: its writers (TensorBoard's record writer and
protos, `jaxtape/_src/summary`) and TensorBoard's `SummaryMetadata`, so
`fit(callbacks=[TensorBoard(log_dir)])` writes the event files TF writes:
epoch and batch scalars, weight histograms and images, the model's config.
"""
from __future__ import annotations

import contextlib
import types
import warnings

from jaxtape._src.keras.backend import keras  # noqa: F401 - Keras imported the bridge's way first
from jaxtape._src.summary import ops, writer
from jaxtape._src.summary.tensorboard_lib import load

from keras.src.callbacks import tensorboard


@contextlib.contextmanager
def _summary_scope(name, default_name=None, values=None):
    """(tag, scope): a summary's tag as TF's scope gives it outside name scopes."""
    del values
    tag = name or default_name
    yield tag, tag


_SUMMARY = types.SimpleNamespace(
    create_file_writer=writer.create_file_writer, create_noop_writer=writer.create_noop_writer,
    record_if=writer.record_if, flush=writer.flush, scalar=ops.scalar, histogram=ops.histogram,
    image=ops.image, text=ops.text, write=ops.write,
    experimental=types.SimpleNamespace(get_step=writer.get_step, set_step=writer.set_step,
                                       summary_scope=_summary_scope))


def _keras_model_summary(name, data, step=None):
    """The model's JSON config as the "graph_keras_model" plugin's summary."""
    metadata = load("compat.proto.summary_pb2").SummaryMetadata()
    metadata.plugin_data.plugin_name = "graph_keras_model"
    metadata.plugin_data.content = b"1"
    try:
        json_string = data.to_json()
    except Exception as exc:  # noqa: BLE001 - as Keras: a model that does not serialize is skipped
        warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}")
        return False
    return ops.write(tag=name, tensor=json_string, step=step, metadata=metadata)


def _summary(self):
    if self._summary_module is None:
        self._summary_module = _SUMMARY
    return self._summary_module


def install() -> None:
    tensorboard.TensorBoard.summary = property(_summary)
    tensorboard.keras_model_summary = _keras_model_summary
