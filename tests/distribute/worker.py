"""One MultiWorkerMirroredStrategy worker (jaxtape): trains a linear model on
the replicas of every process in TF_CONFIG and prints its final weights.
`train` is also program.py's single-process reference (on TF and jaxtape).
The second worker reads its cluster from a SimpleClusterResolver, not TF_CONFIG.
`die` as argument: after training, the second worker exits abruptly and the
first keeps stepping, which must fail within a bounded time (the fault test)."""
import json
import os
import sys
import time

import numpy as np


def train(tf, strategy, epochs=3):
    """29 rows in batches of 8: the last batch of 5 splits 3, 2 on two replicas
    (one per worker) and 2, 2, 1, 0 on four, as TF splits it."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(29, 3)).astype("float32")
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
        ctx = tf.distribute.get_replica_context()
        grad = ctx.all_reduce("SUM", tape.gradient(loss, w))
        w.assign_sub(0.1 * grad)
        return loss, ctx.all_gather(tf.shape(xb)[:1], axis=0)

    @tf.function
    def train_step(batch):
        loss, sizes = strategy.run(step, args=(batch,))
        return strategy.reduce("SUM", loss, axis=None), strategy.experimental_local_results(sizes)[0]

    steps = [train_step(batch) for _ in range(epochs) for batch in dataset]
    result = {"replicas": strategy.num_replicas_in_sync, "losses": [float(loss) for loss, _ in steps],
              "sizes": [np.asarray(sizes).tolist() for _, sizes in steps[:4]],
              "w": np.asarray(w.numpy()).ravel().tolist()}
    return result, lambda: train_step(next(iter(dataset)))[0]


if __name__ == "__main__":
    import jaxtape as tf

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=10)
    config = json.loads(os.environ["TF_CONFIG"])
    resolver = None
    if config["task"]["index"] == 1:  # the cluster from arguments instead of TF_CONFIG
        del os.environ["TF_CONFIG"]
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(config["cluster"]), task_type="worker", task_id=1)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver,
                                                         communication_options=options)
    result, one_more_step = train(tf, strategy)
    # A batch of 5 on 2 processes, eagerly: 3 rows here, 2 there; gathered and reduced whole.
    rows = np.arange(15.0, dtype="float32").reshape(5, 3)
    batch = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(rows).batch(5))))
    result["uneven_eager"] = {
        "local_rows": [int(t.shape[0]) for t in strategy.experimental_local_results(batch)],
        "gather": np.asarray(strategy.gather(batch, axis=0)).tolist(),
        "sum": float(strategy.reduce("SUM", strategy.run(tf.reduce_sum, args=(batch,)), axis=None))}
    print(json.dumps(result), flush=True)
    if sys.argv[1:] == ["die"]:
        if strategy.cluster_resolver.task_id == 1:
            os._exit(3)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each step needs the dead worker
            float(one_more_step())
        print("still running after the other worker died", flush=True)
