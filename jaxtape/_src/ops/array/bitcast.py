"""`tf.bitcast`: the same bytes read as another dtype.

Casting to a narrower dtype appends a dimension of the width ratio; to a
wider one the last dimension must equal the ratio and is removed. Complex
values are their (real, imaginary) pairs. TF registers no gradient: taking
one through a float-to-float bitcast raises its LookupError.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, named_by, op_error
from jaxtape._src.framework.state import local
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_ALLOWED = ("bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, "
            "complex64, complex128, qint8, quint8, qint16, quint16, qint32")
_DT = ", ".join("DT_" + n.upper() for n in _ALLOWED.split(", "))
_SUMMARY = (f"Op<name=Bitcast; signature=input:T -> output:type; attr=T:type,allowed=[{_DT}]; "
            f"attr=type:type,allowed=[{_DT}]>")
# TF's DataType enum values, which its shape error prints.
_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "complex64": 8,
         "int64": 9, "bfloat16": 14, "uint16": 17, "complex128": 18, "float16": 19, "uint32": 22,
         "uint64": 23}


def _to_bytes(x):
    """`x`'s bytes: shape `x.shape + (itemsize,)`, uint8."""
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        parts = jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)
        return lax.bitcast_convert_type(parts, jnp.uint8).reshape(x.shape + (x.dtype.itemsize,))
    if x.dtype.itemsize == 1:
        return lax.bitcast_convert_type(x, jnp.uint8)[..., None]
    return lax.bitcast_convert_type(x, jnp.uint8)


def _from_bytes(b, to):
    """Bytes `[..., to.itemsize]` read as `to`: shape `b.shape[:-1]`."""
    if jnp.issubdtype(to, jnp.complexfloating):
        part = jnp.float32 if to == jnp.complex64 else jnp.float64
        pairs = lax.bitcast_convert_type(b.reshape(b.shape[:-1] + (2, to.itemsize // 2)), part)
        return lax.complex(pairs[..., 0], pairs[..., 1])
    if to.itemsize == 1:
        return lax.bitcast_convert_type(b[..., 0], to)
    return lax.bitcast_convert_type(b, to)


def _bitcast_value(x, *, to):
    to = jnp.dtype(to)
    a, b = x.dtype.itemsize, to.itemsize
    raw = _to_bytes(x)
    if a >= b:
        out = _from_bytes(raw.reshape(x.shape + (a // b, b)), to)
        return out if a > b else out.reshape(x.shape)
    return _from_bytes(raw.reshape(x.shape[:-1] + (b,)), to)


@jax.custom_vjp
def _no_gradient(x, out):
    """`out`, whose gradient with respect to `x` raises TF's LookupError."""
    return out


def _raise(res, ct):
    raise LookupError("gradient registry has no entry for: Bitcast")


_no_gradient.defvjp(lambda x, out: (out, None), _raise)


def _bitcast(x, *, to):
    return _no_gradient(x, _bitcast_value(x, to=to))


_bitcast_prim = Primitive(_bitcast, "Bitcast")


@defined("bitcast", primitive=_bitcast_prim)
def bitcast(input, type, name=None):  # noqa: A002 - TF's argument names
    """The bytes of `input` as `type` (no gradient)."""
    named = named_by(input)
    x = tensor(input)
    out = dtypes.as_dtype(type)
    for attr, dt in (("T", x.dtype), ("type", out)):
        if dt.name not in _ENUM:
            raise attr_not_allowed("Bitcast", attr, kernel_dtype_name(dt), _ALLOWED, _SUMMARY, named)
    a, b = x.dtype.size, out.size
    shape = tuple(x.shape.as_list())
    if a < b and (not shape or shape[-1] != b // a):
        if _tracing():
            raise ValueError(f"Cannot bitcast from {_ENUM[x.dtype.name]} to {_ENUM[out.name]} due to "
                             f"shape. {shape[-1] if shape else 'Unknown'} does not match {b // a}")
        raise op_error(f"Cannot bitcast from {_ENUM[x.dtype.name]} to {_ENUM[out.name]}", "Bitcast", named)
    return _bitcast_prim(x, to=out.as_numpy_dtype)


def _tracing() -> bool:
    return bool(local.tracing)
