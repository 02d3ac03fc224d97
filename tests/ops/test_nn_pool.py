"""tf.nn pooling against real TensorFlow: values, the max-pool gradient on
ties (first maximum of a window), SAME average pooling's count, and errors."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(5)
X = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
# Ties inside windows: the gradient goes to one element of each window only.
TIES = np.array([[1., 3., 3., 2., 2.], [3., 0., 1., 3., 2.], [0., 3., 3., 1., 2.]],
                np.float32)[None, :, :, None]


@pytest.mark.parametrize("fn", [
    lambda tf, x: (tf.nn.max_pool2d(x, 2, 2, "VALID"), tf.nn.avg_pool2d(x, 2, 2, "VALID")),
    lambda tf, x: (tf.nn.max_pool2d(x, [3, 2], [2, 1], "SAME"), tf.nn.avg_pool2d(x, 3, 2, "SAME")),
    lambda tf, x: (tf.nn.max_pool(x, [1, 2, 3, 1], [1, 1, 2, 1], "SAME"),
                   tf.nn.avg_pool(x, 4, 3, "SAME")),
    lambda tf, x: tf.nn.max_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 0], [0, 0]]),
    lambda tf, x: (tf.nn.max_pool1d(x[:, 0], 2, 1, "VALID"), tf.nn.avg_pool1d(x[:, 0], 3, 2, "SAME"),
                   tf.nn.max_pool(x[:, 0], [3], [2], "SAME"), tf.nn.avg_pool(x[:, 0], 2, 2, "VALID")),
])
def test_pool(fn):
    check(fn, X)


def test_pool3d():  # TF's 3-D pooling gradients fail eagerly (data_format None): values only
    check(lambda tf, x: (tf.nn.max_pool3d(x[None], 2, 1, "VALID"), tf.nn.avg_pool(x[None], 2, 2, "SAME"),
                         tf.nn.avg_pool3d(x[None], [1, 2, 3], 1, "VALID")), X, grad=False)


def test_max_pool_gradient_on_ties():
    check(lambda tf, x: (tf.nn.max_pool2d(x, 2, 2, "VALID"), tf.nn.max_pool2d(x, [2, 3], 1, "SAME"),
                         tf.nn.max_pool2d(x, 3, 2, "SAME")), TIES)


def test_window_larger_than_input_and_dtypes():
    check(lambda tf, x: tf.nn.avg_pool2d(x, 5, 1, "SAME"), X)
    # An empty output: TF's MaxPoolGrad then leaves garbage in the gradient.
    check(lambda tf, x: tf.nn.max_pool2d(x, 6, 1, "VALID"), X, grad=False)
    # A SAME window larger than the input: TF's CPU AvgPoolGrad then divides by
    # a count that disagrees with its forward (GetBroadcastSize overwrites the
    # clipped size); jaxtape's gradient is the forward's, so values only.
    check(lambda tf, x: tf.nn.avg_pool2d(x, 6, 1, "SAME"), X, grad=False)
    check(lambda tf, x: (tf.nn.max_pool2d(x, 2, 2, "SAME"), tf.nn.avg_pool2d(x, 2, 2, "SAME")),
          X.astype(np.float16), rtol=1e-3, atol=1e-3)
    check(lambda tf, x: tf.nn.max_pool2d(x, 2, 1, "SAME"), (X * 10).astype(np.int32))
    check(lambda tf, x: tf.nn.avg_pool2d(x, 3, 1, "SAME"), X.astype(np.float64), rtol=1e-12)


def test_pool_errors():
    c = check_raises
    c(lambda tf, x: tf.nn.max_pool2d(x[0], 2, 2, "SAME"), X,
      match="tensor_in_shape must have 2 spatial dimensions. 3 0")
    c(lambda tf, x: tf.nn.avg_pool2d(x[0], 2, 2, "SAME"), X,
      match="tensor_in_shape must have 2 spatial dimensions. 3 0")
    c(lambda tf, x: tf.nn.max_pool2d(x, 2, 2, "SAME", data_format="NCHW"), X,
      match="Default MaxPoolingOp only supports NHWC on device type CPU")
    c(lambda tf, x: tf.nn.avg_pool(x[:, 0], 2, 1, "VALID", data_format="NCW"), X,
      match="Default AvgPoolingOp only supports NHWC on device type CPU")
    c(lambda tf, x: tf.nn.max_pool2d(x, [2, 2, 2], 2, "SAME"), X,
      match="ksize should be of length 1, 2 or 4. Received: ksize=[2, 2, 2] of length 3")
    c(lambda tf, x: tf.nn.max_pool2d(x, [2, 2, 2, 1], 2, "SAME"), X,
      match="Pooling is not yet supported on the batch dimension.")
    c(lambda tf, x: tf.nn.avg_pool2d(x, 2, [2, 2, 2, 1], "SAME"), X,
      match="Pooling is not yet supported on the batch dimension.")
    c(lambda tf, x: tf.nn.max_pool2d(x, 2, 2, "FULL"), X,
      match='Value for attr \'padding\' of "FULL" is not in the list of allowed values')
    c(lambda tf, x: tf.nn.avg_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 0], [0, 0]]), X,
      match="Expected string for argument 'padding'")
    c(lambda tf, x: tf.nn.max_pool(x[0, 0], 2, 2, "SAME"), X,
      match="`input.shape.rank` must be 3, 4 or 5. Received: input.shape=(6, 3) of rank 2.")
    c(lambda tf, x: tf.nn.max_pool2d(x, 0, 1, "VALID"), X,
      match="Sliding window ksize must be positive. The specified or inferred ksize is: 1,0,0,1")
    c(lambda tf, x: tf.nn.avg_pool2d(tf.cast(x, tf.int32), 2, 2, "VALID"), X,
      match="Value for attr 'T' of int32 is not in the list of allowed values")
    c(lambda tf, x: tf.nn.max_pool2d(x, 7, 1, "VALID"), X,
      match="Computed output size would be negative: -1 [input_size: 5, effective_filter_size: 7, "
            "stride: 1]")
    c(lambda tf, x: tf.nn.max_pool1d(x, 2, 1, "VALID"), X,
      match="tensor_in_shape must have 2 spatial dimensions. 5 0")
