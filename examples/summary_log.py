"""A tf.summary log of a small training loop, read back event by event.

Fits y = 3x - 1 with SGD for a few steps inside a tf.function, logging the
loss and weight as scalars, the gradient as a histogram, a small image and a
text note to a TensorBoard log in a temporary directory; then reads the
event file back with tf.compat.v1.train.summary_iterator and prints each
summary's step, tag, plugin and values. tf.print reports the loss from
inside the compiled step on every call.
"""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

print("CPU devices:", tf.config.list_physical_devices("CPU"))

logdir = os.path.join(tempfile.mkdtemp(), "run")
writer = tf.summary.create_file_writer(logdir)

x = tf.constant([[0.0], [1.0], [2.0], [3.0]])
y = 3.0 * x - 1.0
w = tf.Variable([[0.5]])
b = tf.Variable([0.0])
step = tf.Variable(0, dtype=tf.int64)


@tf.function
def train_step():
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((x @ w + b - y) ** 2)
    dw, db = tape.gradient(loss, [w, b])
    w.assign_sub(0.05 * dw)
    b.assign_sub(0.05 * db)
    with writer.as_default():
        tf.summary.scalar("loss", loss, step=step)
        tf.summary.scalar("weight", w[0, 0], step=step)
        tf.summary.histogram("grad", tf.concat([tf.reshape(dw, [-1]), db], 0), step=step, buckets=2)
    # Rounded: XLA's and TF's kernels may differ in the last bit of the loss.
    tf.print("step", step, "loss", tf.round(loss * 100.0) / 100.0, output_stream=sys.stdout)
    step.assign_add(1)


for _ in range(4):
    train_step()

with writer.as_default(step=10):
    tf.summary.image("ramp", np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(1, 3, 4, 1))
    tf.summary.text("note", "trained for 4 steps")
    with tf.summary.record_if(False):
        print("recorded while off:", bool(tf.summary.scalar("skipped", 1.0)))
writer.flush()

files = sorted(os.listdir(logdir))
print("event files:", len(files), files[0].startswith("events.out.tfevents."))
for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, files[0])):
    if event.file_version:
        print("file version:", event.file_version)
    for value in event.summary.value:
        plugin = value.metadata.plugin_data.plugin_name
        data = tf.make_ndarray(value.tensor)
        if plugin == "scalars":
            shown = f"{float(data):.3f}"
        elif plugin == "histograms":
            shown = f"counts {data[:, 2].tolist()}"
        elif plugin == "images":
            shown = f"{data[0].decode()}x{data[1].decode()} images: {len(data) - 2}"
        else:
            shown = data.item().decode()
        print(event.step, value.tag, plugin, shown)
