"""Reductions over axes (`tf.reduce_sum`, `tf.math.reduce_std`, `tf.argmax`, ...).

Axes are checked as TF's kernels do (`args.reduction_axes`); results keep
TF's dtypes: integer means truncate, `reduce_euclidean_norm` of integers is
an integer, variance of complex input is real, argmax gives int64.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import logsumexp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, dtype_mismatch, dtype_not_allowed, op_error
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive, tf_sqrt, with_tangent
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import host_int, reduction_axes, tensor
from jaxtape._src.ops.support.define import defined, kernel_input, reduction
from jaxtape._src.tape.primitive import Primitive


def _sum(x, axis, keepdims):
    return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _mean(x, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        # TF keeps integer means integer, truncating toward zero; 0 for no elements.
        total = jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        count = x.size // max(total.size, 1) if x.size else 1
        return lax.div(total, jnp.asarray(count, x.dtype))
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def _prod(x, axis, keepdims):
    """TF's Prod gradient: per element, the product of the others as TF forms
    it (exclusive products from the left and from the right), so zeros carry
    TF's signs (`[-0., 2., -3.]` gives `[-6., 0., -0.]`)."""
    def f(x):
        return jnp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

    def tangent(p, t, out):
        x = p[0]
        axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
        ends = tuple(range(x.ndim - len(axes), x.ndim))
        moved = jnp.moveaxis(x, axes, ends)
        flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
        ones = jnp.ones(flat.shape[:-1] + (1,), x.dtype)
        left = jnp.cumprod(jnp.concatenate([ones, flat[..., :-1]], -1), -1)
        right = jnp.flip(jnp.cumprod(jnp.concatenate([ones, jnp.flip(flat, -1)[..., :-1]], -1), -1), -1)
        others = jnp.moveaxis((left * right).reshape(moved.shape), ends, axes)
        return jnp.sum(t[0] * others, axis=axes, keepdims=keepdims)

    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return f(x)
    return with_tangent(f, tangent)(x)


def _lowest(dtype):
    return -jnp.inf if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).min


def _highest(dtype):
    return jnp.inf if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype).max


def _chooser(reduce, x, axis, keepdims, initial):
    """TF's Max/Min gradient: the upstream shared among the ties, as a product
    (a NaN input, matching nothing, or an infinite upstream gives NaN, as TF)."""
    def f(x):
        return reduce(x, axis=axis, keepdims=keepdims, initial=initial)

    def tangent(p, t, out):
        hit = jnp.where(p[0] == reduce(p[0], axis=axis, keepdims=True, initial=initial), 1, 0)
        share = (hit / jnp.sum(hit, axis=axis, keepdims=True)).astype(t[0].dtype)
        return jnp.sum(t[0] * share, axis=axis, keepdims=keepdims)

    return with_tangent(f, tangent)(x)


def _max(x, axis, keepdims):
    # An empty reduction gives the dtype's lowest value, as TF.
    return _chooser(jnp.max, x, axis, keepdims, _lowest(x.dtype) if x.size == 0 else None)


def _min(x, axis, keepdims):
    return _chooser(jnp.min, x, axis, keepdims, _highest(x.dtype) if x.size == 0 else None)


def _logsumexp(x, axis, keepdims):
    return logsumexp(x, axis=axis, keepdims=keepdims)


def _variance(x, axis, keepdims):
    mean = jnp.mean(x, axis=axis, keepdims=True)
    d = x - mean
    sq = jnp.real(d * jnp.conj(d)) if jnp.iscomplexobj(d) else d * d
    return jnp.mean(sq, axis=axis, keepdims=keepdims)


def _variance_tf_grad(x, axis, keepdims):
    """`_variance` with the gradient TF's composition gives (Mean, Square, Sub,
    Mean), in its order: the mean's share is Sub's sum(-c), +0 where the
    terms are zeros, so a zero upstream gives +0 (JAX's -sum(c) gives -0)."""
    if jnp.iscomplexobj(x):
        return _variance(x, axis, keepdims)

    @jax.custom_vjp
    def f(x):
        return _variance(x, axis, keepdims)

    def fwd(x):
        d = x - jnp.mean(x, axis=axis, keepdims=True)
        return jnp.mean(d * d, axis=axis, keepdims=keepdims), d

    def bwd(d, g):
        axes = range(d.ndim) if axis is None else axis
        kept = tuple(1 if i in axes else n for i, n in enumerate(d.shape))
        n = d.size // max(int(np.prod(kept)), 1)
        c = g.reshape(kept) / n * (2 * d)
        # 0 - sum(c), not sum(-c): XLA rewrites the latter to -sum(c).
        return (c + (0 - jnp.sum(c, axis=axis, keepdims=True)) / n,)

    f.defvjp(fwd, bwd)
    return f(x)


def _std(x, axis, keepdims):
    return jnp.sqrt(_variance(x, axis, keepdims))


def _std_tf_grad(x, axis, keepdims):
    # TF's reduce_std is sqrt(reduce_variance): its SqrtGrad is 0 where the upstream
    # is 0, so a zero variance under a zero upstream gives 0, not JAX's 0 * inf.
    return tf_sqrt(_variance_tf_grad(x, axis, keepdims))


def _euclidean_norm(x, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        sq = jnp.sum(x.astype(jnp.float64 if x.dtype.itemsize > 4 else jnp.float32) ** 2,
                     axis=axis, keepdims=keepdims)
        return jnp.sqrt(sq).astype(x.dtype)
    if jnp.iscomplexobj(x):
        return jnp.sqrt(jnp.sum(x * jnp.conj(x), axis=axis, keepdims=keepdims))
    return jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=keepdims))


def _all(x, axis, keepdims):
    return jnp.all(x, axis=axis, keepdims=keepdims)


def _any(x, axis, keepdims):
    return jnp.any(x, axis=axis, keepdims=keepdims)


def _bool_input(x, op):
    x = tensor(x)
    if not x.dtype.is_bool:
        raise dtype_mismatch(op, 0, dtypes.bool, x.dtype)
    return x


def _real_or_complex(x, op):
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError("Input must be either real or complex. Received integer type "
                        f"<dtype: '{x.dtype.name}'>.")
    return x


def _float_input(x, op):
    # TF's reduce_logsumexp runs IsFinite on its input first.
    return kernel_input(x, "IsFinite")


def _sum_input(x, op):
    # TF's reduce_euclidean_norm takes the dtypes of its Sum kernel.
    return kernel_input(x, "Sum")


reduce_sum = reduction("Sum", _sum, "math.reduce_sum", "reduce_sum")
reduce_mean = reduction("Mean", _mean, "math.reduce_mean", "reduce_mean",
                        doc="Mean over `axis`; integer inputs give truncated integer means, as TF.")
reduce_prod = reduction("Prod", _prod, "math.reduce_prod", "reduce_prod")
reduce_max = reduction("Max", _max, "math.reduce_max", "reduce_max")
reduce_min = reduction("Min", _min, "math.reduce_min", "reduce_min")
reduce_all = reduction("All", _all, "math.reduce_all", "reduce_all", differentiable=False,
                       convert=_bool_input)
reduce_any = reduction("Any", _any, "math.reduce_any", "reduce_any", differentiable=False,
                       convert=_bool_input)
reduce_logsumexp = reduction("Sum", _logsumexp, "math.reduce_logsumexp", "reduce_logsumexp",
                             convert=_float_input, axis_op="Max",  # TF's first op is a Max
                             doc="log(sum(exp(x))) over `axis`, computed stably; float only.")
reduce_variance = reduction("Mean", _variance, "math.reduce_variance", convert=_real_or_complex,
                            primitive=TFGradPrimitive(_variance, _variance_tf_grad, "Mean"),
                            doc="Population variance over `axis`; real for complex input.")
reduce_std = reduction("Mean", _std, "math.reduce_std", convert=_real_or_complex,
                       primitive=TFGradPrimitive(_std, _std_tf_grad, "Mean"),
                       doc="Population standard deviation over `axis`.")

reduce_euclidean_norm = reduction("EuclideanNorm", _euclidean_norm, "math.reduce_euclidean_norm",
                                  convert=_sum_input)


# -- argmax / argmin ------------------------------------------------------------

def _arg_extreme(x, *, axis, output_type, largest):
    if jnp.issubdtype(x.dtype, jnp.inexact):
        # TF's kernel compares with `>` / `<`, so NaNs never win; JAX picks them.
        x = jnp.where(jnp.isnan(x), _lowest(x.dtype) if largest else _highest(x.dtype), x)
    index = jnp.argmax(x, axis=axis) if largest else jnp.argmin(x, axis=axis)
    return index.astype(output_type)


_arg_prim = Primitive(_arg_extreme, "ArgMax", differentiable=False)
_INDEX_TYPES = ("int16", "uint16", "int32", "int64")


def _arg(input, axis, output_type, op, largest):  # noqa: A002
    x = tensor(input)
    if not x.dtype.is_bool:
        kernel_dtypes.check(op, x)
    axis = 0 if axis is None else host_int(axis)
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        raise op_error(f"Expected dimension in the range [{-ndim}, {ndim}), but got {axis}", op)
    output_type = dtypes.as_dtype(output_type)
    if output_type.name not in _INDEX_TYPES:
        raise dtype_not_allowed(op, output_type, "int16, uint16, int32, int64",
                                kernel_dtypes.summary(op), attr="output_type")
    if x.shape[axis] == 0:
        raise op_error(f"Reduction axis {axis % ndim} is empty in shape {dims(x.shape)}", op)
    return _arg_prim(x, axis=axis % ndim, output_type=output_type.as_numpy_dtype, largest=largest)


@defined("math.argmax", "argmax", primitive=_arg_prim)
def argmax(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Index of the largest value along `axis` (0 when None); first one on ties."""
    return _arg(input, axis, output_type, "ArgMax", True)


@defined("math.argmin", "argmin", primitive=_arg_prim)
def argmin(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Index of the smallest value along `axis` (0 when None); first one on ties."""
    return _arg(input, axis, output_type, "ArgMin", False)


# -- counting -------------------------------------------------------------------

def _count_nonzero(x, *, axis, keepdims, dtype):
    return jnp.sum(x != 0, axis=axis, keepdims=keepdims).astype(dtype)


_count_prim = Primitive(_count_nonzero, "CountNonzero", differentiable=False)


@defined("math.count_nonzero", primitive=_count_prim)
def count_nonzero(input, axis=None, keepdims=None, dtype=dtypes.int64, name=None):  # noqa: A002
    """Number of nonzero entries over `axis`, as `dtype` (int64 by default)."""
    x = tensor(input)
    return _count_prim(x, axis=reduction_axes(axis, x.ndim, "Sum"), keepdims=bool(keepdims),
                       dtype=dtypes.as_dtype(dtype).as_numpy_dtype)


_zero_fraction_prim = Primitive(lambda x: jnp.mean((x == 0).astype(jnp.float32)), "ZeroFraction",
                                differentiable=False)


@defined("math.zero_fraction", "nn.zero_fraction", primitive=_zero_fraction_prim)
def zero_fraction(value, name=None):
    """Fraction of entries equal to zero, as float32."""
    return _zero_fraction_prim(tensor(value))
