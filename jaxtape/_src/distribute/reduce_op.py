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
