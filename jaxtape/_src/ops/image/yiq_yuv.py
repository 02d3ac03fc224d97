"""`tf.image.rgb_to_yiq`, `yiq_to_rgb`, `rgb_to_yuv`, `yuv_to_rgb`: a 3x3 matrix
applied to the last axis (TF's `tensordot` with a kernel of the image's dtype).

The matrices come from their definitions: Y = 0.299 R + 0.587 G + 0.114 B,
U = 0.492111 (B - Y), V = 0.877283 (R - Y) (analog PAL/NTSC scalings), and
YIQ's I, Q are U, V rotated by 33 degrees; the inverses are computed. They
agree with TF's printed constants to their 8 digits.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.array.creation import constant
from jaxtape._src.ops.linalg.matmul import tensordot
from jaxtape._src.ops.support.define import defined

_Y = np.array([0.299, 0.587, 0.114])
_U = 0.492111 * (np.array([0.0, 0.0, 1.0]) - _Y)
_V = 0.877283 * (np.array([1.0, 0.0, 0.0]) - _Y)
_ANGLE = np.deg2rad(33.0)
_I = -np.sin(_ANGLE) * _U + np.cos(_ANGLE) * _V
_Q = np.cos(_ANGLE) * _U + np.sin(_ANGLE) * _V
# Columns are the output channels: out = image @ kernel.
_RGB_TO_YUV = np.stack([_Y, _U, _V], axis=1)
_RGB_TO_YIQ = np.stack([_Y, _I, _Q], axis=1)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def _apply(images, kernel):
    images = tensor(images)
    k = constant(np.round(kernel, 8).tolist(), dtype=images.dtype)
    ndims = images.shape.rank
    return tensordot(images, k, axes=[[ndims - 1], [0]])


@defined("image.rgb_to_yiq")
def rgb_to_yiq(images):
    """RGB images (last axis of size 3) to YIQ."""
    return _apply(images, _RGB_TO_YIQ)


@defined("image.yiq_to_rgb")
def yiq_to_rgb(images):
    """YIQ images (last axis of size 3) to RGB."""
    return _apply(images, _YIQ_TO_RGB)


@defined("image.rgb_to_yuv")
def rgb_to_yuv(images):
    """RGB images (last axis of size 3) to YUV."""
    return _apply(images, _RGB_TO_YUV)


@defined("image.yuv_to_rgb")
def yuv_to_rgb(images):
    """YUV images (last axis of size 3) to RGB."""
    return _apply(images, _YUV_TO_RGB)
