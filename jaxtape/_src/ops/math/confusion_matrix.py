"""`tf.math.confusion_matrix`: counts of (label, prediction) pairs."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.debugging import assert_less, assert_non_negative
from jaxtape._src.ops.support.args import host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _confusion(labels, predictions, weights, *, num_classes, dtype):
    add = jnp.ones(labels.shape, dtype) if weights is None else weights.astype(dtype)
    return jnp.zeros((num_classes, num_classes), dtype).at[labels, predictions].add(add)


_confusion_prim = Primitive(_confusion, "ConfusionMatrix", differentiable=False)


@defined("math.confusion_matrix", primitive=_confusion_prim)
def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32,
                     name=None):
    """Counts (or summed `weights`) of each (label, prediction) pair; rows are labels."""
    labels = tensor(np.asarray(tensor(labels)._value).astype(np.int64))
    predictions = tensor(np.asarray(tensor(predictions)._value).astype(np.int64))
    if labels._value.shape != predictions._value.shape:
        raise op_error(f"Shapes of all inputs must match: values[0].shape = {dims(labels._value.shape)}"
                       f" != values[1].shape = {dims(predictions._value.shape)}", "Pack")
    lab, pred = np.asarray(labels._value), np.asarray(predictions._value)
    # TF's own asserts, so the messages carry their data dumps.
    assert_non_negative(labels, message="`labels` contains negative values")
    assert_non_negative(predictions, message="`predictions` contains negative values")
    if num_classes is None:
        num_classes = int(max(lab.max(initial=-1), pred.max(initial=-1))) + 1
    else:
        num_classes = host_int(num_classes)
        bound = tensor(np.int64(num_classes))
        assert_less(labels, bound, message="`labels` out of bound")
        assert_less(predictions, bound, message="`predictions` out of bound")
    w = None if weights is None else tensor(weights)
    return _confusion_prim(labels, predictions, w, num_classes=num_classes,
                           dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
