"""One MultiWorkerMirroredStrategy worker (jaxtape): trains a linear model on
the replicas of every process in TF_CONFIG and prints its final weights.
`die` as argument: exit abruptly after the first step (the fault test)."""
import json
import os
import sys

import numpy as np

import jaxtape as tf

options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=10)
strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
rng = np.random.default_rng(1)
x = rng.normal(size=(32, 3)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
dataset = strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices((x, y)).batch(8))
with strategy.scope():
    w = tf.Variable(np.zeros((3, 1), "float32"), aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


def step(inputs):
    xb, yb = inputs
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(tf.reduce_sum((xb @ w - yb) ** 2, axis=1),
                                          global_batch_size=8)
    grad = tf.distribute.get_replica_context().all_reduce("SUM", tape.gradient(loss, w))
    w.assign_sub(0.1 * grad)
    return loss


train = tf.function(lambda b: strategy.reduce("SUM", strategy.run(step, args=(b,)), axis=None))
losses = []
for epoch in range(3):
    for batch in dataset:
        losses.append(float(train(batch)))
        if sys.argv[1:] == ["die"] and os.environ.get("TF_CONFIG", "").endswith('"index": 1}}'):
            os._exit(3)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "losses": losses,
                  "w": np.asarray(w.numpy()).ravel().tolist()}), flush=True)
