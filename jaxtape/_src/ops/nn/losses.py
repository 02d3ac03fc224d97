"""Losses of `tf.nn`: cross-entropies, l2_loss, log_poisson_loss."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.array.shape import expand_dims, squeeze
from jaxtape._src.ops.math.arithmetic import multiply
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.nn.dtype_checks import check_dtype, float_input
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import binary, single_axis, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive


def _same_shape(labels, logits, what=("logits", "labels")):
    if labels._value.shape != logits._value.shape:
        a, b = (logits, labels) if what[0] == "logits" else (labels, logits)
        raise ValueError(f"`{what[0]}` and `{what[1]}` must have the same shape, "
                         f"received ({a.shape} vs {b.shape}).")


@primitive(name="SigmoidCrossEntropyWithLogits")
def _sigmoid_xent(labels, logits):
    # TF's stable form; at 0 its `where`s take the non-negative branch.
    nonneg = logits >= 0
    relu_logits = jnp.where(nonneg, logits, jnp.zeros_like(logits))
    neg_abs = jnp.where(nonneg, -logits, logits)
    return relu_logits - logits * labels + jnp.log1p(jnp.exp(neg_abs))


@defined("nn.sigmoid_cross_entropy_with_logits")
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    logits, labels = tensor(logits), tensor(labels)
    _same_shape(labels, logits)
    logits, labels = binary(logits, labels, "Mul")
    kernel_dtypes.check("Exp", logits)  # TF's formula fails first in its exp(-|logits|)
    return _sigmoid_xent(labels, logits)


@primitive(name="WeightedCrossEntropyWithLogits")
def _weighted_xent(labels, logits, pos_weight):
    log_weight = 1 + (pos_weight - 1) * labels
    # -|z| with TF's Abs gradient, sign(z): 0 at 0 (JAX's abs passes 1 there).
    neg_abs = -jnp.sign(jax.lax.stop_gradient(logits)) * logits
    return (1 - labels) * logits + log_weight * (
        jnp.log1p(jnp.exp(neg_abs)) + jax.nn.relu(-logits))


@defined("nn.weighted_cross_entropy_with_logits")
def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    logits, labels = tensor(logits), tensor(labels)
    _same_shape(labels, logits)
    labels, logits = binary(labels, logits, "Mul")
    return _weighted_xent(labels, logits, tensor(pos_weight, logits.dtype))


@primitive(name="L2Loss")
def _l2_loss(t):
    return jnp.sum(jnp.square(t)) / 2


@defined("nn.l2_loss")
def l2_loss(t, name=None):
    return _l2_loss(float_input(t, "L2Loss"))


@primitive(name="LogPoissonLoss")
def _log_poisson(targets, log_input, *, full):
    result = jnp.exp(log_input) - log_input * targets
    if full:
        stirling = targets * jnp.log(targets) - targets + 0.5 * jnp.log(2 * jnp.pi * targets)
        small = (targets >= 0) & (targets <= 1)
        result = result + jnp.where(small, jnp.zeros_like(targets), stirling.astype(targets.dtype))
    return result


@defined("nn.log_poisson_loss")
def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    log_input, targets = tensor(log_input), tensor(targets)
    if log_input._value.shape != targets._value.shape:
        raise ValueError("`log_input` and `targets` must have the same shape, received "
                         f"({log_input.shape} vs {targets.shape}).")
    log_input, targets = binary(log_input, targets, "Mul")
    return _log_poisson(targets, log_input, full=bool(compute_full_loss))


# -- softmax cross-entropies --------------------------------------------------------

@jax.custom_vjp
def _xent_last(labels, logits):
    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1), axis=-1)


def _xent_fwd(labels, logits):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.sum(labels * logp, axis=-1), (labels, logp)


def _xent_bwd(res, g):
    # TF's kernel gradient is softmax - labels (it assumes each label row sums
    # to one); the labels' gradient is -log_softmax.
    labels, logp = res
    g = g[..., None]
    return -logp * g, (jnp.exp(logp) - labels) * g


_xent_last.defvjp(_xent_fwd, _xent_bwd)


def _broadcastable(a, b):
    return len(a) == len(b) and all(x == y or x == 1 or y == 1 for x, y in zip(a, b))


@primitive(name="SoftmaxCrossEntropyWithLogits")
def _xent(labels, logits, *, axis):
    shape = jnp.broadcast_shapes(labels.shape, logits.shape)
    labels, logits = jnp.broadcast_to(labels, shape), jnp.broadcast_to(logits, shape)
    if logits.dtype in (jnp.float16, jnp.bfloat16):  # TF computes half precision in float32
        return _xent_last(jnp.moveaxis(labels, axis, -1).astype(jnp.float32),
                          jnp.moveaxis(logits, axis, -1).astype(jnp.float32)).astype(logits.dtype)
    return _xent_last(jnp.moveaxis(labels, axis, -1), jnp.moveaxis(logits, axis, -1))


@defined("nn.softmax_cross_entropy_with_logits")
def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Cross-entropy of a label distribution; gradients flow to both inputs."""
    logits = float_input(logits, "SoftmaxCrossEntropyWithLogits")
    labels = cast(tensor(labels), logits.dtype)
    if logits.ndim == 0:
        raise op_error("logits and labels must be at least one-dimensional: logits_size=[] "
                       f"labels_size={dims(labels._value.shape)}", "SoftmaxCrossEntropyWithLogits")
    if not _broadcastable(labels._value.shape, logits._value.shape):
        raise op_error(f"logits and labels must be broadcastable: logits_size={dims(logits._value.shape)} "
                       f"labels_size={dims(labels._value.shape)}", "SoftmaxCrossEntropyWithLogits")
    return _xent(labels, logits, axis=single_axis(axis, logits.ndim, "SoftmaxCrossEntropyWithLogits"))


@jax.custom_vjp
def _sparse_xent_last(labels, logits):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), axis=-1)[..., 0]


def _sparse_xent_fwd(labels, logits):
    return _sparse_xent_last(labels, logits), (labels, jax.nn.log_softmax(logits, axis=-1))


def _sparse_xent_bwd(res, g):
    # TF's kernel gradient g * (softmax - one_hot): finite terms times an infinite
    # upstream stay infinite (JAX's derivative of log_softmax meets inf - inf).
    labels, logp = res
    one_hot = labels[..., None] == jnp.arange(logp.shape[-1], dtype=labels.dtype)
    return None, (jnp.exp(logp) - one_hot.astype(logp.dtype)) * g[..., None]


_sparse_xent_last.defvjp(_sparse_xent_fwd, _sparse_xent_bwd)
_sparse_xent = Primitive(_sparse_xent_last, "SparseSoftmaxCrossEntropyWithLogits")


_SPARSE = "SparseSoftmaxCrossEntropyWithLogits"


@defined("nn.sparse_softmax_cross_entropy_with_logits")
def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Cross-entropy of integer class labels; no gradient flows to the labels."""
    labels, logits = tensor(labels), tensor(logits)
    if logits.ndim == 0:
        raise ValueError(f"`logits` cannot be a scalar. Received logits={logits.numpy()}`")
    if labels.ndim != logits.ndim - 1:
        raise ValueError(
            f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            f"labels.shape={labels.shape} of rank {labels.ndim} and logits.shape={logits.shape} "
            f"of rank {logits.ndim}")
    if labels._meta.shape != logits._meta.shape[:-1]:  # `_meta`: deferred logits stay pending
        raise ValueError(
            f"`labels.shape` must equal `logits.shape` except for the last dimension. "
            f"Received: labels.shape={labels.shape} and logits.shape={logits.shape}")
    check_dtype(labels, _SPARSE, ("int32", "int64"), "int32, int64", attr="Tlabels")
    check_dtype(logits, _SPARSE)
    n = logits._meta.shape[-1]
    if not isinstance(labels._value, jax.core.Tracer):  # inside tf.function: no values to check
        values = labels.numpy()
        if values.size and (values.min() < 0 or values.max() >= n):
            bad = int(values[(values < 0) | (values >= n)].reshape(-1)[0])
            raise op_error(f"Received a label value of {bad} which is outside the valid range of "
                           f"[0, {n}).  Label values: {' '.join(str(v) for v in values.reshape(-1))}",
                           _SPARSE)
    return _sparse_xent(labels, logits)


# -- averaging ----------------------------------------------------------------------

@primitive(name="AverageLoss")
def _average(losses, batch):
    total = jnp.sum(losses)
    batch = batch.astype(total.dtype)
    # div_no_nan: a zero global batch size gives 0, not nan.
    return jnp.where(batch == 0, jnp.zeros_like(total), total / jnp.where(batch == 0, 1, batch))


def _scale_by_weight(losses, weight):
    """TF's `scale_losses_by_sample_weight`: float32 product, ranks matched by one."""
    losses, weight = cast(losses, dtypes.float32), cast(weight, dtypes.float32)
    if weight.ndim == losses.ndim + 1 and weight._value.shape[-1] == 1:
        weight = squeeze(weight, [-1])
    elif weight.ndim == losses.ndim - 1:
        weight = expand_dims(weight, -1)
    return multiply(losses, weight)


# The replica count of the current replica context; tf.distribute installs its own.
replicas_in_sync = lambda: 1  # noqa: E731


@defined("nn.compute_average_loss")
def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """Sum of the per-example losses over the global batch size (by default the
    replica's batch times the replicas in sync)."""
    loss = tensor(per_example_loss)
    if loss.ndim == 0:
        raise ValueError("Invalid value passed for `per_example_loss`. Expected a tensor with at "
                         f"least rank 1. Received per_example_loss={loss} with rank 0")
    dtype = loss.dtype
    if sample_weight is not None:
        loss = cast(_scale_by_weight(loss, tensor(sample_weight)), dtype)
    batch = tensor(loss._value.shape[0] * replicas_in_sync() if global_batch_size is None
                   else global_batch_size)
    if batch.ndim != 0:
        raise ValueError("global_batch_size must be scalar..  Expected scalar shape, saw shape: "
                         f"{batch.shape}.")
    if not batch.dtype.is_integer:
        raise TypeError('global_batch_size must be an integer..  Expected "x" to be integer type.  '
                        f"Found: tensor of dtype {batch.dtype!r}")
    if int(batch.numpy()) < 0:
        raise InvalidArgumentError(
            None, None, "global_batch_size must be non-negative..  \nCondition x >= 0 did not hold "
            f"element-wise:\nx (shape=() dtype={batch.dtype.name}) = \n{int(batch.numpy())}")
    return _average(loss, batch)
