"""`tf.image` colour: dtype conversion, grayscale, brightness and the HSV ops.

Integer images go through float32 in [0, 1) and back, as TF's. The HSV ops
follow TF's kernels' formulas; `adjust_hue` and `adjust_saturation` carry
JAX's gradient where TF registers none.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


@primitive(name="ConvertImageDtype")
def _convert(x, *, dtype, saturate):
    src, dst = np.dtype(x.dtype), np.dtype(dtype)
    if src == dst:
        return x
    s_int, d_int = np.issubdtype(src, np.integer), np.issubdtype(dst, np.integer)
    if s_int and d_int:
        s_max, d_max = int(np.iinfo(src).max), int(np.iinfo(dst).max)
        if s_max > d_max:
            y = jnp.floor_divide(x, (s_max + 1) // (d_max + 1))
            return _saturate(y, dst) if saturate else y.astype(dst)
        return x.astype(dst) * jnp.asarray((d_max + 1) // (s_max + 1), dst)
    if not s_int and not d_int:
        return x.astype(dst)
    if s_int:
        return x.astype(dst) * jnp.asarray(1.0 / np.iinfo(src).max, dst)
    y = x * jnp.asarray(np.iinfo(dst).max + 0.5, x.dtype)
    return _saturate(y, dst) if saturate else y.astype(dst)


def _saturate(x, dst):
    info = np.iinfo(dst)
    return jnp.clip(x, info.min, info.max).astype(dst)


@defined("image.convert_image_dtype")
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Rescales between integer ranges and [0, 1) floats as TF does."""
    image = convert_to_tensor(image)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise AttributeError("dtype must be either floating point or integer")
    if not (image.dtype.is_floating or image.dtype.is_integer):
        raise AttributeError("image dtype must be either floating point or integer")
    return _convert(image, dtype=dtype.as_numpy_dtype, saturate=bool(saturate))


def _in_float(image, fn, saturate=False):
    """Applies `fn` to float16/float32 images as they are, to others converted to
    float32, and converts the result back (as TF's colour ops do)."""
    orig = image.dtype
    x = image if orig in (dtypes.float16, dtypes.float32) else convert_image_dtype(image, dtypes.float32)
    return convert_image_dtype(fn(x), orig, saturate=saturate)


_GRAY = (0.2989, 0.5870, 0.1140)


@primitive(name="RgbToGrayscale")
def _gray(x):
    return jnp.tensordot(x, jnp.asarray(_GRAY, x.dtype), [[-1], [-1]])[..., None]


@defined("image.rgb_to_grayscale")
def rgb_to_grayscale(images, name=None):
    """The weighted sum of the channels, computed in float32 whatever the dtype."""
    images = convert_to_tensor(images)
    channels = images._value.shape[-1] if images.ndim else None
    if channels != 3:  # TF's tensordot fails in its MatMul
        rows = int(np.prod(images._value.shape[:-1]))
        raise op_error(f"Matrix size-incompatible: In[0]: [{rows},{channels}], In[1]: [3,1]", "MatMul")
    gray = _gray(convert_image_dtype(images, dtypes.float32))
    return convert_image_dtype(gray, images.dtype)


_to_rgb = Primitive(lambda x: jnp.concatenate([x, x, x], axis=-1), "Tile")


@defined("image.grayscale_to_rgb")
def grayscale_to_rgb(images, name=None):
    return _to_rgb(convert_to_tensor(images))


_add = Primitive(jnp.add, "AddV2")


@defined("image.adjust_brightness")
def adjust_brightness(image, delta):
    """Adds `delta` in float (ints go through [0, 1) and back, saturating)."""
    image = convert_to_tensor(image)

    def shift(x):
        return _add(x, cast(delta, x.dtype))
    return _in_float(image, shift, saturate=True)


# -- HSV ------------------------------------------------------------------------
# The kernels' formulas: RGBToHSV and HSVToRGB as TF's Eigen expressions;
# AdjustHue and AdjustSaturation through them (hue turned on [0, 6), saturation
# scaled and clamped to [0, 1]).

def _hsv(x):
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = jnp.max(x, axis=-1)
    spread = v - jnp.min(x, axis=-1)
    safe = jnp.where(spread > 0, spread, 1)
    s = jnp.where(v > 0, spread / jnp.where(v > 0, v, 1), 0)
    h = jnp.where(r == v, (g - b) / (6 * safe),
                  jnp.where(g == v, (b - r) / (6 * safe) + 2 / 6, (r - g) / (6 * safe) + 4 / 6))
    h = jnp.where(spread > 0, h, 0)
    h = jnp.where(h < 0, h + 1, h)
    return h.astype(x.dtype), s.astype(x.dtype), v


def _rgb(h, s, v):
    dh = h * 6
    dr = jnp.clip(jnp.abs(dh - 3) - 1, 0, 1)
    dg = jnp.clip(2 - jnp.abs(dh - 2), 0, 1)
    db = jnp.clip(2 - jnp.abs(dh - 4), 0, 1)
    return jnp.stack([(1 - s + s * d) * v for d in (dr, dg, db)], axis=-1)


def _rgb_to_hsv_value(x):
    """TF's RGBToHSV kernel: its channel max and min run r, g, b keeping the
    earlier value only if it is strictly greater (less), so a NaN channel is
    skipped unless it is the last (the blue)."""
    r, g, b = x[..., 0], x[..., 1], x[..., 2]

    def scan(keep):
        acc = jnp.where(keep(r, g), r, g)
        return jnp.where(keep(acc, b), acc, b)
    v = scan(lambda a, t: a > t)
    spread = v - scan(lambda a, t: a < t)
    s = jnp.where(v > 0, spread / v, 0)
    norm = (1 / spread) * np.array(1 / 6, x.dtype)
    h = jnp.where(r == v, norm * (g - b), jnp.where(g == v, norm * (b - r) + np.array(2 / 6, x.dtype),
                                                    norm * (r - g) + np.array(4 / 6, x.dtype)))
    h = jnp.where(spread > 0, h, 0)
    return jnp.stack([jnp.where(h < 0, h + 1, h), s, v], axis=-1).astype(x.dtype)


def _rgb_to_hsv_vjp(x, hsv, up):
    """TF's hand-written RGBToHSV gradient, term by term (its products, in its
    order, keep its NaN where an indicator of 0 meets inf): the value's
    gradient goes to one maximum (red, then green, then blue on ties), the
    saturation's and hue's through the one maximum and minimum its indicators
    pick; `c` is a channel, `n` and `p` the next and previous ones cyclically."""
    dt = x.dtype
    rgb = [x[..., i] for i in range(3)]
    s, v = hsv[..., 1], hsv[..., 2]
    r, g, b = rgb

    def ind(p):  # a select, not a cast: XLA would turn `g * convert(p)` into `select(p, g, 0)`
        return jnp.where(p, 1, 0).astype(dt)

    def recip(a):  # TF's div_no_nan(1, a)
        return jnp.where(a == 0, jnp.zeros_like(a), 1 / jnp.where(a == 0, jnp.ones_like(a), a))
    big = [ind((r >= b) & (r >= g)), ind((g > r) & (g >= b)), ind((b > r) & (b > g))]
    small = [ind((r < b) & (r < g)), ind((g <= r) & (g < b)), ind((b <= r) & (b <= g))]
    pos = [ind(c > 0) for c in rgb]
    grads = []
    for i in range(3):
        n, p = (i + 1) % 3, (i + 2) % 3
        c, cn, cp = rgb[i], rgb[n], rgb[p]
        ds = pos[i] * (big[i] * (small[n] * cn + small[p] * cp) * recip(c * c)
                       + small[i] * -1 * recip(big[n] * cn + big[p] * cp))
        terms = [pos[i] * big[i] * -1 * (cn - cp) * recip(s * s) * recip(v * v),
                 pos[n] * big[n] * small[i] * (cp - cn) * recip((c - cn) * (c - cn)),
                 pos[n] * big[n] * small[p] * -1 * recip(cn - cp),
                 pos[p] * big[p] * small[i] * (cp - cn) * recip((cp - c) * (cp - c)),
                 pos[p] * big[p] * small[n] * recip(cp - cn)]
        dh = sum(60 * t for t in terms) / 360
        grads.append(up[..., 2] * big[i] + up[..., 1] * ds + up[..., 0] * dh)
    return jnp.stack(grads, axis=-1)


@jax.custom_vjp
def _rgb_to_hsv_tf_grad(x):
    return _rgb_to_hsv_value(x)


def _rgb_to_hsv_fwd(x):
    hsv = _rgb_to_hsv_value(x)
    return hsv, (x, hsv)


_rgb_to_hsv_tf_grad.defvjp(_rgb_to_hsv_fwd, lambda res, up: (_rgb_to_hsv_vjp(*res, up),))
_rgb_to_hsv = TFGradPrimitive(_rgb_to_hsv_value, _rgb_to_hsv_tf_grad, "RGBToHSV")


@primitive(name="HSVToRGB", differentiable=False)
def _hsv_to_rgb(x):
    return _rgb(x[..., 0], x[..., 1], x[..., 2]).astype(x.dtype)


@primitive(name="AdjustHue")
def _adjust_hue(x, delta):
    """TF's kernel turns the hue on the [0, 6) wheel keeping max and min; the
    HSVToRGB ramps on (turned hue, saturation, value) are the same lines."""
    dt = x.dtype
    h, s, v = _hsv(x.astype(jnp.float32))
    return _rgb(jnp.mod(h * 6 + delta * 6, 6) / 6, s, v).astype(dt)


@primitive(name="AdjustSaturation")
def _adjust_saturation(x, scale):
    dt = x.dtype
    h, s, v = _hsv(x.astype(jnp.float32))
    return _rgb(h, jnp.clip(s * scale, 0, 1), v).astype(dt)


def _three_channels(images, op):
    images = convert_to_tensor(images)
    kernel_dtypes.check(op, images)
    if images.ndim < 1:
        raise op_error(f"input must be at least 1D{dims(())}", op)
    channels = images._value.shape[-1]
    if channels != 3:
        raise FailedPreconditionError(None, None, f"input must have 3 channels but input only has "
                                      f"{channels} channels. [Op:{op}] name: ")
    return images


@defined("image.rgb_to_hsv", primitive=_rgb_to_hsv)
def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to (hue in [0, 1), saturation, value) on the last axis."""
    return _rgb_to_hsv(_three_channels(images, "RGBToHSV"))


@defined("image.hsv_to_rgb")
def hsv_to_rgb(images, name=None):
    return _hsv_to_rgb(_three_channels(images, "HSVToRGB"))


def _image_3d(image, op):
    image = convert_to_tensor(image)
    if image.ndim < 3:
        raise op_error(f"input must be at least 3-D, got shape{dims(image._value.shape)}", op)
    channels = image._value.shape[-1]
    if channels != 3:
        raise op_error(f"input must have 3 channels but instead has {channels} channels.", op)
    return image


@defined("image.adjust_hue")
def adjust_hue(image, delta, name=None):
    """Turns the hue by `delta` (a fraction of the colour wheel, in [-1, 1])."""
    if not isinstance(delta, (Tensor, jax.Array)) and (delta < -1 or delta > 1):
        raise ValueError("delta must be in the interval [-1, 1]")
    image = convert_to_tensor(image)
    return _in_float(image, lambda x: _adjust_hue(_image_3d(x, "AdjustHue"),
                                                  convert_to_tensor(delta, dtype=dtypes.float32)))


@defined("image.adjust_saturation")
def adjust_saturation(image, saturation_factor, name=None):
    """Scales the saturation by `saturation_factor` (clamped to [0, 1]) in HSV."""
    image = convert_to_tensor(image)
    return _in_float(image, lambda x: _adjust_saturation(
        _image_3d(x, "AdjustSaturation"), convert_to_tensor(saturation_factor, dtype=dtypes.float32)))
