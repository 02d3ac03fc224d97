"""conv3d_transpose, conv_transpose, tf.conv, the conv2d / depthwise backprop
ops against real TensorFlow: values, gradients (eager and in tf.function) and
the kernels' errors."""
import numpy as np
import pytest

from difftest import check, check_raises, same_outcome, same_values

rng = np.random.default_rng(11)
TOL = dict(rtol=1e-4, atol=1e-4)
Y3 = rng.normal(size=(1, 3, 3, 3, 4)).astype(np.float32)
W3 = rng.normal(size=(2, 2, 2, 2, 4)).astype(np.float32)
X = rng.normal(size=(1, 5, 5, 3)).astype(np.float32)
F = rng.normal(size=(2, 2, 3, 2)).astype(np.float32)
DY = rng.normal(size=(1, 5, 5, 6)).astype(np.float32)
W2 = rng.normal(size=(2, 2, 3, 4)).astype(np.float32)
DY2 = rng.normal(size=(1, 5, 5, 4)).astype(np.float32)


def _both(fn):
    """`fn` eagerly and inside tf.function."""
    return [fn, lambda tf, *a: tf.function(lambda *b: fn(tf, *b))(*a)]


@pytest.mark.parametrize("fn", _both(lambda tf, y, w: (
    tf.nn.conv3d_transpose(y, w, [1, 6, 6, 6, 2], 2, "SAME"),
    tf.nn.conv3d_transpose(y, w, [1, 4, 4, 4, 2], 1, "VALID"),
    tf.nn.conv3d_transpose(y, w, [1, 7, 6, 7, 2], [2, 2, 2], "VALID")[:, :1],
    tf.nn.conv_transpose(y, w, [1, 6, 6, 6, 2], 2),
    tf.compat.v1.nn.conv3d_transpose(y, w, [1, 3, 3, 3, 2], [1, 1, 1, 1, 1]))))
def test_conv3d_transpose(fn):
    check(fn, Y3, W3, **TOL)


def test_conv_transpose_dispatch():
    y, w = rng.normal(size=(2, 5, 4)).astype(np.float32), rng.normal(size=(2, 3, 4)).astype(np.float32)
    check(lambda tf, y, w: (tf.nn.conv_transpose(y, w, [2, 10, 3], 2),
                            tf.nn.conv_transpose(y[:, None], w[None], [2, 1, 10, 3], 2, "SAME")), y, w, **TOL)
    for bad in ([1, 2], 5, [1, 2, 3, 4, 5, 6]):
        same_outcome(lambda tf: tf.nn.conv_transpose(tf.constant(y), tf.constant(w), bad, 2))


def test_conv3d_transpose_errors():
    for fn in [
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [1, 6, 6, 6, 2], 2, "SAME", dilations=2),
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [1, 6, 6, 6, 3], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [1, 7, 6, 6, 2], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv3d_transpose(y[..., :3], w, [1, 6, 6, 6, 2], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [1, 6, 6, 6], 2, "SAME"),
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [1, 6, 6, 6, 2], 2, "SAME", data_format="NCDHW"),
        lambda tf, y, w: tf.nn.conv3d_transpose(y, w, [2, 6, 6, 6, 2], 2, "SAME"),
    ]:
        same_outcome(lambda tf: fn(tf, tf.constant(Y3), tf.constant(W3)))


def _raw(tf, x, w):
    return (tf.conv(x, w, [1, 1, 1, 1], "SAME"), tf.conv(x, w, [1, 2, 1, 1], "VALID", dilations=[1, 1, 2, 1]),
            tf.conv(x, w, [1, 1, 1, 1], "EXPLICIT", explicit_paddings=[0, 0, 1, 1, 2, 0, 0, 0]),
            tf.conv(x[None], w, [1, 1, 1, 1], "SAME", batch_dims=2))


def test_raw_conv():
    check(_raw, X, W2, grad=False, **TOL)  # TF registers no gradient for Conv
    # In tf.function (without a tape: TF's function under a tape fails building Conv's gradient).
    same_values(lambda tf: tf.function(lambda x, w: _raw(tf, x, w))(tf.constant(X), tf.constant(W2)), **TOL)


def test_raw_conv_3d_and_errors():
    x3 = rng.normal(size=(1, 4, 4, 4, 2)).astype(np.float32)
    w3 = rng.normal(size=(2, 2, 2, 2, 3)).astype(np.float32)
    check(lambda tf, x, w: tf.conv(x, w, [1, 1, 2, 1, 1], "SAME"), x3, w3, grad=False, **TOL)
    check_raises(lambda tf, x, w: tf.GradientTape().gradient(tf.conv(x, w, [1, 1, 1, 1], "SAME"), x),
                 X, W2)
    cases = ["tf.conv(x,w,[1,1,1],'SAME')", "tf.conv(x,w[0],[1,1,1,1],'SAME')",
             "tf.conv(x[0],w,[1,1,1,1],'SAME')", "tf.conv(x,tf.cast(w,tf.float64),[1,1,1,1],'SAME')",
             "tf.conv(x,w,[1,1,1,1],'SAME',dilations=[1,1,1])", "tf.conv(x,w,[1,1,1,1],'SAME',dilations=[2,1,1,1])",
             "tf.conv(x,w,[2,1,1,1],'SAME')", "tf.conv(x,w,[1,0,1,1],'SAME')",
             "tf.conv(x,w,[1,1,1,1],'SAME',dilations=[1,0,1,1])", "tf.conv(x[...,:2],w,[1,1,1,1],'SAME')",
             "tf.conv(x,w,[1,1,1,1],'EXPLICIT')",
             "tf.conv(x,w,[1,1,1,1],'SAME',explicit_paddings=[0,0,1,1,2,0,0,0])",
             "tf.conv(x,w,[1,1,1,1],'EXPLICIT',explicit_paddings=[1,0,1,1,2,0,0,0])",
             "tf.conv(x,w,[1,1,1,1],'EXPLICIT',explicit_paddings=[0,0,-1,1,2,0,0,0])",
             "tf.conv(x,w,[1,1,1,1],'VALID',batch_dims=0)", "tf.conv(x,w[:0],[1,1,1,1],'SAME')",
             "tf.conv(x,w,[1,1,1,1],'SAME',groups=2)",
             "tf.conv(tf.transpose(x,[0,3,1,2]),w,[1,1,1,1],'SAME',data_format='CHANNELS_FIRST')",
             "tf.conv(x[:, :1],w,[1,1,1,1],'VALID')"]
    for c in cases:
        same_outcome(lambda tf: eval(c, {"tf": tf, "x": tf.constant(X), "w": tf.constant(W2)}))


@pytest.mark.parametrize("fn", _both(lambda tf, x, w, dy: (
    tf.compat.v1.nn.conv2d_backprop_input([1, 5, 5, 3], w, dy, [1, 1, 1, 1], "SAME"),
    tf.compat.v1.nn.conv2d_backprop_filter(x, [2, 2, 3, 4], dy, [1, 1, 1, 1], "SAME"),
    tf.compat.v1.nn.conv2d_backprop_filter(x, [2, 2, 3, 4], dy[:, :2, :2], [1, 2, 2, 1], "VALID"),
    tf.compat.v1.nn.conv2d_backprop_filter(x, tf.constant([3, 2, 3, 4]), dy[:, :4],
                                           [1, 1, 1, 1], [[0, 0], [1, 0], [0, 1], [0, 0]]))))
def test_conv2d_backprops(fn):
    check(fn, X, W2, DY2, **TOL)


def test_conv2d_backprop_errors():
    for fn in [
        lambda tf, x, w, dy: tf.compat.v1.nn.conv2d_backprop_filter(x, [2, 2, 3, 4], dy, [1, 2, 2, 1], "SAME"),
        lambda tf, x, w, dy: tf.compat.v1.nn.conv2d_backprop_filter(x, [2, 2, 3, 5], dy, [1, 1, 1, 1], "SAME"),
        lambda tf, x, w, dy: tf.compat.v1.nn.conv2d_backprop_filter(
            tf.cast(x, tf.int32), [2, 2, 3, 4], tf.cast(dy, tf.int32), [1, 1, 1, 1], "SAME"),
        lambda tf, x, w, dy: tf.compat.v1.nn.conv2d_backprop_filter(x, [2, 2, 3, 4], dy[:, :, :, :], [1, 1, 1, 1],
                                                                    "SAME", data_format="NCHW"),
    ]:
        same_outcome(lambda tf: fn(tf, tf.constant(X), tf.constant(W2), tf.constant(DY2)))


def test_conv2d_backprop_v2_ops_compute_what_the_v1_ops_do():
    """TF's CPU build has no kernel for the V2 raw ops (NotFoundError); jaxtape
    computes them as the V1 ops (compared with TF above) from the shapes."""
    import jaxtape as tf
    x, w, dy = tf.constant(X), tf.constant(W2), tf.constant(DY2)
    pairs = [
        (tf.conv2d_backprop_input_v2(x, w, dy, [1, 1, 1, 1], "SAME"),
         tf.compat.v1.nn.conv2d_backprop_input(list(X.shape), w, dy, [1, 1, 1, 1], "SAME")),
        (tf.conv2d_backprop_filter_v2(x, w, dy, [1, 1, 1, 1], "SAME"),
         tf.compat.v1.nn.conv2d_backprop_filter(x, list(W2.shape), dy, [1, 1, 1, 1], "SAME")),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("fn", _both(lambda tf, x, f, dy: (
    tf.nn.depthwise_conv2d_backprop_input([1, 5, 5, 3], f, dy, [1, 1, 1, 1], "SAME"),
    tf.nn.depthwise_conv2d_backprop_filter(x, [2, 2, 3, 2], dy, [1, 1, 1, 1], "SAME"),
    tf.nn.depthwise_conv2d_backprop_input([1, 5, 5, 3], f, dy[:, :2, :2], [1, 2, 2, 1], "VALID"),
    tf.compat.v1.nn.depthwise_conv2d_native_backprop_filter(x, [2, 2, 3, 2], dy[:, :3, :3], [1, 2, 2, 1],
                                                           "SAME"))))
def test_depthwise_backprops(fn):
    check(fn, X, F, DY, **TOL)


def test_depthwise_backprop_errors():
    for fn in [
        lambda tf, x, f, dy: tf.nn.depthwise_conv2d_backprop_input([1, 5, 5, 3], f, dy, [1, 2, 2, 1], "SAME"),
        lambda tf, x, f, dy: tf.nn.depthwise_conv2d_backprop_filter(x, [2, 2, 3, 3], dy, [1, 1, 1, 1], "SAME"),
        lambda tf, x, f, dy: tf.nn.depthwise_conv2d_backprop_input([1, 5, 5, 4], f, dy, [1, 1, 1, 1], "SAME"),
    ]:
        same_outcome(lambda tf: fn(tf, tf.constant(X), tf.constant(F), tf.constant(DY)), message=False)
