"""choose_from_datasets, sample_from_datasets, Dataset.random, Dataset.counter,
group_by_window, bucket_by_sequence_length and scan against real TensorFlow:
elements, element_spec, cardinality, printed class names and errors.

jaxtape's random bits are not TF's (another generator), so for
`sample_from_datasets` and `Dataset.random` what TF defines is compared
instead: specs, cardinality, which elements a pass draws and how often,
and seeded reproducibility within jaxtape."""
import collections

import numpy as np
import pytest

import jaxtape
from datadiff import describe, same_dataset, same_outcome_of
from difftest import outcome, real_tf, same_outcome, same_values

def choices(tf, *v):
    return tf.data.Dataset.from_tensor_slices(np.array(v, np.int64))


def a(tf):
    return tf.data.Dataset.range(3)


def b(tf):
    return tf.data.Dataset.range(10, 15)


def seqs(tf, lengths=(1, 5, 3, 7, 2, 8, 4, 6, 9, 10)):
    """int32 vectors of the given lengths, of unknown static length."""
    return tf.data.Dataset.from_generator(lambda: ([1] * n for n in lengths),
                                          output_signature=tf.TensorSpec([None], tf.int32))


def length(tf):
    return lambda x: tf.shape(x)[0]


def pairs(tf):
    """(vector of 3, int64 scalar) elements, the scalar 0..9."""
    return tf.data.Dataset.range(10).map(lambda v: (tf.fill([3], v), v))


PIPELINES = {
    # choose_from_datasets: stop_on_empty_dataset (default True) and skipping
    "choose": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], choices(tf, 0, 1, 1, 0, 0, 0, 1)),
    "choose_skip": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf)], choices(tf, 0, 1, 0, 0, 0, 1), stop_on_empty_dataset=False),
    "choose_experimental_skips": lambda tf: tf.data.experimental.choose_from_datasets(
        [a(tf), b(tf)], choices(tf, 0, 1, 0, 0, 0, 1)),
    "choose_cycle_stop": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf)], tf.data.Dataset.range(2).repeat()),
    "choose_cycle_until_all_empty": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf)], tf.data.Dataset.range(2).repeat(), stop_on_empty_dataset=False),
    "choose_infinite_input": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf).repeat(), b(tf)], tf.data.Dataset.range(2)),
    "choose_finite_unknown": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], tf.data.Dataset.range(2)),
    "choose_tuple": lambda tf: tf.data.Dataset.choose_from_datasets(
        (tf.data.Dataset.zip((a(tf), a(tf))), tf.data.Dataset.zip((b(tf), b(tf)))), choices(tf, 0, 1, 1)),
    "choose_dict": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf).map(lambda v: {"k": v}), b(tf).map(lambda w: {"k": w * 2})], choices(tf, 1, 0)),
    "choose_relaxed_dim": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf).batch(2), b(tf).batch(2, drop_remainder=True)], choices(tf, 0, 1, 0, 1)),
    "choose_relaxed_rank": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf).batch(2), b(tf)], choices(tf, 0, 1)),
    "choose_single": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf)], choices(tf, 0, 0)),
    # sample_from_datasets without randomness: TF returns the one dataset left
    "sample_one": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf)], seed=1),
    "sample_zero_weight": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[0.0, 1.0]),
    "sample_negative_weight": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[-1.0, 2.0]),
    "sample_nan_weight": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[np.nan, 1.0]),
    "sample_all_zero": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[0.0, 0.0]),
    "sample_zero_weights_left_int": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[0, 0]),
    # counter: a scan; adds `step` each time and wraps
    "counter": lambda tf: tf.data.Dataset.counter().take(3),
    "counter_step_dtype": lambda tf: tf.data.Dataset.counter(5, 2, tf.int32).take(3),
    "counter_float_down": lambda tf: tf.data.Dataset.counter(5, -2, tf.float32).take(3),
    "counter_float_accumulates": lambda tf: tf.data.Dataset.counter(0.0, 0.1, tf.float32).take(12),
    "counter_step_zero": lambda tf: tf.data.Dataset.counter(5, 0),
    "counter_wraps": lambda tf: tf.data.Dataset.counter(2**63 - 2).take(4),
    "counter_uint8_wraps": lambda tf: tf.data.Dataset.counter(250, 3, tf.uint8).take(4),
    "counter_infinite": lambda tf: tf.data.Dataset.counter(1, 3),
    "counter_experimental": lambda tf: tf.data.experimental.Counter(1, 3).take(3),
    "counter_batched": lambda tf: tf.data.Dataset.counter().take(5).batch(2),
    # group_by_window
    "gbw": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: x % 3, lambda k, w: w.batch(4), window_size=2),
    "gbw_big_windows": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 3, lambda k, w: w.batch(10), window_size=10),
    "gbw_flush_in_key_order": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: 2 - x % 3, lambda k, w: w.batch(10), window_size=5),
    "gbw_negative_keys": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2 - 5, lambda k, w: w.batch(5), window_size=2),
    "gbw_key_in_output": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.map(lambda v: (k, v)), window_size=3),
    "gbw_key_arithmetic": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.map(lambda v: v * 10 + k), window_size=4),
    "gbw_key_sized_batches": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(k + 1), window_size=4),
    "gbw_window_size_func": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size_func=lambda k: k + 1),
    "gbw_python_key": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: 0, lambda k, w: w.batch(10), window_size=5),
    "gbw_window_itself": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: x % 2, lambda k, w: w, window_size=3),
    "gbw_window_cardinality": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: tf.data.Dataset.from_tensors(w.cardinality()), window_size=4),
    "gbw_spec_from_reduce": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(2).map(lambda v: tf.reduce_sum(v)), window_size=4),
    "gbw_dict": lambda tf: tf.data.Dataset.range(10).map(lambda v: {"a": v}).group_by_window(
        lambda d: d["a"] % 2, lambda k, w: w.batch(3), window_size=3),
    "gbw_tuple": lambda tf: pairs(tf).group_by_window(lambda v, n: n % 2, lambda k, w: w.batch(2), window_size=2),
    "gbw_tensor_window_size": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=tf.constant(2, tf.int64)),
    "gbw_empty": lambda tf: tf.data.Dataset.range(0).group_by_window(lambda x: x % 2, lambda k, w: w.batch(3), window_size=0),
    "gbw_infinite": lambda tf: tf.data.Dataset.range(10).repeat().group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=2).take(4),
    "gbw_infinite_cardinality": lambda tf: tf.data.Dataset.range(10).repeat().group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=2),
    "gbw_experimental": lambda tf: tf.data.Dataset.range(10).apply(tf.data.experimental.group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=2)),
    # bucket_by_sequence_length
    "bucket": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2]),
    "bucket_drop_remainder": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2], drop_remainder=True),
    "bucket_padding_value": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2], padding_values=-1),
    "bucket_padding_tensor": lambda tf: seqs(tf).bucket_by_sequence_length(
        length(tf), [3, 6], [2, 2, 2], padding_values=tf.constant(-1)),
    "bucket_padded_shapes": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2], padded_shapes=[12]),
    "bucket_to_boundary": lambda tf: seqs(tf).bucket_by_sequence_length(
        length(tf), [3, 11], [2, 2, 2], pad_to_bucket_boundary=True),
    "bucket_to_boundary_tuple": lambda tf: tf.data.Dataset.range(1, 6).map(lambda x: (tf.ones([x]), x)).bucket_by_sequence_length(
        lambda v, n: tf.shape(v)[0], [3, 9], [2, 2, 2], pad_to_bucket_boundary=True),
    "bucket_to_boundary_short": lambda tf: seqs(tf, (1, 5, 3)).bucket_by_sequence_length(
        length(tf), [3, 6], [2, 2, 2], pad_to_bucket_boundary=True),
    "bucket_no_padding": lambda tf: pairs(tf).bucket_by_sequence_length(
        lambda v, n: tf.cast(n, tf.int32), [3, 6], [2, 3, 4], no_padding=True),
    "bucket_no_padding_drop": lambda tf: tf.data.Dataset.range(10).bucket_by_sequence_length(
        lambda x: tf.cast(x, tf.int32), [3, 6], [2, 3, 4], no_padding=True, drop_remainder=True),
    "bucket_tuple": lambda tf: pairs(tf).bucket_by_sequence_length(lambda v, n: tf.cast(n, tf.int32), [3, 6], [2, 3, 4]),
    "bucket_scalars": lambda tf: tf.data.Dataset.range(10).map(lambda x: tf.cast(x, tf.int32)).bucket_by_sequence_length(
        lambda x: x, [3, 6], [2, 3, 4]),
    "bucket_unsorted_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [6, 3], [2, 2, 2]),
    "bucket_repeated_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 3], [2, 2, 2]),
    "bucket_negative_boundary": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [-1, 3], [2, 2, 2]),
    "bucket_no_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [], [2]),
    "bucket_numpy_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), np.array([3, 6]), np.array([2, 2, 2])),
    "bucket_tuple_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), (3, 6), (2, 2, 2)),
    "bucket_length_vector": lambda tf: seqs(tf).bucket_by_sequence_length(lambda x: tf.shape(x), [3], [2, 2]),
    "bucket_python_length": lambda tf: seqs(tf).bucket_by_sequence_length(lambda x: 4, [3], [2, 2]),
    "bucket_infinite": lambda tf: pairs(tf).repeat().bucket_by_sequence_length(
        lambda v, n: tf.cast(n, tf.int32), [3, 6], [2, 3, 4]).take(5),
    "bucket_experimental": lambda tf: seqs(tf).apply(tf.data.experimental.bucket_by_sequence_length(
        length(tf), [3, 6], [2, 2, 2])),
    # scan
    "scan": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, s)),
    "scan_int32_state": lambda tf: tf.data.Dataset.range(5).scan(0, lambda s, x: (s + tf.cast(x, tf.int32), s * 2)),
    "scan_float_state": lambda tf: tf.data.Dataset.range(5).scan(0.5, lambda s, x: (s * 2, s)),
    "scan_nested_state": lambda tf: tf.data.Dataset.range(5).scan(
        (np.int64(0), {"m": 1.0}), lambda s, x: ((s[0] + x, {"m": s[1]["m"] * 2.0}), (x, s[1]["m"]))),
    "scan_namedtuple_state": lambda tf: tf.data.Dataset.range(5).scan(
        collections.namedtuple("S", "a b")(np.int64(0), np.int64(1)), lambda s, x: (type(s)(s.a + 1, s.b), s.a)),
    "scan_list_state": lambda tf: tf.data.Dataset.range(3).scan([1, 2], lambda s, x: (s * 2, s)),
    "scan_tuple_element": lambda tf: tf.data.Dataset.zip((a(tf), a(tf))).scan(np.int64(0), lambda s, x: (s + x[0], x[1] + s)),
    "scan_dict_output": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s + 1, {"a": x, "b": s})),
    "scan_list_output_is_a_tensor": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s, [x, s])),
    "scan_growing_state": lambda tf: tf.data.Dataset.range(5).scan(
        tf.zeros([0], tf.int64), lambda s, x: (tf.concat([s, [x]], 0), s)),
    "scan_growing_state_scalar_out": lambda tf: tf.data.Dataset.range(5).scan(
        tf.zeros([1], tf.int64), lambda s, x: (tf.concat([s, [x]], 0), tf.reduce_sum(s))),
    "scan_state_rank_change": lambda tf: tf.data.Dataset.range(3).scan(tf.zeros([2]), lambda s, x: (tf.zeros([2, 2]), x)),
    "scan_tensor_state": lambda tf: tf.data.Dataset.range(5).scan(tf.constant([1.0, 2.0]), lambda s, x: (s * 2.0, s)),
    "scan_string_state": lambda tf: tf.data.Dataset.range(4).scan(tf.constant(""), lambda s, x: (s + "a", s)),
    "scan_state_keys_change": lambda tf: tf.data.Dataset.range(3).scan({"a": np.int64(0)}, lambda s, x: ({"b": s["a"]}, x)),
    "scan_batched": lambda tf: tf.data.Dataset.range(5).batch(2).scan(np.int64(0), lambda s, x: (s + tf.reduce_sum(x), x)),
    "scan_infinite": lambda tf: tf.data.Dataset.range(5).repeat().scan(np.int64(0), lambda s, x: (s + 1, s)).take(3),
    "scan_infinite_cardinality": lambda tf: tf.data.Dataset.range(5).repeat().scan(np.int64(0), lambda s, x: (s + 1, s)),
    "scan_unknown_cardinality": lambda tf: tf.data.Dataset.range(5).filter(lambda x: x > 1).scan(
        np.int64(0), lambda s, x: (s + 1, s)),
    "scan_empty": lambda tf: tf.data.Dataset.range(0).scan(np.int64(0), lambda s, x: (s + 1, s)),
    "scan_each_pass_restarts": lambda tf: (lambda d: tf.data.Dataset.zip((d, d)))(
        tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, s))),
    "scan_experimental": lambda tf: tf.data.Dataset.range(5).apply(
        tf.data.experimental.scan(np.int64(0), lambda s, x: (s + x, s))),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_transformation_matches_tf(name):
    same_dataset(PIPELINES[name], limit=30)


ERRORS = {
    "choose_empty": lambda tf: tf.data.Dataset.choose_from_datasets([], tf.data.Dataset.range(2)),
    "choose_not_a_dataset": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], [0, 1]),
    "choose_int32": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf)], tf.data.Dataset.range(2).map(lambda x: tf.cast(x, tf.int32))),
    "choose_float": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], tf.data.Dataset.from_tensors(1.0)),
    "choose_vector": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], tf.data.Dataset.range(2).batch(2)),
    "choose_tuple_choice": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf)], tf.data.Dataset.zip((a(tf), a(tf)))),
    "choose_dtypes_differ": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), b(tf), a(tf).map(lambda x: tf.cast(x, tf.float32))], tf.data.Dataset.range(3)),
    "choose_structures_differ": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf), tf.data.Dataset.zip((a(tf), a(tf)))], tf.data.Dataset.range(2)),
    "choose_not_datasets": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), 3], tf.data.Dataset.range(2)),
    "choose_stop_not_bool": lambda tf: tf.data.Dataset.choose_from_datasets(
        [a(tf)], tf.data.Dataset.range(1), stop_on_empty_dataset=1),
    "choose_index_too_big": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], choices(tf, 0, 5)),
    "choose_index_negative": lambda tf: tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], choices(tf, 0, -1)),
    "sample_empty": lambda tf: tf.data.Dataset.sample_from_datasets([], weights=[1.0, 2.0]),
    "sample_weights_length": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[1.0]),
    "sample_weights_nested": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[[1.0, 2.0]]),
    "sample_weights_length_first": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[1, 2, 3]),
    "sample_weights_int_after_skipping": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=[0, 2]),
    "sample_tensor_weights_shape": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.constant([1.0, 0.0, 2.0])),
    "sample_weights_int": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[1, 2]),
    "sample_weights_float16": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=np.array([1.0, 1.0], np.float16)),
    "sample_weights_scalar": lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=1.0),
    "sample_weights_dataset_int": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.data.Dataset.from_tensors([1, 2]).repeat()),
    "sample_weights_dataset_too_long": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf).repeat(), b(tf).repeat()], weights=tf.data.Dataset.from_tensors([0.0, 0.0, 1.0]).repeat()),
    "sample_incompatible": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf).map(lambda x: tf.cast(x, tf.int32))], seed=1),
    "sample_incompatible_after_relaxing": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf).batch(2), b(tf).batch(3), a(tf).map(lambda x: tf.cast(x, tf.float32))], seed=1),
    "sample_stop_not_bool": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], seed=1, stop_on_empty_dataset=np.bool_(True)),
    "random_float_seed": lambda tf: tf.data.Dataset.random(seed=1.5),
    "counter_float_step": lambda tf: tf.data.Dataset.counter(0, 0.5),
    "counter_float_start": lambda tf: tf.data.Dataset.counter(1.5),
    "counter_string": lambda tf: tf.data.Dataset.counter(dtype=tf.string),
    "gbw_both_sizes": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=2, window_size_func=lambda k: k + 1),
    "gbw_no_size": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: x % 2, lambda k, w: w.batch(5)),
    "gbw_vector_key": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: tf.stack([x, x]), lambda k, w: w.batch(5), window_size=2),
    "gbw_tuple_key": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: (x, x), lambda k, w: w.batch(5), window_size=2),
    "gbw_reduce_gives_tensor": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: k, window_size=2),
    "gbw_reduce_gives_reduced": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.reduce(np.int64(0), lambda s, v: s + v), window_size=4),
    "gbw_reduce_gives_tuple": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: (w, w), window_size=5),
    "gbw_vector_window_size": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(3), window_size_func=lambda k: tf.stack([k, k])),
    "gbw_window_size_zero": lambda tf: tf.data.Dataset.range(10).group_by_window(lambda x: x % 2, lambda k, w: w.batch(5), window_size=0),
    "gbw_window_size_negative": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=-1),
    "gbw_window_size_func_zero": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size_func=lambda k: k),
    "bucket_too_few_sizes": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2]),
    "bucket_too_many_sizes": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2, 2]),
    "bucket_boundaries_int": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), 3, [2, 2]),
    "bucket_boundaries_none": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), None, [2, 2]),
    "bucket_sizes_none": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3], None),
    "bucket_float_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3.5, 6], [2, 2, 2]),
    "bucket_string_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), ["a"], [2, 2]),
    "bucket_int64_boundaries_vs_int32": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [2**31], [2, 2]),
    "bucket_tensor_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), tf.constant([3, 6]), [2, 2, 2]),
    "bucket_int64_length": lambda tf: pairs(tf).bucket_by_sequence_length(lambda v, n: n, [3, 6], [2, 3, 4]),
    "bucket_float_length": lambda tf: pairs(tf).bucket_by_sequence_length(lambda v, n: tf.cast(n, tf.float32), [3, 6], [2, 3, 4]),
    "bucket_float_sizes": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3], [2.0, 1.0]),
    "bucket_int32_tensor_sizes": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], tf.constant([2, 2, 2])),
    "bucket_batch_size_zero": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 0, 2]),
    "bucket_batch_size_negative": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3], [2, -1]),
    "bucket_padding_dtype": lambda tf: seqs(tf).bucket_by_sequence_length(
        length(tf), [3, 6], [2, 2, 2], padding_values=np.int64(-1)),
    "bucket_padded_shape_too_small": lambda tf: seqs(tf).bucket_by_sequence_length(
        length(tf), [3, 6], [2, 2, 2], padded_shapes=[4]),
    "scan_not_a_pair": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: s + x),
    "scan_three_results": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s, x, x)),
    "scan_state_dtype_changes": lambda tf: tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (tf.cast(s, tf.float32), s)),
    "scan_nested_state_dtype_changes": lambda tf: tf.data.Dataset.range(3).scan(
        (np.int64(0), {"m": 1.0}), lambda s, x: ((s[0] + x, {"m": tf.cast(s[1]["m"], tf.float64)}), x)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_matches_tf(name):
    got = same_outcome_of(ERRORS[name])
    assert got[0] == "raises"


# TF's message names graph tensors or nodes that jaxtape has not: the type is compared.
TYPE_ONLY = {
    "gbw_int32_key": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: tf.cast(x % 2, tf.int32), lambda k, w: w.batch(5), window_size=2),
    "gbw_float_key": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: tf.cast(x, tf.float32), lambda k, w: w.batch(5), window_size=2),
    "gbw_int32_window_size_func": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size_func=lambda k: tf.cast(k, tf.int32) + 1),
    "gbw_int32_window_size": lambda tf: tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size=tf.constant(2)),
    "choose_from_a_dataset": lambda tf: tf.data.Dataset.choose_from_datasets(a(tf), tf.data.Dataset.range(2)),
    "bucket_nested_boundaries": lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [[3], [6]], [2, 2, 2]),
    "sample_weights_dataset_scalar": lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.data.Dataset.from_tensors(1.0).repeat()),
    "scan_state_grows": lambda tf: tf.data.Dataset.range(3).scan(np.int64(0), lambda s, x: ((s, s), s)),
    "scan_state_shrinks": lambda tf: tf.data.Dataset.range(3).scan(
        (np.int64(0), np.int64(0)), lambda s, x: (s[0], x)),
    "scan_none_state": lambda tf: tf.data.Dataset.range(5).scan(None, lambda s, x: (s, x)),
}


@pytest.mark.parametrize("name", sorted(TYPE_ONLY))
def test_error_type_matches_tf(name):
    got = same_outcome(TYPE_ONLY[name], plain=describe, message=False)
    assert got[0] == "raises"


@pytest.mark.parametrize("build", [
    lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [3, 6], [2, 2, 2], pad_to_bucket_boundary=True),
    lambda tf: seqs(tf).bucket_by_sequence_length(length(tf), [], [2], pad_to_bucket_boundary=True),
], ids=["longest_bucket", "no_boundaries"])
def test_padding_to_a_missing_boundary_fails_as_in_tf(build):
    """TF's assertion error names graph nodes; its type and text are compared."""
    want = outcome(build, real_tf(), describe)
    got = outcome(build, jaxtape, describe)
    text = "When pad_to_bucket_boundary=True, elements must have length < max(bucket_boundaries)."
    assert got[:2] == want[:2] == ("raises", "InternalError")
    assert text in got[2] and text in want[2]


def test_the_transformations_are_dataset_methods():
    for name in ("choose_from_datasets", "sample_from_datasets", "group_by_window",
                 "bucket_by_sequence_length", "scan", "random", "counter"):
        assert callable(getattr(jaxtape.data.Dataset.range(1), name))
    with pytest.raises(NotImplementedError, match="tf.data.Dataset.snapshot"):
        jaxtape.data.Dataset.range(3).snapshot


def test_iterating_in_a_tf_function_matches_tf():
    def run(tf):
        @tf.function
        def total(ds):
            t = tf.constant(0, tf.int64)
            for v in ds:
                t += v
            return t
        scanned = tf.data.Dataset.range(6).scan(np.int64(0), lambda s, x: (s + x, s * 2))
        chosen = tf.data.Dataset.choose_from_datasets([a(tf), b(tf)], tf.data.Dataset.range(2).repeat())
        grouped = tf.data.Dataset.range(9).group_by_window(
            lambda x: x % 2, lambda k, w: w.map(lambda v: v * (k + 1)), window_size=2)
        return [total(scanned), total(chosen), total(grouped), total(tf.data.Dataset.counter(4).take(3))]
    same_values(run)


# -- random ones: what TF defines, not its bits --------------------------------

def _meta(ds):
    return repr(ds), repr(ds.element_spec), int(ds.cardinality())


def _values(ds, limit=10_000):
    """The elements as Python values; limit=None: iterates `ds` itself (TF's
    unseeded random datasets draw a new seed for each dataset wrapping them)."""
    return [v.numpy().tolist() if hasattr(v, "numpy") else v
            for v in (ds if limit is None else ds.take(limit))]


SAMPLED = {
    "uniform": lambda tf, **k: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], **k),
    "weighted": lambda tf, **k: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[0.2, 0.8], **k),
    "float64_weights": lambda tf, **k: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=np.array([1.0, 2.0]), **k),
    "tensor_weights": lambda tf, **k: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.constant([1.0, 3.0], tf.float64), **k),
    "unnormalized": lambda tf, **k: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=[10.0, 30.0], **k),
    "weights_dataset": lambda tf, **k: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.data.Dataset.from_tensors([0.2, 0.8]).repeat(), **k),
    "three_one_zero": lambda tf, **k: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf), b(tf).map(lambda x: -x)], weights=[1.0, 0.0, 1.0], **k),
    "shapes_relaxed": lambda tf, **k: tf.data.Dataset.sample_from_datasets([a(tf).batch(2), b(tf).batch(3)], **k),
    "tuples": lambda tf, **k: tf.data.Dataset.sample_from_datasets(
        [tf.data.Dataset.zip((a(tf), a(tf))), tf.data.Dataset.zip((b(tf), b(tf)))], **k),
    "experimental": lambda tf, **k: tf.data.experimental.sample_from_datasets([a(tf), b(tf)], **k),
}


@pytest.mark.parametrize("name", sorted(SAMPLED))
def test_a_full_sampled_pass_draws_what_tf_draws(name):
    """Same printed form, spec and cardinality; each input's elements in its
    order; and the pass holds every element once (no input is stopped on)."""
    tf = real_tf()
    want_ds, got_ds = SAMPLED[name](tf, seed=1), SAMPLED[name](jaxtape, seed=1)
    assert _meta(got_ds) == _meta(want_ds)
    want, got = _values(want_ds), _values(got_ds)
    assert sorted(map(repr, got)) == sorted(map(repr, want))


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_sampling_keeps_each_inputs_order(module):
    tf = real_tf() if module == "tf" else jaxtape
    out = _values(tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], seed=3))
    assert [v for v in out if v < 10] == [0, 1, 2] and [v for v in out if v >= 10] == list(range(10, 15))


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_stop_on_empty_dataset_ends_at_the_first_exhausted_input(module):
    """It ends when an exhausted input is drawn: one input is used up and the
    other has given a prefix (all of it, when the draws fell just so)."""
    tf = real_tf() if module == "tf" else jaxtape
    lengths = []
    for seed in range(1, 9):
        ds = tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], seed=seed, stop_on_empty_dataset=True)
        out = _values(ds)
        low, high = [v for v in out if v < 10], [v for v in out if v >= 10]
        assert low == [0, 1, 2][:len(low)] and high == list(range(10, 10 + len(high)))
        assert len(low) == 3 or len(high) == 5
        lengths.append(len(out))
    assert min(lengths) < 8


@pytest.mark.parametrize("build", [
    lambda tf: tf.data.Dataset.sample_from_datasets([a(tf).repeat(), b(tf).repeat()], seed=1),
    lambda tf: tf.data.Dataset.sample_from_datasets([a(tf).repeat(), b(tf)], seed=1, stop_on_empty_dataset=True),
    lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf).repeat(), b(tf).repeat()], weights=tf.data.Dataset.from_tensors([1.0, 2.0]).repeat(3), seed=1),
    lambda tf: tf.data.Dataset.sample_from_datasets(
        [a(tf), b(tf)], weights=tf.data.Dataset.from_tensors([1.0, 2.0]).repeat(3), seed=1),
    # a tensor's zero weight is kept (TF would then spin once `a` is exhausted)
    lambda tf: tf.data.Dataset.sample_from_datasets([a(tf), b(tf)], weights=tf.constant([1.0, 0.0])),
    lambda tf: tf.data.Dataset.random(seed=1),
    lambda tf: tf.data.experimental.RandomDataset(seed=1),
    lambda tf: tf.data.Dataset.random(),
    lambda tf: tf.data.Dataset.random(seed=tf.constant(1, tf.int64)),
    lambda tf: tf.data.Dataset.random(seed=-1),
    lambda tf: tf.data.Dataset.random(seed=1).batch(4),
], ids=["infinite", "infinite_stop", "weights_dataset_inf", "weights_dataset_fin", "tensor_zero_weight", "random",
        "random_experimental", "random_unseeded", "random_tensor_seed", "random_negative_seed",
        "random_batched"])
def test_random_datasets_spec_and_cardinality_match_tf(build):
    assert _meta(build(jaxtape)) == _meta(build(real_tf()))


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_sampling_frequencies_follow_the_weights(module):
    tf = real_tf() if module == "tf" else jaxtape
    ones = tf.data.Dataset.from_tensors(np.int64(1)).repeat()
    zeros = tf.data.Dataset.from_tensors(np.int64(0)).repeat()
    fixed = tf.data.Dataset.sample_from_datasets([zeros, ones], weights=[0.25, 0.75], seed=2)
    assert abs(np.mean(_values(fixed, 4000)) - 0.75) < 0.04
    per_element = tf.data.Dataset.sample_from_datasets(
        [zeros, ones], weights=tf.data.Dataset.from_tensors([0.6, 0.4]).repeat(), seed=2)
    assert abs(np.mean(_values(per_element, 4000)) - 0.4) < 0.04
    uniform = tf.data.Dataset.sample_from_datasets([zeros, ones], seed=2)
    assert abs(np.mean(_values(uniform, 4000)) - 0.5) < 0.04
    never = tf.data.Dataset.sample_from_datasets(
        [zeros, ones], weights=tf.data.Dataset.from_tensors([0.0, 1.0]).repeat(), seed=2)
    assert set(_values(never, 500)) == {1}


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_random_values_are_uniform_32_bit_integers(module):
    tf = real_tf() if module == "tf" else jaxtape
    ds = tf.data.Dataset.random(seed=5)
    first = next(iter(ds))
    assert first.dtype == tf.int64 and first.shape == ()
    values = np.array(_values(ds, 4000))
    assert values.min() >= 0 and values.max() < 2**32
    assert values.max() > 0.99 * 2**32 and values.min() < 0.01 * 2**32
    assert abs(values.mean() / 2**32 - 0.5) < 0.03 and abs(np.mean(values % 2) - 0.5) < 0.05
    assert len(set(values.tolist())) > 3990


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_seeded_random_datasets_are_reproducible(module):
    tf = real_tf() if module == "tf" else jaxtape
    r = lambda **k: _values(tf.data.Dataset.random(**k), 20)  # noqa: E731
    assert r(seed=4) == r(seed=4) and r(seed=4) != r(seed=5)
    s = lambda seed: _values(tf.data.Dataset.sample_from_datasets(  # noqa: E731
        [a(tf).repeat(), b(tf).repeat()], seed=seed), 40)
    assert s(7) == s(7) and s(7) != s(8)
    tf.random.set_seed(11)
    first = (r(), s(None))
    tf.random.set_seed(11)
    assert (r(), s(None)) == first
    tf.random.set_seed(None)


@pytest.mark.parametrize("module", ["tf", "jaxtape"])
def test_each_pass_repeats_unless_rerandomized(module):
    tf = real_tf() if module == "tf" else jaxtape
    for ds in (tf.data.Dataset.random(seed=4).take(20), tf.data.Dataset.random().take(20),
               tf.data.Dataset.sample_from_datasets([a(tf).repeat(), b(tf).repeat()], seed=1).take(40),
               tf.data.Dataset.sample_from_datasets([a(tf).repeat(), b(tf).repeat()]).take(40)):
        assert _values(ds, None) == _values(ds, None)
    for ds in (tf.data.Dataset.random(seed=4, rerandomize_each_iteration=True).take(20),
               tf.data.Dataset.sample_from_datasets([a(tf).repeat(), b(tf).repeat()], seed=1,
                                                    rerandomize_each_iteration=True).take(40)):
        assert _values(ds, None) != _values(ds, None)


def test_random_batches_hold_the_elements_one_by_one_gives():
    tf = jaxtape
    ds = tf.data.Dataset.random(seed=9)
    assert _values(ds.batch(7).take(3)) == [_values(ds, 21)[i:i + 7] for i in (0, 7, 14)]
    assert isinstance(tf.data.experimental.RandomDataset(seed=9), tf.data.Dataset)
    assert _values(tf.data.experimental.RandomDataset(seed=9), 5) == _values(ds, 5)


def test_untraceable_functions_run_eagerly():
    """Functions that read values in Python (TF's autograph would convert them)."""
    tf = jaxtape
    key = lambda x: 0 if int(x) < 5 else 1  # noqa: E731
    grouped = tf.data.Dataset.range(10).group_by_window(key, lambda k, w: w.batch(3), window_size=3)
    assert _values(grouped) == [[0, 1, 2], [5, 6, 7], [3, 4], [8, 9]]

    def step(s, x):
        return (s + x, s) if int(x) % 2 else (s, -s)
    scanned = tf.data.Dataset.range(6).scan(np.int64(0), step)
    assert repr(scanned.element_spec) == "TensorSpec(shape=(), dtype=tf.int64, name=None)"
    assert _values(scanned) == [0, 0, -1, 1, -4, 4]
    bucketed = tf.data.Dataset.range(6).map(lambda n: tf.fill([n], 1)).bucket_by_sequence_length(
        lambda v: 1 if int(tf.shape(v)[0]) < 3 else 4, [3], [2, 4])
    assert [np.shape(v) for v in _values(bucketed)] == [(2, 1), (1, 2), (3, 5)]

    def bad_step(s, x):
        return (tf.cast(s, tf.float32) if int(x) >= 0 else s), s
    with pytest.raises(TypeError, match="The element types for the new state must match"):
        tf.data.Dataset.range(3).scan(np.int64(0), bad_step).element_spec
