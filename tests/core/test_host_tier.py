"""The host tier: a kernel's first sightings of new shapes evaluated by NumPy
(jaxtape/_src/tape/host_tier.py) agree with the compiled kernel, and the
compile is skipped."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.tape import host_tier, tiers


def _key(*arrays):
    return tiers._shape_key(arrays)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _f32(*shape, seed=0):
    return jnp.asarray(_rng(seed).standard_normal(shape).astype(np.float32))


def _labels(n, classes, seed=1):
    return jnp.asarray(_rng(seed).integers(0, classes, n).astype(np.int32))


def _xent(labels, logits):
    logp = jax.nn.log_softmax(logits)
    return -jnp.take_along_axis(logp, labels[:, None], axis=1)[:, 0]


CASES = {
    "matmul + bias + relu": (lambda x, w, b: jax.nn.relu(x @ w + b),
                             lambda n: (_f32(n, 5), _f32(5, 3, seed=1), _f32(3, seed=2))),
    "batched dot_general": (lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
                            lambda n: (_f32(n, 3, 4), _f32(n, 4, 2, seed=1))),
    "softmax xent": (_xent, lambda n: (_labels(n, 4), _f32(n, 4))),
    "its gradient (gather + scatter-add)": (
        lambda y, x: jax.grad(lambda x: _xent(y, x).mean())(x), lambda n: (_labels(n, 4), _f32(n, 4))),
    "reductions": (lambda x: (x.sum(0), x.max(1), x.min(), jnp.argmax(x, 1), jnp.prod(x, 0),
                              jnp.mean(x)), lambda n: (_f32(n, 6),)),
    "shape ops": (lambda x: (x.T.reshape(-1), jnp.concatenate([x, x * 2], 0), x[1:, ::2],
                             jnp.flip(x, 0), jnp.pad(x, ((1, 2), (0, 1))), jnp.expand_dims(x, 1)),
                  lambda n: (_f32(n, 4),)),
    "elementwise": (lambda x: (jnp.exp(x), jnp.log1p(jnp.abs(x)), jnp.tanh(x), jax.nn.sigmoid(x),
                               jnp.where(x > 0, x, -x ** 3), jnp.clip(x, -0.5, 0.5), jnp.sign(x),
                               jnp.sqrt(jnp.abs(x)), jax.lax.rsqrt(jnp.abs(x) + 1), x ** 2.5),
                    lambda n: (_f32(n, 3),)),
    "cumulative": (lambda x: (jnp.cumsum(x, 0), jnp.cumprod(x, 1), jax.lax.cummax(x, 0, reverse=True)),
                   lambda n: (_f32(n, 3),)),
    "integers": (lambda a, b: (a + b, a * b, jnp.maximum(a, b), a == b, a % 7),
                 lambda n: (_labels(n, 50), _labels(n, 50, seed=3))),
    "iota and one-hot": (lambda y: jax.nn.one_hot(y, 5), lambda n: (_labels(n, 5),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_the_compiled_kernel(name):
    fn, make = CASES[name]
    before = host_tier.counts["served"]
    recent = [_key(*make(7))]
    for n in (9, 12, 30):
        args = make(n)
        got = host_tier.run(fn, args, recent)
        assert got is not host_tier.MISS, name
        want = jax.jit(fn)(*args)
        got_leaves, want_leaves = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
        assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(want)
        for g, w in zip(got_leaves, want_leaves):
            assert isinstance(g, jax.Array) and not g.committed
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-6, atol=1e-6)
    assert host_tier.counts["served"] == before + 3


def test_one_trace_per_pattern():
    fn = lambda x, w: x @ w  # noqa: E731
    w = _f32(5, 3)
    recent = [_key(_f32(4, 5), w)]
    traced = host_tier.counts["traced"]
    for n in range(6, 16):
        assert host_tier.run(fn, (_f32(n, 5), w), recent) is not host_tier.MISS
    assert host_tier.counts["traced"] == traced + 1


@pytest.mark.parametrize("case", ["committed", "float16", "unsupported primitive", "no varying dim",
                                  "weak type"])
def test_what_it_cannot_do_is_left_to_the_compiler(case):
    x = _f32(9, 3)
    fn, args, recent = (lambda a: a * 2), (x,), [_key(_f32(4, 3))]
    if case == "committed":
        args = (jax.device_put(x, jax.devices()[0]),)
    elif case == "float16":
        args = (x.astype(jnp.float16),)
        recent = [_key(_f32(4, 3).astype(jnp.float16))]
    elif case == "unsupported primitive":
        fn = jnp.sort
    elif case == "no varying dim":
        recent = [_key(x)]
    elif case == "weak type":
        args = (jax.jit(lambda: jnp.broadcast_to(2.0, (9, 3)))(),)  # ~float32[9,3]
    assert host_tier.run(fn, args, recent) is host_tier.MISS


def _mlp_step(variables):
    def step(x, y):
        w1, b1, w2, b2 = variables
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            logits = tf.matmul(h, w2) + b2
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        return [loss] + tape.gradient(loss, variables)
    return step


def test_a_new_batch_size_every_call_is_served_without_compiling(monkeypatch):
    rng = _rng(5)
    params = [rng.standard_normal((6, 8)).astype(np.float32), np.zeros(8, np.float32),
              rng.standard_normal((8, 3)).astype(np.float32), np.zeros(3, np.float32)]
    batches = [(rng.standard_normal((n, 6)).astype(np.float32),
                rng.integers(0, 3, n).astype(np.int32)) for n in range(5, 17)]
    step = _mlp_step([tf.Variable(p) for p in params])
    got = []
    for i, (x, y) in enumerate(batches):
        if i == 6:
            traces, served = tiers.counts["traces"], host_tier.counts["served"]
        got.append([t.numpy() for t in step(tf.constant(x), tf.constant(y))])
    assert tiers.counts["traces"] == traces  # no kernel compiled for the last six batch sizes
    assert host_tier.counts["served"] > served
    monkeypatch.setitem(host_tier.config, "on", False)
    ref_step = _mlp_step([tf.Variable(p) for p in params])
    for (x, y), values in zip(batches, got):
        for g, w in zip(values, ref_step(tf.constant(x), tf.constant(y))):
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-6)


def test_a_trace_reading_a_variable_keeps_it_an_input():
    # A tf.function body's variable reads are concrete arrays standing for the
    # variable: the host tier evaluating an op on one would bake the value in.
    for n in range(3, 9):  # the kernel meets new shapes: host-served from now on
        (tf.constant(np.ones(n, np.float32)) * tf.constant(np.float32(2.0))).numpy()

    @tf.function
    def doubled(v):
        return v * tf.constant(np.float32(2.0))

    v = tf.Variable(np.arange(11, dtype=np.float32))
    served = host_tier.counts["served"]
    np.testing.assert_array_equal(doubled(v).numpy(), 2 * np.arange(11))
    v.assign(np.full(11, 5.0, np.float32))
    np.testing.assert_array_equal(doubled(v).numpy(), np.full(11, 10.0))
    assert host_tier.counts["served"] == served


def test_a_trace_is_per_x64_mode():
    # Keras code runs with JAX's x64 mode off, jaxtape's own with it on: the
    # same kernel then gives other dtypes, as the compiled kernel does.
    fn = lambda x: (jnp.sum(x, axis=0), x.astype(float))  # noqa: E731
    make = lambda n: jnp.asarray(np.ones((n, 3), np.int32))  # noqa: E731
    recent = [_key(make(7))]
    for n, x64 in ((8, True), (9, False), (10, True)):
        with jax.enable_x64(x64):
            got = host_tier.run(fn, (make(n),), recent)
            want = jax.jit(fn)(make(n))
        assert got is not host_tier.MISS
        assert [g.dtype for g in got] == [w.dtype for w in want], x64


@pytest.mark.parametrize("divisor", ["scalar", "row", "elementwise"])
def test_division_has_the_compiled_kernels_bits(divisor):
    # XLA divides by a broadcast operand as a multiply by its reciprocal.
    fn = {"scalar": lambda x, c: x / c[0], "row": lambda x, c: x / c,
          "elementwise": lambda x, c: x / (c + x)}[divisor]
    make = lambda n: (_f32(n, 16), _f32(16, seed=3))  # noqa: E731
    recent = [_key(*make(7))]
    for n in (9, 40):
        got = host_tier.run(fn, make(n), recent)
        assert got is not host_tier.MISS
        np.testing.assert_array_equal(np.asarray(got), np.asarray(jax.jit(fn)(*make(n))))
