"""Linear algebra (`tf.linalg`, `tf.einsum`, `tf.tensordot`, `tf.clip_by_global_norm`).

Where TF's kernel reads only one triangle of its input (eigh, triangular
solves), the adapter does the same, so the gradient lands in that triangle as
TF's does; everything else takes its gradient from JAX's derivative rules.
"""
from __future__ import annotations

import collections
import string

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax import lax

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import FailedPreconditionError
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import binary, kernel_dtype_name, op_error, tensor
from jaxtape._src.tape.primitive import Primitive, primitive

_as_tensor = tensor  # for functions whose TF argument is named `tensor`

_FLOATS = "double, float, half, complex64, complex128"


def _bracket(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _matrix(x, op, square=True, allowed=_FLOATS):
    """A float/complex tensor of rank >= 2 (square when asked), else TF's error."""
    x = tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise op_error(f"Value for attr 'T' of {kernel_dtype_name(x.dtype)} is not in the list of "
                       f"allowed values: {allowed}", op)
    if x.ndim < 2:
        raise op_error(f"Input tensor 0 must have rank >= 2, got {x.ndim}", op)
    if square and x._value.shape[-1] != x._value.shape[-2]:
        raise op_error("Input matrix must be square.", op)
    return x


def _named(name, fields):
    return collections.namedtuple(name, fields)


Qr = _named("Qr", ("q", "r"))
Lu = _named("Lu", ("lu", "p"))
LogMatrixDeterminant = _named("LogMatrixDeterminant", ("sign", "log_abs_determinant"))


def _h(x):
    return jnp.conj(jnp.swapaxes(x, -1, -2))


# -- products -------------------------------------------------------------------

@primitive(name="MatVec")
def _matvec(a, b, *, adjoint):
    if adjoint:
        a = _h(a)
    return jnp.matmul(a, b[..., None])[..., 0]


@export("linalg.matvec")
def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    k = sa[-2] if (transpose_a or adjoint_a) else sa[-1]
    if len(sa) < 2 or len(sb) < 1 or k != sb[-1]:
        op = "MatMul" if len(sa) == 2 and len(sb) == 1 else "BatchMatMulV2"
        raise op_error(f"Matrix size-incompatible: In[0]: {_bracket(sa)}, In[1]: "
                       f"{_bracket(sb + (1,))}", op)
    if transpose_a and not adjoint_a and a.dtype.is_complex:
        a = Tensor(jnp.conj(a._value))  # transpose == adjoint of the conjugate
    return _matvec(a, b, adjoint=bool(transpose_a or adjoint_a))


@primitive(name="Tensordot")
def _tensordot(a, b, *, axes):
    return jnp.tensordot(a, b, axes)


@export("tensordot", "linalg.tensordot")
def tensordot(a, b, axes, name=None):
    """Contracts `axes` of `a` with `axes` of `b` (an int n: last n of a, first n of b)."""
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    if isinstance(axes, Tensor):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n > a.ndim:
            raise ValueError(f"`axes` must not be larger than the number of dimensions of tensor "
                             f"{a.numpy()}.  Received {n}, vs tensor dimensions {a.ndim}.")
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {n}.")
        ax_a, ax_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes = list(axes)
        if len(axes) != 2:
            raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
        ax_a, ax_b = axes
        ax_a = [int(ax_a)] if isinstance(ax_a, (int, np.integer)) else [int(v) for v in ax_a]
        ax_b = [int(ax_b)] if isinstance(ax_b, (int, np.integer)) else [int(v) for v in ax_b]
        if len(ax_a) != len(ax_b):
            raise ValueError(f"Different number of contraction axes `a` and `b`, {len(ax_a)} != "
                             f"{len(ax_b)}.")
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    if any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        # TF reshapes both operands to matrices and multiplies; its error names those.
        free_a = [d for i, d in enumerate(sa) if i not in ax_a]
        free_b = [d for i, d in enumerate(sb) if i not in ax_b]
        ma = (int(np.prod(free_a)), int(np.prod([sa[i] for i in ax_a])))
        mb = (int(np.prod([sb[i] for i in ax_b])), int(np.prod(free_b)))
        raise op_error(f"Matrix size-incompatible: In[0]: {_bracket(ma)}, In[1]: {_bracket(mb)}",
                       "MatMul")
    return _tensordot(a, b, axes=(tuple(ax_a), tuple(ax_b)))


@primitive(name="Einsum")
def _einsum(*xs, equation):
    return jnp.einsum(equation, *xs)


_LABELS = set(string.ascii_letters)


def _parse_subscripts(equation, n_inputs):
    eq = equation.replace(" ", "")
    if eq.count("->") > 1 or any(c not in _LABELS and c not in ",.->" for c in eq):
        raise ValueError(f"Subscripts have incorrect format: {equation}")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != n_inputs:
        raise ValueError(f'Got {n_inputs} inputs for equation "{equation}", expecting {len(inputs)}')
    if arrow:
        seen = set("".join(inputs))
        for c in rhs:
            if c in _LABELS and c not in seen:
                raise ValueError(f"Output subscripts contain the label {c} not present in the "
                                 "input subscripts.")
    return inputs


@export("einsum", "linalg.einsum")
def einsum(equation, *inputs, **kwargs):
    """Einstein summation, with TF's checks of subscripts against the inputs' shapes."""
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for this function: {', '.join(kwargs)}. "
                        "Expected: name.")
    xs = [tensor(x) for x in inputs]
    if len(xs) > 1:
        first = xs[0].dtype
        for i, x in enumerate(xs[1:], 1):
            if x.dtype != first:
                raise op_error(f"cannot compute Einsum as input #{i}(zero-based) was expected to be "
                               f"a {kernel_dtype_name(first)} tensor but is a "
                               f"{kernel_dtype_name(x.dtype)} tensor", "Einsum")
    subs = _parse_subscripts(equation, len(xs))
    sizes = {}
    for i, (sub, x) in enumerate(zip(subs, xs)):
        shape = x._value.shape
        labels = sub.replace("...", "")
        if "..." in sub:
            if len(labels) > len(shape):
                raise op_error(f"Expected input {i} to have rank at least {len(labels)} but got: "
                               f"{len(shape)}", "Einsum")
            head, _, tail = sub.partition("...")
            dims = list(shape[:len(head)]) + list(shape[len(shape) - len(tail):])
        else:
            if len(labels) != len(shape):
                raise op_error(f"Expected input {i} to have rank {len(labels)} but got: "
                               f"{len(shape)}", "Einsum")
            dims = list(shape)
        for axis, (c, d) in enumerate(zip(labels, dims)):
            want = sizes.setdefault(c, d)
            if want != d and want != 1 and d != 1:
                raise op_error(f"Expected dimension {want} at axis {axis} of the input shaped "
                               f"{_bracket(shape)} but got dimension {d}", "Einsum")
    return _einsum(*xs, equation=equation.replace(" ", ""))


# -- determinants and inverses -------------------------------------------------------

_det = Primitive(jnp.linalg.det, "MatrixDeterminant")


@export("linalg.det")
def det(input, name=None):  # noqa: A002
    return _det(_matrix(input, "MatrixDeterminant"))


@primitive(name="LogMatrixDeterminant", multiple_results=True)
def _slogdet(x):
    sign, logabs = jnp.linalg.slogdet(x)
    return sign.astype(x.dtype), logabs.astype(jnp.real(x).dtype)


@export("linalg.slogdet")
def slogdet(input, name=None):  # noqa: A002
    return LogMatrixDeterminant(*_slogdet(_matrix(input, "LogMatrixDeterminant")))


@primitive(name="Logdet")
def _logdet(x):
    # TF: twice the log of the Cholesky factor's diagonal (a Hermitian PD input).
    chol = jnp.linalg.cholesky(x)
    return 2.0 * jnp.sum(jnp.log(jnp.real(jnp.diagonal(chol, axis1=-2, axis2=-1))), axis=-1)


@export("linalg.logdet")
def logdet(matrix, name=None):
    return _logdet(_matrix(matrix, "Cholesky"))


@jax.jit
def _singular(x):
    lu_, _, _ = lax.linalg.lu(x)
    return jnp.any(jnp.diagonal(lu_, axis1=-2, axis2=-1) == 0)


def _check_invertible(x, message, op):
    if not isinstance(x._value, jax.core.Tracer) and x._value.size and bool(_singular(x._value)):
        raise op_error(message, op)


@primitive(name="MatrixInverse")
def _inv(x, *, adjoint):
    return jnp.linalg.inv(_h(x) if adjoint else x)


@export("linalg.inv")
def inv(input, adjoint=False, name=None):  # noqa: A002
    x = _matrix(input, "MatrixInverse")
    _check_invertible(x, "Input is not invertible.", "MatrixInverse")
    return _inv(x, adjoint=bool(adjoint))


@primitive(name="MatrixSolve")
def _solve(a, b, *, adjoint):
    return jnp.linalg.solve(_h(a) if adjoint else a, b)


@export("linalg.solve")
def solve(matrix, rhs, adjoint=False, name=None):
    a = _matrix(matrix, "MatrixSolve")
    a, b = binary(a, rhs, "MatrixSolve")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-1] or a.ndim != b.ndim:
        raise op_error("Input matrix and rhs are incompatible.", "MatrixSolve")
    _check_invertible(a, "Input matrix is not invertible.", "MatrixSolve")
    return _solve(a, b, adjoint=bool(adjoint))


@primitive(name="MatrixTriangularSolve")
def _triangular_solve(a, b, *, lower, adjoint):
    shape = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, shape + a.shape[-2:])
    b = jnp.broadcast_to(b, shape + b.shape[-2:])
    return lax.linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                       transpose_a=adjoint, conjugate_a=adjoint)


@export("linalg.triangular_solve")
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves with the lower (or upper) triangle of `matrix`; the other is ignored."""
    a = _matrix(matrix, "MatrixTriangularSolve")
    a, b = binary(a, rhs, "MatrixTriangularSolve")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-1]:
        raise op_error(f"In[0] mismatch In[1] shape: {a._value.shape[-1]} vs. "
                       f"{b._value.shape[-2] if b.ndim >= 2 else b._value.shape[-1]}: "
                       f"{_bracket(a._value.shape)} {_bracket(b._value.shape)} {int(bool(lower))} "
                       f"{int(bool(adjoint))}", "MatrixTriangularSolve")
    return _triangular_solve(a, b, lower=bool(lower), adjoint=bool(adjoint))


# -- factorizations -----------------------------------------------------------------

@primitive(name="Cholesky")
def _cholesky(x):
    return jnp.linalg.cholesky(x)


@export("linalg.cholesky")
def cholesky(input, name=None):  # noqa: A002
    return _cholesky(_matrix(input, "Cholesky"))


@primitive(name="CholeskySolve")
def _cholesky_solve(chol, rhs):
    y = lax.linalg.triangular_solve(chol, rhs, left_side=True, lower=True)
    return lax.linalg.triangular_solve(chol, y, left_side=True, lower=True,
                                       transpose_a=True, conjugate_a=True)


@export("linalg.cholesky_solve")
def cholesky_solve(chol, rhs, name=None):
    c = _matrix(chol, "MatrixTriangularSolve")
    c, b = binary(c, rhs, "MatrixTriangularSolve")
    if b.ndim < 2 or b._value.shape[-2] != c._value.shape[-1]:
        raise op_error(f"In[0] mismatch In[1] shape: {c._value.shape[-1]} vs. "
                       f"{b._value.shape[-2] if b.ndim >= 2 else b._value.shape[-1]}: "
                       f"{_bracket(c._value.shape)} {_bracket(b._value.shape)} 1 0",
                       "MatrixTriangularSolve")
    return _cholesky_solve(c, b)


@primitive(name="Qr", multiple_results=True)
def _qr(x, *, full_matrices):
    return tuple(jnp.linalg.qr(x, mode="complete" if full_matrices else "reduced"))


@export("linalg.qr")
def qr(input, full_matrices=False, name=None):  # noqa: A002
    x = _matrix(input, "Qr", square=False)
    return Qr(*_qr(x, full_matrices=bool(full_matrices)))


@primitive(name="Svd", multiple_results=True)
def _svd(x, *, full_matrices):
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return s, u, _h(vh)


@primitive(name="SvdValues")
def _svd_values(x):
    return jnp.linalg.svd(x, compute_uv=False)


@export("linalg.svd")
def svd(tensor, full_matrices=False, compute_uv=True, name=None):  # noqa: F811
    """TF's order: (s, u, v) with `a = u @ diag(s) @ adjoint(v)`; only s without compute_uv."""
    x = _matrix(tensor, "Svd", square=False)
    if not compute_uv:
        return _svd_values(x)
    return _svd(x, full_matrices=bool(full_matrices))


def _lower_hermitian(x):
    """The Hermitian matrix TF's eigensolver sees: the lower triangle mirrored."""
    low = jnp.tril(x, -1)
    diag = jnp.real(jnp.diagonal(x, axis1=-2, axis2=-1)).astype(x.dtype)
    return low + _h(low) + diag[..., None] * jnp.eye(x.shape[-1], dtype=x.dtype)


@primitive(name="SelfAdjointEigV2", multiple_results=True)
def _eigh(x):
    w, v = jnp.linalg.eigh(_lower_hermitian(x), symmetrize_input=False)
    return w.astype(jnp.real(x).dtype), v


@primitive(name="SelfAdjointEigV2")
def _eigvalsh(x):
    return jnp.linalg.eigvalsh(_lower_hermitian(x), symmetrize_input=False)


@export("linalg.eigh")
def eigh(tensor, name=None):  # noqa: F811
    """(eigenvalues ascending, eigenvectors) of a Hermitian matrix's lower triangle."""
    return _eigh(_matrix(tensor, "SelfAdjointEigV2"))


@export("linalg.eigvalsh")
def eigvalsh(tensor, name=None):  # noqa: F811
    return _eigvalsh(_matrix(tensor, "SelfAdjointEigV2"))


@primitive(name="Lu", multiple_results=True, differentiable=False)  # TF registers no gradient
def _lu(x, *, index_dtype):
    lu_, _, perm = lax.linalg.lu(x)
    return lu_, perm.astype(index_dtype)


@export("linalg.lu")
def lu(input, output_idx_type=dtypes.int32, name=None):  # noqa: A002
    x = _matrix(input, "Lu")
    return Lu(*_lu(x, index_dtype=dtypes.as_dtype(output_idx_type).as_numpy_dtype))


@primitive(name="LuReconstruct")
def _lu_reconstruct(lu_, perm):
    n = lu_.shape[-1]
    lower = jnp.tril(lu_, -1) + jnp.eye(n, dtype=lu_.dtype)
    prod = jnp.matmul(lower, jnp.triu(lu_))
    inverse = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(prod, inverse[..., None], axis=-2)


@export("linalg.lu_reconstruct")
def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    return _lu_reconstruct(_matrix(lower_upper, "LuReconstruct"), tensor(perm))


@primitive(name="LuSolve")
def _lu_solve(lu_, perm, rhs):
    b = jnp.take_along_axis(rhs, jnp.broadcast_to(perm[..., None], perm.shape + rhs.shape[-1:]),
                            axis=-2)
    y = lax.linalg.triangular_solve(lu_, b, left_side=True, lower=True, unit_diagonal=True)
    return lax.linalg.triangular_solve(lu_, y, left_side=True, lower=False)


@export("linalg.lu_solve")
def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    a = _matrix(lower_upper, "LuSolve")
    a, b = binary(a, rhs, "LuSolve")
    return _lu_solve(a, tensor(perm), b)


@export("linalg.lu_matrix_inverse")
def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    a = _matrix(lower_upper, "LuSolve")
    eye = Tensor(jnp.broadcast_to(jnp.eye(a._value.shape[-1], dtype=a._value.dtype), a._value.shape))
    return _lu_solve(a, tensor(perm), eye)


@primitive(name="Pinv")
def _pinv(x, *, rcond):
    return jnp.linalg.pinv(x, rtol=rcond)


@export("linalg.pinv")
def pinv(a, rcond=None, validate_args=False, name=None):
    """Pseudo-inverse; singular values below `rcond * max(s)` count as zero
    (default rcond: 10 * max(rows, cols) * eps, as TF)."""
    x = _matrix(a, "Svd", square=False)
    if rcond is None:
        eps = np.finfo(np.dtype(jnp.real(x._value).dtype)).eps
        rcond = 10.0 * max(x._value.shape[-2:]) * float(eps)
    return _pinv(x, rcond=float(tensor(rcond).numpy()) if not isinstance(rcond, float) else rcond)


@primitive(name="MatrixSolveLs")
def _lstsq(a, b, l2, *, fast):
    if not fast:
        return jnp.matmul(jnp.linalg.pinv(a), b)
    m, n = a.shape[-2:]
    if m >= n:  # normal equations: (A^H A + l2 I) x = A^H b
        gram = jnp.matmul(_h(a), a) + l2 * jnp.eye(n, dtype=a.dtype)
        return jsl.cho_solve((jnp.linalg.cholesky(gram), True), jnp.matmul(_h(a), b))
    gram = jnp.matmul(a, _h(a)) + l2 * jnp.eye(m, dtype=a.dtype)
    return jnp.matmul(_h(a), jsl.cho_solve((jnp.linalg.cholesky(gram), True), b))


@export("linalg.lstsq")
def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least squares via Cholesky of the regularized normal equations (TF's fast path)."""
    a = _matrix(matrix, "MatrixSolveLs", square=False)
    a, b = binary(a, rhs, "MatrixSolveLs")
    if b.ndim < 2 or b._value.shape[-2] != a._value.shape[-2]:
        raise op_error("Incompatible shapes: matrix and rhs must have the same number of rows.",
                       "MatrixSolveLs")
    l2 = tensor(l2_regularizer, dtype=a.dtype) if isinstance(l2_regularizer, (int, float)) \
        else tensor(l2_regularizer)
    return _lstsq(a, b, Tensor(jax.lax.stop_gradient(l2._value)), fast=bool(fast))


@primitive(name="MatrixExponential")
def _expm(x):
    if x.ndim == 2:
        return jsl.expm(x)
    flat = jnp.reshape(x, (-1,) + x.shape[-2:])
    return jnp.reshape(jax.vmap(jsl.expm)(flat), x.shape)


@export("linalg.expm")
def expm(input, name=None):  # noqa: A002
    return _expm(_matrix(input, "MatrixExponential"))


# -- diagonals, bands, traces -------------------------------------------------------

def _rank2(x, op):
    x = tensor(x)
    if x.ndim < 2:
        raise op_error(f"input must be at least 2-dim, received shape: {_bracket(x._value.shape)}", op)
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


@export("linalg.diag_part")
def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    x = _rank2(input, "MatrixDiagPartV3")
    _check_align(align)
    lo, hi = _k_range(k)
    rows, cols = x._value.shape[-2:]
    _check_k(lo, hi, rows, cols, "MatrixDiagPartV3")
    pad = Tensor(jnp.asarray(tensor(padding_value, dtype=x.dtype)._value)) \
        if isinstance(padding_value, (int, float)) else tensor(padding_value)
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


@export("linalg.set_diag")
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
        raise op_error(f"diagonal must have shape {_bracket(want)}, got "
                       f"{_bracket(dg._value.shape)}", "MatrixSetDiagV3")
    return _set_diag(x, dg, lo=lo, hi=hi, align=align)


@primitive(name="MatrixDiagV3")
def _matrix_diag(diagonal, padding, *, lo, hi, rows, cols, align):
    batch = diagonal.shape[:-1] if lo == hi else diagonal.shape[:-2]
    base = jnp.broadcast_to(padding.astype(diagonal.dtype), batch + (rows, cols))
    return _set_diag.fn(base, diagonal, lo=lo, hi=hi, align=align)


@export("linalg.diag")
def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """A batch of matrices with `diagonal` on diagonals k (others `padding_value`)."""
    dg = tensor(diagonal)
    _check_align(align)
    lo, hi = _k_range(k)
    if dg.ndim < (1 if lo == hi else 2):
        raise op_error(f"diagonal must be at least {1 if lo == hi else 2}-dim, received shape: "
                       f"{_bracket(dg._value.shape)}", "MatrixDiagV3")
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
    pad = tensor(padding_value, dtype=dg.dtype) if isinstance(padding_value, (int, float)) \
        else tensor(padding_value)
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


@export("linalg.band_part")
def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    x = _rank2(input, "MatrixBandPart")
    rows, cols = x._value.shape[-2:]
    lower, upper = int(tensor(num_lower).numpy()), int(tensor(num_upper).numpy())
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


@export("linalg.trace")
def trace(x, name=None):
    return _trace(_rank2(x, "MatrixDiagPartV3"))


@primitive(name="Diag")
def _tensor_diag(x):
    n = x.size
    flat = jnp.zeros((n, n), x.dtype).at[np.arange(n), np.arange(n)].set(jnp.reshape(x, (-1,)))
    return jnp.reshape(flat, x.shape + x.shape)


@export("linalg.tensor_diag")
def tensor_diag(diagonal, name=None):
    return _tensor_diag(tensor(diagonal))


@primitive(name="DiagPart")
def _tensor_diag_part(x):
    half = x.shape[: x.ndim // 2]
    n = int(np.prod(half))
    flat = jnp.reshape(x, (n, n))
    return jnp.reshape(flat[np.arange(n), np.arange(n)], half)


@export("linalg.tensor_diag_part")
def tensor_diag_part(input, name=None):  # noqa: A002
    x = tensor(input)
    half = x.ndim // 2
    if x.ndim % 2 or x._value.shape[:half] != x._value.shape[half:]:
        raise op_error(f"Invalid shape {_bracket(x._value.shape)}: dimensions must be doubled",
                       "DiagPart")
    return _tensor_diag_part(x)


@primitive(name="Cross")
def _cross(a, b):
    return jnp.cross(a, b)


@export("linalg.cross")
def cross(a, b, name=None):
    a, b = binary(a, b, "Cross")
    if a._value.shape != b._value.shape:
        raise op_error("Both inputs must be of same shape: " + _bracket(a._value.shape) + " vs. "
                       + _bracket(b._value.shape), "Cross")
    if a.ndim < 1 or a._value.shape[-1] != 3:
        raise FailedPreconditionError(None, None, "Cross-products are only defined for 3-element "
                                                  "vectors. [Op:Cross] name: ")
    return _cross(a, b)


@primitive(name="MatrixTranspose")
def _matrix_transpose(x, *, conjugate):
    x = jnp.swapaxes(x, -1, -2)
    return jnp.conj(x) if conjugate else x


@export("linalg.matrix_transpose")
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    x = tensor(a)
    if x.ndim < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = "
                         f"{x!r} with shape: {x.shape}")
    return _matrix_transpose(x, conjugate=bool(conjugate and x.dtype.is_complex))


@export("linalg.adjoint")
def adjoint(matrix, name=None):
    x = tensor(matrix)
    return _matrix_transpose(x, conjugate=bool(x.dtype.is_complex))


# -- norms of lists and clipping by them ----------------------------------------------

_EAGER_TENSOR = "<class 'tensorflow.python.framework.ops.EagerTensor'>"


def _tensor_list(t_list):
    if isinstance(t_list, Tensor) or not isinstance(t_list, (list, tuple)) and not hasattr(
            t_list, "__iter__"):
        kind = _EAGER_TENSOR if isinstance(t_list, Tensor) else str(type(t_list))
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {kind}.")
    return [None if t is None else tensor(t) for t in t_list]


@primitive(name="GlobalNorm")
def _global_norm(*xs):
    total = sum(jnp.sum(jnp.real(x * jnp.conj(x))) for x in xs)
    return jnp.sqrt(total)


@export("linalg.global_norm")
def global_norm(t_list, name=None):
    """sqrt(sum of every tensor's squared entries); None entries are skipped."""
    xs = [t for t in _tensor_list(t_list) if t is not None]
    if not xs:
        return Tensor(jnp.zeros((), jnp.float32))
    for x in xs:
        if not x.dtype.is_floating:
            raise op_error(f"Value for attr 'T' of {kernel_dtype_name(x.dtype)} is not in the list "
                           "of allowed values: half, bfloat16, float, double", "L2Loss")
    first = xs[0].dtype
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != first:
            raise op_error(f"cannot compute Pack as input #{i}(zero-based) was expected to be a "
                           f"{kernel_dtype_name(first)} tensor but is a "
                           f"{kernel_dtype_name(x.dtype)} tensor", "Pack")
    return _global_norm(*xs)


@primitive(name="ClipByGlobalNorm", multiple_results=True)
def _clip_by_global_norm(norm, clip, *xs):
    scale = clip * jnp.minimum(1.0 / norm, 1.0 / clip)
    scale = scale + (norm - norm)  # an infinite or NaN norm makes every output NaN, as in TF
    return tuple(x * scale.astype(x.dtype) for x in xs)


@export("clip_by_global_norm")
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns (list, norm)."""
    ts = _tensor_list(t_list)
    norm = global_norm(ts) if use_norm is None else tensor(use_norm)
    clip = tensor(clip_norm, dtype=norm.dtype) if isinstance(clip_norm, (int, float)) \
        else tensor(clip_norm)
    present = [t for t in ts if t is not None]
    clipped = iter(_clip_by_global_norm(norm, clip, *present)) if present else iter(())
    return [None if t is None else next(clipped) for t in ts], norm
