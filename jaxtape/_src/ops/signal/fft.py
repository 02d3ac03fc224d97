"""`tf.signal`: FFTs over the innermost axes, shifts, framing and windows.

The transforms are JAX's FFTs wrapped as primitives, so their gradients are
JAX's adjoints; TF's hand-written FFT gradients compute the same linear maps.
Real transforms keep TF's dtype pairs (float32 <-> complex64, float64 <->
complex128) and crop or zero-pad to `fft_length` as TF's kernels do.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _axes(rank):
    return tuple(range(-rank, 0))


# -- complex transforms ---------------------------------------------------------

@primitive(name="FFT")
def _fft(x, *, rank, inverse):
    return (jnp.fft.ifftn if inverse else jnp.fft.fftn)(x, axes=_axes(rank))


def _complex_transform(op, rank, inverse, *names):
    def transform(input, name=None):  # noqa: A002 - TF's argument name
        x = tensor(input)
        if not x.dtype.is_complex:
            raise kernel_dtypes.reject(op, x.dtype, "Tcomplex")
        if x.ndim < rank:
            raise op_error(f"Input must have rank of at least {rank} but got: {dims(x._value.shape)}", op)
        return _fft(x, rank=rank, inverse=inverse)

    return defined(*names, primitive=_fft, doc=f"{'Inverse ' if inverse else ''}{rank}-D discrete "
                   "Fourier transform over the innermost axes.")(transform)


fft = _complex_transform("FFT", 1, False, "signal.fft")
ifft = _complex_transform("IFFT", 1, True, "signal.ifft")
fft2d = _complex_transform("FFT2D", 2, False, "signal.fft2d")
ifft2d = _complex_transform("IFFT2D", 2, True, "signal.ifft2d")
fft3d = _complex_transform("FFT3D", 3, False, "signal.fft3d")
ifft3d = _complex_transform("IFFT3D", 3, True, "signal.ifft3d")


# -- real transforms ------------------------------------------------------------

@primitive(name="RFFT")
def _rfft(x, *, lengths):
    return jnp.fft.rfftn(x, s=lengths, axes=_axes(len(lengths)))


@primitive(name="IRFFT")
def _irfft(x, *, lengths):
    # TF crops/pads the innermost axis to n//2+1 and every other one to its length.
    for axis, n in zip(_axes(len(lengths))[:-1], lengths[:-1]):
        x = _fit(x, axis, n)
    x = _fit(x, -1, lengths[-1] // 2 + 1)
    return jnp.fft.irfftn(x, s=lengths, axes=_axes(len(lengths)))


def _fit(x, axis, n):
    have = x.shape[axis]
    if have > n:
        return jnp.take(x, jnp.arange(n), axis=axis)
    if have < n:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (0, n - have)
        return jnp.pad(x, pad)
    return x


def _lengths(fft_length, rank, default, op):
    if fft_length is None:
        return default
    values = tensor(fft_length).numpy().reshape(-1).tolist() if isinstance(fft_length, Tensor) \
        else [int(n) for n in fft_length]
    if len(values) != rank:
        raise op_error(f"fft_length must have shape [{rank}]", op)
    return tuple(int(n) for n in values)


def _real_transform(op, rank, inverse, *names):
    """The forward real FFT (float in), or its inverse (complex in), over `rank` axes."""
    accepted = (dtypes.complex64, dtypes.complex128) if inverse else (dtypes.float32, dtypes.float64)

    def transform(input_tensor, fft_length=None, name=None):
        x = convert_to_tensor(input_tensor)
        if x.dtype not in accepted:
            raise ValueError(f"{op} requires tf.{accepted[0].name} or tf.{accepted[1].name} "
                             f"inputs, got: {x!s}")
        if x.ndim < rank:
            raise ValueError(f"Shape {x.shape} must have rank at least {rank}")
        shape = x._value.shape
        if not inverse:
            return _rfft(x, lengths=_lengths(fft_length, rank, tuple(shape[-rank:]), op))
        default = tuple(shape[-rank:-1]) + (2 * (shape[-1] - 1),)
        return _irfft(x, lengths=_lengths(fft_length, rank, default, op))

    doc = (f"Inverse of the {rank}-D real FFT; `fft_length` defaults to 2 * (inner size - 1) on "
           "the innermost axis." if inverse else
           f"{rank}-D FFT of a real signal: the non-negative frequencies only.")
    return defined(*names, primitive=_irfft if inverse else _rfft, doc=doc)(transform)


rfft = _real_transform("RFFT", 1, False, "signal.rfft")
irfft = _real_transform("IRFFT", 1, True, "signal.irfft")
rfft2d = _real_transform("RFFT2D", 2, False, "signal.rfft2d")
irfft2d = _real_transform("IRFFT2D", 2, True, "signal.irfft2d")
rfft3d = _real_transform("RFFT3D", 3, False, "signal.rfft3d")
irfft3d = _real_transform("IRFFT3D", 3, True, "signal.irfft3d")


# -- shifts ---------------------------------------------------------------------

@primitive(name="Roll")
def _shift(x, *, axes, inverse):
    shifts = tuple(-(x.shape[a] // 2) if inverse else x.shape[a] // 2 for a in axes)
    return jnp.roll(x, shifts, axes)


def _shift_axes(x, axes):
    if axes is None:
        return tuple(range(x.ndim))
    if isinstance(axes, Tensor):
        axes = axes.numpy().tolist()
    axes = axes if isinstance(axes, (list, tuple)) else [axes]
    return tuple(int(a) % max(x.ndim, 1) for a in axes)


@defined("signal.fftshift")
def fftshift(x, axes=None, name=None):
    """Moves the zero frequency to the centre: a roll by n // 2 on each axis."""
    x = tensor(x)
    return _shift(x, axes=_shift_axes(x, axes), inverse=False)


@defined("signal.ifftshift")
def ifftshift(x, axes=None, name=None):
    """Undoes `fftshift`: a roll by -(n // 2) on each axis."""
    x = tensor(x)
    return _shift(x, axes=_shift_axes(x, axes), inverse=True)


# -- framing --------------------------------------------------------------------

@primitive(name="Frame")
def _frame(x, *, length, step, frames, pad_to, pad_value, axis):
    if pad_to > x.shape[axis]:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (0, pad_to - x.shape[axis])
        x = jnp.pad(x, pad, constant_values=jnp.asarray(pad_value, x.dtype))
    index = np.arange(frames)[:, None] * step + np.arange(length)[None, :]
    out = jnp.take(x, jnp.asarray(index.reshape(-1), jnp.int32), axis=axis)
    return out.reshape(x.shape[:axis] + (frames, length) + x.shape[axis + 1:])


@defined("signal.frame")
def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Overlapping windows of `frame_length` every `frame_step` along `axis`.

    Without `pad_end` only whole frames are kept; with it the signal is padded
    with `pad_value` so that ceil(n / frame_step) frames start inside it.
    """
    x = tensor(signal)
    if x.ndim < 1:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    length, step = host_int(frame_length), host_int(frame_step)
    if step == 0:  # TF divides by the step before anything checks it
        raise op_error("Integer division by zero", "FloorDiv")
    if length < 0:  # TF's frame indices come from a Range over the length
        raise op_error(f"Requires start <= limit when delta > 0: 0/{length}", "Range")
    ax = host_int(axis) % x.ndim
    n = x._value.shape[ax]
    if pad_end:
        frames = -(-n // step)
        pad_to = max(n, (frames - 1) * step + length)
    else:
        frames = max(0, 1 + (n - length) // step) if n >= length else 0
        pad_to = n
    value = pad_value.numpy().item() if isinstance(pad_value, Tensor) else pad_value
    return _frame(x, length=length, step=step, frames=frames, pad_to=pad_to, pad_value=value, axis=ax)


# -- windows --------------------------------------------------------------------

def _window(window_length, periodic, dtype, a, b):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    length = int(tensor(window_length, dtype=dtypes.int32))  # TF: TypeError for 2.5
    periodic = bool(tensor(periodic).numpy()) if isinstance(periodic, Tensor) else bool(periodic)
    if length == 1:
        return Tensor(jnp.ones([1], dtype.as_numpy_dtype))
    # TF's `periodic` only changes even lengths: an odd window is symmetric anyway.
    even = 1 - length % 2
    denom = length + int(periodic) * even - 1
    k = np.arange(length, dtype=np.float64)
    w = a - b * np.cos(2 * math.pi * k / denom) if length else k
    return Tensor(jnp.asarray(w.astype(dtype.as_numpy_dtype)))


@defined("signal.hann_window")
def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    return _window(window_length, periodic, dtype, 0.5, 0.5)


@defined("signal.hamming_window")
def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    return _window(window_length, periodic, dtype, 0.54, 0.46)
