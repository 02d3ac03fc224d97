"""Transformations against real TensorFlow: elements, dtypes, shapes,
element_spec, cardinality and the printed class name of each."""
import numpy as np
import pytest

from datadiff import same_dataset, same_outcome_of

X = np.arange(12, dtype=np.float32).reshape(6, 2)
Y = np.arange(6)


def xy(tf):
    return tf.data.Dataset.from_tensor_slices((X, Y))


def r(tf, n=10):
    return tf.data.Dataset.range(n)


def unknown(tf):
    return r(tf, 3).filter(lambda v: v < 10)


PIPELINES = {
    "map": lambda tf: xy(tf).map(lambda a, b: a * 2.0),
    "map_tuple": lambda tf: xy(tf).map(lambda a, b: (b, a)),
    "map_list_becomes_tuple": lambda tf: r(tf, 3).map(lambda v: [v, v + 1]),
    "map_dict": lambda tf: r(tf, 3).map(lambda v: {"v": v, "sq": v * v}),
    "map_python_scalar": lambda tf: r(tf, 3).map(lambda v: 1.5),
    "map_single_tuple": lambda tf: r(tf, 3).map(lambda v: (v,)),
    "map_dict_element": lambda tf: tf.data.Dataset.from_tensor_slices({"a": X, "b": Y}).map(lambda d: d["a"][0]),
    "map_parallel": lambda tf: xy(tf).map(lambda a, b: a + 1.0, num_parallel_calls=tf.data.AUTOTUNE,
                                          deterministic=True),
    "map_tf_function": lambda tf: xy(tf).map(tf.function(lambda a, b: tf.reduce_sum(a))),
    "map_cast": lambda tf: xy(tf).map(lambda a, b: (tf.cast(a, tf.float64) / 255.0, tf.one_hot(b, 6))),
    "map_value_shape": lambda tf: r(tf, 4).map(lambda n: tf.fill([n], n)),
    "batch_map": lambda tf: xy(tf).batch(4).map(lambda a, b: (a - 1.0, b)),
    "batch_map_reshape": lambda tf: xy(tf).batch(2).map(lambda a, b: tf.reshape(a, [-1, 1, 2])),
    "filter": lambda tf: xy(tf).filter(lambda a, b: b > 2),
    "filter_unknown_batch": lambda tf: unknown(tf).batch(2),
    "take_while": lambda tf: xy(tf).take_while(lambda a, b: b < 3),
    "batch": lambda tf: xy(tf).batch(4),
    "batch_drop": lambda tf: xy(tf).batch(4, drop_remainder=True),
    "batch_exact": lambda tf: xy(tf).batch(3),
    "batch_dict": lambda tf: tf.data.Dataset.from_tensor_slices({"a": X, "b": Y}).batch(5),
    "batch_parallel": lambda tf: r(tf).batch(3, num_parallel_calls=2),
    "batch_of_map": lambda tf: r(tf, 7).map(lambda v: v * 2).batch(3),
    "batch_batch": lambda tf: r(tf).batch(2).batch(2),
    "batch_infinite": lambda tf: r(tf, 3).repeat().batch(2),
    "padded_batch": lambda tf: r(tf, 5).map(lambda n: tf.fill([n], n)).padded_batch(2),
    "padded_batch_shapes": lambda tf: r(tf, 5).map(lambda n: tf.fill([n], n)).padded_batch(
        2, padded_shapes=[5], padding_values=np.int64(-1)),
    "padded_batch_drop": lambda tf: r(tf, 5).map(lambda n: tf.fill([n], n)).padded_batch(2, drop_remainder=True),
    "padded_batch_scalar": lambda tf: r(tf, 7).padded_batch(3, padded_shapes=[]),
    "padded_batch_tuple": lambda tf: r(tf, 4).map(lambda n: (tf.fill([n], 1.0), n)).padded_batch(
        2, padding_values=(-1.0, np.int64(0))),
    "unbatch": lambda tf: xy(tf).batch(4).unbatch(),
    "unbatch_drop": lambda tf: r(tf).batch(4, drop_remainder=True).unbatch(),
    "unbatch_batch": lambda tf: r(tf).batch(3).unbatch().batch(4),
    "rebatch": lambda tf: r(tf).batch(4).rebatch(3),
    "rebatch_drop": lambda tf: r(tf).batch(4).rebatch(3, drop_remainder=True),
    "rebatch_static": lambda tf: r(tf).batch(4, drop_remainder=True).rebatch(2),
    "rebatch_list": lambda tf: r(tf).batch(4).rebatch([1, 2, 3]),
    "repeat": lambda tf: xy(tf).repeat(2),
    "repeat_forever": lambda tf: r(tf, 3).repeat(),
    "repeat_zero": lambda tf: r(tf, 3).repeat(0),
    "repeat_empty_forever": lambda tf: r(tf, 0).repeat(),
    "repeat_unknown": lambda tf: unknown(tf).repeat(2),
    "repeat_unknown_forever": lambda tf: unknown(tf).repeat(),
    "take": lambda tf: xy(tf).take(2),
    "take_all": lambda tf: r(tf, 3).take(-1),
    "take_more": lambda tf: r(tf, 3).take(10),
    "take_infinite": lambda tf: r(tf, 3).repeat().take(5),
    "take_unknown": lambda tf: unknown(tf).take(2),
    "skip": lambda tf: xy(tf).skip(2),
    "skip_past": lambda tf: r(tf, 3).skip(5),
    "skip_all": lambda tf: r(tf, 3).skip(-1),
    "skip_infinite": lambda tf: r(tf, 3).repeat().skip(5),
    "shard": lambda tf: r(tf, 7).shard(3, 0),
    "shard_last": lambda tf: r(tf, 7).shard(3, 2),
    "shard_batch": lambda tf: r(tf, 10).shard(2, 1).batch(2),
    "enumerate": lambda tf: xy(tf).enumerate(),
    "enumerate_start": lambda tf: r(tf, 3).enumerate(start=5),
    "concatenate": lambda tf: r(tf, 3).concatenate(r(tf, 2)),
    "concatenate_shapes": lambda tf: r(tf, 3).batch(2).concatenate(r(tf, 4).batch(4, drop_remainder=True)),
    "concatenate_infinite": lambda tf: r(tf, 3).concatenate(r(tf, 3).repeat()),
    "concatenate_unknown": lambda tf: r(tf, 3).concatenate(unknown(tf)),
    "concatenate_batch": lambda tf: r(tf, 3).concatenate(r(tf, 4)).batch(3),
    "flat_map": lambda tf: r(tf, 4).flat_map(lambda n: tf.data.Dataset.range(n)),
    "flat_map_slices": lambda tf: xy(tf).batch(2).flat_map(lambda a, b: tf.data.Dataset.from_tensor_slices(b)),
    "interleave": lambda tf: r(tf, 4).interleave(lambda n: tf.data.Dataset.range(n).repeat(2),
                                                 cycle_length=2, block_length=2),
    "interleave_cycle3": lambda tf: r(tf, 5).interleave(lambda n: tf.data.Dataset.range(n), cycle_length=3),
    "interleave_parallel": lambda tf: r(tf, 4).interleave(lambda n: tf.data.Dataset.range(n),
                                                          cycle_length=2, num_parallel_calls=2),
    "window_flat_map": lambda tf: r(tf, 5).window(3, shift=1, stride=2).flat_map(lambda w: w.batch(3)),
    "window_drop": lambda tf: r(tf, 7).window(2, drop_remainder=True).flat_map(lambda w: w.batch(2)),
    "window_shift": lambda tf: r(tf, 10).window(2, shift=3).flat_map(lambda w: w.batch(5)),
    "window_tuple": lambda tf: xy(tf).window(4, 2).flat_map(
        lambda a, b: tf.data.Dataset.zip((a.batch(4), b.batch(4)))),
    "window_dict": lambda tf: tf.data.Dataset.from_tensor_slices({"a": [1, 2, 3]}).window(2).flat_map(
        lambda d: d["a"].batch(2)),
    "cache": lambda tf: xy(tf).cache(),
    "cache_map": lambda tf: r(tf, 5).map(lambda v: v * 3).cache().batch(2),
    "prefetch": lambda tf: xy(tf).prefetch(tf.data.AUTOTUNE),
    "prefetch_batch": lambda tf: xy(tf).batch(4).prefetch(1),
    "prefetch_experimental": lambda tf: r(tf, 4).prefetch(tf.data.experimental.AUTOTUNE),
    "with_options": lambda tf: xy(tf).with_options(tf.data.Options()),
    "apply": lambda tf: xy(tf).apply(lambda d: d.take(1)),
    "unique": lambda tf: tf.data.Dataset.from_tensor_slices([1, 2, 1, 3, 2]).unique(),
    "ignore_errors": lambda tf: r(tf, 3).ignore_errors(),
    "shuffle_card": lambda tf: r(tf, 1).shuffle(10),
    "shuffle_buffer_one": lambda tf: r(tf, 6).shuffle(1),
    "experimental_unbatch": lambda tf: r(tf).batch(4).apply(tf.data.experimental.unbatch()),
    "experimental_enumerate": lambda tf: r(tf, 3).apply(tf.data.experimental.enumerate_dataset(2)),
    "experimental_take_while": lambda tf: r(tf).apply(tf.data.experimental.take_while(lambda v: v < 3)),
    "experimental_assert_cardinality": lambda tf: unknown(tf).apply(
        tf.data.experimental.assert_cardinality(3)),
    "experimental_map_and_batch": lambda tf: r(tf, 5).apply(
        tf.data.experimental.map_and_batch(lambda v: v + 1, 2)),
    "counter": lambda tf: tf.data.Dataset.counter(3).take(4),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_transformation_matches_tf(name):
    same_dataset(PIPELINES[name])


def _err(fn):
    def run(tf):
        try:
            fn(tf)
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            text = str(e).replace("{{function_node __wrapped__IteratorGetNext_output_types_1_device_/job:localhost/replica:0/task:0/device:CPU:0}} ", "")
            for op in ("BatchDatasetV2", "ShardDataset", "ShuffleDatasetV3", "DatasetToSingleElement_output_types_1"):
                text = text.replace("{{function_node __wrapped__" + op + "_device_/job:localhost/replica:0/task:0/device:CPU:0}} ", "")
            # TF copies a batch's elements in parallel, so which shape it names varies.
            return type(e).__name__, text.split(" Shapes are:")[0]
        return "no error"
    return run


ERRORS = {
    "batch_shapes": lambda tf: list(tf.data.Dataset.from_tensor_slices([[1], [2]]).map(
        lambda v: tf.fill([v[0]], v[0])).batch(2)),
    "filter_not_bool": lambda tf: r(tf, 3).filter(lambda v: v),
    "filter_not_scalar": lambda tf: r(tf, 3).filter(lambda v: tf.constant([True, False])),
    "batch_zero": lambda tf: r(tf, 3).batch(0),
    "shard_zero": lambda tf: r(tf, 3).shard(0, 0),
    "shard_index": lambda tf: r(tf, 3).shard(2, 2),
    "shuffle_zero": lambda tf: r(tf, 3).shuffle(0),
    "concatenate_dtypes": lambda tf: r(tf, 3).concatenate(r(tf, 3).map(lambda v: tf.cast(v, tf.int32))),
    "unbatch_scalar": lambda tf: r(tf, 3).unbatch(),
    "padded_too_small": lambda tf: list(r(tf, 5).map(lambda n: tf.fill([n], n)).padded_batch(2, padded_shapes=[2])),
    "padding_dtype": lambda tf: tf.data.Dataset.from_tensors(np.zeros((2, 2))).padded_batch(
        2, padded_shapes=[None, 4], padding_values=np.float32(1.5)),
    "single_element_many": lambda tf: r(tf, 4).get_single_element(),
    "len_infinite": lambda tf: len(r(tf, 3).repeat()),
    "len_unknown": lambda tf: len(unknown(tf)),
    "get_next_past_end": lambda tf: [iter(r(tf, 1)).get_next() for _ in range(1)] and
    (lambda it: (it.get_next(), it.get_next()))(iter(r(tf, 1))),
    "assert_cardinality": lambda tf: list(unknown(tf).apply(tf.data.experimental.assert_cardinality(5))),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_tf(name):
    same_outcome_of(_err(ERRORS[name]))
