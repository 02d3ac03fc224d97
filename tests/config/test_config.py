"""`tf.config`, `tf.device` and `tf.test`'s GPU queries against real TensorFlow (CPU-only)."""
from __future__ import annotations

import pytest

import jaxtape
from difftest import real_tf, same_values


def test_device_lists_print_as_tf():
    def lists(tf):
        c = tf.config
        return [repr(x) for x in (c.list_physical_devices(), c.list_physical_devices("CPU"),
                                  c.list_physical_devices("GPU"), c.list_physical_devices("cpu"),
                                  c.list_logical_devices(), c.list_logical_devices("GPU"),
                                  c.get_visible_devices("CPU"), c.experimental.list_physical_devices("TPU"))]
    same_values(lists)


def test_device_fields_and_details():
    def fields(tf):
        d = tf.config.list_physical_devices("CPU")[0]
        return d.name, d.device_type, tuple(d), tf.config.experimental.get_device_details(d)
    same_values(fields)


def test_memory_growth_on_cpu_raises_as_tf():
    tf = real_tf()
    for mod in (tf, jaxtape):
        cpu = mod.config.list_physical_devices("CPU")[0]
        with pytest.raises(ValueError, match="Cannot set memory growth on non-GPU"):
            mod.config.experimental.set_memory_growth(cpu, True)
        with pytest.raises(KeyError):
            mod.config.experimental.get_memory_growth(cpu)
        with pytest.raises(ValueError, match="Allocator stats not available for device 'CPU:0'"):
            mod.config.experimental.get_memory_info("CPU:0")
        with pytest.raises(ValueError, match="No matching devices found for 'GPU:0'"):
            mod.config.experimental.get_memory_info("GPU:0")


def test_hiding_gpus_is_accepted(monkeypatch):
    import jax
    from jaxtape._src.config import devices
    monkeypatch.setattr(devices, "_visible", None)  # the test's change stays inside it
    try:
        for mod in (real_tf(), jaxtape):
            assert mod.config.set_visible_devices([], "GPU") is None
            assert mod.config.get_visible_devices("GPU") == []
        assert jaxtape.constant(1.0).device.endswith("CPU:0")
    finally:
        jax.config.update("jax_default_device", None)


def test_jit_and_eager_switches_round_trip_as_tf():
    def switches(tf):
        out = [tf.config.optimizer.get_jit(), tf.config.functions_run_eagerly(),
               tf.config.get_soft_device_placement()]
        for value in (True, "autoclustering", False):
            tf.config.optimizer.set_jit(value)
            out.append(tf.config.optimizer.get_jit())
        tf.config.run_functions_eagerly(True)
        out.append(tf.config.functions_run_eagerly())
        tf.config.run_functions_eagerly(False)
        out.append(tf.config.functions_run_eagerly())
        return out
    same_values(switches)


def test_threading_settings_are_recorded():
    # TF refuses them once its runtime has started; XLA picks its own pools, so jaxtape records them.
    t = jaxtape.config.threading
    assert t.get_intra_op_parallelism_threads() == real_tf().config.threading.get_intra_op_parallelism_threads() == 0
    t.set_intra_op_parallelism_threads(2)
    t.set_inter_op_parallelism_threads(3)
    try:
        assert (t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads()) == (2, 3)
    finally:
        t.set_intra_op_parallelism_threads(0)
        t.set_inter_op_parallelism_threads(0)


@pytest.mark.parametrize("name", ["/GPU:0", "/cpu:0", "/device:CPU:0", "GPU:1", "/TPU:0",
                                  "/job:localhost/replica:0/task:0/device:CPU:0", "/gpu:*"])
def test_device_scope_places_tensors_as_tf(name):
    def placed(tf):
        with tf.device(name):
            x = tf.constant([1.0, 2.0])
            y = x * 2
        return x.device, y.device, y
    same_values(placed)


@pytest.mark.parametrize("name", ["/bogus", 3])
def test_bad_device_names_raise_as_tf(name):
    tf = real_tf()
    messages = []
    for mod in (tf, jaxtape):
        with pytest.raises(ValueError) as info:
            with mod.device(name):
                pass
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_gpu_queries_on_a_cpu_machine():
    def queries(tf):
        return (tf.test.is_gpu_available(), tf.test.is_gpu_available(cuda_only=True),
                tf.test.gpu_device_name())
    same_values(queries)
    assert isinstance(jaxtape.test.is_built_with_cuda(), bool)


def test_run_functions_eagerly_runs_the_python_function_each_call():
    def body(tf):
        seen = []
        v = tf.Variable(1.0)

        @tf.function
        def f(x):
            seen.append(float(x.numpy()))  # .numpy() works only when run eagerly
            v.assign_add(x)
            return x * 2 + v

        tf.config.run_functions_eagerly(True)
        try:
            flags = [tf.config.functions_run_eagerly()]
            out = [f(tf.constant(1.0)), f(tf.constant(2.0)), f(tf.constant(2.0))]
            counts = [f.experimental_get_tracing_count()]
        finally:
            tf.config.run_functions_eagerly(False)
        flags.append(tf.config.functions_run_eagerly())
        g = tf.function(lambda x: x + 1)
        try:
            g(tf.constant(1.0)).numpy()
            inside = tf.function(lambda x: x.numpy())(tf.constant(1.0))
        except Exception as e:  # noqa: BLE001 - compiled again: .numpy() fails as TF's does
            inside = type(e).__name__
        return [flags, out, seen, counts, v, inside]
    same_values(body)
