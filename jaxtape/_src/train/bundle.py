"""TensorFlow's tensor bundle: `prefix.index` (a table of protobuf entries) plus
`prefix.data-00000-of-00001` (the tensors' raw bytes).

Index entries: the empty key holds a `BundleHeaderProto` (num_shards = 1,
version {producer: 1}); every other key holds a `BundleEntryProto` (dtype
= 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6, the masked
CRC-32C of the tensor's bytes). Numeric tensors are stored as their
little-endian row-major bytes. A string tensor is stored as the varint
lengths of its elements, the masked CRC of those length bytes (4 bytes),
then the elements' bytes; the entry's CRC runs over all three parts.
"""
from __future__ import annotations

import os
import struct

import numpy as np

from jaxtape._src.framework import crc32c, dtypes, errors, tensor_proto, wire
from jaxtape._src.train import table
from jaxtape._src.train.atomic import write_atomically

_DTYPE_ENUM = tensor_proto.DTYPE_ENUM
_ENUM_DTYPE = tensor_proto.ENUM_DTYPE
DT_STRING = tensor_proto.DT_STRING
_TF_NAMES = {7: "string"}

HEADER_KEY = b""
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def index_file(prefix: str) -> str:
    return prefix + ".index"


def data_file(prefix: str, shard: int = 0, num_shards: int = 1) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


class Entry:
    """One `BundleEntryProto`: where a tensor's bytes are and what they mean."""

    __slots__ = ("dtype", "shape", "shard_id", "offset", "size", "crc32c", "sliced")

    def __init__(self, dtype=0, shape=(), shard_id=0, offset=0, size=0, crc=0, sliced=False):
        self.dtype, self.shape, self.shard_id = dtype, tuple(shape), shard_id
        self.offset, self.size, self.crc32c, self.sliced = offset, size, crc, sliced

    def encode(self) -> bytes:
        out = wire.field_varint(1, self.dtype) + wire.field_bytes(
            2, tensor_proto.encode_shape(self.shape))
        if self.shard_id:
            out += wire.field_varint(3, self.shard_id)
        if self.offset:
            out += wire.field_varint(4, self.offset)
        if self.size:
            out += wire.field_varint(5, self.size)
        return out + wire.field_fixed32(6, self.crc32c)

    @classmethod
    def decode(cls, buf: bytes) -> "Entry":
        entry = cls()
        for number, _, value in wire.fields(buf):
            if number == 1:
                entry.dtype = value
            elif number == 2:
                entry.shape = tensor_proto.decode_shape(value)
            elif number == 3:
                entry.shard_id = value
            elif number == 4:
                entry.offset = wire.signed64(value)
            elif number == 5:
                entry.size = wire.signed64(value)
            elif number == 6:
                entry.crc32c = value
            elif number == 7:
                entry.sliced = True
        return entry

    @property
    def dtype_name(self) -> str:
        if self.dtype in _TF_NAMES:
            return _TF_NAMES[self.dtype]
        if self.dtype not in _ENUM_DTYPE:
            return f"unsupported dtype enum {self.dtype}"
        return dtypes.from_numpy(_ENUM_DTYPE[self.dtype]).name


def _header() -> bytes:
    return wire.field_varint(1, 1) + wire.field_bytes(3, wire.field_varint(1, 1))


def _length_crc(sizes) -> int:
    return crc32c.crc32c(b"".join(struct.pack("<I", n) if n < 1 << 32 else struct.pack("<Q", n)
                                  for n in sizes))


def _string_bytes(items) -> tuple[bytes, int]:
    """The on-disk form of a string tensor's elements (a flat list of bytes), and its CRC."""
    crc = _length_crc(len(s) for s in items)
    check = struct.pack("<I", crc32c.mask(crc))
    body = b"".join(items)
    crc = crc32c.crc32c(body, crc32c.crc32c(check, crc))
    return b"".join(wire.varint(len(s)) for s in items) + check + body, crc


# -- writing ---------------------------------------------------------------

def write(prefix: str, tensors) -> None:
    """Writes a bundle of `tensors`, (key, value) pairs in the order their bytes
    go into the data file; a value is a NumPy array, or bytes for a scalar string.

    Both files are written under temporary names and renamed into place, the
    data file first, so a failure leaves no index that points at missing or
    partial data, and never damages a bundle already at `prefix`.
    """
    entries, chunks, offset = [], [], 0
    for key, value in tensors:
        if isinstance(value, (bytes, str)):
            raw, crc = _string_bytes([value.encode() if isinstance(value, str) else value])
            entry = Entry(DT_STRING, ())
        else:
            array = np.asarray(value)
            if array.dtype not in _DTYPE_ENUM:
                raise errors.InvalidArgumentError(
                    None, None, f"jaxtape cannot checkpoint a tensor of dtype {array.dtype} ({key})")
            raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
            entry = Entry(_DTYPE_ENUM[array.dtype], array.shape)
            crc = crc32c.crc32c(raw)
        entry.offset, entry.size, entry.crc32c = offset, len(raw), crc32c.mask(crc)
        entries.append((key.encode(), entry.encode()))
        chunks.append(raw)
        offset += len(raw)
    entries.sort()
    for (a, _), (b, _) in zip(entries, entries[1:]):
        if a == b:
            raise errors.InvalidArgumentError(None, None, f"Adding duplicate key: {a.decode()}")
    index = table.encode([(HEADER_KEY, _header())] + entries)
    directory = os.path.dirname(prefix) or "."
    os.makedirs(directory, exist_ok=True)
    write_atomically(data_file(prefix), chunks, ".tempstate")
    write_atomically(index_file(prefix), [index], ".tempstate")


# -- reading ---------------------------------------------------------------

def _missing(prefix: str) -> errors.NotFoundError:
    return errors.NotFoundError(
        None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any matching "
        f"files for {prefix}")


class Reader:
    """The entries of the bundle at `prefix`, read once; tensors read on demand."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        path = index_file(prefix)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if os.path.isdir(prefix):  # TF then reads the path as a V1 table file, and fails so
                raise errors.DataLossError(
                    None, None, f"Unable to open table file {prefix}: FAILED_PRECONDITION: "
                    f"{prefix}; Is a directory: perhaps your file is in a different file format "
                    "and you need to use a different restore operator?") from None
            raise _missing(prefix) from None
        try:
            pairs = table.decode(data)
        except table.TableError as e:
            reason = str(e)
            if reason.startswith(("file is too short", "not an sstable")):
                raise errors.DataLossError(
                    None, None, f"Unable to open table file {path}: {reason}") from None
            raise errors.DataLossError(
                None, None, f"Unable to read file ({path}). Perhaps the file is corrupt or was "
                f"produced by a newer version of TensorFlow with format changes: {reason}") from None
        self.entries: dict[str, Entry] = {}
        try:
            for key, value in pairs:
                if key == HEADER_KEY:
                    self._check_header(value, path)
                else:
                    self.entries[key.decode()] = Entry.decode(value)
        except (wire.WireError, UnicodeDecodeError) as e:
            raise errors.DataLossError(None, None, f"Unable to read file ({path}): corrupted entry: {e}") from None

    @staticmethod
    def _check_header(value: bytes, path: str) -> None:
        for number, _, v in wire.fields(value):
            if number == 1 and v != 1:
                raise errors.UnimplementedError(
                    None, None, f"{path}: jaxtape reads single-shard checkpoints only "
                    f"(this one has {v} shards)")
            if number == 2 and v != 0:
                raise errors.UnimplementedError(None, None, f"{path}: big-endian bundles are not supported")

    def keys(self) -> list[str]:
        return list(self.entries)

    def read_raw(self, key: str) -> tuple[Entry, bytes]:
        entry = self.entry(key)
        path = data_file(self.prefix, entry.shard_id)
        try:
            with open(path, "rb") as f:
                f.seek(entry.offset)
                raw = f.read(entry.size)
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
        if len(raw) != entry.size:
            raise errors.DataLossError(
                None, None, f"{path}: Read less bytes than requested (wanted {entry.size} bytes "
                f"at offset {entry.offset} for {key}, got {len(raw)}): the file is truncated")
        actual = self._string_crc(raw, entry, path) if entry.dtype == DT_STRING else crc32c.crc32c(raw)
        if actual != crc32c.unmask(entry.crc32c):
            raise errors.DataLossError(
                None, None, f"TensorBundle at {self.prefix} shard {entry.shard_id} ({entry.size} "
                f"bytes): Checksum does not match: stored {crc32c.unmask(entry.crc32c)} vs. "
                f"calculated on the restored bytes {actual}")
        return entry, raw

    def _string_crc(self, raw: bytes, entry: Entry, path: str) -> int:
        lengths, pos = _string_lengths(raw, entry, f"{path}: corrupted string tensor lengths")
        return crc32c.crc32c(raw[pos:], _length_crc(lengths))

    def entry(self, key: str) -> Entry:
        if key not in self.entries:
            raise errors.NotFoundError(None, None, f"Key {key} not found in checkpoint")
        return self.entries[key]

    def tensor(self, key: str):
        """The stored value: a NumPy array, or bytes / an object array for strings."""
        entry, raw = self.read_raw(key)
        if entry.sliced:
            raise errors.UnimplementedError(None, None, f"{key}: partitioned (sliced) variables "
                                                         "are not supported by jaxtape")
        if entry.dtype == DT_STRING:
            return self._strings(entry, raw, key)
        dtype = _ENUM_DTYPE.get(entry.dtype)
        if dtype is None:
            raise errors.UnimplementedError(None, None, f"{key}: unsupported dtype enum {entry.dtype}")
        count = int(np.prod(entry.shape, dtype=np.int64))
        if count * dtype.itemsize != len(raw):
            raise errors.DataLossError(None, None, f"{data_file(self.prefix)}: {key} holds {len(raw)} "
                                                    f"bytes, not the {count * dtype.itemsize} its shape needs")
        return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(entry.shape)

    def _strings(self, entry: Entry, raw: bytes, key: str):
        lengths, pos = _string_lengths(raw, entry, f"{data_file(self.prefix)}: bad string tensor {key}")
        pos += 4
        items = []
        for n in lengths:
            items.append(raw[pos:pos + n])
            pos += n
        if not entry.shape:
            return items[0]
        return np.array(items, dtype=object).reshape(entry.shape)


def _string_lengths(raw: bytes, entry: Entry, corrupt_message: str):
    """A string tensor's element lengths (varints at the start of its bytes) and where they end."""
    count = int(np.prod(entry.shape, dtype=np.int64))
    pos, lengths = 0, []
    try:
        for _ in range(count):
            n, pos = wire.read_varint(raw, pos)
            lengths.append(n)
    except wire.WireError:
        raise errors.DataLossError(None, None, corrupt_message) from None
    return lengths, pos
