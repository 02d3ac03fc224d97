"""`tf.summary` against real TensorFlow: both write a log, TensorBoard's own reader reads both back."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import jaxtape
from difftest import real_tf, same_outcome

IMAGES = np.random.RandomState(0).rand(4, 3, 5, 3).astype(np.float32)


def read_log(logdir):
    """{tag: [(step, plugin, values)]} through TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util
    from PIL import Image
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    out = {}
    for tag in sorted(acc.Tags()["tensors"]):
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        rows = []
        for event in acc.Tensors(tag):
            value = tensor_util.make_ndarray(event.tensor_proto)
            if plugin == "images":  # [width, height, png...]: compare decoded pixels
                value = [value[0], value[1]] + [np.asarray(Image.open(io.BytesIO(png))).tolist()
                                                for png in value[2:]]
            else:
                value = (str(value.dtype), value.tolist())
            rows.append((event.step, plugin, value))
        out[tag] = rows
    return out


def logged(tf, tmp_path, body):
    logdir = tmp_path / tf.__name__
    writer = tf.summary.create_file_writer(str(logdir))
    results = body(tf, writer)
    writer.flush()
    writer.close()
    return read_log(logdir), [bool(r) for r in results or []]


def same_log(tmp_path, body):
    want = logged(real_tf(), tmp_path, body)
    got = logged(jaxtape, tmp_path, body)
    assert got[1] == want[1], "return values"
    assert got[0].keys() == want[0].keys()
    for tag in want[0]:
        for g, w in zip(got[0][tag], want[0][tag], strict=True):
            assert g[:2] == w[:2], tag
            if isinstance(w[2], tuple):
                assert g[2][0] == w[2][0], tag
                if w[2][0].startswith("float"):
                    np.testing.assert_allclose(g[2][1], w[2][1], rtol=1e-6, err_msg=tag)
                else:
                    assert g[2][1] == w[2][1], tag
            else:
                assert g[2] == w[2], tag
    return got


def test_kinds_of_summary(tmp_path):
    def body(tf, writer):
        with writer.as_default():
            return [tf.summary.scalar("loss", 0.5, step=1),
                    tf.summary.scalar("count", 3, step=2),
                    tf.summary.scalar("f64", tf.constant(0.25, tf.float64), step=3),
                    tf.summary.histogram("weights", [1.0, 2.0, 2.5, 4.0, 9.0], step=1),
                    tf.summary.histogram("few buckets", np.arange(20.0), step=2, buckets=4),
                    tf.summary.histogram("constant", [2.0, 2.0, 2.0], step=3, buckets=5),
                    tf.summary.histogram("empty", np.zeros((0,), np.float32), step=4, buckets=3),
                    tf.summary.image("pictures", IMAGES, step=1),
                    tf.summary.image("uint8", (IMAGES * 255).astype(np.uint8), step=2, max_outputs=1),
                    tf.summary.text("note", "hello", step=1),
                    tf.summary.text("notes", ["a", "b"], step=2)]
    same_log(tmp_path, body)


def test_steps_record_if_and_defaults(tmp_path):
    def body(tf, writer):
        out = []
        with writer.as_default(step=5):
            out.append(tf.summary.scalar("a", 1.0))
            tf.summary.experimental.set_step(7)
            out.append(tf.summary.scalar("b", 2.0))
            with tf.summary.record_if(False):
                out.append(tf.summary.scalar("c", 3.0, step=1))
                out.append(tf.summary.should_record_summaries())
            with tf.summary.record_if(lambda: True):
                out.append(tf.summary.scalar("d", 4.0, step=tf.constant(9, tf.int64)))
            out.append(tf.summary.experimental.get_step() == 7)
            tf.summary.experimental.set_step(None)
        out.append(tf.summary.scalar("no writer", 1.0, step=1))
        return out
    same_log(tmp_path, body)


def test_inside_function_writes_every_call(tmp_path):
    def body(tf, writer):
        step = tf.Variable(0, dtype=tf.int64)

        @tf.function
        def train_step(x):
            with writer.as_default():
                tf.summary.scalar("x", x * 2.0, step=step)
                tf.summary.histogram("hist", tf.stack([x, x + 1.0, x * 3.0]), step=step)
            step.assign_add(1)

        for x in (1.0, 2.0, 3.0):
            train_step(tf.constant(x))
    got = same_log(tmp_path, body)
    assert [s for s, _, _ in got[0]["x"]] == [0, 1, 2]


ERRORS = {
    "no step": lambda tf, w: tf.summary.scalar("a", 1.0),
    "not scalar": lambda tf, w: tf.summary.scalar("a", [1.0, 2.0], step=1),
    "image rank": lambda tf, w: tf.summary.image("im", np.zeros((3, 4, 1), np.float32), step=1),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_as_tf(tmp_path, case):
    def fn(tf):
        with tf.summary.create_file_writer(str(tmp_path / tf.__name__)).as_default():
            return ERRORS[case](tf, None)
    same_outcome(fn)


def test_noop_writer_and_flush(tmp_path):
    for tf in (real_tf(), jaxtape):
        with tf.summary.create_noop_writer().as_default():
            assert not bool(tf.summary.scalar("a", 1.0, step=1))
        assert tf.summary.flush() is None


def test_summary_iterator_reads_tf_written_files(tmp_path):
    tf = real_tf()
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.scalar("loss", 1.5, step=3)
    writer.close()
    [path] = tmp_path.iterdir()
    events = list(jaxtape.compat.v1.train.summary_iterator(str(path)))
    assert events[0].file_version == "brain.Event:2"
    assert [(e.step, v.tag, float(jaxtape.make_ndarray(v.tensor))) for e in events[1:]
            for v in e.summary.value] == [(3, "loss", 1.5)]


def test_missing_tensorboard_names_the_extra(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install 'jaxtape\[summary\]'"):
        jaxtape.summary.create_file_writer(str(tmp_path))
