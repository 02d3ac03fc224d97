"""The GIF file format: its blocks walked here, frames drawn as TF draws them.

TF's frames: frame 0 starts black, each later frame starts as a copy of the
one before; a frame's rectangle is painted with its colour table except where
the index is the frame's transparent one. Disposal methods are not applied
(Pillow applies them, so its composited frames differ). Pillow decodes only
the LZW data: each frame is cut out into a one-frame GIF of its own, whose
palette indices Pillow returns untouched.
"""
from __future__ import annotations

import io
import struct

import numpy as np


class Frame:
    __slots__ = ("left", "top", "width", "height", "table", "transparent", "gif")


def _blocks(data: bytes, at: int) -> tuple[bytes, int]:
    """The sub-blocks starting at `at`, joined, and the offset after the terminator."""
    parts = []
    while True:
        size = data[at]
        at += 1
        if size == 0:
            return b"".join(parts), at
        parts.append(data[at:at + size])
        at += size


def _table(packed: int, data: bytes, at: int) -> tuple[np.ndarray, int]:
    size = 3 * (2 << (packed & 7))
    return np.frombuffer(data[at:at + size], np.uint8).reshape(-1, 3), at + size


def parse(data: bytes) -> tuple[int, int, list[Frame]]:
    """Canvas width, height and the frames; IndexError / ValueError when malformed."""
    width, height, packed = struct.unpack("<HHB", data[6:11])
    at = 13
    global_table = None
    if packed & 0x80:
        global_table, at = _table(packed, data, at)
    frames, transparent = [], None
    while at < len(data):
        kind = data[at]
        if kind == 0x3B:
            break
        if kind == 0x21:
            label = data[at + 1]
            payload, at = _blocks(data, at + 2)
            if label == 0xF9 and len(payload) >= 4:
                transparent = payload[3] if payload[0] & 1 else None
            continue
        if kind != 0x2C:
            raise ValueError(f"unknown GIF block {kind:#x}")
        frame = Frame()
        frame.left, frame.top, frame.width, frame.height, packed = struct.unpack(
            "<HHHHB", data[at + 1:at + 10])
        at += 10
        table = global_table
        if packed & 0x80:
            table, at = _table(packed, data, at)
        if table is None:
            raise ValueError("GIF frame without a colour table")
        code_size = data[at]
        lzw, end = _blocks(data, at + 1)
        frame.gif = _single(frame, table, packed & 0x40, code_size, lzw)
        frame.table, frame.transparent = table, transparent
        frames.append(frame)
        at, transparent = end, None
    if not frames:
        raise ValueError("GIF without frames")
    return width, height, frames


def _single(frame: Frame, table: np.ndarray, interlaced: int, code_size: int, lzw: bytes) -> bytes:
    """One frame as a GIF of its own, at (0, 0). Its palette is a dummy that is not
    gray (Pillow would return a gray palette's levels, not the indices)."""
    bits = max(int(np.ceil(np.log2(max(len(table), 2)))), 1)
    padded = np.zeros((1 << bits, 3), np.uint8)
    padded[:, 0] = np.arange(1 << bits)
    screen = struct.pack("<HHBBB", frame.width, frame.height, 0x80 | (bits - 1), 0, 0)
    descriptor = b"\x2C" + struct.pack("<HHHHB", 0, 0, frame.width, frame.height, interlaced)
    body = b"".join(bytes([len(lzw[i:i + 255])]) + lzw[i:i + 255] for i in range(0, len(lzw), 255))
    return (b"GIF89a" + screen + padded.tobytes() + descriptor + bytes([code_size]) + body
            + b"\x00\x3B")


def frames(data: bytes, Image) -> np.ndarray:
    """[frames, height, width, 3] uint8, drawn as TF draws them (see the module docstring)."""
    width, height, found = parse(data)
    out = np.zeros((len(found), height, width, 3), np.uint8)
    for k, frame in enumerate(found):
        if k:
            out[k] = out[k - 1]
        indices = np.asarray(Image.open(io.BytesIO(frame.gif)))
        bottom, right = min(frame.top + frame.height, height), min(frame.left + frame.width, width)
        indices = indices[:bottom - frame.top, :right - frame.left]
        painted = (np.ones(indices.shape, bool) if frame.transparent is None
                   else indices != frame.transparent)
        if indices[painted].max(initial=0) >= len(frame.table):  # a transparent index may be past it
            raise ValueError(f"Found color index {indices[painted].max()} outside of color map "
                             f"range {len(frame.table)}")
        region = out[k, frame.top:bottom, frame.left:right]
        region[painted] = frame.table[indices[painted]]
    return out
