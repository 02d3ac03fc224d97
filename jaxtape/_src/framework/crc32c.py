"""CRC-32C (Castagnoli), the checksum TensorFlow's table and bundle files carry.

Computed with NumPy: the bytes are cut into many equal lanes whose CRCs are
advanced together one 32-bit word at a time (slicing-by-4 table lookups,
vectorised across lanes), then the lane CRCs are folded pairwise. Folding uses the linearity of
a CRC without its initial value and final inversion ("raw" CRC):
raw(A + B) = shift(raw(A), len(B)) ^ raw(B), where shifting by n bytes is a
fixed linear map on 32 bits, applied through four 256-entry tables. Leading
zero bytes do not change a raw CRC, so the data is left-padded to fill the
lanes.
"""
from __future__ import annotations

import functools

import numpy as np

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8
_SMALL = 4096  # below this a plain loop is faster than setting up lanes


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


_TABLE = _byte_table()
_TABLE_LIST = _TABLE.tolist()


def _raw_scalar(data: bytes, crc: int = 0) -> int:
    table = _TABLE_LIST
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _apply(columns: list[int], v: int) -> int:
    """A 32x32 GF(2) matrix (given by its columns) times the bit vector v."""
    out, j = 0, 0
    while v:
        if v & 1:
            out ^= columns[j]
        v >>= 1
        j += 1
    return out


@functools.lru_cache(maxsize=64)
def _shift_columns(nbytes: int) -> tuple[int, ...]:
    """Columns of the map 'feed nbytes zero bytes to a raw CRC register'."""
    if nbytes == 1:
        return tuple(_raw_scalar(b"\0", 1 << j) for j in range(32))
    half = list(_shift_columns(nbytes // 2))
    square = [_apply(half, c) for c in half]
    if nbytes % 2:
        one = list(_shift_columns(1))
        square = [_apply(one, c) for c in square]
    return tuple(square)


@functools.lru_cache(maxsize=64)
def _shift_tables(nbytes: int) -> np.ndarray:
    """Four 256-entry tables: shift(v) = T0[v&255] ^ T1[v>>8&255] ^ T2[..] ^ T3[..]."""
    cols = _shift_columns(nbytes)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for k in range(4):
        for value in range(256):
            tables[k, value] = _apply(list(cols[8 * k:8 * k + 8]), value)
    return tables


def _shift(v: np.ndarray, nbytes: int) -> np.ndarray:
    t = _shift_tables(nbytes)
    return (t[0][v & 0xFF] ^ t[1][(v >> 8) & 0xFF] ^ t[2][(v >> 16) & 0xFF]
            ^ t[3][(v >> 24) & 0xFF])


def _word_tables() -> np.ndarray:
    """Slicing-by-4 tables: T[k][b] is byte b's effect after k further zero bytes."""
    tables = [_TABLE]
    for _ in range(3):
        prev = tables[-1]
        tables.append((prev >> 8) ^ _TABLE[prev & 0xFF])
    return np.stack(tables)


_WORD = _word_tables()


def _raw(view) -> int:
    buf = np.frombuffer(view, dtype=np.uint8)
    n = buf.size
    lanes = 1 << min(16, max(1, (n // 512).bit_length() - 1))
    width = -(-n // lanes)
    width += -width % 4  # whole 32-bit words per lane
    padded = np.zeros(lanes * width, dtype=np.uint8)
    padded[lanes * width - n:] = buf
    # row i: word i of every lane (little-endian, as the CRC consumes bytes)
    words = np.ascontiguousarray(padded.view("<u4").reshape(lanes, width // 4).T)
    t0, t1, t2, t3 = _WORD
    crc = np.zeros(lanes, dtype=np.uint32)
    for row in words:
        crc ^= row
        crc = t3[crc & 0xFF] ^ t2[(crc >> 8) & 0xFF] ^ t1[(crc >> 16) & 0xFF] ^ t0[crc >> 24]
    while crc.size > 1:  # fold neighbours: left lane shifted past the right one
        crc = _shift(crc[0::2], width) ^ crc[1::2]
        width *= 2
    return int(crc[0])


try:  # Google's C implementation (the `records` extra): ~0.1 us for a small record,
    import google_crc32c as _fast  # where the scalar loop below takes ~50 ns a byte
    if _fast.implementation != "c":
        _fast = None
except ImportError:
    _fast = None


def crc32c(data, crc: int = 0) -> int:
    """CRC-32C of `data` (bytes-like), continuing from a previous `crc`."""
    if _fast is not None:
        return _fast.extend(crc, bytes(data))
    view = memoryview(data).cast("B")
    start = crc ^ 0xFFFFFFFF
    if len(view) < _SMALL:
        return _raw_scalar(view, start) ^ 0xFFFFFFFF
    # raw CRC of the data, plus the starting register fed through all n bytes.
    register = _raw(view) ^ _apply(list(_shift_columns(len(view))), start)
    return register ^ 0xFFFFFFFF


def mask(crc: int) -> int:
    """TensorFlow's (LevelDB's) masked form, stored so that CRCs of CRCs stay strong."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
