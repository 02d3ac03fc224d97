"""The compile policy: when a plan is compiled whole (backward.run_eager),
the quick compile tier for kernels that keep meeting new shapes (tiers),
and the persistent compilation cache's switch. Counts, not timings: the
policy's clock is replaced by one that advances one unit per reading."""
import itertools
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.config import compilation_cache
from jaxtape._src.tape import backward, deferred, host_tier, tiers
from jaxtape._src.tape.primitive import Primitive


@pytest.fixture
def policy(monkeypatch):
    """Fresh caches, a unit clock, compiling predicted to cost 3 units; counts compiles."""
    compiles = []
    real = backward._compile
    monkeypatch.setattr(backward, "_compile", lambda plan, *a: compiles.append(plan.key) or real(plan, *a))
    monkeypatch.setattr(backward, "_clock", itertools.count().__next__)
    monkeypatch.setattr(backward, "_stats", backward.LRU("stats_size"))
    monkeypatch.setattr(backward, "_compiled", backward.LRU())
    # Fused gradients of pending segments (tape/deferred.py) bypass the policy:
    # none left from another test (a structure fused there runs no plan here).
    monkeypatch.setattr(deferred, "_programs", backward.LRU())
    monkeypatch.setattr(deferred, "_sightings", backward.LRU("stats_size"))
    monkeypatch.setattr(backward, "_shape_kinds", backward.LRU("stats_size"))
    monkeypatch.setitem(backward.config, "quick_plan_after", None)
    monkeypatch.setitem(backward.config, "first_whole", False)
    monkeypatch.setattr(backward, "_known_kernels", set())
    monkeypatch.setattr(backward, "_runs", itertools.count())
    monkeypatch.setattr(backward, "_learn_compile_cost", lambda plan, s: None)
    monkeypatch.setitem(backward._cost, "scale", 1.0)
    monkeypatch.setitem(backward.config, "compile_s", 3.0)
    monkeypatch.setitem(backward.config, "compile_s_per_step", 0.0)
    return compiles


def _chain_grad(ops, n=2, prims=None):
    """The gradient of a chain of multiplies (True) and adds (False) on an
    n-vector; `prims`: (multiply, add) primitives instead of TF's ops."""
    x = tf.constant(np.linspace(0.5, 1.5, n).astype(np.float32))
    mul, add = prims or (lambda a, b: a * b, lambda a, b: a + b)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for is_mul in ops:
            y = mul(y, tf.constant(np.float32(1.5))) if is_mul else add(y, tf.constant(np.float32(0.25)))
        y = tf.reduce_sum(y)
    return tape.gradient(y, x).numpy()


def _fresh_arithmetic():
    """A multiply and an add no other test has compiled for any shape."""
    return Primitive(lambda a, b: a * b, "ProbeMul"), Primitive(lambda a, b: a + b, "ProbeAdd")


def test_compiles_once_step_by_step_has_cost_what_compiling_would(policy):
    ops = (True, False, True)
    for _ in range(4):  # sighting 1 is not timed; 2-4 cost one unit each
        np.testing.assert_allclose(_chain_grad(ops), [2.25, 2.25])
    assert policy == []
    np.testing.assert_allclose(_chain_grad(ops), [2.25, 2.25])  # 3 units spent: compile
    assert len(policy) == 1
    for _ in range(3):
        np.testing.assert_allclose(_chain_grad(ops), [2.25, 2.25])
    assert len(policy) == 1


def test_no_compile_for_a_structure_met_with_new_shapes(policy):
    backward.config["compile_s"] = 0.0  # compiling free: only recurrence can stop it
    for n in range(2, 8):
        _chain_grad((True, True), n)
    assert policy == []
    _chain_grad((True, True), 7)  # the same shapes again: now it pays
    assert len(policy) == 1


def test_a_structure_meeting_new_shapes_compiles_whole_in_the_quick_tier(policy, monkeypatch):
    monkeypatch.setitem(host_tier.config, "on", False)  # it would run the new shapes
    monkeypatch.setitem(backward.config, "quick_plan_after", 2)
    monkeypatch.setitem(backward.config, "promote_after", 3)
    monkeypatch.setitem(tiers.config, "quick", {"xla_backend_optimization_level": 0})
    ops, prims = (True, False, True), _fresh_arithmetic()
    for n in range(2, 6):  # shapes 1-2 step by step, then one quick program per shape
        np.testing.assert_allclose(_chain_grad(ops, n, prims), [2.25] * n)
    assert len(policy) == 2
    for _ in range(3):  # a shape that comes back: its quick program, then the full tier
        np.testing.assert_allclose(_chain_grad(ops, 5, prims), [2.25] * 5)
    assert len(policy) == 3


def test_no_quick_program_for_a_structure_met_again_among_many(policy, monkeypatch):
    monkeypatch.setitem(host_tier.config, "on", False)  # it would run the new shapes
    monkeypatch.setitem(backward.config, "quick_plan_after", 2)
    monkeypatch.setitem(tiers.config, "quick", {"xla_backend_optimization_level": 0})
    prims = _fresh_arithmetic()
    sequences = [tuple(bool(i >> b & 1) for b in range(5)) for i in range(32)]
    for n in (2, 3, 4):  # the same op sequences on one size after another
        for ops in sequences:
            _chain_grad(ops, n, prims)
    assert policy == []  # each sequence is 1/32 of the plans: its kernels are already there
    for n in (2, 3, 4):  # one sequence meeting new sizes call after call: its third is quick
        _chain_grad((True,) * 6, n, prims)
    assert len(policy) == 1


def test_more_recurring_structures_than_the_cache_do_not_thrash(policy, monkeypatch):
    monkeypatch.setitem(backward.config, "cache_size", 2)
    structures = [(True,) * k for k in (1, 2, 3)]
    for _ in range(40):
        for ops in structures:
            np.testing.assert_allclose(_chain_grad(ops), [1.5 ** len(ops)] * 2, rtol=1e-6)
    # Recompiling an evicted structure needs twice the step time each time:
    # a few compiles each, not one per sighting after the first few.
    assert 3 <= len(policy) <= 3 * 5


def test_a_first_sighting_with_new_kernels_compiles_whole_once(policy, monkeypatch):
    monkeypatch.setitem(backward.config, "first_whole", True)
    np.testing.assert_allclose(_chain_grad((True, False, True)), [2.25, 2.25])
    assert len(policy) == 1  # Mul, AddV2, Sum VJPs all new: one program, not three kernels
    for ops in ((False, True, True), (True, True, False, False)):  # known kernels: step by step
        np.testing.assert_allclose(_chain_grad(ops), [2.25, 2.25])
    assert len(policy) == 1
    monkeypatch.setitem(backward.config, "compile_s_per_step", 10.0)  # a plan too big to pay
    x = tf.constant(np.float32(0.5))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.exp(tf.sin(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.exp(np.sin(0.5)) * np.cos(0.5),
                               rtol=1e-6)
    assert len(policy) == 1


def test_compile_by_only_for_structures_that_recur_densely(policy):
    backward.config["compile_s"] = 1e6  # step time never repays: only `compile_by` compiles
    structures = [(True,) * k for k in range(1, 21)]  # each is 1/20 of the plans run
    for _ in range(backward.config["compile_by"] + 1):
        for ops in structures:
            _chain_grad(ops)
    assert policy == []
    for _ in range(backward.config["compile_by"]):  # the same one every call: a training loop
        _chain_grad((False,) * 3)
    assert len(policy) == 1


def _fresh_kernel():
    return Primitive(lambda x, y: jnp.tanh(x * y) + x, "Probe")


def test_kernels_meeting_new_shapes_move_to_the_quick_tier_and_back(monkeypatch):
    monkeypatch.setitem(tiers.config, "varying_after", 2)
    monkeypatch.setitem(tiers.config, "window", 8)
    monkeypatch.setitem(tiers.config, "quick", {"xla_backend_optimization_level": 0})
    prim = _fresh_kernel()
    ref = jax.grad(lambda x, y: jnp.sum(jnp.tanh(x * y) + x), argnums=(0, 1))
    for n in range(1, 5):
        x = tf.constant(np.linspace(-1, 1, n).astype(np.float32))
        y = tf.constant(np.float32(0.7))
        with tf.GradientTape() as tape:
            tape.watch([x, y])
            z = tf.reduce_sum(prim(x, y))
        gx, gy = tape.gradient(z, [x, y])
        want = ref(x._value, y._value)
        np.testing.assert_allclose(gx.numpy(), want[0], rtol=1e-6)
        np.testing.assert_allclose(gy.numpy(), want[1], rtol=1e-6)
    assert isinstance(prim._fwd[()], tiers.Varying)
    assert all(isinstance(k, tiers.Varying) for k in prim._kernels.values())
    x = tf.constant(np.ones(3, np.float32))
    for _ in range(20):  # one shape over a whole window: back to the plain jit
        prim(x, x)
        tiers.wait()  # its full tier, queued at its `promote_at`th sighting, is compiled
    assert not isinstance(prim._fwd[()], tiers.Varying)


def test_a_varying_kernel_compiles_no_shape_twice(monkeypatch):
    monkeypatch.setitem(tiers.config, "quick_first", False)  # a plain jit turning `Varying`
    monkeypatch.setitem(tiers.config, "varying_after", 3)
    monkeypatch.setitem(tiers.config, "quick", {"xla_backend_optimization_level": 0})
    compiles = []

    def listen(event, _, **kw):
        if event.endswith("backend_compile_duration"):
            compiles.append(event)
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        _check_varying_compiles(compiles)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


def _check_varying_compiles(compiles):
    prim = _fresh_kernel()
    arrays = [np.ones(n, np.float32) for n in range(1, 6)]
    for a in arrays[:3]:  # the third shape makes it `Varying`
        prim(a, a)
    assert isinstance(prim._fwd[()], tiers.Varying)
    before = len(compiles)
    for _ in range(3):  # shapes the plain jit compiled, then a small one seen thrice: no compile
        for a in arrays[:3]:
            prim(a, a)
    prim(arrays[4], arrays[4])  # a new shape: one quick compile
    prim(arrays[4], arrays[4])  # small: the quick code serves its next sightings
    assert len(compiles) - before == 1


def test_no_quick_tier_when_switched_off(monkeypatch):
    monkeypatch.setitem(tiers.config, "varying_after", 1)
    monkeypatch.setitem(tiers.config, "quick", None)
    prim = _fresh_kernel()
    for n in range(1, 4):
        prim(np.ones(n, np.float32), np.ones(n, np.float32))
    assert not isinstance(prim._fwd[()], tiers.Varying)


def test_compilation_cache_directory_and_switch(tmp_path):
    home = {"XDG_CACHE_HOME": str(tmp_path)}
    assert compilation_cache.directory(home) == os.path.join(str(tmp_path), "jaxtape", "xla")
    assert compilation_cache.directory({**home, "JAXTAPE_COMPILATION_CACHE": "1"}) == \
        compilation_cache.directory(home)
    for off in ("0", "false", "OFF"):
        assert compilation_cache.directory({"JAXTAPE_COMPILATION_CACHE": off}) is None
        assert compilation_cache.enable({"JAXTAPE_COMPILATION_CACHE": off}) is None
    assert compilation_cache.directory({"JAXTAPE_COMPILATION_CACHE": "/x/y"}) == "/x/y"
    # The user's own JAX cache setting wins.
    assert compilation_cache.enable({**home, "JAX_COMPILATION_CACHE_DIR": "/elsewhere"}) is None


def test_the_cache_directory_is_trimmed_oldest_first_and_jax_runs_uncapped(tmp_path):
    # JAX's own cap walks the whole directory on every write (~0.5 s a kernel at
    # 10,000 entries): jaxtape leaves JAX uncapped and trims once per process.
    assert jax.config.jax_compilation_cache_max_size == -1
    for i in range(5):
        f = tmp_path / f"e{i}"
        f.write_bytes(b"x" * 100)
        os.utime(f, (1000 + i, 1000 + i))
    assert compilation_cache.trim(str(tmp_path), max_bytes=250) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e3", "e4"]
    assert compilation_cache.trim(str(tmp_path), max_bytes=250) == 0
    assert compilation_cache.trim(str(tmp_path / "missing")) == 0


def test_compilation_cache_is_written_in_a_fresh_process(tmp_path):
    script = ("import numpy as np, jaxtape as tf, jax\n"
              "from jaxtape._src.config import compilation_cache as c\n"
              "x = tf.constant(np.ones(3, np.float32))\n"
              "with tf.GradientTape() as t:\n"
              "    t.watch(x)\n"
              "    y = tf.reduce_sum(tf.sin(x) * x)\n"
              "t.gradient(y, x).numpy()\n"
              "print(c.state['dir'] == jax.config.jax_compilation_cache_dir, c.state['dir'])\n"
              # A kernel's second sighting queues a background compile; exit at once.
              "from jaxtape._src.tape import tiers\n"
              "tiers.config['quick_first'] = True\n"
              "tf.cos(x); tiers.gradient_done(); tf.cos(x)\n"
              "print(tiers.pending() >= 0)\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path), JAX_PLATFORMS="cpu")
    env.pop("JAXTAPE_COMPILATION_CACHE", None)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    out = run.stdout.split()
    assert out == ["True", os.path.join(str(tmp_path), "jaxtape", "xla"), "True"]
    assert any(os.scandir(out[1]))
    assert "Traceback" not in run.stderr and "Fatal" not in run.stderr  # a clean exit


def test_a_varying_kernel_called_with_constants_inside_a_function_body():
    """A kernel in the quick tier met by a tf.function body's own constants
    (no tracer among its arguments) must not pass compiler options to a nested jit."""
    for n in range(1, 12):  # `add` meets many shapes: it becomes a `Varying` kernel
        a = tf.constant(np.ones(n, np.float32))
        a + a

    @tf.function
    def f(x):
        c = tf.constant(np.ones(13, np.float32))
        return x + (c + c)

    np.testing.assert_array_equal(f(tf.ones(13)).numpy(), np.full(13, 3.0, np.float32))


# -- quick first, the full tier later (tiers.Varying young, backward._quick_then_full) --

class _Compiles:
    """XLA compiles seen by jax.monitoring, by thread: the caller's or the compile thread."""

    def __init__(self):
        self.threads = []

    def __call__(self, event, _, **kw):
        if event.endswith("backend_compile_duration"):
            import threading  # noqa: PLC0415 - only here
            self.threads.append(threading.current_thread().name)

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self)


class _Served:
    """Stands for a tier's jit in a `Varying`, counting the calls it serves."""

    def __init__(self, jitted):
        self.jitted, self.calls = jitted, 0

    def __call__(self, *args):
        self.calls += 1
        return self.jitted(*args)

    def lower(self, *args):
        return self.jitted.lower(*args)


@pytest.fixture
def quick_first(monkeypatch):
    monkeypatch.setitem(tiers.config, "quick", {"xla_backend_optimization_level": 0})
    monkeypatch.setitem(tiers.config, "quick_first", True)
    monkeypatch.setitem(tiers.config, "full_at", 2)
    monkeypatch.setitem(tiers.config, "background", True)
    yield
    tiers.wait()


def _young(prim, a):
    """The young `Varying` of `prim`'s forward after its first call, its tiers counted."""
    out = prim(a, a)
    young = prim._fwd[()]
    assert isinstance(young, tiers.Varying) and young.young
    young.quick, young.full = _Served(young.quick), _Served(young.full)
    return out, young


def test_a_new_kernel_runs_quick_then_full_compiled_in_the_background(quick_first):
    prim, a = _fresh_kernel(), np.linspace(-1, 1, 5).astype(np.float32)
    want = np.tanh(a * a) + a
    with _Compiles() as compiles:
        out, young = _young(prim, a)  # first sighting: the quick tier, on this thread
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
        prim(a, a)  # again within the same step (no gradient since): still quick only
        assert compiles.threads == ["MainThread"] and tiers.pending() == 0
        tiers.gradient_done()  # a training loop's next step
        np.testing.assert_allclose(prim(a, a).numpy(), want, rtol=1e-6)  # full queued
        assert young.quick.calls == 2 and young.full.calls == 0
        tiers.wait()
        assert tiers.pending() == 0
        assert compiles.threads == ["MainThread", "jaxtape-compile"]
        np.testing.assert_allclose(prim(a, a).numpy(), want, rtol=1e-6)  # served by the full tier
        assert young.quick.calls == 2 and young.full.calls == 1
        assert prim._fwd[()] is young.full  # handed back: the plain jit from now on
        prim(a, a)
        assert len(compiles.threads) == 2  # the full code compiled in the background served it
        b = np.ones(3, np.float32)
        prim(b, b)  # a new shape after the hand-back: the plain jit compiles it, as before
        assert len(compiles.threads) == 3


def test_full_tier_at_a_later_sighting_on_the_callers_thread(quick_first, monkeypatch):
    monkeypatch.setitem(tiers.config, "background", False)
    monkeypatch.setitem(tiers.config, "full_at", 3)
    prim, a = _fresh_kernel(), np.ones(4, np.float32)
    with _Compiles() as compiles:
        _, young = _young(prim, a)
        tiers.gradient_done()
        prim(a, a)
        assert young.quick.calls == 1 and compiles.threads == ["MainThread"]
        prim(a, a)  # the third sighting compiles the full tier on this call
        assert young.full.calls == 1 and compiles.threads == ["MainThread"] * 2
        assert tiers.pending() == 0 and prim._fwd[()] is young.full


def test_a_big_argument_queues_its_full_tier_at_the_first_sighting(quick_first, monkeypatch):
    monkeypatch.setitem(tiers.config, "big", 8)
    prim = _fresh_kernel()
    small, big = np.ones(2, np.float32), np.ones(16, np.float32)
    with _Compiles() as compiles:
        _, young = _young(prim, small)
        prim(big, big)  # quick now, full queued at once: quick code on big tensors is slow
        tiers.wait()
        assert compiles.threads.count("jaxtape-compile") == 1
        prim(big, big)
        assert young.full.calls == 1 and young.quick.calls == 1  # (the first call was uncounted)
        assert prim._fwd[()] is young  # the small shape, seen once, still has quick code only


def test_a_first_gradient_compiles_quick_and_a_training_loop_swaps_in_the_full_tier(
        policy, quick_first, monkeypatch):
    monkeypatch.setitem(backward.config, "first_whole", True)
    ops, prims = (True, False, True), _fresh_arithmetic()
    np.testing.assert_allclose(_chain_grad(ops, 3, prims), [2.25] * 3)
    assert len(policy) == 1  # the quick program (one `_compile`), served the first call
    (key, program), = backward._compiled.items()
    assert not hasattr(program, "lower")  # the quick-then-full wrapper, not a plain jit
    with _Compiles() as compiles:
        np.testing.assert_allclose(_chain_grad(ops, 3, prims), [2.25] * 3)  # full queued
        assert len(policy) == 2
        tiers.wait()
        assert compiles.threads.count("jaxtape-compile") >= 1
        before = compiles.threads.count("MainThread")
        np.testing.assert_allclose(_chain_grad(ops, 3, prims), [2.25] * 3)
        assert hasattr(backward._compiled[key], "lower")  # the full tier's plain jit now
        assert compiles.threads.count("MainThread") == before  # no compile on the caller

