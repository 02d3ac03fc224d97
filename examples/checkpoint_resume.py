"""Save, restore and resume training with tf.train.Checkpoint and CheckpointManager.

A tiny tf.Module (a linear model y = w*x + b, with a nested module and a list
of variables) trains for a few steps with a GradientTape and plain SGD,
saving a checkpoint every two steps through a CheckpointManager that keeps
the last two. A fresh model, built the same way, then restores the latest
checkpoint, including the step counter, and resumes where training stopped.
Only deterministic things are printed: losses rounded, file names without
the temporary directory, and the names and shapes tf.train.list_variables
reports.
"""
import os
import shutil
import tempfile

import tensorflow as tf


class Scale(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[0.0], [0.0]], name='w')


class Linear(tf.Module):
    def __init__(self):
        super().__init__()
        self.scale = Scale()
        self.extras = [tf.Variable([0.0], name='b'), tf.Variable(0, name='calls')]

    def __call__(self, x):
        self.extras[1].assign_add(1)
        return x @ self.scale.w + self.extras[0]


x = tf.constant([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
y = tf.constant([[1.0], [3.0], [4.0], [6.0]])  # y = 2*x0 + 1*x1 + 1


def train(model, step, steps, manager):
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, [model.scale.w, model.extras[0]])
        model.scale.w.assign_sub(0.125 * grads[0])
        model.extras[0].assign_sub(0.125 * grads[1])
        step.assign_add(1)
        print('step', int(step.numpy()), 'loss', round(float(loss.numpy()), 4))
        if int(step.numpy()) % 2 == 0:
            path = manager.save(checkpoint_number=int(step.numpy()))
            print('  saved', os.path.basename(path))


workdir = tempfile.mkdtemp()
try:
    model, step = Linear(), tf.Variable(0, dtype=tf.int64, name='step')
    ckpt = tf.train.Checkpoint(model=model, step=step)
    manager = tf.train.CheckpointManager(ckpt, workdir, max_to_keep=2)
    train(model, step, 6, manager)

    print('kept:', [os.path.basename(p) for p in manager.checkpoints])
    print('latest:', os.path.basename(tf.train.latest_checkpoint(workdir)))
    print('files:', sorted(os.listdir(workdir)))
    for name, shape in tf.train.list_variables(workdir):
        print(' ', name, shape)
    saved_w = tf.train.load_variable(workdir, 'model/scale/w/.ATTRIBUTES/VARIABLE_VALUE')
    print('w as saved:', [round(float(v), 4) for v in saved_w.flatten()])

    # A new process would start here: same structure, fresh values.
    model2, step2 = Linear(), tf.Variable(0, dtype=tf.int64, name='step')
    ckpt2 = tf.train.Checkpoint(model=model2, step=step2)
    manager2 = tf.train.CheckpointManager(ckpt2, workdir, max_to_keep=2)
    status = ckpt2.restore(manager2.latest_checkpoint)
    status.assert_consumed()
    print('restored step', int(step2.numpy()), 'calls', int(model2.extras[1].numpy()),
          'save_counter', int(ckpt2.save_counter.numpy()))
    print('same w:', bool(tf.reduce_all(model2.scale.w == model.scale.w)))
    train(model2, step2, 2, manager2)
    print('kept:', [os.path.basename(p) for p in manager2.checkpoints])
finally:
    shutil.rmtree(workdir)
print('cleaned up:', not os.path.exists(workdir))
