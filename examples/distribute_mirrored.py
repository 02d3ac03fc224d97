"""Data-parallel training with tf.distribute.MirroredStrategy (custom loop + fit).

Adapted from TensorFlow's "Custom training with tf.distribute.Strategy"
tutorial: one CPU is split into 4 logical devices, a small regression model is
built in the strategy's scope, and each global batch is split across the
replicas; the last batch of each epoch (10 of 58 rows) does not divide by
them and splits 3, 3, 3, 1. The train step runs per replica with
`strategy.run`, eagerly and inside `tf.function`; gradients are summed
across replicas by `apply_gradients`, losses by `strategy.reduce`. Set REPLICAS to run on
another number of devices (the numbers stay the same) and DIGITS for more
decimals.
"""
import os

import numpy as np
import tensorflow as tf

REPLICAS = int(os.environ.get("REPLICAS", "4"))
DIGITS = int(os.environ.get("DIGITS", "4"))
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(REPLICAS)])

strategy = tf.distribute.MirroredStrategy()
print("replicas in sync:", strategy.num_replicas_in_sync)

GLOBAL_BATCH = 16
rng = np.random.default_rng(0)
features = rng.normal(size=(58, 5)).astype("float32")
targets = (features @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(58, 1))).astype("float32")
kernel0 = (0.3 * rng.normal(size=(5, 8))).astype("float32")
kernel1 = (0.3 * rng.normal(size=(8, 1))).astype("float32")

dataset = tf.data.Dataset.from_tensor_slices((features, targets)).batch(GLOBAL_BATCH)
dist_dataset = strategy.experimental_distribute_dataset(dataset)


def make_model():
    return tf.keras.Sequential([
        tf.keras.Input((5,)),
        tf.keras.layers.Dense(8, activation="tanh",
                              kernel_initializer=tf.keras.initializers.Constant(kernel0)),
        tf.keras.layers.Dense(1, kernel_initializer=tf.keras.initializers.Constant(kernel1)),
    ])


with strategy.scope():
    model = make_model()
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)
    # Updated by hand in replica context: every replica applies the same summed gradient.
    scale = tf.Variable(1.0, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


def train_step(inputs):
    x, y = inputs
    with tf.GradientTape() as tape:
        prediction = model(x, training=True) * scale
        per_example_loss = tf.reduce_sum(tf.square(prediction - y), axis=1)
        loss = tf.nn.compute_average_loss(per_example_loss, global_batch_size=GLOBAL_BATCH)
    grads, scale_grad = tape.gradient(loss, [model.trainable_variables, scale])
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    replica = tf.distribute.get_replica_context()
    scale.assign_sub(0.05 * replica.all_reduce(tf.distribute.ReduceOp.SUM, scale_grad))
    return loss


def distributed_step(inputs):
    per_replica_losses = strategy.run(train_step, args=(inputs,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses, axis=None)


compiled_step = tf.function(distributed_step)


def show(value):
    return np.array2string(np.asarray(value), precision=DIGITS, floatmode="fixed",
                           suppress_small=True)


for epoch, step in enumerate([distributed_step, compiled_step, compiled_step]):
    losses = [step(batch) for batch in dist_dataset]
    print(f"epoch {epoch} ({'tf.function' if step is compiled_step else 'eager'}) losses:",
          show(losses))

print("scale:", show(scale.numpy()))
print("scale is a", type(scale).__name__, "with", len(scale.values), "components on",
      sorted({v.device.split("/")[-1] for v in scale.values}))
print("output kernel:", show(model.layers[1].kernel.numpy().ravel()))
print("optimizer iterations:", int(optimizer.iterations.numpy()))

# What each replica sees, and the cross-replica reductions.
first = next(iter(dist_dataset))
rows = strategy.run(lambda inputs: tf.shape(inputs[0])[0], args=(first,))
print("rows per replica:", [int(r) for r in strategy.experimental_local_results(rows)])
ids = strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
print("replica ids summed:", int(strategy.reduce("SUM", ids, axis=None)))
print("gathered targets match:",
      bool(np.allclose(strategy.gather(first[1], axis=0).numpy(), targets[:GLOBAL_BATCH])))
