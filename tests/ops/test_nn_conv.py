"""tf.nn convolutions against real TensorFlow: values and gradients for each
stride/dilation/padding form, and TF's CPU kernels' errors."""
import numpy as np
import pytest

from difftest import check, check_raises, check_raises_isolated

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
