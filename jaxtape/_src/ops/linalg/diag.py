"""Diagonals, bands and traces (`tf.linalg.diag`, `diag_part`, `set_diag`, `band_part`, `trace`, ...)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import binary, host_int, number_as, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


def _rank2(x, op):
    x = tensor(x)
    if x.ndim < 2:
        raise op_error(f"input must be at least 2-dim, received shape: {dims(x._value.shape)}", op)
    return x


def _k_range(k):
    k = tensor(k).numpy().reshape(-1).tolist() if not isinstance(k, (int, tuple, list)) else k
    if isinstance(k, int):
        return k, k
    k = [int(v) for v in k]
    return (k[0], k[0]) if len(k) == 1 else (k[0], k[1])


def _check_align(align):
    if align not in ("LEFT_RIGHT", "RIGHT_LEFT", "LEFT_LEFT", "RIGHT_RIGHT"):
        raise ValueError(f"Unknown align: {align}")


def _diag_layout(rows, cols, lo, hi, align):
    """For each diagonal d (hi down to lo): its length and offset in a padded row.

    TF's alignment: superdiagonals follow the first word of `align`, subdiagonals
    the second; the main diagonal is left-aligned if either word says LEFT.
    """
    sup_left, sub_left = align.split("_")[0] == "LEFT", align.split("_")[1] == "LEFT"
    lengths = {d: max(0, min(rows + min(0, d), cols - max(0, d))) for d in range(lo, hi + 1)}
    width = max(lengths.values())
    layout = []
    for d in range(hi, lo - 1, -1):
        n = lengths[d]
        left = (d >= 0 and sup_left) or (d <= 0 and sub_left)
        layout.append((d, n, 0 if left else width - n))
    return layout, width


def _diag_positions(d, n):
    i = np.arange(n) + max(0, -d)
    return i, i + d


@primitive(name="MatrixDiagPartV3")
def _diag_part(x, padding, *, lo, hi, align):
    rows, cols = x.shape[-2:]
    layout, width = _diag_layout(rows, cols, lo, hi, align)
    out = []
    for d, n, offset in layout:
        r, c = _diag_positions(d, n)
        vals = x[..., r, c]
        pad = [(0, 0)] * (x.ndim - 2) + [(offset, width - n - offset)]
        out.append(jnp.pad(vals, pad, constant_values=padding))
    return out[0] if lo == hi else jnp.stack(out, axis=-2)


def _check_k(lo, hi, rows, cols, op):
    if lo > hi:
        raise op_error(f"lower_diag_index must not be larger than upper_diag_index: {lo} > {hi}", op)
    for label, k in (("lower", lo), ("upper", hi)):
        if not -rows < k < cols and not (rows == 0 or cols == 0):
            raise op_error(f"{label}_diag_index is out of bound: {k}. It must be between {-rows} "
                           f"and {cols}", op)


@defined("linalg.diag_part")
def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    x = _rank2(input, "MatrixDiagPartV3")
    _check_align(align)
    lo, hi = _k_range(k)
    rows, cols = x._value.shape[-2:]
    _check_k(lo, hi, rows, cols, "MatrixDiagPartV3")
    pad = number_as(padding_value, x.dtype)
    return _diag_part(x, Tensor(lax.stop_gradient(pad._value)), lo=lo, hi=hi, align=align)


@primitive(name="MatrixSetDiagV3")
def _set_diag(x, diagonal, *, lo, hi, align):
    rows, cols = x.shape[-2:]
    layout, _ = _diag_layout(rows, cols, lo, hi, align)
    diagonal = diagonal[..., None, :] if lo == hi else diagonal
    for j, (d, n, offset) in enumerate(layout):
        r, c = _diag_positions(d, n)
        x = x.at[..., r, c].set(diagonal[..., j, offset:offset + n])
    return x


@defined("linalg.set_diag")
def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    x = _rank2(input, "MatrixSetDiagV3")
    _check_align(align)
    x, dg = binary(x, diagonal, "MatrixSetDiagV3")
    lo, hi = _k_range(k)
    rows, cols = x._value.shape[-2:]
    _check_k(lo, hi, rows, cols, "MatrixSetDiagV3")
    layout, width = _diag_layout(rows, cols, lo, hi, align)
    want = x._value.shape[:-2] + ((width,) if lo == hi else (hi - lo + 1, width))
    if dg._value.shape != want:
        raise op_error(f"diagonal must have shape {dims(want)}, got "
                       f"{dims(dg._value.shape)}", "MatrixSetDiagV3")
    return _set_diag(x, dg, lo=lo, hi=hi, align=align)


@primitive(name="MatrixDiagV3")
def _matrix_diag(diagonal, padding, *, lo, hi, rows, cols, align):
    batch = diagonal.shape[:-1] if lo == hi else diagonal.shape[:-2]
    base = jnp.broadcast_to(padding.astype(diagonal.dtype), batch + (rows, cols))
    return _set_diag.fn(base, diagonal, lo=lo, hi=hi, align=align)


@defined("linalg.diag")
def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """A batch of matrices with `diagonal` on diagonals k (others `padding_value`)."""
    dg = tensor(diagonal)
    _check_align(align)
    lo, hi = _k_range(k)
    if dg.ndim < (1 if lo == hi else 2):
        raise op_error(f"diagonal must be at least {1 if lo == hi else 2}-dim, received shape: "
                       f"{dims(dg._value.shape)}", "MatrixDiagV3")
    width = dg._value.shape[-1]
    min_rows, min_cols = width - min(hi, 0), width + max(lo, 0)
    rows, cols = int(num_rows), int(num_cols)
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows or cols < min_cols:
        raise op_error("The number of rows or columns is not consistent with the specified d_lower, "
                       "d_upper, and diagonal.", "MatrixDiagV3")
    pad = number_as(padding_value, dg.dtype)
    return _matrix_diag(dg, Tensor(lax.stop_gradient(pad._value)), lo=lo, hi=hi, rows=rows,
                        cols=cols, align=align)


@primitive(name="MatrixBandPart")
def _band_part(x, *, lower, upper):
    rows, cols = x.shape[-2:]
    i, j = np.arange(rows)[:, None], np.arange(cols)[None, :]
    keep = np.ones((rows, cols), bool)
    if lower >= 0:
        keep &= (i - j) <= lower
    if upper >= 0:
        keep &= (j - i) <= upper
    return jnp.where(keep, x, jnp.zeros((), x.dtype))


@defined("linalg.band_part")
def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    x = _rank2(input, "MatrixBandPart")
    rows, cols = x._value.shape[-2:]
    lower, upper = host_int(num_lower), host_int(num_upper)
    if lower > rows:
        raise op_error(f"num_lower must be negative or less or equal to number of rows ({rows}) "
                       f"got: {lower}", "MatrixBandPart")
    if upper > cols:
        raise op_error(f"num_upper must be negative or less or equal to number of columns ({cols}) "
                       f"got: {upper}", "MatrixBandPart")
    return _band_part(x, lower=lower, upper=upper)


@primitive(name="Trace")
def _trace(x):
    return jnp.trace(x, axis1=-2, axis2=-1).astype(x.dtype)


@defined("linalg.trace")
def trace(x, name=None):
    return _trace(_rank2(x, "MatrixDiagPartV3"))


@primitive(name="Diag")
def _tensor_diag(x):
    n = x.size
    flat = jnp.zeros((n, n), x.dtype).at[np.arange(n), np.arange(n)].set(jnp.reshape(x, (-1,)))
    return jnp.reshape(flat, x.shape + x.shape)


@defined("linalg.tensor_diag")
def tensor_diag(diagonal, name=None):
    return _tensor_diag(tensor(diagonal))


@primitive(name="DiagPart")
def _tensor_diag_part(x):
    half = x.shape[: x.ndim // 2]
    n = int(np.prod(half))
    flat = jnp.reshape(x, (n, n))
    return jnp.reshape(flat[np.arange(n), np.arange(n)], half)


@defined("linalg.tensor_diag_part")
def tensor_diag_part(input, name=None):  # noqa: A002
    x = tensor(input)
    half = x.ndim // 2
    if x.ndim % 2 or x._value.shape[:half] != x._value.shape[half:]:
        raise op_error(f"Invalid shape {dims(x._value.shape)}: dimensions must be doubled",
                       "DiagPart")
    return _tensor_diag_part(x)
