"""`tf.signal.mdct` and `inverse_mdct`: the modified discrete cosine transform.

Composed as TF composes them (frames at half their length, windowed, folded
into half-length blocks, then a type-IV DCT; the inverse unfolds and
overlap-adds), from jaxtape's recorded ops, so gradients are theirs.
"""
from __future__ import annotations

import jax
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.ops.array.creation import constant
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.reorder import reverse
from jaxtape._src.ops.array.split import split
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.signal.dct import dct
from jaxtape._src.ops.signal.fft import frame
from jaxtape._src.ops.signal.spectral import overlap_and_add
from jaxtape._src.ops.signal.windows_extra import vorbis_window
from jaxtape._src.ops.support.define import defined




@defined("signal.mdct")
def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """[..., frames, frame_length // 2] MDCT coefficients of frames of `frame_length`
    (a multiple of 4) taken every frame_length // 2 samples."""
    signals = convert_to_tensor(signals)
    if signals.shape.rank < 1:
        raise ValueError(f"Shape {signals.shape} must have rank at least 1")
    frame_length = convert_to_tensor(frame_length)
    if frame_length.shape.rank != 0:
        raise ValueError(f"Shape {frame_length.shape} must have rank 0")
    if isinstance(frame_length._value, jax.core.Tracer):
        raise ValueError("tf.signal.mdct: frame_length depends on values computed inside tf.function; "
                         "jaxtape needs it statically")
    length = int(frame_length.numpy())
    if length % 4 != 0:
        raise ValueError("The frame length must be a multiple of 4.")
    framed = frame(signals, frame_length, constant(length // 2, frame_length.dtype),
                             pad_end=pad_end)
    if window_fn is not None:
        framed = framed * window_fn(frame_length, dtype=framed.dtype)
    else:
        framed = framed * (1.0 / np.sqrt(2))
    a, b, c, d = split(framed, 4, axis=-1)
    folded = concat((-reverse(c, [-1]) - d, a - reverse(b, [-1])), axis=-1)
    return dct(folded, type=4, norm=norm)


@defined("signal.inverse_mdct")
def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The signal whose `mdct` (same window, same norm) is `mdcts` (up to its first and
    last half frames, which the transform cannot recover)."""
    mdcts = convert_to_tensor(mdcts)
    if mdcts.shape.rank < 2:
        raise ValueError(f"Shape {mdcts.shape} must have rank at least 2")
    half = mdcts.shape[-1]
    if norm is None:
        blocks = (0.5 / cast(cast(half, dtypes.int32), mdcts.dtype)) * dct(mdcts, type=4)
    elif norm == "ortho":
        blocks = dct(mdcts, type=4, norm="ortho")
    else:  # TF falls through with nothing computed
        raise UnboundLocalError("cannot access local variable 'result_idct4' where it is not associated "
                                "with a value")
    first, second = split(blocks, 2, axis=-1)
    frames = concat((second, -reverse(second, [-1]), -reverse(first, [-1]), -first), axis=-1)
    if window_fn is not None:
        frames = frames * window_fn(2 * cast(half, dtypes.int32), dtype=mdcts.dtype)
    else:
        frames = frames * (1.0 / np.sqrt(2))
    return overlap_and_add(frames, half)
