"""jaxtape's kernel cache (framework/kernel_cache.py): a fresh process reads the
kernels an earlier one compiled, with no trace, and gets bitwise the same
values; other avals or an edited source tree miss; a corrupt file falls back."""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtape._src.framework import kernel_cache
from jaxtape._src.tape import host_tier, tiers

# A small training loop: forward kernels, VJP kernels, a whole-plan backward
# (a first gradient's mostly new kernels compile whole), an update.
SCRIPT = r"""
import json, os, sys
import numpy as np
import jaxtape as tf
from jaxtape._src.framework import kernel_cache
from jaxtape._src.tape import tiers
n = int(sys.argv[1])
rng = np.random.default_rng(0)
w = tf.Variable(rng.standard_normal((5, 3)).astype(np.float32))
x = tf.constant(rng.standard_normal((n, 5)).astype(np.float32))
lr = tf.constant(np.float32(0.1))
values = []
for _ in range(3):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.tanh(tf.matmul(x, w)) + 1.0))
    g = tape.gradient(loss, w)
    w.assign(w - lr * g)
    values += [loss.numpy().tobytes().hex(), g.numpy().tobytes().hex()]
print(json.dumps({"values": values, "traces": tiers.counts["traces"],
                  "files": len(os.listdir(kernel_cache.state["dir"])), **kernel_cache.stats}))
"""


def _run(cache, n):
    env = dict(os.environ, JAXTAPE_COMPILATION_CACHE=str(cache), JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(n)], env=env, capture_output=True,
                         text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_fresh_process_reads_the_kernels_of_an_earlier_one(tmp_path):
    first = _run(tmp_path, 4)
    assert first["hits"] == 0 and first["stores"] > 5 and first["errors"] == 0
    assert first["traces"] >= first["stores"] - 1  # each stored kernel was traced (the plan not)
    second = _run(tmp_path, 4)
    assert second["traces"] == 0, second  # every kernel came from the cache
    assert second["hits"] == first["stores"] and second["errors"] == 0
    assert second["values"] == first["values"]  # bitwise
    # Kernels JAX's own cache loads are not stored (they serialize without
    # their object code); the values stay.
    for f in (tmp_path / "kernels").iterdir():
        f.unlink()
    third = _run(tmp_path, 4)
    assert third["stores"] == 0 and third["misses"] == first["stores"]
    assert third["values"] == first["values"]


def _scale(x, *, factor):  # a user's function (this module is not jaxtape's)
    return x * factor


def _double():
    return functools.partial(jnp.multiply, 2.0)


@pytest.fixture
def fresh_compiles():
    """JAX's persistent cache off (the suite may run with it on): a kernel it
    loaded would not be stored, and these tests store what they compile."""
    old = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    yield
    jax.config.update("jax_enable_compilation_cache", old)


def test_identity_is_the_definition_and_digest_holds_everything(tmp_path, monkeypatch):
    ident = kernel_cache.identity
    assert ident(functools.partial(jnp.sum, axis=1)) == ident(functools.partial(jnp.sum, axis=1))
    assert ident(functools.partial(jnp.sum, axis=1)) != ident(functools.partial(jnp.sum, axis=0))
    assert ident(functools.partial(jnp.sum, axis=1)) != ident(functools.partial(jnp.sum, axis=1.0))
    assert ident(jnp.add) is not None and ident(jnp.add) != ident(jnp.subtract)
    # A VJP kernel of a jaxtape op: a closure, by its code and what it closes over.
    from jaxtape._src.tape.primitive import Primitive  # noqa: PLC0415
    mul = Primitive(jnp.multiply, "Mul")
    vjp = ident(mul.raw_vjp((), {}, (True, True)))
    assert vjp is not None and vjp == ident(mul.raw_vjp((), {}, (True, True)))
    assert vjp != ident(mul.raw_vjp((), {}, (True, False)))
    assert vjp != ident(Primitive(jnp.add, "Mul").raw_vjp((), {}, (True, True)))
    assert ident(Primitive(_scale, "Scale").raw_vjp((), {}, (True,))) is None
    # Not jaxtape's: user functions, lambdas, objects of unknown types.
    assert ident(functools.partial(_scale, factor=2.0)) is None
    assert ident(lambda x: x) is None
    assert ident(functools.partial(jnp.sum, axis=object())) is None
    # The digest: same inputs, same name; the source tree, avals and the kernel change it.
    avals = (((3,), np.dtype(np.float32), False),)
    key = ident(functools.partial(jnp.sum, axis=0))
    d = kernel_cache._digest(key, avals)
    assert d == kernel_cache._digest(key, avals)
    assert d != kernel_cache._digest(key, (((4,), np.dtype(np.float32), False),))
    assert d != kernel_cache._digest(key, (((3,), np.dtype(np.float32), True),))
    assert d != kernel_cache._digest(ident(functools.partial(jnp.sum, axis=-1)), avals)
    monkeypatch.setitem(kernel_cache.state, "source", "an edited checkout")
    assert d != kernel_cache._digest(key, avals)


def test_a_kernel_slot_serves_then_hands_back_to_the_jit(tmp_path, monkeypatch, fresh_compiles):
    monkeypatch.setitem(host_tier.config, "on", False)  # its new shapes would not compile
    monkeypatch.setitem(kernel_cache.state, "dir", str(tmp_path))
    monkeypatch.setattr(kernel_cache, "SETTLE", 4)
    monkeypatch.setattr(kernel_cache, "WARM_AFTER", 3)
    monkeypatch.setitem(tiers.config, "background", False)  # warm on the calling thread
    fn = _double()
    x = jnp.arange(3.0, dtype=jnp.float32)
    table = {}
    tiers.jit(fn, table, "k")
    assert isinstance(table["k"], kernel_cache.Kernel)
    table["k"](x)  # a miss: compiled and stored
    assert len(os.listdir(tmp_path)) == 1
    table2 = {}
    tiers.jit(fn, table2, "k")  # as a fresh process would: the slot reads the file
    before = tiers.counts["traces"]
    slot = table2["k"]
    results = [slot(x) for _ in range(3)]  # read, then served twice: no trace
    assert tiers.counts["traces"] == before and len(slot.served) == 1
    results.append(slot(x))  # its 3rd served call warms the jit (here, on this thread)
    assert len(slot.served) == 0 and tiers.counts["traces"] == before + 1
    assert all(np.array_equal(r, x * 2) for r in results)
    for _ in range(4):
        slot(x)
    assert table2["k"] is slot.jit  # nothing left to serve: the plain jit
    # A new shape traces in the jit and puts the dispatcher back for the next one.
    table2["k"](jnp.arange(5.0, dtype=jnp.float32))
    assert table2["k"] is slot
    assert jax.numpy.array_equal(slot(jnp.arange(7.0, dtype=jnp.float32)), jnp.arange(7.0) * 2)


def test_truncated_or_corrupt_files_are_misses(tmp_path, monkeypatch, fresh_compiles):
    monkeypatch.setitem(kernel_cache.state, "dir", str(tmp_path))
    fn, x = _double(), jnp.arange(4.0, dtype=jnp.float32)
    tiers.jit(fn, {}, "k")(x)  # stored
    (path,) = tmp_path.iterdir()
    good = path.read_bytes()
    for bad in (good[:len(good) // 2], good[:-9] + b"corrupted", b"", good[:20]):
        path.write_bytes(bad)
        errors = kernel_cache.stats["errors"]
        slot = tiers.jit(fn, {}, "k")
        assert np.array_equal(slot(x), x * 2) and not slot.served  # the jit's answer
        assert kernel_cache.stats["errors"] == errors + 1
        assert path.exists()  # removed, then written again after the jit's compile
    slot = tiers.jit(fn, {}, "k")
    assert np.array_equal(slot(x), x * 2) and slot.served  # a good file again: read


def test_kernels_with_custom_calls_are_not_stored(tmp_path, monkeypatch, fresh_compiles):
    # LAPACK's QR is a custom call: a function pointer of the compiling process
    # (one stored by a process that had imported TF crashed another on load).
    monkeypatch.setitem(kernel_cache.state, "dir", str(tmp_path))
    x = jnp.ones((5, 3), jnp.float32)
    tiers.jit(functools.partial(jnp.linalg.qr, mode="reduced"), {}, "k")(x)
    assert not list(tmp_path.iterdir())
    tiers.jit(_double(), {}, "k")(x)  # a plain kernel beside it is stored
    assert len(list(tmp_path.iterdir())) == 1


def test_a_process_exiting_while_kernels_load_ahead_exits_cleanly(tmp_path):
    # A warm cache's next process loads kernels ahead on a daemon thread; one
    # that exits at once must wait for it (a daemon thread inside JAX's C++ at
    # finalization aborted the process: SIGABRT).
    _run(tmp_path, 4)
    env = dict(os.environ, JAXTAPE_COMPILATION_CACHE=str(tmp_path), JAX_PLATFORMS="cpu")
    for _ in range(2):
        code = ("import jaxtape\nfrom jaxtape._src.framework import kernel_cache as k\n"
                "k._finish()\nprint(k._thread[0] is not None and not k._thread[0].is_alive())")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0 and "terminate called" not in out.stderr, out.stderr[-500:]
        assert out.stdout.split()[-1] == "True"  # the exit hook stopped and joined it
