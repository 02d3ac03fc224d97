"""tf.image adjustments, metrics and box ops against real TensorFlow.

Deterministic ops: values, dtypes, shapes and gradients (`check`). Random
ops draw JAX's bits, not TF's, so their tests pin what TF defines: shapes,
dtypes, ranges, that each is the documented adjustment of its draw (the
draw `tf.random.uniform` makes under the same seeds), seeding rules, errors.
"""
import numpy as np
import pytest

import jaxtape as jt
from difftest import check, real_tf, same_outcome

rng = np.random.default_rng(11)
IMG = rng.uniform(0, 1, size=(2, 5, 6, 3)).astype(np.float32)
U8 = rng.integers(0, 256, size=(4, 5, 3)).astype(np.uint8)


def grads(mod, fn, x):
    """The gradient of sum(fn(x) * w) w.r.t. x under `mod` (None if unconnected)."""
    x = mod.constant(x)
    with mod.GradientTape() as tape:
        tape.watch(x)
        y = fn(mod, x)
        loss = mod.reduce_sum(y * mod.constant(np.linspace(0.5, 1.5, y.shape.num_elements(),
                                                           dtype=np.float32).reshape(y.shape)))
    g = tape.gradient(loss, x)
    return None if g is None else g.numpy()


def meta(out):
    return [(o.dtype.name, tuple(o.shape)) for o in (out if isinstance(out, (list, tuple)) else [out])]


# -- adjust_contrast / adjust_gamma ------------------------------------------------

def test_adjust_contrast_values_and_dtypes():
    check(lambda tf, x: (tf.image.adjust_contrast(x, 2.0), tf.image.adjust_contrast(x[0], 0.3),
                         tf.image.adjust_contrast(x[None], -1.5), tf.image.adjust_contrast(x, 2),
                         tf.image.adjust_contrast(tf.cast(x, tf.float64), 1.7),
                         tf.image.adjust_contrast(tf.cast(x, tf.bfloat16), 1.7),
                         tf.image.adjust_contrast(x[:, :0], 3.0)), IMG, grad=False)
    check(lambda tf, x: (tf.image.adjust_contrast(x, 1.8), tf.image.adjust_contrast(x, 0.2),
                         tf.image.adjust_contrast(tf.cast(x, tf.uint16) * 200, 1.3)), U8, grad=False)


def test_adjust_contrast_has_no_gradient():
    """TF registers none for AdjustContrastv2 (LookupError there); jaxtape gives None."""
    tf = real_tf()
    with pytest.raises(LookupError, match="AdjustContrastv2"):
        grads(tf, lambda m, x: m.image.adjust_contrast(x, 2.0), IMG)
    assert grads(jt, lambda m, x: m.image.adjust_contrast(x, 2.0), IMG) is None


def test_adjust_gamma_values_and_gradients():
    check(lambda tf, x, g: (tf.image.adjust_gamma(x, 0.5), tf.image.adjust_gamma(x, 2, 1.5),
                            tf.image.adjust_gamma(x, g, g), tf.image.adjust_gamma(x[0, 0, 0], 3.0),
                            tf.image.adjust_gamma(tf.cast(x, tf.float16), 2.0),
                            tf.image.adjust_gamma(tf.cast(x, tf.float64), 0.7, 0.9)),
          IMG, np.float32(1.3), rtol=2e-3, atol=1e-3)
    check(lambda tf, x: (tf.image.adjust_gamma(x, 0.6), tf.image.adjust_gamma(x, 2.0, 1.7),
                         tf.image.adjust_gamma(tf.cast(x, tf.int32), 1.2)), U8, grad=False)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.image.adjust_contrast(x[0, 0], 2.0),
    lambda tf, x: tf.image.adjust_contrast(x, [2.0, 1.0]),
    lambda tf, x: tf.image.adjust_contrast(x[0], tf.constant([2.0, 1.0])),
    lambda tf, x: tf.image.adjust_contrast(x, tf.constant(2.0, tf.float64)),
    lambda tf, x: tf.image.adjust_contrast(tf.cast(x, tf.float16), 2.0),
    lambda tf, x: tf.image.adjust_contrast(tf.constant([[[True]]]), 2.0),
    lambda tf, x: tf.image.adjust_gamma(x, -1.0),
    lambda tf, x: tf.image.adjust_gamma(x, np.float32(-0.5)),
    lambda tf, x: tf.image.adjust_gamma(x, tf.constant(-1.0)),
    lambda tf, x: tf.image.adjust_gamma(x, tf.constant(2.0, tf.float64)),
    lambda tf, x: tf.image.adjust_gamma(x, 2.0, tf.constant(2.0, tf.float64)),
])
def test_adjust_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(IMG)))


# -- random adjustments ----------------------------------------------------------------

RANDOM_ADJUST = [  # (random op, its arguments, the adjustment, the draw's bounds)
    ("random_brightness", (0.3,), "adjust_brightness", (-0.3, 0.3)),
    ("random_contrast", (0.2, 1.8), "adjust_contrast", (0.2, 1.8)),
    ("random_saturation", (0.4, 2.5), "adjust_saturation", (0.4, 2.5)),
    ("random_hue", (0.45,), "adjust_hue", (-0.45, 0.45)),
]


@pytest.mark.parametrize("name, args, adjust, bounds", RANDOM_ADJUST)
def test_random_adjust_is_the_adjustment_of_tf_random_uniform(name, args, adjust, bounds):
    """Under the same seeds, `random_X(x, ..., seed)` is `adjust_X(x, uniform([], lo, hi, seed))`,
    and that adjustment is TF's at the drawn value."""
    tf = real_tf()
    x = jt.constant(IMG)
    try:
        jt.random.set_seed(4)
        got = getattr(jt.image, name)(x, *args, seed=9)
        jt.random.set_seed(4)
        draw = jt.random.uniform([], *bounds, seed=9)
        jt.random.set_seed(4)
        again = getattr(jt.image, name)(x, *args, seed=9)
        other = getattr(jt.image, name)(x, *args, seed=9)  # the op seed's next draw
    finally:
        jt.random.set_seed(None)
    d = float(draw.numpy())
    assert bounds[0] <= d < bounds[1]
    np.testing.assert_array_equal(got.numpy(), again.numpy())
    assert not np.array_equal(got.numpy(), other.numpy())
    np.testing.assert_array_equal(got.numpy(), getattr(jt.image, adjust)(x, draw).numpy())
    want = getattr(tf.image, adjust)(tf.constant(IMG), np.float32(d))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=2e-6)
    assert meta(got) == meta(getattr(tf.image, name)(tf.constant(IMG), *args))
    u8 = getattr(jt.image, name)(U8, *args)
    assert meta(u8) == meta(getattr(tf.image, name)(tf.constant(U8), *args))


@pytest.mark.parametrize("name, args, adjust, bounds", RANDOM_ADJUST)
def test_stateless_random_adjust(name, args, adjust, bounds):
    tf = real_tf()
    op = getattr(jt.image, "stateless_" + name)
    x = jt.constant(IMG)
    got = op(x, *args, seed=[3, 5])
    draw = jt.random.stateless_uniform([], seed=[3, 5], minval=bounds[0], maxval=bounds[1])
    assert bounds[0] <= float(draw.numpy()) < bounds[1]
    np.testing.assert_array_equal(got.numpy(), op(x, *args, seed=[3, 5]).numpy())
    np.testing.assert_array_equal(got.numpy(), getattr(jt.image, adjust)(x, draw).numpy())
    want = getattr(tf.image, adjust)(tf.constant(IMG), np.float32(draw.numpy()))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=2e-6)
    jt.random.set_seed(1)  # stateless: the global seed plays no part
    try:
        np.testing.assert_array_equal(got.numpy(), op(x, *args, seed=[3, 5]).numpy())
    finally:
        jt.random.set_seed(None)
    outs = {op(x, *args, seed=[3, s]).numpy().tobytes() for s in range(4)}
    assert len(outs) == 4
    assert meta(op(U8, *args, seed=[1, 2])) == meta(getattr(tf.image, "stateless_" + name)(
        tf.constant(U8), *args, seed=[1, 2]))


def test_random_brightness_gradient_and_delta_range():
    """The gradient w.r.t. the image is TF's (ones); deltas cover [-max_delta, max_delta)."""
    fn = lambda m, x: m.image.random_brightness(x, 0.2)  # noqa: E731
    np.testing.assert_array_equal(grads(jt, fn, IMG), grads(real_tf(), fn, IMG))
    x = np.zeros((1, 1, 1), np.float32)
    deltas = np.array([float(jt.image.random_brightness(x, 0.2).numpy().ravel()[0]) for _ in range(40)])
    assert deltas.min() >= -0.2 and deltas.max() < 0.2 and deltas.min() < -0.05 and deltas.max() > 0.05


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.image.random_brightness(x, -0.1),
    lambda tf, x: tf.image.stateless_random_brightness(x, -0.1, seed=[1, 2]),
    lambda tf, x: tf.image.random_contrast(x, 0.5, 0.5),
    lambda tf, x: tf.image.random_contrast(x, -0.5, 0.5),
    lambda tf, x: tf.image.stateless_random_contrast(x, 0.6, 0.5, seed=[1, 2]),
    lambda tf, x: tf.image.stateless_random_contrast(x, -0.1, 0.5, seed=[1, 2]),
    lambda tf, x: tf.image.random_saturation(x, 0.6, 0.5),
    lambda tf, x: tf.image.random_saturation(x, -0.6, 0.5),
    lambda tf, x: tf.image.stateless_random_saturation(x, 0.4, 0.5),
    lambda tf, x: tf.image.stateless_random_saturation(x, 0.4, 0.3, seed=[1, 2]),
    lambda tf, x: tf.image.random_hue(x, 0.6),
    lambda tf, x: tf.image.random_hue(x, -0.1),
    lambda tf, x: tf.image.stateless_random_hue(x, 0.51, seed=[1, 2]),
    lambda tf, x: tf.image.stateless_random_hue(x, 0.1, seed=[1, 2, 3]),
    lambda tf, x: tf.image.random_hue(x[..., :2], 0.1),
    lambda tf, x: tf.image.random_contrast(x[0, 0], 0.1, 0.2),
    lambda tf, x: tf.image.random_jpeg_quality(x[0], 10, 10),
    lambda tf, x: tf.image.random_jpeg_quality(x[0], 10, 101),
    lambda tf, x: tf.image.stateless_random_jpeg_quality(x[0], -1, 50, seed=[1, 2]),
])
def test_random_adjust_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(IMG)))


def test_random_jpeg_quality():
    pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[test]')")
    pytest.importorskip("simplejpeg", reason="simplejpeg is not installed (pip install -e '.[test]')")
    tf = real_tf()
    x = IMG[0]
    got = jt.image.stateless_random_jpeg_quality(x, 20, 80, seed=[4, 4])
    q = jt.random.stateless_uniform([], seed=[4, 4], minval=20, maxval=80, dtype=jt.int32)
    assert 20 <= int(q.numpy()) < 80
    np.testing.assert_array_equal(got.numpy(), tf.image.adjust_jpeg_quality(x, int(q.numpy())).numpy())
    assert meta(got) == meta(tf.image.stateless_random_jpeg_quality(x, 20, 80, seed=[4, 4]))
    u8 = jt.image.random_jpeg_quality(U8, 5, 95)
    assert meta(u8) == meta(tf.image.random_jpeg_quality(U8, 5, 95))


# -- random crops ---------------------------------------------------------------------------

def _find_crop(out, value):
    """The offsets at which `out` is a slice of `value` (asserting there is one)."""
    for offset in np.ndindex(*(np.array(value.shape) - np.array(out.shape) + 1)):
        window = value[tuple(slice(o, o + s) for o, s in zip(offset, out.shape))]
        if np.array_equal(window, out):
            return offset
    raise AssertionError("not a crop of the input")


def test_random_crop_is_a_crop_and_seeded():
    tf = real_tf()
    x = IMG[0]
    offsets = set()
    for _ in range(30):
        out = jt.image.random_crop(x, [3, 2, 3]).numpy()
        offsets.add(_find_crop(out, x))
    assert len(offsets) > 5 and all(o[2] == 0 for o in offsets)
    jt.random.set_seed(2)
    try:
        a = jt.image.random_crop(x, [2, 4, 2], seed=3).numpy()
        jt.random.set_seed(2)
        b = jt.image.random_crop(x, [2, 4, 2], seed=3).numpy()
    finally:
        jt.random.set_seed(None)
    np.testing.assert_array_equal(a, b)
    _find_crop(a, x)
    s = jt.image.stateless_random_crop(x, [3, 3, 3], seed=[7, 1]).numpy()
    np.testing.assert_array_equal(s, jt.image.stateless_random_crop(x, [3, 3, 3], seed=[7, 1]).numpy())
    _find_crop(s, x)
    for fn in (lambda m: m.image.random_crop(x, [3, 2, 3]), lambda m: m.image.random_crop(U8, (4, 5, 3)),
               lambda m: m.image.stateless_random_crop(U8[..., 0], [2, 1], seed=[1, 2]),
               lambda m: m.image.random_crop(np.float64(3), []),
               lambda m: m.image.random_crop(x, m.constant([0, 2, 3]))):
        assert meta(fn(jt)) == meta(fn(tf))
    # the whole image, cropped to its own size, is itself
    np.testing.assert_array_equal(jt.image.random_crop(U8, [4, 5, 3]).numpy(), U8)


def test_random_crop_gradient_is_the_crop_mask():
    """TF's Slice gradient: the upstream scattered back at the crop's place, zeros elsewhere."""
    x = jt.constant(IMG[0])
    with jt.GradientTape() as tape:
        tape.watch(x)
        y = jt.image.stateless_random_crop(x, [2, 3, 3], seed=[5, 6])
    g = tape.gradient(y, x).numpy()
    o = _find_crop(y.numpy(), IMG[0])
    mask = np.zeros_like(IMG[0])
    mask[o[0]:o[0] + 2, o[1]:o[1] + 3] = 1
    np.testing.assert_array_equal(g, mask)
    fn = lambda m, v: m.image.random_crop(v, [5, 6, 3])  # noqa: E731 - a full-size crop: a fixed offset
    np.testing.assert_array_equal(grads(jt, fn, IMG[0]), grads(real_tf(), fn, IMG[0]))


def test_random_crop_in_a_function():
    f = jt.function(lambda v: jt.image.stateless_random_crop(v, [2, 2, 3], seed=[1, 1]))
    out = f(jt.constant(IMG[0])).numpy()
    _find_crop(out, IMG[0])


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.image.random_crop(x, [6, 5, 3]),
    lambda tf, x: tf.image.random_crop(x, [2, 2]),
    lambda tf, x: tf.image.random_crop(x, [2.0, 2, 3]),
    lambda tf, x: tf.image.stateless_random_crop(x, [4, 7, 3], seed=[1, 2]),
    lambda tf, x: tf.image.stateless_random_crop(x, [2, 2, 3], seed=[1, 2, 3]),
    lambda tf, x: tf.image.random_crop(x, [1]),
])
def test_random_crop_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(IMG[0])))


# -- metrics ---------------------------------------------------------------------------------

A = rng.uniform(0, 1, size=(2, 12, 13, 3)).astype(np.float32)
B = np.clip(A + rng.normal(0, 0.2, size=A.shape), 0, 1).astype(np.float32)
FLAT = A.copy()
FLAT[:, 3:7, 2:9] = 0.5  # equal neighbours: TF's Abs gradient is 0 there (JAX's |x|' would be 1)


def test_total_variation_and_image_gradients():
    check(lambda tf, x: (tf.image.total_variation(x), tf.image.total_variation(x[0]),
                         tf.image.total_variation(tf.cast(x, tf.float64)),
                         tf.image.total_variation(x[:, :0]),
                         tf.image.image_gradients(x), tf.image.image_gradients(x[:, :1, :1])),
          FLAT, rtol=1e-5, atol=1e-4)
    check(lambda tf, x: tf.image.total_variation(tf.cast(x, tf.float16)), A, rtol=1e-2)
    check(lambda tf, x: (tf.image.total_variation(tf.cast(x, tf.int32)), tf.image.image_gradients(x[None]),
                         tf.image.image_gradients(tf.cast(x[None], tf.int64))), U8)


def test_sobel_edges():
    check(lambda tf, x: (tf.image.sobel_edges(x), tf.image.sobel_edges(tf.cast(x, tf.float64)),
                         tf.image.sobel_edges(x[:, :2, :2])), FLAT, rtol=1e-5, atol=1e-5)
    check(lambda tf, x: tf.image.sobel_edges(tf.cast(x, tf.float16)), A, rtol=1e-2, atol=1e-2)


def test_psnr():
    check(lambda tf, a, b, m: (tf.image.psnr(a, b, 1.0), tf.image.psnr(a[0], b[0], m),
                               tf.image.psnr(a, b[:1], 2.0), tf.image.psnr(a, b[1], m),
                               tf.image.psnr(tf.cast(a, tf.float64), b, 1.0)),
          A, B, np.float32(1.5), rtol=1e-5, atol=1e-5)
    # identical images: inf, and the NaN gradients of log(0) * 0 (as TF's)
    check(lambda tf, a: tf.image.psnr(a, a * 1.0, 1.0), A)
    check(lambda tf, a: (tf.image.psnr(a, a // 2, 255), tf.image.psnr(a, a, 255)), U8)


def test_ssim():
    check(lambda tf, a, b, m: (tf.image.ssim(a, b, 1.0), tf.image.ssim(a[0], b[0], m, filter_size=5),
                               tf.image.ssim(a, b, 1.0, filter_size=3, filter_sigma=0.8, k1=0.02, k2=0.05),
                               tf.image.ssim(a, b[1], 1.0, filter_size=4, return_index_map=True),
                               tf.image.ssim(tf.cast(a, tf.float64), tf.cast(b[:1], tf.float64), 1.0,
                                             filter_size=7)),
          A, B, np.float32(1.2), rtol=1e-4, atol=1e-5)
    check(lambda tf, a: tf.image.ssim(a, a // 2 + 9, 255, filter_size=4), U8, atol=1e-5)


def test_ssim_multiscale():
    check(lambda tf, a, b: (tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.3, 0.7), filter_size=3),
                            tf.image.ssim_multiscale(a[0], b[0], 1.0, power_factors=[0.2, 0.5, 0.3],
                                                     filter_size=3, filter_sigma=0.7),
                            tf.image.ssim_multiscale(a, b[:1], 1.5, power_factors=(1.0,), filter_size=5)),
          A, B, rtol=1e-4, atol=1e-5)
    big = rng.uniform(0, 1, size=(1, 177, 180, 1)).astype(np.float32)
    noisy = np.clip(big + rng.normal(0, 0.1, size=big.shape), 0, 1).astype(np.float32)
    check(lambda tf, a, b: tf.image.ssim_multiscale(a, b, 1.0), big, noisy, rtol=1e-4, atol=1e-5)
    check(lambda tf, a: tf.image.ssim_multiscale(a, a // 2 + 3, 255, power_factors=(0.5, 0.5),
                                                 filter_size=3), (A[0] * 255).astype(np.uint8), atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda tf, a, b: tf.image.total_variation(a.numpy()),
    lambda tf, a, b: tf.image.total_variation(a[0, 0]),
    lambda tf, a, b: tf.image.total_variation(a[None]),
    lambda tf, a, b: tf.image.total_variation(tf.cast(a * 255, tf.uint8)),
    lambda tf, a, b: tf.image.image_gradients(a[0]),
    lambda tf, a, b: tf.image.image_gradients(a.numpy()),
    lambda tf, a, b: tf.image.sobel_edges(a[0]),
    lambda tf, a, b: tf.image.sobel_edges(a[None]),
    lambda tf, a, b: tf.image.sobel_edges(a[:, :1]),
    lambda tf, a, b: tf.image.sobel_edges(tf.cast(a, tf.int32)),
    lambda tf, a, b: tf.image.psnr(a[0, 0], b[0, 0], 1.0),
    lambda tf, a, b: tf.image.psnr(a, b[..., :2], 1.0),
    lambda tf, a, b: tf.image.psnr(a, b[:, :5], 1.0),
    lambda tf, a, b: tf.image.psnr(a[0], b[0, 0], 1.0),
    lambda tf, a, b: tf.image.psnr([[[1.0]]], b, 1.0),
    lambda tf, a, b: tf.image.ssim(a[:, :5], b[:, :5], 1.0),
    lambda tf, a, b: tf.image.ssim(a, b, 1.0, filter_size=13),
    lambda tf, a, b: tf.image.ssim(a[0, 0], b[0, 0], 1.0),
    lambda tf, a, b: tf.image.ssim(a, b[..., :2], 1.0),
    lambda tf, a, b: tf.image.ssim(a, tf.concat([b, b], 0)[:3], 1.0),
    lambda tf, a, b: tf.image.ssim_multiscale(a, b, 1.0),
    lambda tf, a, b: tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.5, 0.5), filter_size=7),
    lambda tf, a, b: tf.image.ssim_multiscale(a[0], b[0, 0], 1.0),
    lambda tf, a, b: tf.image.ssim(tf.cast(a, tf.float64), b, 1.0),
    lambda tf, a, b: tf.image.ssim_multiscale(a, tf.cast(b, tf.float16), 1.0),
])
def test_metric_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(A), tf.constant(B)))


# -- boxes -----------------------------------------------------------------------------------------

BATCH = rng.uniform(0, 1, size=(2, 6, 7, 3)).astype(np.float32)
BOXES = np.array([[0.1, 0.2, 0.8, 0.9], [0.5, 0.5, 1.2, 1.0], [0.9, 0.8, 0.1, 0.2], [-0.3, 0.25, 0.6, 0.7],
                  [0.2, 0.3, 0.2, 0.3]], np.float32)
INDEX = np.array([0, 1, 1, 0, 1], np.int32)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_crop_and_resize_values_and_gradients(method):
    """Both gradients TF defines: the image's, and the boxes' (bilinear's even for nearest)."""
    check(lambda tf, x, b: (tf.image.crop_and_resize(x, b, INDEX, [4, 5], method=method),
                            tf.image.crop_and_resize(x, b, INDEX, [1, 3], method=method, extrapolation_value=-1.0),
                            tf.image.crop_and_resize(x, b[:2], [1, 0], (3, 1), method=method,
                                                     extrapolation_value=2)),
          BATCH, BOXES, rtol=1e-5, atol=1e-5)
    check(lambda tf, x, b: (tf.image.crop_and_resize(tf.cast(x, tf.float64), b, INDEX, [4, 5], method=method),
                            tf.image.crop_and_resize(tf.cast(x, tf.float16), b, INDEX, [2, 2], method=method)),
          BATCH, BOXES, rtol=1e-3, atol=1e-3)
    check(lambda tf, x: (tf.image.crop_and_resize(tf.cast(x * 255, tf.uint8), BOXES, INDEX, [4, 5], method=method),
                         tf.image.crop_and_resize(tf.cast(x * 9, tf.int64), BOXES, INDEX, [3, 2], method=method),
                         tf.image.crop_and_resize(x, np.zeros([0, 4], np.float32), np.zeros([0], np.int32),
                                                  [2, 5], method=method)),
          BATCH, rtol=1e-5, atol=1e-4)


def test_crop_and_resize_sampling_rounds_as_tf():
    """Many boxes on two-decimal coordinates, whose samples often land on pixel
    boundaries and half-pixels: floor, ceil, round and the range tests all as TF's."""
    r = np.random.default_rng(0)
    boxes = np.round(r.uniform(-0.3, 1.3, size=(600, 4)), 2).astype(np.float32)
    index = r.integers(0, 2, 600).astype(np.int32)
    check(lambda tf, x: [tf.image.crop_and_resize(x, boxes, index, size, method=m, extrapolation_value=-1.0)
                         for m in ("nearest", "bilinear") for size in ([4, 5], [1, 7], [9, 11])],
          BATCH, grad=False, rtol=1e-6, atol=1e-6)


def test_extract_patches():
    check(lambda tf, x: (tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
                         tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 2, 1, 1], "SAME"),
                         tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 2, 3, 1], "VALID"),
                         tf.image.extract_patches(x, [1, 4, 4, 1], [1, 3, 3, 1], [1, 1, 1, 1], "SAME"),
                         tf.image.extract_patches(x, [1, 7, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
                         tf.image.extract_patches(tf.cast(x, tf.float64), [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1],
                                                  "VALID")), BATCH)
    check(lambda tf, x: (tf.image.extract_patches(tf.cast(x * 255, tf.uint8), [1, 2, 3, 1], [1, 2, 2, 1],
                                                  [1, 1, 1, 1], "SAME"),
                         tf.image.extract_patches(tf.cast(x, tf.complex64), [1, 2, 2, 1], [1, 1, 2, 1],
                                                  [1, 1, 1, 1], "VALID")), BATCH, grad=False)
    # no window fits: an empty output whose gradient is zeros, not None
    check(lambda tf, x: tf.image.extract_patches(x, [1, 7, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"), BATCH)


def test_resize_with_pad():
    check(lambda tf, x: (tf.image.resize_with_pad(x, 9, 4), tf.image.resize_with_pad(x[0], 9, 14, method="nearest"),
                         tf.image.resize_with_pad(x, 3, 4, antialias=True), tf.image.resize_with_pad(x, 1, 40),
                         tf.image.resize_with_pad(x, 6, 7, method="bicubic"),
                         tf.image.resize_with_pad(x, tf.constant(5), 4, method=tf.image.ResizeMethod.AREA)),
          BATCH, rtol=1e-5, atol=1e-5, grad=False)
    check(lambda tf, x: (tf.image.resize_with_pad(x, 9, 4), tf.image.resize_with_pad(x[1], 4, 13),
                         tf.image.resize_with_pad(x, 5, 5, method="nearest")), BATCH, rtol=1e-5, atol=1e-5)
    check(lambda tf, x: (tf.image.resize_with_pad(x, 3, 4), tf.image.resize_with_pad(x, 8, 3, method="nearest")),
          U8, rtol=1e-5, atol=1e-4)


NMS_BOXES = np.array([[0, 0, 1, 1], [0, 0, 1, 0.5], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                      [0, 10.1, 1, 11.1], [0, -10, 1, -11], [1, 1, 0, 0]], np.float32)
NMS_SCORES = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3, 0.9, 0.9], np.float32)


def _random_boxes(n, seed):
    r = np.random.default_rng(seed)
    corner = r.uniform(0, 10, size=(n, 2))
    boxes = np.concatenate([corner, corner + r.uniform(0.5, 4, size=(n, 2))], axis=1)
    flip = r.random(n) < 0.3  # corners in the other order
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    scores = np.round(r.uniform(0, 1, size=n), 2)  # rounded: ties, broken by index
    return boxes.astype(np.float32), scores.astype(np.float32)


def test_non_max_suppression():
    """The hard selection (ties by index, IoU equal to the threshold kept) and Soft-NMS's
    rescored selection, on hand-made and random boxes."""
    check(lambda tf, b, s: (tf.image.non_max_suppression(b, s, 10), tf.image.non_max_suppression(b, s, 3),
                            tf.image.non_max_suppression(b, s, 10, iou_threshold=0.0),
                            tf.image.non_max_suppression(b, s, 10, score_threshold=0.55),
                            tf.image.non_max_suppression(b, tf.ones([8]), 10),
                            tf.image.non_max_suppression(b, s, 0),
                            tf.image.non_max_suppression(b, np.full(8, np.nan, np.float32), 10),
                            tf.image.non_max_suppression(tf.cast(b, tf.float16), tf.cast(s, tf.float16), 10),
                            tf.image.non_max_suppression_with_scores(b, s, 10),
                            tf.image.non_max_suppression_with_scores(b, s, 10, soft_nms_sigma=0.5),
                            tf.image.non_max_suppression_with_scores(b, s, 6, iou_threshold=1.0, soft_nms_sigma=0.3,
                                                                     score_threshold=0.1)),
          NMS_BOXES, NMS_SCORES, grad=False)
    for seed in range(3):
        boxes, scores = _random_boxes(60, seed)
        check(lambda tf, b, s: (tf.image.non_max_suppression(b, s, 40, iou_threshold=0.3),
                                tf.image.non_max_suppression(b, s, 25, iou_threshold=0.6, score_threshold=0.2),
                                tf.image.non_max_suppression_with_scores(b, s, 30, soft_nms_sigma=0.4,
                                                                         score_threshold=0.05)),
              boxes, scores, grad=False)


def test_draw_bounding_boxes():
    images = rng.uniform(0, 1, size=(2, 9, 11, 3)).astype(np.float32)
    r = np.random.default_rng(3)
    boxes = r.uniform(-0.3, 1.3, size=(2, 12, 4)).astype(np.float32)
    boxes[0, :2] = [[0.0, 0.0, 1.0, 1.0], [0.25, 0.2, 0.75, 0.6]]
    colors = r.uniform(0, 1, size=(5, 4)).astype(np.float32)
    check(lambda tf, x, b, c: (tf.image.draw_bounding_boxes(x, b, c), tf.image.draw_bounding_boxes(x, b, None),
                               tf.image.draw_bounding_boxes(x[..., :1], b, c[:2, :2]),
                               tf.image.draw_bounding_boxes(tf.concat([x, x[..., :1]], -1), b, c[:3]),
                               tf.image.draw_bounding_boxes(tf.cast(x, tf.float16), b, c),
                               tf.image.draw_bounding_boxes(x, b, tf.zeros([0, 4])),
                               tf.image.draw_bounding_boxes(x, b[:, :0], c)),
          images, boxes, colors, grad=False)
    assert grads(jt, lambda m, x: m.image.draw_bounding_boxes(x, boxes, colors), images) is None


def _sampled(out, size):
    """Asserts (begin, size, bboxes) describe one crop inside an image of `size`; returns it."""
    begin, extent, bbox = (np.asarray(t.numpy()) for t in out)
    h, w = size[:2]
    assert begin[2] == 0 and extent[2] == -1
    assert 0 <= begin[0] and begin[0] + extent[0] <= h and 0 <= begin[1] and begin[1] + extent[1] <= w
    np.testing.assert_allclose(bbox.reshape(4), [begin[0] / h, begin[1] / w, (begin[0] + extent[0]) / h,
                                                 (begin[1] + extent[1]) / w], rtol=1e-6)
    return begin[:2], extent[:2]


def test_sample_distorted_bounding_box_constraints():
    """Every crop meets the constraints TF documents (aspect ratio up to rounding,
    area, cover of a box); impossible constraints give the whole image, as TF's."""
    size = np.array([40, 60, 3], np.int32)
    boxes = np.array([[[0.1, 0.2, 0.5, 0.7], [0.3, 0.3, 0.9, 0.9]]], np.float32)
    pixels = [(int(b[1] * 60), int(b[0] * 40), int(b[3] * 60), int(b[2] * 40)) for b in boxes[0]]
    crops = set()
    for i in range(40):
        begin, extent = _sampled(jt.image.sample_distorted_bounding_box(
            size, boxes, min_object_covered=0.5, aspect_ratio_range=(0.5, 2.0), area_range=(0.1, 0.8)), size)
        crops.add((*begin, *extent))
        (y, x), (h, w) = begin, extent
        assert 0.1 * 2400 - 60 <= h * w <= 0.8 * 2400 + 60 and 0.5 - 0.1 <= w / h <= 2.0 + 0.1
        covered = [max(min(x + w, b[2]) - max(x, b[0]), 0) * max(min(y + h, b[3]) - max(y, b[1]), 0)
                   / ((b[2] - b[0]) * (b[3] - b[1])) for b in pixels]
        assert max(covered) >= 0.5
    assert len(crops) > 20
    for kwargs in ({"min_object_covered": 2.0}, {"area_range": [0.6, 0.5]},
                   {"bounding_boxes": [[[0.5, 0.2, 0.1, 0.7]]]}):
        args = {"bounding_boxes": boxes, **kwargs}
        same_outcome(lambda tf: tuple(tf.image.sample_distorted_bounding_box(tf.constant(size), seed=3, **args)))
    u8 = jt.image.stateless_sample_distorted_bounding_box(size.astype(np.uint8), boxes, seed=[1, 2])
    assert meta(u8) == meta(real_tf().image.stateless_sample_distorted_bounding_box(
        size.astype(np.uint8), boxes, seed=[1, 2]))
    assert int(u8[1].numpy()[2]) == 255  # -1 in uint8, as TF's


def test_sample_distorted_bounding_box_seeds():
    size = np.array([30, 30, 1], np.int64)
    boxes = np.array([[[0.0, 0.0, 1.0, 1.0]]], np.float32)
    call = lambda **kw: tuple(np.asarray(t.numpy()).tobytes() for t in  # noqa: E731
                              jt.image.sample_distorted_bounding_box(size, boxes, min_object_covered=0.0, **kw))
    jt.random.set_seed(5)
    try:
        first = [call(seed=7) for _ in range(3)]
        jt.random.set_seed(5)
        assert [call(seed=7) for _ in range(3)] == first  # the op seed's sequence, again
        jt.random.set_seed(5)
        assert len({call() for _ in range(8)}) > 1  # seed 0 draws afresh, whatever the global seed
    finally:
        jt.random.set_seed(None)
    assert len(set(first)) > 1
    st = [jt.image.stateless_sample_distorted_bounding_box(size, boxes, seed=[4, s], min_object_covered=0.0)
          for s in (1, 1, 2, 3, 4)]
    keys = [tuple(np.asarray(t.numpy()).tobytes() for t in out) for out in st]
    assert keys[0] == keys[1] and len(set(keys)) > 2
    for out in st:
        _sampled(out, size)


@pytest.mark.parametrize("fn", [
    lambda tf, x, b: tf.image.crop_and_resize(x[0], b, INDEX, [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b[0], INDEX, [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b[:, :3], INDEX, [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX[:2], [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX[None], [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, [0, 2, 1, 0, 0], [4, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, tf.constant([0, -1, 1, 0, 0]), tf.constant([4, 5])),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX, [0, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX, [2, 5, 1]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX, [2, 5], method="bicubic"),
    lambda tf, x, b: tf.image.crop_and_resize(tf.cast(x, tf.bfloat16), b, INDEX, [2, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, tf.cast(b, tf.float64), INDEX, [2, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, tf.cast(INDEX, tf.int64), [2, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x[:, :0], b, INDEX, [2, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, [[np.nan, 0, 1, 1]], [0], [2, 5]),
    lambda tf, x, b: tf.image.crop_and_resize(x, b, INDEX, [2, 5], extrapolation_value=tf.constant(1.0)),
    lambda tf, x, b: tf.image.extract_patches(x[0], [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [2, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 3, 2], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 2], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [2, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "same"),
    lambda tf, x, b: tf.image.extract_patches(x[0], [1, 0, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 1, 2, 1], [1, 0, 3, 1], [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 0, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.extract_patches(tf.cast(x, tf.bool), [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "SAME"),
    lambda tf, x, b: tf.image.extract_patches(tf.constant([[[["a"]]]]), [1, 1, 1, 1], [1, 1, 1, 1],
                                              [1, 1, 1, 1], "VALID"),
    lambda tf, x, b: tf.image.resize_with_pad(x, 0, 4),
    lambda tf, x, b: tf.image.resize_with_pad(x, 3, -4),
    lambda tf, x, b: tf.image.resize_with_pad(x, tf.constant(-3), 4),
    lambda tf, x, b: tf.image.resize_with_pad(x[0, 0], 3, 4),
    lambda tf, x, b: tf.image.resize_with_pad(x[None], 3, 4),
    lambda tf, x, b: tf.image.resize_with_pad(x[:, :0], 3, 4),
    lambda tf, x, b: tf.image.resize_with_pad(x, 3, 4, method="cubic"),
])
def test_box_op_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(BATCH), tf.constant(BOXES)))


@pytest.mark.parametrize("fn", [
    lambda tf, b, s: tf.image.non_max_suppression(b, s, -1),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 10, iou_threshold=1.5),
    lambda tf, b, s: tf.image.non_max_suppression(b[0], s, 10, iou_threshold=-0.5),
    lambda tf, b, s: tf.image.non_max_suppression(b, s[None], -1),
    lambda tf, b, s: tf.image.non_max_suppression(tf.cast(b, tf.float64), tf.cast(s, tf.float64), 10),
    lambda tf, b, s: tf.image.non_max_suppression(tf.cast(b, tf.float16), s, 10),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 10, iou_threshold=tf.constant(0.5, tf.float64)),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 10, iou_threshold=tf.constant(0.5, tf.float16)),
    lambda tf, b, s: tf.image.non_max_suppression(b[:, :3], s, 10),
    lambda tf, b, s: tf.image.non_max_suppression(b, s[:3], 10),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, [10]),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 10.0),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, tf.constant(3, tf.int64)),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 3, iou_threshold=[0.5]),
    lambda tf, b, s: tf.image.non_max_suppression(b, s, 3, score_threshold=[0.5]),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b, s, 10, soft_nms_sigma=-0.5),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b, s, 10, soft_nms_sigma=-0.5, iou_threshold=3.0),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b, s, 1, soft_nms_sigma=-1.0, score_threshold=[3.0]),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b, s, [10]),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b, s, 1, soft_nms_sigma=[0.5]),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(tf.cast(b, tf.float16), tf.cast(s, tf.float16), 10),
    lambda tf, b, s: tf.image.non_max_suppression_with_scores(b[0], s, 10),
])
def test_nms_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(NMS_BOXES), tf.constant(NMS_SCORES)))


IMAGES = np.zeros([2, 5, 6, 3], np.float32)
DRAW = np.array([[[0.0, 0.0, 1.0, 1.0], [0.25, 0.2, 0.75, 0.6]], [[-0.3, 0.5, 0.5, 1.5], [0.6, 0.6, 0.5, 0.5]]],
                np.float32)


@pytest.mark.parametrize("fn", [
    lambda tf, x, b: tf.image.draw_bounding_boxes(tf.cast(x, tf.uint8), b, [[1.0, 0.0, 0.0, 1.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(tf.cast(x, tf.float64), b, None),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x[0], b, [[1.0, 0.0, 0.0, 1.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x[..., :2], b, [[0.3, 0.0, 0.0, 1.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(tf.zeros([2, 5, 6, 5]), b, [[0.3, 0.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(tf.zeros([2, 5, 6, 4]), b, [[0.3, 0.0, 0.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, b, [0.3, 0.0, 0.0, 1.0]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, b, tf.zeros([1, 3], tf.float16)),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, tf.cast(b, tf.float16), [[1.0, 0.0, 0.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, b[:1], [[0.3, 0.0, 0.0, 1.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, b[0], [[0.3, 0.0, 0.0, 1.0]]),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x, b[..., :3], None),
    lambda tf, x, b: tf.image.draw_bounding_boxes(x[..., :2], b[:1], None),
])
def test_draw_errors(fn):
    same_outcome(lambda tf: fn(tf, tf.constant(IMAGES), tf.constant(DRAW)))


SIZE = np.array([40, 60, 3], np.int32)
SAMPLE_BOXES = np.array([[[0.1, 0.2, 0.5, 0.7], [0.3, 0.3, 0.9, 0.9]]], np.float32)


@pytest.mark.parametrize("fn", [
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(tf.cast(s, tf.uint16), b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(tf.cast(s, tf.float32), b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s[:2], b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s[None], b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b[0], seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b[..., :3], seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, [[[0.1, 0.2, 1.5, 0.7]]], seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, [[[-0.1, 0.2, 0.5, 0.7]]], seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, tf.zeros([1, 0, 4]), seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, min_object_covered=-0.1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, min_object_covered=[0.1, 0.2]),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, aspect_ratio_range=[1.0]),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, aspect_ratio_range=[-1.0, 1.0]),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, area_range=[0.5, 1.5]),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, area_range=[0.0, 0.5]),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, b, seed=1, max_attempts=0),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(tf.constant([-4, 60, 3]), b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(tf.constant([4, -6, 3]), b, seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(s, tf.cast(b, tf.float64), seed=1),
    lambda tf, s, b: tf.image.sample_distorted_bounding_box(tf.constant([0, 60, 3]), b, seed=1),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, b, seed=[1, 2, 3]),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, b[..., :3], seed=[1, 2, 3]),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, b, seed=[1.5, 2]),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, b, seed=[1, 2], max_attempts=0),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, b, seed=None),
    lambda tf, s, b: tf.image.stateless_sample_distorted_bounding_box(s, tf.zeros([1, 0, 4]), seed=[1, 2]),
])
def test_sample_distorted_bounding_box_errors(fn):
    def named_fields(tf):  # TF's named tuple, compared as its name, fields and values
        out = fn(tf, tf.constant(SIZE), tf.constant(SAMPLE_BOXES))
        return type(out).__name__, out._fields, tuple(out)
    same_outcome(named_fields)
