"""`tf.audio.decode_wav` / `encode_wav`: 16-bit PCM WAV files, on the host.

Samples are int16 / 32768 when decoded and x * 32768 rounded half away from
zero, clamped to the int16 range, when encoded, as TF's; the header is the plain 44-byte RIFF form.
"""
from __future__ import annotations

import collections
import struct

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.strings.host import as_string_tensor

DecodeWav = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])


def _error(message: str):
    return op_error(message, "DecodeWav", named=False)


def _read(data: bytes, at: int, n: int) -> bytes:
    if at + n > len(data):
        raise _error("Data too short when trying to read string")
    return data[at:at + n]


def _chunks(data: bytes):
    """(id, payload) of each RIFF chunk after the 12-byte header."""
    at = 12
    while at < len(data):
        kind = _read(data, at, 4)
        size, = struct.unpack("<I", _read(data, at + 4, 4))
        yield kind, _read(data, at + 8, size)
        at += 8 + size + (size & 1)


@export("audio.decode_wav")
def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """`(audio [samples, channels] float32 in [-1, 1), sample_rate int32)`."""
    data = as_string_tensor(contents)._value.reshape(-1)[0]
    if _read(data, 0, 4) != b"RIFF":
        raise _error(f"Header mismatch: Expected RIFF but found {data[:4].decode('latin-1')}")
    if _read(data, 8, 4) != b"WAVE":
        raise _error(f"Header mismatch: Expected WAVE but found {data[8:12].decode('latin-1')}")
    channels = rate = samples = None
    for kind, payload in _chunks(data):
        if kind == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", payload[:16])
            if fmt != 1:
                raise _error(f"Bad audio format value of {fmt}")
            if bits != 16:
                raise _error(f"Can only read 16-bit WAV files, but received {bits}")
        elif kind == b"data" and channels:
            samples = np.frombuffer(payload[:len(payload) // 2 * 2], "<i2").reshape(-1, channels)
            break
    if samples is None:
        raise _error("Data too short when trying to read string")
    audio = samples.astype(np.float32) / 32768.0
    want_channels, want_samples = int(desired_channels), int(desired_samples)
    if want_channels > 0 and want_channels != audio.shape[1]:
        # fewer: the first ones; more: the last one repeated
        take = np.minimum(np.arange(want_channels), audio.shape[1] - 1)
        audio = audio[:, take]
    if want_samples >= 0:
        audio = np.pad(audio[:want_samples], [(0, max(0, want_samples - len(audio))), (0, 0)])
    return DecodeWav(convert_to_tensor(np.ascontiguousarray(audio, np.float32)),
                     convert_to_tensor(np.int32(rate)))


@export("audio.encode_wav")
def encode_wav(audio, sample_rate, name=None):
    """A 16-bit PCM WAV file of `audio` [samples, channels]."""
    samples = np.asarray(convert_to_tensor(audio, dtypes.float32).numpy(), np.float64)
    if samples.ndim != 2:
        raise op_error(f"audio must be 2-dimensional{dims(samples.shape)}", "EncodeWav")
    rate = int(np.asarray(convert_to_tensor(sample_rate).numpy()))
    scaled = samples * 32768.0
    rounded = np.trunc(scaled + np.copysign(0.5, scaled))  # halves away from zero, as TF's
    pcm = np.clip(rounded, -32768, 32767).astype("<i2").tobytes()
    count, channels = samples.shape
    header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                            channels * 2, 16)
              + b"data" + struct.pack("<I", len(pcm)))
    out = np.empty((), object)
    out[()] = header + pcm
    return StringTensor(out)
