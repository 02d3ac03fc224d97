"""`tf.math.top_k` and `tf.math.in_top_k` (also under `tf.nn`)."""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.support.args import host_int, tensor
from jaxtape._src.ops.support.define import defined, kernel_input
from jaxtape._src.tape.primitive import Primitive

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _top_k(x, *, k, index_dtype):
    # TF compares with `>`, so -0.0 and 0.0 tie (the lower index first);
    # XLA's top_k orders -0.0 below 0.0, so it ranks every zero as +0.0.
    key = jnp.where(x == 0, jnp.zeros((), x.dtype), x) if jnp.issubdtype(x.dtype, jnp.floating) else x
    _, indices = jax.lax.top_k(key, k)
    return jnp.take_along_axis(x, indices, axis=-1), indices.astype(index_dtype)


_top_k_prim = Primitive(_top_k, "TopKV2", multiple_results=True)


@defined("math.top_k", "nn.top_k", primitive=_top_k_prim)
def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002
    """The `k` largest entries of the last axis and their indices (lower index first on ties).

    `sorted=False` still returns them sorted: TF leaves that order unspecified.
    """
    x = kernel_input(input, "TopKV2")
    k = host_int(k)
    if x.ndim < 1:
        raise op_error(f"input must be >= 1-D, got shape {dims(x._value.shape)}", "TopKV2")
    if k < 0:
        raise op_error(f"Need k >= 0, got {k}", "TopKV2")
    if x._value.shape[-1] < k:
        raise op_error(f"input must have at least k columns. Had {x._value.shape[-1]}, needed {k}",
                       "TopKV2")
    values, indices = _top_k_prim(x, k=k, index_dtype=dtypes.as_dtype(index_type).as_numpy_dtype)
    return TopKV2(values, indices)


def _in_top_k(predictions, targets, *, k):
    n = predictions.shape[-1]
    valid = (targets >= 0) & (targets < n)
    safe = jnp.clip(targets, 0, max(n - 1, 0))
    target_value = jnp.take_along_axis(predictions, safe[:, None].astype(jnp.int32), axis=1)
    # A target is in the top k when fewer than k entries beat it strictly (ties count as in).
    better = jnp.sum(predictions > target_value, axis=1)
    finite = jnp.isfinite(target_value[:, 0])
    return valid & finite & (better < k)


_in_top_k_prim = Primitive(_in_top_k, "InTopKV2", differentiable=False)


@defined("math.in_top_k", "nn.in_top_k", primitive=_in_top_k_prim)
def in_top_k(targets, predictions, k, name=None):
    """Whether each row's target class is among its `k` largest predictions."""
    predictions = tensor(predictions)
    targets = tensor(targets)
    k = host_int(k)
    if predictions.ndim != 2 or predictions._value.shape[0] != targets._value.shape[0]:
        raise op_error(f"First dimension of predictions {predictions._value.shape[0]} must match "
                       f"length of targets {targets._value.shape[0]}", "InTopKV2")
    return _in_top_k_prim(predictions, targets, k=k)
