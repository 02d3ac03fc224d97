"""Loss scaling per replica: `tf.nn.scale_regularization_loss`, and the replica
count `tf.nn.compute_average_loss` (ops/nn/losses.py) divides by.

Each replica's loss is divided by the *global* batch (or, for a
regularization term, by the replica count), so summing the replicas'
gradients, as `apply_gradients` does, gives the gradient of the global mean.
"""
from __future__ import annotations

from jaxtape._src.distribute import context
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.ops.math.reduce import reduce_sum
from jaxtape._src.ops.nn import losses as nn_losses


def replicas_in_sync() -> int:
    replica = context.get_replica_context()
    return 1 if replica is None else replica.num_replicas_in_sync


nn_losses.replicas_in_sync = replicas_in_sync


@export("nn.scale_regularization_loss")
def scale_regularization_loss(regularization_loss):
    loss = reduce_sum(convert_to_tensor(regularization_loss))
    return loss / replicas_in_sync()
