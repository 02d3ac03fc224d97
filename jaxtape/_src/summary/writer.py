"""Summary writers, the default writer, the default step and `record_if`.

TF keeps these per thread (a writer's `as_default` affects only the thread
that entered it); so does jaxtape, with `set_as_default` and `set_step`
setting the value threads start from.
"""
from __future__ import annotations

import contextlib
import threading

from jaxtape._src.framework.exports import export
from jaxtape._src.summary.events import EventFile


class _State(threading.local):
    def __init__(self):
        self.writers = [_base["writer"]]
        self.step = _base["step"]
        self.record = [True]


_base = {"writer": None, "step": None}
state = _State()


@export("summary.SummaryWriter")
class SummaryWriter:
    """Writes summaries to one event file; `as_default()` makes it the target of tf.summary.*."""

    def __init__(self, logdir=None, filename_suffix=None):
        self._logdir = logdir
        self._suffix = ".v2" if filename_suffix is None else ".v2" + filename_suffix
        self._file = None
        self._closed = False

    def init(self):
        if self._file is None and self._logdir is not None:
            self._file = EventFile(str(self._logdir), self._suffix)

    def add(self, summary, step):
        if self._logdir is None or self._closed:
            return
        self.init()
        self._file.add_summary(summary, step)

    def as_default(self, step=None):
        return _Default(self, step)

    def set_as_default(self, step=None):
        _base["writer"] = self
        state.writers[-1] = self
        if step is not None:
            set_step(step)

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
        self._closed = True


class _Default:
    """`with writer.as_default(step=...)`: the default writer (and step) inside the block."""

    def __init__(self, writer, step):
        self._writer, self._step = writer, step

    def __enter__(self):
        state.writers.append(self._writer)
        self._saved_step = state.step
        if self._step is not None:
            state.step = self._step
        return self._writer

    def __exit__(self, *exc):
        state.writers.pop()
        if self._step is not None:
            state.step = self._saved_step
        self._writer.flush()
        return False


@export("summary.create_file_writer")
def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A writer whose event file in `logdir` is created now (TensorBoard must be installed)."""
    writer = SummaryWriter(logdir, filename_suffix)
    writer.init()
    return writer


@export("summary.create_noop_writer")
def create_noop_writer():
    return SummaryWriter(None)


def default_writer():
    return state.writers[-1]


@export("summary.experimental.get_step")
def get_step():
    return state.step


@export("summary.experimental.set_step")
def set_step(step):
    state.step = step
    _base["step"] = step


@export("summary.record_if")
@contextlib.contextmanager
def record_if(condition):
    """Records summaries inside the block only while `condition` (a bool, tensor or callable) holds."""
    state.record.append(condition)
    try:
        yield
    finally:
        state.record.pop()


def recording_condition():
    return state.record[-1]


@export("summary.flush")
def flush(writer=None, name=None):
    writer = default_writer() if writer is None else writer
    if writer is not None:
        writer.flush()
