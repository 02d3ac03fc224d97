"""`tf.signal.fftnd`, `ifftnd`, `rfftnd` and `irfftnd`: FFTs over any set of axes.

TF 2.21 registers these kernels for GPUs only (on the CPU every call raises
NotFoundError, also under XLA); jaxtape computes what their documentation and
wrappers define: `axes` defaults to every axis, `fft_length` to the input's
sizes on them (for `irfftnd` the last one is 2 * (n - 1)); each axis is cut or
zero-padded to its length (for `irfftnd`, the last to fft_length // 2 + 1);
`norm` is "backward" (None), "forward" or "ortho", scaling the input by
1/n, 1/sqrt(n) (forward transforms) or n, sqrt(n) (inverse ones), n being the
product of `fft_length`; any other string scales by nothing, as in TF.
Each is one JAX FFT primitive, so gradients are JAX's adjoints.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.signal.fft import _fit  # crop or zero-pad one axis, as TF's fft_length
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _scale(x, factor):
    return x if factor == 1 else x * jnp.asarray(factor, x.real.dtype)


@primitive(name="FFTND")
def _fftnd(x, *, lengths, axes, factor, inverse):
    for axis, n in zip(axes, lengths):
        x = _fit(x, axis, n)
    x = _scale(x, factor)
    if not x.size:
        return x
    return (jnp.fft.ifftn if inverse else jnp.fft.fftn)(x, axes=axes)


@primitive(name="RFFTND")
def _rfftnd(x, *, lengths, axes, factor, out_dtype):
    for axis, n in zip(axes, lengths):
        x = _fit(x, axis, n)
    x = _scale(x, factor)
    if not x.size:
        shape = list(x.shape)
        if axes:
            shape[axes[-1]] = lengths[-1] // 2 + 1 if lengths[-1] else 0
        return jnp.zeros(shape, out_dtype)
    return jnp.fft.rfftn(x, axes=axes).astype(out_dtype)


@primitive(name="IRFFTND")
def _irfftnd(x, *, lengths, axes, factor, out_dtype):
    for axis, n in zip(axes[:-1], lengths[:-1]):
        x = _fit(x, axis, n)
    x = _fit(x, axes[-1], lengths[-1] // 2 + 1)
    x = _scale(x, factor)
    if not x.size or not lengths[-1]:
        shape = list(x.shape)
        shape[axes[-1]] = lengths[-1]
        return jnp.zeros(shape, out_dtype)
    return jnp.fft.irfftn(x, s=lengths, axes=axes).astype(out_dtype)


def _int_list(value, what):
    if isinstance(value, Tensor):
        return [int(v) for v in np.asarray(host_array(value, f"tf.signal: {what}")).reshape(-1)]
    if isinstance(value, (int, np.integer)):
        return [int(value)]
    return [int(v) for v in value]


def _prepare(op, input_tensor, fft_length, axes, real_in):
    x = convert_to_tensor(input_tensor, dtype_hint=dtypes.float32 if real_in else dtypes.complex64)
    rank = x.ndim
    axes = list(range(rank)) if axes is None else _int_list(axes, "axes")
    for a in axes:
        if not -rank <= a < rank:
            raise op_error(f"Axes must be in the range [{-rank}, {rank}), but got {a}", op)
    axes = tuple(a % rank for a in axes)
    if len(set(axes)) != len(axes):
        raise op_error("Axes must be unique", op)
    if rank < len(axes):
        raise ValueError(f"Shape {x.shape} must have rank at least {len(axes)}")
    return x, axes


def _lengths(x, fft_length, axes, op, inverse_real=False):
    shape = x._value.shape
    if fft_length is None:
        lengths = [shape[a] for a in axes]
        if inverse_real and lengths:
            lengths[-1] = max(0, 2 * (lengths[-1] - 1))
        return tuple(lengths)
    lengths = _int_list(fft_length, "fft_length")
    if len(lengths) != len(axes):
        raise op_error(f"fft_length must have as many elements as axes: {len(lengths)} vs {len(axes)}", op)
    if any(n < 0 for n in lengths):
        raise op_error("fft_length must be non-negative", op)
    return tuple(lengths)


def _factor(norm, lengths, inverse):
    n = int(np.prod(lengths)) if lengths else 1
    if norm == "forward":
        return float(n) if inverse else 1.0 / n if n else 1.0
    if norm == "ortho":
        return float(np.sqrt(n)) if inverse else 1.0 / np.sqrt(n) if n else 1.0
    return 1


def _complex(op, inverse):
    def transform(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        x, ax = _prepare(op, input_tensor, fft_length, axes, False)
        if not x.dtype.is_complex:
            raise op_error(f"Value for attr 'Tcomplex' of {x.dtype.name} is not in the list of allowed "
                           "values: complex64, complex128", op)
        lengths = _lengths(x, fft_length, ax, op)
        return _fftnd(x, lengths=lengths, axes=ax, factor=_factor(norm, lengths, inverse), inverse=inverse)
    return transform


fftnd = defined("signal.fftnd", primitive=_fftnd,
                doc="N-D discrete Fourier transform over `axes` (default all), each cut or "
                    "zero-padded to `fft_length`; `norm` None/'backward', 'forward' or 'ortho'.")(
    _complex("FFTND", False))
ifftnd = defined("signal.ifftnd", primitive=_fftnd,
                 doc="Inverse N-D discrete Fourier transform over `axes` (see `fftnd`).")(
    _complex("IFFTND", True))


@defined("signal.rfftnd", primitive=_rfftnd)
def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """N-D FFT of a real signal over `axes`: the last axis keeps fft_length // 2 + 1 frequencies."""
    x, ax = _prepare("RFFTND", input_tensor, fft_length, axes, True)
    if x.dtype not in (dtypes.float32, dtypes.float64):
        raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x!s}")
    out = dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128
    lengths = _lengths(x, fft_length, ax, "RFFTND")
    return _rfftnd(x, lengths=lengths, axes=ax, factor=_factor(norm, lengths, False),
                   out_dtype=out.as_numpy_dtype)


@defined("signal.irfftnd", primitive=_irfftnd)
def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """Inverse of `rfftnd`: a real signal of `fft_length` (default 2 * (n - 1) on the last axis)."""
    x, ax = _prepare("IRFFTND", input_tensor, fft_length, axes, False)
    if x.dtype not in (dtypes.complex64, dtypes.complex128):
        raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {x!s}")
    if not ax:
        raise op_error("axes must not be empty", "IRFFTND")
    out = dtypes.float32 if x.dtype == dtypes.complex64 else dtypes.float64
    lengths = _lengths(x, fft_length, ax, "IRFFTND", inverse_real=True)
    return _irfftnd(x, lengths=lengths, axes=ax, factor=_factor(norm, lengths, True),
                    out_dtype=out.as_numpy_dtype)
