"""tf.math.approx_max_k / approx_min_k / tf.approx_top_k and tf.math.sobol_sample against real TF.

TF's CPU kernel for ApproxTopK covers only the max over the last axis (min,
or another `reduction_dimension`, raises NotFoundError eagerly); those are
compared with TF under XLA (`jit_compile=True`), which computes them exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import check, real_tf, same_outcome

RNG = np.random.default_rng(9)
X = RNG.standard_normal((3, 4, 7)).astype(np.float32)
TIES = np.array([[3.0, 1.0, 2.0, 5.0, 5.0], [0.0, -1.0, 7.0, 2.0, 2.0], [-0.0, 0.0, 0.0, np.nan, 1.0]], np.float32)


def test_approx_max_k_values_indices_and_gradients():
    check(lambda tf, x: tuple(tf.math.approx_max_k(x, 3)), X)
    check(lambda tf, x: tuple(tf.math.approx_max_k(x, 2, recall_target=0.5, aggregate_to_topk=False,
                                                   reduction_input_size_override=100)), X)
    check(lambda tf, x: tuple(tf.approx_top_k(x, 4)), X)
    check(lambda tf, x: tuple(tf.nn.approx_max_k(x, 0)), X)
    same_outcome(lambda tf: tf.math.approx_max_k(tf.constant(TIES), 3))
    same_outcome(lambda tf: tf.math.approx_max_k(tf.constant(TIES, tf.bfloat16), 2))
    same_outcome(lambda tf: tf.math.approx_max_k(tf.constant(TIES, tf.float16), 2))


def test_approx_max_k_inside_tf_function():
    same_outcome(lambda tf: tf.function(lambda a: tf.math.approx_max_k(a, 2))(tf.constant(X)))


@pytest.mark.parametrize("call", [
    lambda tf, x: tf.math.approx_min_k(x, 3),
    lambda tf, x: tf.math.approx_min_k(x, 2, reduction_dimension=1),
    lambda tf, x: tf.math.approx_max_k(x, 2, reduction_dimension=0),
    lambda tf, x: tf.approx_top_k(x, 3, reduction_dimension=-2, is_max_k=False),
    lambda tf, x: tf.nn.approx_min_k(x, 1, reduction_dimension=-3),
])
def test_exact_top_k_variants_match_tf_under_xla(call):
    tf = real_tf()
    want = tf.function(lambda a: call(tf, a), jit_compile=True)(tf.constant(X))
    got = call(jaxtape, jaxtape.constant(X))
    for g, w in zip(got, want):
        assert g.dtype.name == w.dtype.name and tuple(g.shape) == tuple(w.shape)
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_approx_min_k_gradient_scatters_to_chosen_entries():
    x = jaxtape.constant(X)
    with jaxtape.GradientTape() as tape:
        tape.watch(x)
        values, indices = jaxtape.math.approx_min_k(x, 2)
        loss = jaxtape.reduce_sum(values * 3.0)
    g = tape.gradient(loss, x).numpy()
    want = np.zeros_like(X)
    np.put_along_axis(want, np.argsort(X, axis=-1)[..., :2], 3.0, axis=-1)
    np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("fn", [
    lambda tf: tf.math.approx_max_k(tf.constant(X), 8),
    lambda tf: tf.math.approx_max_k(tf.constant(X), -1),
    lambda tf: tf.math.approx_max_k(tf.constant(X, tf.float64), 2),
    lambda tf: tf.math.approx_max_k(tf.constant([1, 2, 3]), 2),
    lambda tf: tf.math.approx_max_k(tf.constant(1.0), 1),
    lambda tf: tf.math.approx_max_k(tf.constant(X), 2, recall_target=1.5),
])
def test_approx_top_k_errors_match_tf(fn):
    same_outcome(fn)


# -- sobol_sample ---------------------------------------------------------------------

@pytest.mark.parametrize("dim,count,skip", [(1, 10, 0), (3, 1000, 0), (21200, 3, 0), (300, 77, 5),
                                            (50, 50, 2 ** 29 + 5), (40, 120, 2 ** 30 - 100),
                                            (21200, 2, 2 ** 30 + 7), (5, 38, 2 ** 31 - 40)])
def test_sobol_sample_equals_tf_exactly(dim, count, skip):
    tf = real_tf()
    for dtype in ("float32", "float64"):
        want = tf.math.sobol_sample(dim, count, skip=skip, dtype=dtype)
        got = jaxtape.math.sobol_sample(dim, count, skip=skip, dtype=dtype)
        assert got.dtype.name == want.dtype.name and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_sobol_sample_with_tensor_arguments_and_in_tf_function():
    same_outcome(lambda tf: tf.math.sobol_sample(tf.constant(4), tf.constant(6), tf.constant(3)))
    same_outcome(lambda tf: tf.function(lambda: tf.math.sobol_sample(2, 5, dtype=tf.float64))())


@pytest.mark.parametrize("fn", [
    lambda tf: tf.math.sobol_sample(0, 1), lambda tf: tf.math.sobol_sample(21201, 1),
    lambda tf: tf.math.sobol_sample(2, 0), lambda tf: tf.math.sobol_sample(2, -1),
    lambda tf: tf.math.sobol_sample(2, 2, skip=-1), lambda tf: tf.math.sobol_sample(2, 2, skip=2 ** 31 - 2),
    lambda tf: tf.math.sobol_sample(2, 1, dtype=tf.float16), lambda tf: tf.math.sobol_sample(2, 1, dtype=tf.int32),
    lambda tf: tf.math.sobol_sample(2.0, 2), lambda tf: tf.math.sobol_sample(tf.constant([2]), 2),
    lambda tf: tf.math.sobol_sample(tf.constant(2, tf.int64), 2),
    lambda tf: tf.math.sobol_sample(2, tf.constant([2])),
])
def test_sobol_sample_errors_match_tf(fn):
    same_outcome(fn)
