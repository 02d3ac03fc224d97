"""The PNG file format at the byte level: the header, chunk walk, an encoder,
and a decoder for the 16-bit colour images Pillow narrows to 8 bits.

Pillow decodes every other PNG (in C); jaxtape writes PNGs itself because
Pillow cannot write 16-bit colour, and the format's encoder is a few lines:
one zlib stream of rows, each prefixed by its filter type.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# colour type -> samples per pixel
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class Header:
    """IHDR's fields, and whether a tRNS chunk is present."""

    def __init__(self, data: bytes):
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise ValueError("no IHDR")
        self.width, self.height, self.bit_depth, self.color_type, _, _, self.interlace = (
            struct.unpack(">IIBBBBB", data[16:29]))
        self.has_trns = any(kind == b"tRNS" for kind, _ in chunks(data))

    @property
    def samples(self) -> int:
        return _SAMPLES[self.color_type]


def chunks(data: bytes):
    """(type, payload) of each chunk, stopping quietly at a truncated one."""
    at = len(SIGNATURE)
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        yield kind, data[at + 8:at + 8 + size]
        if kind == b"IEND":
            return
        at += 12 + size


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def encode(image: np.ndarray, compression: int = -1) -> bytes:
    """[height, width, channels] uint8 or uint16 as PNG (1-4 channels, no filtering)."""
    height, width, channels = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = image.astype(">u2" if depth == 16 else np.uint8).reshape(height, -1).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, compression))
            + _chunk(b"IEND", b""))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _unfilter(raw: np.ndarray, height: int, stride: int, bpp: int) -> np.ndarray:
    """PNG's five row filters undone; Sub and Up are vectorised, Average and
    Paeth depend on the pixel to their left and go pixel by pixel."""
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            cur = (line + prev) % 256
        elif kind in (3, 4):
            cur = np.zeros(stride, np.int64)
            left = np.zeros(bpp, np.int64)
            upleft = np.zeros(bpp, np.int64)
            for x in range(0, stride, bpp):
                up = prev[x:x + bpp]
                pred = (left + up) // 2 if kind == 3 else _paeth(left, up, upleft)
                left = cur[x:x + bpp] = (line[x:x + bpp] + pred) % 256
                upleft = up
        else:
            raise ValueError(f"bad filter {kind}")
        out[y] = prev = cur
    return out.astype(np.uint8)


def decode_16bit(data: bytes, header: Header) -> np.ndarray:
    """A non-interlaced 16-bit PNG as [height, width, samples] uint16, unconverted."""
    if header.interlace:
        raise NotImplementedError("interlaced 16-bit colour PNG")
    idat = b"".join(payload for kind, payload in chunks(data) if kind == b"IDAT")
    bpp = 2 * header.samples
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    rows = _unfilter(raw[:header.height * (header.width * bpp + 1)], header.height,
                     header.width * bpp, bpp)
    return rows.view(">u2").astype(np.uint16).reshape(header.height, header.width, header.samples)
