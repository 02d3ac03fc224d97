"""tf.nn convolutions against real TensorFlow: values and gradients for each
stride/dilation/padding form, and TF's CPU kernels' errors."""
import numpy as np
import pytest

from difftest import check, check_raises, check_raises_isolated, same_outcome

rng = np.random.default_rng(4)
X = rng.normal(size=(2, 6, 5, 3)).astype(np.float32)
W = rng.normal(size=(3, 2, 3, 4)).astype(np.float32)
X1 = X[:, 0]  # [2, 5, 3]
W1 = W[0]  # [2, 3, 4]
TOL = dict(rtol=1e-4, atol=1e-4)


def test_dilated_forward():
    # TF's CPU kernels have no gradient for dilated or grouped convolutions
    # (jaxtape's come from JAX), so only values are compared.
    check(lambda tf, x, w: (tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME", dilations=2),
                            tf.nn.conv2d(x, w, 3, "SAME", dilations=[1, 2]),
                            tf.nn.conv1d(x[:, 0], w[0], 2, "SAME", dilations=2),
                            tf.nn.convolution(x[:, 0], w[0], padding="VALID", dilations=[2])),
          X, W, grad=False, **TOL)
    check(lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"),
          rng.normal(size=(1, 4, 4, 4)), rng.normal(size=(2, 2, 2, 6)), grad=False,
          rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fn", [
    lambda tf, x, w: (tf.nn.conv2d(x, w, 1, "SAME"), tf.nn.conv2d(x, w, [2, 1], "VALID")),
    lambda tf, x, w: tf.nn.conv2d(x, w, 2, [[0, 0], [1, 2], [0, 1], [0, 0]]),
    lambda tf, x, w: tf.nn.conv2d(x[None], w, 1, "VALID"),  # extra batch dims
    lambda tf, x, w: tf.nn.convolution(x, w, padding="SAME", strides=2),
])
def test_conv2d(fn):
    check(fn, X, W, **TOL)


def test_float64():
    check(lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"),
          rng.normal(size=(1, 4, 4, 2)), rng.normal(size=(2, 2, 2, 3)), rtol=1e-10, atol=1e-10)


def test_int32_conv2d():
    check(lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"),
          rng.integers(-3, 3, size=(1, 4, 4, 2)).astype(np.int32),
          rng.integers(-3, 3, size=(2, 2, 2, 3)).astype(np.int32))


@pytest.mark.parametrize("fn", [
    lambda tf, x, w: (tf.nn.conv1d(x, w, 1, "SAME"), tf.nn.conv1d(x, w, [1, 2, 1], "VALID")),
    lambda tf, x, w: (tf.nn.conv1d(x, w, 2, "VALID"), tf.nn.convolution(x, w, padding="SAME")),
])
def test_conv1d(fn):
    check(fn, X1, W1, **TOL)


def test_conv3d():
    check(lambda tf, x, w: (tf.nn.convolution(x, w, strides=2, padding="SAME"),
                            tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "VALID")),
          rng.normal(size=(1, 4, 3, 4, 2)).astype(np.float32),
          rng.normal(size=(2, 2, 2, 2, 3)).astype(np.float32), grad=False, **TOL)  # TF's Conv3D grad fails eagerly


@pytest.mark.parametrize("out,strides,padding", [
    ([2, 6, 5, 3], 1, "SAME"), ([2, 11, 9, 3], 2, "SAME"), ([2, 12, 10, 3], 2, "SAME"),
    ([2, 13, 10, 3], 2, "VALID"), ([12, 10], [2, 2], "SAME"),
    ([2, 12, 9, 3], 2, [[0, 0], [1, 0], [0, 1], [0, 0]]),
])
def test_conv2d_transpose(out, strides, padding):
    y = rng.normal(size=(2, 6, 5, 4)).astype(np.float32)
    check(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, out, strides, padding), y, W, **TOL)


def test_conv1d_transpose():
    check(lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [2, 10, 3], 2, "SAME"),
          rng.normal(size=(2, 5, 4)).astype(np.float32), W1, **TOL)


@pytest.mark.parametrize("strides,padding,dilations", [
    ([1, 1, 1, 1], "SAME", None), ([1, 2, 2, 1], "VALID", None), ([1, 1, 1, 1], "SAME", [2, 2]),
    ([1, 1, 1, 1], "VALID", [2, 1]), ([1, 2, 2, 1], [[0, 0], [1, 0], [1, 1], [0, 0]], None),
])
def test_depthwise(strides, padding, dilations):
    f = rng.normal(size=(2, 2, 3, 2)).astype(np.float32)
    check(lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, strides, padding, dilations=dilations),
          X, f, **TOL)


def test_conv2d_errors(tmp_path):
    # TF's CPU kernels can abort the process on a bad conv2d: TF runs these in a subprocess.
    check_raises_isolated([
        ("tf.nn.conv2d(x[0], w, 1, 'SAME')", "convolution input must be 4-dimensional: [6,5,3]"),
        ("tf.nn.conv2d(x, w[0], 1, 'SAME')", "convolution filter must be 4-dimensional: [2,3,4]"),
        ("tf.nn.conv2d(x, w[:, :, :2], 1, 'SAME')",
         "input depth must be evenly divisible by filter depth: 3 vs 2"),
        ("tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2]), w, 1, 'SAME', data_format='NCHW')",
         "The Conv2D op currently only supports the NHWC tensor format on the CPU."),
        ("tf.nn.conv2d(x[:, :1], w, 1, 'VALID')",
         "Computed output size would be negative: -1 [input_size: 1, effective_filter_size: 3, "
         "stride: 1]"),
        ("tf.nn.conv2d(x, w, [1, 1, 1], 'SAME')",
         "strides should be of length 1, 2 or 4. Received: strides=[1, 1, 1] of length 3"),
        ("tf.nn.conv2d(x, w, [2, 1, 1, 1], 'SAME')",
         "does not yet support strides in the batch and depth dimensions"),
        ("tf.nn.conv2d(x, w, 1, 'same')",
         'Value for attr \'padding\' of "same" is not in the list of allowed values'),
        ("tf.nn.conv2d(x, w, 1, [[0, 0], [1, 1], [0, 0]])",
         "When padding is a list, it must be of size 4."),
        ("tf.nn.conv2d(x, w, 1, [[1, 0], [1, 1], [0, 0], [0, 0]])",
         "Nonzero explicit padding in the batch or depth dimensions is not supported"),
        ("tf.nn.conv2d(x, tf.cast(w, tf.float64), 1, 'SAME')",
         "expected to be a float tensor but is a double tensor"),
        ("tf.nn.conv2d(tf.cast(x, tf.int64), tf.cast(w, tf.int64), 1, 'SAME')",
         "Value for attr 'T' of int64 is not in the list of allowed values"),
    ], tmp_path, x=X, w=W)


def test_conv1d_errors():
    c = check_raises
    c(lambda tf, x, w: tf.nn.conv1d(x[0], w, 1, "SAME"), X1, W1,
      match="convolution input must be 4-dimensional: [1,5,3]")
    c(lambda tf, x, w: tf.nn.conv1d(x, w, [2, 2], "SAME"), X1, W1,
      match="stride should be of length 1, 1 or 3.")
    c(lambda tf, x, w: tf.nn.conv1d(x, w, 1, [[0, 0], [1, 1], [0, 0]]), X1, W1,
      match="Expected string for argument 'padding'")
    c(lambda tf, x, w: tf.nn.conv1d(tf.transpose(x, [0, 2, 1]), w, 1, "SAME", data_format="NCW"),
      X1, W1, match="only supports the NHWC tensor format")


def test_transpose_errors():
    c = check_raises
    y = rng.normal(size=(1, 3, 3, 4)).astype(np.float32)
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 4, 5, 3], 1, "SAME"), y, W,
      match="Size of out_backprop doesn't match computed: actual = 3, computed = 4 spatial_dim: 1 "
            "input: 4 filter: 3 output: 3 stride: 1 dilation: 1")
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y[..., :3], w, [1, 3, 3, 3], 1, "SAME"), y, W,
      match="filter and out_backprop must have the same out_depth")
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 2], 1, "SAME"), y, W,
      match="input depth must be evenly divisible by filter depth")
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y[0], w, [1, 3, 3, 3], 1, "SAME"), y, W,
      match="input_sizes must be 4-dimensional, got: 3")
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3], 1, "SAME"), y, W,
      match="requires input_sizes to contain 4 values or 2 values, but got: 3")
    c(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, "SAME", dilations=2), y, W,
      match="do not yet support dilation rates larger than 1")


def test_depthwise_errors():
    c = check_raises
    f = rng.normal(size=(2, 2, 3, 2)).astype(np.float32)
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 2], "SAME"), X, f,
      match="Sliding window strides field must specify 4 dimensions")
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 2, 1, 1], "SAME"), X, f,
      match="only supports equal length strides in the row and column dimensions")
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(x, f[:, :, :2], [1, 1, 1, 1], "SAME"), X, f,
      match="input and filter must have the same depth: 3 vs 2")
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(x[0], f, [1, 1, 1, 1], "SAME"), X, f,
      match="input must be 4-dimensional[6,5,3]")
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(tf.transpose(x, [0, 3, 1, 2]), f, [1, 1, 1, 1], "SAME",
                                              data_format="NCHW"),
      X, f, match="Depthwise convolution on CPU is only supported for NHWC format")
    c(lambda tf, x, f: tf.nn.depthwise_conv2d(tf.cast(x, tf.int32), tf.cast(f, tf.int32),
                                              [1, 1, 1, 1], "SAME"),
      X, f, match="Value for attr 'T' of int32 is not in the list of allowed values")


# -- TF's checks in TF's order, zero sizes, int32 transposes ---------------------------

Y = rng.normal(size=(1, 3, 3, 4)).astype(np.float32)  # conv2d_transpose input
F = rng.normal(size=(2, 2, 3, 2)).astype(np.float32)  # depthwise filter
X3 = rng.normal(size=(1, 4, 3, 4, 2)).astype(np.float32)
W3 = rng.normal(size=(2, 2, 2, 2, 3)).astype(np.float32)


def _int(shape):
    return rng.integers(-3, 3, size=shape).astype(np.int32)


@pytest.mark.parametrize("out,strides,padding", [
    ([1, 3, 3, 3], 1, "SAME"), ([1, 5, 5, 3], 2, [[0, 0], [1, 1], [0, 1], [0, 0]]),
    ([1, 9, 7, 3], [3, 2], "VALID"), ([3, 3], 1, "SAME"),
])
def test_int32_conv2d_transpose(out, strides, padding):
    # TF's CPU kernel computes int32 transposes (JAX's VJP has no integer cotangents).
    check(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, out, strides, padding), _int((1, 3, 3, 4)),
          _int((3, 2, 3, 4)))


@pytest.mark.parametrize("out,strides,padding", [
    ([1, 1, 2, 3], 1, [[0, 0], [2, 1], [1, 1], [0, 0]]),  # padding beyond the filter
    ([1, 4, 5, 3], 2, [[0, 0], [3, 0], [0, 2], [0, 0]]),
])
def test_conv2d_transpose_large_padding(out, strides, padding):
    w = rng.normal(size=(2, 2, 3, 4)).astype(np.float32)
    check(lambda tf, y, w: tf.nn.conv2d_transpose(y, w, out, strides, padding), Y, w, **TOL)


def _outcomes(cases, **arrays):
    for case in cases:
        same_outcome(lambda tf: case(tf, **{k: tf.constant(v) for k, v in arrays.items()}))


def test_transpose_dtypes_and_order():
    # Input numbering as TF's op names them (input_sizes #0, filter #1, out_backprop #2; T
    # from the filter); a list `output_shape` takes TF's slow path (no " name: ").
    _outcomes([
        lambda tf, y, w: tf.nn.conv2d_transpose(tf.cast(y, tf.int32), w, [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, tf.cast(w, tf.int32), [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, tf.cast(w, tf.float64), [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(tf.cast(y, tf.int64), w, [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, tf.cast(w, tf.int64), [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, tf.constant([1, 3, 3, 3], tf.int64), 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, tf.cast(w, tf.float64),
                                                tf.constant([1, 3, 3, 3], tf.int64), 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, tf.constant([1., 3, 3, 3]), 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, tf.cast(w, tf.float64), [1, 3, 3, 3.5], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(tf.cast(y, tf.int64), tf.cast(w, tf.int64),
                                                [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, "SAME", data_format="NCWH"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, 5),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, "EXPLICIT"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, [[0, 0], [1, 1], [0, 1], 0]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, [[0, 0], [1, 1], [0, 1], [0]]),
    ], y=Y, w=W)


def test_transpose_kernel_checks():
    _outcomes([
        # The batch sizes must agree (list and tensor output_shape; TF's order of checks).
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [2, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(tf.concat([y, y], 0), w, [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, tf.constant([2, 3, 3, 3]), 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y[..., :3], w, [2, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [2, 3, 3, 2], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [2, 4, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(tf.cast(y, tf.int32), tf.cast(w, tf.int32),
                                                [2, 3, 3, 3], 1, "SAME"),
        # Grouped transposes: TF's CPU kernel has none.
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 6], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 0], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w[:, :, :0], [1, 3, 3, 0], 1, "SAME"),
        # The kernel's constructor: NHWC only, then strides, dilations, padding.
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 2], 1, "SAME", data_format="NCHW"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 0, "SAME", data_format="NCHW"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], [1, 1, 1, 2], "SAME",
                                                dilations=[1, 1, 1, 2]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], [1, 0, 1, 1], "SAME",
                                                dilations=[1, 1, 1, 2]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, "SAME", dilations=[2, 1, 1, 1]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, "SAME", dilations=0),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, [[1, 0], [1, 1], [0, 1], [0, 0]],
                                                dilations=2),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, [[-1, 0], [1, 1], [0, 1], [0, 0]]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 3, 3, 3], 1, [[1, 0], [1, 1], [0, 1], [0, 0]]),
        # Compute: out_backprop's rank, then input_sizes, then the filter.
        lambda tf, y, w: tf.nn.conv2d_transpose(y[0], w, [1, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w[0], [1, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w[0], [1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [[1, 3, 3, 3]], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, 3, 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [-1, 3, 3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [-3, 3], 1, "SAME"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 1, 3, 3], 1, "VALID"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 1, 3, 3], 2, "VALID"),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 2, 2, 3], 1, [[0, 0], [2, 3], [1, 1], [0, 0]]),
        lambda tf, y, w: tf.nn.conv2d_transpose(y, w, [1, 5, 3, 3], 2.0, "SAME"),
    ], y=Y, w=W)


def test_transpose_zero_sizes():
    check(lambda tf, y, w: (tf.nn.conv2d_transpose(y[:, :0], w, [1, 0, 3, 3], 1, "SAME"),
                            tf.nn.conv2d_transpose(y[:0], w, [0, 3, 3, 3], 1, "SAME"),
                            tf.nn.conv2d_transpose(y, w[:0], [1, 3, 3, 3], 1, "SAME"),
                            tf.nn.conv2d_transpose(y[..., :0], w[..., :0], [1, 3, 3, 3], 1, "SAME")),
          Y, W, grad=False)  # TF's gradients here fail or read uninitialized memory


def test_conv1d_transpose_checks():
    y, w = rng.normal(size=(2, 5, 4)).astype(np.float32), W1
    check(lambda tf, y, w: (tf.nn.conv1d_transpose(y, w, tf.constant([2, 10, 3]), 2, "SAME"),
                            tf.nn.conv1d_transpose(y, w, [2, 10, 3], [1, 2, 1], "VALID")),
          y, w, **TOL)
    _outcomes([
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [3, 10, 3], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [2, 10, 3], 2, "SAME", data_format="NHWC"),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [2, 10, 3], 2, "SAME", data_format="NCW"),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [2, 10, 3], 2, [[0, 0], [1, 1], [0, 0]]),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, [10, 3], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, tf.cast(w, tf.float64), [2, 10, 3], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv1d_transpose(y, w, tf.constant([2, 10, 3], tf.int64), 2, "SAME"),
        lambda tf, y, w: tf.nn.conv1d_transpose(tf.cast(y, tf.int32), tf.cast(w, tf.int32), [2, 10, 3],
                                                2, "SAME"),
    ], y=y, w=w)


def test_conv_zero_sizes():
    # An empty output returns before the kernel's later checks; an empty input gives zeros.
    xi, wi = _int((2, 6, 5, 3)), _int((3, 2, 3, 4))
    check(lambda tf, x, w: (tf.nn.conv2d(x[:, :0], w, 1, "SAME"), tf.nn.conv2d(x[:, :0], w, 2, "VALID"),
                            tf.nn.conv2d(x[:, :0], w, 1, [[0, 0], [1, 2], [0, 0], [0, 0]]),
                            tf.nn.conv2d(x[..., :0], w[:, :, :1], 1, "SAME"),
                            tf.nn.conv2d(x[:, :0], w[:0], 1, "VALID"), tf.nn.conv2d(x[:0], w[:0], 1, "SAME"),
                            tf.nn.conv2d(x[:0], w[:, :, :1], 1, "SAME"),
                            tf.nn.conv2d(x[None][:, :, :0], w, 1, "SAME"),
                            tf.nn.conv1d(x[:, 0, :0], w[0], 1, "SAME"),
                            tf.nn.convolution(x[:, :0], w, padding="SAME", dilations=2)),
          X, W, grad=False)  # TF's gradients of some fail (grouped, empty filters)
    check(lambda tf, x, w: (tf.nn.conv2d(x[:, :0], w, 1, "SAME"), tf.nn.conv2d(x[:, :0], w, 2, "VALID"),
                            tf.nn.conv2d(x[:, :0], w, 1, [[0, 0], [1, 2], [0, 0], [0, 0]])), X, W)
    # TF's gradient of an NCHW conv2d fails on the CPU.
    check(lambda tf, x, w: tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2])[:0], w, 1, "SAME", data_format="NCHW"),
          X, W, grad=False)
    check(lambda tf, x, w: tf.nn.conv2d(x[:, :0], w, 1, "SAME"), xi, wi)
    check(lambda tf, x, w: (tf.nn.conv3d(x[:, :0], w, [1, 1, 1, 1, 1], "SAME"),
                            tf.nn.conv3d(x[:, :1], w[..., :1, :], [1, 1, 1, 1, 1], "VALID"),
                            tf.nn.conv3d(x[None, :, :0], w, [1, 1, 1, 1, 1], "SAME")),
          X3, W3, grad=False)


def test_conv_zero_size_errors(tmp_path):
    check_raises_isolated([
        ("tf.nn.conv2d(x, w[:0], 1, 'SAME')",
         "filter must not have zero elements (i.e. all dimensions must be non-zero)"),
        ("tf.nn.conv2d(x[:, :1], w[:0], 1, 'VALID')", "filter must not have zero elements"),
        ("tf.nn.conv1d(x[:, 0], w[0, :0], 1, 'SAME')", "filter must not have zero elements"),
        ("tf.nn.conv2d(x, w[:, :, :0, :0], 1, 'SAME')", "filter depth must be stricly positive, got 0"),
        ("tf.nn.conv2d(x, w[:, :, :1], 1, 'SAME')",
         "output depth must be evenly divisible by number of groups: 4 vs 3"),
        ("tf.nn.conv3d(x3, w3[:0], [1, 1, 1, 1, 1], 'SAME')", "filter must not have zero elements"),
        ("tf.nn.conv3d(x3, w3[..., :0, :], [1, 1, 1, 1, 1], 'VALID')", "filter_depth must be non-zero"),
        ("tf.nn.conv3d(x3[..., :0], w3, [1, 1, 1, 1, 1], 'VALID')",
         "Number of channels in filter (2) must match last dimension of input (0)"),
    ], tmp_path, x=X, w=W, x3=X3, w3=W3)


def test_conv2d_check_order(tmp_path):
    # The kernel's constructor (strides, dilations, padding) before the shapes; NCHW's
    # refusal after them.
    check_raises_isolated([
        ("tf.nn.conv2d(x[0], w, [1, 1, 1, 2], 'SAME')",
         "Current implementation does not yet support strides in the batch and depth dimensions."),
        ("tf.nn.conv2d(x, w[:, :, :2], [1, 0, 1, 1], 'SAME')", "Row and column strides should be larger than 0."),
        ("tf.nn.conv2d(x, w, [1, 0, 1, 1], 'SAME', dilations=[2, 1, 1, 1])", "Row and column strides should"),
        ("tf.nn.conv2d(x, w[:, :, :2], 1, 'SAME', dilations=[1, 1, 1, 2])",
         "Current implementation does not yet support dilations in the batch and depth dimensions."),
        ("tf.nn.conv2d(x, w, 1, [[-1, 0], [1, 1], [0, 0], [0, 0]])",
         "All elements of explicit_paddings must be nonnegative"),
        ("tf.nn.conv2d(x, w, 1, [[0, 0], [0, 0], [1, 1], [1, 1]], data_format='NCHW')",
         "The Conv2D op currently only supports the NHWC tensor format on the CPU."),
        ("tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2]), w, [1, 2, 1, 1], 'SAME', data_format='NCHW')",
         "does not yet support strides in the batch and depth dimensions"),
        ("tf.nn.conv2d(x, w, 1, 'VALID', data_format='NWHC')",
         'Value for attr \'data_format\' of "NWHC" is not in the list of allowed values'),
        ("tf.nn.conv2d(x, tf.cast(w, tf.float64), 1, 'same')",
         'Value for attr \'padding\' of "same" is not in the list of allowed values'),
        ("tf.nn.conv2d(tf.cast(x, tf.int64), w, 1, 'SAME')", "Value for attr 'T' of int64"),
        ("tf.nn.conv2d(x, w, 1, 'EXPLICIT')", "'EXPLICIT' is not a valid value for `padding`."),
        ("tf.nn.conv2d(x, w, 1, [[0, 0], [1, 1], [0, 1], 0])", "with element at index 3 of type"),
        ("tf.nn.conv2d(x, w, 1, 5)", "Expected string for argument 'padding' not 5."),
        ("tf.nn.conv1d(x[:, 0], w[0], 1, 'EXPLICIT')",
         "explicit_paddings attribute must contain 8 values, but got: 0"),
        ("tf.nn.convolution(x, w, padding=[[0, 0], [1, 1], [0, 1], [0, 0]])",
         "Expected string for argument 'padding'"),
    ], tmp_path, x=X, w=W)
    check(lambda tf, x, w: tf.nn.conv2d(x, w, 2.0, "SAME"), X, W, **TOL)


def test_conv3d_checks(tmp_path):
    s = "[1, 1, 1, 1, 1]"
    check_raises_isolated([
        ("tf.nn.conv3d(x, w, 1, 'SAME')", "Expected list for 'strides' argument to 'conv3d' Op, not 1."),
        (f"tf.nn.conv3d(x, w, {s}, 'SAME', dilations=2)", "Expected list for 'dilations' argument"),
        (f"tf.nn.conv3d(x, w, {s}, [[0, 0], [1, 1], [0, 1], [0, 0], [0, 0]])",
         "Expected string for argument 'padding'"),
        ("tf.nn.conv3d(x, w, [1, 1, 1, 1], 'VALID')", "Length for attr 'strides' of 4 must be at least minimum 5"),
        ("tf.nn.conv3d(x, w, [1, 1, 1, 1, 1, 1], 'VALID')", "Sliding window strides field must specify 5 dimensions"),
        (f"tf.nn.conv3d(x, w, {s}, 'VALID', dilations=[1, 1, 1, 1])",
         "Dilation rates field must specify 5 dimensions"),
        ("tf.nn.conv3d(x[0], w, [2, 1, 1, 1, 1], 'VALID')",
         "Current implementation does not yet support strides in the batch and depth dimensions."),
        ("tf.nn.conv3d(x, w, [1, 0, 1, 1, 1], 'SAME')", "Spatial strides should be larger than 0."),
        (f"tf.nn.conv3d(x, w, {s}, 'SAME', dilations=[1, 1, 1, 1, 2])",
         "does not yet support dilation rates in the batch and depth dimensions."),
        (f"tf.nn.conv3d(x, w, {s}, 'SAME', dilations=[1, 0, 1, 1, 1])", "Dilated rates should be larger than 0."),
        (f"tf.nn.conv3d(x, w, {s}, 'SAME', dilations=[1, 2, 2, 2, 1])",
         "CPU implementation of Conv3D currently only supports dilated rates of 1."),
        (f"tf.nn.conv3d(x, w[..., :1, :], {s}, 'SAME')",
         "Number of channels in filter (1) must match last dimension of input (2)"),
        (f"tf.nn.conv3d(x[..., :1], w, {s}, 'VALID')",
         "Input depth must be evenly divisible by filter depth: 1 vs 2"),
        (f"tf.nn.conv3d(x[0], w, {s}, 'SAME')", "input must be 5-dimensional"),
        (f"tf.nn.conv3d(x, w[0], {s}, 'SAME')", "filter must be 5-dimensional"),
        (f"tf.nn.conv3d(tf.transpose(x, [0, 4, 1, 2, 3]), w, {s}, 'SAME', data_format='NCDHW')",
         "CPU implementation of Conv3D currently only supports the NHWC tensor format."),
        (f"tf.nn.conv3d(x, w, {s}, 'VALID', data_format='NDHCW')", "Value for attr 'data_format' of \"NDHCW\""),
        (f"tf.nn.conv3d(tf.cast(x, tf.int32), tf.cast(w, tf.int32), {s}, 'VALID')",
         "Value for attr 'T' of int32 is not in the list of allowed values: half, bfloat16, float, double"),
    ], tmp_path, x=X3, w=W3)
    check(lambda tf, x, w: tf.nn.conv3d(x[None], w, [1, 1, 1, 1, 1], "SAME"), X3, W3, grad=False, **TOL)


def test_convolution_dilated():
    # tf.nn.convolution runs a dilated convolution as TF's `Convolution` (space-to-batch).
    check(lambda tf, x, w: (tf.nn.convolution(x, w, dilations=[1, 1, 1, 2], padding="SAME"),
                            tf.nn.convolution(x, w, dilations=2, padding=[[0, 0], [1, 2], [0, 1], [0, 0]]),
                            tf.nn.convolution(x[None], w, padding="SAME", dilations=2),  # 2 batch dims
                            tf.nn.convolution(x[:, 0], w[0], padding="SAME", dilations=[2])),
          X, W, grad=False, **TOL)
    check(lambda tf, x, w: (tf.nn.convolution(x, w, padding="SAME", dilations=2),
                            tf.nn.convolution(x, w, padding="VALID", dilations=[2, 1, 2])),
          rng.normal(size=(1, 5, 4, 5, 2)).astype(np.float32), W3, grad=False, **TOL)
    _outcomes([
        lambda tf, x, w: tf.nn.convolution(x, w, strides=2, dilations=2, padding="SAME"),
        lambda tf, x, w: tf.nn.convolution(x, w, dilations=2, padding="same"),
        lambda tf, x, w: tf.nn.convolution(x, w, dilations=0, padding="SAME"),
        lambda tf, x, w: tf.nn.convolution(x, w, dilations=2, padding="SAME", data_format="NCHW"),
        lambda tf, x, w: tf.nn.convolution(x, w[:, :, :2], dilations=2, padding="SAME"),
        lambda tf, x, w: tf.nn.convolution(x, w[0, 0]),
        lambda tf, x, w: tf.nn.convolution(x[:, 0], w[0], padding=[[0, 0], [1, 2], [0, 0]], dilations=[2]),
    ], x=X, w=W)


@pytest.mark.filterwarnings("ignore:When dilation rate is greater than 1")
def test_depthwise_check_order():
    _outcomes([
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME", dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], [[0, 0], [1, 2], [0, 1], [0, 0]],
                                                dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", dilations=[2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", dilations=[0, 1]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, 1, "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "same", dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "EXPLICIT"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], [[0, 0], [1, 1], [1, 0]]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], [[-1, 0], [1, 1], [1, 0], [0, 0]]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], [[0, 0], [-1, 1], [1, 0], [0, 0]],
                                                dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[0], f, [1, 1, 1, 1], "SAME", dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[0, 0], f, [1, 1, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f[0], [1, 1, 1, 1], "VALID", dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, tf.cast(f, tf.float64), [1, 2, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, tf.cast(f, tf.float64), [1, 1, 1, 1], "SAME",
                                                dilations=[2, 2]),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[0], tf.cast(f, tf.float64), [1, 1, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(tf.cast(x, tf.int32), f, [1, 1, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[0], f, [1, 2, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[0], f[:, :, :2], [1, 1, 1, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f[:, :, :2], [1, 1, 1, 1], "SAME", data_format="NCHW"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(tf.transpose(x, [0, 3, 1, 2]), f, [1, 2, 1, 1], "SAME",
                                                data_format="NCHW"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", data_format="NCWH"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x, f, [1, 0, 0, 1], "SAME"),
        lambda tf, x, f: tf.nn.depthwise_conv2d(x[:, :1], f, [1, 1, 1, 1], "VALID"),
    ], x=X, f=F)


@pytest.mark.filterwarnings("ignore:When dilation rate is greater than 1")
def test_depthwise_strided_dilated_and_zero_sizes():
    # TF runs a dilated depthwise convolution on space-to-batch blocks, strides and all.
    check(lambda tf, x, f: (tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME", dilations=[2, 2]),
                            tf.nn.depthwise_conv2d(x, f, [1, 3, 3, 1], "VALID", dilations=[2, 1])),
          X, F, **TOL)
    check(lambda tf, x, f: (tf.nn.depthwise_conv2d(x[:, :0], f, [1, 1, 1, 1], "SAME"),
                            tf.nn.depthwise_conv2d(x[..., :0], f[:, :, :0], [1, 1, 1, 1], "SAME"),
                            tf.nn.depthwise_conv2d(x, f[:0], [1, 1, 1, 1], "VALID"),
                            tf.nn.depthwise_conv2d(x, f[..., :0], [1, 1, 1, 1], "SAME")),
          X, F, grad=False)  # TF's input gradient with an empty filter is uninitialized memory
