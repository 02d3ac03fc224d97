"""One MultiWorkerMirroredStrategy worker (jaxtape): trains a linear model on
the replicas of every process in TF_CONFIG and prints its final weights.
`train` is also program.py's single-process reference (on TF and jaxtape).
`die` as argument: after training, the second worker exits abruptly and the
first keeps stepping, which must fail within a bounded time (the fault test)."""
import json
import os
import sys
import time

import numpy as np


def train(tf, strategy, epochs=3):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(8))
    with strategy.scope():
        w = tf.Variable(np.zeros((3, 1), "float32"),
                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def step(inputs):
        xb, yb = inputs
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(tf.reduce_sum((xb @ w - yb) ** 2, axis=1),
                                              global_batch_size=8)
        grad = tf.distribute.get_replica_context().all_reduce("SUM", tape.gradient(loss, w))
        w.assign_sub(0.1 * grad)
        return loss

    train_step = tf.function(lambda b: strategy.reduce("SUM", strategy.run(step, args=(b,)), axis=None))
    losses = [float(train_step(batch)) for _ in range(epochs) for batch in dataset]
    result = {"replicas": strategy.num_replicas_in_sync, "losses": losses,
              "w": np.asarray(w.numpy()).ravel().tolist()}
    return result, lambda: train_step(next(iter(dataset)))


if __name__ == "__main__":
    import jaxtape as tf

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=10)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    result, one_more_step = train(tf, strategy)
    print(json.dumps(result), flush=True)
    if sys.argv[1:] == ["die"]:
        if strategy.cluster_resolver.task_id == 1:
            os._exit(3)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each step needs the dead worker
            float(one_more_step())
        print("still running after the other worker died", flush=True)
