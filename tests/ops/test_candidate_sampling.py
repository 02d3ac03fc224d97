"""Candidate samplers, compute_accidental_hits, nce_loss and sampled_softmax_loss
against real TensorFlow. The candidates come from JAX's generator (other
numbers than TF's), but the expected counts are deterministic given the
candidates and are compared with TF's exactly; the losses are compared,
values and gradients, with the same `sampled_values` passed to both."""
import numpy as np
import pytest

import jaxtape as jt
from jaxtape._src.ops.nn import candidate_sampling as cs
from difftest import check, check_raises, real_tf, same_error, same_values

TC = [[1, 2], [3, 7]]
UNIGRAMS = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def _np(result):
    return [np.asarray(x.numpy()) for x in result]


def _exact(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _fresh_learned(tf, unique):
    tf.random.set_seed(7)  # a global seed alone: a new kernel (fresh counts) each call, in both
    try:
        return tf.random.learned_unigram_candidate_sampler(TC, 2, 3, unique, 10)
    finally:
        tf.random.set_seed(None)


SAMPLERS = [
    lambda tf, u: tf.random.uniform_candidate_sampler(TC, 2, 5, u, 10, seed=3),
    lambda tf, u: tf.random.log_uniform_candidate_sampler(TC, 2, 7, u, 10, seed=3),
    lambda tf, u: tf.random.log_uniform_candidate_sampler([[0], [5], [999]], 1, 40, u, 1000, seed=4),
    lambda tf, u: tf.random.fixed_unigram_candidate_sampler(TC, 2, 5, u, 10, unigrams=UNIGRAMS,
                                                            distortion=0.75, seed=1),
    lambda tf, u: tf.random.fixed_unigram_candidate_sampler(TC, 2, 5, u, 12, unigrams=UNIGRAMS,
                                                            num_reserved_ids=2, seed=1),
    lambda tf, u: tf.random.fixed_unigram_candidate_sampler([[1, 2], [3, 4]], 2, 3, u, 6, unigrams=UNIGRAMS,
                                                            num_reserved_ids=3, num_shards=2, shard=1),
    lambda tf, u: _fresh_learned(tf, u),
    lambda tf, u: tf.nn.fixed_unigram_candidate_sampler(TC, 2, 3, u, 10, unigrams=UNIGRAMS, distortion=0.3),
]


@pytest.mark.parametrize("unique", [False, True])
@pytest.mark.parametrize("i", range(len(SAMPLERS)))
def test_outputs_types_shapes_dtypes(i, unique):
    tf = real_tf()
    want, got = SAMPLERS[i](tf, unique), SAMPLERS[i](jt, unique)
    assert type(got).__name__ == type(want).__name__ and got._fields == want._fields
    for g, w in zip(got, want):
        assert (g.dtype.name, tuple(g.shape)) == (w.dtype.name, tuple(w.shape))


@pytest.mark.parametrize("i", range(len(SAMPLERS)))
def test_expected_counts_without_unique_equal_tfs(i):
    # Without `unique`, a class's expected count is p * num_sampled: the true
    # classes' counts are TF's exactly, and the sampled ones follow the same rule.
    tf = real_tf()
    jt.random.set_seed(None)
    want, got = _np(SAMPLERS[i](tf, False)), _np(SAMPLERS[i](jt, False))
    _exact(got[1], want[1])
    assert got[0].dtype == np.int64
    # TF's rule on jaxtape's candidates: a class's count is the same wherever it appears
    lookup = {}
    for c, e in zip(np.concatenate([want[0], got[0]]), np.concatenate([want[2], got[2]])):
        assert lookup.setdefault(int(c), e) == e


TRUE = {2: [[0], [5], [999]], 5: [[1, 2], [3, 4]]}


@pytest.mark.parametrize("i", range(len(SAMPLERS) - 2))
def test_unique_expected_counts_follow_tfs_formula_exactly(i):
    # With unique=True, TF's counts are -expm1(num_tries * log1p(-p)) for its
    # (unseen) number of tries: jaxtape's formula must give TF's numbers for
    # TF's candidates and true classes at one number of tries, bit for bit.
    tf = real_tf()
    want = _np(SAMPLERS[i](tf, True))
    n = len(want[0])
    sampler = _jaxtape_sampler(i)
    found = [t for t in range(n, 400)
             if np.array_equal(cs._expected_count(sampler.probability(want[0]), n, t), want[2])]
    assert found, "no number of tries reproduces TF's sampled_expected_count"
    true = np.asarray(TRUE.get(i, TC), np.int64)
    _exact(cs._expected_count(sampler.probability(true), n, found[0]), want[1])


def _jaxtape_sampler(i):
    if i in (0,):
        return cs._Uniform(10)
    if i in (1,):
        return cs._LogUniform(10)
    if i == 2:
        return cs._LogUniform(1000)
    captured = {}
    real_run = cs._run

    def spy(op, sampler, *args, **kw):
        captured["s"] = sampler
        return real_run(op, sampler, *args, **kw)
    cs._run = spy
    try:
        SAMPLERS[i](jt, False)
    finally:
        cs._run = real_run
    return captured["s"]


def test_unique_rejection_counts_tries():
    # 10 classes, 10 distinct samples: TF's count is 1 - (1 - 0.1) ** tries > p * 10.
    out = _np(jt.random.uniform_candidate_sampler(TC, 2, 10, True, 10, seed=2))
    assert sorted(out[0].tolist()) == list(range(10))
    tries = [t for t in range(10, 1000)
             if np.array_equal(cs._expected_count(np.full(10, 0.1, np.float32), 10, t), out[2])]
    assert tries and tries[0] > 10
    np.testing.assert_array_equal(out[1], np.full((2, 2), out[2][0]))


def test_all_candidate_sampler_equals_tf():
    same_values(lambda tf: tuple(tf.random.all_candidate_sampler(TC, 2, 8, True)))
    same_values(lambda tf: tuple(tf.nn.all_candidate_sampler([[0], [3]], 1, 4, False)))


def test_learned_unigram_counts_evolve_like_tfs():
    # The kernel's counts persist while its seeds do: a fixed op seed, or no seeds at all.
    def seq(tf):
        outs = [tf.random.learned_unigram_candidate_sampler(TC, 2, 3, False, 10, seed=5)[1] for _ in range(3)]
        tf.random.set_seed(1)
        outs += [tf.random.learned_unigram_candidate_sampler(TC, 2, 3, False, 10)[1] for _ in range(2)]
        outs += [tf.random.learned_unigram_candidate_sampler(TC, 2, 3, False, 10, seed=9)[1] for _ in range(2)]
        tf.random.set_seed(None)
        return outs
    got = same_values(seq, rtol=0, atol=0)
    assert got[0] != got[1]


def test_fixed_unigram_vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("".join(f"w{i},{c}\n" for i, c in enumerate([5, 1, 3, 2, 8, 4])))
    same_values(lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TC, 2, 4, False, 8, vocab_file=str(path), num_reserved_ids=2, distortion=0.5)[1], rtol=0, atol=0)


def test_sample_frequencies():
    jt.random.set_seed(3)
    s = jt.random.log_uniform_candidate_sampler([[0]], 1, 20000, False, 50, seed=1)[0].numpy()
    freq = np.bincount(s, minlength=50) / len(s)
    p = np.log((np.arange(50) + 2.0) / (np.arange(50) + 1.0)) / np.log(51.0)
    assert np.abs(freq - p).max() < 0.015
    u = jt.random.uniform_candidate_sampler([[0]], 1, 20000, False, 7, seed=2)[0].numpy()
    assert np.abs(np.bincount(u, minlength=7) / 20000 - 1 / 7).max() < 0.015
    f = jt.random.fixed_unigram_candidate_sampler([[0]], 1, 20000, False, 6, unigrams=[0, 1, 2, 3, 4, 0],
                                                  seed=3)[0].numpy()
    np.testing.assert_allclose(np.bincount(f, minlength=6) / 20000, np.array([0, 1, 2, 3, 4, 0]) / 10, atol=0.015)
    q = jt.random.fixed_unigram_candidate_sampler([[0]], 1, 4, True, 6, unigrams=[0, 1, 2, 3, 4, 0],
                                                  seed=4)[0].numpy()
    assert sorted(q.tolist()) == [1, 2, 3, 4]
    jt.random.set_seed(None)


def test_seeding_is_deterministic():
    jt.random.set_seed(5)
    a = _np(jt.random.log_uniform_candidate_sampler(TC, 2, 6, True, 30))
    jt.random.set_seed(5)
    b = _np(jt.random.log_uniform_candidate_sampler(TC, 2, 6, True, 30))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert len(set(a[0].tolist())) == 6
    jt.random.set_seed(None)


@pytest.mark.parametrize("fn", [
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant(TC, tf.int64), 2, 11, True, 10),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant(TC, tf.int64), 3, 5, True, 10),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant([1, 2], tf.int64), 1, 5, True, 10),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant([[1, 2]], tf.int32), 2, 5, True, 10),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 5),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 0),
    lambda tf: tf.random.uniform_candidate_sampler(tf.constant(TC, tf.int64), 2, 0, True, 10),
    lambda tf: tf.random.log_uniform_candidate_sampler(tf.constant(TC, tf.int64), 0, 5, True, 10),
    lambda tf: tf.random.log_uniform_candidate_sampler(tf.constant([[-1, 2]], tf.int64), 2, 5, True, 10),
    lambda tf: tf.random.learned_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 11, True, 10),
    lambda tf: tf.random.learned_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, False, 6),
    lambda tf: tf.random.all_candidate_sampler(tf.constant(TC, tf.int64), 2, 7, True),
    lambda tf: tf.random.all_candidate_sampler(tf.constant(TC, tf.int64), 2, 0, True),
    lambda tf: tf.random.fixed_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 11,
                                                         unigrams=UNIGRAMS),
    lambda tf: tf.random.fixed_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 10),
    lambda tf: tf.random.fixed_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 10,
                                                         unigrams=UNIGRAMS, vocab_file="/tmp/x"),
    lambda tf: tf.random.fixed_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 10,
                                                         vocab_file="/nonexistent/vocab"),
    lambda tf: tf.random.fixed_unigram_candidate_sampler(tf.constant(TC, tf.int64), 2, 5, True, 10,
                                                         unigrams=UNIGRAMS, shard=2, num_shards=2),
    lambda tf: tf.nn.compute_accidental_hits(tf.constant(TC, tf.int64), tf.constant([1, 3], tf.int64), 3),
    lambda tf: tf.nn.compute_accidental_hits(tf.constant(TC, tf.int64), tf.constant([[1, 3]], tf.int64), 2),
    lambda tf: tf.nn.compute_accidental_hits(tf.constant([[1, 3]], tf.int32), tf.constant([1, 3], tf.int64), 2),
    lambda tf: tf.nn.compute_accidental_hits(tf.constant([[1, 3]], tf.int64), tf.constant([1, 3], tf.int32), 2),
])
def test_errors_match_tf(fn):
    same_error(fn)


def test_attr_minimum_error():
    # TF's text for this one can come back empty after other failed calls; compare its type
    got, _ = check_raises(lambda tf: tf.random.fixed_unigram_candidate_sampler(
        tf.constant(TC, tf.int64), 2, 5, True, 10, unigrams=UNIGRAMS, shard=-1))
    assert str(got).startswith("Value for attr 'shard' of -1 must be at least minimum 0\n\t; NodeDef: "
                               "{{node FixedUnigramCandidateSampler}}")


def test_compute_accidental_hits_equals_tf():
    same_values(lambda tf: tuple(tf.nn.compute_accidental_hits(
        tf.constant(TC, tf.int64), tf.constant([1, 3, 1, 5, 7, 7], tf.int64), 2)), rtol=0, atol=0)
    same_values(lambda tf: tuple(tf.nn.compute_accidental_hits([[1, 1]], [1, 3], 2)), rtol=0, atol=0)
    same_values(lambda tf: tuple(tf.nn.compute_accidental_hits([[4], [5]], [1, 3], 1)), rtol=0, atol=0)


# -- losses ---------------------------------------------------------------------------

RNG = np.random.default_rng(0)
W = RNG.normal(size=(12, 4)).astype(np.float32)
B = RNG.normal(size=(12,)).astype(np.float32)
X = RNG.normal(size=(3, 4)).astype(np.float32)
LABELS1 = np.array([[1], [5], [11]], np.int64)
LABELS2 = np.array([[1, 2], [5, 0], [11, 3]], np.int64)
SAMPLED = np.array([2, 5, 7, 0, 9], np.int64)
SEC = np.array([0.3, 0.5, 0.2, 0.9, 0.4], np.float32)


def _tec(labels):
    return (0.1 + 0.05 * np.arange(labels.size, dtype=np.float32)).reshape(labels.shape)


@pytest.mark.parametrize("loss", ["nce_loss", "sampled_softmax_loss"])
@pytest.mark.parametrize("labels", [LABELS1, LABELS2], ids=["num_true1", "num_true2"])
@pytest.mark.parametrize("remove", [False, True])
def test_losses_equal_tfs_values_and_gradients(loss, labels, remove):
    def fn(tf, w, b, x, tec, sec):
        return getattr(tf.nn, loss)(w, b, tf.constant(labels), x, num_sampled=5, num_classes=12,
                                    num_true=labels.shape[1], sampled_values=(tf.constant(SAMPLED), tec, sec),
                                    remove_accidental_hits=remove)
    check(fn, W, B, X, _tec(labels), SEC, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", ["nce_loss", "sampled_softmax_loss"])
@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_v1_losses_with_sharded_weights(loss, strategy):
    def fn(tf, w0, w1, w2, w3, w4, b, x, tec, sec):
        return getattr(tf.compat.v1.nn, loss)([w0, w1, w2, w3, w4], b, tf.constant(LABELS2), x, num_sampled=5,
                                              num_classes=12, num_true=2,
                                              sampled_values=(tf.constant(SAMPLED), tec, sec),
                                              remove_accidental_hits=True, partition_strategy=strategy)
    check(fn, W[:3], W[3:6], W[6:8], W[8:10], W[10:], B, X, _tec(LABELS2), SEC, rtol=1e-5, atol=1e-5)


def test_losses_with_variables_float64_and_int32_labels():
    def fn(tf, x):
        w = tf.Variable(W.astype(np.float64))
        b = tf.Variable(B.astype(np.float64))
        with tf.GradientTape() as tape:
            out = tf.nn.nce_loss(w, b, tf.constant(LABELS1.astype(np.int32)), x, 5, 12,
                                 sampled_values=(SAMPLED.astype(np.int32), _tec(LABELS1).astype(np.float64), SEC.astype(np.float64)),
                                 remove_accidental_hits=True)
            total = tf.reduce_sum(out)
        gw, gb = tape.gradient(total, [w, b])
        return out, tf.convert_to_tensor(gw), tf.convert_to_tensor(gb)
    check(fn, X.astype(np.float64), grad=False)


def test_losses_with_their_own_sampler():
    jt.random.set_seed(2)
    for loss in (jt.nn.nce_loss, jt.nn.sampled_softmax_loss):
        out = loss(jt.constant(W), jt.constant(B), jt.constant(LABELS2), jt.constant(X), 4, 12, num_true=2)
        assert out.dtype == jt.float32 and tuple(out.shape) == (3,)
        assert np.all(np.isfinite(out.numpy()))
    jt.random.set_seed(None)
    tf = real_tf()
    want = tf.nn.sampled_softmax_loss(W, B, LABELS1, X, 4, 12, seed=1)
    got = jt.nn.sampled_softmax_loss(W, B, LABELS1, X, 4, 12, seed=1)
    assert (got.dtype.name, tuple(got.shape)) == (want.dtype.name, tuple(want.shape))


def test_loss_errors_match_tf():
    check_raises(lambda tf: tf.compat.v1.nn.nce_loss([W[:6], W[6:]], B, LABELS1, X, 5, 12,
                                                      sampled_values=(SAMPLED, _tec(LABELS1), SEC),
                                                      partition_strategy="foo"),
                 match="Unrecognized partition strategy: foo")
