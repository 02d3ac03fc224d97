"""Matrix factorizations (`tf.linalg.cholesky`, `qr`, `svd`, `eigh`, `eigvalsh`, `lu`, `lu_reconstruct`).

eigh reads only the lower triangle of its input, as TF's kernel does, so the
gradient lands in that triangle; cholesky's and qr's reverse modes are TF's
CholeskyGrad and QrGrad (twins, see ops/math/tf_gradients.py); the others take
JAX's derivative rules.
"""
from __future__ import annotations

import collections
import functools

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import op_error
from jaxtape._src.ops.linalg.matrices import adjoint_of, as_matrix, nan_gradient_unless_finite
from jaxtape._src.ops.linalg.solve import check_invertible
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

Qr = collections.namedtuple("Qr", ("q", "r"))
Lu = collections.namedtuple("Lu", ("lu", "p"))


@jax.custom_vjp
def tf_cholesky(x):
    """Cholesky differentiated by TF's CholeskyGrad: with L^-1 from a triangular
    solve, sym(L^-H tril(L^H g, diagonal halved) L^-1). Every entry of the
    upstream meets L^H, so one infinite upstream entry over a zero of L gives
    NaN as in TF, where JAX's rule keeps inf."""
    return jnp.linalg.cholesky(x)


def _tf_cholesky_fwd(x):
    lower = jnp.linalg.cholesky(x)
    return lower, lower


def _tf_cholesky_bwd(lower, g):
    if jnp.iscomplexobj(g):  # TF's formula, in TF's complex convention (tape/gradients.py)
        return (jnp.conj(_cholesky_grad(lower, jnp.conj(g))),)
    return (_cholesky_grad(lower, g),)


def _cholesky_grad(lower, g):
    eye = jnp.broadcast_to(jnp.eye(lower.shape[-1], dtype=lower.dtype), lower.shape)
    inverse = jax.scipy.linalg.solve_triangular(lower, eye, lower=True)
    middle = adjoint_of(lower) @ g
    middle = jnp.tril(jnp.where(jnp.eye(middle.shape[-1], dtype=bool), 0.5 * middle, middle))
    grad = adjoint_of(inverse) @ middle @ inverse
    return (grad + adjoint_of(grad)) * 0.5


tf_cholesky.defvjp(_tf_cholesky_fwd, _tf_cholesky_bwd)

_cholesky = TFGradPrimitive(lambda x: jnp.linalg.cholesky(nan_gradient_unless_finite(x)),
                            lambda x: tf_cholesky(nan_gradient_unless_finite(x)), "Cholesky")


@defined("linalg.cholesky", primitive=_cholesky)
def cholesky(input, name=None):  # noqa: A002
    return _cholesky(as_matrix(input, "Cholesky"))


def _plain_qr(x, *, full_matrices):
    q, r = jnp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    # XLA's Householder products leave -0 below the diagonal of Q where TF's have +0
    # (q + -q there: XLA folds q + 0 away); the derivative is q's in both branches.
    return jnp.where(q == 0, q + lax.stop_gradient(-q), q), r


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def tf_qr(x, full_matrices):
    """QR differentiated by TF's QrGrad, in its order of operations (the signs
    of its zeros): for m >= n (reduced), with qdq = Q^H dQ and rdr = R dR^H,
    Q (dR + (tril(qdq - qdq^H + rdr - rdr^H)) R^-H) + (dQ - Q qdq) R^-H; a wide
    matrix [X, Y] = Q [U, V] reduces to the square case on X."""
    return _plain_qr(x, full_matrices=full_matrices)


def _tf_qr_fwd(x, full_matrices):
    q, r = tf_qr(x, full_matrices)
    return (q, r), (x, q, r)


def _tf_qr_bwd(full_matrices, res, g):
    x, q, r = res
    dq, dr = g
    if r.shape[-2] > r.shape[-1] and q.shape[-2] == q.shape[-1]:
        raise NotImplementedError(  # TF's text (TensorShape and Dimension printed as TF prints them)
            "QrGrad not implemented when nrows > ncols and full_matrices is true. Received r.shape="
            f"({', '.join(map(str, r.shape))}) with nrows={r.shape[-2]}and ncols={r.shape[-1]}.")
    if jnp.iscomplexobj(x):  # TF's formula, in TF's complex convention (tape/gradients.py)
        return (jnp.conj(_qr_grad(x, q, r, jnp.conj(dq), jnp.conj(dr))),)
    return (_qr_grad(x, q, r, dq, dr),)


def _times_inverse_adjoint(x, r):
    """x R^-H for upper triangular R, as TF's adjoint(triangular_solve(R, x^H))."""
    return adjoint_of(jax.scipy.linalg.solve_triangular(r, adjoint_of(x), lower=False))


def _qr_grad_deep(q, r, dq, dr):
    qdq = adjoint_of(q) @ dq
    qdq_ = qdq - adjoint_of(qdq)
    rdr = r @ adjoint_of(dr)
    rdr_ = rdr - adjoint_of(rdr)
    low = jnp.tril(qdq_ + rdr_)
    grad = q @ (dr + _times_inverse_adjoint(low, r)) + _times_inverse_adjoint(dq - q @ qdq, r)
    if jnp.iscomplexobj(q):  # TF's correction for the complex case: the imaginary diagonal of rdr - qdq^H
        m = rdr - adjoint_of(qdq)
        diag = jnp.diagonal(m, axis1=-2, axis2=-1)
        eye = diag[..., None, :] * jnp.eye(m.shape[-1], dtype=m.dtype)
        correction = eye - jnp.real(eye).astype(m.dtype)
        grad = grad + _times_inverse_adjoint(q @ adjoint_of(correction), r)
    return grad


def _qr_grad(x, q, r, dq, dr):
    rows, cols = q.shape[-2], r.shape[-1]
    if rows >= cols:
        return _qr_grad_deep(q, r, dq, dr)
    y, dv = x[..., :, rows:], dr[..., :, rows:]
    dx = _qr_grad_deep(q, r[..., :, :rows], dq + y @ adjoint_of(dv), dr[..., :, :rows])
    return jnp.concatenate([dx, q @ dv], axis=-1)


tf_qr.defvjp(_tf_qr_fwd, _tf_qr_bwd)

_qr = TFGradPrimitive(_plain_qr, lambda x, *, full_matrices: tf_qr(x, full_matrices), "Qr",
                      multiple_results=True)


@defined("linalg.qr", primitive=_qr)
def qr(input, full_matrices=False, name=None):  # noqa: A002
    x = as_matrix(input, "Qr", square=False)
    return Qr(*_qr(x, full_matrices=bool(full_matrices)))


@primitive(name="Svd", multiple_results=True)
def _svd(x, *, full_matrices):
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return s, u, adjoint_of(vh)


@primitive(name="SvdValues")
def _svd_values(x):
    return jnp.linalg.svd(nan_gradient_unless_finite(x), compute_uv=False)


@defined("linalg.svd")
def svd(tensor, full_matrices=False, compute_uv=True, name=None):  # noqa: F811
    """TF's order: (s, u, v) with `a = u @ diag(s) @ adjoint(v)`; only s without compute_uv."""
    x = as_matrix(tensor, "Svd", square=False)
    if not compute_uv:
        return _svd_values(x)
    return _svd(x, full_matrices=bool(full_matrices))


def _lower_hermitian(x):
    """The Hermitian matrix TF's eigensolver sees: the lower triangle mirrored."""
    low = jnp.tril(x, -1)
    diag = jnp.real(jnp.diagonal(x, axis1=-2, axis2=-1)).astype(x.dtype)
    return low + adjoint_of(low) + diag[..., None] * jnp.eye(x.shape[-1], dtype=x.dtype)


@jax.custom_jvp
def _hermitian_eigh(h):
    return tuple(jnp.linalg.eigh(h, symmetrize_input=False))


@_hermitian_eigh.defjvp
def _hermitian_eigh_jvp(primals, tangents):
    # JAX's rule, with TF's reciprocal_no_nan for the eigenvalue gaps: repeated
    # eigenvalues contribute 0, not NaN, to the gradient.
    (h,), (dh,) = primals, tangents
    w, v = _hermitian_eigh(h)
    gap = w[..., None, :] - w[..., :, None]
    inv = jnp.where(gap == 0, 0, 1 / jnp.where(gap == 0, 1, gap)).astype(v.dtype)
    vdv = adjoint_of(v) @ dh @ v
    return (w, v), (jnp.real(jnp.diagonal(vdv, axis1=-2, axis2=-1)), v @ (inv * vdv))


@primitive(name="SelfAdjointEigV2", multiple_results=True)
def _eigh(x):
    w, v = _hermitian_eigh(_lower_hermitian(x))
    return w.astype(jnp.real(x).dtype), v


@primitive(name="SelfAdjointEigV2")
def _eigvalsh(x):
    return jnp.linalg.eigvalsh(_lower_hermitian(x), symmetrize_input=False)


def _eig_input(tensor):
    """The input matrix; TF's solver fails on a NaN in the triangle it reads (eager only)."""
    x = as_matrix(tensor, "SelfAdjointEigV2")
    if not isinstance(x._value, jax.core.Tracer) and x._value.size and bool(_has_nan_lower(x._value)):
        raise op_error("Self-adjoint eigen decomposition was not successful. The input might not be valid.",
                       "SelfAdjointEigV2")
    return x


@jax.jit
def _has_nan_lower(x):
    return jnp.any(jnp.isnan(jnp.tril(x)))


@defined("linalg.eigh")
def eigh(tensor, name=None):  # noqa: F811
    """(eigenvalues ascending, eigenvectors) of a Hermitian matrix's lower triangle."""
    return _eigh(_eig_input(tensor))


@defined("linalg.eigvalsh")
def eigvalsh(tensor, name=None):  # noqa: F811
    return _eigvalsh(_eig_input(tensor))


@primitive(name="Lu", multiple_results=True, differentiable=False)  # TF registers no gradient
def _lu(x, *, index_dtype):
    lu_, _, perm = lax.linalg.lu(x)
    return lu_, perm.astype(index_dtype)


@defined("linalg.lu")
def lu(input, output_idx_type=dtypes.int32, name=None):  # noqa: A002
    x = as_matrix(input, "Lu")
    check_invertible(x, "Input is not invertible.", "Lu")
    return Lu(*_lu(x, index_dtype=dtypes.as_dtype(output_idx_type).as_numpy_dtype))


@primitive(name="LuReconstruct")
def _lu_reconstruct(lu_, perm):
    n = lu_.shape[-1]
    lower = jnp.tril(lu_, -1) + jnp.eye(n, dtype=lu_.dtype)
    prod = jnp.matmul(lower, jnp.triu(lu_))
    inverse = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(prod, inverse[..., None], axis=-2)


@defined("linalg.lu_reconstruct")
def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    return _lu_reconstruct(as_matrix(lower_upper, "LuReconstruct"), tensor(perm))
