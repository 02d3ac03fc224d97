"""`tf.image` geometry: resizing, flips, rotations, crops and pads, standardization.

`resize` builds, per spatial axis, the matrix of weights TF's kernel uses
(half-pixel centres; bilinear clamps its taps to the border; Keys bicubic
quantizes the fractional offset to TF's 1024-entry table and drops taps
outside the image; area averages the overlapped input pixels) and applies
the two matrices with `einsum`, so values follow TF's and gradients come from
JAX. All methods but nearest neighbour return float32, as TF's does.
"""
from __future__ import annotations

import enum
import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops import random as random_ops
from jaxtape._src.ops.math.arithmetic import _maximum
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, tf_sqrt
from jaxtape._src.ops.support.args import host_int, static_shape
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


class ResizeMethod(str, enum.Enum):
    """Method names accepted by `tf.image.resize` (members compare equal to them)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"

    def __str__(self):
        return self.value


export("image.ResizeMethod")(ResizeMethod)

_TABLE = 1024  # TF's bicubic kernel looks its weights up in a table this fine


def _scale(n_in, n_out):
    return np.float32(n_in) / np.float32(n_out)


def _bilinear_weights(n_in, n_out):
    src = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * _scale(n_in, n_out) - np.float32(0.5)
    low = np.floor(src)
    frac = src - low
    lo = np.clip(low, 0, n_in - 1).astype(int)
    hi = np.clip(np.ceil(src), 0, n_in - 1).astype(int)
    w = np.zeros((n_out, n_in), np.float64)
    rows = np.arange(n_out)
    np.add.at(w, (rows, lo), 1 - frac)
    np.add.at(w, (rows, hi), frac)
    return w


def _keys(d, a=-0.5):
    d = np.abs(d)
    return np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                    np.where(d < 2, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a, 0.0))


def _bicubic_weights(n_in, n_out):
    src = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * _scale(n_in, n_out) - np.float32(0.5)
    low = np.floor(src)
    frac = np.rint((src - low) * _TABLE) / _TABLE
    w = np.zeros((n_out, n_in), np.float64)
    for tap in (-1, 0, 1, 2):
        idx = low.astype(int) + tap
        inside = (idx >= 0) & (idx < n_in)
        rows = np.arange(n_out)[inside]
        w[rows, idx[inside]] += _keys(frac[inside] - tap)
    return w / w.sum(axis=1, keepdims=True)


def _area_weights(n_in, n_out):
    scale = n_in / n_out
    start = np.arange(n_out)[:, None] * scale
    stop = start + scale
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(stop, j + 1) - np.maximum(start, j), 0, None)
    return overlap / scale


def _nearest_index(n_in, n_out):
    src = np.floor((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * _scale(n_in, n_out))
    return np.minimum(src.astype(int), n_in - 1)


_WEIGHTS = {"bilinear": _bilinear_weights, "bicubic": _bicubic_weights, "area": _area_weights}
_JAX_KERNELS = {"bilinear": "linear", "bicubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


@primitive(name="ResizeBilinear")
def _resize(x, *, size, method, antialias):
    """Resizes axes 1 and 2 of a 4-D float32 batch."""
    (h, w), (oh, ow) = x.shape[1:3], size
    if method == "nearest":
        return jnp.take(jnp.take(x, _nearest_index(h, oh), axis=1), _nearest_index(w, ow), axis=2)
    if method in _WEIGHTS and not (antialias and (oh < h or ow < w)):
        wh = jnp.asarray(_WEIGHTS[method](h, oh), x.dtype)
        ww = jnp.asarray(_WEIGHTS[method](w, ow), x.dtype)
        return jnp.einsum("oh,bhwc,pw->bopc", wh, x, ww, precision=jax.lax.Precision.HIGHEST)
    scale = jnp.asarray([oh / h, ow / w], jnp.float32)
    return jax.image.scale_and_translate(x, (x.shape[0], oh, ow, x.shape[3]), (1, 2), scale,
                                         jnp.zeros(2, jnp.float32), _JAX_KERNELS[method],
                                         antialias=antialias, precision=jax.lax.Precision.HIGHEST)


# TF registers no gradient for ResizeArea (asking for one raises LookupError);
# jaxtape records nothing for it, so such gradients are None.
_resize_area = Primitive(_resize.fn, "ResizeArea", differentiable=False)


def _method_name(method):
    name = method.value if isinstance(method, ResizeMethod) else str(method)
    if name not in {m.value for m in ResizeMethod}:
        raise ValueError(f"Resize method is not implemented: {method}")
    return name


@defined("image.resize")
def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """TF 2's resize: half-pixel centres, float32 out except nearest neighbour."""
    images = convert_to_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError("'images' must have either 3 or 4 dimensions.")
    size = static_shape(size)
    if len(size) != 2:
        raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
    for d in size:
        if d < 0:  # TF's shape check in Python, before any kernel
            raise ValueError(f"Dimension {d} must be >= 0")
    name = _method_name(method)
    if name in ("gaussian", "mitchellcubic") or (name == "area" and antialias):
        raise NotImplementedInJaxtape(f"jaxtape does not implement tf.image.resize with method={name!r}"
                                      + (" and antialias=True" if antialias else ""))
    batched = images.ndim == 4
    x = images if batched else _batch(images)
    h, w = x._value.shape[1:3]
    if preserve_aspect_ratio:
        factor = min(size[0] / h, size[1] / w)
        size = (int(round(factor * h)), int(round(factor * w)))
    if name != "nearest" and x.dtype != dtypes.float32:
        x = _to_float32(x)
    op = _resize_area if name == "area" else _resize
    out = op(x, size=tuple(size), method=name, antialias=bool(antialias))
    return out if batched else _unbatch(out)


_to_float32 = Primitive(lambda x: x.astype(jnp.float32), "Cast")
_batch = Primitive(lambda x: x[None], "ExpandDims")
_unbatch = Primitive(lambda x: x[0], "Squeeze")


# -- geometry -------------------------------------------------------------------

def _image(image, name="image"):
    image = convert_to_tensor(image)
    if image.ndim < 3:
        raise ValueError(f"'{name}' (shape {image.shape}) must be at least three-dimensional.")
    return image


_flip = Primitive(jnp.flip, "ReverseV2")


@defined("image.flip_left_right")
def flip_left_right(image):
    return _flip(_image(image), axis=-2)


@defined("image.flip_up_down")
def flip_up_down(image):
    return _flip(_image(image), axis=-3)


@primitive(name="Rot90")
def _rot90(x, *, k):
    return jnp.rot90(x, k, axes=(-3, -2))


@defined("image.rot90")
def rot90(image, k=1, name=None):
    """Counter-clockwise quarter turns of the height/width plane."""
    k = host_int(k)
    return _rot90(_image(image), k=k % 4)


_swap_hw = Primitive(lambda x: jnp.swapaxes(x, -3, -2), "Transpose")


@defined("image.transpose")
def transpose(image, name=None):
    return _swap_hw(_image(image))


@primitive(name="Slice")
def _crop_pad(x, *, crop, pad):
    """Crops (start, size) then zero-pads (before, after) on the height and width axes."""
    (ch, hh), (cw, ww) = crop
    x = x[..., ch:ch + hh, cw:cw + ww, :]
    widths = [(0, 0)] * (x.ndim - 3) + [pad[0], pad[1], (0, 0)]
    return jnp.pad(x, widths)


def _hw(image):
    return image._value.shape[-3], image._value.shape[-2]


@defined("image.central_crop")
def central_crop(image, central_fraction):
    """Keeps the central `central_fraction` of height and width (offsets rounded down)."""
    image = convert_to_tensor(image)
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return image
    if image.ndim not in (3, 4):
        raise ValueError(f"`image` should either be a Tensor with rank = 3 or rank = 4. Had rank = {image.ndim}.")
    h, w = _hw(image)
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    return _crop_pad(image, crop=((top, h - 2 * top), (left, w - 2 * left)), pad=((0, 0), (0, 0)))


@defined("image.resize_with_crop_or_pad")
def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre-crops what is too large and zero-pads what is too small."""
    image = _image(image)
    th, tw = int(target_height), int(target_width)
    if th <= 0:
        raise ValueError("target_height must be > 0.")
    if tw <= 0:
        raise ValueError("target_width must be > 0.")
    h, w = _hw(image)
    crop = ((max((h - th) // 2, 0), min(h, th)), (max((w - tw) // 2, 0), min(w, tw)))
    top, left = max((th - h) // 2, 0), max((tw - w) // 2, 0)
    pad = ((top, th - min(h, th) - top), (left, tw - min(w, tw) - left))
    return _crop_pad(image, crop=crop, pad=pad)


def _box_image(image):
    """A 3-D or 4-D image with non-empty inner dims, checked as TF's box ops do."""
    image = convert_to_tensor(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    shape = image._value.shape
    if 0 in shape[-3:]:
        full = shape if image.ndim == 4 else (1,) + shape
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {TensorShape(full)}")
    return image


def _require(checks):
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


@defined("image.crop_to_bounding_box")
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    image = _box_image(image)
    h, w = _hw(image)
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    _require([(ow >= 0, "offset_width must be >= 0."), (oh >= 0, "offset_height must be >= 0."),
              (tw > 0, "target_width must be > 0."), (th > 0, "target_height must be > 0."),
              (w >= tw + ow, "width must be >= target + offset."),
              (h >= th + oh, "height must be >= target + offset.")])
    return _crop_pad(image, crop=((oh, th), (ow, tw)), pad=((0, 0), (0, 0)))


@defined("image.pad_to_bounding_box")
def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    image = _box_image(image)
    h, w = _hw(image)
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    _require([(oh >= 0, "offset_height must be >= 0"), (ow >= 0, "offset_width must be >= 0"),
              (tw - ow - w >= 0, "width must be <= target - offset"),
              (th - oh - h >= 0, "height must be <= target - offset")])
    return _crop_pad(image, crop=((0, h), (0, w)), pad=((oh, th - h - oh), (ow, tw - w - ow)))


# -- values ---------------------------------------------------------------------

def _standardize_value(x, sqrt=jnp.sqrt):
    x = x.astype(jnp.float32)
    axes = (-3, -2, -1)
    n = np.prod(x.shape[-3:])
    mean = jnp.mean(x, axis=axes, keepdims=True)
    std = sqrt(jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True))
    return (x - mean) / _maximum(std, jax.lax.rsqrt(jnp.float32(n)))


# TF's composition: reduce_std's SqrtGrad gives 0 where maximum sends the upstream to the floor
# (a constant image), where JAX's sqrt at 0 gives NaN.
_standardize = TFGradPrimitive(_standardize_value, functools.partial(_standardize_value, sqrt=tf_sqrt),
                               "PerImageStandardization")


@defined("image.per_image_standardization")
def per_image_standardization(image):
    """(x - mean) / max(std, 1/sqrt(N)) per image, in float32."""
    return _standardize(_image(image))


# -- random flips ---------------------------------------------------------------

def _random_flip(image, seed, axis, key=None):
    image = _image(image)
    key = random_ops.next_key(seed) if key is None else key
    if image.ndim == 3:
        flip = jax.random.uniform(key, ()) < 0.5
        mask = jnp.reshape(flip, ())
    else:
        mask = jax.random.uniform(key, (image._value.shape[0],)) < 0.5
        mask = mask.reshape((-1,) + (1,) * (image.ndim - 1))
    return _where_flip(image, Tensor(mask), axis=axis)


@primitive(name="SelectV2")
def _where_flip(x, mask, *, axis):
    return jnp.where(mask, jnp.flip(x, axis), x)


@defined("image.random_flip_left_right")
def random_flip_left_right(image, seed=None):
    """Mirrors each image with probability 1/2 (seeded as `tf.random` ops; TF's bits differ)."""
    return _random_flip(image, seed, -2)


@defined("image.random_flip_up_down")
def random_flip_up_down(image, seed=None):
    return _random_flip(image, seed, -3)


@defined("image.stateless_random_flip_left_right")
def stateless_random_flip_left_right(image, seed):
    return _random_flip(image, None, -2, key=random_ops.stateless_key(seed))


@defined("image.stateless_random_flip_up_down")
def stateless_random_flip_up_down(image, seed):
    return _random_flip(image, None, -3, key=random_ops.stateless_key(seed))
