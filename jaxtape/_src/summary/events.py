"""Event files: TensorBoard's record framing around `Event` protos, one file per writer.

Files are named as TF 2 names them (`events.out.tfevents.<secs>.<host>.<pid>.<n>.v2`)
and start with the `brain.Event:2` version event, so TensorBoard and TF's
`summary_iterator` read them. Writes are synchronous (a buffered file):
`flush` makes everything written so far readable.
"""
from __future__ import annotations

import itertools
import os
import socket
import struct
import time

from jaxtape._src.framework.errors import DataLossError
from jaxtape._src.framework.exports import export
from jaxtape._src.summary.tensorboard_lib import load

_file_counter = itertools.count()


class EventFile:
    """An open event file in `logdir` that `Summary` protos are appended to."""

    def __init__(self, logdir: str, filename_suffix: str = ".v2"):
        self._event_pb2 = load("compat.proto.event_pb2")
        record_writer = load("summary.writer.record_writer")
        os.makedirs(logdir, exist_ok=True)
        now = time.time()
        name = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            now, socket.gethostname(), os.getpid(), next(_file_counter), filename_suffix)
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")
        self._records = record_writer.RecordWriter(self._file)
        self.add(self._event_pb2.Event(wall_time=now, file_version="brain.Event:2"))
        self.flush()

    def add(self, event) -> None:
        self._records.write(event.SerializeToString())

    def add_summary(self, summary, step: int) -> None:
        self.add(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read_records(path: str):
    """The payloads of a TFRecord file, CRC-checked (length, its CRC, data, its CRC)."""
    crc = load("compat.tensorflow_stub.pywrap_tensorflow").masked_crc32c
    with open(path, "rb") as f:
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise DataLossError(None, None, f"truncated record at end of file {path}")
            length, length_crc = struct.unpack("<QI", header)
            if crc(header[:8]) != length_crc:
                raise DataLossError(None, None, f"corrupted record length in file {path}")
            data, data_crc = f.read(length), f.read(4)
            if len(data) < length or len(data_crc) < 4:
                raise DataLossError(None, None, f"truncated record at end of file {path}")
            if crc(data) != struct.unpack("<I", data_crc)[0]:
                raise DataLossError(None, None, f"corrupted record in file {path}")
            yield data


@export("compat.v1.train.summary_iterator")
def summary_iterator(path):
    """Yields the `Event` protos of an event file, as TF's `summary_iterator`."""
    event_pb2 = load("compat.proto.event_pb2")
    for data in read_records(os.fspath(path)):
        yield event_pb2.Event.FromString(data)


@export("make_ndarray")
def make_ndarray(tensor):
    """A NumPy array holding a `TensorProto`'s values."""
    return load("util.tensor_util").make_ndarray(tensor)
