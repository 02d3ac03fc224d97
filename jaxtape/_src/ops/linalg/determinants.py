"""Determinants (`tf.linalg.det`, `tf.linalg.slogdet`, `tf.linalg.logdet`)."""
from __future__ import annotations

import collections

import jax.numpy as jnp

from jaxtape._src.ops.linalg.decompositions import tf_cholesky
from jaxtape._src.ops.linalg.matrices import as_matrix, nan_gradient_unless_finite
from jaxtape._src.ops.math.tf_gradients import TFGradPrimitive
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive

LogMatrixDeterminant = collections.namedtuple("LogMatrixDeterminant", ("sign", "log_abs_determinant"))

_det = Primitive(jnp.linalg.det, "MatrixDeterminant")


@defined("linalg.det")
def det(input, name=None):  # noqa: A002
    return _det(as_matrix(input, "MatrixDeterminant"))


@primitive(name="LogMatrixDeterminant", multiple_results=True)
def _slogdet(x):
    sign, logabs = jnp.linalg.slogdet(x)
    return sign.astype(x.dtype), logabs.astype(jnp.real(x).dtype)


@defined("linalg.slogdet")
def slogdet(input, name=None):  # noqa: A002
    return LogMatrixDeterminant(*_slogdet(as_matrix(input, "LogMatrixDeterminant")))


def _logdet_of(cholesky):
    # TF: twice the log of the Cholesky factor's diagonal (a Hermitian PD input).
    def logdet(x):
        chol = cholesky(nan_gradient_unless_finite(x))
        return 2.0 * jnp.sum(jnp.log(jnp.real(jnp.diagonal(chol, axis1=-2, axis2=-1))), axis=-1)
    return logdet


# Reverse mode through TF's CholeskyGrad (decompositions.tf_cholesky).
_logdet = TFGradPrimitive(_logdet_of(jnp.linalg.cholesky), _logdet_of(tf_cholesky), "Logdet")


@defined("linalg.logdet", primitive=_logdet)
def logdet(matrix, name=None):
    return _logdet(as_matrix(matrix, "Cholesky"))
