"""Checkpoints move both ways between TensorFlow and jaxtape.

All TensorFlow work happens in one subprocess (tf_side.py) that reads the
checkpoints jaxtape wrote first and writes its own, so the tests below only
compare.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from difftest import real_tf

import jaxtape as tf
import ckpt_models as models

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def tf_side(tmp_path_factory):
    real_tf()
    work = str(tmp_path_factory.mktemp("ckpt"))
    model, step = models.make_model(tf, offset=50), tf.Variable(np.int64(9))
    ckpt = tf.train.Checkpoint(model=model, step=step)
    ckpt.save(os.path.join(work, "jt_a", "ckpt"))
    ckpt.save(os.path.join(work, "jt_a", "ckpt"))
    tf.train.Checkpoint(many=models.many_variables(tf)).write(os.path.join(work, "jt_many", "many"))
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "tf_side.py"), work],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["work"] = work
    out["jt_expected"] = models.snapshot(model, step)
    return out


def plain(outcome):
    """TF's eager kernel decorations, which jaxtape leaves out, removed."""
    if outcome[0] != "raises":
        return outcome
    text = re.sub(r"^\{\{function_node [^}]*\}\} ", "", outcome[2])
    return [outcome[0], outcome[1], text.replace(" [Op:RestoreV2]", "")]


def outcome(fn):
    try:
        fn()
        return ["value", None]
    except Exception as e:  # noqa: BLE001
        return ["raises", type(e).__name__, str(e).replace(" [Op:RestoreV2]", "")]


def test_tf_checkpoint_restores_into_jaxtape(tf_side):
    model, step = models.make_model(tf, offset=100), tf.Variable(np.int64(0))
    ckpt = tf.train.Checkpoint(model=model, step=step)
    ckpt.restore(tf.train.latest_checkpoint(os.path.join(tf_side["work"], "tf_a"))).assert_consumed()
    assert models.snapshot(model, step) == tf_side["tf_snapshot"]
    assert int(ckpt.save_counter.numpy()) == 2
    # write() output (no save counter) reads back with read().
    other, other_step = models.make_model(tf, offset=100), tf.Variable(np.int64(0))
    # read() creates no save counter, so only the live objects are checked.
    tf.train.Checkpoint(model=other, step=other_step).read(
        tf_side["tf_write"]).assert_existing_objects_matched()
    assert models.snapshot(other, other_step) == tf_side["tf_snapshot"]


def test_jaxtape_checkpoint_restores_under_tf(tf_side):
    assert tf_side["jt_consumed"] == ["value", None]
    assert tf_side["jt_snapshot"] == tf_side["jt_expected"]
    assert tf_side["jt_save_counter"] == 2
    assert tf_side["jt_load_variable"] == (np.arange(6.0).reshape(2, 3) + 50).tolist()


def test_index_files_of_several_blocks_read_both_ways(tf_side):
    count = len(models.many_variables(tf))
    assert tf_side["jt_many"] == [count, float(sum(range(count)))]
    prefix = os.path.join(tf_side["work"], "tf_many", "many")
    assert os.path.getsize(prefix + ".index") > 2 * 256 * 1024 // 3
    restored = models.many_variables(tf)
    for v in restored.values():
        v.assign(-1.0)
    tf.train.Checkpoint(many=restored).read(prefix).assert_consumed()
    assert [float(v.numpy()) for v in restored.values()] == [float(i) for i in range(count)]
    with open(prefix + ".index", "rb") as f:
        theirs = f.read()
    ours = os.path.join(tf_side["work"], "jt_many", "many.index")
    with open(ours, "rb") as f:
        assert f.read() == theirs  # same blocks, separators and restart points as TF


def test_files_are_byte_identical_to_tfs(tf_side, tmp_path):
    model, step = models.make_model(tf), tf.Variable(np.int64(3))
    ckpt = tf.train.Checkpoint(model=model, step=step)
    ours = [ckpt.save(str(tmp_path / "ckpt")) for _ in range(2)]
    theirs = tf_side["tf_save"]
    assert [os.path.basename(p) for p in ours] == [os.path.basename(p) for p in theirs]
    for suffix in (".index", ".data-00000-of-00001"):
        with open(ours[-1] + suffix, "rb") as a, open(theirs[-1] + suffix, "rb") as b:
            assert a.read() == b.read(), suffix
    with open(tmp_path / "checkpoint") as a, open(os.path.join(tf_side["work"], "tf_a", "checkpoint")) as b:
        assert a.read() == b.read()


def test_list_variables_matches_tf(tf_side):
    ours = [[n, s] for n, s in tf.train.list_variables(os.path.join(tf_side["work"], "tf_a"))]
    assert ours == tf_side["tf_list"]
    assert ours[0][0] == "_CHECKPOINTABLE_OBJECT_GRAPH"
    assert "model/d/a.Sx..y/.ATTRIBUTES/VARIABLE_VALUE" in [n for n, _ in ours]
    mine = [[n, s] for n, s in tf.train.list_variables(os.path.join(tf_side["work"], "jt_a"))]
    assert mine == tf_side["jt_list"] == ours
    reader = tf.train.load_checkpoint(os.path.join(tf_side["work"], "tf_a"))
    assert reader.get_variable_to_shape_map() == dict(tf_side["tf_list"])
    dtypes = reader.get_variable_to_dtype_map()
    assert dtypes["model/inner/w/.ATTRIBUTES/VARIABLE_VALUE"] == tf.float64
    assert dtypes["model/vs/0/.ATTRIBUTES/VARIABLE_VALUE"] == tf.int32
    assert dtypes["step/.ATTRIBUTES/VARIABLE_VALUE"] == tf.int64
    assert reader.has_tensor("model/z/.ATTRIBUTES/VARIABLE_VALUE")


def test_partial_and_deferred_restore_as_tf(tf_side):
    small = tf.Module()
    small.z = tf.Variable(np.float32(0))
    status = tf.train.Checkpoint(model=small).restore(tf_side["tf_save"][-1])
    assert outcome(status.assert_consumed) == plain(tf_side["partial_consumed"])
    assert outcome(status.assert_existing_objects_matched) == tf_side["partial_existing"]
    small.inner = tf.Module()          # created after restore(): restored on assignment
    small.inner.w = tf.Variable(np.zeros((2, 3)))
    small.vs = [tf.Variable(np.int32(0))]
    assert [small.inner.w.numpy().tolist(), int(small.vs[0].numpy())] == tf_side["deferred"]

    extra = tf.Module()
    extra.z, extra.unsaved = tf.Variable(np.float32(0)), tf.Variable(np.float32(5))
    status = tf.train.Checkpoint(model=extra).restore(tf_side["tf_save"][-1]).expect_partial()
    assert outcome(status.assert_existing_objects_matched) == plain(tf_side["extra_existing"])


def test_mismatched_variables_raise_tfs_errors(tf_side):
    wrong = tf.Module()
    wrong.z = tf.Variable(np.zeros(3, np.float32))
    assert outcome(lambda: tf.train.Checkpoint(model=wrong).restore(tf_side["tf_save"][-1])) \
        == plain(tf_side["wrong_shape"])
    wrong.z = tf.Variable(np.int32(0))
    assert outcome(lambda: tf.train.Checkpoint(model=wrong).restore(tf_side["tf_save"][-1])) \
        == plain(tf_side["wrong_dtype"])
    assert int(wrong.z.numpy()) == 0


def _normalise(value, directory):
    text = json.dumps(value)
    if directory:
        text = text.replace(directory, "DIR")
    return json.loads(re.sub(r"(timestamp[s]?: )[0-9.e+]+", r"\1T", text))


def test_checkpoint_manager_matches_tf(tf_side, tmp_path):
    ours = models.manager_run(tf, str(tmp_path))
    theirs = tf_side["manager"]
    assert _normalise(ours, str(tmp_path)) == _normalise(theirs, os.path.join(tf_side["work"], "tf_m"))
    assert sorted(os.listdir(tmp_path)) == tf_side["manager_files"]
    with open(tmp_path / "checkpoint") as f:
        assert _normalise(f.read(), "") == _normalise(tf_side["manager_state"], "")


@pytest.mark.parametrize("case,tf_text", [
    ("empty_index", "file is too short to be an sstable"),
    ("short_index", "not an sstable (bad magic number)"),
    ("flipped_index", "block checksum mismatch"),
    ("flipped_data", "Checksum does not match"),
    ("no_data", "No such file or directory"),
])
def test_corrupt_checkpoints_raise_naming_the_file(tf_side, case, tf_text):
    prefix, want = tf_side["corrupt"][case]
    assert want[0] == "raises" and tf_text in want[2]
    ckpt = tf.train.Checkpoint(model=models.make_model(tf), step=tf.Variable(np.int64(0)))
    with pytest.raises((tf.errors.DataLossError, tf.errors.NotFoundError)) as info:
        ckpt.restore(prefix)
    message = str(info.value)
    assert tf_text in message and prefix in message
    if case == "flipped_data":  # same numbers as TF's
        assert message in plain(want)[2]
    if case == "no_data":
        assert isinstance(info.value, tf.errors.NotFoundError)


def test_missing_checkpoints_raise_as_tf(tf_side):
    missing = os.path.join(tf_side["work"], "nothing_here", "ckpt-1")
    src = tf_side["tf_save"][-1]
    ours = {
        "restore": outcome(lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).restore(missing)),
        "read": outcome(lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).read(missing)),
        "list": outcome(lambda: tf.train.list_variables(missing)),
        "key": outcome(lambda: tf.train.load_variable(src, "no/such/key")),
    }
    for name, got in ours.items():
        assert got == plain(tf_side["missing"][name]), name
    assert tf.train.latest_checkpoint(os.path.dirname(missing)) is None
    assert tf_side["missing"]["latest"] == ["value", None]
