"""Shared checks and helpers for the `tf.linalg` ops: TF's matrix-argument errors."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.ops.math.tf_gradients import with_tangent
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import tensor

FLOATS = "double, float, half, complex64, complex128"


def as_matrix(x, op, square=True, allowed=FLOATS):
    """A float/complex tensor of rank >= 2 (square when asked), else TF's error."""
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        if op in kernel_dtypes.KERNELS:  # TF's own list and op summary
            kernel_dtypes.check(op, x)
        raise dtype_not_allowed(op, x.dtype, allowed)
    if x.ndim < 2:
        raise op_error(f"Input tensor 0 must have rank >= 2, got {x.ndim}", op)
    if square and x._value.shape[-1] != x._value.shape[-2]:
        raise op_error("Input matrix must be square.", op)
    return x


def _finite_or_nan(x):
    """1 for each matrix whose entries are all finite, NaN for the others (keeping dims)."""
    return jnp.where(jnp.all(jnp.isfinite(x), axis=(-2, -1), keepdims=True), 1, jnp.nan).astype(x.dtype)


# The identity, whose gradient is NaN for a matrix holding NaN or inf: TF's gradient formulas of
# the factorizations (Cholesky, SVD) multiply such entries by zeros and spread NaN over the
# whole matrix, where JAX's rules keep finite entries finite.
nan_gradient_unless_finite = with_tangent(lambda x: x, lambda p, t, out: t[0] * _finite_or_nan(p[0]))


def adjoint_of(x):
    """The conjugate transpose of a (batch of) JAX matrices."""
    return jnp.conj(jnp.swapaxes(x, -1, -2))
