"""tf.distribute checks run under real TF and under jaxtape (4 logical CPUs each);
prints one JSON object whose values the test compares."""
import json
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
if sys.argv[1:] == ["jaxtape"]:
    import jaxtape as tf
else:
    import tensorflow as tf
import numpy as np

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 4)
strategy = tf.distribute.MirroredStrategy()
out = {"replicas": strategy.num_replicas_in_sync}


def local(value):
    return [np.asarray(v).tolist() for v in strategy.experimental_local_results(value)]


# Splitting: full batches, a batch that does not divide, partial last batches.
out["splits"] = {}
for n, b in [(16, 10), (7, 3), (13, 8), (9, 5), (11, 12)]:
    ds = tf.data.Dataset.range(n).batch(b)
    out["splits"][f"{n}/{b}"] = [local(x) for x in strategy.experimental_distribute_dataset(ds)]

# Uneven per-replica batches through strategy.run (no collective).
ds = tf.data.Dataset.from_tensor_slices(np.arange(20.0, dtype="float32").reshape(10, 2)).batch(10)
batch = next(iter(strategy.experimental_distribute_dataset(ds)))
out["uneven_run"] = local(strategy.run(lambda x: tf.reduce_sum(x, axis=1) * 2.0, args=(batch,)))

ds = tf.data.Dataset.from_tensor_slices(np.arange(24.0, dtype="float32").reshape(8, 3)).batch(8)
batch = next(iter(strategy.experimental_distribute_dataset(ds)))


def replica_fn(x):
    ctx = tf.distribute.get_replica_context()
    total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(x))
    mean = ctx.all_reduce("MEAN", tf.reduce_mean(x, axis=0))
    avg = tf.nn.compute_average_loss(tf.reduce_sum(x, axis=1))
    reg = tf.nn.scale_regularization_loss(tf.constant(8.0))
    return ctx.replica_id_in_sync_group, total, mean, avg, reg, x * 1.0


for name, run in [("eager", lambda: strategy.run(replica_fn, args=(batch,))),
                  ("function", tf.function(lambda: strategy.run(replica_fn, args=(batch,))))]:
    ids, total, mean, avg, reg, x = run()
    out[name] = {
        "ids": local(ids), "total": local(total), "mean": local(mean), "avg": local(avg),
        "reg": local(reg),
        "reduce_sum_none": np.asarray(strategy.reduce("SUM", avg, axis=None)).tolist(),
        "reduce_mean_none": np.asarray(strategy.reduce("MEAN", mean, axis=None)).tolist(),
        "reduce_sum_0": np.asarray(strategy.reduce("SUM", x, axis=0)).tolist(),
        "reduce_mean_0": np.asarray(strategy.reduce("MEAN", x, axis=0)).tolist(),
        "gather_0": np.asarray(strategy.gather(x, axis=0)).tolist(),
        "gather_1": np.asarray(strategy.gather(x, axis=1)).tolist(),
    }

# Contexts and mirrored variables.
with strategy.scope():
    v = tf.Variable([1.0, 2.0])
    out["in_scope"] = [tf.distribute.has_strategy(), tf.distribute.in_cross_replica_context(),
                       tf.distribute.get_replica_context() is None,
                       tf.distribute.get_strategy() is strategy]
out["outside"] = [tf.distribute.has_strategy(), tf.distribute.in_cross_replica_context(),
                  tf.distribute.get_replica_context() is None]
out["mirrored"] = local(strategy.run(lambda: v * 2.0))
print(json.dumps(out))
