"""Every differentiable export's gradient at special points, against real TF.

The ops come from the export registry, not from a hand-picked list: one-input
ops (`f(x)`, `f(features)`), two-input ops (`f(x, y)`) and reductions
(`f(input_tensor, axis, keepdims)`) are swept by signature; every other
export has a recipe in `RECIPES` or a reason in `NOT_SWEPT`, so a new export
fails `test_every_export_is_swept_or_excused` until it gets one.

All special points of an op (0, -0, +-1, bounds, ties, values near float32
overflow, NaN, +-inf) are packed into one tensor, tiled along a leading axis
of 4 that carries the upstream gradients 1, 0, inf and NaN
(`output_gradients`), and up to `PACK` ops run in one tape program
(`run_pack`), each on inputs of its own: one backward pass, and one
`tf.function` compile, for all of them. Compared: forward
values, first-order gradients and which are None (NaN equals NaN, the signs
of zeros separately), second order for a sample (one-input ops with a TF
formula of their own, and `SECOND_ORDER`), and for ops with a TF gradient
formula of their own (a `custom_jvp` or a `graph_twin`) the same gradients
inside `tf.function`. `KNOWN` lists each difference left, with its reason; a
new difference, or a listed one that went away, fails.

`python -m tests.ops.test_gradient_special_points` prints every difference
found; JAXTAPE_SWEEP_FULL=1 adds the dearest cases (`FULL_ONLY`).
"""
from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import subprocess
import sys

import numpy as np

import jaxtape
from jaxtape._src.framework.exports import REGISTRY

nan, inf = np.nan, np.inf
UPSTREAM = np.array([1, 0, inf, nan], np.float32)

# One-input points: 0 and -0, +-1, relu6's 6, overflow of exp (88.7), near float32 max, tiny, NaN, infs.
POINTS = np.array([0, -0.0, 1, -1, 0.5, -0.5, 2, -2, 6, 10, -10, 88.73, -88.73, 100, -100,
                   3e38, -3e38, 1e-38, nan, inf, -inf], np.float32)
# Two-input points, every pair: x by y.
PAIR_POINTS = np.array([0, -0.0, 1, -1, 0.5, 2, -2, 3e38, nan, inf, -inf], np.float32)
PAIR_X, PAIR_Y = (a.ravel() for a in np.meshgrid(PAIR_POINTS, PAIR_POINTS, indexing="ij"))
# Rows a reduction or a scan sees: zeros, signed zeros, ties, NaN, infs, overflow.
ROWS = np.array([[0, 0, 0], [-0.0, 0, 1], [1, 1, 2], [2, 1, 2], [1, 2, 3], [nan, 1, 2], [inf, 1, 2],
                 [-inf, 1, 2], [inf, -inf, 1], [-inf, -inf, -inf], [3e38, 3e38, 1], [0, 2, -3],
                 [-1, 0, -1], [inf, inf, 0]], np.float32)


def tiled(a):
    """`a` repeated along a new leading axis, one copy per upstream value."""
    return np.ascontiguousarray(np.broadcast_to(a, (len(UPSTREAM),) + a.shape))


def upstream_like(y):
    """Upstream gradients for output `y`: UPSTREAM along its leading axis."""
    shape = tuple(y.shape)
    if shape[:1] != UPSTREAM.shape:  # a scalar result: upstream 1
        return np.ones(shape, y.dtype.as_numpy_dtype)
    return np.broadcast_to(UPSTREAM.reshape((-1,) + (1,) * (len(shape) - 1)), shape).astype(
        y.dtype.as_numpy_dtype)


def leaves(x):
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in leaves(item)]
    return [x]


def _run(tf, pack, second, function):
    """`run_op`'s results for each (fn, arrays) of `pack`, all in one tape
    program (raises what a backward pass raises; an op that raises gives its
    case the exception's name). Each case has its own inputs, so its
    gradients are those of a program of its own."""
    counts = [len(arrays) for _, arrays in pack]
    bounds = [(sum(counts[:i]), sum(counts[:i + 1])) for i in range(len(pack))]
    errors = {}  # case -> the name of what its op raised (at trace time inside tf.function)

    def body(*flat):
        ts = list(flat)
        # The outer tape only for second order: without one the gradient takes the
        # eager path a plain first-order program takes (a recorded backward is another).
        with tf.GradientTape(persistent=True) if second else contextlib.nullcontext() as outer:
            if second:
                outer.watch(ts)
            with tf.GradientTape() as tape:
                tape.watch(ts)
                outs = []
                for i, ((fn, _), (a, b)) in enumerate(zip(pack, bounds)):
                    try:
                        outs.append([o for o in leaves(fn(tf, *ts[a:b])) if o is not None and o.dtype.is_floating])
                    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
                        outs.append([])
                        errors[i] = type(e).__name__
            every = [o for case in outs for o in case]
            ups = [tf.constant(upstream_like(o)) for o in every]
            flat_grads = tape.gradient(every, ts, output_gradients=ups) if every else [None] * len(ts)
            grads = [flat_grads[a:b] for a, b in bounds]
            firsts = [g for case in grads for g in case if g is not None] if second else []
            total = tf.add_n([tf.reduce_sum(g[:1]) for g in firsts]) if firsts else None
        flat_seconds = outer.gradient(total, ts) if total is not None else None
        # A case without first-order gradients has no second order (None), as alone.
        seconds = [flat_seconds[a:b] if flat_seconds is not None and any(g is not None for g in case) else None
                   for case, (a, b) in zip(grads, bounds)]
        return outs, grads, seconds

    tensors = [tf.constant(np.asarray(a)) for _, arrays in pack for a in arrays]
    if function:
        body = tf.function(body, autograph=False)
    outs, grads, seconds = body(*tensors)

    def host(xs):
        return None if xs is None else [None if x is None else np.asarray(x) for x in xs]
    return [errors.get(i) or (host(o), host(g), host(s))
            for i, (o, g, s) in enumerate(zip(outs, grads, seconds))]


def run_op(tf, fn, arrays, second=False, function=False):
    """Outputs, gradients (None or arrays) and, with `second`, the gradient of
    the summed first-order gradients, of `fn(tf, *tensors)`; or the name of
    the exception it raises."""
    try:
        return _run(tf, [(fn, arrays)], second, function)[0]
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return type(e).__name__


def run_pack(tf, pack, second=False, function=False):
    """`run_op` for each (fn, arrays) of `pack`, in one program: one backward
    pass (and in tf.function one trace and compile) for all, which is most
    of the jaxtape side's cost. If it raises, each case runs alone."""
    try:
        return _run(tf, pack, second, function)
    except Exception:  # noqa: BLE001 - which case raised is found alone
        return [run_op(tf, fn, arrays, second, function) for fn, arrays in pack]


def mismatch(got, want, signs=False, rtol=1e-5, atol=1e-6):
    """Where two arrays (or Nones) differ, or ''; with `signs`, only where
    their zeros' signs differ (which `isclose` ignores)."""
    if got is None or want is None:
        return "" if got is None and want is None or signs else f"None-ness: TF's is {want is None}"
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return "" if signs else f"shape {got.shape} vs TF's {want.shape}"
    if signs:
        bad = (want == 0) & (got == 0) & (np.signbit(want) != np.signbit(got))
    else:  # NaN equals NaN; infinities exactly
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    where = np.argwhere(bad)[:3]
    return "; ".join(f"{tuple(int(j) for j in i)}: {got[tuple(i)]} vs TF's {want[tuple(i)]}" for i in where)


def op(tf, name):
    """`tf.<name>` for a dotted registry name."""
    for part in name.split("."):
        tf = getattr(tf, part)
    return tf


UNARY = {("x", "name"), ("features", "name")}
BINARY = {("x", "y", "name")}
REDUCTION = {("input_tensor", "axis", "keepdims", "name")}


def exports():
    """Each exported function once (aliases share an object), under its first name."""
    seen = {}
    for name in sorted(REGISTRY):
        obj = REGISTRY[name]
        if callable(obj) and not isinstance(obj, type) and id(obj) not in seen:
            seen[id(obj)] = name
    return {name: REGISTRY[name] for name in seen.values()}


def kind(obj):
    """'unary', 'binary' or 'reduction' by TF signature; None for other exports
    and for ops TF gives no gradient (a non-differentiable primitive)."""
    prim = getattr(obj, "primitive", None)
    if prim is not None and not prim.differentiable:
        return "nondifferentiable"
    try:
        params = tuple(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return None
    for k, sigs in (("unary", UNARY), ("binary", BINARY), ("reduction", REDUCTION)):
        if params in sigs:
            return k
    return None


# Second order is swept for one-input ops with a TF formula of their own and these.
SECOND_ORDER = {"exp", "math.log", "math.sigmoid", "math.lgamma", "math.erf", "math.log_sigmoid", "math.atan"}


def auto_case(name, k, formula):
    if k == "unary":
        return (lambda tf, x: op(tf, name)(x)), [tiled(POINTS)], formula or name in SECOND_ORDER
    if k == "binary":
        return (lambda tf, x, y: op(tf, name)(x, y)), [tiled(PAIR_X), tiled(PAIR_Y)], False
    return (lambda tf, x: op(tf, name)(x, axis=-1)), [tiled(ROWS)], False


def f32(values):
    return np.asarray(values, np.float32)


def per_row(f):
    """`f` applied to each upstream row of its inputs and stacked: for ops that
    reduce a whole tensor to a scalar."""
    return lambda tf, *xs: tf.stack([f(tf, *[x[i] for x in xs]) for i in range(len(UPSTREAM))])


def segments(rows):
    """(data, segment ids): segment s holds `rows` transposed, so output[s] is
    each row's reduction and meets upstream UPSTREAM[s]."""
    n = rows.shape[1]
    data = np.concatenate([rows.T] * len(UPSTREAM))
    return data, np.repeat(np.arange(len(UPSTREAM), dtype=np.int32), n)


SEG_DATA, SEG_IDS = segments(ROWS)
LABELS = f32([0, 0.25, 1, 0, 1, 0.5])  # against each of POINTS
LAB_X, LAB_L = (a.ravel() for a in np.meshgrid(LABELS, POINTS, indexing="ij"))
# Small matrices: zero, singular, repeated eigenvalues, identity, with NaN and inf.
MATRICES = f32([[[1, 0], [0, 1]], [[2, 0], [0, 2]], [[2, 1], [1, 3]], [[nan, 0], [0, 1]],
                [[inf, 0], [0, 1]], [[4, 2], [2, 5]], [[-1, 0], [0, 3]], [[3e18, 0], [0, 1]]])
SINGULAR = f32([[[0, 0], [0, 0]], [[1, 1], [1, 1]], [[0, 0], [0, 2]]])
# Incomplete gamma's domain, without a = x = 3e38 (one such element takes XLA:CPU seconds).
GAMMA_A, GAMMA_X = (a.ravel() for a in np.meshgrid(f32([0, -0.0, 0.5, 1, 2, 10, -1, nan, inf]),
                                                   f32([0, -0.0, 0.5, 1, 2, 10, 100, -1, nan, inf, -inf]),
                                                   indexing="ij"))
CLIP_X = f32([-2, -1, -0.0, 0, 0.5, 1, 2, nan, inf, -inf])
SORT_ROWS = np.random.default_rng(9).choice(f32([0, -0.0, 1, -1, 2, nan, inf, -inf]), (3, 16))


class Fixed(np.ndarray):
    """An input used as it is, not tiled along the upstream axis."""


def fixed(a):
    return np.ascontiguousarray(a).view(Fixed)


def recipe(fn, *arrays, second=False):
    """(fn, inputs, second): float inputs tiled along the upstream axis unless `fixed`."""
    return fn, [np.asarray(a) if isinstance(a, Fixed) or np.asarray(a).dtype.kind != "f"
                else tiled(np.asarray(a)) for a in arrays], second


def _ints(a):
    return np.ascontiguousarray(np.asarray(a, np.int32))


# name -> {variant: (fn, arrays, second)}: exports that do not fit a signature above.
RECIPES = {
    "clip_by_value": {
        "": recipe(lambda tf, x: tf.clip_by_value(x, -1.0, 1.0), CLIP_X),
        "tensor_bounds": recipe(lambda tf, x, lo, hi: tf.clip_by_value(x, lo, hi), CLIP_X, f32([-1.0]),
                                f32([1.0]))},
    "clip_by_norm": {"": recipe(lambda tf, x: tf.clip_by_norm(x, 1.0, axes=[2]), ROWS)},
    "clip_by_global_norm": {"": recipe(per_row(lambda tf, x: tf.clip_by_global_norm([x], 1.0)[0][0]), ROWS)},
    "cumsum": {"": recipe(lambda tf, x: tf.cumsum(x, axis=-1), ROWS),
               "exclusive_reverse": recipe(lambda tf, x: tf.cumsum(x, -1, exclusive=True, reverse=True), ROWS)},
    "math.cumprod": {"": recipe(lambda tf, x: tf.math.cumprod(x, axis=-1), ROWS),
                     "exclusive_reverse": recipe(
                         lambda tf, x: tf.math.cumprod(x, -1, exclusive=True, reverse=True), ROWS)},
    "math.cumulative_logsumexp": {
        "": recipe(lambda tf, x: tf.math.cumulative_logsumexp(x, axis=-1), ROWS),
        "exclusive_reverse": recipe(
            lambda tf, x: tf.math.cumulative_logsumexp(x, -1, exclusive=True, reverse=True), ROWS),
        "reverse_axis1": recipe(lambda tf, x: tf.math.cumulative_logsumexp(x, 1, reverse=True), ROWS)},
    "math.softmax": {"": recipe(lambda tf, x: tf.nn.softmax(x), ROWS)},
    "math.log_softmax": {"": recipe(lambda tf, x: tf.nn.log_softmax(x), ROWS)},
    "sort": {"": recipe(lambda tf, x: tf.sort(x), ROWS),
             "descending": recipe(lambda tf, x: tf.sort(x, direction="DESCENDING"), ROWS),
             # 16 wide (TF's insertion-sort length), NaNs among ties and infs: TF's order with NaN.
             "nan_rows": recipe(lambda tf, x: tf.sort(x), SORT_ROWS),
             "nan_rows_descending": recipe(lambda tf, x: tf.sort(x, direction="DESCENDING"), SORT_ROWS)},
    "math.top_k": {"": recipe(lambda tf, x: tf.math.top_k(x, 2).values, ROWS)},
    "meshgrid": {"": recipe(lambda tf, x, y: tf.meshgrid(x, y, indexing="ij"), fixed(f32([0, 1, nan, inf])),
                            fixed(f32([1, -0.0, 3]))),
                 "first": recipe(lambda tf, x, y: tf.meshgrid(x, y, indexing="ij")[0],
                                 fixed(f32([0, 1, nan, inf])), fixed(f32([1, -0.0, 3])))},
    "nn.silu": {"": recipe(lambda tf, x: tf.nn.silu(x), POINTS, second=True),
                "beta": recipe(lambda tf, x, b: tf.nn.silu(x, b), POINTS, fixed(f32(2.0)))},
    "nn.gelu": {"": recipe(lambda tf, x: tf.nn.gelu(x), POINTS, second=True),
                "approximate": recipe(lambda tf, x: tf.nn.gelu(x, approximate=True), POINTS)},
    "nn.leaky_relu": {"": recipe(lambda tf, x: tf.nn.leaky_relu(x), POINTS, second=True)},
    "nn.crelu": {"": recipe(lambda tf, x: tf.nn.crelu(x), POINTS)},
    "linalg.l2_normalize": {"": recipe(lambda tf, x: tf.math.l2_normalize(x, axis=-1), ROWS)},
    "nn.moments": {"": recipe(lambda tf, x: tf.nn.moments(x, axes=[2]), ROWS)},
    "nn.normalize_moments": {"": recipe(lambda tf, m, v: tf.nn.normalize_moments(3.0, m, v, None),
                                        ROWS, np.abs(ROWS))},
    "nn.batch_normalization": {"": recipe(
        lambda tf, x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
        ROWS, f32([[0.5]]), f32([[0, 1, 4]]), f32([[0.0]]), f32([[1, 0, -1]]))},
    "nn.sigmoid_cross_entropy_with_logits": {"": recipe(
        lambda tf, l, x: tf.nn.sigmoid_cross_entropy_with_logits(l, x), LAB_X, LAB_L)},
    "nn.weighted_cross_entropy_with_logits": {"": recipe(
        lambda tf, l, x: tf.nn.weighted_cross_entropy_with_logits(l, x, 2.0), LAB_X, LAB_L)},
    "nn.log_poisson_loss": {
        "": recipe(lambda tf, t, x: tf.nn.log_poisson_loss(t, x), LAB_X, LAB_L),
        "full": recipe(lambda tf, t, x: tf.nn.log_poisson_loss(t, x, compute_full_loss=True), LAB_X, LAB_L)},
    "nn.softmax_cross_entropy_with_logits": {"": recipe(
        lambda tf, l, x: tf.nn.softmax_cross_entropy_with_logits(l, x),
        np.tile(f32([0.25, 0.25, 0.5]), (len(ROWS), 1)), ROWS)},
    "nn.sparse_softmax_cross_entropy_with_logits": {"": recipe(
        lambda tf, l, x: tf.nn.sparse_softmax_cross_entropy_with_logits(l, x),
        np.zeros((len(UPSTREAM), len(ROWS)), np.int32), ROWS)},
    "nn.l2_loss": {"": recipe(per_row(lambda tf, x: tf.nn.l2_loss(x)), POINTS)},
    "math.igamma": {"": recipe(lambda tf, a, x: tf.math.igamma(a, x), GAMMA_A, GAMMA_X)},
    "math.igammac": {"": recipe(lambda tf, a, x: tf.math.igammac(a, x), GAMMA_A, GAMMA_X)},
    "math.atan2": {"": recipe(lambda tf, y, x: tf.math.atan2(y, x), PAIR_X, PAIR_Y)},
    "math.scalar_mul": {"": recipe(per_row(lambda tf, s, x: tf.math.scalar_mul(s, x)), f32(1.0), PAIR_Y)},
    "add_n": {"": recipe(lambda tf, x, y: tf.add_n([x, y]), PAIR_X, PAIR_Y)},
    "math.accumulate_n": {"": recipe(lambda tf, x, y: tf.math.accumulate_n([x, y]), PAIR_X, PAIR_Y)},
    "math.betainc": {"": recipe(lambda tf, a, b, x: tf.math.betainc(a, b, x),
                                np.repeat(f32([0.5, 1, 2]), 11), np.repeat(f32([1, 2, 0.5]), 11),
                                np.tile(f32([0, -0.0, 0.5, 1, 2, -1, 1e-30, 0.999999, nan, inf, -inf]), 3))},
    "math.polyval": {"": recipe(lambda tf, a, b, x: tf.math.polyval([a, b], x), f32([2.0]), f32([-1.0]),
                                POINTS)},
    **{f"math.segment_{k}": {"": recipe(lambda tf, d, k=k: op(tf, f"math.segment_{k}")(d, SEG_IDS),
                                        fixed(SEG_DATA))}
       for k in ("sum", "mean", "max", "min", "prod")},
    **{f"math.unsorted_segment_{k}": {"": recipe(
        lambda tf, d, k=k: op(tf, f"math.unsorted_segment_{k}")(d, SEG_IDS, len(UPSTREAM)), fixed(SEG_DATA))}
       for k in ("sum", "mean", "max", "min", "prod", "sqrt_n")},
    "linalg.norm": {o: recipe(lambda tf, x, o=o: tf.norm(x, ord=o, axis=-1), ROWS)
                    for o in ("euclidean", 1, np.inf)},
    "linalg.global_norm": {"": recipe(per_row(lambda tf, x: tf.linalg.global_norm([x])), ROWS)},
    "nn.bias_add": {"": recipe(lambda tf, v, b: tf.nn.bias_add(v, b), PAIR_X, fixed(PAIR_Y))},
    "where": {"": recipe(lambda tf, x, y: tf.where(tf.constant(PAIR_X > 0), x, y), PAIR_X, PAIR_Y)},
    "nn.max_pool1d": {"": recipe(lambda tf, x: tf.nn.max_pool1d(x, 2, 2, "VALID"), ROWS[:, :2].reshape(-1, 1))},
    "nn.avg_pool1d": {"": recipe(lambda tf, x: tf.nn.avg_pool1d(x, 2, 2, "VALID"), ROWS[:, :2].reshape(-1, 1))},
    "image.per_image_standardization": {"": recipe(
        lambda tf, x: tf.image.per_image_standardization(x), ROWS.reshape(len(ROWS), 1, 3, 1))},
    "linalg.det": {"": recipe(lambda tf, x: tf.linalg.det(x), MATRICES),
                   "singular": recipe(lambda tf, x: tf.linalg.det(x), SINGULAR)},
    "linalg.slogdet": {"": recipe(lambda tf, x: tf.linalg.slogdet(x), MATRICES),
                       "singular": recipe(lambda tf, x: tf.linalg.slogdet(x), SINGULAR)},
    "linalg.logdet": {"": recipe(lambda tf, x: tf.linalg.logdet(x), MATRICES)},
    "linalg.inv": {"": recipe(lambda tf, x: tf.linalg.inv(x), MATRICES)},
    "linalg.cholesky": {"": recipe(lambda tf, x: tf.linalg.cholesky(x), MATRICES)},
    "linalg.eigh": {"": recipe(lambda tf, x: tf.linalg.eigh(x), MATRICES)},
    "linalg.eigvalsh": {"": recipe(lambda tf, x: tf.linalg.eigvalsh(x), MATRICES)},
    "linalg.svd": {"": recipe(lambda tf, x: tf.linalg.svd(x, compute_uv=False), MATRICES)},
    "linalg.qr": {"": recipe(lambda tf, x: tf.linalg.qr(x), MATRICES)},
    "linalg.expm": {"": recipe(lambda tf, x: tf.linalg.expm(x), MATRICES)},
    "linalg.matmul": {"": recipe(lambda tf, a, b: tf.linalg.matmul(a, b), MATRICES, MATRICES[::-1].copy())},
    "linalg.trace": {"": recipe(lambda tf, x: tf.linalg.trace(x), MATRICES)},
}


# Exports the sweep leaves out, by namespace or name, each with its reason.
NOT_SWEPT_NAMESPACES = {
    prefix: "no op on float tensors (configuration, input pipelines, files, strings, summaries, random "
            "values, structure utilities)"
    for prefix in ("autograph.", "compat.", "config.", "data.", "distribute.", "io.", "nest.", "random.",
                   "strings.", "summary.", "test.", "train.", "debugging.assert", "assert", "lookup.",
                   "audio.")}
NOT_SWEPT_NAMESPACES["ragged."] = ("RaggedTensor ops move flat values with dense ops (swept there); "
                                   "tests/ops/test_ragged.py compares their gradients with TF's")
NOT_SWEPT_NAMESPACES["sparse."] = ("SparseTensor ops are dense ops on `values` (swept there); "
                                   "tests/ops/test_sparse.py compares their gradients with TF's")
_REASONS = {
    "linear data movement or a linear map: the gradient is the upstream moved, summed or mapped, which "
    "meets no special point": """
        broadcast_to concat expand_dims gather gather_nd identity identity_n pad repeat reshape reverse
        reverse_sequence roll slice split squeeze stack strided_slice tile transpose unstack scatter_nd
        tensor_scatter_nd_add tensor_scatter_nd_sub tensor_scatter_nd_update boolean_mask linalg.adjoint
        linalg.band_part linalg.diag linalg.diag_part linalg.matrix_transpose linalg.set_diag
        linalg.tensor_diag linalg.tensor_diag_part image.flip_left_right image.flip_up_down
        image.crop_to_bounding_box image.pad_to_bounding_box image.central_crop image.rot90 image.transpose
        image.resize_with_crop_or_pad image.grayscale_to_rgb image.rgb_to_grayscale image.adjust_brightness
        image.resize image.random_flip_left_right image.random_flip_up_down image.stateless_random_flip_left_right
        image.stateless_random_flip_up_down nn.embedding_lookup signal.fftshift signal.ifftshift signal.frame
        signal.dct signal.idct signal.fft signal.fft2d signal.fft3d signal.ifft signal.ifft2d signal.ifft3d
        signal.rfft signal.rfft2d signal.rfft3d signal.irfft signal.irfft2d signal.irfft3d
        nn.compute_average_loss nn.scale_regularization_loss complex cast dtypes.saturate_cast
        image.convert_image_dtype linalg.matvec linalg.tensordot einsum math.real math.imag math.angle
        fill batch_to_space nn.space_to_batch nn.depth_to_space nn.space_to_depth""",
    "control flow or a wrapper: its gradient is its body's (tests/compile, tests/autodiff)": """
        case cond switch_case while_loop function custom_gradient grad_pass_through recompute_grad
        map_fn vectorized_map scan foldl foldr init_scope
        py_function numpy_function print stop_gradient ensure_shape debugging.check_numerics Assert""",
    "takes or makes no differentiable float tensor": """
        constant convert_to_tensor eye ones zeros ones_like zeros_like lin_space range one_hot
        sequence_mask shape shape_n size rank searchsorted unique unique_with_counts make_ndarray
        get_static_value is_tensor as_dtype as_string broadcast_dynamic_shape broadcast_static_shape
        executing_eagerly device decode_csv debugging.is_numeric_tensor math.bincount math.confusion_matrix
        nn.dropout signal.hamming_window signal.hann_window image.decode_and_crop_jpeg image.decode_bmp
        image.decode_gif image.decode_image image.decode_jpeg image.decode_png image.decode_webp
        image.encode_jpeg image.encode_png image.extract_jpeg_shape image.is_jpeg
        image.adjust_jpeg_quality histogram_fixed_width_bins""",
    "compared with TF's gradients in tests/ops/test_image_extra_ops.py (image adjustments, quality "
    "metrics, box ops)": """
        image.adjust_contrast image.adjust_gamma image.crop_and_resize image.extract_patches
        image.image_gradients image.psnr image.resize_with_pad image.sobel_edges image.ssim
        image.ssim_multiscale image.total_variation""",
    "a random factor or window, then an op swept or compared above (adjust_*, slicing)": """
        image.random_brightness image.random_contrast image.random_hue image.random_saturation
        image.random_crop image.stateless_random_brightness image.stateless_random_contrast
        image.stateless_random_hue image.stateless_random_saturation image.stateless_random_crop""",
    "compositions of framing, windows, FFTs and DCTs (swept there); tests/ops/test_signal_spectral.py "
    "compares their gradients with TF's": """
        signal.stft signal.inverse_stft signal.inverse_stft_window_fn signal.overlap_and_add
        signal.linear_to_mel_weight_matrix signal.mfccs_from_log_mel_spectrograms""",
    "compared with TF's gradients in tests/ops/test_nn_space_extra.py (TF's own backprop rules)": """
        nn.atrous_conv2d nn.atrous_conv2d_transpose nn.dilation2d nn.erosion2d
        nn.max_pool_with_argmax nn.separable_conv2d""",
    "no gradient: box selection, drawing and JPEG round trips (TF registers none)": """
        image.draw_bounding_boxes image.non_max_suppression image.non_max_suppression_with_scores
        image.sample_distorted_bounding_box image.stateless_sample_distorted_bounding_box
        image.random_jpeg_quality image.stateless_random_jpeg_quality""",
    "no op on float tensors: scopes, control-flow markers, logging, the conversion registry, tracing "
    "utilities; tf.gradients/hessians run the backward pass itself (tests/core/"
    "test_scopes_and_utilities.py compares them with TF's)": """
        control_dependencies get_current_name_scope get_logger group inside_function no_op
        register_tensor_conversion_function timestamp tuple variable_creator_scope gradients hessians""",
    "no gradient: TF registers none (bitcast, parallel_stack raise LookupError) or the output is "
    "integer, bool or string": """
        bitcast parallel_stack edit_distance fingerprint linalg.matrix_rank
        required_space_to_batch_paddings""",
    "gathers, scatters and linear maps (the gradient is the upstream moved or mapped); "
    "tests/ops/test_array_partition.py, test_image_colorspaces.py and test_linalg_extra.py compare "
    "their gradients with TF's": """
        dynamic_partition dynamic_stitch image.rgb_to_yiq image.rgb_to_yuv image.yiq_to_rgb
        image.yuv_to_rgb linalg.tridiagonal_matmul""",
    "compositions of swept ops (moments, batch_normalization, norm), compared with TF's gradients in "
    "tests/ops/test_image_colorspaces.py and test_linalg_extra.py": """
        nn.batch_norm_with_global_normalization nn.sufficient_statistics nn.weighted_moments
        linalg.normalize""",
    "special points are singular or defective matrices, non-finite or ill-defined in TF too "
    "(eig/eigvals run on CPU only; tests/ops/test_linalg_extra.py compares their gradients)": """
        eig eigvals linalg.tridiagonal_solve""",
    "no gradient: box selection (TF registers none) or a quasi-random sequence": """
        image.combined_non_max_suppression image.non_max_suppression_overlaps
        image.non_max_suppression_padded math.sobol_sample""",
    "the gradient goes back to the chosen entries, as top_k's (tests/ops/test_math_extra.py "
    "compares it with TF's)": """
        approx_top_k math.approx_max_k math.approx_min_k""",
    "compositions of swept ops (lookups, matmuls, logs, cross-entropies) that need integer labels "
    "and fixed sampled_values; tests/ops/test_candidate_sampling.py compares them with TF's": """
        nn.nce_loss nn.sampled_softmax_loss""",
    "linear maps and windows composed of swept ops (frame, DCT, FFT, overlap_and_add, Bessel I0e); "
    "tests/ops/test_signal_extra.py compares their gradients with TF's (the N-D FFTs with NumPy's: "
    "TF has no CPU kernel)": """
        signal.fftnd signal.ifftnd signal.rfftnd signal.irfftnd signal.mdct signal.inverse_mdct
        signal.kaiser_window signal.kaiser_bessel_derived_window signal.vorbis_window""",
    "no gradient: TF registers none (the raw Conv op, ExtractGlimpseV2)": """
        conv image.extract_glimpse""",
    "convolution backprops and transposes, linear in each input (no special point); pools and "
    "space-to-batch built on swept pools; tests/ops/test_nn_conv_extra.py and test_nn_pool_extra.py "
    "compare their gradients with TF's (fractional pools given TF's sequences)": """
        conv2d_backprop_filter_v2 conv2d_backprop_input_v2 nn.conv3d_transpose nn.pool
        nn.with_space_to_batch nn.fractional_avg_pool nn.fractional_max_pool""",
    "piecewise averaging over segments (equal neighbours stay separate segments, as TF's); "
    "tests/ops/test_nn_pool_extra.py compares its gradient with TF's": """
        nn.isotonic_regression""",
    "swept by tests/ops/test_gradient_special_points_nn.py (convolutions, pools in 2-D/3-D, solvers, "
    "colour spaces: special points of their own)": """
        nn.conv1d nn.conv1d_transpose nn.conv2d nn.conv2d_transpose nn.conv3d nn.convolution
        nn.depthwise_conv2d nn.avg_pool nn.avg_pool2d nn.avg_pool3d nn.max_pool nn.max_pool2d nn.max_pool3d
        linalg.solve linalg.lstsq linalg.lu linalg.lu_matrix_inverse linalg.lu_reconstruct linalg.lu_solve
        linalg.pinv linalg.triangular_solve linalg.cholesky_solve linalg.cross tensor_scatter_nd_max
        tensor_scatter_nd_min image.adjust_hue image.adjust_saturation image.hsv_to_rgb image.rgb_to_hsv""",
}
NOT_SWEPT = {name: reason for reason, names in _REASONS.items() for name in names.split()}


def not_swept_reason(name, obj):
    """Why `name` is not swept, or None."""
    if kind(obj) == "nondifferentiable":
        return "TF gives no gradient (None-ness: tests/ops/test_gradient_fidelity.py)"
    if any(REGISTRY.get(alias) is obj and alias in NOT_SWEPT for alias in REGISTRY):
        return "listed"
    return next((r for p, r in NOT_SWEPT_NAMESPACES.items() if name.startswith(p)), None)


# The dearest cases (XLA's matrix decompositions and expm: about a third of the
# sweep's compile time) run only with JAXTAPE_SWEEP_FULL=1.
FULL_ONLY = {"linalg.expm", "linalg.inv", "linalg.cholesky", "linalg.eigh", "linalg.qr", "linalg.svd"}


def cases():
    """(label, export name, fn, inputs, second, has_tf_formula) for every swept export."""
    recipes = {id(REGISTRY[name]): name for name in RECIPES}
    full = os.environ.get("JAXTAPE_SWEEP_FULL") == "1"
    out = []
    for name, obj in exports().items():
        if name in FULL_ONLY and not full:
            continue
        formula = _has_tf_formula(getattr(obj, "primitive", None))
        if id(obj) in recipes:
            for variant, (fn, arrays, second) in RECIPES[recipes[id(obj)]].items():
                out.append((name + (f"[{variant}]" if variant else ""), name, fn, arrays, second, formula))
        elif kind(obj) in ("unary", "binary", "reduction"):
            out.append((name, name, *auto_case(name, kind(obj), formula), formula))
    return out


def _has_tf_formula(prim):
    """Whether an op's gradient is a formula of its own (a twin or a custom_jvp)
    rather than JAX's derivative of its function: then tf.function is swept too."""
    import jax
    return prim is not None and (prim.graph_twin is not None or isinstance(prim.fn, jax.custom_jvp))


def compare(label, want, got):
    """{aspect: description} of the differences between two `run_op` results."""
    if isinstance(want, str) or isinstance(got, str):
        same = isinstance(want, str) and isinstance(got, str) and got == want
        return {} if same else {"outcome": f"{got if isinstance(got, str) else 'values'} vs TF's "
                                           f"{want if isinstance(want, str) else 'values'}"}
    diffs = {}
    for aspect, w, g in (("value", want[0], got[0]), ("grad", want[1], got[1]), ("grad2", want[2], got[2])):
        if (w is None) != (g is None):
            diffs[aspect] = f"None-ness: TF {w is None}"
            continue
        if w is None:
            continue
        if len(w) != len(g):
            diffs[aspect] = f"{len(g)} results vs TF's {len(w)}"
            continue
        for suffix, signs in (("", False), ("_sign", True)):
            text = "; ".join(f"#{i} {m}" for i, (a, b) in enumerate(zip(g, w)) if (m := mismatch(a, b, signs)))
            if text:
                diffs[aspect + suffix] = text
                break
    return diffs


# The jaxtape side runs in one subprocess, concurrently with TF's side here, with
# XLA's quick compile options (the `tiers` quick tier's): about 170 ops each
# compile a forward and a gradient kernel once, and XLA's full optimisation
# would cost several times the whole budget. Same values, up to the last bit.
QUICK_XLA = "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"


# Two processes share the cases: CI machines have two cores and the TF side is light.
WORKERS = 2


# Cases per `run_pack` program: large enough to share most of the fixed cost
# of a backward pass and a tf.function compile, small enough that a pack that
# raises (then run case by case) costs little.
PACK = 24


def run_cases(tf, cases, function=False):
    """{label: run_op result} for `cases` (`cases()` rows), in packs of `PACK`
    (those with second order apart); with `function`, only the cases with a
    TF formula of their own, each pack one `tf.function`."""
    got = {}
    for second in (False, True):
        group = [c for c in cases if c[4] == second and (c[5] or not function)]
        for i in range(0, len(group), PACK):
            chunk = group[i:i + PACK]
            results = run_pack(tf, [(fn, arrays) for _, _, fn, arrays, _, _ in chunk], second, function)
            got.update((label, result) for (label, *_), result in zip(chunk, results))
    return got


def jaxtape_side(part, parts, cases=cases):
    """{label: (eager result, tf.function result or None)} for every `parts`-th case from `part`."""
    mine = cases()[part::parts]
    eager, function = run_cases(jaxtape, mine), run_cases(jaxtape, mine, function=True)
    return {label: (eager[label], function.get(label)) for label, *_ in mine}


def start_jaxtape_side(path, part, module=__name__):
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} {QUICK_XLA}")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if module == "__main__":  # this file run as `python -m tests.ops.<file>`
        module = sys.modules["__main__"].__spec__.name
    module = "tests.ops." + module.rsplit(".", 1)[-1]  # run from the root: `-m tests.ops.<file>`
    return subprocess.Popen([sys.executable, "-m", module, "--jaxtape",
                             str(path), str(part), str(WORKERS)], cwd=root, env=env)


def sweep(tmp_path, cases=cases, module=__name__):
    """{label: {aspect: description}}: jaxtape's differences from TF, eager and in tf.function.

    `cases` and `module` (whose `--jaxtape` entry point runs `jaxtape_side` on the same
    cases) let another sweep file reuse this harness."""
    from tests.difftest import real_tf
    paths = [tmp_path / f"jaxtape_side{part}.pickle" for part in range(WORKERS)]
    children = [start_jaxtape_side(path, part, module) for part, path in enumerate(paths)]
    try:
        tf = real_tf()
        want = run_cases(tf, cases())
    finally:
        codes = [child.wait(timeout=600) for child in children]
    assert codes == [0] * WORKERS, "the jaxtape side failed (its traceback is above)"
    got = {}
    for path in paths:
        with open(path, "rb") as f:
            got.update(pickle.load(f))
    found = {}
    for label, w in want.items():
        eager, function = got[label]
        diffs = compare(label, w, eager)
        if function is not None:
            diffs.update({f"function_{k}": v for k, v in compare(label, w, function).items()})
        if diffs:
            found[label] = diffs
    return found


_WHY = {
    "CUMPROD": "TF is mathematically wrong: its cumprod gradient divides by x, so a zero drops the terms "
               "after it and a NaN or inf x spreads NaN (README)",
    "PROD": "TF is mathematically wrong: its segment_prod gradient is prod / x, NaN at a NaN or inf x whose "
            "co-factors are finite (README)",
    "I1": "TF is mathematically wrong: d/dx bessel_i1 at 0 is 0.5, TF says 1 (README)",
    "SILU": "TF is mathematically wrong: its s * (1 + b x (1 - s)) is inf * 0 = NaN where b x is infinite; "
            "the limit is kept (README)",
    "SOFTSIGN": "TF raises LookupError: no gradient for SoftsignGrad; jaxtape gives the second derivative",
    "LINALG_RAISE": "TF is wrong here: its det and slogdet gradients go through MatrixInverse, which raises "
                    "InvalidArgumentError for a batch with a singular or NaN matrix, where the gradient exists "
                    "(the adjugate; README)",
    "EXPM": "TF is mathematically wrong: its expm (scaling and squaring in Python ops over the whole batch) "
            "gives NaN for every matrix of a batch in which one matrix holds NaN, and a None gradient; "
            "jaxtape's is each matrix's own exponential and its derivative (README)",
    "UNINIT": "TF's Cholesky kernel leaves the upper triangle of a matrix it cannot factor uninitialised "
              "(NaN, 1.33, 3e33 in different runs; its lower triangle is NaN); jaxtape's is 0 (FULL_ONLY)",
    "FTZ": "documented XLA difference: XLA:CPU flushes a float32 subnormal input (1e-38) to zero (log -inf); "
           "TF's kernels flush it in their vectorised loop too and give log(2^-150)-based values in its scalar "
           "tail, whatever the input (so TF's value depends on the element's position and is not log(x)); "
           "exact log(x) from the bits would double log's cost (README)",
    "QUICKTANH": "the sweep's jaxtape side compiles in XLA's quick tier (QUICK_XLA), whose tanh saturates at "
                 "0.9999998 for |x| >= 7.9, so TF's 1 - y^2 is not 0 and an infinite upstream gives inf where "
                 "TF's inf * 0 is NaN; XLA's full tier (the default) gives 1 and agrees with TF",
    "TFPOSITION": "TF's own sign depends on the element's position: its vectorised RsqrtGrad gives +0 at x = inf "
                  "(y = 0) and -0 at x = 3e38 (y^3 underflows), its scalar loop -0 at both; jaxtape gives "
                  "-0.5 g y^3's -0 at both (README)",
    "MINTIE": "not fixed: TF's Min keeps the last of tied zeros in its order (min(-0, 0) is 0, min(0, -0) is -0); "
              "XLA's min prefers -0, and matching needs a second pass over the input",
}
# (case, aspect) -> why jaxtape differs from TF there; aspects: value, grad, grad2 (second order),
# outcome (one raises), *_sign (zeros' signs only), function_* (inside tf.function).
KNOWN = {
    ("math.reduce_min", "value_sign"): _WHY["MINTIE"],
    ("math.rsqrt", "grad_sign"): _WHY["TFPOSITION"],
    ("math.rsqrt", "function_grad_sign"): _WHY["TFPOSITION"],
    ("math.cumprod", "grad"): _WHY["CUMPROD"],
    ("math.cumprod[exclusive_reverse]", "grad"): _WHY["CUMPROD"],
    ("math.segment_prod", "grad"): _WHY["PROD"],
    ("math.unsorted_segment_prod", "grad"): _WHY["PROD"],
    ("math.bessel_i0", "grad2"): _WHY["I1"],
    ("math.bessel_i0", "function_grad2"): _WHY["I1"],
    ("math.bessel_i1", "grad"): _WHY["I1"],
    ("nn.silu", "grad"): _WHY["SILU"],
    ("nn.silu", "function_grad"): _WHY["SILU"],
    ("nn.silu[beta]", "grad"): _WHY["SILU"],
    ("nn.silu[beta]", "function_grad"): _WHY["SILU"],
    ("math.softsign", "outcome"): _WHY["SOFTSIGN"],
    ("math.softsign", "function_outcome"): _WHY["SOFTSIGN"],
    ("linalg.det", "outcome"): _WHY["LINALG_RAISE"],
    ("linalg.det[singular]", "outcome"): _WHY["LINALG_RAISE"],
    ("linalg.slogdet", "outcome"): _WHY["LINALG_RAISE"],
    ("linalg.slogdet[singular]", "outcome"): _WHY["LINALG_RAISE"],
    ("linalg.cholesky", "value"): _WHY["UNINIT"],
    ("linalg.cholesky", "function_value"): _WHY["UNINIT"],
    ("linalg.expm", "value"): _WHY["EXPM"],
    ("linalg.expm", "grad"): _WHY["EXPM"],
    ("math.special.expint", "value"): _WHY["FTZ"],
    ("math.special.expint", "function_value"): _WHY["FTZ"],
    ("math.tanh", "grad"): _WHY["QUICKTANH"],
    ("math.tanh", "function_grad"): _WHY["QUICKTANH"],
    ("nn.gelu[approximate]", "grad"): _WHY["QUICKTANH"],
    ("math.lgamma", "value"): _WHY["FTZ"],
    ("math.lgamma", "function_value"): _WHY["FTZ"],
    ("math.log", "value"): _WHY["FTZ"],
    ("math.log", "function_value"): _WHY["FTZ"],
}


def test_every_export_is_swept_or_excused():
    swept = {case[1] for case in cases()} | FULL_ONLY
    missing = [name for name, obj in exports().items() if name not in swept and not not_swept_reason(name, obj)]
    assert not missing, f"give these a recipe in RECIPES or a reason in NOT_SWEPT: {missing}"
    stale = [name for name in list(RECIPES) + list(NOT_SWEPT) if name not in REGISTRY]
    assert not stale, f"no longer exported: {stale}"


# A KNOWN reason starting with this marks a difference seen on some CPUs only
# (their XLA:CPU kernels differ): it may be absent.
MACHINE_DEPENDENT = "(on some CPUs) "


def assert_known(found, known, labels):
    """Fails on a difference `known` does not list, and on a listed one (for a
    case among `labels`) that is gone, unless it is `MACHINE_DEPENDENT`."""
    new = {f"{label} {aspect}": text for label, diffs in found.items() for aspect, text in diffs.items()
           if (label, aspect) not in known}
    gone = sorted(f"{label} {aspect}" for (label, aspect), why in known.items()
                  if label in labels and aspect not in found.get(label, {})
                  and not why.startswith(MACHINE_DEPENDENT))
    assert not new, "differences from TF (fix them, or list them in KNOWN with a reason):\n" + "\n".join(
        f"{k}: {v[:400]}" for k, v in new.items())
    assert not gone, f"fixed: remove from KNOWN: {gone}"


def test_special_points_sweep(tmp_path):
    assert_known(sweep(tmp_path), KNOWN, {case[0] for case in cases()})


def main(argv, cases=cases, module=__name__):
    """A sweep module run as a script: one jaxtape side (`--jaxtape out part
    parts`, what `start_jaxtape_side` starts), or the report of every difference."""
    if argv[1:2] == ["--jaxtape"]:
        import warnings
        warnings.simplefilter("ignore")
        with open(argv[2], "wb") as f:
            pickle.dump(jaxtape_side(int(argv[3]), int(argv[4]), cases), f)
    else:
        import pathlib
        import tempfile
        import time
        t0 = time.time()
        for label, diffs in sweep(pathlib.Path(tempfile.mkdtemp()), cases, module).items():
            for aspect, text in diffs.items():
                print(f"{label} {aspect}: {text[:300]}")
        print("seconds", time.time() - t0)


if __name__ == "__main__":
    main(sys.argv)
