"""Iteration, reductions, constants and options against real TensorFlow."""
import threading

import numpy as np
import pytest

import jaxtape
from datadiff import same_outcome_of

X = np.arange(12, dtype=np.float32).reshape(6, 2)
Y = np.arange(6)


def xy(tf):
    return tf.data.Dataset.from_tensor_slices((X, Y))


@pytest.mark.parametrize("fn", [
    lambda tf: list(xy(tf).as_numpy_iterator()),
    lambda tf: list(tf.data.Dataset.from_tensors({"a": 1, "b": (2., [3, 4])}).as_numpy_iterator()),
    lambda tf: [type(v).__name__ for v in tf.data.Dataset.range(2).as_numpy_iterator()],
    lambda tf: type(xy(tf).batch(2).as_numpy_iterator()).__name__,
    lambda tf: tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, v: s + v),
    lambda tf: tf.data.Dataset.range(4).reduce((np.int64(0), np.int64(1)),
                                                lambda s, v: (s[0] + v, s[1] * (v + 1))),
    lambda tf: xy(tf).take(1).get_single_element(),
    lambda tf: len(xy(tf)),
    lambda tf: len(xy(tf).batch(4)),
    lambda tf: bool(xy(tf).filter(lambda a, b: b > 100)),
    lambda tf: xy(tf).cardinality(),
    lambda tf: tf.data.experimental.cardinality(xy(tf).repeat()),
    lambda tf: (tf.data.AUTOTUNE, tf.data.experimental.AUTOTUNE, tf.data.INFINITE_CARDINALITY,
                tf.data.UNKNOWN_CARDINALITY, tf.data.experimental.INFINITE_CARDINALITY,
                tf.data.experimental.UNKNOWN_CARDINALITY),
    lambda tf: repr(iter(xy(tf)).element_spec),
    lambda tf: repr(tf.data.experimental.get_structure(xy(tf).batch(2))),
    lambda tf: next(iter(xy(tf).batch(4))),
    lambda tf: (lambda it: (it.get_next(), next(it)))(iter(tf.data.Dataset.range(3))),
    lambda tf: (lambda o: (o.has_value(), o.get_value()))(iter(tf.data.Dataset.range(3)).get_next_as_optional()),
    lambda tf: iter(tf.data.Dataset.range(0)).get_next_as_optional().has_value(),
    lambda tf: repr(tf.TensorSpec(shape=(2,), dtype=tf.float32)),
    lambda tf: repr(tf.data.Dataset.range(3).window(2).element_spec),
])
def test_iteration_matches_tf(fn):
    same_outcome_of(fn)


def test_next_past_the_end_raises_stop_iteration():
    it = iter(jaxtape.data.Dataset.range(1))
    assert int(next(it)) == 0
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(StopIteration):  # and keeps raising it
        next(it)
    it = iter(jaxtape.data.Dataset.range(1))
    it.get_next()
    with pytest.raises(jaxtape.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()


def test_each_for_loop_starts_over():
    ds = jaxtape.data.Dataset.range(3).map(lambda v: v * 2)
    assert [int(v) for v in ds] == [0, 2, 4]
    assert [int(v) for v in ds] == [0, 2, 4]


def test_map_after_batch_calls_the_function_once_per_batch():
    calls = []

    def fn(a, b):
        calls.append(tuple(a.shape))
        return a, b

    ds = jaxtape.data.Dataset.from_tensor_slices((X, Y)).batch(4).map(fn)
    traced = len(calls)  # the spec is traced when the dataset is built, as TF does
    assert [tuple(a.shape) for a, _ in ds] == [(4, 2), (2, 2)]
    assert calls[traced:] == [(4, 2), (2, 2)]


def test_map_function_sees_tensors():
    seen = []
    ds = jaxtape.data.Dataset.from_tensor_slices(X).map(lambda a: seen.append(type(a)) or a)
    list(ds)
    assert set(seen) <= {jaxtape.Tensor}


def test_untraceable_map_function_learns_its_spec_from_elements():
    def fn(v):
        return v * 2 if int(v) % 2 else v  # reads a value in Python: cannot be traced
    ds = jaxtape.data.Dataset.range(4).map(fn)
    assert repr(ds.element_spec) == "TensorSpec(shape=(), dtype=tf.int64, name=None)"
    assert [int(v) for v in ds] == [0, 2, 2, 6]


def test_a_tf_function_takes_batches_from_an_eager_loop():
    tf = jaxtape
    w = tf.Variable(tf.ones([2, 1]))

    @tf.function
    def step(a, b):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(a, w) - tf.cast(b[:, None], tf.float32)))
        g = tape.gradient(loss, w)
        w.assign_sub(0.01 * g)
        return loss

    losses = [float(step(a, b)) for a, b in tf.data.Dataset.from_tensor_slices((X, Y)).batch(3)]
    assert len(losses) == 2 and all(np.isfinite(losses))


def test_prefetch_runs_ahead_on_a_thread_and_stops_when_dropped():
    ds = jaxtape.data.Dataset.range(1000).prefetch(2)
    before = threading.active_count()
    it = iter(ds)
    assert int(next(it)) == 0
    del it
    import gc
    import time
    gc.collect()
    for _ in range(100):
        if threading.active_count() <= before:
            break
        time.sleep(0.02)
    assert threading.active_count() <= before


def test_prefetch_passes_errors_on():
    def gen():
        yield 1
        raise ValueError("boom")
    ds = jaxtape.data.Dataset.from_generator(gen, output_types=jaxtape.int32).prefetch(1)
    it = iter(ds)
    assert int(next(it)) == 1
    with pytest.raises(ValueError, match="boom"):
        next(it)


def test_cache_replays_without_running_the_input_again(tmp_path):
    runs = []

    def gen():
        runs.append(1)
        yield from range(3)

    for filename in ("", str(tmp_path / "cache")):
        runs.clear()
        ds = jaxtape.data.Dataset.from_generator(gen, output_types=jaxtape.int64).cache(filename)
        assert [int(v) for v in ds] == [0, 1, 2]
        assert [int(v) for v in ds] == [0, 1, 2]
        assert len(runs) == 1
    again = jaxtape.data.Dataset.from_generator(gen, output_types=jaxtape.int64).cache(str(tmp_path / "cache"))
    assert [int(v) for v in again] == [0, 1, 2] and len(runs) == 1  # read from the file


def test_options_merge_along_the_pipeline():
    tf = jaxtape
    a = tf.data.Options()
    a.deterministic = False
    b = tf.data.Options()
    b.threading.private_threadpool_size = 4
    ds = tf.data.Dataset.range(3).with_options(a).map(lambda v: v).with_options(b)
    opts = ds.options()
    assert opts.deterministic is False and opts.threading.private_threadpool_size == 4
    with pytest.raises(AttributeError):
        a.not_an_option = 1


def test_unimplemented_methods_name_themselves():
    with pytest.raises(NotImplementedError, match="tf.data.Dataset.snapshot"):
        jaxtape.data.Dataset.range(3).snapshot


def test_pipeline_functions_are_not_recorded_on_an_open_tape():
    tf = jaxtape
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        for v in tf.data.Dataset.range(2).map(lambda n: tf.cast(n, tf.float32) * x):
            pass
        y = x * 3.0
    assert float(tape.gradient(y, x)) == 3.0


def test_a_pure_per_element_map_before_batch_runs_vectorized_with_the_same_results():
    tf = jaxtape
    x = np.arange(40, dtype=np.uint8).reshape(10, 2, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(10)))
    mapped = ds.map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b * 2))
    assert mapped._vector is not None
    batched = [(a.numpy(), b.numpy()) for a, b in mapped.batch(4)]
    eager = [(a.numpy(), b.numpy()) for a, b in mapped]
    np.testing.assert_array_equal(np.concatenate([a for a, _ in batched]), np.stack([a for a, _ in eager]))
    np.testing.assert_array_equal(np.concatenate([b for _, b in batched]), [b for _, b in eager])
    assert [a.shape for a, _ in batched] == [(4, 2, 2), (4, 2, 2), (2, 2, 2)]


def test_random_or_variable_reading_maps_run_per_element():
    tf = jaxtape
    noisy = tf.data.Dataset.range(8).map(lambda n: tf.random.uniform([]))
    assert noisy._vector is None
    values = np.concatenate([b.numpy() for b in noisy.batch(4)])
    assert len(set(values.tolist())) == 8
    scale = tf.Variable(1.0)
    scaled = tf.data.Dataset.range(4).map(lambda n: tf.cast(n, tf.float32) * scale)
    assert scaled._vector is None
    scale.assign(10.0)
    assert np.concatenate([b.numpy() for b in scaled.batch(2)]).tolist() == [0.0, 10.0, 20.0, 30.0]
    assert float(scale) == 10.0  # tracing the function left the variable alone
