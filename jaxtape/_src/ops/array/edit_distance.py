"""`tf.edit_distance`: Levenshtein distances between the sequences of two
SparseTensors, grouped by all but the last index (TF's EditDistance kernel).

Computed on the host from the SparseTensors' values (inside `tf.function`
they must be constants). The output is float32, shaped by the larger of the
two dense shapes in each leading dimension; with `normalize` a distance is
divided by the truth's length (a hypothesis against an empty truth is inf).
TF registers no gradient.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dims, kernel_dtype_name
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined


def _levenshtein(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def _groups(indices, values):
    """Per leading index (a tuple), the values in the order of their last index."""
    out = {}
    order = np.lexsort(indices.T[::-1]) if indices.size else np.zeros(0, int)
    for k in order:
        out.setdefault(tuple(indices[k, :-1].tolist()), []).append(values[k])
    return out


def _host_values(t):
    return t._value.reshape(-1).tolist() if isinstance(t, StringTensor) else \
        host_array(t, "tf.edit_distance", "a SparseTensor's values").reshape(-1).tolist()


@defined("edit_distance")
def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Edit distances between `hypothesis` and `truth` (SparseTensors)."""
    if not isinstance(hypothesis, SparseTensor):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, SparseTensor):
        raise TypeError("Truth must be a SparseTensor.")

    def error(message):
        return InvalidArgumentError(None, None, f"{message} [Op:EditDistance] name: {name}")

    h_shape = host_array(hypothesis.dense_shape, "tf.edit_distance", "dense_shape").tolist()
    t_shape = host_array(truth.dense_shape, "tf.edit_distance", "dense_shape").tolist()
    hv, tv = tensor(hypothesis.values), tensor(truth.values)
    if hv.dtype != tv.dtype:
        raise error(f"cannot compute EditDistance as input #4(zero-based) was expected to be a "
                    f"{kernel_dtype_name(hv.dtype)} tensor but is a {kernel_dtype_name(tv.dtype)} tensor")
    if len(h_shape) != len(t_shape):
        raise error(f"Expected truth and hypothesis to have matching ranks, but their shapes are: "
                    f"{dims([len(t_shape)])} and {dims([len(h_shape)])}")
    if len(t_shape) < 2:
        raise error(f"Input SparseTensors must have rank at least 2, but truth_shape rank is: "
                    f"{len(t_shape)}")
    out_shape = [max(a, b) for a, b in zip(h_shape[:-1], t_shape[:-1])]
    hyp = _groups(host_array(hypothesis.indices, "tf.edit_distance", "indices"), _host_values(hv))
    tru = _groups(host_array(truth.indices, "tf.edit_distance", "indices"), _host_values(tv))
    out = np.zeros(out_shape, np.float32)
    for key in set(hyp) | set(tru):
        h, t = hyp.get(key, []), tru.get(key, [])
        d = float(_levenshtein(h, t))
        if normalize:
            d = d / len(t) if t else (np.inf if d else 0.0)
        out[key] = d
    return tensor(out)
