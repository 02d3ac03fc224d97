"""The file formats underneath checkpoints, and failure safety (no TensorFlow needed)."""
from __future__ import annotations

import os

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.framework import crc32c, wire
from jaxtape._src.train import bundle, object_graph, table


@pytest.mark.parametrize("library", [True, False], ids=["google_crc32c", "numpy"])
def test_crc32c_known_values_and_continuation(monkeypatch, library):
    if library and crc32c._fast is None:
        pytest.skip("google-crc32c is not installed (pip install -e '.[test]')")
    if not library:
        monkeypatch.setattr(crc32c, "_fast", None)
    assert crc32c.crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert crc32c.crc32c(b"") == 0
    data = np.random.default_rng(0).integers(0, 256, 300_001, dtype=np.uint8).tobytes()
    whole = crc32c.crc32c(data)  # the vectorised path
    assert whole == crc32c._raw_scalar(data, 0xFFFFFFFF) ^ 0xFFFFFFFF  # the byte loop
    assert crc32c.crc32c(data[77_777:], crc32c.crc32c(data[:77_777])) == whole
    assert crc32c.unmask(crc32c.mask(whole)) == whole


def test_varints_round_trip():
    for value in (0, 1, 127, 128, 300, 2**63 - 1, -1):
        decoded, end = wire.read_varint(wire.varint(value), 0)
        assert wire.signed64(decoded) == value
    with pytest.raises(wire.WireError):
        wire.read_varint(b"\x80", 0)


def test_table_round_trips_over_many_blocks(monkeypatch):
    monkeypatch.setattr(table, "BLOCK_SIZE", 256)  # forces many blocks and restart points
    entries = [(f"key/{i:05d}".encode(), os.urandom(i % 40)) for i in range(500)]
    data = table.encode(entries)
    assert table.decode(data) == entries
    with pytest.raises(ValueError):
        table.encode(entries[::-1])


def test_object_graph_proto_round_trips():
    root = tf.Module()
    root.v = tf.Variable(1.0)
    root.sub = [tf.Module(), {"k": tf.Variable(2)}]
    graph = object_graph.Graph(tf.train.Checkpoint(model=root))
    nodes = object_graph.decode(object_graph.encode(graph.nodes))
    assert [n.encode() for n in nodes] == [n.encode() for n in graph.nodes]
    assert [k for k, _ in graph.tensors] == ["model/v/.ATTRIBUTES/VARIABLE_VALUE",
                                             "model/sub/1/k/.ATTRIBUTES/VARIABLE_VALUE"]
    assert object_graph.escape("a/b.c") == "a.Sb..c"


def test_string_and_numeric_tensors_round_trip(tmp_path):
    prefix = str(tmp_path / "b")
    values = {"f": np.arange(5, dtype=np.float32), "h": np.ones((2, 2), np.float16),
              "b": np.array([True, False]), "c": np.array([1 + 2j], np.complex64),
              "u": np.array([7], np.uint8)}
    bundle.write(prefix, list(values.items()) + [("s", b"\x00bytes")])
    reader = bundle.Reader(prefix)
    for key, value in values.items():
        got = reader.tensor(key)
        assert got.dtype == value.dtype and np.array_equal(got, value)
    assert reader.tensor("s") == b"\x00bytes"


def _saved(tmp_path):
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(v=v)
    return v, ckpt, ckpt.save(str(tmp_path / "ckpt"))


def test_failed_save_keeps_the_previous_checkpoint_latest(tmp_path, monkeypatch):
    v, ckpt, first = _saved(tmp_path)
    state = (tmp_path / "checkpoint").read_text()
    real = bundle.write_atomically

    def fail_on_index(path, chunks, temp_suffix):
        if path.endswith(".index"):
            raise OSError("disk full")
        real(path, chunks, temp_suffix)

    monkeypatch.setattr(bundle, "write_atomically", fail_on_index)
    v.assign([5.0, 6.0])
    with pytest.raises(OSError, match="disk full"):
        ckpt.save(str(tmp_path / "ckpt"))
    assert (tmp_path / "checkpoint").read_text() == state
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    assert not [p for p in os.listdir(tmp_path) if "tempstate" in p or p.startswith("ckpt-2.index")]
    assert int(ckpt.save_counter.numpy()) == 1  # the failed save did not use up ckpt-2
    monkeypatch.setattr(bundle, "write_atomically", real)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=1)
    monkeypatch.setattr(bundle, "write_atomically", fail_on_index)
    with pytest.raises(OSError):
        manager.save()
    assert manager.latest_checkpoint == first and os.path.exists(first + ".index")
    assert tf.train.latest_checkpoint(str(tmp_path)) == first


def test_failed_save_leaves_an_existing_prefix_intact(tmp_path, monkeypatch):
    v = tf.Variable(1.0)
    ckpt = tf.train.Checkpoint(v=v)
    prefix = ckpt.write(str(tmp_path / "w"))
    monkeypatch.setattr(bundle, "write_atomically",
                        lambda *a: (_ for _ in ()).throw(OSError("interrupted")))
    v.assign(2.0)
    with pytest.raises(OSError):
        ckpt.write(prefix)
    assert tf.train.load_variable(prefix, "v/.ATTRIBUTES/VARIABLE_VALUE") == 1.0


def test_truncated_data_raises_data_loss_naming_the_file(tmp_path):
    _, _, prefix = _saved(tmp_path)
    data = prefix + ".data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(4)
    with pytest.raises(tf.errors.DataLossError, match="truncated") as info:
        tf.train.load_variable(prefix, "v/.ATTRIBUTES/VARIABLE_VALUE")
    assert data in str(info.value)
    with pytest.raises(tf.errors.DataLossError):
        tf.train.Checkpoint(v=tf.Variable([0.0, 0.0])).restore(prefix)


def test_restore_into_objects_created_later(tmp_path):
    root = tf.Module()
    root.a = tf.Module()
    root.a.w = tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(model=root, n=tf.Variable(4)).save(str(tmp_path / "c"))
    later = tf.train.Checkpoint()
    status = later.restore(path)
    later.model = tf.Module()
    later.model.a = tf.Module()
    later.model.a.w = tf.Variable([0.0, 0.0])
    later.n = tf.Variable(0)
    assert later.model.a.w.numpy().tolist() == [1.0, 2.0] and int(later.n.numpy()) == 4
    status.assert_consumed()
    assert int(later.save_counter.numpy()) == 1


def test_restore_none_and_non_trackable_arguments():
    status = tf.train.Checkpoint(v=tf.Variable(1.0)).restore(None)
    with pytest.raises(AssertionError):
        status.assert_consumed()
    with pytest.raises(ValueError, match="was expecting x to be a trackable object"):
        tf.train.Checkpoint(x=3)
    with pytest.raises(ValueError, match="positive integer"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), "/tmp", max_to_keep=0)
