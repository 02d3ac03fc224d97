"""`window_max` against `lax.reduce_window`'s max, bit for bit: values, gradients and tangents at
every tie/NaN/inf/signed-zero pattern of a 2x2 window, other window ranks, a cropped VALID
remainder, second order, vmap; the fast path is taken (no select-and-scatter in the gradient)
only where windows tile the input."""
import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jaxtape._src.ops.nn.max_window import window_max

rng = np.random.default_rng(0)
SPECIAL = [np.nan, -np.inf, -1.0, -0.0, 0.0, 1.0, np.inf]


def same(a, b):  # bitwise, NaNs and the sign of zero included
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and \
        np.array_equal(np.signbit(a), np.signbit(b))


def ref(x, window, strides, padding="VALID"):
    return lax.reduce_window(x, np.array(-np.inf, x.dtype), lax.max, window, strides, padding)


def new(x, window, strides, padding="VALID"):
    return window_max(x, np.array(-np.inf, x.dtype), window, strides, padding)


def every_2x2_window():
    """All 7**4 windows of SPECIAL values, side by side in one 2 x 4802 image."""
    wins = np.array(list(itertools.product(SPECIAL, repeat=4)), np.float32)
    x = np.zeros((1, 2, 2 * len(wins), 1), np.float32)
    x[0, 0, 0::2, 0], x[0, 0, 1::2, 0], x[0, 1, 0::2, 0], x[0, 1, 1::2, 0] = wins.T
    return jnp.asarray(x), wins


def derivatives(f, window, strides=None, padding="VALID"):
    """One jitted program: value, reverse- and forward-mode derivatives, per-example gradients."""
    strides = strides or window

    @jax.jit
    def run(x, g, t):
        y, vjp = jax.vjp(lambda a: f(a, window, strides, padding), x)
        tangent = jax.jvp(lambda a: f(a, window, strides, padding), (x,), (t,))[1]
        per_example = jax.vmap(jax.grad(lambda a: jnp.sum(f(a[None], window, strides, padding) ** 2)))(x)
        return y, vjp(g)[0], tangent, per_example
    return run


def test_every_special_2x2_window():
    x, wins = every_2x2_window()
    w = (1, 2, 2, 1)
    g = jnp.asarray(rng.normal(size=(1, 1, len(wins), 1)).astype(np.float32)).at[..., :9, :].set(-0.0)
    t = jnp.asarray(rng.normal(size=x.shape).astype(np.float32)).at[..., :9, :].set(-0.0)
    y_ref, dx_ref, t_ref, pe_ref = derivatives(ref, w)(x, g, t)
    y_new, dx_new, t_new, pe_new = derivatives(new, w)(x, g, t)
    assert same(y_ref, y_new) and same(dx_ref, dx_new) and same(pe_ref, pe_new)
    # JAX's own forward mode (select-and-gather, which lets the -inf init win) disagrees with its
    # reverse mode (select-and-scatter) on a window of only -inf; this follows the reverse mode.
    t_ref, t_new = np.asarray(t_ref)[0, 0, :, 0], np.asarray(t_new)[0, 0, :, 0]
    all_neg_inf = np.all(wins == -np.inf, axis=1)
    assert same(t_ref[~all_neg_inf], t_new[~all_neg_inf])
    (j,) = np.nonzero(all_neg_inf)[0]
    assert t_ref[j] == 0 and t_new[j] == t[0, 0, 2 * j, 0]  # its first element's


@pytest.mark.parametrize("shape, window, padding", [
    ((2, 7, 9, 3), (1, 2, 3, 1), "VALID"),        # VALID remainders cropped in both dimensions
    ((2, 6, 6, 4, 3), (1, 2, 2, 2, 1), "VALID"),  # a 3-D window
    ((3, 12, 2), (1, 3, 1), "SAME"),              # a 1-D window, SAME with nothing to pad
])
def test_ranks_and_remainders(shape, window, padding):
    x = jnp.asarray(rng.integers(-2, 3, size=shape).astype(np.float32))  # many ties
    t = jnp.asarray(rng.normal(size=shape).astype(np.float32))
    y = ref(x, window, window, padding)
    g = jnp.asarray(rng.normal(size=y.shape).astype(np.float32))
    for a, b in zip(derivatives(ref, window, None, padding)(x, g, t),
                    derivatives(new, window, None, padding)(x, g, t)):
        assert same(a, b)


def test_second_order():
    x = jnp.asarray(rng.integers(-2, 3, size=(2, 4, 6, 3)).astype(np.float32))
    t = jnp.asarray(rng.normal(size=x.shape).astype(np.float32))
    w = (1, 2, 2, 1)
    weights = jnp.asarray(rng.normal(size=(2, 2, 3, 3)).astype(np.float32))

    @functools.partial(jax.jit, static_argnums=0)
    def hvp(f):
        grad = jax.grad(lambda a: jnp.sum(f(a, w, w) ** 3 * weights))
        return jax.jvp(grad, (x,), (t,))[1], jax.grad(lambda a: jnp.sum(grad(a) * t))(x)

    for a, b in zip(hvp(ref), hvp(new)):
        assert same(a, b)


def _scatters(f, x):
    return str(jax.make_jaxpr(jax.grad(lambda a: jnp.sum(f(a))))(x)).count("select_and_scatter")


def test_fast_path_only_where_windows_tile():
    x = jnp.asarray(rng.normal(size=(2, 6, 6, 3)).astype(np.float32))
    # tiling windows, SAME with nothing to pad too: no select-and-scatter
    assert _scatters(lambda a: new(a, (1, 2, 2, 1), (1, 2, 2, 1)), x) == 0
    assert _scatters(lambda a: new(a, (1, 3, 3, 1), (1, 3, 3, 1), "SAME"), x) == 0
    # overlapping windows, padding (explicit or SAME's), a finite init: exactly lax.reduce_window
    explicit = ((0, 0), (1, 0), (0, 1), (0, 0))
    for args in [((1, 3, 3, 1), (1, 2, 2, 1), "VALID"), ((1, 2, 2, 1), (1, 2, 2, 1), explicit),
                 ((1, 4, 4, 1), (1, 4, 4, 1), "SAME")]:
        assert _scatters(lambda a: new(a, *args), x) == 1
        assert same(jax.jit(jax.grad(lambda a: jnp.sum(new(a, *args) ** 2)))(x),
                    jax.jit(jax.grad(lambda a: jnp.sum(ref(a, *args) ** 2)))(x))
    assert same(window_max(x, np.float32(0), (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
                lax.reduce_window(x, np.float32(0), lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"))
    ints = jnp.asarray(rng.integers(-5, 5, size=(2, 6, 6, 3)).astype(np.int32))
    assert same(window_max(ints, np.int32(-2**31), (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
                lax.reduce_window(ints, np.int32(-2**31), lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"))
