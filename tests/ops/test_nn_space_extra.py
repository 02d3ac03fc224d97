"""Space/batch/depth moves, LRN, separable/atrous convolutions, max_pool_with_argmax,
dilation2d/erosion2d, unravel_index and fixed-width histograms against real
TensorFlow: values, dtypes, shapes, gradients (which are None) and errors."""
import numpy as np
import pytest

import jaxtape
from difftest import check, check_raises, outcome, plain, real_tf, same_outcome, same_values

rng = np.random.default_rng(11)
X = rng.normal(size=(2, 4, 6, 3)).astype(np.float32)
X4 = rng.normal(size=(4, 4, 6, 3)).astype(np.float32)  # a batch batch_to_space can split in 2 x 2
IMG = rng.normal(size=(2, 7, 8, 3)).astype(np.float32)
DW = rng.normal(size=(3, 3, 3, 2)).astype(np.float32)
PW = rng.normal(size=(1, 1, 6, 4)).astype(np.float32)
W = rng.normal(size=(3, 2, 3, 4)).astype(np.float32)
DIL_F = rng.normal(size=(3, 2, 3)).astype(np.float32)


def outcomes(*fns):
    """`same_outcome` for each; a failure names the case and both outcomes."""
    for i, fn in enumerate(fns):
        try:
            same_outcome(fn)
        except AssertionError:
            want, got = outcome(fn, real_tf(), plain), outcome(fn, jaxtape, plain)
            raise AssertionError(f"case {i}:\n  TF:       {want}\n  jaxtape:  {got}") from None


def second_order(tf, op, x):
    """The gradient of a function of `op`'s gradient (TF registers none for some gradient kernels)."""
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(op(x) ** 2)
        g = inner.gradient(y, x)
        z = tf.reduce_sum(g * g)
    return outer.gradient(z, x)


# -- space_to_depth / depth_to_space -------------------------------------------------------

@pytest.mark.parametrize("block", [2, 3])
def test_space_to_depth_and_back(block):
    x = rng.normal(size=(2, 3 * block, 2 * block, 2 * block * block)).astype(np.float32)
    check(lambda tf, x: (tf.nn.space_to_depth(x, block), tf.nn.depth_to_space(x, block),
                         tf.nn.depth_to_space(tf.nn.space_to_depth(x, block) * 2, block)), x)


def test_space_to_depth_dtypes_and_spellings():
    x = X[:, :, :4, :1].repeat(4, -1)
    check(lambda tf, x: (tf.nn.space_to_depth(x > 0, 2), tf.nn.depth_to_space(tf.complex(x, -x), 2)), x)
    check(lambda tf, x: (tf.nn.space_to_depth(x, 2), tf.nn.depth_to_space(x, 2)), (x * 10).astype(np.int32))
    check(lambda tf, x: tf.nn.space_to_depth(x, 2.5), x.astype(np.float16))  # the attr is truncated
    check(lambda tf, x: (tf.compat.v1.space_to_depth(x, 2), tf.compat.v1.nn.depth_to_space(x, 2, None, "NHWC"),
                         tf.compat.v1.nn.space_to_depth(x, 2), tf.compat.v1.depth_to_space(x, 2),
                         tf.nn.space_to_depth(x, tf.constant(2)), tf.nn.space_to_depth(x, 2, data_format=None)), x)
    same_values(lambda tf: tf.nn.space_to_depth(tf.strings.as_string(tf.reshape(tf.range(16), [1, 4, 4, 1])), 2))
    same_values(lambda tf: tf.nn.depth_to_space(tf.constant([[[["a", "b", "c", "d"]]]]), 2))
    same_values(lambda tf: tf.nn.space_to_depth(tf.zeros([0, 4, 2, 1]), 2))


def test_space_to_depth_errors():
    x = X[:, :, :4]
    outcomes(lambda tf: tf.nn.space_to_depth(x, 1), lambda tf: tf.nn.space_to_depth(x, 0),
             lambda tf: tf.nn.space_to_depth(x, -2), lambda tf: tf.nn.depth_to_space(x, 1),
             lambda tf: tf.nn.space_to_depth(x, 3), lambda tf: tf.nn.space_to_depth(X, 4),
             lambda tf: tf.nn.space_to_depth(x[0], 2), lambda tf: tf.nn.space_to_depth(x[None], 2),
             lambda tf: tf.nn.depth_to_space(x, 2), lambda tf: tf.nn.depth_to_space(x[0], 2),
             lambda tf: tf.nn.depth_to_space(tf.zeros([0, 3, 3, 3]), 2),
             lambda tf: tf.nn.space_to_depth(x, 2, data_format="NCHW"),
             lambda tf: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 4], tf.bool), 2, data_format="NCHW_VECT_C"),
             lambda tf: tf.nn.space_to_depth(x, 2, data_format="NHCW"),
             lambda tf: tf.nn.space_to_depth(x, "2"), lambda tf: tf.nn.space_to_depth(x, None),
             lambda tf: tf.nn.space_to_depth([[[[1.0]]]], 2), lambda tf: tf.nn.space_to_depth([[1.0]], 2))


# -- space_to_batch / batch_to_space --------------------------------------------------------

@pytest.mark.parametrize("block, pads", [
    ([2, 3], [[0, 0], [0, 0]]), ([2, 2], [[1, 1], [0, 2]]), ([2], [[1, 1]]), ([1, 3], [[0, 0], [1, 2]]),
    ([2, 2, 3], [[0, 0], [1, 1], [0, 0]]), ([], np.zeros([0, 2], np.int32)),
])
def test_space_to_batch_nd(block, pads):
    check(lambda tf, x: (tf.space_to_batch_nd(x, block, pads), tf.space_to_batch(x, block, pads),
                         tf.nn.space_to_batch(x * 2, tf.constant(block, tf.int32), pads)), X)


@pytest.mark.parametrize("block, crops", [
    ([2, 3], [[0, 0], [0, 0]]), ([2, 3], [[1, 0], [1, 2]]), ([2, 3], [[2, 2], [0, 0]]), ([4], [[0, 1]]),
    ([3, 1, 2], [[1, 1], [0, 0], [0, 3]]),
])
def test_batch_to_space(block, crops):
    y = rng.normal(size=(12, 2, 2, 3)).astype(np.float32)
    check(lambda tf, y: (tf.batch_to_space(y, block, crops),
                         tf.compat.v1.batch_to_space_nd(y, np.array(block, np.int64), np.array(crops, np.int64))), y)


def test_space_batch_round_trip_dtypes_and_v1():
    check(lambda tf, x: tf.batch_to_space(tf.space_to_batch(x, [2, 3], [[1, 1], [0, 3]]), [2, 3],
                                          [[1, 1], [0, 3]]), X.astype(np.float64))
    for dtype in (np.int8, np.uint16, np.float16):
        check(lambda tf, x: (tf.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 2]]),
                             tf.batch_to_space(x, 2, [[0, 0], [1, 1]])),
              (X4 * 10).astype(dtype))
    check(lambda tf, x: (tf.compat.v1.space_to_batch(x, [[0, 0], [0, 0]], 2),
                         tf.compat.v1.nn.space_to_batch(x, [[0, 2], [1, 1]], block_shape=2),
                         tf.compat.v1.batch_to_space(x, [[0, 0], [1, 0]], 2),
                         tf.compat.v1.space_to_batch_nd(x, [2, 1], [[0, 0], [0, 0]])), X4)
    check(lambda tf, x: tf.space_to_batch(x, [2, 2], [[0, 0], [0, 0]]), np.zeros([0, 4, 4, 1], np.float32))
    check(lambda tf, x: tf.batch_to_space(x, [2, 2], [[0, 0], [0, 0]]), np.zeros([0, 4, 4, 1], np.float32))
    check(lambda tf, x: tf.space_to_batch(x, [2, 2], [[0, 0], [0, 0]]), np.zeros([1, 0, 4, 1], np.float32))


def test_space_to_batch_errors():
    outcomes(
        lambda tf: tf.space_to_batch_nd(X, [3, 3], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch(X, tf.constant([5, 1]), tf.constant([[0, 0], [0, 0]])),
        lambda tf: tf.space_to_batch(X, np.array([5, 1]), np.array([[0, 0], [0, 0]])),
        lambda tf: tf.space_to_batch(X, (5, 1), ((0, 0), (0, 0))),
        lambda tf: tf.space_to_batch_nd(X, [0, 3], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [1, -1], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [2, 3], [[-2, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [3, 3], [[-1, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [1, 1], [[0, 0], [-1, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [2, 3], [[0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [2, 3], [[0, 0, 0], [0, 0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [[2, 3]], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, 2, [[0, 0]]),
        lambda tf: tf.space_to_batch_nd(X, [1, 1, 1, 1], [[0, 0]] * 4),
        lambda tf: tf.space_to_batch_nd(X[0, 0, :, 0], [2, 3], [[0, 0]] * 2),
        lambda tf: tf.space_to_batch_nd(X, [2., 3.], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch(X, [2, 3], [[0., 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(tf.constant(X) > 0, [2, 3], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(tf.complex(X, X), tf.constant([2, 3], tf.int64), [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(tf.strings.as_string(X), [2, 3], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch(tf.zeros([1, 2, 2, 2, 2, 2, 2]), [2] * 5, [[0, 0]] * 5),
        lambda tf: tf.compat.v1.space_to_batch(X, [[0, 0], [0, 0]], 4),
        lambda tf: tf.compat.v1.space_to_batch(X[0], [[0, 0], [0, 0]], 2),
        lambda tf: tf.compat.v1.space_to_batch(X[..., None], [[0, 0], [0, 0]], 2),
        lambda tf: tf.compat.v1.space_to_batch(X, [[0, 0], [0, 0]], 2, block_shape=2),
    )


def test_batch_to_space_errors():
    y = np.zeros([12, 2, 2, 3], np.float32)
    outcomes(
        lambda tf: tf.batch_to_space(y, [2, 3], [[2, 3], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [2, 3], [[-1, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [5, 1], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, tf.constant([5, 1]), tf.constant([[0, 0], [0, 0]])),
        lambda tf: tf.batch_to_space(y, [0, 1], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [1, -1], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [-2, -3], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [-1, -1, 1], [[0, 0], [0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, tf.constant([2 ** 40, 2 ** 40], tf.int64), [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [5, 3], [[0, 0], [0, 20]]),
        lambda tf: tf.batch_to_space(y, [2, 3], [[0, 0]]),
        lambda tf: tf.batch_to_space(y, 2, [[0, 0]]),
        lambda tf: tf.batch_to_space(y[:, 0, 0, 0], [2, 3], [[0, 0]] * 2),
        lambda tf: tf.batch_to_space(y, [2., 3], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(y, [2, 3], [[0., 0], [0, 0]]),
        lambda tf: tf.batch_to_space(tf.complex(y, y), [2, 3], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space(tf.zeros([64, 1, 1, 1, 1, 1, 1]), [2] * 6, [[0, 0]] * 6),
        lambda tf: tf.compat.v1.batch_to_space(y, [[0, 0], [0, 0]], 5),
    )


def test_space_batch_in_function():
    same_values(lambda tf: tf.function(lambda x: tf.batch_to_space(
        tf.space_to_batch(x, [2, 2], [[0, 0], [1, 1]]) + 1., [2, 2], [[0, 0], [1, 1]]))(tf.constant(X)))


# -- local response normalization ----------------------------------------------------------

LRN_X = rng.normal(size=(2, 3, 4, 7)).astype(np.float32)


@pytest.mark.parametrize("kw", [
    {}, dict(depth_radius=2, bias=0.5, alpha=0.1, beta=0.75), dict(depth_radius=0), dict(depth_radius=100),
    dict(depth_radius=1, beta=1), dict(depth_radius=2, bias=2, alpha=1e-4, beta=2.),
    dict(depth_radius=1, bias=-1., beta=0.5),  # a negative base: NaN, as TF's exp(-beta * log)
])
def test_lrn(kw):
    check(lambda tf, x: (tf.nn.local_response_normalization(x, **kw), tf.nn.lrn(x * 2, **kw)), LRN_X)


def test_lrn_float16_and_spellings():
    check(lambda tf, x: tf.nn.lrn(x, 2, 0.5, 0.1, 0.75), LRN_X.astype(np.float16), rtol=2e-3, atol=2e-3)
    check(lambda tf, x: (tf.compat.v1.nn.lrn(x, 1), tf.compat.v1.nn.local_response_normalization(x)), LRN_X)
    same_values(lambda tf: tf.nn.lrn(np.ones([1, 1, 1, 3]).tolist()))


def test_lrn_errors():
    outcomes(lambda tf: tf.nn.lrn(LRN_X[0]), lambda tf: tf.nn.lrn(LRN_X[None]),
             lambda tf: tf.nn.lrn(LRN_X.astype(np.float64)), lambda tf: tf.nn.lrn((LRN_X * 9).astype(np.int32)),
             lambda tf: tf.nn.lrn(LRN_X, -1), lambda tf: tf.nn.lrn(LRN_X, 2 ** 31 - 1),
             lambda tf: tf.nn.lrn(LRN_X, 2 ** 31), lambda tf: tf.nn.lrn(LRN_X[0], -1),
             lambda tf: tf.nn.lrn(LRN_X, 2, "a"), lambda tf: tf.nn.lrn(LRN_X, "a"),
             lambda tf: tf.nn.lrn(LRN_X, 2, tf.constant(1.)))
    # Whether TF's NotFoundError ends in " name: " depends on what ran before it.
    check_raises(lambda tf, x: tf.nn.lrn(tf.cast(x, tf.bfloat16), 2, 0.1, 1e-4, 0.75), LRN_X,
                 match="Could not find device for node: {{node LRN}} = LRN[T=DT_BFLOAT16, alpha=0.0001, "
                       "beta=0.75, bias=0.1, depth_radius=2]\nAll kernels registered for op LRN:\n"
                       "  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_BFLOAT16, DT_HALF]\n"
                       "  device='CPU'; T in [DT_HALF]\n  device='CPU'; T in [DT_FLOAT]\n [Op:LRN]")


def test_gradient_kernels_without_gradients():
    x = LRN_X[:1]
    for op in (lambda tf, x: tf.nn.lrn(x, 1),
               lambda tf, x: tf.nn.max_pool_with_argmax(x, 2, 2, "VALID").output,
               lambda tf, x: tf.nn.dilation2d(x, tf.ones([2, 2, 7]), [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])):
        check_raises(lambda tf, x: second_order(tf, lambda v: op(tf, v), x), x,
                     match="gradient registry has no entry for: ")


# -- separable / atrous convolutions ---------------------------------------------------------

@pytest.mark.parametrize("strides, padding, dilations", [
    ([1, 1, 1, 1], "SAME", None), ([1, 2, 2, 1], "VALID", None), ([1, 1, 1, 1], "SAME", [2, 2]),
    ([1, 1, 1, 1], "SAME", [2]),
    ([1, 2, 2, 1], "SAME", [2, 2]),  # TF strides the space-to-batch blocks
    ([1, 1, 1, 1], [[0, 0], [1, 2], [0, 1], [0, 0]], None), ([1, 1, 1, 1], [[0, 0], [1, 1], [1, 1], [0, 0]], [2, 2]),
    ((1, 1, 1, 1), "SAME", (3, 2)),
])
def test_separable_conv2d(strides, padding, dilations):
    check(lambda tf, x, d, p: tf.nn.separable_conv2d(x, d, p, strides, padding, dilations=dilations),
          IMG, DW, PW, rtol=1e-4, atol=1e-4)


def test_separable_conv2d_dtypes():
    check(lambda tf, x, d, p: tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "SAME", dilations=[2, 2]),
          IMG.astype(np.float64), DW.astype(np.float64), PW.astype(np.float64), rtol=1e-10)
    check(lambda tf, x, d: tf.nn.separable_conv2d(x, d, np.ones([1, 1, 6, 2]).tolist(), [1, 1, 1, 1], "VALID"),
          IMG, DW, rtol=1e-4, atol=1e-4)


def test_separable_conv2d_errors():
    x, dw, pw = IMG, DW, PW
    nchw = np.transpose(IMG, [0, 3, 1, 2])
    outcomes(
        lambda tf: tf.nn.separable_conv2d(x, dw, pw[:, :, :5], [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, np.zeros([2, 1, 6, 4], np.float32), [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, np.zeros([1, 3, 6, 4], np.float32), [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw[0], [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw[:, :, :2], pw, [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME", data_format="NCHW"),
        lambda tf: tf.nn.separable_conv2d(nchw, dw, pw, [1, 1, 1, 1], "SAME", data_format="NCHW", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [2, 2], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, 1, "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, 1, "SAME", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [2, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 2, 1], "SAME", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME", dilations=2),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME", dilations=[0, 1]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME", dilations=[[2, 1]]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME", dilations=[2, 1, 1]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "FOO"),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "FOO", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "EXPLICIT", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], [[0, 0], [1, 1], [1, 1]]),
        lambda tf: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], [[0, 0], [1, 1], [1, 1], [1, 0]]),
        lambda tf: tf.nn.separable_conv2d(x[0], dw, pw, [1, 1, 1, 1], "SAME"),
        lambda tf: tf.nn.separable_conv2d(x[0], dw, pw, [1, 1, 1, 1], "SAME", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x[0, 0], dw, pw, [1, 1, 1, 1], "SAME", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d((x * 9).astype(np.int32), (dw * 9).astype(np.int32),
                                          (pw * 9).astype(np.int32), [1, 1, 1, 1], "SAME", dilations=[2, 2]),
        lambda tf: tf.nn.separable_conv2d(x, dw.astype(np.float64), pw, [1, 1, 1, 1], "SAME"),
    )


@pytest.mark.parametrize("rate, padding", [
    (2, "SAME"), (2, "VALID"), (1, "VALID"), ([2, 3], "VALID"),
    (2, [[0, 0], [1, 1], [2, 2], [0, 0]]), ([2, 1], "SAME"),
])
def test_atrous_conv2d(rate, padding):
    check(lambda tf, x, w: tf.nn.atrous_conv2d(x, w, rate, padding), IMG, W, rtol=1e-4, atol=1e-4)


def test_atrous_conv2d_dtypes():
    check(lambda tf, x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"), IMG.astype(np.float64), W.astype(np.float64),
          rtol=1e-10)
    check(lambda tf, x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"), (IMG * 3).astype(np.int32), (W * 3).astype(np.int32))
    check(lambda tf, x, w: tf.nn.atrous_conv2d(x, w, 2, "VALID"), IMG[None], W, rtol=1e-4, atol=1e-4)


def test_atrous_conv2d_errors():
    x, w = IMG, W
    outcomes(
        lambda tf: tf.nn.atrous_conv2d(x, w, 0, "VALID"), lambda tf: tf.nn.atrous_conv2d(x, w, -1, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x, w, 5, "VALID"), lambda tf: tf.nn.atrous_conv2d(x, w, 2, "FOO"),
        lambda tf: tf.nn.atrous_conv2d(x, w[:, :, :2], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x, w[:, :, :2], 1, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x[0], w, 2, "SAME"), lambda tf: tf.nn.atrous_conv2d(x[0], w, 1, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x, np.zeros([9, 3, 3, 2], np.float32), 1, "VALID"),
        lambda tf: tf.nn.atrous_conv2d(tf.constant(x) > 0, tf.constant(w) > 0, 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x.astype(np.int8), w.astype(np.int8), 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d(x, w, [1, 2, 3], "SAME"),
    )


def _transpose_value(shape):
    return rng.normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("value_shape, out, rate, padding", [
    ((2, 7, 8, 4), [2, 7, 8, 3], 2, "SAME"), ((2, 7, 8, 4), [2, 7, 8, 3], 3, "SAME"),
    ((2, 3, 6, 4), [2, 7, 8, 3], 2, "VALID"), ((2, 7, 8, 4), (2, 7, 8, 3), 1, "SAME"),
    ((1, 5, 6, 4), np.array([1, 9, 8, 3]), 2, "VALID"),
])
def test_atrous_conv2d_transpose(value_shape, out, rate, padding):
    check(lambda tf, v, w: tf.nn.atrous_conv2d_transpose(v, w, out, rate, padding),
          _transpose_value(value_shape), W, rtol=1e-4, atol=1e-4)


def test_atrous_conv2d_transpose_more():
    v = _transpose_value((2, 7, 8, 4))
    check(lambda tf, v, w: tf.nn.atrous_conv2d_transpose(v, w, tf.constant([2, 7, 8, 3]), 2, "SAME"), v, W,
          rtol=1e-4, atol=1e-4)
    check(lambda tf, v, w: tf.nn.atrous_conv2d_transpose(v, w, [2, 7, 8, 3], 2, "SAME"), v.astype(np.float64),
          W.astype(np.float64), rtol=1e-10)
    outcomes(
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 7, 8, 3], 2, "VALID"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 7, 8, 3], 0, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v[..., :3], W, [2, 7, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 7, 8, 5], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, (2, 7, 8, 5), 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, tf.constant([2, 7, 8, 5]), 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [7, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 7, 8, 3], 2, "FOO"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [3, 7, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 9, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W.astype(np.float64), [2, 7, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v[0], W, [2, 7, 8, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(v, W, [2, 7, 8, 2], 1, "SAME"),
    )


# -- max_pool_with_argmax --------------------------------------------------------------------

POOL_X = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
POOL_TIES = np.array([[1., 3., 3., 2., 2.], [3., 0., 1., 3., 2.], [0., 3., 3., 1., 2.]],
                     np.float32)[None, :, :, None].repeat(2, 0)


@pytest.mark.parametrize("ksize, strides, padding, batch", [
    (2, 2, "VALID", False), (3, 2, "SAME", True), ([2, 3], [1, 2], "VALID", True), (3, 1, "SAME", False),
    ([1, 4, 7, 1], 2, "SAME", True), ([1, 2, 2, 1], [1, 2, 2, 2], "VALID", False),
])
def test_max_pool_with_argmax(ksize, strides, padding, batch):
    def fn(tf, x):
        out = tf.nn.max_pool_with_argmax(x, ksize, strides, padding, include_batch_in_index=batch)
        return out.output, out.argmax
    check(fn, POOL_X)
    check(fn, POOL_TIES)


def _pool_gradient(tf, x, *args, **kwargs):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool_with_argmax(x, *args, **kwargs).output
    return tape.gradient(y, x)


def test_max_pool_with_argmax_gradient_kernel_errors():
    # TF's gradient kernel has no int32 argmax; with a depth window (ignored by the
    # forward) it expects the depth that window would give.
    for kwargs in (dict(output_dtype="int32"), dict(output_dtype="int32", include_batch_in_index=True)):
        check(lambda tf, x: tuple(tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", **kwargs)), POOL_X, grad=False)
        outcomes(lambda tf: _pool_gradient(tf, tf.constant(POOL_X), [1, 2, 3, 1], [1, 2, 1, 1], "SAME", **kwargs))
    check(lambda tf, x: tuple(tf.nn.max_pool_with_argmax(x, [1, 1, 1, 3], [1, 1, 1, 3], "VALID")), POOL_X, grad=False)
    outcomes(lambda tf: _pool_gradient(tf, tf.constant(POOL_X), [1, 1, 1, 3], [1, 1, 1, 3], "VALID"))


def test_max_pool_with_argmax_dtypes_and_specials():
    for dtype in (np.float64, np.float16, np.uint8, np.int64):
        check(lambda tf, x: tuple(tf.nn.max_pool_with_argmax(x, 3, 2, "SAME", include_batch_in_index=True)),
              (POOL_X * 20).astype(dtype))
    specials = np.array([np.nan, 1, 2, np.nan, 1, np.nan, 2, np.nan, -np.inf, -np.inf, -np.inf, -np.inf,
                         -0., 0., 0., -0.], np.float32).reshape(1, 4, 4, 1)
    check(lambda tf, x: tuple(tf.nn.max_pool_with_argmax(x, 2, 2, "VALID")), specials)
    check(lambda tf, x: tuple(tf.nn.max_pool_with_argmax(x, 2, 2, "SAME")),
          np.full([1, 3, 3, 1], -np.inf, np.float32))
    check(lambda tf, x: tuple(tf.compat.v1.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID",
                                                                   Targmax=tf.int64)), POOL_X)
    same_values(lambda tf: tuple(tf.function(lambda x: tf.nn.max_pool_with_argmax(x, 2, 2, "SAME"))(
        tf.constant(POOL_X))))
    for tf in (real_tf(), jaxtape):
        out = tf.nn.max_pool_with_argmax(POOL_X, 2, 2, "SAME")
        assert (type(out).__name__, out._fields) == ("MaxPoolWithArgmax", ("output", "argmax"))


def test_max_pool_with_argmax_errors():
    x = POOL_X
    outcomes(
        lambda tf: tf.nn.max_pool_with_argmax(x, 2, 2, "VALID", data_format="NCHW"),
        lambda tf: tf.nn.max_pool_with_argmax(x, [2, 3, 1], [1, 2], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 2, 2, "VALID", output_dtype=tf.float32),
        lambda tf: tf.nn.max_pool_with_argmax(x > 0, 2, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(tf.complex(x, x), 2, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 2, 2, "FOO"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
        lambda tf: tf.nn.max_pool_with_argmax(x, [2, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [2, 2, 2, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x[0], [2, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, [1, 2, 2, 2], [1, 2, 2, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, [1, 1, 1, 2], [1, 1, 1, 2], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x[..., :2], [1, 1, 1, 2], [1, 1, 1, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 0, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x[0], 0, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 2, 0, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, 7, 1, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x, [1, 9, 9, 1], [1, 0, 1, 1], "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x[0], 2, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(x[None], 2, 2, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(tf.zeros([0, 2, 2, 1]), 3, 1, "VALID"),
        lambda tf: tf.nn.max_pool_with_argmax(tf.zeros([1, 4, 4, 0]), 2, 2, "SAME"),
        lambda tf: tf.compat.v1.nn.max_pool_with_argmax(x, 2, 2, "SAME", Targmax=tf.int32, output_dtype=tf.int32),
    )


# -- dilation2d / erosion2d ------------------------------------------------------------------

@pytest.mark.parametrize("strides, rates, padding", [
    ([1, 1, 1, 1], [1, 1, 1, 1], "SAME"), ([1, 2, 2, 1], [1, 2, 2, 1], "VALID"), ([1, 1, 2, 1], [1, 2, 1, 1], "SAME"),
    ([1, 1, 1, 1], [1, 0, 1, 1], "SAME"), ([1, 1, 1, 1], [1, -1, 1, 1], "VALID"),
    ((1, 2, 1, 1), (1, 1, 1, 1), "VALID"),
])
def test_dilation_and_erosion(strides, rates, padding):
    check(lambda tf, x, f: (tf.nn.dilation2d(x, f, strides, padding, "NHWC", rates),
                            tf.nn.erosion2d(x, f, strides, padding, "NHWC", rates)), IMG[:, :6, :7], DIL_F)


def test_dilation_ties_and_specials():
    zeros = np.zeros([1, 3, 3, 1], np.float32)
    check(lambda tf, x, f: (tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]),
                            tf.nn.erosion2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])),
          zeros, np.zeros([3, 3, 1], np.float32))
    # No cell beats the lowest: the gradient goes to TF's fallback cells.
    fills = np.array([-np.inf, np.nan, np.inf], np.float32)[:, None, None, None] * np.ones([3, 3, 3, 1], np.float32)
    check(lambda tf, x, f: (tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]),
                            tf.nn.erosion2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])),
          fills, np.zeros([3, 3, 1], np.float32))
    nan = np.array([np.nan, 1, 2, 3], np.float32).reshape(1, 2, 2, 1)
    check(lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]), nan,
          np.zeros([2, 2, 1], np.float32))
    check(lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 3, 3, 1], "SAME", "NHWC", [1, 3, 3, 1]),
          np.ones([1, 1, 1, 1], np.float32), np.zeros([3, 3, 1], np.float32))
    check(lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 2, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]),
          IMG[:1, :6], np.zeros([9, 2, 3], np.float32))  # an empty output (C++ division)


def test_dilation_dtypes():
    x8 = rng.integers(0, 200, size=(2, 6, 7, 3)).astype(np.uint8)
    f8 = rng.integers(0, 60, size=(3, 2, 3)).astype(np.uint8)
    check(lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]), x8, f8)
    check(lambda tf, x, f: (tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 2, 1, 1]),
                            tf.nn.erosion2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 2, 1, 1])),
          x8.astype(np.int32) - 100, f8.astype(np.int32))
    check(lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]),
          IMG[:, :6, :7].astype(np.float64), DIL_F.astype(np.float64), rtol=1e-12)
    check(lambda tf, x, f: tf.nn.erosion2d(x, f, [1, 2, 2, 1], "VALID", "NHWC", [1, 1, 1, 1]),
          IMG[:, :6, :7].astype(np.float16), DIL_F.astype(np.float16), rtol=1e-3, atol=1e-3)
    same_values(lambda tf: tf.function(lambda x: tf.nn.dilation2d(
        x, tf.ones([2, 2, 3]), [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]))(tf.constant(IMG)))


def test_dilation_errors():
    x, f = IMG[:, :6, :7], DIL_F
    ones = [1, 1, 1, 1]
    outcomes(
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", "NCHW", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", None, ones),
        lambda tf: tf.nn.erosion2d(x, f, ones, "SAME", "NCHW", ones),
        lambda tf: tf.nn.dilation2d(x, f, 1, "SAME", "NHWC", 1),
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", "NHWC", 1),
        lambda tf: tf.nn.dilation2d(x, f, [1, 1], "SAME", "NHWC", [1, 1, 1, 1]),
        lambda tf: tf.nn.dilation2d(x, f, [1, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", "NHWC", [1, 1, 1]),
        lambda tf: tf.nn.dilation2d(x, f, [1, 1, 1, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", "NHWC", [1, 1, 1, 1, 1]),
        lambda tf: tf.nn.dilation2d(x, f, [2, 1, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, [1, 1, 1, 2], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, "SAME", "NHWC", [2, 1, 1, 1]),
        lambda tf: tf.nn.dilation2d(x, f, [1, 0, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, [1, 1, -1, 1], "VALID", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x[0], f, [1, 0, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f[None], ones, "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f[:, :, :2], [1, 0, 1, 1], "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, np.zeros([8, 3, 3], np.float32), ones, "VALID", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, "FOO", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f, ones, [[0, 0], [1, 1], [1, 1], [0, 0]], "NHWC", ones),
        lambda tf: tf.nn.dilation2d(tf.constant(x) > 0, tf.constant(f) > 0, ones, "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(tf.complex(x, x), tf.complex(f, f), ones, "SAME", "NHWC", ones),
        lambda tf: tf.nn.dilation2d(x, f.astype(np.float64), ones, "SAME", "NHWC", ones),
        lambda tf: tf.nn.erosion2d(x.astype(np.uint8), f.astype(np.uint8), ones, "VALID", "NHWC", ones),
        lambda tf: tf.nn.erosion2d(x, f[0, 0], ones, "VALID", "NHWC", ones),
        lambda tf: tf.nn.erosion2d(x, f[:, :, :2], ones, "VALID", "NHWC", ones),
        lambda tf: tf.nn.erosion2d(x, f, [2, 1, 1, 1], "SAME", "NHWC", ones),
    )


# -- unravel_index ---------------------------------------------------------------------------

def test_unravel_index():
    outcomes(
        lambda tf: tf.unravel_index([2, 5, 7], [3, 3]), lambda tf: tf.unravel_index(5, [3, 3]),
        lambda tf: tf.unravel_index(tf.constant([2, 5], tf.int64), tf.constant([3, 3], tf.int64)),
        lambda tf: tf.unravel_index(tf.constant([2, 5]), [3, 3]),
        lambda tf: tf.unravel_index([2, 5], tf.constant([3, 3], tf.int64)),
        lambda tf: tf.unravel_index(tf.range(24), [2, 3, 4]), lambda tf: tf.unravel_index([-1, -5], [3, 3]),
        lambda tf: tf.unravel_index([0], tf.zeros([0], tf.int32)),
        lambda tf: tf.unravel_index(tf.constant([2 ** 40], tf.int64), tf.constant([2 ** 20, 2 ** 21], tf.int64)),
        lambda tf: tf.unravel_index(tf.constant(7), tf.constant([2 ** 16, 2 ** 15 - 1])),
        lambda tf: tf.function(lambda i: tf.unravel_index(i, [4, 5]))(tf.constant([3, 19])),
    )


def test_unravel_index_errors():
    outcomes(
        lambda tf: tf.unravel_index([[2, 5], [7, 0]], [3, 3]), lambda tf: tf.unravel_index([[1]], [[3]]),
        lambda tf: tf.unravel_index(tf.constant([2, 5], tf.int64), tf.constant([3, 3])),
        lambda tf: tf.unravel_index([9], [3, 3]),
        lambda tf: tf.unravel_index(tf.constant([0, 100]), tf.constant([3, 3])),
        lambda tf: tf.unravel_index([1], [[3, 3]]), lambda tf: tf.unravel_index([1], 3),
        lambda tf: tf.unravel_index([0], [0, 3]), lambda tf: tf.unravel_index([0], [-1, 0]),
        lambda tf: tf.unravel_index([0], [0, -1]), lambda tf: tf.unravel_index([100], [2, -1]),
        lambda tf: tf.unravel_index(tf.zeros([0], tf.int32), [3, 3]),
        lambda tf: tf.unravel_index(tf.zeros([0], tf.int32), [[3]]),
        lambda tf: tf.unravel_index(tf.zeros([0, 3], tf.int32), [3]),
        lambda tf: tf.unravel_index([1.], [3, 3]),
        lambda tf: tf.unravel_index(tf.constant([1], tf.uint8), tf.constant([3, 3], tf.uint8)),
        lambda tf: tf.unravel_index(tf.constant(7), tf.constant([46341, 46341])),
        lambda tf: tf.unravel_index(tf.constant(7), tf.constant([3, 2 ** 30])),
        lambda tf: tf.unravel_index(tf.constant(7), tf.constant([2 ** 16, 2 ** 16, 0])),
        lambda tf: tf.unravel_index(tf.constant(7, tf.int64), tf.constant([2 ** 32, 2 ** 31], tf.int64)),
    )


# -- histograms ------------------------------------------------------------------------------

H = np.array([-1., 0., 0.5, 1., 1.5, 2., 4.9, 5., 6., np.inf, -np.inf], np.float32)


def test_histogram_fixed_width():
    outcomes(
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=5),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.]),
        lambda tf: tf.histogram_fixed_width(H, [0, 5], nbins=5, dtype=tf.int64),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=tf.constant(3)),
        lambda tf: tf.histogram_fixed_width(tf.constant([16777216.]), [0.5, 33554432.], nbins=2),
        lambda tf: tf.histogram_fixed_width(tf.constant([0.3, 0.6, 0.9, 0.1 * 3]), [0., 0.9], nbins=3),
        lambda tf: tf.histogram_fixed_width(tf.constant([0.3, 0.6, 0.9], tf.float64), [0., 0.9], nbins=3),
        lambda tf: tf.histogram_fixed_width(tf.constant([0, 1, 2, 3, 4, 5, 6, -3]), [0, 5], nbins=5),
        lambda tf: tf.histogram_fixed_width(tf.constant([2 ** 31 - 1, -2 ** 31]), [-2 ** 31, 2 ** 31 - 1], nbins=4),
        lambda tf: tf.histogram_fixed_width(tf.constant([2 ** 62], tf.int64),
                                            tf.constant([-2 ** 62, 2 ** 62 + 1], tf.int64), nbins=4),
        lambda tf: tf.histogram_fixed_width(tf.reshape(tf.range(12.), [3, 4]), [0., 12.], nbins=4),
        lambda tf: tf.histogram_fixed_width(3., [0., 12.], nbins=4),
        lambda tf: tf.histogram_fixed_width(tf.zeros([0]), [0., 12.], nbins=4),
        lambda tf: tf.histogram_fixed_width(tf.constant([1., 2.]), [0., np.inf], nbins=2),
        lambda tf: tf.function(lambda v, r: tf.histogram_fixed_width(v, r, nbins=4))(tf.constant(H[:9]),
                                                                                      tf.constant([0., 4.])),
    )
    check(lambda tf, x: tf.histogram_fixed_width(x * 2, [0., 5.], nbins=5), H[:9])  # no gradient


def test_histogram_fixed_width_errors():
    outcomes(
        lambda tf: tf.histogram_fixed_width(np.append(H, np.nan), [0., 5.], nbins=5),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=5, dtype=tf.float32),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=0),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=-1),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=[3]),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=tf.constant(3, tf.int64)),
        lambda tf: tf.histogram_fixed_width(H, [0., 5.], nbins=5.),
        lambda tf: tf.histogram_fixed_width(H, [5., 0.], nbins=5),
        lambda tf: tf.histogram_fixed_width(H, [1., 1.]),
        lambda tf: tf.histogram_fixed_width(H, [0., np.nan], nbins=2),
        lambda tf: tf.histogram_fixed_width(H, tf.constant([3., 0.]), nbins=3),
        lambda tf: tf.histogram_fixed_width(H, [0.123456789, 0.1], nbins=3),
        lambda tf: tf.histogram_fixed_width(H, [1234567., 0.1], nbins=3),
        lambda tf: tf.histogram_fixed_width(tf.constant([1, 2], tf.int64), tf.constant([2 ** 40, 1], tf.int64), nbins=3),
        lambda tf: tf.histogram_fixed_width(H, [0., 1., 2.], nbins=5),
        lambda tf: tf.histogram_fixed_width(H, [[0., 1.]]),
        lambda tf: tf.histogram_fixed_width(H, tf.zeros([0]), nbins=3),
        lambda tf: tf.histogram_fixed_width(H, 1., nbins=3),
        lambda tf: tf.histogram_fixed_width(H, [3., 0.], nbins=[3]),
        lambda tf: tf.histogram_fixed_width(H, [3., 0., 1.], nbins=[3]),
        lambda tf: tf.histogram_fixed_width(H, tf.constant([0, 5.], tf.float64), nbins=5),
        lambda tf: tf.histogram_fixed_width(tf.constant([0, 1, 2, 3]), [0., 5.], nbins=5),
        lambda tf: tf.histogram_fixed_width(tf.constant([0, 1], tf.float16), tf.constant([0, 5], tf.float16)),
        lambda tf: tf.histogram_fixed_width(tf.constant([True]), [False, True], nbins=3),
    )


def test_histogram_fixed_width_bins():
    outcomes(
        lambda tf: tf.histogram_fixed_width_bins(H, [0., 5.], nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(tf.reshape(H[:10], [2, 5]), [0., 5.], nbins=5, dtype=tf.int64),
        lambda tf: tf.histogram_fixed_width_bins(tf.constant([0.3, 0.6, 0.9, 0.1 * 3]), [0., 0.9], nbins=3),
        lambda tf: tf.histogram_fixed_width_bins(3., [0., 12.], nbins=4),
        lambda tf: tf.histogram_fixed_width_bins(H, [0., 1., 2.], nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(tf.constant([0., 1, 2], tf.float64), [0., 5], nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(H, [0., 5.], nbins=0),
        lambda tf: tf.histogram_fixed_width_bins(tf.constant([0, 1, 2, 3]), [0, 5], nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(tf.constant([0., 1, 2]), tf.constant([0., 5], tf.float64), nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(H, [0.], nbins=5),
        lambda tf: tf.histogram_fixed_width_bins(H, [0., 5.], nbins=5.),
    )
    check(lambda tf, x: tf.histogram_fixed_width_bins(x, [0., 5.], nbins=5), H[:9])  # no gradient
