"""`tf.distribute.ReduceOp`: how values from the replicas combine."""
from __future__ import annotations

import enum

from jaxtape._src.framework.exports import export


@export("distribute.ReduceOp")
class ReduceOp(enum.Enum):
    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        name = getattr(aggregation, "name", str(aggregation))
        if name in ("SUM", "MEAN"):
            return ReduceOp[name]
        raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation} to"
                         f"`tf.distribute.ReduceOp` type")


def as_reduce_op(op) -> ReduceOp:
    """TF accepts the enum or its name ("SUM", "MEAN")."""
    if isinstance(op, ReduceOp):
        return op
    if isinstance(op, str) and op.upper() in ("SUM", "MEAN"):
        return ReduceOp[op.upper()]
    raise ValueError(f"Invalid reduce_op value: {op!r}")


def update_reduce_op(var):
    """How the replicas' updates of `var` in replica context combine (its
    `aggregation`, a `tf.VariableAggregation` or Keras's string): the SUM or
    MEAN of their changes, or None (the first replica's value is kept)."""
    aggregation = getattr(var, "aggregation", None)
    name = getattr(aggregation, "name", None) or str(aggregation).upper()
    return ReduceOp[name] if name in ("SUM", "MEAN") else None
