"""`tf.nn.max_pool_with_argmax`: max pooling that also returns where each
maximum was, as TF's flattened index `((b * height + y) * width + x) * channels + c`
(`b` only with `include_batch_in_index`).

TF's CPU kernel scans a window in row-major order and keeps its first real
(unpadded) element, replaced by each later one that is greater: ties keep the
first, a NaN is never greater (a NaN first element stays), and padding never
takes part. The gradient with respect to the input is TF's
MaxPoolGradWithArgmax: each output's gradient added at its argmax. TF
registers no gradient for that kernel, so a second order raises TF's
LookupError (`without_gradient`).
"""
from __future__ import annotations

import collections
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework import dtypes, errors
from jaxtape._src.framework.errors import UnimplementedError
from jaxtape._src.framework.messages import attr_not_allowed, dims, dtype_not_allowed, op_error
from jaxtape._src.ops.array.space_batch import dt_name, kernel_not_found
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.nn import window
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined

MaxPoolWithArgmax = collections.namedtuple("MaxPoolWithArgmax", ["output", "argmax"])

_OP = "MaxPoolWithArgmax"
_TYPES = ("float32", "float64", "int32", "uint8", "int16", "int8", "int64", "bfloat16", "uint16",
          "float16", "uint32", "uint64")
_KERNELS = "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"
_SUMMARY = ("Op<name=MaxPoolWithArgmax; signature=input:T -> output:T, argmax:Targmax; "
            "attr=ksize:list(int),min=4; attr=strides:list(int),min=4; "
            "attr=Targmax:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]; "
            'attr=padding:string,allowed=["SAME", "VALID"]; attr=include_batch_in_index:bool,default=false; '
            "attr=T:type,allowed=[DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_INT64, "
            "DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64]>")


def without_gradient(kernel, op: str):
    """`kernel`, the JAX function of TF's gradient kernel `op`, whose own
    gradient raises TF's LookupError: TF registers none for `op`."""
    f = jax.custom_vjp(kernel)

    def bwd(res, ct):
        raise LookupError(f"gradient registry has no entry for: {op}")

    f.defvjp(lambda *args: (kernel(*args), None), bwd)
    return f


def _windows(size, k, s, pad_lo, out):
    """Input positions of each output's window offsets, and which are real."""
    pos = np.arange(out)[:, None] * s - pad_lo + np.arange(k)[None, :]
    return np.clip(pos, 0, max(size - 1, 0)), (pos >= 0) & (pos < size)


def _scan(x, ksize, strides, pads, out_hw):
    """(maximum, its (row, column)) per output, as TF's kernel scans a window."""
    _, h, w, _ = x.shape
    rows, real_rows = _windows(h, ksize[0], strides[0], pads[0], out_hw[0])
    cols, real_cols = _windows(w, ksize[1], strides[1], pads[1], out_hw[1])
    best = at_row = at_col = started = None
    for dy in range(ksize[0]):
        band = x[:, rows[:, dy]]
        for dx in range(ksize[1]):
            v = band[:, :, cols[:, dx]]
            real = jnp.asarray(real_rows[:, dy][:, None] & real_cols[:, dx][None, :])[None, :, :, None]
            r = jnp.asarray(rows[:, dy])[None, :, None, None]
            c = jnp.asarray(cols[:, dx])[None, None, :, None]
            if best is None:
                best, started = v, real
                at_row, at_col = jnp.broadcast_to(r, v.shape), jnp.broadcast_to(c, v.shape)
                continue
            take = real & (~started | (best < v))
            best = jnp.where(take, v, best)
            at_row, at_col = jnp.where(take, r, at_row), jnp.where(take, c, at_col)
            started = started | real
    return best, at_row.astype(jnp.int64), at_col.astype(jnp.int64)


def _flat(x, at_row, at_col, with_batch):
    n, h, w, c = x.shape
    index = (at_row * w + at_col) * c + jnp.arange(c, dtype=jnp.int64)
    if with_batch:
        index = index + (jnp.arange(n, dtype=jnp.int64) * (h * w * c))[:, None, None, None]
    return index


def _pool(x, *, ksize, strides, pads, out_hw, with_batch, index_dtype, grad_error):
    best, at_row, at_col = _scan(x, ksize, strides, pads, out_hw)
    return best, _flat(x, at_row, at_col, with_batch).astype(index_dtype)


def _scatter_grad(x, index, g):
    """TF's MaxPoolGradWithArgmax: each gradient added at its argmax (`index`
    within its batch entry)."""
    n = x.shape[0]
    flat = jnp.zeros((n, x.size // n), g.dtype)
    flat = flat.at[jnp.arange(n)[:, None], index.reshape(n, -1)].add(g.reshape(n, -1))
    return flat.reshape(x.shape)


_grad_kernel = without_gradient(_scatter_grad, "MaxPoolGradWithArgmax")


@functools.lru_cache(maxsize=None)
def _twin(ksize, strides, pads, out_hw, with_batch, index_dtype, grad_error):
    """The pool whose VJP is TF's MaxPoolGradWithArgmax (or its error: `grad_error`,
    (error class name, message), where TF's gradient kernel fails)."""
    def value(x):
        return _pool(x, ksize=ksize, strides=strides, pads=pads, out_hw=out_hw, with_batch=with_batch,
                     index_dtype=index_dtype, grad_error=grad_error)

    f = jax.custom_vjp(value)

    def fwd(x):
        best, at_row, at_col = _scan(x, ksize, strides, pads, out_hw)
        index = _flat(x, at_row, at_col, False)
        return (best, _flat(x, at_row, at_col, with_batch).astype(index_dtype)), (x, index)

    def bwd(res, cts):
        if grad_error is not None:
            kind, message = grad_error
            raise getattr(errors, kind)(None, None, message)
        return (_grad_kernel(res[0], res[1], cts[0]),)

    f.defvjp(fwd, bwd)
    return f


def _pool_tf_grad(x, *, ksize, strides, pads, out_hw, with_batch, index_dtype, grad_error):
    return _twin(ksize, strides, pads, out_hw, with_batch, index_dtype, grad_error)(x)


_max_pool_argmax = TFGradPrimitive(_pool, _pool_tf_grad, _OP, multiple_results=True)


def _out_size(size, k, s, padding):
    """TF's windowed output size and low padding, with its errors."""
    if s <= 0:
        raise op_error(f"Stride must be > 0, but got {s}", _OP)
    if padding == "VALID":
        out = (size - k + s) // s
        if out < 0:
            raise op_error(f"Computed output size would be negative: {out} [input_size: {size}, "
                           f"effective_filter_size: {k}, stride: {s}]", _OP)
        return out, 0
    out = -(-size // s)
    return out, max((out - 1) * s + k - size, 0) // 2


_GRAD = "MaxPoolGradWithArgmax"
_GRAD_KERNELS = "".join(f"  device='CPU'; T in [DT_{t}]; Targmax in [DT_INT64]\n" for t in (
    "DOUBLE", "FLOAT", "BFLOAT16", "HALF", "INT32", "INT8", "UINT8", "INT16", "UINT16", "UINT32", "INT64",
    "UINT64"))


def _grad_error(x, ksize, strides, padding, with_batch, index_dtype, out_hw):
    """How TF's gradient kernel fails for this pool, or None: it has no int32
    argmax kernel, and with a depth window it expects the depth that window
    would give (the forward kept the input's)."""
    if index_dtype == dtypes.int32:
        attrs = (f"T={dt_name(x.dtype)}, Targmax=DT_INT32, include_batch_in_index="
                 f"{'true' if with_batch else 'false'}, ksize=[{', '.join(map(str, ksize))}], "
                 f"padding=\"{padding}\", strides=[{', '.join(map(str, strides))}]")
        return ("NotFoundError", kernel_not_found(_GRAD, attrs, _GRAD_KERNELS, True).message)
    if ksize[3] > 1:
        n, _, _, depth = x._value.shape
        return ("InvalidArgumentError",
                f"Expected grad shape to be {dims([n, *out_hw, depth // ksize[3]])}, but got "
                f"{dims([n, *out_hw, depth])} [Op:{_GRAD}] name: ")
    return None


@defined("nn.max_pool_with_argmax", primitive=_max_pool_argmax)
def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
                         output_dtype=dtypes.int64, include_batch_in_index=False, name=None):
    """2-D max pooling of an NHWC input, with the flattened index of each maximum."""
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. Received: "
                         f"data_format={data_format}")
    ksize = window.sequence(ksize, 2, 3, "ksize")
    strides = window.sequence(strides, 2, 3, "strides")
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    x = tensor(input)
    index_dtype = dtypes.as_dtype(output_dtype)
    if index_dtype not in (dtypes.int32, dtypes.int64):
        raise dtype_not_allowed(_OP, index_dtype, "int32, int64", _SUMMARY, "Targmax")
    if x.dtype.name not in _TYPES:
        raise dtype_not_allowed(_OP, x.dtype, _KERNELS, _SUMMARY)
    if padding not in ("SAME", "VALID"):
        raise attr_not_allowed(_OP, "padding", f'"{padding}"', '"SAME", "VALID"', _SUMMARY)
    if ksize[0] != 1 or strides[0] != 1:
        raise UnimplementedError(None, None, "Pooling is not yet supported on the batch dimension. "
                                 f"[Op:{_OP}] name: ")
    for k in ksize:
        if k <= 0:
            raise op_error(f"ksize must be a positive int32 value, got:{k}", _OP)
    shape = x._value.shape
    if len(shape) != 4:
        raise op_error("tensor_in must be 4-dimensional (2)", _OP)
    if 0 in shape:
        raise op_error("tensor_in must not be empty (2)", _OP)
    if ksize[3] != 1:
        if ksize[1] != 1 or ksize[2] != 1:
            raise UnimplementedError(None, None, "MaxPooling supports exactly one of pooling across "
                                     f"depth or pooling across width/height. [Op:{_OP}] name: ")
        if shape[3] % ksize[3]:
            raise UnimplementedError(None, None, "Depthwise max pooling requires the depth window to "
                                     f"evenly divide the input depth [Op:{_OP}] name: ")
        if ksize[3] != strides[3]:
            raise UnimplementedError(None, None, "Depthwise max pooling requires the depth window to "
                                     f"equal the depth stride [Op:{_OP}] name: ")
    # A depth window passing those checks is ignored by TF's kernel, as is the depth stride.
    rows, top = _out_size(shape[1], ksize[1], strides[1], padding)
    cols, left = _out_size(shape[2], ksize[2], strides[2], padding)
    with_batch = bool(include_batch_in_index)
    output, argmax = _max_pool_argmax(
        x, ksize=(ksize[1], ksize[2]), strides=(strides[1], strides[2]), pads=(top, left),
        out_hw=(rows, cols), with_batch=with_batch, index_dtype=index_dtype.as_numpy_dtype,
        grad_error=_grad_error(x, ksize, strides, padding, with_batch, index_dtype, (rows, cols)))
    return MaxPoolWithArgmax(output, argmax)


@defined("compat.v1.nn.max_pool_with_argmax")
def max_pool_with_argmax_v1(input, ksize, strides, padding, data_format="NHWC", Targmax=None,  # noqa: A002, N803
                            name=None, output_dtype=None, include_batch_in_index=False):
    """TF 1's spelling: the index dtype is `Targmax` (or `output_dtype`)."""
    if Targmax is not None and output_dtype is not None:
        raise ValueError("Cannot specify both 'Targmax' and 'output_dtype'.")
    dtype = Targmax if Targmax is not None else output_dtype
    return max_pool_with_argmax(input, ksize, strides, padding, data_format,
                                dtypes.int64 if dtype is None else dtype, include_batch_in_index)
