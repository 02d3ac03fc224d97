"""`tf.linalg.eig` and `tf.linalg.eigvals` (also `tf.eig`, `tf.eigvals`): the
eigen-decomposition of general square matrices, complex64 for float32 and
complex64 inputs, complex128 for float64 and complex128.

JAX's `eig` runs on CPU only (LAPACK geev): on another backend these ops
raise saying so. Eigenvalues come in LAPACK's order and each eigenvector has
unit norm with its largest component real, where TF (Eigen's solver) may
order and rotate them otherwise: compare eigenvalues as sets and
eigenvectors through `A v = e v`. The eigenvalues' gradient is JAX's (equal
to TF's EigGrad for eigenvalues); a gradient through the eigenvectors is not
implemented and raises.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import named_by, op_error
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _values(a, *, out):
    return jnp.linalg.eigvals(a).astype(out)


@jax.custom_vjp
def _vectors_core(a):
    return jnp.linalg.eig(a)[1]


def _no_vector_gradient(res, ct):
    raise NotImplementedError("jaxtape does not implement the gradient of tf.linalg.eig's "
                              "eigenvectors (JAX's eig differentiates only its eigenvalues)")


_vectors_core.defvjp(lambda a: (_vectors_core(a), None), _no_vector_gradient)


def _vectors(a, *, out):
    return _vectors_core(a).astype(out)


_values_prim = Primitive(_values, "Eig")
_vectors_prim = Primitive(_vectors, "EigVectors")


def _input(tensor_in, op="Eig"):
    named = named_by(tensor_in)
    a = tensor(tensor_in)
    if a.dtype in (dtypes.float32, dtypes.complex64):
        out = jnp.complex64
    elif a.dtype in (dtypes.float64, dtypes.complex128):
        out = jnp.complex128
    else:  # TF's wrapper leaves its output dtype unset, then reads it
        raise UnboundLocalError("cannot access local variable 'out_dtype' where it is not "
                                "associated with a value")
    if a.ndim < 2:
        raise op_error(f"Input tensor 0 must have rank >= 2, got {a.ndim}", op, named)
    if a.shape[-1] != a.shape[-2]:
        raise op_error("Input matrix must be square.", op, named)
    if jax.default_backend() != "cpu":
        raise NotImplementedError(f"tf.linalg.eig runs on CPU only in jaxtape: JAX's eig has no "
                                  f"{jax.default_backend()} implementation (LAPACK geev on the host)")
    return a, out


@defined("linalg.eig", "eig", primitive=_values_prim)
def eig(tensor, name=None):  # noqa: F811 - TF's argument name
    """(eigenvalues [..., N], eigenvectors [..., N, N] as columns) of square matrices."""
    a, out = _input(tensor)
    return _values_prim(a, out=out), _vectors_prim(a, out=out)


@defined("linalg.eigvals", "eigvals", primitive=_values_prim)
def eigvals(tensor, name=None):  # noqa: F811 - TF's argument name
    """The eigenvalues [..., N] of square matrices."""
    a, out = _input(tensor)
    return _values_prim(a, out=out)
