"""tf.image against real TensorFlow: resize (every method TF computes with a
fixed kernel, up and down, 3-D and 4-D, values and gradients), flips, crops,
dtype conversion, adjustments, and TF's errors."""
import numpy as np
import pytest

import jaxtape as jt
from difftest import check, check_raises

rng = np.random.default_rng(5)
IMG = rng.uniform(0, 1, size=(2, 5, 6, 3)).astype(np.float32)
U8 = rng.integers(0, 256, size=(4, 5, 3)).astype(np.uint8)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "area", "nearest"])
def test_resize_values_and_gradients(method):
    check(lambda tf, x: (tf.image.resize(x, [8, 9], method=method),
                         tf.image.resize(x, [3, 4], method=method),
                         tf.image.resize(x[0], [4, 11], method=method)),
          IMG, rtol=1e-4, atol=1e-5, grad=method != "area")  # TF has no ResizeArea gradient


def test_resize_antialias_lanczos_and_aspect():
    check(lambda tf, x: (tf.image.resize(x, [3, 2], antialias=True),
                         tf.image.resize(x, [7, 3], method="lanczos3"),
                         tf.image.resize(x, [3, 4], method=tf.image.ResizeMethod.BICUBIC, antialias=True),
                         tf.image.resize(x, [20, 9], preserve_aspect_ratio=True)),
          IMG, rtol=1e-4, atol=1e-4)


def test_resize_dtypes():
    check(lambda tf, x: (tf.image.resize(x, [3, 7]), tf.image.resize(x, [3, 7], method="nearest"),
                         tf.image.resize(x, [2, 2], method="area")), U8, grad=False, rtol=1e-4, atol=1e-3)
    check(lambda tf, x: tf.image.resize(tf.cast(x, tf.float64), [3, 7]), IMG, rtol=1e-4, atol=1e-5)


def test_geometry():
    check(lambda tf, x: (tf.image.flip_left_right(x), tf.image.flip_up_down(x[0]),
                         tf.image.rot90(x), tf.image.rot90(x[1], k=3), tf.image.rot90(x, k=-2),
                         tf.image.transpose(x), tf.image.central_crop(x, 0.5),
                         tf.image.central_crop(x[0], 0.34), tf.image.resize_with_crop_or_pad(x, 3, 9),
                         tf.image.resize_with_crop_or_pad(x[0], 8, 2),
                         tf.image.crop_to_bounding_box(x, 1, 2, 3, 3),
                         tf.image.pad_to_bounding_box(x[0], 1, 0, 7, 8)), IMG)


def test_values():
    check(lambda tf, x: (tf.image.per_image_standardization(x), tf.image.rgb_to_grayscale(x),
                         tf.image.adjust_brightness(x, 0.1), tf.image.grayscale_to_rgb(x[..., :1]),
                         tf.image.convert_image_dtype(x, tf.float64),
                         tf.image.convert_image_dtype(x, tf.uint8),
                         tf.image.convert_image_dtype(x * 2, tf.uint8, saturate=True)), IMG, rtol=1e-5)
    check(lambda tf, x: (tf.image.per_image_standardization(x), tf.image.rgb_to_grayscale(x),
                         tf.image.adjust_brightness(x, 0.2), tf.image.convert_image_dtype(x, tf.float32),
                         tf.image.convert_image_dtype(x, tf.int32), tf.image.convert_image_dtype(x, tf.int8),
                         tf.image.convert_image_dtype(tf.image.convert_image_dtype(x, tf.int32), tf.uint8)),
          U8, grad=False, rtol=1e-5)
    check(lambda tf, x: tf.image.per_image_standardization(tf.ones([2, 2, 1]) * x[0, 0, 0]), IMG)


def test_hsv():
    """TF's HSV kernels: grey, black and two-way ties included (values); the
    RGBToHSV gradient away from ties; hue turned both ways past the wheel's ends;
    saturation scaled past 1 (clamped); uint8 images through float32."""
    x = IMG[0].copy()
    x[0, :4] = [[0.5, 0.5, 0.5], [0.2, 0.7, 0.7], [0., 0., 0.], [0.9, 0.1, 0.9]]
    check(lambda tf, a: (tf.image.rgb_to_hsv(a), tf.image.hsv_to_rgb(a), tf.image.adjust_hue(a, -0.7),
                         tf.image.adjust_hue(a, 0.9), tf.image.adjust_saturation(a, 2.5)),
          x, grad=False, atol=1e-5)
    check(lambda tf, a: tf.image.rgb_to_hsv(a), IMG[1], rtol=1e-4, atol=1e-5)
    check(lambda tf, a: (tf.image.adjust_hue(a, 0.3), tf.image.adjust_saturation(a, 0.4),
                         tf.image.adjust_brightness(a, 0.4)), U8, grad=False)

def test_random_flips_are_flips_and_seeded():
    x = jt.constant(IMG)
    jt.random.set_seed(3)
    a = jt.image.random_flip_left_right(x).numpy()
    for i in range(2):
        assert np.array_equal(a[i], IMG[i]) or np.array_equal(a[i], IMG[i, :, ::-1])
    jt.random.set_seed(3)
    np.testing.assert_array_equal(a, jt.image.random_flip_left_right(x).numpy())
    b = jt.image.stateless_random_flip_up_down(x[0], seed=[1, 2]).numpy()
    assert np.array_equal(b, IMG[0]) or np.array_equal(b, IMG[0, ::-1])
    np.testing.assert_array_equal(b, jt.image.stateless_random_flip_up_down(x[0], seed=[1, 2]).numpy())
    seen = {jt.image.random_flip_up_down(x[0]).numpy()[0, 0, 0] for _ in range(12)}
    assert len(seen) == 2
    jt.random.set_seed(None)


@pytest.mark.parametrize("fn, match", [
    (lambda tf, x: tf.image.resize(x[0, 0], [3, 7]), "'images' must have either 3 or 4 dimensions."),
    (lambda tf, x: tf.image.resize(x, [3, 7], method="foo"), "Resize method is not implemented: foo"),
    (lambda tf, x: tf.image.resize(x, [3]), "'size' must be a 1-D Tensor of 2 elements"),
    (lambda tf, x: tf.image.flip_left_right(x[0, 0]), "'image' (shape (6, 3)) must be at least three-dimensional."),
    (lambda tf, x: tf.image.rot90(x[0, 0]), "must be at least three-dimensional."),
    (lambda tf, x: tf.image.central_crop(x, 0.0), "central_fraction must be within (0, 1]"),
    (lambda tf, x: tf.image.resize_with_crop_or_pad(x, 0, 3), "target_height must be > 0."),
    (lambda tf, x: tf.image.convert_image_dtype(x, tf.bool), "dtype must be either floating point or integer"),
])
def test_errors(fn, match):
    check_raises(fn, IMG, match=match)
