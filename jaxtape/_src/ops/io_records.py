"""TFRecord files: `tf.io.TFRecordWriter`, `TFRecordOptions`, `tf_record_iterator`,
and the record reader `tf.data.TFRecordDataset` uses.

A record is its length (uint64, little-endian), the masked CRC-32C of those
8 bytes, the data, and the masked CRC-32C of the data; a file is records
back to back, optionally as one GZIP or ZLIB stream (TF's zlib defaults, so
the bytes written equal TF's).
"""
from __future__ import annotations

import os
import struct
import zlib

from jaxtape._src.framework.errors import DataLossError, NotFoundError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework import crc32c

_WINDOW = {"": None, "ZLIB": zlib.MAX_WBITS, "GZIP": 16 + zlib.MAX_WBITS}


def _masked(data: bytes) -> bytes:
    return struct.pack("<I", crc32c.mask(crc32c.crc32c(data)))


def frame(record: bytes) -> bytes:
    length = struct.pack("<Q", len(record))
    return length + _masked(length) + record + _masked(record)


@export("io.TFRecordCompressionType", "compat.v1.io.TFRecordCompressionType")
class TFRecordCompressionType:
    NONE = 0
    ZLIB = 1
    GZIP = 2


_BY_NUMBER = {0: "", 1: "ZLIB", 2: "GZIP"}


@export("io.TFRecordOptions")
class TFRecordOptions:
    """Compression for TFRecord files; the zlib settings left None take zlib's defaults."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB",
                            TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = compression_type_name(compression_type)
        self.flush_mode, self.input_buffer_size = flush_mode, input_buffer_size
        self.output_buffer_size, self.window_bits = output_buffer_size, window_bits
        self.compression_level, self.compression_method = compression_level, compression_method
        self.mem_level, self.compression_strategy = mem_level, compression_strategy

    @classmethod
    def get_compression_type_string(cls, options):
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        return compression_type_name(options)


def compression_type_name(value) -> str:
    """"", "ZLIB" or "GZIP" from a name, a TFRecordCompressionType number or None."""
    if value is None:
        return ""
    if isinstance(value, int) and value in _BY_NUMBER:
        return _BY_NUMBER[value]
    if isinstance(value, bytes):
        value = value.decode()
    if value not in _WINDOW:
        raise ValueError(f'Not a valid compression_type: "{value}"')
    return value


def _not_found(path: str, op: str):
    return NotFoundError(None, None, f"{path}; No such file or directory [Op:{op}] name: ")


@export("io.TFRecordWriter")
class TFRecordWriter:
    """Writes records to a TFRecord file (compressed as `options` says)."""

    def __init__(self, path, options=None):
        if isinstance(options, TFRecordOptions):
            self._options = options
        else:
            self._options = TFRecordOptions(compression_type_name(options))
        self._path = os.fsdecode(path)
        try:
            self._file = open(self._path, "wb")
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{self._path}; No such file or directory") from None
        window = _WINDOW[self._options.compression_type]
        o = self._options
        self._zip = None if window is None else zlib.compressobj(
            -1 if o.compression_level is None else o.compression_level,
            zlib.DEFLATED if o.compression_method is None else o.compression_method,
            window if o.window_bits is None else (window - zlib.MAX_WBITS + o.window_bits),
            8 if o.mem_level is None else o.mem_level,
            zlib.Z_DEFAULT_STRATEGY if o.compression_strategy is None else o.compression_strategy)

    def write(self, record):
        if isinstance(record, str):
            record = record.encode()
        if not isinstance(record, (bytes, bytearray, memoryview)):
            raise TypeError("write(): incompatible function arguments. The following argument "
                            "types are supported:\n    1. (self: tensorflow.python.lib.io."
                            "_pywrap_record_io.RecordWriter, record: str) -> None\n\nInvoked "
                            f"with: {self!r}, {record!r}")
        data = frame(bytes(record))
        self._file.write(data if self._zip is None else self._zip.compress(data))

    def flush(self):
        if self._zip is not None:
            self._file.write(self._zip.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        if self._file.closed:
            return
        if self._zip is not None:
            self._file.write(self._zip.flush())
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_file", None) is not None:
            self.close()


class Stream:
    """A file's bytes, decompressed as they are read, in chunks consumed by offset (a
    slice per record of the whole remaining chunk would copy it every time)."""

    def __init__(self, f, compression: str):
        self._f = f
        window = _WINDOW[compression]
        self._zip = None if window is None else zlib.decompressobj(window)
        self._buf, self._at = b"", 0

    def read(self, n: int) -> bytes:
        end = self._at + n
        while len(self._buf) < end:
            chunk = self._f.read(1 << 16)
            if not chunk:
                break
            chunk = chunk if self._zip is None else self._zip.decompress(chunk)
            self._buf, end = self._buf[self._at:] + chunk, n
            self._at = 0
        out = self._buf[self._at:end]
        self._at = min(end, len(self._buf))
        return out


def records(path: str, compression: str = "", op: str = "IteratorGetNext"):
    """Each record's bytes; TF's DataLossError at a truncated or corrupted one."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise _not_found(path, op) from None
    with f:
        stream, offset = Stream(f, compression), 0
        while True:
            header = stream.read(12)
            if not header:
                return
            if len(header) < 12:
                raise DataLossError(None, None, f"truncated record at {offset}' failed with Read "
                                    f"less bytes than requested [Op:{op}] name: ")
            length, = struct.unpack("<Q", header[:8])
            if header[8:] != _masked(header[:8]):
                hint = " (Is this even a TFRecord file?)" if offset == 0 else ""
                raise DataLossError(None, None, f"corrupted record at {offset}{hint} [Op:{op}] "
                                    "name: ")
            body = stream.read(length + 4)
            if len(body) < length + 4:
                raise DataLossError(None, None, f"truncated record at {offset}' failed with Read "
                                    f"less bytes than requested [Op:{op}] name: ")
            data = body[:length]
            if body[length:] != _masked(data):  # TF reports where the data starts
                raise DataLossError(None, None, f"corrupted record at {offset + 12} [Op:{op}] "
                                    "name: ")
            yield data
            offset += 16 + length


@export("compat.v1.io.tf_record_iterator", "compat.v1.python_io.tf_record_iterator")
def tf_record_iterator(path, options=None):
    """The records of a file, as Python bytes (TF 1's reader)."""
    compression = TFRecordOptions.get_compression_type_string(options)
    return records(os.fsdecode(path), compression, "tf_record_iterator")
