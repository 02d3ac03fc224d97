"""The error for Python control flow on a traced tensor."""
from __future__ import annotations

from jaxtape._src.framework.exports import export


@export("errors.OperatorNotAllowedInGraphError")
class OperatorNotAllowedInGraphError(TypeError):
    """A traced tensor was used where Python needs a concrete value (`if t:`)."""


BOOL_MESSAGE = (
    "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed. jaxtape's tf.function "
    "does not convert Python control flow (no AutoGraph): an `if`/`while` on a tensor "
    "inside tf.function must be written with tf.cond / tf.while_loop (or tf.switch_case), "
    "or the value passed as a Python value, which retraces per value.")
