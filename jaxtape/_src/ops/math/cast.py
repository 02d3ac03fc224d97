"""`tf.cast` (only float/complex to float/complex carries a gradient) and `tf.saturate_cast`."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


def _cast(x, *, dtype):
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    if jnp.issubdtype(x.dtype, jnp.floating) and jnp.issubdtype(dtype, jnp.integer):
        return _float_to_int(x, np.dtype(dtype))
    return x.astype(dtype)


# Float to integer, as TF's CPU kernel (Eigen on x86) computes it. XLA saturates
# and maps NaN to 0; x86's truncating conversions give the "integer indefinite"
# value instead: the most negative int32/int64 for NaN and anything out of range.
# int32 and int64 use them directly; uint64 the int64 one below 2**63 (negatives
# wrap) and an exact conversion up to 2**64. The narrower types differ between
# Eigen's vectorized loop and its scalar tail: the loop saturates the int32
# conversion into int8/int16/uint8/uint16 and builds uint32 from two int32
# conversions; the tail keeps the low bits of the int32 (uint32: int64) one. The
# loop covers whole packets of `_PACKET` elements and the tail the remainder, so
# a tensor's last `size % packet` elements take the tail's rule. (A tensor large
# enough for TF to split the work across threads has more tails, at block
# boundaries that depend on the thread count; those are not reproduced.)
_PACKET = {  # (source, target) -> elements per packet of TF 2.21's AVX2 build
    **{(s, t): 16 for s in ("float16", "float64") for t in ("int8", "uint8", "int16", "uint16")},
    **{("float32", t): 32 for t in ("int8", "uint8", "int16", "uint16")},
    **{("bfloat16", t): 8 for t in ("int8", "uint8", "int16", "uint16")},
    **{(s, "uint32"): 8 for s in ("float16", "bfloat16", "float32", "float64")},
}


def _truncate(x, bits):
    """x86's truncating conversion to int32/int64: the minimum for NaN and out of range."""
    out = jnp.int32 if bits == 32 else jnp.int64
    valid = (jnp.trunc(x) >= -(2.0 ** (bits - 1))) & (x < 2.0 ** (bits - 1))  # False for NaN
    return jnp.where(valid, x.astype(out), jnp.iinfo(out).min)


def _float_to_int(x, dtype):
    source = jnp.dtype(x.dtype).name
    if x.dtype.itemsize < 4:  # half and bfloat16 widen to float32 exactly first
        x = x.astype(jnp.float32)
    if dtype == np.int32:
        return _truncate(x, 32)
    if dtype == np.int64:
        return _truncate(x, 64)
    if dtype == np.uint64:  # beyond int64: exact below 2**64, else int64's indefinite value
        high = x >= 2.0 ** 63
        exact = jnp.where(x < 2.0 ** 64, jnp.where(high, x, 0).astype(jnp.uint64), np.uint64(2 ** 63))
        return jnp.where(high, exact, _truncate(x, 64).astype(jnp.uint64))
    packet = _PACKET[(source, dtype.name)]
    split = x.size - x.size % packet  # the elements Eigen's vectorized loop converts
    if split == x.size:
        return _narrow_vector(x, dtype, source)
    if split == 0:
        return _narrow_scalar(x, dtype)
    index = jnp.arange(x.size).reshape(x.shape)
    return jnp.where(index < split, _narrow_vector(x, dtype, source), _narrow_scalar(x, dtype))


def _narrow_vector(x, dtype, source):
    """Eigen's vectorized rule for int8/int16/uint8/uint16/uint32."""
    a = _truncate(x, 32)
    if dtype == np.uint32:  # a, or the conversion of x - 2**31 where a is negative
        b = _truncate(x - 2.0 ** 31, 32)
        return (a | (b & (a >> 31))).astype(jnp.uint32)
    if dtype == np.uint8 and source in ("float16", "float64"):
        # Packed to uint16 first, then from int16 to uint8: 2**15 and up read as negative.
        a = jnp.clip(a, 0, 65535)
        return jnp.where(a >= 2 ** 15, 0, jnp.minimum(a, 255)).astype(dtype)
    info = np.iinfo(dtype)
    return jnp.clip(a, info.min, info.max).astype(dtype)


def _narrow_scalar(x, dtype):
    """Eigen's scalar rule: the low bits of the int32 (uint32: int64) conversion."""
    return _truncate(x, 64 if dtype == np.uint32 else 32).astype(dtype)


_differentiable_cast = Primitive(_cast, "Cast")
_integer_cast = Primitive(_cast, "Cast", differentiable=False)


@defined("cast", "dtypes.cast", primitive=_differentiable_cast)
def cast(x, dtype, name=None):
    """TF's cast; only float/complex to float/complex carries a gradient."""
    x = tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    prim = _differentiable_cast if x.dtype.is_trainable and dtype.is_trainable else _integer_cast
    return prim(x, dtype=dtype.as_numpy_dtype)


def _clamp(x, *, lo, hi):
    """ClipByValue: the gradient passes where lo <= x <= hi, as TF's."""
    return jnp.where(x < lo, jnp.asarray(lo, x.dtype), jnp.where(x > hi, jnp.asarray(hi, x.dtype), x))


_clamp_prim = Primitive(_clamp, "ClipByValue")


def _saturation_limits(src, dst):
    """The clamp TF applies before casting `src` values to `dst`: the tighter of
    the two ranges, in `src`, each bound nudged toward zero when rounding it into
    `src` carried it outside `dst` (float32 cannot hold int32's max)."""
    np_src = src.as_numpy_dtype
    wide = np.promote_types(np_src, dst.as_numpy_dtype) if src.name != "bfloat16" else float
    lo = np_src(np.maximum(src.min, dst.min))
    if np.asarray(lo, wide) < np.asarray(dst.min, wide):
        lo = np.nextafter(lo, np_src(0), dtype=np_src)
    hi = np_src(np.minimum(float(src.max), float(dst.max)))
    if np.asarray(hi, wide) > np.asarray(dst.max, wide):
        hi = np.nextafter(hi, np_src(0), dtype=np_src)
    return lo.item(), hi.item()


@defined("dtypes.saturate_cast", "saturate_cast")
def saturate_cast(value, dtype, name=None):
    """Casts without overflow: clamps to the range `dtype` shares with the input
    first (complex parts each; complex to real keeps the real part)."""
    value = tensor(value)
    dtype = dtypes.as_dtype(dtype)
    src = value.dtype
    if src.is_complex:
        if dtype.is_complex:
            if src.real_dtype.max > dtype.real_dtype.max:
                value = _complex_clamp(value, limit=float(dtype.real_dtype.max))
            return cast(value, dtype)
        value = cast(value, src.real_dtype)
        src = src.real_dtype
    lo, hi = _saturation_limits(src, dtype.real_dtype)
    return cast(_clamp_prim(value, lo=lo, hi=hi), dtype)


@primitive(name="ClipByValue")
def _complex_clamp(x, *, limit):
    """TF's ClipByValue on complex numbers compares real and imaginary parts separately."""
    re = jnp.clip(jnp.real(x), -limit, limit)
    im = jnp.clip(jnp.imag(x), -limit, limit)
    return jax.lax.complex(re, im)
