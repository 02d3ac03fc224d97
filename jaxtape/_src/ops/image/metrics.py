"""`tf.image` measures: PSNR, SSIM, MS-SSIM, total variation, image gradients, Sobel edges.

TF defines each in Python over its array, math and nn ops (no kernel, no
gradient of its own), so each is built here from jaxtape's versions of those
ops in the same order: each step's dtype rules, TF's gradient formula (Abs's
sign at 0, Log's, Pow's) and its error (an Abs of uint8, a MirrorPad wider
than the image, a Mean over a missing axis) come with it. Shape checks TF
makes in Python before the ops run raise its ValueErrors here.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dims, dtype_mismatch, op_error
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.array.creation import zeros
from jaxtape._src.ops.array.join import concat, stack
from jaxtape._src.ops.array.pad import pad
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.debugging import Assert
from jaxtape._src.ops.image.color import convert_image_dtype
from jaxtape._src.ops.math.arithmetic import pow as tf_pow, squared_difference, subtract
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.reduce import reduce_mean, reduce_prod, reduce_sum
from jaxtape._src.ops.math.unary import abs as tf_abs, log, square
from jaxtape._src.ops.nn.activations import relu
from jaxtape._src.ops.nn.conv_variants import depthwise_conv2d
from jaxtape._src.ops.nn.pool import avg_pool
from jaxtape._src.ops.support.define import defined


def _static_shape(x):
    return tuple(x._value.shape)


# -- total variation and finite differences -----------------------------------------------

@defined("image.total_variation")
def total_variation(images, name=None):
    """Sum of |differences| of vertical and horizontal neighbours (per image for 4-D)."""
    ndims = images.get_shape().ndims  # TF reads the static shape: a NumPy array has none
    if ndims == 3:
        down, right, axis = images[1:, :, :] - images[:-1, :, :], images[:, 1:, :] - images[:, :-1, :], None
    elif ndims == 4:
        down, right = images[:, 1:, :, :] - images[:, :-1, :, :], images[:, :, 1:, :] - images[:, :, :-1, :]
        axis = [1, 2, 3]
    else:
        raise ValueError("'images' must be either 3 or 4-dimensional.")
    return reduce_sum(tf_abs(down), axis=axis) + reduce_sum(tf_abs(right), axis=axis)


@defined("image.image_gradients")
def image_gradients(image):
    """(dy, dx): forward differences, zero in the last row (dy) and column (dx)."""
    shape = image.get_shape()
    if shape.ndims != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {shape}.")
    b, h, w, d = _static_shape(image)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return (concat([dy, zeros([b, 1, w, d], image.dtype)], 1),
            concat([dx, zeros([b, h, 1, d], image.dtype)], 2))


# Sobel kernels [3, 3, 1, 2]: the vertical (dy) filter first, then the horizontal (dx).
_SOBEL = np.stack([np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
                   np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])], axis=-1)[:, :, None, :]


@defined("image.sobel_edges")
def sobel_edges(image):
    """[batch, h, w, d, 2]: (dy, dx) Sobel responses per channel, the image reflected at its border."""
    static = image.get_shape()
    shape = _static_shape(image)
    channels = shape[-1] if shape else 1
    kernels = convert_to_tensor(np.tile(_SOBEL, (1, 1, channels, 1)).astype(image.dtype.as_numpy_dtype))
    if len(shape) != 4:  # MirrorPad's text (a comma after the paddings' shape, unlike Pad's)
        raise op_error(f"The first dimension of paddings must be the rank of inputs[4,2], {dims(shape)}",
                       "MirrorPad", named=False)
    padded = pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    out = depthwise_conv2d(padded, kernels, [1, 1, 1, 1], "VALID")
    return reshape(out, list(static.as_list()) + [2])


# -- PSNR and SSIM ---------------------------------------------------------------------------

def _check_pair(img1, img2):
    """TF's static checks of two image batches: rank >= 3, equal last three dims,
    batch dims equal or 1 (from the innermost out)."""
    s1, s2 = TensorShape(_static_shape(img1)), TensorShape(_static_shape(img2))
    for s in (s1, s2):
        if s.rank < 3:
            raise ValueError(f"Shape {s} must have rank at least 3")
    if s1.as_list()[-3:] != s2.as_list()[-3:]:
        raise ValueError(f"Shapes {TensorShape(s1.as_list()[-3:])} and {TensorShape(s2.as_list()[-3:])} "
                         "are incompatible")
    for d1, d2 in zip(reversed(s1.as_list()[:-3]), reversed(s2.as_list()[:-3])):
        if not (d1 == 1 or d2 == 1 or d1 == d2):
            raise ValueError(f"Two images are not compatible: {s1} and {s2}")


def _float_range(max_val, dtype):
    """`max_val` in the images' dtype, then as convert_image_dtype scales it to float32."""
    return convert_image_dtype(cast(max_val, dtype), dtypes.float32)


@defined("image.psnr")
def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio in dB over the last three dims, in float32."""
    peak = _float_range(max_val, a.dtype)  # TF reads `a.dtype` before converting `a`
    a = convert_image_dtype(a, dtypes.float32)
    b = convert_image_dtype(b, dtypes.float32)
    mse = reduce_mean(squared_difference(a, b), [-3, -2, -1])
    value = subtract(20 * log(peak) / log(convert_to_tensor(10.0)), np.float32(10 / np.log(10)) * log(mse))
    _check_pair(a, b)
    return value


def _gaussian(size, sigma):
    """The normalised size x size Gaussian window (MATLAB's fspecial), [size, size, 1, 1]."""
    coords = np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2)
    g = np.square(coords) * np.float32(-0.5 / np.square(np.float32(sigma)))
    g = (g[None, :] + g[:, None]).reshape(-1)
    e = np.exp(g - g.max())
    return (e / e.sum()).astype(np.float32).reshape(size, size, 1, 1)


def _ssim_per_channel(x, y, max_val, filter_size, filter_sigma, k1, k2, index_map=False):
    """(SSIM, contrast-structure) per channel: means over height and width unless `index_map`."""
    for img in (x, y):
        shape = _static_shape(img)
        if not all(d >= filter_size for d in shape[-3:-1]):
            Assert(convert_to_tensor(False), [convert_to_tensor(np.asarray(shape, np.int32)),
                                              convert_to_tensor(np.int32(filter_size))], summarize=8)
    channels = _static_shape(x)[-1]
    window = convert_to_tensor(np.tile(_gaussian(filter_size, filter_sigma), (1, 1, channels, 1)))

    def local_mean(t):  # the Gaussian-weighted mean of each window, batch dims kept
        shape = _static_shape(t)
        flat = reshape(t, [-1, *shape[-3:]])
        out = depthwise_conv2d(flat, window, [1, 1, 1, 1], "VALID")
        return reshape(out, [*shape[:-3], *_static_shape(out)[1:]])

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2  # MATLAB's MS-SSIM keeps the biased covariance: no compensation
    mx, my = local_mean(x), local_mean(y)
    mxy2 = mx * my * 2.0
    msq = square(mx) + square(my)
    luminance = (mxy2 + c1) / (msq + c1)
    cs = (local_mean(x * y) * 2.0 - mxy2 + c2) / (local_mean(square(x) + square(y)) - msq + c2)
    if index_map:
        return luminance * cs, cs
    return reduce_mean(luminance * cs, [-3, -2]), reduce_mean(cs, [-3, -2])


def _ssim_inputs(img1, img2, max_val):
    img1, img2 = convert_to_tensor(img1), convert_to_tensor(img2)
    _check_pair(img1, img2)
    if img1.dtype != img2.dtype:  # TF reads both shapes with one ShapeN, which takes one dtype
        raise dtype_mismatch("ShapeN", 1, img1.dtype, img2.dtype)
    peak = _float_range(max_val, img1.dtype)
    return convert_image_dtype(img1, dtypes.float32), convert_image_dtype(img2, dtypes.float32), peak


@defined("image.ssim")
def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False):
    """Structural similarity with a Gaussian window, averaged over space and channels
    (or per window position with `return_index_map`)."""
    x, y, peak = _ssim_inputs(img1, img2, max_val)
    value, _ = _ssim_per_channel(x, y, peak, int(filter_size), filter_sigma, k1, k2, bool(return_index_map))
    return reduce_mean(value, [-1])


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _halve(images):
    """One MS-SSIM scale down: pad odd heights/widths by mirroring, then 2x2 average pools."""
    out = []
    for t in images:
        shape = _static_shape(t)
        flat = reshape(t, [-1, *shape[-3:]])
        extra = [shape[-3] % 2, shape[-2] % 2]
        if any(extra):
            flat = pad(flat, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]], mode="SYMMETRIC")
        pooled = avg_pool(flat, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        out.append(reshape(pooled, [*shape[:-3], *_static_shape(pooled)[1:]]))
    return out


@defined("image.ssim_multiscale")
def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """MS-SSIM: contrast-structure at each scale but the last, SSIM at the last, each
    raised to its power factor and multiplied; averaged over channels."""
    x, y, peak = _ssim_inputs(img1, img2, max_val)
    images, terms = [x, y], []
    for k in range(len(power_factors)):
        if k:
            images = _halve(images)
        value, cs = _ssim_per_channel(*images, peak, int(filter_size), filter_sigma, k1, k2)
        terms.append(relu(cs))
    terms[-1] = relu(value)  # the coarsest scale counts with its luminance too
    scales = stack(terms, axis=-1)
    return reduce_mean(reduce_prod(tf_pow(scales, convert_to_tensor(power_factors, dtype=scales.dtype)), [-1]),
                       [-1])
