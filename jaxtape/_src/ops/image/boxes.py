"""`tf.image` box ops: crop_and_resize, extract_patches, resize_with_pad,
non-max suppression, draw_bounding_boxes, sample_distorted_bounding_box.

CropAndResize, ExtractImagePatches and DrawBoundingBoxesV2 are JAX functions
following TF's kernels (CropAndResize's box gradient for `nearest` is the
bilinear one, as TF's). Non-max suppression and the distorted-box sampler are
sequential and their outputs' sizes depend on values, so they run on the host
(NumPy), as TF's CPU kernels do; the sampler draws JAX's bits, not TF's.
"""
from __future__ import annotations

import collections
import functools
import heapq

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotFoundError, OutOfRangeError, UnimplementedError
from jaxtape._src.framework.messages import (attr_not_allowed, dims, dtype_mismatch, kernel_dtype_name,
                                             named_by, op_error)
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops import random as random_ops
from jaxtape._src.ops.debugging import Assert
from jaxtape._src.ops.image.geometry import _batch, _unbatch, pad_to_bounding_box, resize
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.args import host_array, host_int
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _allowed(op, attr, dtype, allowed, summary, named):
    """TF's error for a dtype attribute the op does not register."""
    return attr_not_allowed(op, attr, kernel_dtype_name(dtype), allowed, summary, named)


# -- crop_and_resize ---------------------------------------------------------------------------

_CAR = "CropAndResize"
_CAR_TYPES = "uint8, uint16, int8, int16, int32, int64, half, float, double"
_CAR_SUMMARY = ("Op<name=CropAndResize; signature=image:T, boxes:float, box_ind:int32, crop_size:int32 -> "
                "crops:float; attr=T:type,allowed=[DT_UINT8, DT_UINT16, DT_INT8, DT_INT16, DT_INT32, "
                "DT_INT64, DT_HALF, DT_FLOAT, DT_DOUBLE]; attr=method:string,default=\"bilinear\","
                "allowed=[\"bilinear\", \"nearest\"]; attr=extrapolation_value:float,default=0>")


def _sample_points(c1, c2, n, size, xp=jnp):
    """Where output rows (columns) sample the image: [boxes, n] float32 coordinates
    (a box of one row samples its middle, computed in double as TF's kernel)."""
    f32 = xp.float32
    if n > 1:
        step = (c2 - c1) * f32(size - 1) / f32(n - 1)
        return c1[:, None] * f32(size - 1) + xp.arange(n, dtype=f32)[None, :] * step[:, None]
    return (0.5 * (c1 + c2).astype(xp.float64) * (size - 1)).astype(f32)[:, None]


def _coordinates(boxes, crop, h, w):
    """(ys, xs) rounded as TF's kernel: on the host when the boxes are known, since XLA
    turns `d * 5 / 3` into `d * (5 / 3)` (and may contract multiply-adds), moving samples
    that fall on pixel boundaries and so flipping floor, round and the range tests."""
    if isinstance(boxes, jax.core.Tracer):
        return None
    b = np.asarray(boxes, np.float32)
    return (_sample_points(b[:, 0], b[:, 2], crop[0], h, np), _sample_points(b[:, 1], b[:, 3], crop[1], w, np))


def _round_half_up(v):
    """C's roundf for v >= 0 (in-range coordinates): floor(v + 0.5) would round
    0.49999997 up, the sum rounding to 1 in float32."""
    low = jnp.floor(v)
    return low + (v - low >= 0.5)


def _crop_and_resize_value(image, boxes, box_ind, ys, xs, *, crop, method, extrapolation):
    """ys, xs: the sample coordinates as TF rounds them; their derivative w.r.t. the
    boxes is that of the formula (zero difference in value)."""
    x = image.astype(jnp.float32)
    h, w = x.shape[1:3]
    fy = _sample_points(boxes[:, 0], boxes[:, 2], crop[0], h)
    fx = _sample_points(boxes[:, 1], boxes[:, 3], crop[1], w)
    ys = ys + (fy - jax.lax.stop_gradient(fy))
    xs = xs + (fx - jax.lax.stop_gradient(fx))
    inside = (((ys >= 0) & (ys <= h - 1))[:, :, None] & ((xs >= 0) & (xs <= w - 1))[:, None, :])[..., None]
    src = x[box_ind]  # [n, h, w, c]

    def pick(rows, cols):  # src[n, rows[n, i], cols[n, j]] with indices kept inside the image
        rows = jnp.clip(rows, 0, h - 1).astype(jnp.int32)
        cols = jnp.clip(cols, 0, w - 1).astype(jnp.int32)
        n = jnp.arange(src.shape[0])[:, None, None]
        return src[n, rows[:, :, None], cols[:, None, :]]

    if method == "nearest":
        out = pick(_round_half_up(ys), _round_half_up(xs))
    else:
        top, left = jnp.floor(ys), jnp.floor(xs)
        dy, dx = (ys - top)[:, :, None, None], (xs - left)[:, None, :, None]
        tl, tr = pick(top, left), pick(top, jnp.ceil(xs))
        bl, br = pick(jnp.ceil(ys), left), pick(jnp.ceil(ys), jnp.ceil(xs))
        upper = tl + (tr - tl) * dx
        lower = bl + (br - bl) * dx
        out = upper + (lower - upper) * dy
    return jnp.where(inside, out, jnp.float32(extrapolation))


def _crop_and_resize_grad(image, boxes, box_ind, ys, xs, *, crop, method, extrapolation):
    """Differentiated in place of the value: for `nearest`, TF's box gradient is the
    bilinear one (the image's still goes to the nearest pixels)."""
    value = functools.partial(_crop_and_resize_value, crop=crop, extrapolation=extrapolation)
    if method != "nearest":
        return value(image, boxes, box_ind, ys, xs, method=method)
    bilinear = value(jax.lax.stop_gradient(image), boxes, box_ind, ys, xs, method="bilinear")
    return (value(image, jax.lax.stop_gradient(boxes), box_ind, ys, xs, method="nearest")
            + (bilinear - jax.lax.stop_gradient(bilinear)))


_crop_and_resize = TFGradPrimitive(_crop_and_resize_value, _crop_and_resize_grad, _CAR)


@defined("image.crop_and_resize")
def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear", extrapolation_value=0.0,
                    name=None):
    """Crops `boxes` ([y1, x1, y2, x2], normalized) of the images `box_indices`
    names and resizes each to `crop_size`, sampling bilinearly or at the nearest
    pixel; samples outside the image are `extrapolation_value`. float32 out."""
    named = named_by(image, boxes, box_indices, crop_size)
    image = convert_to_tensor(image)
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32)
    box_indices = convert_to_tensor(box_indices, dtype=dtypes.int32)
    crop_size = convert_to_tensor(crop_size, dtype=dtypes.int32)
    if isinstance(extrapolation_value, (Tensor, jax.Array)) or not isinstance(
            extrapolation_value, (int, float, np.number)):
        raise TypeError(f"Expected float for argument 'extrapolation_value' not {extrapolation_value!r}.")
    if image.dtype.name not in ("uint8", "uint16", "int8", "int16", "int32", "int64", "float16",
                                "float32", "float64"):
        raise _allowed(_CAR, "T", image.dtype, _CAR_TYPES, _CAR_SUMMARY, named)
    if method not in ("bilinear", "nearest"):
        raise attr_not_allowed(_CAR, "method", f'"{method}"', '"bilinear", "nearest"', _CAR_SUMMARY, named)
    shape, bshape, ishape = image._value.shape, boxes._value.shape, box_indices._value.shape
    if len(shape) != 4:
        raise op_error(f"input image must be 4-D{dims(shape)}", _CAR, named)
    if min(shape[:3]) <= 0:
        raise op_error("image dimensions must be positive", _CAR, named)
    if not (boxes._value.size == 0 and box_indices._value.size == 0):
        if len(bshape) != 2:
            raise op_error(f"boxes must be 2-D, got: {dims(bshape)}", _CAR, named)
        if bshape[1] != 4:
            raise op_error("boxes must have 4 columns", _CAR, named)
        if len(ishape) != 1:
            raise op_error(f"box_indices must be rank 1 but is shape {dims(ishape)}", _CAR, named)
        if ishape[0] != bshape[0]:
            raise op_error("box_index has incompatible shape", _CAR, named)
    size = crop_size._value.shape
    if len(size) != 1 or size[0] != 2:
        raise op_error(f"crop_size must have two elements{dims(size)}", _CAR, named)
    ch, cw = (int(v) for v in host_array(crop_size, "tf.image.crop_and_resize", "crop_size"))
    if ch <= 0 or cw <= 0:
        raise op_error("crop dimensions must be positive", _CAR, named)
    if not isinstance(box_indices._value, jax.core.Tracer) and box_indices._value.size:
        ind = np.asarray(box_indices._value)
        if ind.min() < 0 or ind.max() >= shape[0]:
            raise OutOfRangeError(None, None, f"box_index has values outside [0, batch_size) [Op:{_CAR}]"
                                  + (" name: " if named else ""))
    if not isinstance(boxes._value, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(boxes._value))):
        raise op_error("Boxes contains at least one element that is not finite", _CAR, named)
    boxes = Tensor(jnp.reshape(boxes._value, (-1, 4))) if boxes._value.size == 0 else boxes
    coords = _coordinates(boxes._value, (ch, cw), shape[1], shape[2])
    if coords is None:  # inside tf.function: XLA's rounding of the same formula
        b = boxes._value
        coords = (_sample_points(b[:, 0], b[:, 2], ch, shape[1]), _sample_points(b[:, 1], b[:, 3], cw, shape[2]))
    ys, xs = (Tensor(jnp.asarray(c)) for c in coords)
    return _crop_and_resize(image, boxes, box_indices, ys, xs, crop=(ch, cw), method=method,
                            extrapolation=float(extrapolation_value))


# -- extract_patches ------------------------------------------------------------------------------

_EIP = "ExtractImagePatches"
_EIP_TYPES = ("bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
              "complex64, complex128, bool")
_EIP_SUMMARY = ("Op<name=ExtractImagePatches; signature=images:T -> patches:T; attr=ksizes:list(int),min=4; "
                "attr=strides:list(int),min=4; attr=rates:list(int),min=4; attr=T:type,allowed=[DT_BFLOAT16, "
                "DT_HALF, DT_FLOAT, DT_DOUBLE, DT_INT8, DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, "
                "DT_UINT32, DT_UINT64, DT_COMPLEX64, DT_COMPLEX128, DT_BOOL]; attr=padding:string,"
                "allowed=[\"SAME\", \"VALID\"]>")
_EIP_CPU = ("All kernels registered for op ExtractImagePatches:\n"
            "  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_DOUBLE, DT_INT32, DT_BFLOAT16, DT_HALF]\n"
            + "".join(f"  device='CPU'; T in [DT_{t}]\n" for t in (
                "COMPLEX128", "COMPLEX64", "DOUBLE", "FLOAT", "BFLOAT16", "HALF", "INT32", "INT8", "UINT8",
                "INT16", "UINT16", "UINT32", "INT64", "UINT64")))


@primitive(name=_EIP)
def _extract_patches(x, *, rows, cols):
    """rows/cols: each axis's (windows, stride, rate, size, (before, after) zero padding)."""
    (nr, sr, rr, kr, pr), (nc, sc, rc, kc, pc) = rows, cols
    x = jnp.pad(x, ((0, 0), pr, pc, (0, 0)))
    r = np.arange(nr)[:, None] * sr + np.arange(kr)[None, :] * rr  # [windows, k] padded coordinates
    c = np.arange(nc)[:, None] * sc + np.arange(kc)[None, :] * rc
    patches = x[:, r[:, None, :, None], c[None, :, None, :], :]  # [b, out_r, out_c, kr, kc, d]
    return patches.reshape(x.shape[0], nr, nc, kr * kc * x.shape[3])


def _window(size, k, stride, rate, padding):
    """An axis's windows as `_extract_patches` takes them, sized as TF's kernel does."""
    span = k + (k - 1) * (rate - 1)
    if padding == "VALID":
        return max((size - span + stride) // stride, 0), stride, rate, k, (0, 0)
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, stride, rate, k, (total // 2, total - total // 2)


@defined("image.extract_patches")
def extract_patches(images, sizes, strides, rates, padding, name=None):
    """[batch, out_rows, out_cols, k_rows * k_cols * depth]: each window's pixels, row by row."""
    images = convert_to_tensor(images)
    lists = {"ksizes": [int(v) for v in sizes], "strides": [int(v) for v in strides],
             "rates": [int(v) for v in rates]}
    for attr, values in lists.items():
        if len(values) < 4:
            raise op_error(f"Length for attr '{attr}' of {len(values)} must be at least minimum 4\n\t; "
                           f"NodeDef: {{{{node {_EIP}}}}}; {_EIP_SUMMARY}", _EIP)
    if images.dtype.name not in ("bfloat16", "float16", "float32", "float64", "int8", "int16", "int32",
                                 "int64", "uint8", "uint16", "uint32", "uint64", "complex64", "complex128",
                                 "bool"):
        raise _allowed(_EIP, "T", images.dtype, _EIP_TYPES, _EIP_SUMMARY, True)
    if padding not in ("SAME", "VALID"):
        raise attr_not_allowed(_EIP, "padding", f'"{padding}"', '"SAME", "VALID"', _EIP_SUMMARY)
    for attr, values in lists.items():
        if values[0] != 1 or values[3] != 1:
            raise UnimplementedError(None, None, f"Only support {attr} across space. [Op:{_EIP}] name: ")
    for attr, values in lists.items():
        if values[1] <= 0 or values[2] <= 0:
            raise OutOfRangeError(None, None, f"{attr} is out of range. [Op:{_EIP}] name: ")
    if images.dtype == dtypes.bool:  # registered on XLA devices only
        ks, st, ra = (", ".join(map(str, lists[a])) for a in ("ksizes", "strides", "rates"))
        raise NotFoundError(None, None, f"Could not find device for node: {{{{node {_EIP}}}}} = {_EIP}"
                            f"[T=DT_BOOL, ksizes=[{ks}], padding=\"{padding}\", rates=[{ra}], strides=[{st}]]\n"
                            f"{_EIP_CPU} [Op:{_EIP}] name: ")
    shape = images._value.shape
    if len(shape) != 4:
        raise op_error(f"input must be 4-dimensional{dims(shape)}", _EIP)
    (k, s, r) = (lists["ksizes"], lists["strides"], lists["rates"])
    rows = _window(shape[1], k[1], s[1], r[1], padding)
    cols = _window(shape[2], k[2], s[2], r[2], padding)
    return _extract_patches(images, rows=rows, cols=cols)


# -- resize_with_pad ------------------------------------------------------------------------------

@defined("image.resize_with_pad")
def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resizes keeping the aspect ratio to fit the target, then zero-pads it centred."""
    image = convert_to_tensor(image)
    batched = image.ndim == 4
    if image.ndim not in (3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    x = image if batched else _batch(image)
    if 0 in x._value.shape[-3:]:
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {TensorShape(x._value.shape)}")
    for value, label in ((target_width, "target_width"), (target_height, "target_height")):
        if isinstance(value, Tensor):  # TF asserts on tensors, compares anything else in Python
            Assert(value > 0, [f"{label} must be > 0."])
        elif not value > 0:
            raise ValueError(f"{label} must be > 0.")
    th, tw = host_int(target_height), host_int(target_width)
    h, w = (np.float32(d) for d in x._value.shape[1:3])
    ratio = max(w / np.float32(tw), h / np.float32(th))
    rh, rw = h / ratio, w / ratio  # float32 throughout, as TF's
    pad_h = max(0, int(np.floor((np.float32(th) - rh) / np.float32(2))))
    pad_w = max(0, int(np.floor((np.float32(tw) - rw) / np.float32(2))))
    resized = resize(x, [int(np.floor(rh)), int(np.floor(rw))], method, antialias=antialias)
    padded = pad_to_bounding_box(resized, pad_h, pad_w, th, tw)
    return padded if batched else _unbatch(padded)


# -- non-max suppression -------------------------------------------------------------------------

_NMS_SUMMARY = {
    "NonMaxSuppressionV3": (
        "Op<name=NonMaxSuppressionV3; signature=boxes:T, scores:T, max_output_size:int32, "
        "iou_threshold:T_threshold, score_threshold:T_threshold -> selected_indices:int32; "
        "attr=T:type,default=DT_FLOAT,allowed=[DT_HALF, DT_FLOAT]; "
        "attr=T_threshold:type,default=DT_FLOAT,allowed=[DT_HALF, DT_FLOAT]>"),
    "NonMaxSuppressionV5": (
        "Op<name=NonMaxSuppressionV5; signature=boxes:T, scores:T, max_output_size:int32, iou_threshold:T, "
        "score_threshold:T, soft_nms_sigma:T -> selected_indices:int32, selected_scores:T, "
        "valid_outputs:int32; attr=T:type,default=DT_FLOAT,allowed=[DT_HALF, DT_FLOAT]; "
        "attr=pad_to_max_output_size:bool,default=false>"),
}


def _iou(corners, i, js):
    """IoU of box i with boxes js (corners in any order; 0 where either area is not positive)."""
    lo, hi = np.minimum(corners[..., :2], corners[..., 2:]), np.maximum(corners[..., :2], corners[..., 2:])
    area = np.prod(hi - lo, axis=-1)
    inter = np.prod(np.maximum(np.minimum(hi[i], hi[js]) - np.maximum(lo[i], lo[js]), 0), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / (area[i] + area[js] - inter)
    return np.where((area[i] <= 0) | (area[js] <= 0), 0, iou)


def _greedy(boxes, scores, limit, iou_threshold, score_threshold, sigma):
    """TF's greedy selection: best score first (lower index on ties), each candidate
    checked against the boxes selected since it was last checked; hard NMS drops it
    when an IoU exceeds the threshold, soft NMS (sigma > 0) scales its score by
    exp(-IoU^2 / (2 sigma)) and puts it back unless it fell to the score threshold."""
    dt = scores.dtype
    corners = boxes.astype(np.float32)
    scale = dt.type(-0.5 / sigma) if sigma > 0 else dt.type(0)
    heap = [(-s, i, s, 0) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(heap)
    selected, kept_scores = [], []
    while heap and len(selected) < limit:
        _, i, score, begin = heapq.heappop(heap)
        original = score
        hard = False
        for j in range(len(selected) - 1, begin - 1, -1):
            iou = dt.type(_iou(corners, i, np.asarray([selected[j]]))[0])
            if sigma > 0:
                score = dt.type(score * np.exp(scale * iou * iou))
            elif iou > iou_threshold:
                hard = True
                break
            if score <= score_threshold:
                break
        if hard:
            continue
        if score == original:
            selected.append(i)
            kept_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-score, i, score, len(selected)))
    return np.asarray(selected, np.int32), np.asarray(kept_scores, dt)


@primitive(name="NonMaxSuppressionV5", multiple_results=True, differentiable=False, jit=False)
def _nms(boxes, scores, *, limit, iou_threshold, score_threshold, sigma):
    index, kept = _greedy(np.asarray(boxes), np.asarray(scores), limit, iou_threshold, score_threshold, sigma)
    return jnp.asarray(index), jnp.asarray(kept)


def _nms_inputs(op, boxes, scores, max_output_size, thresholds):
    """TF's conversions and kernel checks; returns (boxes, scores, limit, threshold values)."""
    named = True
    boxes = convert_to_tensor(boxes)
    if boxes.dtype not in (dtypes.float16, dtypes.float32):
        raise _allowed(op, "T", boxes.dtype, "half, float", _NMS_SUMMARY[op], named)
    if isinstance(scores, Tensor) and scores.dtype != boxes.dtype:
        raise dtype_mismatch(op, 1, boxes.dtype, scores.dtype)
    scores = convert_to_tensor(scores, dtype=boxes.dtype)
    if isinstance(max_output_size, Tensor) and max_output_size.dtype != dtypes.int32:
        raise dtype_mismatch(op, 2, dtypes.int32, max_output_size.dtype)
    mos_named = named_by(max_output_size)
    max_output_size = convert_to_tensor(max_output_size, dtype=dtypes.int32)
    v3 = op == "NonMaxSuppressionV3"
    kind = thresholds[0].dtype if v3 else boxes.dtype  # V3's thresholds have their own dtype attribute
    if v3 and kind not in (dtypes.float16, dtypes.float32):
        raise _allowed(op, "T_threshold", kind, "half, float", _NMS_SUMMARY[op], named)
    for i, t in enumerate(thresholds):
        if t.dtype != kind:
            raise dtype_mismatch(op, 3 + i, kind, t.dtype)

    def scalar(t, label, detail):
        if t.ndim:
            extra = f" (Shape must be rank 0 but is rank {t.ndim})" if detail else ""
            raise op_error(f"{label} must be 0-D, got shape {dims(t._value.shape)}{extra}", op,
                           mos_named if label == "max_output_size" else named)
    scalar(max_output_size, "max_output_size", v3)
    scalar(thresholds[0], "iou_threshold", v3)
    iou = float(host_array(thresholds[0], op))
    if not 0 <= iou <= 1:
        raise op_error("iou_threshold must be in [0, 1]", op, named)
    scalar(thresholds[1], "score_threshold", False)
    values = [iou, float(host_array(thresholds[1], op))]
    if not v3:
        scalar(thresholds[2], "soft_nms_sigma", False)
        sigma = float(host_array(thresholds[2], op))
        if sigma < 0:
            raise op_error("soft_nms_sigma_val must be >= 0", op, named)
        values.append(sigma)
    bshape, sshape = boxes._value.shape, scores._value.shape
    if len(bshape) != 2:
        raise op_error(f"boxes must be 2-D{dims(bshape)} (Shape must be rank 2 but is rank {len(bshape)})",
                       op, named)
    if bshape[1] != 4:
        raise op_error(f"boxes must have 4 columns (Dimension must be 4 but is {bshape[1]})", op, named)
    if len(sshape) != 1:
        raise op_error(f"scores must be 1-D{dims(sshape)} (Shape must be rank 1 but is rank {len(sshape)})",
                       op, named)
    if sshape[0] != bshape[0]:
        raise op_error(f"scores has incompatible shape (Dimensions must be equal, but are {bshape[0]} and "
                       f"{sshape[0]})", op, named)
    limit = int(host_array(max_output_size, op))
    if limit < 0:
        raise op_error("output size must be non-negative", op, named)
    host_array(boxes, op, "the boxes it selects from")
    host_array(scores, op, "the scores it selects by")
    return boxes, scores, limit, values


@defined("image.non_max_suppression")
def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                        name=None):
    """int32 indices of up to `max_output_size` boxes, best score first, none
    overlapping an earlier one by IoU > `iou_threshold`, all scoring > `score_threshold`."""
    op = "NonMaxSuppressionV3"
    thresholds = [convert_to_tensor(iou_threshold), convert_to_tensor(score_threshold)]
    boxes, scores, limit, (iou, floor) = _nms_inputs(op, boxes, scores, max_output_size, thresholds)
    return _nms(boxes, scores, limit=limit, iou_threshold=iou, score_threshold=floor, sigma=0.0)[0]


@defined("image.non_max_suppression_with_scores")
def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0, name=None):
    """(indices, scores) of the selection; with `soft_nms_sigma` > 0, Soft-NMS: overlaps
    scale scores down (Gaussian in IoU) instead of removing boxes, `iou_threshold` unused."""
    op = "NonMaxSuppressionV5"
    thresholds = [convert_to_tensor(v) for v in (iou_threshold, score_threshold, soft_nms_sigma)]
    boxes, scores, limit, (iou, floor, sigma) = _nms_inputs(op, boxes, scores, max_output_size, thresholds)
    index, kept = _nms(boxes, scores, limit=limit, iou_threshold=iou, score_threshold=floor, sigma=sigma)
    return index, kept


# -- draw_bounding_boxes ----------------------------------------------------------------------------

# TF's kernel cycles through these when `colors` is None or empty.
_DEFAULT_COLORS = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1],
                            [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]],
                           np.float32)
_DRAW_SUMMARY = {
    "DrawBoundingBoxesV2": ("Op<name=DrawBoundingBoxesV2; signature=images:T, boxes:float, colors:float -> "
                            "output:T; attr=T:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_HALF]>"),
    "DrawBoundingBoxes": ("Op<name=DrawBoundingBoxes; signature=images:T, boxes:float -> output:T; "
                          "attr=T:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_HALF]>"),
}


# TF registers no gradient for DrawBoundingBoxesV2 (LookupError there); None here.
@primitive(name="DrawBoundingBoxesV2", differentiable=False)
def _draw(images, boxes, colors):
    """Each box's one-pixel outline in its colour (box n takes colour n mod len(colors));
    later boxes paint over earlier ones. Corners truncate to pixels as TF's int64 casts."""
    b, h, w, depth = images.shape
    n = boxes.shape[1]
    if n == 0:
        return images
    scaled = boxes * jnp.asarray([h - 1, w - 1, h - 1, w - 1], jnp.float32)
    top, left, bottom, right = (scaled[..., i].astype(jnp.int64)[:, :, None, None] for i in range(4))
    drawn = ~((top > bottom) | (left > right) | (top >= h) | (bottom < 0) | (left >= w) | (right < 0))
    rows = jnp.arange(h)[None, None, :, None]
    cols = jnp.arange(w)[None, None, None, :]
    across = (cols >= jnp.maximum(left, 0)) & (cols <= jnp.minimum(right, w - 1))
    down = (rows >= jnp.maximum(top, 0)) & (rows <= jnp.minimum(bottom, h - 1))
    line = (((rows == top) | (rows == bottom)) & across) | (((cols == left) | (cols == right)) & down)
    line = line & drawn  # [b, n, h, w]
    last = jnp.max(jnp.where(line, jnp.arange(n)[None, :, None, None], -1), axis=1)  # [b, h, w]
    paint = colors[jnp.maximum(last, 0) % colors.shape[0], :depth].astype(images.dtype)
    return jnp.where((last >= 0)[..., None], paint, images)


@defined("image.draw_bounding_boxes")
def draw_bounding_boxes(images, boxes, colors, name=None):
    """Outlines `boxes` ([batch, n, 4], normalized [y1, x1, y2, x2]) on the images,
    cycling through `colors` (RGBA rows; TF's table when None or empty)."""
    op = "DrawBoundingBoxes" if colors is None else "DrawBoundingBoxesV2"
    named = named_by(images, boxes, colors)
    images = convert_to_tensor(images)
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32)
    if colors is not None:
        if isinstance(colors, Tensor) and colors.dtype != dtypes.float32:
            raise dtype_mismatch(op, 2, dtypes.float32, colors.dtype)
        colors = convert_to_tensor(colors, dtype=dtypes.float32)
    if images.dtype not in (dtypes.float32, dtypes.float16):
        raise _allowed(op, "T", images.dtype, "float, half", _DRAW_SUMMARY[op], named)
    shape, bshape = images._value.shape, boxes._value.shape
    if len(shape) != 4:
        raise op_error("The rank of the images should be 4", op, named)
    if len(bshape) != 3:
        raise op_error("The rank of the boxes tensor should be 3", op, named)
    if shape[0] != bshape[0]:
        raise op_error("The batch sizes should be the same", op, named)
    depth = shape[3]
    if depth not in (1, 3, 4):
        raise op_error("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)", op, named)
    if bshape[2] != 4:
        raise op_error(f"The size of the third dimension of the box must be 4. Received: {bshape[2]}", op, named)
    table = Tensor(jnp.asarray(_DEFAULT_COLORS))
    if colors is not None:
        cshape = colors._value.shape
        if len(cshape) != 2:
            raise op_error(f"colors must be a 2-D matrix{dims(cshape)}", op, named)
        if cshape[1] < depth:
            raise op_error(f"colors must have equal or more channels than the image provided: {dims(cshape)}",
                           op, named)
        if colors._value.size:
            table = colors
    return _draw(images, boxes, table)


# -- sample_distorted_bounding_box -------------------------------------------------------------------

_SDBB_ATTRS = ("attr=aspect_ratio_range:list(float),default=[0.75, 1.33]; attr=area_range:list(float),"
               "default=[0.05, 1]; attr=max_attempts:int,default=100; "
               "attr=use_image_if_no_bounding_boxes:bool,default=false")
_SDBB_SUMMARY = {
    "SampleDistortedBoundingBoxV2": (
        "Op<name=SampleDistortedBoundingBoxV2; signature=image_size:T, bounding_boxes:float, "
        "min_object_covered:float -> begin:T, size:T, bboxes:float; attr=T:type,allowed=[DT_UINT8, DT_INT8, "
        "DT_INT16, DT_INT32, DT_INT64]; attr=seed:int,default=0; attr=seed2:int,default=0; "
        + _SDBB_ATTRS + "; is_stateful=true>"),
    "StatelessSampleDistortedBoundingBox": (
        "Op<name=StatelessSampleDistortedBoundingBox; signature=image_size:T, bounding_boxes:float, "
        "min_object_covered:float, seed:Tseed -> begin:T, size:T, bboxes:float; attr=T:type,allowed=[DT_UINT8, "
        "DT_INT8, DT_INT16, DT_INT32, DT_INT64]; attr=Tseed:type,allowed=[DT_INT32, DT_INT64]; "
        + _SDBB_ATTRS + ">"),
}


# TF's ops return these named tuples.
_RESULTS = {op: collections.namedtuple(op, ["begin", "size", "bboxes"])
            for op in ("SampleDistortedBoundingBoxV2", "StatelessSampleDistortedBoundingBox")}


def _floats(values):
    return "[" + ", ".join("%g" % v for v in values) + "]"


def _area(rect):
    """rect = (x0, y0, x1, y1) in pixels; an inverted rectangle has no area."""
    return max(rect[2] - rect[0], 0) * max(rect[3] - rect[1], 0)


def _random_crop_rect(rng, width, height, min_area, max_area, aspect):
    """One attempt at a crop of `aspect` (width / height) with area in [min_area, max_area]
    (fractions of the image); None when rounding leaves it outside those bounds."""
    low, high = min_area * width * height, max_area * width * height
    h = int(np.rint(np.sqrt(low / aspect)))
    top = int(np.rint(np.sqrt(high / aspect)))
    if np.rint(top * aspect) > width:  # the tallest crop whose rounded width still fits
        top = int((width + 0.5 - 1e-7) / aspect)
        if np.rint(top * aspect) > width:
            top -= 1
    top = min(top, height)
    h = min(h, top)
    if h < top:
        h += int(rng.integers(0, top - h + 1))
    w = int(np.rint(h * aspect))
    area = w * h
    if area < low:  # rounding: try one row taller
        h += 1
        w = int(np.rint(h * aspect))
        area = w * h
    if area < low or area > high or not 0 < w <= width or not 0 < h <= height:
        return None
    y = int(rng.integers(0, height - h)) if h < height else 0
    x = int(rng.integers(0, width - w)) if w < width else 0
    return (x, y, x + w, y + h)


def _covers(crop, objects, fraction):
    if _area(crop) < 1:
        return False
    for box in objects:
        area = _area(box)
        if area < 1:
            continue
        inter = (max(crop[0], box[0]), max(crop[1], box[1]), min(crop[2], box[2]), min(crop[3], box[3]))
        if _area(inter) / area >= fraction:
            return True
    return False


def _sample_box(op, image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                max_attempts, use_image_if_no_bounding_boxes, key_fn, named, attr_check=None, seed_check=None):
    """The shared wrapper of both samplers; key_fn() gives the JAX key once the inputs pass TF's
    checks (the stateless op's seed dtype is checked with the attributes, its shape before the inputs)."""
    size = convert_to_tensor(image_size)
    boxes = convert_to_tensor(bounding_boxes) if isinstance(bounding_boxes, Tensor) else \
        convert_to_tensor(bounding_boxes, dtype=dtypes.float32)
    if boxes.dtype != dtypes.float32:
        raise dtype_mismatch(op, 1, dtypes.float32, boxes.dtype)
    covered = convert_to_tensor(min_object_covered, dtype=dtypes.float32) if not isinstance(
        min_object_covered, Tensor) else min_object_covered
    if covered.dtype != dtypes.float32:
        raise dtype_mismatch(op, 2, dtypes.float32, covered.dtype)
    if size.dtype not in (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64):
        raise _allowed(op, "T", size.dtype, "uint8, int8, int16, int32, int64", _SDBB_SUMMARY[op], named)
    if attr_check is not None:
        attr_check()
    aspect = [0.75, 1.33] if aspect_ratio_range is None else [float(v) for v in aspect_ratio_range]
    area = [0.05, 1.0] if area_range is None else [float(v) for v in area_range]
    attempts = 100 if max_attempts is None else int(max_attempts)
    if len(aspect) != 2:
        raise op_error("Aspect ratio range field must specify 2 dimensions", op, named)
    if aspect[0] <= 0 or aspect[1] <= 0:
        raise op_error(f"Aspect ratio range must be non-negative: {_floats(aspect)}", op, named)
    if len(area) != 2:
        raise op_error("Area range field must specify 2 dimensions", op, named)
    if area[0] > 1 or area[1] > 1:
        raise op_error(f"Area range must be less then or equal to 1.0: {_floats(area)}", op, named)
    if area[0] <= 0 or area[1] <= 0:
        raise op_error(f"Area range must be non-negative: {_floats(area)}", op, named)
    if attempts <= 0:
        raise op_error(f"Max attempts must be non-negative: {attempts}", op, named)
    if seed_check is not None:
        seed_check()
    sshape, bshape = size._value.shape, boxes._value.shape
    if len(sshape) != 1:
        raise op_error(f"image_size must be 1-dimensional{dims(sshape)}", op, named)
    if sshape[0] != 3:
        raise op_error(f"image_size must contain 3 elements{dims(sshape)}", op, named)
    if len(bshape) != 3:
        raise op_error(f"input boxes must be 3-dimensional [batch, num_boxes, coords]: {dims(bshape)}", op, named)
    if bshape[-1] != 4:
        raise op_error(f"bounding boxes must have shape [4] or [*, 4], got {dims(bshape)}", op, named)
    if covered.ndim:
        raise op_error(f"min_object_covered must be 0-D, got shape {dims(covered._value.shape)}", op, named)
    fraction = float(host_array(covered, op))
    if fraction < 0:
        raise op_error(f"Min object covered must be non-negative: {str(np.float32(fraction))}", op, named)
    height, width = (int(v) for v in host_array(size, op)[:2])
    for value, label in ((height, "height"), (width, "width")):
        if value < 0:  # TF reads the sizes as unsigned
            raise op_error(f"image {label} cannot be >= int32 max", op, named)
    coords = host_array(boxes, op).reshape(-1, 4)
    objects = []
    for y0, x0, y1, x1 in coords:
        for v in (y0, x0, y1, x1):
            if not 0 <= v <= 1:
                raise op_error(f"All bounding box coordinates must be in [0.0, 1.0]: {str(np.float32(v))}",
                               op, named)
        objects.append((int(x0 * width), int(y0 * height), int(x1 * width), int(y1 * height)))
    if not objects:
        if not use_image_if_no_bounding_boxes:
            raise op_error("No bounding boxes provided as input. One must enable use_image_if_no_bounding_boxes "
                           "if you wish to not provide any bounding boxes.", op, named)
        objects.append((0, 0, width, height))
    rng = np.random.default_rng(np.asarray(jax.random.bits(key_fn(), (4,), jnp.uint32)))
    crop = None
    for _ in range(attempts):
        ratio = rng.random(dtype=np.float32) * np.float32(aspect[1] - aspect[0]) + np.float32(aspect[0])
        rect = _random_crop_rect(rng, width, height, area[0], area[1], ratio)
        if rect is not None and _covers(rect, objects, fraction):
            crop = rect
            break
    x0, y0, x1, y1 = crop or (0, 0, width, height)  # after max_attempts failures: the whole image
    dt = size.dtype.as_numpy_dtype
    begin = np.array([y0, x0, 0]).astype(dt)
    extent = np.array([y1 - y0, x1 - x0, -1]).astype(dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        bbox = (np.array([y0, x0, y1, x1], np.float32)
                / np.array([height, width, height, width], np.float32)).reshape(1, 1, 4)
    return _RESULTS[op](Tensor(jnp.asarray(begin)), Tensor(jnp.asarray(extent)), Tensor(jnp.asarray(bbox)))


@defined("image.sample_distorted_bounding_box")
def sample_distorted_bounding_box(image_size, bounding_boxes, seed=0, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """(begin, size, bboxes): a random crop of an image of `image_size` covering at least
    `min_object_covered` of one of `bounding_boxes`, for `tf.slice` and `draw_bounding_boxes`.
    seed 0 draws afresh each call (TF's (0, 0) kernel seeds); others follow `tf.random`'s rules."""
    op = "SampleDistortedBoundingBoxV2"

    def key():
        if seed:
            return random_ops.next_key(seed)
        return jax.random.PRNGKey(np.random.randint(0, 2**31 - 1))
    return _sample_box(op, image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                       max_attempts, use_image_if_no_bounding_boxes, key,
                       named_by(image_size, bounding_boxes, min_object_covered))


@defined("image.stateless_sample_distorted_bounding_box")
def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, seed, min_object_covered=0.1,
                                            aspect_ratio_range=None, area_range=None, max_attempts=None,
                                            use_image_if_no_bounding_boxes=None, name=None):
    """`sample_distorted_bounding_box` as a function of `seed` (shape [2])."""
    op = "StatelessSampleDistortedBoundingBox"
    named = named_by(image_size, bounding_boxes, min_object_covered, seed)
    seed = convert_to_tensor(seed)

    def check_dtype():
        if seed.dtype not in (dtypes.int32, dtypes.int64):
            raise _allowed(op, "Tseed", seed.dtype, "int32, int64", _SDBB_SUMMARY[op], named)

    def check_shape():
        if tuple(seed._value.shape) != (2,):
            raise op_error(f"seed must have shape [2], not {dims(seed._value.shape)}", op, named)
    return _sample_box(op, image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                       max_attempts, use_image_if_no_bounding_boxes, lambda: random_ops.stateless_key(seed),
                       named, check_dtype, check_shape)
