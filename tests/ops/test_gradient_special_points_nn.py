"""Convolutions, 2-D/3-D pools, solvers and colour ops at special points, against real TF.

The rest of `test_gradient_special_points.py`'s sweep, on its harness (`run_op`,
`compare`, `sweep`): inputs holding 0 and -0, ties, NaN, +-inf and values near
float32 overflow, singular and non-finite matrices, grey and saturated pixels,
each case tiled along a leading axis of 4 that carries the upstream gradients 1,
0, inf and NaN. A convolution is swept twice: its image batch along that axis,
then its output channels (so each filter slice's gradient sees one upstream).
`KNOWN` lists each difference left, with its reason.

`python -m tests.ops.test_gradient_special_points_nn` prints every difference found.
"""
from __future__ import annotations

import sys

import numpy as np

from tests.ops import test_gradient_special_points as sp
from tests.ops.test_gradient_special_points import MATRICES, SINGULAR, f32, fixed, recipe

nan, inf = np.nan, np.inf


def _ints(values):
    return np.ascontiguousarray(np.asarray(values, np.int32))


# A 4x4 image: NaN, inf and -inf in three corners (each reaches one VALID 2x2 window), signed
# zeros, and a 3e38 that overflows against a filter entry of 2.
IMAGE = f32([[nan, 1, 2, -1], [0, -0.0, 0.5, 3], [1, 2, -2, 0], [inf, 3e38, 0, -inf]])
FILTER = f32([[0, 1], [-1, 2]])  # a zero meets inf (0 * inf = NaN in the x gradient)
SIGNAL = f32([nan, 0, -0.0, 1, inf, 2, 3e38, -1])
VOLUME = np.stack([IMAGE, IMAGE[::-1] * -1])  # 2x4x4

# Pool windows (2x2 blocks side by side): ties, NaN first/later/alone, all -inf, signed zeros,
# inf ties next to a NaN, a lone number after NaN and -inf.
WINDOWS = f32([[1, 1, 1, 1], [nan, 1, 2, 0], [1, nan, 2, 2], [nan, nan, nan, nan],
               [-inf, -inf, -inf, -inf], [0, -0.0, 0, -0.0], [2, inf, inf, nan], [-inf, nan, -inf, 1]])


def _blocks(windows):
    """(2, 2k): the k rows of `windows` as 2x2 blocks side by side."""
    return windows.reshape(-1, 2, 2).transpose(1, 0, 2).reshape(2, -1)


BLOCKS = _blocks(WINDOWS)  # block k holds WINDOWS[k]
POOL_2D = BLOCKS[..., None]  # (H, W, C) = (2, 16, 1)
# Without NaN, the 2-D max-pool gradient is XLA's select-and-scatter (ops/nn/pool.py): ties
# (first wins), -0 first, -inf windows, inf ties, overflow; padding before the windows (3x3
# SAME) without -inf (XLA's) and with (the scan's transpose).
TIES = f32([[1, 1, 1, 1], [3, 2, 3, 3], [-inf, -inf, -inf, -inf], [inf, 2, inf, 1], [-0.0, 0, -0.0, 0],
            [-3e38, -inf, -3e38, -1]])
POOL_TIES = _blocks(TIES)[..., None]
POOL_TIES_PADDED = _blocks(f32([[1, 1, 1, 1], [3, 2, 3, 3], [inf, 2, inf, 1], [0, 0, 0, 0],
                                [-3e38, -2, -3e38, -1]]))[..., None]
POOL_INF_PADDED = _blocks(f32([[-inf, -inf, -inf, -inf], [-inf, 1, -inf, 1], [2, 2, 2, 2]]))[..., None]
POOL_3D = BLOCKS.reshape(2, 2, 8, 1)  # (D, H, W, C): 2x2x2 cubes mixing two windows each
POOL_3D_FLAT = BLOCKS[:, :, None, None]  # (2, 16, 1, 1): a [2, 2, 1] window is one of WINDOWS

# Right-hand sides for the 2x2 MATRICES (and SINGULAR): signed zero, overflow, NaN.
RHS = f32([[[1], [-0.0]], [[0], [2]], [[1], [1]], [[1], [0]], [[0], [1]], [[3e38], [1]],
           [[nan], [1]], [[1], [inf]]])
TALL = f32([[[1, 0], [0, 1], [1, 1]], [[2, 1], [1, 3], [0, 0]], [[nan, 0], [0, 1], [1, 0]],
            [[inf, 0], [0, 1], [0, 0]], [[1, 1], [1, 1], [1, 1]]])  # the last is rank 1
TALL_RHS = f32([[[1], [2], [3]], [[0], [-0.0], [1]], [[1], [1], [1]], [[1], [0], [2]], [[1], [1], [1]]])
# Lower triangular factors: identity, a zero pivot, NaN, inf, negative and tiny pivots.
LOWER = f32([[[1, 0], [0, 1]], [[0, 0], [1, 2]], [[2, 0], [nan, 1]], [[inf, 0], [1, 1]],
             [[-1, 0], [2, 3]], [[1e-30, 0], [1, 1]]])
LOWER_RHS = f32([[[1], [1]], [[1], [-0.0]], [[1], [2]], [[1], [1]], [[3e38], [1]], [[1], [1]]])
# (N, 3) vectors for cross products: parallel, zero, NaN, inf, overflow.
CROSS_A = f32([[1, 0, 0], [1, 2, 3], [0, 0, 0], [nan, 1, 0], [inf, 0, 1], [3e38, 3e38, 0]])
CROSS_B = f32([[0, 1, 0], [2, 4, 6], [1, 2, 3], [1, 1, 1], [0, 1, 0], [3e38, -3e38, 1]])
# Pixels in [0, 1] and beyond: black, white, grey (all ties), two-way ties for the maximum,
# pure hues, hue at the wrap-around, out of range, NaN and inf channels.
RGB = f32([[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 0, 0], [0, 1, 0],
           [0, 0, 1], [1, 0, 1e-7], [0.2, 0.6, 0.4], [2, -1, 0.5], [nan, 0.5, 0.5], [inf, 0, 0.5],
           [-0.0, 0, 0]])
# HSV: hue 0, 1/6-sector boundaries, 1 (= 0), out of range; zero saturation and value; NaN, inf.
HSV = f32([[0, 0, 0], [0, 1, 1], [1 / 6, 1, 1], [0.5, 0.5, 0.5], [1, 1, 1], [5 / 6, 1, 0.5],
           [0.25, 0, 0.7], [0.75, 1, 0], [1.5, 0.5, 0.5], [-0.25, 0.5, 0.5], [nan, 1, 1], [0.5, inf, 1],
           [0.3, 1, -0.0]])
SCATTER_INDICES = _ints([[0], [1], [1], [2], [3], [4], [5]])
SCATTER_ROWS = _ints([[row, i] for row in range(len(sp.UPSTREAM)) for (i,) in SCATTER_INDICES])
SCATTER_TENSOR = f32([1, nan, 2, 0, -0.0, -inf])
SCATTER_UPDATES = f32([1, 3, 3, nan, 0, -inf, 1])


def _image(a):
    return a[None, ..., None]  # (1, H, W, 1)


def _conv_cases(conv, x, w, out_axis=-1):
    """Two cases of `conv(tf, x, w)`: "" with the image batch along the upstream axis (x's
    gradient sees one upstream each), "filter" with 4 output channels (w's `out_axis`) along
    it, the output transposed so that they lead: each filter slice's gradient sees one."""
    def by_channel(tf, x, w):
        y = conv(tf, x, w)
        return tf.transpose(y, [y.ndim - 1] + list(range(1, y.ndim - 1)) + [0])
    four = np.repeat(w, len(sp.UPSTREAM), axis=out_axis)
    return {"": recipe(conv, x, fixed(w)), "filter": recipe(by_channel, fixed(x[None]), fixed(four))}


IMAGE_4D = IMAGE[..., None]  # (H, W, C): tiled, it is the batch
FILTER_4D = FILTER[:, :, None, None]
SIGNAL_3D = SIGNAL[:, None]
FILTER_1D = FILTER[0][:, None, None]

CASES = {
    # -- convolutions
    "nn.conv1d": _conv_cases(lambda tf, x, w: tf.nn.conv1d(x, w, 2, "SAME"), SIGNAL_3D, FILTER_1D),
    "nn.conv2d": {**_conv_cases(lambda tf, x, w: tf.nn.conv2d(x, w, 1, "VALID"), IMAGE_4D, FILTER_4D),
                  "same_stride2": recipe(lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"), IMAGE_4D,
                                         fixed(FILTER_4D)),
                  "dilated": recipe(lambda tf, x, w: tf.nn.conv2d(x, w, 1, "VALID", dilations=2), IMAGE_4D,
                                    fixed(FILTER_4D))},
    "nn.conv3d": _conv_cases(lambda tf, x, w: tf.nn.conv3d(x, w, [1] * 5, "VALID"), VOLUME[..., None],
                             np.stack([FILTER, -FILTER])[..., None, None]),
    "nn.convolution": {"": recipe(lambda tf, x, w: tf.nn.convolution(x, w, padding="SAME"), IMAGE_4D,
                                  fixed(FILTER_4D))},
    "nn.depthwise_conv2d": _conv_cases(lambda tf, x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"),
                                       IMAGE_4D, FILTER_4D),
    "nn.conv2d_transpose": _conv_cases(lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, (x.shape[0], 8, 8, w.shape[2]), 2, "SAME"), IMAGE_4D, FILTER_4D, out_axis=-2),
    "nn.conv1d_transpose": _conv_cases(lambda tf, x, w: tf.nn.conv1d_transpose(
        x, w, (x.shape[0], 16, w.shape[1]), 2, "SAME"), SIGNAL_3D, FILTER_1D, out_axis=-2),
    # -- pools: 2x2 windows side by side, VALID and overlapping SAME
    "nn.max_pool2d": {"": recipe(lambda tf, x: tf.nn.max_pool2d(x, 2, 2, "VALID"), POOL_2D),
                      "same": recipe(lambda tf, x: tf.nn.max_pool2d(x, 2, 1, "SAME"), POOL_2D),
                      "ties": recipe(lambda tf, x: tf.nn.max_pool2d(x, 2, 2, "VALID"), POOL_TIES),
                      "ties_padded": recipe(lambda tf, x: tf.nn.max_pool2d(x, 3, 1, "SAME"), POOL_TIES_PADDED),
                      "inf_padded": recipe(lambda tf, x: tf.nn.max_pool2d(x, 3, 1, "SAME"), POOL_INF_PADDED)},
    "nn.avg_pool2d": {"": recipe(lambda tf, x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), POOL_2D),
                      "same": recipe(lambda tf, x: tf.nn.avg_pool2d(x, 2, 1, "SAME"), POOL_2D)},
    "nn.max_pool": {"": recipe(lambda tf, x: tf.nn.max_pool(x, 2, 2, "VALID"), POOL_2D)},
    "nn.avg_pool": {"": recipe(lambda tf, x: tf.nn.avg_pool(x, 2, 2, "VALID"), POOL_2D)},
    "nn.max_pool3d": {"": recipe(lambda tf, x: tf.nn.max_pool3d(x, [2, 2, 1], [2, 2, 1], "VALID"), POOL_3D_FLAT),
                      "cube_same": recipe(lambda tf, x: tf.nn.max_pool3d(x, 2, 1, "SAME"), POOL_3D)},
    "nn.avg_pool3d": {"": recipe(lambda tf, x: tf.nn.avg_pool3d(x, [2, 2, 1], [2, 2, 1], "VALID"), POOL_3D_FLAT),
                      "cube_same": recipe(lambda tf, x: tf.nn.avg_pool3d(x, 2, 1, "SAME"), POOL_3D)},
    # -- solvers: each batch of 2x2 systems per upstream row
    "linalg.solve": {"": recipe(lambda tf, a, b: tf.linalg.solve(a, b), MATRICES, RHS),
                     "adjoint": recipe(lambda tf, a, b: tf.linalg.solve(a, b, adjoint=True), MATRICES, RHS),
                     "singular": recipe(lambda tf, a, b: tf.linalg.solve(a, b), SINGULAR, RHS[:3])},
    "linalg.triangular_solve": {
        "": recipe(lambda tf, a, b: tf.linalg.triangular_solve(a, b), LOWER, LOWER_RHS),
        "upper_adjoint": recipe(lambda tf, a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
                                np.swapaxes(LOWER, -1, -2).copy(), LOWER_RHS)},
    "linalg.cholesky_solve": {"": recipe(lambda tf, c, b: tf.linalg.cholesky_solve(c, b), LOWER, LOWER_RHS)},
    "linalg.lstsq": {"": recipe(lambda tf, a, b: tf.linalg.lstsq(a, b), TALL, TALL_RHS),
                     "wide_l2": recipe(lambda tf, a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
                                       np.swapaxes(TALL, -1, -2).copy(), TALL_RHS[:, :2]),
                     "square": recipe(lambda tf, a, b: tf.linalg.lstsq(a, b), MATRICES, RHS)},
    "linalg.pinv": {"": recipe(lambda tf, a: tf.linalg.pinv(a), MATRICES),
                    "singular": recipe(lambda tf, a: tf.linalg.pinv(a), SINGULAR)},
    "linalg.lu": {"": recipe(lambda tf, a: tf.linalg.lu(a).lu, MATRICES)},
    "linalg.lu_reconstruct": {"": recipe(lambda tf, a, p: tf.linalg.lu_reconstruct(a, p), MATRICES,
                                         _ints(np.tile([[0, 1]], (len(sp.UPSTREAM), 8, 1))))},
    "linalg.lu_solve": {"": recipe(lambda tf, a, p, b: tf.linalg.lu_solve(a, p, b), LOWER + np.swapaxes(
        LOWER, -1, -2), _ints(np.tile([[1, 0]], (len(sp.UPSTREAM), 6, 1))), LOWER_RHS)},
    "linalg.lu_matrix_inverse": {"": recipe(lambda tf, a, p: tf.linalg.lu_matrix_inverse(a, p), MATRICES,
                                            _ints(np.tile([[0, 1]], (len(sp.UPSTREAM), 8, 1))))},
    "linalg.cross": {"": recipe(lambda tf, a, b: tf.linalg.cross(a, b), CROSS_A, CROSS_B)},
    # -- scatter max/min: ties between the tensor and one or two updates, NaN on either side
    **{f"tensor_scatter_nd_{k}": {"": recipe(lambda tf, t, u, k=k: getattr(tf, f"tensor_scatter_nd_{k}")(
        t, SCATTER_ROWS, tf.reshape(u, [-1])), SCATTER_TENSOR, SCATTER_UPDATES)} for k in ("max", "min")},
    # -- colour spaces
    "image.rgb_to_hsv": {"": recipe(lambda tf, x: tf.image.rgb_to_hsv(x), RGB)},
    "image.hsv_to_rgb": {"": recipe(lambda tf, x: tf.image.hsv_to_rgb(x), HSV)},
    "image.adjust_hue": {"": recipe(lambda tf, x: tf.image.adjust_hue(x, 0.25), RGB[None]),
                         "wrap": recipe(lambda tf, x: tf.image.adjust_hue(x, -0.5), RGB[None])},
    "image.adjust_saturation": {"": recipe(lambda tf, x: tf.image.adjust_saturation(x, 2.0), RGB[None]),
                                "zero": recipe(lambda tf, x: tf.image.adjust_saturation(x, 0.0), RGB[None])},
}


def cases():
    """(label, export name, fn, inputs, second, has_tf_formula), as the harness's `cases`."""
    out = []
    for name, variants in CASES.items():
        formula = sp._has_tf_formula(getattr(sp.REGISTRY[name], "primitive", None))
        for variant, (fn, arrays, second) in variants.items():
            out.append((name + (f"[{variant}]" if variant else ""), name, fn, arrays, second, formula))
    return out


_WHY = {
    "DILATED": "TF's CPU kernels raise InvalidArgumentError for the gradient of a dilated conv2d ('Current "
               "CPU implementations do not yet support dilation rates larger than 1.'); jaxtape computes it "
               "(README)",
    "CONV3D": "TF is wrong here: its Conv3DBackpropFilter spreads one NaN or inf input cell into filter entries "
              "that never meet it (README)",
    "PINV": "TF is wrong here: its pinv gradient (through its SVD's) is 0 off the diagonal at repeated "
            "singular values (the identity), where d pinv = -pinv dA pinv gives -1 (README)",
    # Optional (`sp.MACHINE_DEPENDENT`): present on some CPUs only.
    "DEPTHWISE_ISA": sp.MACHINE_DEPENDENT + "XLA:CPU's grouped-convolution kernel on some CPUs (seen on "
                     "an AVX-512 Xeon; not on the AMD EPYC hosts before) sums a window holding inf * 0 "
                     "to -inf, where TF's kernel and XLA's elsewhere give NaN (README)",
    "ADJUST": "TF registers no gradient for AdjustHue and AdjustSaturation (LookupError); jaxtape gives "
              "JAX's correct gradient instead (README, as for dilated conv2d)",
}
# (case, aspect) -> why jaxtape differs from TF there (aspects as in the harness's KNOWN).
KNOWN = {
    ("nn.conv2d[dilated]", "outcome"): _WHY["DILATED"],
    ("nn.conv3d[filter]", "grad"): _WHY["CONV3D"],
    ("linalg.pinv", "grad"): _WHY["PINV"],
    ("nn.depthwise_conv2d[filter]", "value"): _WHY["DEPTHWISE_ISA"],
    ("image.adjust_hue", "outcome"): _WHY["ADJUST"],
    ("image.adjust_hue[wrap]", "outcome"): _WHY["ADJUST"],
    ("image.adjust_saturation", "outcome"): _WHY["ADJUST"],
    ("image.adjust_saturation[zero]", "outcome"): _WHY["ADJUST"],
}


def test_swept_here_are_the_harness_excused():
    """The harness excuses exactly the exports this file sweeps (its coverage test)."""
    here = set(CASES)
    excused = {name for name, reason in sp.NOT_SWEPT.items() if "test_gradient_special_points_nn" in reason}
    assert here == excused, (sorted(here - excused), sorted(excused - here))


def test_special_points_sweep_nn(tmp_path):
    # Every KNOWN entry here is for a case of this file: all are checked for staleness.
    sp.assert_known(sp.sweep(tmp_path, cases, __name__), KNOWN, {label for label, _ in KNOWN})


if __name__ == "__main__":
    sp.main(sys.argv, cases, "tests.ops.test_gradient_special_points_nn")  # __name__ is "__main__" here
