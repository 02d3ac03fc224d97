"""A tf.data input pipeline feeding a small training loop.

Builds datasets from NumPy arrays, a range and a generator; maps, filters,
batches (with and without the remainder), pads, windows, zips, caches and
prefetches; prints element specs, cardinalities and batches; then trains a
linear model on shuffled batches. Only order-independent figures of the
shuffled pipeline are printed, since shuffle draws differ between
frameworks.
"""
import numpy as np
import tensorflow as tf

x = np.arange(24, dtype=np.float32).reshape(12, 2) / 4.0
y = (x @ np.array([2.0, -1.0], np.float32) + 0.5).astype(np.float32)

ds = tf.data.Dataset.from_tensor_slices((x, y))
print(ds)
print(ds.element_spec)
print("cardinality:", ds.cardinality().numpy(), "len:", len(ds))

# batch: the static batch dimension is None unless the remainder is dropped.
print(ds.batch(5))
print(ds.batch(5, drop_remainder=True).element_spec)
for features, labels in ds.batch(5):
    print(features.shape, labels.numpy())


# map receives a tuple element as positional arguments; after batch it runs once per batch.
def scale(features, labels):
    return features * 2.0, labels


for features, labels in ds.batch(8).map(scale, num_parallel_calls=tf.data.AUTOTUNE):
    print(features[0].numpy(), labels.shape)

# dict elements, filter, take, skip, enumerate, as_numpy_iterator.
records = tf.data.Dataset.from_tensor_slices({"id": np.arange(6), "score": np.linspace(0.0, 1.0, 6)})
print(records.element_spec)
evens = records.filter(lambda r: r["id"] % 2 == 0)
print(evens.cardinality().numpy(), [r["id"] for r in evens.as_numpy_iterator()])
print(list(tf.data.Dataset.range(10).skip(3).take(4).as_numpy_iterator()))
for i, v in tf.data.Dataset.range(100, 103).enumerate():
    print(i.numpy(), v.numpy())

# repeat and cardinality.
print(tf.data.Dataset.range(3).repeat().cardinality().numpy() == tf.data.INFINITE_CARDINALITY)
print(evens.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY)
print(tf.data.Dataset.range(3).repeat(2).batch(4).cardinality())

# padded_batch of variable-length sequences.
lengths = tf.data.Dataset.range(1, 5).map(lambda n: tf.range(n))
print(lengths.element_spec)
for batch in lengths.padded_batch(2, padding_values=np.int64(-1)):
    print(batch.numpy())

# window + flat_map, zip, concatenate, interleave, unbatch.
windows = tf.data.Dataset.range(6).window(3, shift=2, drop_remainder=True)
print([w.numpy().tolist() for w in windows.flat_map(lambda w: w.batch(3))])
pairs = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)))
print(pairs, list(pairs.as_numpy_iterator()))
print(list(tf.data.Dataset.range(2).concatenate(tf.data.Dataset.range(5, 7)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(1, 4).interleave(
    lambda n: tf.data.Dataset.range(n).repeat(2), cycle_length=2, block_length=1).as_numpy_iterator()))
print(list(tf.data.Dataset.range(7).batch(3).unbatch().batch(2).as_numpy_iterator())[-1])


# A generator with an output_signature.
def squares():
    for i in range(4):
        yield i, [float(i * i)]


gen = tf.data.Dataset.from_generator(
    squares, output_signature=(tf.TensorSpec((), tf.int32), tf.TensorSpec((1,), tf.float32)))
print(gen)
print(gen.reduce(np.float32(0.0), lambda total, e: total + e[1][0]))

# Training on shuffled, cached, prefetched batches.
model_w = tf.Variable(tf.zeros([2, 1]))
model_b = tf.Variable(0.0)
optimizer_lr = 0.01
train = (tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(12, seed=1)
         .batch(4).prefetch(tf.data.AUTOTUNE))
print(train)


@tf.function
def train_step(features, labels):
    with tf.GradientTape() as tape:
        pred = tf.squeeze(features @ model_w, 1) + model_b
        loss = tf.reduce_mean(tf.square(pred - labels))
    gw, gb = tape.gradient(loss, [model_w, model_b])
    model_w.assign_sub(optimizer_lr * gw)
    model_b.assign_sub(optimizer_lr * gb)
    return loss


for epoch in range(3):
    seen, total = 0, 0.0
    for features, labels in train:
        train_step(features, labels)
        seen += int(labels.shape[0])
        total += float(tf.reduce_sum(labels))
    print("epoch", epoch, "examples", seen, "label sum", round(total, 3))
