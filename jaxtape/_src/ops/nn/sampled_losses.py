"""`tf.nn.nce_loss` and `tf.nn.sampled_softmax_loss` (and their
`compat.v1.nn` forms with `partition_strategy`).

Both are TF's composition of ordinary ops, kept op for op so that for the
same `sampled_values` the values and gradients are TF's: the true and sampled
classes' rows of `weights` and `biases` are looked up together, the true
logits are row-wise dot products (summed with a matmul against ones, as TF's
`_sum_rows`), accidental hits get -FLT_MAX added, `log Q` is subtracted, and
the logits go through sigmoid (NCE) or softmax cross-entropy. The sampled
values never carry a gradient (TF stops it). Without `sampled_values` the
candidates come from `log_uniform_candidate_sampler(unique=True)`, drawn by
JAX's generator.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.array.creation import ones, ones_like, zeros_like
from jaxtape._src.ops.array.identity import stop_gradient
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.shape import expand_dims, reshape
from jaxtape._src.ops.array.slicing import slice as _slice
from jaxtape._src.ops.linalg.matmul import matmul
from jaxtape._src.ops.math.cast import cast
from jaxtape._src.ops.math.unary import log
from jaxtape._src.ops.nn.candidate_sampling import compute_accidental_hits, log_uniform_candidate_sampler
from jaxtape._src.ops.nn.embedding import embedding_lookup
from jaxtape._src.ops.nn.losses import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined


def _sum_rows(x):
    """TF's `_sum_rows`: each row's sum, as a matmul with a column of ones."""
    return reshape(matmul(x, ones([int(x.shape[1]), 1], x.dtype)), [-1])


def _shards(params):
    if hasattr(params, "_variable_list"):  # a PartitionedVariable
        return list(params._variable_list)
    return list(params) if isinstance(params, (list, tuple)) else [params]


def _lookup(params, ids, strategy):
    """TF's embedding_lookup with `partition_strategy` over a list of shards."""
    shards = _shards(params)
    if len(shards) == 1:
        return embedding_lookup(shards[0], ids)
    if strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {strategy}."
                         "Must be one of either `mod` or `div`.")
    n = len(shards)
    flat = np.asarray(tensor(ids)._value, np.int64)
    sizes = [int(s.shape[0]) for s in shards]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    if strategy == "mod":
        part, new = flat % n, flat // n
    else:
        total = sum(sizes)
        per, extras = total // n, total % n
        part = np.maximum(flat // (per + 1), (flat - extras) // per if per else 0)
        new = np.where(part < extras, flat % (per + 1), (flat - extras) % per if per else 0)
    positions = offsets[part] + new
    return embedding_lookup(shards, Tensor(positions))


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                            sampled_values, subtract_log_q, remove_accidental_hits, partition_strategy,
                            seed=None):
    inputs = inputs if isinstance(inputs, (Tensor, Variable)) or is_tensor(inputs) else tensor(inputs)
    labels = tensor(labels)
    if labels.dtype != dtypes.int64:
        labels = cast(labels, dtypes.int64)
    labels_flat = reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(true_classes=labels, num_true=num_true,
                                                       num_sampled=num_sampled, unique=True,
                                                       range_max=num_classes, seed=seed)
    sampled, true_expected_count, sampled_expected_count = (stop_gradient(s) for s in sampled_values)
    sampled = cast(sampled, dtypes.int64)
    all_ids = concat([labels_flat, sampled], 0)
    n_true = int(labels_flat.shape[0])

    all_w = _lookup(weights, all_ids, partition_strategy)
    if all_w.dtype != inputs.dtype:
        all_w = cast(all_w, inputs.dtype)
    true_w = _slice(all_w, [0, 0], [n_true, -1])
    sampled_w = _slice(all_w, [n_true, 0], [-1, -1])
    sampled_logits = matmul(inputs, sampled_w, transpose_b=True)

    all_b = _lookup(biases, all_ids, partition_strategy)
    if all_b.dtype != inputs.dtype:
        all_b = cast(all_b, inputs.dtype)
    true_b = _slice(all_b, [0], [n_true])
    sampled_b = _slice(all_b, [n_true], [-1])

    dim = int(true_w.shape[1])
    row_wise_dots = expand_dims(inputs, 1) * reshape(true_w, [-1, num_true, dim])
    dots_as_matrix = reshape(row_wise_dots, [-1, dim])
    true_logits = reshape(_sum_rows(dots_as_matrix), [-1, num_true])
    true_b = reshape(true_b, [-1, num_true])
    true_logits = true_logits + true_b
    sampled_logits = sampled_logits + sampled_b

    if remove_accidental_hits:
        indices, ids, acc_weights = compute_accidental_hits(labels, sampled, num_true=num_true)
        batch = int(labels.shape[0])
        dense = np.zeros((batch, int(num_sampled)), sampled_logits.dtype.as_numpy_dtype)
        # SparseToDense without validation: a repeated index keeps its (equal) value.
        dense[np.asarray(indices._value), np.asarray(ids._value)] = \
            np.asarray(acc_weights._value).astype(dense.dtype)
        sampled_logits = sampled_logits + Tensor(dense)

    if subtract_log_q:
        true_logits = true_logits - log(true_expected_count)
        sampled_logits = sampled_logits - log(sampled_expected_count)

    out_logits = concat([true_logits, sampled_logits], 1)
    out_labels = concat([ones_like(true_logits) / num_true, zeros_like(sampled_logits)], 1)
    return out_logits, out_labels


def _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
         remove_accidental_hits, partition_strategy):
    logits, labels = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, int(num_true), sampled_values,
        subtract_log_q=True, remove_accidental_hits=remove_accidental_hits,
        partition_strategy=partition_strategy)
    sampled_losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return _sum_rows(sampled_losses)


@defined("nn.nce_loss")
def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
             remove_accidental_hits=False, name="nce_loss"):
    """Per-example noise-contrastive estimation loss, `[batch_size]`."""
    return _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
                remove_accidental_hits, "div")


@defined("compat.v1.nn.nce_loss")
def nce_loss_v1(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
                remove_accidental_hits=False, partition_strategy="mod", name="nce_loss"):
    """`nce_loss` with a choice of how sharded `weights` split the classes."""
    return _nce(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
                remove_accidental_hits, partition_strategy)


def _sampled_softmax(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
                     remove_accidental_hits, partition_strategy, seed):
    logits, labels = _compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, int(num_true), sampled_values,
        subtract_log_q=True, remove_accidental_hits=remove_accidental_hits,
        partition_strategy=partition_strategy, seed=seed)
    labels = stop_gradient(labels)
    return softmax_cross_entropy_with_logits(labels=labels, logits=logits)


@defined("nn.sampled_softmax_loss")
def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None,
                         name="sampled_softmax_loss"):
    """Per-example sampled softmax loss, `[batch_size]` (an underestimate of the full softmax loss)."""
    return _sampled_softmax(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                            sampled_values, remove_accidental_hits, "div", seed)


@defined("compat.v1.nn.sampled_softmax_loss")
def sampled_softmax_loss_v1(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                            sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
                            name="sampled_softmax_loss", seed=None):
    """`sampled_softmax_loss` with a choice of how sharded `weights` split the classes."""
    return _sampled_softmax(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                            sampled_values, remove_accidental_hits, partition_strategy, seed)
