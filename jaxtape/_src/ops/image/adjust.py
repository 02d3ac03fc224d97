"""`tf.image` adjustments: contrast, gamma, their random forms, random crops and JPEG quality.

`adjust_contrast` is TF's AdjustContrastv2 kernel (per-channel mean over
height and width); the others are TF's own Python compositions of a random
draw (`tf.random.uniform` / `stateless_uniform`, so TF's seeding rules, with
JAX's bits) and an adjustment, built here from jaxtape's ops the same way so
dtypes, gradients and errors follow TF's.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotFoundError
from jaxtape._src.framework.messages import dims, dtype_mismatch, named_by, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops import random as random_ops
from jaxtape._src.ops.array.slicing import _slice, slice as tf_slice
from jaxtape._src.ops.debugging import Assert
from jaxtape._src.ops.image.color import adjust_brightness, adjust_hue, adjust_saturation, convert_image_dtype
from jaxtape._src.ops.image.encode import adjust_jpeg_quality
from jaxtape._src.ops.math.arithmetic import floormod, multiply, pow as tf_pow
from jaxtape._src.ops.support.args import static_shape
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _to_float(image):
    """float16/float32 images as they are, others converted to float32 (TF's colour ops)."""
    if image.dtype in (dtypes.float16, dtypes.float32):
        return image
    return convert_image_dtype(image, dtypes.float32)


# -- contrast and gamma -----------------------------------------------------------

# TF registers no gradient for AdjustContrastv2 (asking for one raises LookupError);
# jaxtape records nothing for it, so such gradients are None.
@primitive(name="AdjustContrastv2", differentiable=False)
def _adjust_contrast(x, factor):
    mean = jnp.mean(x.astype(jnp.float32), axis=(-3, -2), keepdims=True)
    return ((x - mean) * factor + mean).astype(x.dtype)


_CONTRAST_HALF = ("Could not find device for node: {{node AdjustContrastv2}} = AdjustContrastv2[T=DT_HALF]\n"
                  "All kernels registered for op AdjustContrastv2:\n"
                  "  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_HALF]\n"
                  "  device='CPU'; T in [DT_FLOAT]\n [Op:AdjustContrastv2] name: ")


@defined("image.adjust_contrast")
def adjust_contrast(images, contrast_factor):
    """`(x - mean) * contrast_factor + mean`, the mean per channel of each image."""
    op = "AdjustContrastv2"
    images = convert_to_tensor(images)
    x = _to_float(images)
    factor = contrast_factor
    if not isinstance(factor, Tensor):
        factor = convert_to_tensor(factor, dtype=dtypes.float32)
    if factor.dtype != dtypes.float32:
        raise dtype_mismatch(op, 1, dtypes.float32, factor.dtype)
    named = named_by(contrast_factor)
    if x.ndim < 3:
        raise op_error(f"input must be at least 3-D, got shape{dims(x._value.shape)}", op, named)
    if factor.ndim:
        raise op_error(f"contrast_factor must be scalar: {dims(factor._value.shape)}", op, named)
    if x.dtype == dtypes.float16:
        # TF's CPU kernel is float32 only (half runs on XLA and GPU devices alone).
        raise NotFoundError(None, None, _CONTRAST_HALF)
    return convert_image_dtype(_adjust_contrast(x, factor), images.dtype, saturate=True)


@defined("image.adjust_gamma")
def adjust_gamma(image, gamma=1, gain=1):
    """`gain * image ** gamma` in float, converted back to the image's dtype."""
    image = convert_to_tensor(image)
    x = _to_float(image)
    if isinstance(gamma, Tensor):  # TF asserts on tensors, compares anything else in Python
        Assert(gamma >= 0, ["Gamma should be a non-negative real number."])
    elif not gamma >= 0:
        raise ValueError("Gamma should be a non-negative real number.")
    # TF's composition: Pow then Mul, with their gradients (w.r.t. gamma and gain too).
    return convert_image_dtype(multiply(gain, tf_pow(x, gamma)), image.dtype, saturate=True)


# -- random adjustments -------------------------------------------------------------

def _draw(lower, upper, seed, stateless, dtype=dtypes.float32):
    """A scalar in [lower, upper): `tf.random.uniform` with `seed`, or the stateless draw."""
    if stateless:
        return random_ops.stateless_uniform([], seed=seed, minval=lower, maxval=upper, dtype=dtype)
    return random_ops.uniform([], lower, upper, dtype=dtype, seed=seed)


def _check_delta(max_delta):
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")


def _check_range(lower, upper):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")


def _check_hue(max_delta):
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    _check_delta(max_delta)


@defined("image.random_brightness")
def random_brightness(image, max_delta, seed=None):
    """`adjust_brightness` by a delta drawn from [-max_delta, max_delta)."""
    _check_delta(max_delta)
    return adjust_brightness(image, _draw(-max_delta, max_delta, seed, False))


@defined("image.stateless_random_brightness")
def stateless_random_brightness(image, max_delta, seed):
    _check_delta(max_delta)
    return adjust_brightness(image, _draw(-max_delta, max_delta, seed, True))


@defined("image.random_contrast")
def random_contrast(image, lower, upper, seed=None):
    """`adjust_contrast` by a factor drawn from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_contrast(image, _draw(lower, upper, seed, False))


@defined("image.stateless_random_contrast")
def stateless_random_contrast(image, lower, upper, seed):
    _check_range(lower, upper)
    return adjust_contrast(image, _draw(lower, upper, seed, True))


@defined("image.random_saturation")
def random_saturation(image, lower, upper, seed=None):
    """`adjust_saturation` by a factor drawn from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_saturation(image, _draw(lower, upper, seed, False))


@defined("image.stateless_random_saturation")
def stateless_random_saturation(image, lower, upper, seed=None):
    _check_range(lower, upper)
    return adjust_saturation(image, _draw(lower, upper, seed, True))


@defined("image.random_hue")
def random_hue(image, max_delta, seed=None):
    """`adjust_hue` by a delta drawn from [-max_delta, max_delta), max_delta in [0, 0.5]."""
    _check_hue(max_delta)
    return adjust_hue(image, _draw(-max_delta, max_delta, seed, False))


@defined("image.stateless_random_hue")
def stateless_random_hue(image, max_delta, seed):
    _check_hue(max_delta)
    return adjust_hue(image, _draw(-max_delta, max_delta, seed, True))


def _check_quality(low, high):
    if low < 0 or high < 0 or low > 100 or high > 100:
        raise ValueError("jpeg encoding range must be between 0 and 100.")
    if low >= high:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")


@defined("image.random_jpeg_quality")
def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """`adjust_jpeg_quality` at a quality drawn from [min_jpeg_quality, max_jpeg_quality)."""
    _check_quality(min_jpeg_quality, max_jpeg_quality)
    quality = _draw(min_jpeg_quality, max_jpeg_quality, seed, False, dtypes.int32)
    return adjust_jpeg_quality(image, quality)


@defined("image.stateless_random_jpeg_quality")
def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    _check_quality(min_jpeg_quality, max_jpeg_quality)
    quality = _draw(min_jpeg_quality, max_jpeg_quality, seed, True, dtypes.int32)
    return adjust_jpeg_quality(image, quality)


# -- random crops ---------------------------------------------------------------------

_INT32_MAX = np.iinfo(np.int32).max


def _random_crop(value, size, draw):
    """TF's composition: assert shape >= size, offset = uniform int32 % (shape - size + 1), Slice."""
    value = convert_to_tensor(value)
    size_t = convert_to_tensor(size, dtype=dtypes.int32)
    shape = np.asarray(value._value.shape, np.int32)
    want = np.asarray(size_t._value, np.int32)
    try:
        fits = np.all(shape >= want)
    except ValueError:  # TF's GreaterEqual on the two shape vectors
        raise op_error(f"Incompatible shapes: {dims(shape.shape)} vs. {dims(want.shape)}",
                       "GreaterEqual") from None
    if not fits:
        Assert(convert_to_tensor(False), ["Need value.shape >= size, got ", convert_to_tensor(shape),
                                          size_t], summarize=1000)
    limit = convert_to_tensor(shape - want + 1)
    offset = floormod(draw([int(shape.size)], dtypes.int32, _INT32_MAX), limit)
    sizes = static_shape(size_t)
    if len(sizes) == value.ndim and all(s >= 0 for s in sizes):
        return _slice(value, offset, size=sizes)  # traceable: the offset stays an array
    return tf_slice(value, offset, size_t)  # TF's Slice reading -1 as "to the end", and its errors


@defined("image.random_crop")
def random_crop(value, size, seed=None, name=None):
    """A `size` slice of `value` at a uniformly drawn offset (seeded as `tf.random` ops)."""
    return _random_crop(value, size, lambda shape, dt, hi: random_ops.uniform(
        shape, dtype=dt, maxval=hi, seed=seed))


@defined("image.stateless_random_crop")
def stateless_random_crop(value, size, seed, name=None):
    return _random_crop(value, size, lambda shape, dt, hi: random_ops.stateless_uniform(
        shape, seed=seed, maxval=hi, dtype=dt))
