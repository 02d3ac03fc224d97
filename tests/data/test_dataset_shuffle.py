"""`shuffle`'s semantics. Its random stream cannot match TF's (jaxtape's
draws come from its own generator), so what TF defines is tested instead:
a permutation, TF's buffer locality, seeding and reshuffling."""
import numpy as np
import pytest

import jaxtape as tf

N = 200


def order(ds):
    return [int(v) for v in ds]


def sources():
    """The element path (a generator) and the index path (slices)."""
    return {
        "slices": lambda: tf.data.Dataset.from_tensor_slices(np.arange(N)),
        "generator": lambda: tf.data.Dataset.from_generator(lambda: iter(range(N)),
                                                            output_types=tf.int64),
    }


@pytest.fixture(params=sorted(sources()))
def source(request):
    return sources()[request.param]


def test_a_shuffle_is_a_permutation(source):
    out = order(source().shuffle(50, seed=1))
    assert sorted(out) == list(range(N)) and out != list(range(N))


def test_buffer_size_one_is_the_identity(source):
    assert order(source().shuffle(1)) == list(range(N))


@pytest.mark.parametrize("buffer_size", [2, 10, 37])
def test_a_small_buffer_mixes_only_locally(source, buffer_size):
    out = order(source().shuffle(buffer_size))
    # the element at position i has been read already: it is at most i + buffer_size - 1
    assert all(v <= i + buffer_size - 1 for i, v in enumerate(out))


def test_reshuffle_each_iteration(source):
    ds = source().shuffle(N, seed=3)
    assert order(ds) != order(ds)
    fixed = source().shuffle(N, seed=3, reshuffle_each_iteration=False)
    assert order(fixed) == order(fixed)
    unseeded = source().shuffle(N, reshuffle_each_iteration=False)
    assert order(unseeded) == order(unseeded)


def test_a_seeded_shuffle_is_reproducible(source):
    a, b = source().shuffle(N, seed=7), source().shuffle(N, seed=7)
    assert order(a) == order(b)
    assert order(a) == order(b)  # second epochs agree too
    assert order(source().shuffle(N, seed=8)) != order(source().shuffle(N, seed=7))


def test_the_global_seed_makes_unseeded_shuffles_reproducible(source):
    tf.random.set_seed(5)
    first = order(source().shuffle(N))
    tf.random.set_seed(5)
    assert order(source().shuffle(N)) == first
    tf.random.set_seed(None)


def test_both_paths_give_the_same_order():
    a = tf.data.Dataset.from_tensor_slices(np.arange(N)).shuffle(20, seed=4)
    b = tf.data.Dataset.from_generator(lambda: iter(range(N)), output_types=tf.int64).shuffle(20, seed=4)
    assert order(a) == order(b)


def test_shuffled_batches_keep_rows_together():
    x = np.arange(40).reshape(20, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(20))).shuffle(8, seed=0).batch(6)
    batches = [(a.numpy(), b.numpy()) for a, b in ds]
    assert [len(b) for _, b in batches] == [6, 6, 6, 2]
    for a, b in batches:
        np.testing.assert_array_equal(a, x[b])
    assert sorted(np.concatenate([b for _, b in batches]).tolist()) == list(range(20))


def test_shuffle_then_repeat_reshuffles_each_epoch():
    ds = tf.data.Dataset.range(50).shuffle(50, seed=2).repeat(2)
    out = order(ds)
    assert sorted(out[:50]) == sorted(out[50:]) == list(range(50)) and out[:50] != out[50:]


def test_shuffle_errors_and_spec():
    with pytest.raises(tf.errors.InvalidArgumentError, match="buffer_size must be greater than zero"):
        tf.data.Dataset.range(3).shuffle(0)
    ds = tf.data.Dataset.range(3).shuffle(10)
    assert repr(ds) == "<_ShuffleDataset element_spec=TensorSpec(shape=(), dtype=tf.int64, name=None)>"
    assert int(ds.cardinality()) == 3
