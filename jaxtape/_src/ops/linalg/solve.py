"""Inverses and linear solves (`tf.linalg.inv`, `solve`, `triangular_solve`, `lstsq`, `pinv`, ...).

Where TF's kernel reads only one triangle of its input (triangular solves),
the adapter does the same, so the gradient lands in that triangle as TF's does.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.linalg.matmul import matmul
from jaxtape._src.ops.linalg.matrices import adjoint_of, as_matrix
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.args import binary, number_as, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@jax.jit
def _singular(x):
    # TF's kernels test each pivot with `abs(pivot) > 0`: a NaN one fails it too.
    lu_, _, _ = lax.linalg.lu(x)
    return jnp.any(~(jnp.abs(jnp.diagonal(lu_, axis1=-2, axis2=-1)) > 0))


def check_invertible(x, message, op):
    """TF's error where a matrix of the batch has a zero (or NaN) LU pivot; eager only."""
    if not isinstance(x._value, jax.core.Tracer) and x._value.size and bool(_singular(x._value)):
        raise op_error(message, op)


@primitive(name="MatrixInverse")
def _inv(x, *, adjoint):
    return jnp.linalg.inv(adjoint_of(x) if adjoint else x)


@defined("linalg.inv")
def inv(input, adjoint=False, name=None):  # noqa: A002
    x = as_matrix(input, "MatrixInverse")
    check_invertible(x, "Input is not invertible.", "MatrixInverse")
    return _inv(x, adjoint=bool(adjoint))


@primitive(name="MatrixSolve")
def _solve(a, b, *, adjoint):
    return jnp.linalg.solve(adjoint_of(a) if adjoint else a, b)


@defined("linalg.solve")
def solve(matrix, rhs, adjoint=False, name=None):
    a = as_matrix(matrix, "MatrixSolve")
    a, b = binary(a, rhs, "MatrixSolve")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-1] or a.ndim != b.ndim:
        raise op_error("Input matrix and rhs are incompatible.", "MatrixSolve")
    check_invertible(a, "Input matrix is not invertible.", "MatrixSolve")
    return _solve(a, b, adjoint=bool(adjoint))


@primitive(name="MatrixTriangularSolve")
def _triangular_solve(a, b, *, lower, adjoint):
    shape = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, shape + a.shape[-2:])
    b = jnp.broadcast_to(b, shape + b.shape[-2:])
    return lax.linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                       transpose_a=adjoint, conjugate_a=adjoint)


@defined("linalg.triangular_solve")
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves with the lower (or upper) triangle of `matrix`; the other is ignored."""
    a = as_matrix(matrix, "MatrixTriangularSolve")
    a, b = binary(a, rhs, "MatrixTriangularSolve")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-1]:
        raise op_error(f"In[0] mismatch In[1] shape: {a._value.shape[-1]} vs. "
                       f"{b._value.shape[-2] if b.ndim >= 2 else b._value.shape[-1]}: "
                       f"{dims(a._value.shape)} {dims(b._value.shape)} {int(bool(lower))} "
                       f"{int(bool(adjoint))}", "MatrixTriangularSolve")
    return _triangular_solve(a, b, lower=bool(lower), adjoint=bool(adjoint))


@primitive(name="CholeskySolve")
def _cholesky_solve(chol, rhs):
    y = lax.linalg.triangular_solve(chol, rhs, left_side=True, lower=True)
    return lax.linalg.triangular_solve(chol, y, left_side=True, lower=True,
                                       transpose_a=True, conjugate_a=True)


@defined("linalg.cholesky_solve")
def cholesky_solve(chol, rhs, name=None):
    c = as_matrix(chol, "MatrixTriangularSolve")
    c, b = binary(c, rhs, "MatrixTriangularSolve")
    if b.ndim < 2 or b._value.shape[-2] != c._value.shape[-1]:
        raise op_error(f"In[0] mismatch In[1] shape: {c._value.shape[-1]} vs. "
                       f"{b._value.shape[-2] if b.ndim >= 2 else b._value.shape[-1]}: "
                       f"{dims(c._value.shape)} {dims(b._value.shape)} 1 0",
                       "MatrixTriangularSolve")
    return _cholesky_solve(c, b)


@primitive(name="LuSolve")
def _lu_solve(lu_, perm, rhs):
    b = jnp.take_along_axis(rhs, jnp.broadcast_to(perm[..., None], perm.shape + rhs.shape[-1:]),
                            axis=-2)
    y = lax.linalg.triangular_solve(lu_, b, left_side=True, lower=True, unit_diagonal=True)
    return lax.linalg.triangular_solve(lu_, y, left_side=True, lower=False)


@defined("linalg.lu_solve")
def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    a = as_matrix(lower_upper, "LuSolve")
    a, b = binary(a, rhs, "LuSolve")
    return _lu_solve(a, tensor(perm), b)


@defined("linalg.lu_matrix_inverse")
def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    a = as_matrix(lower_upper, "LuSolve")
    eye = Tensor(jnp.broadcast_to(jnp.eye(a._value.shape[-1], dtype=a._value.dtype), a._value.shape))
    return _lu_solve(a, tensor(perm), eye)


@primitive(name="Pinv")
def _pinv(x, *, rcond):
    # TF's pinv goes through an SVD, which turns a matrix with NaN or inf into NaN.
    finite = jnp.all(jnp.isfinite(x), axis=(-2, -1), keepdims=True)
    return jnp.where(finite, jnp.linalg.pinv(x, rtol=rcond), jnp.nan)


@defined("linalg.pinv")
def pinv(a, rcond=None, validate_args=False, name=None):
    """Pseudo-inverse; singular values below `rcond * max(s)` count as zero
    (default rcond: 10 * max(rows, cols) * eps, as TF)."""
    x = as_matrix(a, "Svd", square=False)
    if rcond is None:
        eps = np.finfo(np.dtype(jnp.real(x._value).dtype)).eps
        rcond = 10.0 * max(x._value.shape[-2:]) * float(eps)
    return _pinv(x, rcond=float(tensor(rcond).numpy()) if not isinstance(rcond, float) else rcond)


def _eigen_cholesky(gram):
    """Eigen's unblocked LLT, as TF's Cholesky kernel runs it: each column divided
    by its pivot (LAPACK multiplies by the pivot's reciprocal, so an infinite pivot
    zeroes the column, NaN and inf entries included, where TF's gives NaN); a
    pivot <= 0 (not NaN) fails the matrix, which TF fills with NaN."""
    n = gram.shape[-1]
    rows = jnp.arange(n)

    def column(k, carry):
        low, failed = carry
        done = jnp.where(rows < k, jnp.take(low, k, axis=-2), 0)  # L[k, :k]
        x = jnp.take(jnp.take(gram, k, axis=-1), k, axis=-1) - jnp.sum(done * jnp.conj(done), axis=-1).real
        failed = failed | (x <= 0)
        d = jnp.sqrt(x)
        below = (jnp.take(gram, k, axis=-1) - jnp.einsum("...ij,...j->...i", low, jnp.conj(done))) / d[..., None]
        col = jnp.where(rows > k, below, jnp.where(rows == k, d[..., None], 0))
        return jnp.where(rows == k, col[..., :, None], low), failed

    low, failed = lax.fori_loop(0, n, column, (jnp.zeros_like(gram), jnp.zeros(gram.shape[:-2], bool)))
    return jnp.where(failed[..., None, None], jnp.nan, low)


def _tf_cholesky(gram):
    """The Cholesky factor TF's kernel gives: LAPACK's for finite matrices, Eigen's scan otherwise."""
    return lax.cond(jnp.all(jnp.isfinite(gram)), jnp.linalg.cholesky, _eigen_cholesky, gram)


def _cho_solve(chol, rhs):
    return _cholesky_solve.fn(chol, rhs)


def _gramian_cholesky(a, l2, first_kind):
    n = a.shape[-1] if first_kind else a.shape[-2]
    gram = jnp.matmul(adjoint_of(a), a) if first_kind else jnp.matmul(a, adjoint_of(a))
    return _tf_cholesky(gram + l2 * jnp.eye(n, dtype=a.dtype))


def _lstsq_fast(a, b, l2):
    """TF's fast path and the Cholesky factor of its Gram matrix."""
    m, n = a.shape[-2:]
    chol = _gramian_cholesky(a, l2, m >= n)
    if m >= n:  # normal equations: (A^H A + l2 I) x = A^H b
        return _cho_solve(chol, jnp.matmul(adjoint_of(a), b)), chol
    return jnp.matmul(adjoint_of(a), _cho_solve(chol, b)), chol


def _lstsq_value(a, b, l2, *, fast):
    if not fast:
        return jnp.matmul(jnp.linalg.pinv(a), b)
    return _lstsq_fast(a, b, l2)[0]


def _tf_matmul(a, b):
    # TF's MatMul sums its products from +0, so a zero comes out +0 (XLA's dot can give -0;
    # a select, since XLA folds `+ 0.0` away).
    p = jnp.matmul(a, b)
    return jnp.where(p == 0, jnp.zeros_like(p), p)


def _lstsq_grads(a, b, chol, x, g):
    """TF's MatrixSolveLs gradient from the Gram matrix's Cholesky factor (TF
    factors it again; the same factor): the normal equations' derivative, first
    kind for m >= n, second kind else."""
    m, n = a.shape[-2:]
    mm = _tf_matmul
    if m >= n:
        z = _cho_solve(chol, g)
        xz = mm(x, adjoint_of(z))
        return -mm(a, xz + jnp.swapaxes(xz, -1, -2)) + mm(b, adjoint_of(z)), mm(a, z)
    grad_b = _cho_solve(chol, mm(a, g))
    tmp = _cho_solve(chol, b)
    a1 = -mm(grad_b, mm(adjoint_of(tmp), a))
    a2 = mm(tmp, adjoint_of(g - mm(adjoint_of(a), grad_b)))
    return a1 + a2, grad_b


@jax.custom_vjp
def _lstsq_tf_grad(a, b, l2):
    return _lstsq_fast(a, b, l2)[0]


def _lstsq_fwd(a, b, l2):
    x, chol = _lstsq_fast(a, b, l2)
    return x, (a, b, l2, chol, x)


def _lstsq_bwd(res, g):
    a, b, l2, chol, x = res
    return (*_lstsq_grads(a, b, chol, x, g), jnp.zeros_like(l2))


_lstsq_tf_grad.defvjp(_lstsq_fwd, _lstsq_bwd)


@jax.custom_vjp
def _lstsq_exact(a, b, l2):
    return _lstsq_value(a, b, l2, fast=False)


def _no_exact_gradient(res, g):
    raise ValueError("Gradient not defined for fast=False")  # TF's, when its gradient is built


_lstsq_exact.defvjp(lambda a, b, l2: (_lstsq_exact(a, b, l2), None), _no_exact_gradient)


def _lstsq_twin(a, b, l2, *, fast):
    return _lstsq_tf_grad(a, b, l2) if fast else _lstsq_exact(a, b, l2)


_lstsq = TFGradPrimitive(_lstsq_value, _lstsq_twin, "MatrixSolveLs")


def _lstsq_shape_error(a, b, fast):
    """TF's error for rows that do not match: its fast path is Python ops, so the
    first op of the branch taken for the shapes fails with its own text."""
    if not fast:
        raise op_error("Input matrix and rhs are incompatible.", "MatrixSolveLs")
    m, n = a._value.shape[-2:]
    if m >= n:  # A^H b fails first
        matmul(a, b, adjoint_a=True)
    sb = b._value.shape  # the Cholesky solve with the m x m Gram matrix fails first
    raise op_error(f"In[0] mismatch In[1] shape: {m} vs. {sb[-2] if len(sb) >= 2 else sb[-1]}: "
                   f"{dims(a._value.shape[:-1] + (m,))} {dims(sb)} 1 0", "MatrixTriangularSolve")


@defined("linalg.lstsq", primitive=_lstsq)
def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least squares via Cholesky of the regularized normal equations (TF's fast path)."""
    a = as_matrix(matrix, "MatrixSolveLs", square=False)
    a, b = binary(a, rhs, "MatrixSolveLs")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-2]:
        _lstsq_shape_error(a, b, bool(fast))
    l2 = number_as(l2_regularizer, a.dtype)
    return _lstsq(a, b, Tensor(jax.lax.stop_gradient(l2._value)), fast=bool(fast))
