"""Tapes are per thread, and a tape lets go of what it recorded."""
import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

import jaxtape
from difftest import real_tf


def _other_thread_is_not_recorded(tf):
    x = tf.constant(2.)
    entered, computed = threading.Event(), threading.Event()
    result = {}

    def other():
        entered.wait(10)
        result["y"] = x * x  # runs while the main thread's tape is active
        computed.set()

    worker = threading.Thread(target=other)
    worker.start()
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        entered.set()
        computed.wait(10)
        own = x * 3.
    worker.join()
    return g.gradient(result["y"], x), float(g.gradient(own, x))


@pytest.mark.parametrize("tf_name", ["tensorflow", "jaxtape"])
def test_a_tape_does_not_record_other_threads(tf_name):
    tf = real_tf() if tf_name == "tensorflow" else jaxtape
    assert _other_thread_is_not_recorded(tf) == (None, 3.0)


def test_tapes_in_concurrent_threads_are_independent():
    errors = []

    def work(k):
        try:
            for i in range(15):
                x = jaxtape.constant(1.0 + i / 10)
                with jaxtape.GradientTape() as g:
                    g.watch(x)
                    y = x ** k
                got = float(g.gradient(y, x))
                want = k * (1.0 + i / 10) ** (k - 1)
                if abs(got - want) > 1e-4 * max(1.0, abs(want)):
                    errors.append((k, i, got, want))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in (1., 2., 3., 4.)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not jaxtape._src.framework.state.local.tapes


# -- memory ------------------------------------------------------------------------------

def _record(tf, persistent):
    x = tf.constant(np.linspace(0., 1., 64, dtype=np.float32))
    g = tf.GradientTape(persistent=persistent)
    with g:
        g.watch(x)
        h = tf.sin(x) * 2.
        y = tf.reduce_sum(h * h)
    return g, x, y, weakref.ref(h)


def test_non_persistent_tape_releases_recording_after_gradient():
    g, x, y, intermediate = _record(jaxtape, persistent=False)
    gc.collect()
    assert intermediate() is not None  # the recorded node keeps its input alive
    g.gradient(y, x)
    gc.collect()
    assert intermediate() is None


def test_persistent_tape_releases_recording_when_dropped():
    g, x, y, intermediate = _record(jaxtape, persistent=True)
    g.gradient(y, x)
    g.gradient(y, x)
    gc.collect()
    assert intermediate() is not None
    del g
    gc.collect()
    assert intermediate() is None


def test_tape_does_not_keep_outputs_alive():
    x = jaxtape.constant([1., 2.])
    with jaxtape.GradientTape() as g:
        g.watch(x)
        y = x * 3.
        ref = weakref.ref(y)
        del y
        gc.collect()
        assert ref() is None


TRAINING_LOOP = textwrap.dedent("""
    import gc

    import numpy as np
    import jaxtape as tf

    def rss_kib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])

    rng = np.random.default_rng(0)
    w = tf.Variable(rng.normal(size=(8, 4)).astype(np.float32))
    b = tf.Variable(np.zeros(4, np.float32))
    x = tf.constant(rng.normal(size=(16, 8)).astype(np.float32))

    def step():
        with tf.GradientTape() as g:
            y = tf.tanh(x @ w + b)
            loss = tf.reduce_mean(y * y)
        gw, gb = g.gradient(loss, [w, b])
        w.assign_sub(0.01 * gw)
        b.assign_sub(0.01 * gb)
        return loss

    for _ in range(300):
        step()
    gc.collect()
    before, objects_before = rss_kib(), len(gc.get_objects())
    for _ in range(2000):
        loss = step()
    gc.collect()
    after, objects_after = rss_kib(), len(gc.get_objects())
    print(before, after, objects_after - objects_before, float(loss))
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc (Linux)")
def test_training_loop_memory_is_flat(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(TRAINING_LOOP)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    before, after, new_objects, loss = done.stdout.split()
    before, after = int(before), int(after)
    assert np.isfinite(float(loss))
    assert after - before < 0.05 * before, f"RSS grew from {before} KiB to {after} KiB"
    # RSS hides small leaks in a large heap; a leak of one object per step shows here.
    assert int(new_objects) < 500, f"{new_objects} more live objects after 2,000 steps"
