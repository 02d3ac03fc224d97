"""`tf.nn.embedding_lookup`: rows of a (possibly sharded) table, optionally norm-clipped."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="ClipRows")
def _clip_rows(rows, *, max_norm, rank):
    axes = tuple(range(rows.ndim - rank, rows.ndim))
    l2sum = jnp.sum(rows * rows, axis=axes, keepdims=True)
    positive = l2sum > 0
    norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, 1)), l2sum)
    clip = jnp.asarray(max_norm, rows.dtype)
    return rows * clip / jnp.maximum(norm, clip)


@defined("nn.embedding_lookup")
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` (or of its shards, concatenated) at `ids`."""
    if isinstance(params, (list, tuple)):
        params = params[0] if len(params) == 1 else concat(list(params), 0)
    # A variable stays a variable, so the gather reads it (and a tape sees the read).
    params = params if is_tensor(params) else tensor(params)
    rows = gather(params, tensor(ids))  # TF converts the ids first (its error ends in `name: `)
    if max_norm is not None:
        rows = _clip_rows(rows, max_norm=float(max_norm), rank=tensor(params).ndim - 1)
    return rows
