"""Activations and losses (`tf.nn`)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape.api.exports import export
from jaxtape.framework import dtypes
from jaxtape.ops.inputs import op_error, tensor
from jaxtape.ops.math_ops import unary
from jaxtape.tape.primitive import primitive

relu = unary(jax.nn.relu, "Relu", "nn.relu")
softplus = unary(jax.nn.softplus, "Softplus", "nn.softplus", "math.softplus")
elu = unary(jax.nn.elu, "Elu", "nn.elu")


@primitive(name="Softmax")
def _softmax(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


@primitive(name="LogSoftmax")
def _log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


@export("nn.softmax", "math.softmax")
def softmax(logits, axis=None, name=None):
    x = tensor(logits)
    return _softmax(x, axis=-1 if axis is None else int(axis))


@export("nn.log_softmax", "math.log_softmax")
def log_softmax(logits, axis=None, name=None):
    x = tensor(logits)
    return _log_softmax(x, axis=-1 if axis is None else int(axis))


@primitive(name="SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(labels, logits):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), axis=-1)[..., 0]


@export("nn.sparse_softmax_cross_entropy_with_logits")
def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Cross-entropy of integer class labels; no gradient flows to the labels."""
    labels, logits = tensor(labels), tensor(logits)
    if labels.dtype not in (dtypes.int32, dtypes.int64):
        raise ValueError(f"labels must be int32 or int64, got {labels.dtype.name}")
    if labels._value.shape != logits._value.shape[:-1]:
        raise ValueError(
            f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            f"labels.shape={labels.shape} of rank {labels.ndim} and logits.shape={logits.shape} "
            f"of rank {logits.ndim}" if labels.ndim != logits.ndim - 1 else
            f"`labels.shape` must equal `logits.shape` except for the last dimension. "
            f"Received: labels.shape={labels.shape} and logits.shape={logits.shape}")
    n = logits._value.shape[-1]
    traced = isinstance(labels._value, jax.core.Tracer)  # inside tf.function: no values to check
    values = None if traced else labels.numpy()
    if not traced and values.size and (values.min() < 0 or values.max() >= n):
        bad = int(values[(values < 0) | (values >= n)].reshape(-1)[0])
        raise op_error(f"Received a label value of {bad} which is outside the valid range of "
                       f"[0, {n}).  Label values: {' '.join(str(v) for v in values.reshape(-1))}",
                       "SparseSoftmaxCrossEntropyWithLogits")
    return _sparse_xent(labels, logits)


@primitive(name="SoftmaxCrossEntropyWithLogits")
def _xent(labels, logits, *, axis):
    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=axis), axis=axis)


@export("nn.softmax_cross_entropy_with_logits")
def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Cross-entropy of a label distribution; gradients flow to both inputs."""
    from jaxtape.ops.inputs import binary
    labels, logits = binary(labels, logits, "SoftmaxCrossEntropyWithLogits")
    return _xent(labels, logits, axis=int(axis))


