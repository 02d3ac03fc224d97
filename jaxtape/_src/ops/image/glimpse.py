"""`tf.image.extract_glimpse` (TF's ExtractGlimpseV2) as one JAX computation.

Each image's glimpse origin comes from its (y, x) offset in float32, as TF's
kernel computes it: `normalized` scales by the image size; `normalized` and
`centered` together move (0, 0) to the image centre (offsets in [-1, 1]) and
the origin back by half the glimpse; `centered` alone adds half the image
size; neither: the offset is the glimpse's upper-left corner. The origin is
truncated toward zero; glimpse pixel (i, j) is image pixel (y + i, x + j)
where that lies inside the image, else noise: 0 ("zero"), uniform in the
image's [min, max) over all channels ("uniform", the default, and ""), or a
normal per channel with the channel's mean and standard deviation clipped to
its [min, max] ("gaussian"). Random noise values come from jaxtape's
generator, not TF's. TF registers no gradient (asking raises its LookupError).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops import random as random_ops
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_OP = "ExtractGlimpseV2"


def _origin(offset, image: int, glimpse: int, centered: bool, normalized: bool):
    """The glimpse's first pixel along one axis, from float32 offsets (TF's arithmetic)."""
    v = offset.astype(jnp.float32)
    half_image = jnp.float32(image / 2.0)
    if normalized:
        v = v * jnp.float32(image)
        if centered:
            v = v / jnp.float32(2.0) + half_image - jnp.float32(glimpse / 2.0)
    elif centered:
        v = v + half_image
    return jnp.trunc(v).astype(jnp.int32)


def _glimpse_fn(height: int, width: int, centered: bool, normalized: bool, noise: str):
    def fn(images, offsets, draw):
        _, h_in, w_in, _ = images.shape
        oy = _origin(offsets[:, 0], h_in, height, centered, normalized)
        ox = _origin(offsets[:, 1], w_in, width, centered, normalized)
        rows = oy[:, None] + jnp.arange(height, dtype=jnp.int32)[None, :]
        cols = ox[:, None] + jnp.arange(width, dtype=jnp.int32)[None, :]
        inside = ((rows >= 0) & (rows < h_in))[:, :, None] & ((cols >= 0) & (cols < w_in))[:, None, :]
        r = jnp.clip(rows, 0, h_in - 1)
        c = jnp.clip(cols, 0, w_in - 1)
        b = jnp.arange(images.shape[0])[:, None, None]
        picked = images[b, r[:, :, None], c[:, None, :], :]
        if noise == "zero":
            fill = jnp.zeros_like(picked)
        elif noise == "gaussian":
            mean = jnp.mean(images, axis=(1, 2), keepdims=True)
            sigma = jnp.sqrt(jnp.mean(jnp.square(images - mean), axis=(1, 2), keepdims=True))
            lo = jnp.min(images, axis=(1, 2), keepdims=True)
            hi = jnp.max(images, axis=(1, 2), keepdims=True)
            fill = jnp.maximum(jnp.minimum(mean + draw * sigma, hi), lo)
        else:
            lo = jnp.min(images, axis=(1, 2, 3), keepdims=True)
            hi = jnp.max(images, axis=(1, 2, 3), keepdims=True)
            fill = lo + draw * (hi - lo)
        return jnp.where(inside[..., None], picked, fill)
    return fn


def _no_gradient(fn):
    f = jax.custom_vjp(fn)

    def bwd(res, ct):
        raise LookupError(f"gradient registry has no entry for: {_OP}")

    f.defvjp(lambda *args: (fn(*args), None), bwd)
    return f


_PRIMS: dict = {}


def _prim(key) -> Primitive:
    if key not in _PRIMS:
        _PRIMS[key] = Primitive(_no_gradient(_glimpse_fn(*key)), _OP)
    return _PRIMS[key]


def _float_input(value, what: str):
    if isinstance(value, Tensor) and value.dtype != dtypes.float32:
        raise ValueError(f"Tensor conversion requested dtype float32 for Tensor with dtype "
                         f"{value.dtype.name}: {value!r}")
    return convert_to_tensor(value, dtypes.float32)


@defined("image.extract_glimpse")
def extract_glimpse(input, size, offsets, centered=True, normalized=True, noise="uniform",
                    name=None):  # noqa: A002 - TF's argument name
    """[batch, size[0], size[1], depth] windows of `input` at `offsets` ([batch, 2], (y, x))."""
    images = _float_input(input, "input")
    if isinstance(size, Tensor) and size.dtype != dtypes.int32:
        raise op_error(f"cannot compute {_OP} as input #1(zero-based) was expected to be a "
                       f"int32 tensor but is a {size.dtype.name} tensor", _OP)
    sizes = np.asarray(host_array(convert_to_tensor(size, dtypes.int32), _OP, "size"))
    offs = _float_input(offsets, "offsets")
    kind = noise.decode() if isinstance(noise, bytes) else str(noise)
    if kind not in ("uniform", "gaussian", "zero", ""):
        raise op_error(f"The noise could only be uniform, gaussian, or zero, got{kind}", _OP,
                       named=False)
    if images.shape.rank != 4:
        raise op_error("input must be 4-dimensional (batch_size, height, width, depth)"
                       f"{dims(images.shape.as_list())}", _OP, named=False)
    if sizes.shape != (2,):
        raise op_error(f"input must be a vector of size 2 (height, width){dims(sizes.shape)}",
                       _OP, named=False)
    batch = images.shape[0]
    if offs.shape.rank != 2 or offs.shape[0] != batch:
        raise op_error(f"first dimension should be batch{dims(offs.shape.as_list())}", _OP,
                       named=False)
    if offs.shape[1] != 2:
        raise op_error(f"second dimension should be of size 2 (y,x){dims(offs.shape.as_list())}",
                       _OP, named=False)
    height, width = int(sizes[0]), int(sizes[1])
    depth = images.shape[3]
    kind = kind or "uniform"
    shape = [batch, height, width, depth]
    if kind == "uniform":
        draw = random_ops.uniform(shape, dtype=dtypes.float32)
    elif kind == "gaussian":
        draw = random_ops.normal(shape, dtype=dtypes.float32)
    else:
        draw = convert_to_tensor(np.zeros(shape, np.float32))
    return _prim((height, width, bool(centered), bool(normalized), kind))(images, offs, draw)
