"""`tf.linalg.tridiagonal_matmul` and `tridiagonal_solve`, in TF's three
diagonal formats: `compact` ([..., 3, M]: superdiagonal, whose last element is
ignored; main diagonal; subdiagonal, whose first element is ignored),
`sequence` (a list of the three) and `matrix` ([..., M, M]).

The product is the three shifted products (its JAX derivative is TF's
TridiagonalMatMulGrad: no gradient reaches the ignored elements). The solve
is an LU solve with partial pivoting of the dense matrix built from the
diagonals (TF's default `partial_pivoting=True` algorithm; a singular system
gives non-finite values, as TF's kernel does on CPU); its JAX derivative is
TF's TridiagonalSolveGrad (the three diagonals of `-A^-T g x^T`).
"""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import attr_not_allowed, dtype_mismatch, kernel_dtype_name, named_by
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.array.join import stack
from jaxtape._src.ops.array.pad import pad as pad_op
from jaxtape._src.ops.array.shape import expand_dims, squeeze
from jaxtape._src.ops.linalg.diag import diag_part
from jaxtape._src.ops.linalg.transpose import matrix_transpose
from jaxtape._src.ops.math.unary import conj
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_TYPES = "double, float, complex64, complex128"
_SOLVE_SUMMARY = ("Op<name=TridiagonalSolve; signature=diagonals:T, rhs:T -> output:T; "
                  "attr=partial_pivoting:bool,default=true; attr=perturb_singular:bool,default=false; "
                  "attr=T:type,allowed=[DT_DOUBLE, DT_FLOAT, DT_COMPLEX64, DT_COMPLEX128]>")
_MATMUL_SUMMARY = ("Op<name=TridiagonalMatMul; signature=superdiag:T, maindiag:T, subdiag:T, rhs:T -> "
                   "output:T; attr=T:type,allowed=[DT_DOUBLE, DT_FLOAT, DT_COMPLEX64, DT_COMPLEX128]>")


def _matmul(superdiag, maindiag, subdiag, rhs):
    zero = jnp.zeros_like(rhs[..., :1, :])
    up = jnp.concatenate([rhs[..., 1:, :], zero], axis=-2)   # rhs[i + 1]
    down = jnp.concatenate([zero, rhs[..., :-1, :]], axis=-2)  # rhs[i - 1]
    return superdiag[..., :, None] * up + maindiag[..., :, None] * rhs + subdiag[..., :, None] * down


_matmul_prim = Primitive(_matmul, "TridiagonalMatMul")


def _dense(diagonals):
    sup, main, sub = diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :]
    m = main.shape[-1]
    a = main[..., :, None] * jnp.eye(m, dtype=main.dtype)
    a = a + sup[..., :, None] * jnp.eye(m, k=1, dtype=main.dtype)
    return a + sub[..., :, None] * jnp.eye(m, k=-1, dtype=main.dtype)


def _solve(diagonals, rhs):
    a = _dense(diagonals)
    batch = jnp.broadcast_shapes(a.shape[:-2], rhs.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    rhs = jnp.broadcast_to(rhs, batch + rhs.shape[-2:])
    return jnp.linalg.solve(a, rhs)


_solve_prim = Primitive(_solve, "TridiagonalSolve")


def _matrix_diagonals(matrix):
    """[..., 3, M] compact diagonals of [..., M, M] matrices (TF's LEFT_RIGHT layout)."""
    return diag_part(matrix, k=(-1, 1), padding_value=0., align="LEFT_RIGHT")


def _check_dtype(x, op, summary, named=True):
    if not (x.dtype.is_floating and x.dtype.name in ("float32", "float64") or x.dtype.is_complex):
        raise attr_not_allowed(op, "T", kernel_dtype_name(x.dtype), _TYPES, summary, named)


@defined("linalg.tridiagonal_matmul", primitive=_matmul_prim)
def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product of a tridiagonal matrix (given by its diagonals) and `rhs` [..., M, N]."""
    if diagonals_format == "compact":
        d = tensor(diagonals)
        superdiag, maindiag, subdiag = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    elif diagonals_format == "sequence":
        superdiag, maindiag, subdiag = (tensor(t) for t in diagonals)
    elif diagonals_format == "matrix":
        d = tensor(diagonals)
        m1, m2 = d.shape[-1], d.shape[-2]
        if m1 and m2 and m1 != m2:
            raise ValueError(f"Expected last two dimensions of diagonals to be same, got {m1} and {m2}")
        diags = _matrix_diagonals(d)
        superdiag, maindiag, subdiag = diags[..., 0, :], diags[..., 1, :], diags[..., 2, :]
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    rhs = tensor(rhs, maindiag.dtype) if not hasattr(rhs, "dtype") else tensor(rhs)
    _check_dtype(maindiag, "TridiagonalMatMul", _MATMUL_SUMMARY)
    return _matmul_prim(superdiag, maindiag, subdiag, rhs)


@defined("linalg.tridiagonal_solve", primitive=_solve_prim)
def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True, perturb_singular=False):
    """Solves `A x = rhs` for a tridiagonal `A` given by its diagonals."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("partial_pivoting must be True if perturb_singular is.")
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (tuple, list)) or len(diagonals) != 3:
            raise ValueError("Expected diagonals to be a sequence of length 3.")
        superdiag, maindiag, subdiag = (tensor(t) for t in diagonals)
        if (not subdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1])
                or not superdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1])):
            raise ValueError("Tensors representing the three diagonals must have the same shape,"
                             f"except for the last dimension, got {subdiag.shape}, {maindiag.shape}, "
                             f"{superdiag.shape}")
        m = maindiag.shape[-1]

        def pad(t, what, padding):
            n = t.shape[-1]
            if not n or n == m:
                return t
            if n == m - 1:
                return pad_op(t, [[0, 0]] * (t.shape.rank - 1) + [padding])
            raise ValueError(f"Expected {what} to be have length {m} or {m - 1}, got {n}.")

        subdiag = pad(subdiag, "subdiagonal", [1, 0])
        superdiag = pad(superdiag, "superdiagonal", [0, 1])
        diagonals = stack((superdiag, maindiag, subdiag), axis=-2)
    elif diagonals_format == "matrix":
        d = tensor(diagonals)
        m1, m2 = d.shape[-1], d.shape[-2]
        if m1 and m2 and m1 != m2:
            raise ValueError(f"Expected last two dimensions of diagonals to be same, got {m1} and {m2}")
        diagonals = _matrix_diagonals(d)
    elif diagonals_format != "compact":
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    return _solve_compact(tensor(diagonals), rhs, transpose_rhs, conjugate_rhs)


def _solve_compact(diagonals, rhs, transpose_rhs, conjugate_rhs):
    named = named_by(rhs)
    rhs = tensor(rhs, diagonals.dtype) if not hasattr(rhs, "dtype") else tensor(rhs)
    dr, rr = diagonals.shape.rank, rhs.shape.rank
    if dr < 2:
        raise ValueError(f"Expected diagonals to have rank at least 2, got {dr}")
    if rr != dr and rr != dr - 1:
        raise ValueError(f"Expected the rank of rhs to be {dr - 1} or {dr}, got {rr}")
    if not diagonals.shape[:-2].is_compatible_with(rhs.shape[:dr - 2]):
        raise ValueError(f"Batch shapes {diagonals.shape[:-2]} and {rhs.shape[:dr - 2]} are incompatible")
    if diagonals.shape[-2] and diagonals.shape[-2] != 3:
        raise ValueError(f"Expected 3 diagonals got {diagonals.shape[-2]}")

    def check_sides(r):
        if diagonals.shape[-1] and r.shape[-2] and diagonals.shape[-1] != r.shape[-2]:
            raise ValueError("Expected number of left-hand sided and right-hand sides to be equal, "
                             f"got {diagonals.shape[-1]} and {r.shape[-2]}")

    if rr == dr - 1:
        if conjugate_rhs:
            rhs = conj(rhs)
        rhs = expand_dims(rhs, -1)
        check_sides(rhs)
        return squeeze(_solve_op(diagonals, rhs, named), -1)
    if transpose_rhs:
        rhs = matrix_transpose(rhs, conjugate=conjugate_rhs)
    elif conjugate_rhs:
        rhs = conj(rhs)
    check_sides(rhs)
    return _solve_op(diagonals, rhs, named)


def _solve_op(diagonals, rhs, named):
    _check_dtype(diagonals, "TridiagonalSolve", _SOLVE_SUMMARY, named)
    if rhs.dtype != diagonals.dtype:
        raise dtype_mismatch("TridiagonalSolve", 1, diagonals.dtype, rhs.dtype)
    return _solve_prim(diagonals, rhs)
