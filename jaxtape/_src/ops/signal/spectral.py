"""`tf.signal.stft`, `inverse_stft`, `inverse_stft_window_fn` and `overlap_and_add`,
composed from jaxtape's framing, windows and real FFTs, so gradients are theirs."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.array.pad import pad
from jaxtape._src.ops.math.arithmetic import divide, multiply
from jaxtape._src.ops.signal.fft import frame, hann_window, irfft, rfft
from jaxtape._src.ops.support.args import host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _enclosing_power_of_two(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


@defined("signal.stft")
def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """The short-time Fourier transform: windowed frames, each through `rfft`."""
    signals = tensor(signals)
    if signals.ndim < 1:
        raise ValueError(f"Shape {signals.shape} must have rank at least 1")
    length, step = host_int(frame_length), host_int(frame_step)
    fft_length = _enclosing_power_of_two(length) if fft_length is None else host_int(fft_length)
    framed = frame(signals, length, step, pad_end=pad_end)
    if window_fn is not None:
        framed = multiply(framed, window_fn(length, dtype=framed.dtype))
    return rfft(framed, [fft_length])


@primitive(name="OverlapAndAdd")
def _overlap_and_add(frames, *, step):
    count, length = frames.shape[-2], frames.shape[-1]
    out = jnp.zeros(frames.shape[:-2] + ((count - 1) * step + length,), frames.dtype)
    for i in range(count):  # static: count is known at trace time
        out = out.at[..., i * step:i * step + length].add(frames[..., i, :])
    return out


@defined("signal.overlap_and_add")
def overlap_and_add(signal, frame_step, name=None):
    """Frames [..., frames, frame_length] summed back at `frame_step` apart."""
    x = tensor(signal)
    if x.ndim < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    return _overlap_and_add(x, step=host_int(frame_step))


@defined("signal.inverse_stft_window_fn")
def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window that makes `inverse_stft` invert `stft` with `forward_window_fn`: the
    forward window over the overlapping sum of its squares."""
    step = host_int(frame_step)

    def window_fn(frame_length, dtype=dtypes.float32):
        forward = forward_window_fn(frame_length, dtype=dtype)
        squares = np.square(np.asarray(forward.numpy(), np.float64))
        overlaps = -(-frame_length // step)
        squares = np.pad(squares, (0, overlaps * step - frame_length))
        denom = np.tile(squares.reshape(overlaps, step).sum(0), overlaps)[:frame_length]
        return divide(forward, tensor(denom.astype(dtypes.as_dtype(dtype).as_numpy_dtype)))
    return window_fn


@defined("signal.inverse_stft")
def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """Frames back through `irfft`, windowed, then overlapped and added."""
    stfts = tensor(stfts)
    if stfts.ndim < 2:
        raise ValueError(f"Shape {stfts.shape} must have rank at least 2")
    length, step = host_int(frame_length), host_int(frame_step)
    fft_length = _enclosing_power_of_two(length) if fft_length is None else host_int(fft_length)
    frames = irfft(stfts, [fft_length])
    if fft_length >= length:
        frames = frames[..., :length]
    else:
        widths = [[0, 0]] * (frames.ndim - 1) + [[0, length - fft_length]]
        frames = pad(frames, widths)
    if window_fn is not None:
        frames = multiply(frames, window_fn(length, dtype=frames.dtype))
    return overlap_and_add(frames, step)


