"""tf.distribute checks run under real TF and under jaxtape (4 logical CPUs each);
prints one JSON object whose values the test compares."""
import json
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
JAXTAPE = sys.argv[1:] == ["jaxtape"]
if JAXTAPE:
    import jaxtape as tf
else:
    import tensorflow as tf
import numpy as np


def eager_and_function(fn):
    """`fn` run eagerly and in tf.function: jaxtape's two paths. TF's reference is its
    tf.function for both (TF's eager MirroredStrategy gives the same numbers, slowly)."""
    function = tf.function(fn)
    return [fn if JAXTAPE else function, function]


cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 4)
strategy = tf.distribute.MirroredStrategy(cross_device_ops=tf.distribute.ReductionToOneDevice())
out = {"replicas": strategy.num_replicas_in_sync}


def local(value):
    return [np.asarray(v).tolist() for v in strategy.experimental_local_results(value)]


# Splitting: full batches, a batch that does not divide, partial last batches.
out["splits"] = {}
for n, b in [(16, 10), (7, 3), (13, 8), (9, 5), (11, 12)]:
    ds = tf.data.Dataset.range(n).batch(b)
    options = tf.distribute.InputOptions(experimental_fetch_to_device=True)
    out["splits"][f"{n}/{b}"] = [local(x) for x in strategy.experimental_distribute_dataset(ds, options)]

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


for name, run in zip(["eager", "function"],
                     eager_and_function(lambda: strategy.run(replica_fn, args=(batch,)))):
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

# MirroredVariable: a tf.Variable with one component per replica (in jaxtape,
# views of its one replicated array); a cross-replica assign updates them all.
with strategy.scope():
    mv = tf.Variable([1.0, 2.0], name="mv")
    with strategy.extended.colocate_vars_with(mv):
        co = tf.Variable(0.0)
mv.assign([5.0, 6.0])
out["mirrored_variable"] = {
    "type": [type(mv).__name__, type(co).__name__], "repr": repr(mv), "str": str(mv),
    "isinstance": [isinstance(mv, tf.Variable), isinstance(mv, tf.distribute.DistributedValues)],
    "values": [repr(c) for c in mv.values],
    "local_results": [repr(c) for c in strategy.experimental_local_results(mv)],
    "devices": [mv.device, co.device] + [c.device for c in mv.values],
    "gather": np.asarray(strategy.gather(mv, axis=0)).tolist(),
    "run": [f(strategy.run(lambda: mv * 1.0)) for f in (repr, str)],
    "add": np.asarray(mv + 1.0).tolist(),
}
if JAXTAPE:
    shards = {s.device: s.data.unsafe_buffer_pointer() for s in mv.jax().addressable_shards}
    out["views"] = [shards[c._device] == c.jax().unsafe_buffer_pointer() for c in mv.values]

# Distributed values and datasets from functions; the public classes.
contexts = []


def dataset_fn(ctx):
    contexts.append([ctx.num_input_pipelines, ctx.input_pipeline_id, ctx.num_replicas_in_sync,
                     ctx.get_per_replica_batch_size(8)])
    return tf.data.Dataset.range(16).batch(ctx.get_per_replica_batch_size(8))


out["from_function"] = [local(x) for x in strategy.distribute_datasets_from_function(dataset_fn)]
out["input_context"] = contexts
try:
    tf.distribute.InputContext(1, 0, 4).get_per_replica_batch_size(10)
except ValueError as e:
    out["per_replica_error"] = str(e)
pr = strategy.experimental_distribute_values_from_function(
    lambda ctx: tf.constant([ctx.replica_id_in_sync_group * 1.0, ctx.num_replicas_in_sync * 1.0]))
out["values_from_function"] = [local(pr), np.asarray(strategy.reduce("MEAN", pr, axis=None)).tolist(),
                               np.asarray(strategy.reduce("SUM", pr, axis=0)).tolist(),
                               np.asarray(strategy.gather(pr, axis=0)).tolist()]
ds = strategy.experimental_distribute_dataset(tf.data.Dataset.range(4).batch(4))
out["isinstance"] = [isinstance(strategy, tf.distribute.Strategy),
                     isinstance(strategy.extended, tf.distribute.StrategyExtended),
                     isinstance(ds, tf.distribute.DistributedDataset),
                     isinstance(iter(ds), tf.distribute.DistributedIterator),
                     isinstance(pr, tf.distribute.DistributedValues),
                     isinstance(tf.distribute.get_strategy(), tf.distribute.Strategy),
                     tf.distribute.get_strategy().num_replicas_in_sync]


def uneven_training(strategy):
    """14 rows in batches of 8: the second batch splits 2, 2, 2, 0 (TF's partial
    batch); eager then tf.function; collectives include a merge_call."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(14, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    ds = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, y)).batch(8))
    with strategy.scope():
        w = tf.Variable(np.full((3, 1), 0.1, "float32"),
                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def step(inputs):
        xb, yb = inputs
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(tf.reduce_sum((xb @ w - yb) ** 2, axis=1),
                                              global_batch_size=8)
        ctx = tf.distribute.get_replica_context()
        grad = ctx.all_reduce("SUM", tape.gradient(loss, w))
        w.assign_sub(0.1 * grad)
        total = ctx.merge_call(lambda s, value: s.reduce("SUM", value, axis=None), args=(loss,))
        # + 0.0: TF's run returns a value every replica shares (merge_call's) as one value
        sizes = ctx.all_gather(tf.shape(xb)[:1], axis=0)
        return total + 0.0, sizes, ctx.all_reduce("MEAN", tf.reduce_sum(xb))

    rows = []
    for run in eager_and_function(lambda b: strategy.run(step, args=(b,))):
        for b in ds:
            total, sizes, mean = run(b)
            rows.append({"loss": local(total), "sizes": local(sizes), "mean": local(mean),
                         "w": np.asarray(w.numpy()).ravel().tolist()})
    return rows


out["uneven_train_4"] = uneven_training(strategy)


def failing(x):
    """A replica that raises after a collective ends the run with its error (no hang)."""
    ctx = tf.distribute.get_replica_context()
    ctx.all_reduce("SUM", tf.reduce_sum(x))
    if int(tf.shape(x)[0]) == 0:
        raise ValueError(f"replica {int(ctx.replica_id_in_sync_group)} has no rows")
    return x


try:
    strategy.run(failing, args=(next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.range(6).batch(6)))),))
except ValueError as e:
    out["replica_error"] = str(e)

if JAXTAPE:  # the same numbers on one replica (TF's own agreement needs no test)
    out["uneven_train_1"] = uneven_training(tf.distribute.MirroredStrategy(["/cpu:0"]))

    def skipping(x):  # the replica without rows skips the collective: an error, not a hang
        if int(tf.shape(x)[0]):
            tf.distribute.get_replica_context().all_reduce("SUM", tf.reduce_sum(x))
    try:
        strategy.run(skipping, args=(next(iter(strategy.experimental_distribute_dataset(
            tf.data.Dataset.range(6).batch(6)))),))
    except RuntimeError as e:
        out["unmatched"] = str(e)

# Mirrored variables updated in replica context: SUM/MEAN aggregate the replicas'
# changes, NONE and ONLY_FIRST_REPLICA read back the first replica's value;
# the same on an even (one program) and an uneven (threads) batch.
with strategy.scope():
    agg = {a: tf.Variable(1.0, aggregation=getattr(tf.VariableAggregation, a))
           for a in ("SUM", "MEAN", "NONE", "ONLY_FIRST_REPLICA")}


def bump(x):
    for var in agg.values():
        var.assign_add(tf.reduce_sum(x) + 1.0)


out["aggregation"] = {}
for name, ds in [("even", tf.data.Dataset.range(8).batch(8)), ("uneven", tf.data.Dataset.range(6).batch(6))]:
    batch = next(iter(strategy.experimental_distribute_dataset(ds.map(lambda t: tf.cast(t, tf.float32)))))
    for run in eager_and_function(lambda b: strategy.run(bump, args=(b,))):
        run(batch)
        out["aggregation"].setdefault(name, []).append({a: float(v.numpy()) for a, v in agg.items()})

ext = strategy.extended
it = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.range(6).batch(4)))
optionals = [it.get_next_as_optional() for _ in range(3)]
out["extended"] = {
    "created_in_scope": [ext.variable_created_in_scope(v), ext.variable_created_in_scope(tf.Variable(0.0))],
    "worker_devices": list(ext.worker_devices), "between_graph": ext.experimental_between_graph,
    "optional": [bool(o.has_value()) for o in optionals],
    "optional_values": [local(o.get_value()) for o in optionals[:2]],
    "reduce_to": local(ext.reduce_to("SUM", strategy.run(lambda: tf.constant(1.0)), agg["SUM"])),
}
ext.update(agg["NONE"], lambda var, d: var.assign_add(d), args=(5.0,))
out["extended"]["update"] = float(agg["NONE"].numpy())

# worker.py's training in one process: the two-worker test's reference.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import train  # noqa: E402

out["worker_reference"] = train(tf, strategy)[0]

# Keras first touched inside the scope (the bridge loads there): fit is still data-parallel.
rng = np.random.default_rng(4)
fx = rng.normal(size=(16, 3)).astype("float32")
fy = fx @ np.array([[0.5], [1.0], [-1.0]], "float32")
with strategy.scope():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
history = model.fit(fx, fy, batch_size=8, epochs=2, shuffle=False, verbose=0)
kernel = model.layers[0].kernel
# The devices holding the kernel.
spread = len(kernel.value.sharding.device_set) if JAXTAPE else len(kernel.value.values)
out["fit"] = {"loss": history.history["loss"], "kernel": np.asarray(kernel.numpy()).ravel().tolist(),
              "kernel_devices": spread}

# A custom loop with a Keras optimizer: apply_gradients sums the replicas' gradients;
# 16 rows in batches of 6 (the last splits 1, 1, 1, 1; the others 2, 2, 2, 0).
rng = np.random.default_rng(5)
kx = rng.normal(size=(16, 3)).astype("float32")
ky = kx @ np.array([[1.0], [2.0], [-1.0]], "float32")
with strategy.scope():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1, kernel_initializer="ones")])
    optimizer = tf.keras.optimizers.SGD(0.1)
replica_calls = []


def keras_step(inputs):
    replica_calls.append(1)
    xb, yb = inputs
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(tf.reduce_sum((model(xb) - yb) ** 2, axis=1), global_batch_size=6)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


keras_train = tf.function(lambda b: strategy.reduce("SUM", strategy.run(keras_step, args=(b,)), axis=None))
kds = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((kx, ky)).batch(6))
out["keras_loop"] = {"loss": [float(keras_train(b)) for _ in range(2) for b in kds],
                     "w": [np.asarray(w.numpy()).ravel().tolist() for w in model.trainable_variables]}
if JAXTAPE:  # one SPMD program per batch shape: the even step's body traced once for 4 replicas
    even = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((kx, ky)).batch(8))))
    replica_calls.clear()
    for _ in range(3):
        keras_train(even)
    out["spmd_traces"] = len(replica_calls)
print(json.dumps(out))
