"""Datasets and iterators read inside `tf.function`, differentially against TF.

`for x in ds`, `for x in iter(ds)`, `next(iterator)` and `ds.reduce` inside a
function read each call's elements (a fresh pass, the iterator's next one),
not the values seen while tracing.
"""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from difftest import same_outcome, same_values


def _data():
    rng = np.random.RandomState(0)
    return rng.randn(10, 3).astype(np.float32), rng.randn(10, 1).astype(np.float32)


def _train_epochs(tf, captured=False):
    """A train step over a dataset inside one function, three epochs; the last batch is partial."""
    X, Y = _data()
    w = tf.Variable(np.ones((3, 1), np.float32))
    b = tf.Variable(0.0)
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)

    def epoch(ds):
        total = tf.constant(0.0)
        loss = tf.constant(0.0)
        for x, y in ds:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((tf.matmul(x, w) + b - y) ** 2)
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(0.1 * gw)
            b.assign_sub(0.1 * gb)
            total += loss
        return total, loss

    f = tf.function(lambda: epoch(ds)) if captured else tf.function(epoch)
    out = []
    for _ in range(3):
        out.append((f() if captured else f(ds)) + (w.read_value(), b.read_value()))
    return out


@pytest.mark.parametrize("captured", [False, True])
def test_a_train_step_over_a_dataset_inside_one_function(captured):
    same_values(lambda tf: _train_epochs(tf, captured=captured), rtol=1e-5)


def test_a_reshuffled_dataset_gives_each_call_the_next_epoch():
    # jaxtape's seeded shuffle order is its own (TF's is not reproduced), so the
    # reference is eager iteration: call k reads what the k-th eager pass reads.
    tf = jaxtape

    def build():
        return tf.data.Dataset.range(10).shuffle(10, seed=3).batch(4)

    def weigh(batches):
        return sum(int(tf.reduce_sum(b)) * 100 ** i for i, b in enumerate(batches))

    eager = build()
    want = [weigh(list(eager)) for _ in range(3)]
    ds = build()

    @tf.function
    def f():
        s, k = tf.constant(0, tf.int64), tf.constant(1, tf.int64)
        for x in ds:
            s += tf.reduce_sum(x) * k
            k *= 100
        return s
    assert [int(f()) for _ in range(3)] == want


def test_each_call_reads_its_own_pass_and_another_length_retraces():
    def body(tf):
        @tf.function
        def total(ds):
            s = tf.constant(0, tf.int64)
            for v in ds:
                s += v * v
            return s
        a = tf.data.Dataset.range(5)
        return [total(a), total(a), total(tf.data.Dataset.range(7)), total(a.batch(2).unbatch())]
    same_values(body)


def test_break_iter_enumerate_zip_and_nested_elements():
    def body(tf):
        @tf.function
        def until(ds, limit):
            s = tf.constant(0, tf.int64)
            for x in ds:
                if x > limit:
                    break
                s += x
            return s

        @tf.function
        def fresh():  # iter(ds) made inside: a new iterator each call
            s = tf.constant(0.0)
            for d in iter(tf.data.Dataset.from_tensor_slices({"a": [1.0, 2.0], "b": [3.0, 4.0]})):
                s += d["a"] * d["b"]
            return s
        @tf.function
        def builtins(ds, other):  # AutoGraph reads these as ds.enumerate() and Dataset.zip
            s = tf.constant(0, tf.int64)
            for i, x in enumerate(ds):
                s += i * x
            for a, b in zip(ds, other):
                s += a * b
            return s
        ds = tf.data.Dataset.range(10)
        return [until(ds, tf.constant(3, tf.int64)), until(ds, tf.constant(6, tf.int64)),
                fresh(), fresh(), builtins(ds, tf.data.Dataset.range(10, 13))]
    same_values(body)


def test_next_on_an_iterator_passed_in_takes_one_element_per_call():
    def body(tf):
        it = iter(tf.data.Dataset.range(3).map(lambda x: (x, tf.cast(x, tf.float32) / 2)))

        @tf.function
        def step(it):
            a, b = next(it)
            return a * 10, b
        out = [step(it) for _ in range(3)]
        try:
            step(it)
        except Exception as e:  # noqa: BLE001 - the type is what TF defines
            out.append(type(e).__name__)
        return out
    same_values(body)


def test_for_over_an_iterator_passed_in_reads_its_rest():
    def body(tf):
        it = iter(tf.data.Dataset.range(5))
        first = next(it)

        @tf.function
        def rest(it):
            s = tf.constant(0, tf.int64)
            for x in it:
                s += x
            return s
        return [first, rest(it)]
    same_values(body)


def test_reduce_inside_a_function():
    def body(tf):
        @tf.function
        def stats(ds):
            return ds.reduce((tf.constant(0, tf.int64), tf.constant(0.0)),
                             lambda s, x: (s[0] + 1, s[1] + tf.cast(x, tf.float32)))
        return [stats(tf.data.Dataset.range(4)), stats(tf.data.Dataset.range(6))]
    same_values(body)


def test_a_name_first_assigned_in_a_dataset_loop_raises_as_tf():
    def body(tf):
        @tf.function
        def f(ds):
            for x in ds:
                last = x
            return last
        return f(tf.data.Dataset.range(3))
    same_outcome(body, message=False)


def test_an_infinite_dataset_names_what_is_missing():
    tf = jaxtape

    @tf.function
    def f(ds):
        s = tf.constant(0, tf.int64)
        for x in ds:
            s += x
        return s
    with pytest.raises(NotImplementedError, match="infinite tf.data.Dataset inside tf.function"):
        f(tf.data.Dataset.range(3).repeat())


def test_tracing_does_not_consume_an_element():
    tf = jaxtape
    it = iter(tf.data.Dataset.range(4))
    f = tf.function(lambda it: next(it))
    assert [int(f(it)) for _ in range(4)] == [0, 1, 2, 3]
    assert f.experimental_get_tracing_count() == 1


def test_a_python_for_over_a_dataset_without_autograph_raises_as_tf():
    def body(tf):
        ds = tf.data.Dataset.range(40)

        def f():
            s = tf.constant(0, tf.int64)
            for x in ds:
                s += x
            return s
        return tf.function(f, autograph=False)()
    same_outcome(body)
