"""tf.nn activations against real TensorFlow: values, dtypes and gradients,
including the conventional gradient at each kink (relu at 0, relu6 at 0 and 6,
leaky_relu and selu at 0)."""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(0)
# Kinks and ordinary points in one vector.
X = np.array([-7., -2.5, -1., -0.3, 0., 0.4, 1., 3., 6., 6.5], np.float32)
X64 = rng.normal(size=(2, 5)) * 3
M = rng.normal(size=(2, 3, 4)).astype(np.float32)


def _all_activations(tf, x):
    return (tf.nn.relu(x), tf.nn.relu6(x), tf.nn.leaky_relu(x), tf.nn.leaky_relu(x, alpha=0.01),
            tf.nn.leaky_relu(x, alpha=1.5), tf.nn.elu(x), tf.nn.selu(x), tf.nn.gelu(x),
            tf.nn.gelu(x, approximate=True), tf.nn.silu(x), tf.nn.swish(x, beta=0.5),
            tf.nn.sigmoid(x), tf.nn.tanh(x), tf.nn.softplus(x), tf.nn.softsign(x),
            tf.math.softplus(x) + tf.math.softsign(x), tf.nn.crelu(x), tf.nn.softmax(x),
            tf.nn.log_softmax(x))


def test_activations():
    # Values compare per output; the gradient is of a sum over all of them, so
    # each activation's kink gradient is checked too (the kinks of different
    # activations are at different points of X).
    check(_all_activations, X, rtol=1e-5, atol=1e-6)


def test_float64():
    check(lambda tf, x: (tf.nn.selu(x), tf.nn.gelu(x), tf.nn.silu(x), tf.nn.softmax(x, 0),
                         tf.nn.leaky_relu(x, 0.3)), X64, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.nn.relu(x),
    lambda tf, x: tf.nn.relu6(x),
    lambda tf, x: tf.nn.leaky_relu(x),
    lambda tf, x: tf.nn.selu(x),
])
def test_kink_gradients_alone(fn):
    check(fn, X)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.nn.softmax(x, axis=1),
    lambda tf, x: tf.nn.log_softmax(x, axis=0),
    lambda tf, x: tf.math.softmax(x, -2),
    lambda tf, x: tf.nn.crelu(x, axis=1),
    lambda tf, x: tf.nn.relu(x) * tf.nn.elu(x),
])
def test_axes_and_ranks(fn):
    check(fn, M)


def test_half_precision():
    h = X.astype(np.float16)
    check(lambda tf, x: (tf.nn.relu6(x), tf.nn.elu(x), tf.nn.softmax(x), tf.nn.gelu(x)),
          h, rtol=2e-3, atol=2e-3)


def test_integer_inputs():
    i = np.array([-3, 0, 2, 9], np.int32)
    check(lambda tf, x: (tf.nn.relu(x), tf.nn.relu6(x), tf.nn.leaky_relu(x)), i)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.nn.elu(x),
    lambda tf, x: tf.nn.selu(x),
    lambda tf, x: tf.nn.softplus(x),
    lambda tf, x: tf.nn.softsign(x),
    lambda tf, x: tf.nn.softmax(x),
    lambda tf, x: tf.nn.log_softmax(x),
])
def test_integer_rejected_by_float_kernels(fn):
    check_raises(fn, np.array([1, 2], np.int32), match="Value for attr 'T' of int32")


def test_gelu_integer_and_softmax_errors():
    check_raises(lambda tf, x: tf.nn.gelu(x), np.array([1, 2], np.int32), match="floating point")
    check_raises(lambda tf, x: tf.nn.softmax(x, axis=2), M[0], match="must be in the range [-2, 2)")
    check_raises(lambda tf, x: tf.nn.softmax(x), np.float32(1.0))
