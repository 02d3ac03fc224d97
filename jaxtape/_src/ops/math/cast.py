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
    return x.astype(dtype)


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
