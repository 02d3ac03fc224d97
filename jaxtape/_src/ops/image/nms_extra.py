"""`tf.image.combined_non_max_suppression`, `non_max_suppression_padded` and
`non_max_suppression_overlaps`.

All three select greedily by score and have value-dependent results, so they
run on the host (NumPy), as TF's CPU kernels do, and give no gradient (TF
registers none). `combined_non_max_suppression` runs the per-class greedy NMS
of TF's CombinedNonMaxSuppression kernel, merges the classes best score first
(ties: lower class, then earlier selection), clips to [0, 1] when asked and
pads with zeros to max_total_size (or, with pad_per_class, to
min(max_total_size, max_output_size_per_class * classes)).
`non_max_suppression_padded` follows TF's V2 (tiled) formulation: boxes are
taken in score order (input order with `sorted_input`), coordinates put in
min/max order unless `canonicalized_coordinates`, IoU is
intersection / (union + 1e-8), a box whose coordinates are all <= 0 never
counts as selected (TF counts boxes with a positive coordinate), and leading
batch dimensions are allowed when padding to max_output_size.
"""
from __future__ import annotations

import collections
import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined

CombinedNonMaxSuppression = collections.namedtuple(
    "CombinedNonMaxSuppression", ["nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"])


def _iou_v3(a, b):
    """TF's NMS kernels' IoU: corners put in order, 0 for a box without area."""
    ya0, ya1 = min(a[0], a[2]), max(a[0], a[2])
    xa0, xa1 = min(a[1], a[3]), max(a[1], a[3])
    yb0, yb1 = min(b[0], b[2]), max(b[0], b[2])
    xb0, xb1 = min(b[1], b[3]), max(b[1], b[3])
    area_a = (ya1 - ya0) * (xa1 - xa0)
    area_b = (yb1 - yb0) * (xb1 - xb0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ya1, yb1) - max(ya0, yb0), 0.0) * max(min(xa1, xb1) - max(xa0, xb0), 0.0)
    return inter / (area_a + area_b - inter)


def _greedy(order, limit, suppresses):
    """Indices from `order` (best first) none of which an earlier pick suppresses."""
    picked = []
    for i in order:
        if len(picked) >= limit:
            break
        if not any(suppresses(j, i) for j in picked):
            picked.append(i)
    return picked


def _by_score(scores, floor):
    """Candidates scoring above `floor`, best first, lower index first on ties."""
    idx = np.nonzero(scores > floor)[0]
    return idx[np.argsort(-scores[idx], kind="stable")]


def _scalar(value, dtype, label, op):
    t = convert_to_tensor(value, dtype=dtype)
    if t.ndim:
        raise op_error(f"{label} must be 0-D, got shape {dims(t._value.shape)}", op)
    return host_array(t, op).item()


# -- combined_non_max_suppression ---------------------------------------------------------------

@defined("image.combined_non_max_suppression")
def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size, iou_threshold=0.5,
                                 score_threshold=float("-inf"), pad_per_class=False, clip_boxes=True,
                                 name=None):
    """Per-class greedy NMS over a batch: boxes [batch, n, q, 4] (q = 1 or classes),
    scores [batch, n, classes]; (boxes, scores, classes, valid_detections), zero-padded."""
    op = "CombinedNonMaxSuppression"
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32)
    scores = convert_to_tensor(scores, dtype=dtypes.float32)
    per_class = int(_scalar(max_output_size_per_class, dtypes.int32, "max_output_size_per_class", op))
    total = int(_scalar(max_total_size, dtypes.int32, "max_total_size", op))
    iou = float(np.float32(_scalar(iou_threshold, dtypes.float32, "iou_threshold", op)))
    floor = np.float32(_scalar(score_threshold, dtypes.float32, "score_threshold", op))
    bshape, sshape = boxes._value.shape, scores._value.shape
    if len(bshape) != 4:
        raise op_error(f"boxes must be 4-D{dims(bshape)}", op)
    if len(sshape) != 3:
        raise op_error(f"scores must be 3-D{dims(sshape)}", op)
    if bshape[3] != 4:
        raise op_error(f"boxes must have 4 coordinates in the last dimension{dims(bshape)}", op)
    batch, n, q = bshape[:3]
    classes = sshape[2]
    if sshape[0] != batch or sshape[1] != n:
        raise op_error(f"scores has incompatible shape{dims(sshape)}", op)
    if q != 1 and q != classes:
        raise op_error(f"third dimension of boxes must be either 1 or {classes}", op)
    if total <= 0:
        raise op_error(f"max_total_size must be > 0{dims(())}", op)
    if not 0 <= iou <= 1:
        raise op_error("iou_threshold must be in [0, 1]", op)
    size = min(total, per_class * classes) if pad_per_class else total
    host = functools.partial(_combined_host, size=size, per_class=per_class, iou=iou, floor=floor,
                             clip=bool(clip_boxes))
    shapes = (jax.ShapeDtypeStruct((batch, size, 4), np.float32), jax.ShapeDtypeStruct((batch, size), np.float32),
              jax.ShapeDtypeStruct((batch, size), np.float32), jax.ShapeDtypeStruct((batch,), np.int32))
    if isinstance(boxes._value, jax.core.Tracer) or isinstance(scores._value, jax.core.Tracer):
        # inside tf.function: the output shapes are static, so the host selection runs as a callback
        out = jax.pure_callback(host, shapes, boxes._value, scores._value)
    else:
        out = host(np.asarray(boxes._value), np.asarray(scores._value))
    return CombinedNonMaxSuppression(*(Tensor(jnp.asarray(v)) for v in out))


def _combined_host(b, s, *, size, per_class, iou, floor, clip):
    b = np.asarray(b, np.float32)
    s = np.asarray(s, np.float32)
    batch, _, q = b.shape[:3]
    classes = s.shape[2]
    out_boxes = np.zeros((batch, size, 4), np.float32)
    out_scores = np.zeros((batch, size), np.float32)
    out_classes = np.zeros((batch, size), np.float32)
    valid = np.zeros((batch,), np.int32)
    for i in range(batch):
        found = []
        for c in range(classes):
            cb = b[i, :, 0 if q == 1 else c]
            picked = _greedy(_by_score(s[i, :, c], floor), per_class,
                             lambda j, k, cb=cb: _iou_v3(cb[j], cb[k]) > iou)
            found += [(-s[i, k, c], c, rank, cb[k]) for rank, k in enumerate(picked)]
        found.sort(key=lambda t: (t[0], t[1], t[2]))
        found = found[:size]
        valid[i] = len(found)
        for r, (neg, c, _, box) in enumerate(found):
            out_boxes[i, r] = np.clip(box, 0, 1) if clip else box
            out_scores[i, r] = -neg
            out_classes[i, r] = c
    return out_boxes, out_scores, out_classes, valid


# -- non_max_suppression_padded --------------------------------------------------------------------

def _iou_v2(a, b, canonical):
    if not canonical:
        a = np.array([min(a[0], a[2]), min(a[1], a[3]), max(a[0], a[2]), max(a[1], a[3])], np.float32)
        b = np.array([min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])], np.float32)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    inter = max(np.float32(0), min(a[2], b[2]) - max(a[0], b[0])) * max(np.float32(0), min(a[3], b[3]) - max(a[1], b[1]))
    return np.float32(inter) / (np.float32(area_a + area_b - inter) + np.float32(1e-8))


def _padded_one(boxes, scores, limit, iou, floor, sorted_input, canonical):
    n = boxes.shape[0]
    order = np.arange(n) if sorted_input else np.argsort(-scores, kind="stable")
    keep = [i for i in order if scores[i] > floor and np.any(boxes[i] > 0)]
    picked = _greedy(keep, limit, lambda j, k: _iou_v2(boxes[j], boxes[k], canonical) > iou)
    out = np.zeros((limit,), np.int32)
    out[:len(picked)] = picked
    return out, len(picked)


@defined("image.non_max_suppression_padded")
def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                               pad_to_max_output_size=False, name=None, sorted_input=False,
                               canonicalized_coordinates=False, tile_size=512):
    """(selected_indices, valid_outputs): greedy NMS as TF's V2 formulation computes it,
    over [..., n, 4] boxes; the indices are padded with 0 to max_output_size when asked
    (required for batched input), else cut to the valid ones."""
    boxes = convert_to_tensor(boxes)
    scores = convert_to_tensor(scores)
    if boxes.ndim > 2 and not pad_to_max_output_size:
        raise ValueError(f"'pad_to_max_output_size' (value {pad_to_max_output_size}) must be True for "
                         "batched input")
    op = "tf.image.non_max_suppression_padded"
    limit = int(_scalar(max_output_size, dtypes.int32, "max_output_size", op))
    iou = np.float32(_scalar(iou_threshold, boxes.dtype, "iou_threshold", op))
    floor = np.float32(_scalar(score_threshold, boxes.dtype, "score_threshold", op))
    b = host_array(boxes, op).astype(np.float32)
    s = host_array(scores, op).astype(np.float32)
    lead = b.shape[:-2]
    flat_b = b.reshape((-1,) + b.shape[-2:])
    flat_s = s.reshape((-1, s.shape[-1]))
    rows = [_padded_one(flat_b[i], flat_s[i], limit, iou, floor, sorted_input, canonicalized_coordinates)
            for i in range(flat_b.shape[0])]
    index = np.stack([r[0] for r in rows]).reshape(lead + (limit,)) if rows else np.zeros(lead + (limit,), np.int32)
    count = np.asarray([r[1] for r in rows], np.int32).reshape(lead)
    if not pad_to_max_output_size:
        index = index[: int(count)]
    return Tensor(jnp.asarray(index)), Tensor(jnp.asarray(count))


# -- non_max_suppression_overlaps ------------------------------------------------------------------

@defined("image.non_max_suppression_overlaps")
def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=float("-inf"), name=None):
    """int32 indices of up to max_output_size boxes, best score first, none overlapping an
    earlier pick by more than overlap_threshold (overlaps[i, j] given)."""
    op = "NonMaxSuppressionWithOverlaps"
    overlaps = convert_to_tensor(overlaps, dtype=dtypes.float32)
    scores = convert_to_tensor(scores, dtype=dtypes.float32)
    limit = int(_scalar(max_output_size, dtypes.int32, "max_output_size", op))
    threshold = np.float32(_scalar(overlap_threshold, dtypes.float32, "overlap_threshold", op))
    floor = np.float32(_scalar(score_threshold, dtypes.float32, "score_threshold", op))
    oshape, sshape = overlaps._value.shape, scores._value.shape
    if len(oshape) != 2:
        raise op_error(f"overlaps must be 2-D{dims(oshape)}", op)
    if oshape[0] != oshape[1]:
        raise op_error(f"overlaps must be square{dims(oshape)}", op)
    if len(sshape) != 1:
        raise op_error(f"scores must be 1-D{dims(sshape)}", op)
    if sshape[0] != oshape[0]:
        raise op_error("scores has incompatible shape", op)
    if limit < 0:
        raise op_error("output size must be non-negative", op)
    o = host_array(overlaps, op).astype(np.float32)
    s = host_array(scores, op).astype(np.float32)
    picked = _greedy(_by_score(s, floor), limit, lambda j, k: o[j, k] > threshold)
    return Tensor(jnp.asarray(np.asarray(picked, np.int32)))
