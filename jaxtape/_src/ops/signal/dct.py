"""`tf.signal.dct` and `idct`: types I-IV over the last axis, as scipy.fftpack's.

Each transform is one product with its cosine matrix (built in float64 on the
host, once per type, length and normalization), so values agree with TF's
FFT-based kernels to rounding and the gradient is the transposed matrix.
Arguments are checked in TF's order and with its texts.
"""
from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.pad import pad
from jaxtape._src.ops.math.unary import complex as complex_
from jaxtape._src.ops.signal.fft import rfft
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@functools.lru_cache(maxsize=64)
def _matrix(kind: int, n: int, ortho: bool) -> np.ndarray:
    """M with y = M @ x for a length-n signal x (float64)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    if kind == 1:
        m = 2 * np.cos(np.pi * k * i / (n - 1))
        m[:, 0] = 1
        m[:, -1] = (-1.0) ** np.arange(n)
    elif kind == 2:
        m = 2 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
        if ortho:
            m *= np.where(k == 0, np.sqrt(1 / (4 * n)), np.sqrt(1 / (2 * n)))
    elif kind == 3:
        m = 2 * np.cos(np.pi * (2 * k + 1) * i / (2 * n))
        m[:, 0] = 1
        if ortho:
            m *= np.where(i == 0, 1 / np.sqrt(n), 1 / np.sqrt(2 * n))
    else:
        m = 2 * np.cos(np.pi * (2 * k + 1) * (2 * i + 1) / (4 * n))
        if ortho:
            m *= np.sqrt(1 / (2 * n))
    return m


@primitive(name="DCT")
def _dct(x, *, kind, ortho):
    m = jnp.asarray(_matrix(kind, x.shape[-1], ortho), x.dtype)
    return jnp.einsum("...i,ki->...k", x, m)


def _validate(x, kind, n, axis, norm):
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if kind not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if kind == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        if x._value.shape[-1] < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def _transform(x, kind, n, norm):
    convert_to_tensor(0.0, dtype=x.dtype)  # TF's first step: an int input fails here, as in TF
    if n is not None:
        length = x._value.shape[-1]
        x = x[..., :n] if n <= length else _pad_last(x, n - length)
    if x.dtype not in (dtypes.float32, dtypes.float64):
        _reject(x, kind)
    return _dct(x, kind=kind, ortho=norm == "ortho")


def _pad_last(x, extra):
    return pad(x, [[0, 0]] * (x.ndim - 1) + [[0, extra]])


def _reject(x, kind):
    """TF's error for a float16/bfloat16 signal: from its rfft (type I) or
    from building the complex twiddle factors (the others)."""
    if kind == 1:
        rfft(concat([x, x[..., -2:0:-1]], axis=-1))
    zero = convert_to_tensor(0.0, dtype=x.dtype)
    complex_(zero, zero)
    raise AssertionError("unreachable: TF rejects this dtype")


@defined("signal.dct")
def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's argument names
    """The type-I to IV discrete cosine transform of the last axis (scipy.fftpack's)."""
    x = tensor(input)
    _validate(x, type, n, axis, norm)
    return _transform(x, type, n, norm)


@defined("signal.idct")
def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The inverse of `dct` up to 1/(2N) (exactly, with norm='ortho'): types II and III swap."""
    x = tensor(input)
    _validate(x, type, n, axis, norm)
    return _transform(x, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm)
