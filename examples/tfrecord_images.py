"""Images in TFRecord files, as TensorFlow's "TFRecord and tf.train.Example" and
"Load and preprocess images" tutorials build them, then a small Keras model
trained on them.

Writes PNG and JPEG images into a TFRecord file of tf.train.Example records
(bytes, int64 and float features, a variable-length one), lists the folder
with tf.io.gfile, reads the records back with TFRecordDataset, parses them
(FixedLenFeature, VarLenFeature), decodes and resizes the images, looks
label names up in a StaticHashTable and fits a model on the batches.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

folder = tempfile.mkdtemp()
rng = np.random.default_rng(4)
names = ["cat", "dog", "owl"]

# -- write: one Example per image -------------------------------------------------
path = os.path.join(folder, "images.tfrecord")
with tf.io.TFRecordWriter(path) as writer:
    for i in range(6):
        pixels = (rng.random((12 + i, 10, 3)) * 255).astype(np.uint8)
        encoded = tf.io.encode_png(pixels) if i % 2 else tf.io.encode_jpeg(pixels, quality=90)
        feature = {
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded.numpy()])),
            "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3])),
            "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[names[i % 3].encode()])),
            "mean": tf.train.Feature(float_list=tf.train.FloatList(value=[pixels.mean() / 255])),
            "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i % 4)))),
        }
        example = tf.train.Example(features=tf.train.Features(feature=feature))
        if i == 0:
            shown = tf.train.Example.FromString(example.SerializeToString())
            print(shown.features.feature["label"], shown.features.feature["tags"])
        writer.write(example.SerializeToString())

print(tf.io.gfile.listdir(folder), tf.io.gfile.exists(path), tf.io.gfile.isdir(folder))
print(tf.io.gfile.glob(os.path.join(folder, "*.tfrecord")) == [path])

# -- read: parse, decode, resize ---------------------------------------------------
description = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
    "name": tf.io.FixedLenFeature([], tf.string),
    "mean": tf.io.FixedLenFeature([], tf.float32),
    "tags": tf.io.VarLenFeature(tf.int64),
}
raw = tf.data.TFRecordDataset([path])
print(raw.element_spec)
first = tf.io.parse_single_example(next(iter(raw)), description)
print(sorted(first), first["label"].numpy(), first["name"].numpy())
print(first["tags"].dense_shape.numpy(), tf.io.decode_jpeg(first["image"]).shape)

table = tf.lookup.StaticHashTable(
    tf.lookup.KeyValueTensorInitializer(names, tf.constant([10, 20, 30], tf.int64)), -1)


def load(record):
    parsed = tf.io.parse_single_example(record, description)
    image = tf.io.decode_image(parsed["image"], channels=3, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.resize(image, [8, 8])
    tags = tf.sparse.to_dense(parsed["tags"], default_value=-1)
    return image, parsed["label"], table.lookup(parsed["name"]), tf.size(tags)


for image, label, code, count in raw.map(load).take(4):
    print(image.shape, label.numpy(), code.numpy(), count.numpy(),
          f"{float(tf.reduce_mean(image)):.4f}")

# -- train -------------------------------------------------------------------------
train = raw.map(load).map(lambda image, label, code, count: (image, label)).batch(3)
print(train.element_spec)
model = tf.keras.Sequential([tf.keras.Input((8, 8, 3)), tf.keras.layers.Flatten(),
                             tf.keras.layers.Dense(3)])
model.set_weights([np.linspace(-0.1, 0.1, 192 * 3, dtype=np.float32).reshape(192, 3),
                   np.zeros(3, np.float32)])
model.compile(optimizer=tf.keras.optimizers.SGD(0.1),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(train, epochs=3, verbose=0)
print([f"{v:.4f}" for v in history.history["loss"]])
print([f"{v:.4f}" for v in history.history["accuracy"]])
tf.io.gfile.rmtree(folder)
print(tf.io.gfile.exists(folder))
