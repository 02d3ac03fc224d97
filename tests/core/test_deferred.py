"""Deferred execution (`tape/deferred.py`) against running every op at once.

Each test runs the same program with deferral on and off: values must be
bitwise equal where the same kernels run (a segment run op by op) and
within float tolerance where the fused forward + backward program ran.
"""
import gc
import threading
import weakref

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.tape import backward, deferred


@pytest.fixture
def defer_on():
    saved = deferred.config["on"]
    deferred.config["on"] = True
    deferred.forget()  # other tests' single-op tapes may have marked these ops
    yield
    deferred.config["on"] = saved


def both(fn, *args):
    """`fn(*args)` with deferral off, then on (a fresh call each)."""
    saved = deferred.config["on"]
    try:
        deferred.config["on"] = False
        off = fn(*args)
        deferred.config["on"] = True
        on = fn(*args)
    finally:
        deferred.config["on"] = saved
    return off, on


def _chain(x, m, n=30):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(n):
            y = y * m
    return tape, y


def test_ops_defer_and_metadata_does_not_run_them(defer_on):
    x, m = tf.constant([1.5, 2.0]), tf.constant([1.01, 0.99])
    _chain(x, m)  # first sightings run eagerly (they learn the output avals)
    tape, y = _chain(x, m)
    assert y._pending is not None
    assert y.shape == [2] and y.dtype == tf.float32 and y.ndim == 2 - 1
    assert y._pending is not None  # metadata ran nothing
    value = y.numpy()  # a read runs the segment op by op: the eager kernels
    assert y._pending is None
    deferred.config["on"] = False
    _, eager = _chain(x, m)
    np.testing.assert_array_equal(value, eager.numpy())


def test_recurring_chain_runs_fused_and_agrees(defer_on):
    x, m = tf.constant(np.float32(1.5)), tf.constant(np.float32(1.01))

    def run(calls):
        out = []
        for _ in range(calls):
            tape, y = _chain(x, m, 40)
            out.append((tape.gradient(y, x).numpy(), y.numpy()))
        return out

    deferred._programs.clear()
    deferred._sightings.clear()
    off, on = both(run, deferred.config["fuse_after"] + 4)
    assert any(progs for progs in deferred._programs.values())  # the fused program ran
    for (g0, y0), (g1, y1) in zip(off, on):
        np.testing.assert_allclose(g1, g0, rtol=1e-6)
        np.testing.assert_allclose(y1, y0, rtol=1e-6)


def test_fused_gradient_keeps_none_persistence_and_variables(defer_on):
    c = tf.constant([1, 2])

    def run(calls):
        v = tf.Variable([0.5, -1.0])
        w = tf.Variable([2.0, 3.0])  # read, but the target does not depend on it
        out = []
        for _ in range(calls):
            with tf.GradientTape(persistent=True) as tape:
                h = v * v
                z = h * tf.constant([3.0, 4.0]) + v
                _ = w * w
            g = tape.gradient(z, [v, w, c])
            g2 = tape.gradient(z, [v, w], unconnected_gradients="zero")
            out.append([None if t is None else t.numpy() for t in g + g2] + [h.numpy()])
            v.assign_sub(0.01 * g[0])
        return out

    off, on = both(run, backward.config["compile_by"] + 4)
    for a, b in zip(off, on):
        assert [t is None for t in a] == [t is None for t in b] == [False, True, True, False, False, False]
        for s, t in zip(a, b):
            if s is not None:
                np.testing.assert_allclose(t, s, rtol=1e-6)


def test_errors_are_raised_at_the_op(defer_on):
    x, m = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    _chain(x, m, 3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * m
        assert y._pending is not None
        with pytest.raises(tf.errors.InvalidArgumentError):
            y * tf.constant([1.0, 2.0, 3.0])  # new avals: run now, so it fails here


def test_nested_tapes_functions_and_stop_recording(defer_on):
    x, m = tf.constant(1.5), tf.constant(1.25)

    def second_order():
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x * m
            g = inner.gradient(y, x)
        return g.numpy(), outer.gradient(g, x).numpy()

    @tf.function
    def f(t):
        return t * m

    def others():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * m
            y2 = f(y)  # a pending input to a traced function
            with tape.stop_recording():
                z = y2 * m  # not recorded
            late = tf.constant(2.0)
            tape.watch(late)  # watch after use is fine
            u = y2 * late + z
        return [t.numpy() if t is not None else None for t in tape.gradient(u, [x, late])]

    for _ in range(3):
        off, on = both(second_order)
        np.testing.assert_array_equal(off, on)
        off, on = both(others)
        assert [t is None for t in off] == [t is None for t in on] == [False, False]
        for a, b in zip(off, on):
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=1e-6)


def test_threads_and_memory(defer_on):
    x, m = tf.constant([1.5]), tf.constant([1.01])
    _chain(x, m)
    tape, y = _chain(x, m)
    seen = []
    t = threading.Thread(target=lambda: seen.append(y.numpy()))  # read from another thread
    t.start()
    t.join()
    deferred.config["on"] = False
    np.testing.assert_array_equal(seen[0], _chain(x, m)[1].numpy())
    deferred.config["on"] = True
    # A segment keeps no result alive, and a long loop under one tape stays bounded.
    tape, y = _chain(x, m)
    mid = weakref.ref(tape._tape.nodes[5].args[0])
    tape.gradient(y, x)
    del tape
    gc.collect()
    assert mid() is None
    saved = deferred.config["max_ops"]
    deferred.config["max_ops"] = 64
    try:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(200):
                y = y * m
            seg = tape._tape.segment
            assert seg is not None and len(seg.outs) < 64
    finally:
        deferred.config["max_ops"] = saved


def test_a_recurring_forced_segment_runs_as_one_program(defer_on):
    x, m = tf.constant([1.5, 2.0]), tf.constant([1.01, 0.99])
    deferred._forward.clear()
    deferred._forward_stats.clear()

    def run(calls):
        out = []
        for _ in range(calls):
            tape, y = _chain(x, m, 20)
            del tape  # only `y` is still alive: the program outputs it alone
            out.append(y.numpy())  # a read, no gradient
        return out

    off, on = both(run, backward.config["compile_by"] + 2)
    assert [alive for progs in deferred._forward.values() for alive in progs] == [(19,)]
    np.testing.assert_allclose(on, off, rtol=1e-6)
    deferred._forward.clear()
    tape, y = _chain(x, m, 20)
    for _ in range(backward.config["compile_by"] + 2):  # a gradient's forward is never compiled alone
        tape, y = _chain(x, m, 20)
        tape.gradient(y, x)
    assert not deferred._forward


def _mlp(seed=0):
    """A tiny ReLU MLP step as a TF user writes it: (step, variables)."""
    rng = np.random.default_rng(seed)
    dims = (12, 8, 8, 3)
    variables = []
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        variables.append(tf.Variable(rng.standard_normal((n_in, n_out)).astype(np.float32)))
        variables.append(tf.Variable(np.zeros(n_out, np.float32)))
    x = tf.constant(rng.standard_normal((4, dims[0])).astype(np.float32))
    labels = tf.constant(rng.integers(0, dims[-1], 4).astype(np.int32))
    seen = []

    def step():
        w1, b1, w2, b2, w3, b3 = variables
        with tf.GradientTape() as tape:
            h1 = tf.nn.relu(tf.matmul(x, w1) + b1)
            h2 = tf.nn.relu(tf.matmul(h1, w2) + b2)
            logits = tf.matmul(h2, w3) + b3
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            seen.append(sum(t._pending is not None for t in (h1, h2, logits, loss)))
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(0.1 * g)
        return loss.numpy(), [g.numpy() for g in grads]
    return step, seen


def test_an_mlp_step_defers_every_op_and_runs_fused(defer_on):
    # The op wrappers (matmul, bias add, relu, the loss) read shapes and dtypes
    # from pending inputs without running them, so the whole step is one segment.
    deferred._programs.clear()
    deferred._sightings.clear()
    steps = deferred.config["fuse_after"] + backward.config["compile_by"] + 3

    def run():
        step, seen = _mlp()
        return [step() for _ in range(steps)], seen

    (off, _), (on, seen) = both(run)
    # All defer once their output avals are known (an op's first sighting of
    # these avals runs eagerly, unless another test in this process met them).
    assert seen[-1] == 4
    assert any(progs for progs in deferred._programs.values())  # forward + backward fused
    for (l0, g0), (l1, g1) in zip(off, on):
        np.testing.assert_allclose(l1, l0, rtol=1e-5)
        for a, b in zip(g0, g1):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    # A shape error on a pending input is still raised at the op.
    x = tf.constant(np.ones((4, 12), np.float32))
    w = tf.Variable(np.ones((12, 8), np.float32))
    for _ in range(2):
        with tf.GradientTape() as tape:
            h = tf.matmul(x, w) + 1.0
    assert h._pending is not None
    with tf.GradientTape() as tape:
        h = tf.matmul(x, w) + 1.0
        assert h._pending is not None
        with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix size-incompatible"):
            tf.matmul(h, w)


def test_a_persistent_tape_holds_no_more_per_op_than_without_deferral(defer_on):
    import tracemalloc
    x, c = tf.constant(np.ones(16, np.float32)), tf.constant(np.full(16, 1.0001, np.float32))

    def held(n=2000):
        def record():
            tape = tf.GradientTape(persistent=True)
            with tape:
                tape.watch(x)
                y = x
                for _ in range(n):
                    y = y * c
            return tape, y
        record()  # first sightings, caches
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            kept = record()
            gc.collect()
            return (tracemalloc.get_traced_memory()[0] - base) / n, kept
        finally:
            tracemalloc.stop()

    (off, _), (on, (tape, y)) = both(held)
    # Deferral's own bookkeeping is gone once a segment has run; what remains is
    # its arrays' slightly deeper creation tracebacks (~32 B).
    assert on <= off + 64, (on, off)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.full(16, 1.0001 ** 2000, np.float32), rtol=1e-3)


# -- the update after a fused gradient (`deferred.Tail`) ----------------------

def _sgd_problem():
    rng = np.random.default_rng(1)
    dims = (12, 8, 8, 3)
    params = []
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        params.append(rng.standard_normal(n_out).astype(np.float32) * 0.1)
    x = tf.constant(rng.standard_normal((4, 12)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 3, 4).astype(np.int32))
    return params, x, labels


def _sgd(steps, between=None):
    """`steps` SGD steps of a small MLP; `between(i, variables, grads)` runs
    after each step's update. Returns the losses and the final variables."""
    params, x, labels = _sgd_problem()
    variables = [tf.Variable(p) for p in params]
    losses = []
    for i in range(steps):
        with tf.GradientTape() as tape:
            w1, b1, w2, b2, w3, b3 = variables
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            h = tf.nn.relu(tf.matmul(h, w2) + b2)
            logits = tf.matmul(h, w3) + b3
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(0.1 * g)
        if between is not None:
            between(i, variables, grads)
        losses.append(loss)
    return [t.numpy() for t in losses], [v.numpy() for v in variables]


@pytest.fixture
def tail_soon(defer_on, monkeypatch):
    """Fused gradients (and so tails) after a few steps, not `fuse_after`."""
    monkeypatch.setitem(deferred.config, "fuse_after", 2)
    monkeypatch.setitem(deferred.config, "tail", True)


WARM = backward.config["compile_by"] + 2 + deferred.config["tail_after"] + 2


def _agree(off, on, rtol=1e-5):
    for a, b in zip(off[0] + off[1], on[0] + on[1]):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-6)


def test_the_update_defers_and_the_step_runs_as_one_program(tail_soon):
    def run():
        seen = []

        def between(i, variables, grads):
            if i >= WARM:
                # The update is pending: the variables' values and the gradients are
                # outputs of the step's program, which has not run yet.
                seen.append((all("_value" not in v.__dict__ for v in variables),
                             all(g._pending is not None for g in grads), dict(deferred.counts)))
        return _sgd(WARM + 5, between), seen

    (off, off_seen), (on, seen) = both(run)
    _agree(off, on)
    assert not any(pending or grads for pending, grads, _ in off_seen)
    assert seen and all(pending and grads for pending, grads, _ in seen)
    # From one step to the next: the previous step ran as one program (forward,
    # backward and update), read by this step's forward, and nothing op by op.
    for (_, _, a), (_, _, b) in zip(seen, seen[1:]):
        assert (b["whole"] - a["whole"], b["ops"] - a["ops"]) == (1, 0)


def test_reads_between_steps_see_the_update(tail_soon, tmp_path):
    def reads(i, variables, grads):
        w1, b1 = variables[0], variables[1]
        if i % 3 == 0:
            out.append(b1.numpy())  # a variable read
        elif i % 3 == 1:
            out.append(str(grads[1]))  # printing a gradient runs its program, not its update's reads
            out.append(repr(b1))
        else:
            got = []
            t = threading.Thread(target=lambda: got.append(w1.numpy()))  # another thread
            t.start()
            t.join()
            out.append(got[0])

    out = []
    off = _sgd(WARM + 6, reads)
    off_reads, out = out, []
    on = _sgd(WARM + 6, reads)
    _agree(off, on)
    assert len(off_reads) == len(out)
    for a, b in zip(off_reads, out):
        if isinstance(a, str):
            assert a.split("numpy=")[0] == b.split("numpy=")[0]
        else:
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_function_and_a_checkpoint_read_a_pending_write(tail_soon, tmp_path):
    def run():
        @tf.function
        def doubled(v):
            return v * 2.0

        seen = {"doubled": [], "restored": []}

        def between(i, variables, grads):
            b1 = variables[1]
            if i < WARM:
                return
            assert ("_value" not in b1.__dict__) == deferred.config["on"]  # pending
            # Either first, while the write is pending: a traced (then called)
            # function reading the variable, a checkpoint saving it.
            if i % 2:
                seen["doubled"].append(doubled(b1).numpy())
            path = str(tmp_path / f"ckpt{deferred.config['on']}{i}")
            tf.train.Checkpoint(b1=b1).write(path)
            if not i % 2:
                seen["doubled"].append(doubled(b1).numpy())
            fresh = tf.Variable(np.zeros_like(b1.numpy()))
            tf.train.Checkpoint(b1=fresh).read(path)
            seen["restored"].append(fresh.numpy())

        return _sgd(WARM + 4, between), seen["doubled"], seen["restored"]

    off, on = both(run)
    _agree(off[0], on[0])
    for run_ in (off, on):
        for a, b in zip(run_[1], run_[2]):  # the function read what the checkpoint saved
            np.testing.assert_allclose(a, 2 * b, rtol=1e-6)
    for a, b in zip(off[1] + off[2], on[1] + on[2]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_read_held_across_an_update_keeps_its_value(tail_soon):
    def run():
        held = {}

        def between(i, variables, grads):
            if i == WARM:
                held["read"] = variables[0].read_value()
                held["value"] = variables[0].numpy()

        result = _sgd(WARM + 4, between)
        np.testing.assert_array_equal(held["read"].numpy(), held["value"])
        return result

    copied = deferred.counts["copied"]
    off, on = both(run)
    # The update that would have written into the held array's buffer got a copy.
    assert deferred.counts["copied"] == copied + 1
    _agree(off, on)


def test_a_bad_write_raises_at_the_assign_and_later_writes_supersede(tail_soon):
    def between(i, variables, grads):
        if i < WARM:
            return
        w1, b1, w2 = variables[:3]
        # TF's errors, at the assign (the pending value's shape is known).
        with pytest.raises(tf.errors.InvalidArgumentError, match="shapes must be equal"):
            b1.assign_sub(0.1 * grads[0])
        with pytest.raises(ValueError, match="Shape mismatch"):
            b1.assign(0.1 * grads[0])
        # A second pending write chains on the first; a concrete one supersedes it.
        b1.assign_add(0.5 * grads[1])
        w2.assign(np.full((8, 8), float(i), np.float32))
        assert "_value" in w2.__dict__

    off, on = both(_sgd, WARM + 3, between)
    _agree(off, on)
    np.testing.assert_array_equal(on[1][2], np.full((8, 8), WARM + 2.0, np.float32))


def test_tails_switch_off(tail_soon, monkeypatch):
    monkeypatch.setitem(deferred.config, "tail", False)
    before = dict(deferred.counts)
    off, on = both(_sgd, WARM + 2)
    _agree(off, on)
    assert deferred.counts == before


def test_a_pending_tensor_read_inside_a_trace_gets_a_concrete_value(defer_on):
    import jax
    x, m = tf.constant([1.5, 2.0]), tf.constant([1.01, 0.99])
    for i in range(3):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * m
            pending = y._pending is not None

            @tf.function
            def f():
                return y * 2.0  # `y` is captured: read while the trace runs

            z = f()
        assert not isinstance(y._value, jax.core.Tracer)  # no tracer leaked into it
        np.testing.assert_allclose(tape.gradient(z, x).numpy(), [2.02, 1.98], rtol=1e-6)
    assert pending
