"""The TensorFlow half of the checkpoint tests, run once in a subprocess.

usage: python tf_side.py WORKDIR  (WORKDIR/jt_a holds jaxtape's checkpoint)
Writes TF's checkpoints under WORKDIR and prints one JSON object.
"""
import json
import os
import shutil
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import ckpt_models as models  # noqa: E402

tf.get_logger().setLevel("ERROR")
work = sys.argv[1]
out = {}


def outcome(fn):
    try:
        value = fn()
        return ["value", value]
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ["raises", type(e).__name__, str(e)]


# 1. TF writes; jaxtape will read.
model, step = models.make_model(tf), tf.Variable(np.int64(3))
ckpt = tf.train.Checkpoint(model=model, step=step)
out["tf_save"] = [ckpt.save(os.path.join(work, "tf_a", "ckpt")), ckpt.save(os.path.join(work, "tf_a", "ckpt"))]
out["tf_write"] = ckpt.write(os.path.join(work, "tf_w", "weights"))
out["tf_snapshot"] = models.snapshot(model, step)
out["tf_list"] = [[n, s] for n, s in tf.train.list_variables(os.path.join(work, "tf_a"))]

# 2. TF reads what jaxtape wrote.
fresh, fresh_step = models.make_model(tf, offset=100), tf.Variable(np.int64(0))
restored = tf.train.Checkpoint(model=fresh, step=fresh_step)
status = restored.restore(tf.train.latest_checkpoint(os.path.join(work, "jt_a")))
out["jt_consumed"] = outcome(lambda: status.assert_consumed() and None)
out["jt_snapshot"] = models.snapshot(fresh, fresh_step)
out["jt_save_counter"] = int(restored.save_counter.numpy())
out["jt_list"] = [[n, s] for n, s in tf.train.list_variables(os.path.join(work, "jt_a"))]
out["jt_load_variable"] = tf.train.load_variable(
    os.path.join(work, "jt_a"), "model/inner/w/.ATTRIBUTES/VARIABLE_VALUE").tolist()

# Multi-block index files, both ways.
many = tf.train.load_checkpoint(os.path.join(work, "jt_many", "many"))
keys = [k for k in many.get_variable_to_shape_map() if k.startswith("many/")]
out["jt_many"] = [len(keys), float(sum(many.get_tensor(k) for k in keys))]
tf.train.Checkpoint(many=models.many_variables(tf)).write(os.path.join(work, "tf_many", "many"))

# 3. Partial and deferred restores, and the assertions' messages.
small = tf.Module()
small.z = tf.Variable(np.float32(0))
partial = tf.train.Checkpoint(model=small)
pstatus = partial.restore(out["tf_save"][-1])
out["partial_consumed"] = outcome(lambda: pstatus.assert_consumed() and None)
out["partial_existing"] = outcome(lambda: pstatus.assert_existing_objects_matched() and None)
small.inner = tf.Module()
small.inner.w = tf.Variable(np.zeros((2, 3)))
small.vs = [tf.Variable(np.int32(0))]
out["deferred"] = [small.inner.w.numpy().tolist(), int(small.vs[0].numpy())]
extra = tf.Module()
extra.z, extra.unsaved = tf.Variable(np.float32(0)), tf.Variable(np.float32(5))
estatus = tf.train.Checkpoint(model=extra).restore(out["tf_save"][-1]).expect_partial()
out["extra_existing"] = outcome(lambda: estatus.assert_existing_objects_matched() and None)
wrong = tf.Module()
wrong.z = tf.Variable(np.zeros(3, np.float32))
out["wrong_shape"] = outcome(lambda: tf.train.Checkpoint(model=wrong).restore(out["tf_save"][-1]) and None)
wrong.z = tf.Variable(np.int32(0))
out["wrong_dtype"] = outcome(lambda: tf.train.Checkpoint(model=wrong).restore(out["tf_save"][-1]) and None)

# 4. CheckpointManager.
mdir = os.path.join(work, "tf_m")
out["manager"] = models.manager_run(tf, mdir)
out["manager_files"] = sorted(os.listdir(mdir))
with open(os.path.join(mdir, "checkpoint")) as f:
    out["manager_state"] = f.read()

# 5. Missing and corrupt checkpoints.
src = out["tf_save"][-1]


def corrupt(name, change):
    directory = os.path.join(work, "bad_" + name)
    shutil.copytree(os.path.dirname(src), directory)
    prefix = os.path.join(directory, os.path.basename(src))
    change(prefix)
    return prefix


def cut(path, size):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:size])


def flip(path, at):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[at] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))


cases = {
    "empty_index": lambda p: cut(p + ".index", 0),
    "short_index": lambda p: cut(p + ".index", 100),
    "flipped_index": lambda p: flip(p + ".index", 0x50),
    "flipped_data": lambda p: flip(p + ".data-00000-of-00001", 0x11),
    "no_data": lambda p: os.remove(p + ".data-00000-of-00001"),
}
out["corrupt"] = {}
for name, change in cases.items():
    prefix = corrupt(name, change)
    out["corrupt"][name] = [prefix, outcome(
        lambda: tf.train.Checkpoint(model=models.make_model(tf), step=tf.Variable(np.int64(0))).restore(prefix) and None)]
missing = os.path.join(work, "nothing_here", "ckpt-1")
out["missing"] = {
    "restore": outcome(lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).restore(missing) and None),
    "read": outcome(lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).read(missing) and None),
    "list": outcome(lambda: tf.train.list_variables(missing)),
    "latest": outcome(lambda: tf.train.latest_checkpoint(os.path.dirname(missing))),
    "key": outcome(lambda: tf.train.load_variable(src, "no/such/key")),
}
print(json.dumps(out))
