"""The sorted-table file behind `prefix.index` (LevelDB's SSTable layout, as TF writes it).

    [data block]*  [metaindex block]  [index block]  [footer: 48 bytes]

A block is a run of entries, each `varint shared | varint unshared |
varint value_len | key suffix | value`, where `shared` bytes of the key are
taken from the previous key; every `RESTART_INTERVAL` entries the key is
written whole and its offset listed in the restart array that closes the
block (`uint32 offsets..., uint32 count`). Each block is followed by a
5-byte trailer: compression type (0, none) and the masked CRC-32C of the
block plus that type byte. The index block maps a separator key (>= the
last key of a data block, < the first of the next) to that block's handle
(`varint offset | varint size`). The footer holds the metaindex and index
handles, zero-padded to 40 bytes, then the 8-byte magic number.
"""
from __future__ import annotations

import struct

from jaxtape._src.framework import crc32c, wire

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5
RESTART_INTERVAL = 16
BLOCK_SIZE = 256 * 1024  # TF's table options default


class TableError(Exception):
    """The file is not a readable table; `bundle` turns this into TF's error."""


# -- writing ---------------------------------------------------------------

class _BlockBuilder:
    def __init__(self):
        self.buf = bytearray()
        self.restarts = [0]
        self.count = 0  # entries since the last restart
        self.last_key = b""
        self.empty = True

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.count == RESTART_INTERVAL:
            self.restarts.append(len(self.buf))
            self.count = 0
        else:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        self.buf += wire.varint(shared) + wire.varint(len(key) - shared) + wire.varint(len(value))
        self.buf += key[shared:] + value
        self.last_key, self.count, self.empty = key, self.count + 1, False

    def size(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        tail = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.buf) + tail + struct.pack("<I", len(self.restarts))


def _separator(last: bytes, following: bytes) -> bytes:
    """A short key k with last <= k < following (LevelDB's shortest separator)."""
    i, limit = 0, min(len(last), len(following))
    while i < limit and last[i] == following[i]:
        i += 1
    if i < limit and last[i] < 0xFF and last[i] + 1 < following[i]:
        return last[:i] + bytes([last[i] + 1])
    return last


def _successor(last: bytes) -> bytes:
    """A short key >= last (LevelDB's short successor): first byte that can grow, grown."""
    for i, b in enumerate(last):
        if b != 0xFF:
            return last[:i] + bytes([b + 1])
    return last


def encode(entries) -> bytes:
    """The table file holding `entries`, (key, value) byte pairs in ascending key order."""
    out = bytearray()
    index = _BlockBuilder()

    def emit(block: bytes) -> bytes:
        handle = wire.varint(len(out)) + wire.varint(len(block))
        out.extend(block)
        out.append(0)
        out.extend(struct.pack("<I", crc32c.mask(crc32c.crc32c(block + b"\0"))))
        return handle

    block, pending, prev = _BlockBuilder(), None, None
    for key, value in entries:
        if prev is not None and key <= prev:
            raise ValueError(f"table keys must be added in ascending order: {key!r} after {prev!r}")
        if pending is not None:  # the previous block's separator needs this key
            index.add(_separator(pending[0], key), pending[1])
            pending = None
        block.add(key, value)
        prev = key
        if block.size() >= BLOCK_SIZE:
            pending = (block.last_key, emit(block.finish()))
            block = _BlockBuilder()
    if not block.empty:
        pending = (block.last_key, emit(block.finish()))
    if pending is not None:
        index.add(_successor(pending[0]), pending[1])
    meta_handle = emit(_BlockBuilder().finish())
    index_handle = emit(index.finish())
    footer = (meta_handle + index_handle).ljust(FOOTER_SIZE - 8, b"\0")
    return bytes(out) + footer + struct.pack("<Q", MAGIC)


# -- reading ---------------------------------------------------------------

def _handle(buf, pos: int) -> tuple[int, int, int]:
    offset, pos = wire.read_varint(buf, pos)
    size, pos = wire.read_varint(buf, pos)
    return offset, size, pos


def _block(data: bytes, offset: int, size: int) -> bytes:
    end = offset + size + TRAILER_SIZE
    if end > len(data) - FOOTER_SIZE:
        raise TableError("truncated block read")
    body = data[offset:offset + size + 1]
    stored = struct.unpack_from("<I", data, offset + size + 1)[0]
    if crc32c.mask(crc32c.crc32c(body)) != stored:
        raise TableError("block checksum mismatch")
    if body[-1] != 0:
        raise TableError(f"unsupported block compression type {body[-1]}")
    return body[:-1]


def _entries(block: bytes):
    if len(block) < 4:
        raise TableError("bad block contents")
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise TableError("bad block contents")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = wire.read_varint(block, pos)
        unshared, pos = wire.read_varint(block, pos)
        size, pos = wire.read_varint(block, pos)
        if shared > len(key) or pos + unshared + size > limit:
            raise TableError("bad entry in block")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + size]
        pos += size


def decode(data: bytes) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of a table file, in key order; TableError if malformed."""
    if len(data) < FOOTER_SIZE:
        raise TableError("file is too short to be an sstable")
    if struct.unpack_from("<Q", data, len(data) - 8)[0] != MAGIC:
        raise TableError("not an sstable (bad magic number)")
    try:
        footer = data[len(data) - FOOTER_SIZE:]
        _, _, pos = _handle(footer, 0)  # metaindex: TF stores nothing there
        index_offset, index_size, _ = _handle(footer, pos)
        out = []
        for _, handle in _entries(_block(data, index_offset, index_size)):
            offset, size, _ = _handle(handle, 0)
            out.extend(_entries(_block(data, offset, size)))
        return out
    except wire.WireError as e:
        raise TableError(f"corrupted block: {e}") from None
