"""`tf.data.experimental.make_batched_features_dataset`: batches of parsed
`tf.train.Example`s read from files, composed of the Dataset ops as TF composes
them: `list_files` (shuffled unless `shuffle=False`), an interleave of `reader`
over the files (`reader_num_threads` at a time, one record from each in
turn), `shuffle` and `repeat(num_epochs)`, `batch` (the remainder dropped
when `drop_final_batch` or when repeating forever, which makes the batch
dimension static in the element spec), `parse_example_dataset(features)`,
then `(features, label)` pairs when `label_key` is given.

Differences: shuffled orders come from JAX's generator, not TF's; jaxtape's
datasets hold no SparseTensor or RaggedTensor elements, so `features` must be
`FixedLenFeature`s and `FixedLenSequenceFeature`s (a VarLenFeature,
SparseFeature or RaggedFeature raises NotImplementedInJaxtape).
"""
from __future__ import annotations

from jaxtape._src.data import options as _options
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.experimental import _parsed_specs, parse_example_dataset
from jaxtape._src.data.sources import TFRecordDatasetV2 as TFRecordDataset
from jaxtape._src.data.spec import TensorSpec
from jaxtape._src.data.structure import Structure
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.exports import export


@export("data.experimental.make_batched_features_dataset")
def make_batched_features_dataset(file_pattern, batch_size, features, reader=None,
                                  label_key=None, reader_args=None, num_epochs=None,
                                  shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                                  prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False,
                                  drop_final_batch=False):
    """A dataset of dicts of batched feature tensors (or `(features, label)` pairs)."""
    reader = TFRecordDataset if reader is None else reader
    threads = 1 if reader_num_threads is None else reader_num_threads
    parser_threads = 2 if parser_num_threads is None else parser_num_threads
    prefetch = _options.AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size
    args = list(reader_args or [])
    dataset = Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    if threads == _options.AUTOTUNE:
        dataset = dataset.interleave(lambda filename: reader(filename, *args),
                                     num_parallel_calls=threads)
    else:
        dataset = dataset.interleave(lambda filename: reader(filename, *args),
                                     cycle_length=threads, block_length=1)
    spec = dataset.element_spec
    if isinstance(spec, tuple) and len(spec) == 2 and \
            all(getattr(s, "dtype", None) == dtypes.string for s in spec):
        dataset = dataset.map(lambda _, value: value)  # key-value readers
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    drop = bool(drop_final_batch or num_epochs is None)
    dataset = dataset.batch(batch_size, drop_remainder=drop)
    dataset = parse_example_dataset(features, num_parallel_calls=parser_threads)(dataset)
    specs = _parsed_specs(features)
    if specs is not None and drop:  # TF's batch dimension is static then
        specs = {k: TensorSpec([int(batch_size)] + s.shape.as_list()[1:], s.dtype)
                 for k, s in specs.items()}
        dataset._structure_value = Structure.from_specs(specs)
    if label_key:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key}) must be one of the "
                             f"`features` keys: {features.keys()}.")
        dataset = dataset.map(lambda x: (x, x.pop(label_key)))
        if specs is not None:
            rest = {k: s for k, s in specs.items() if k != label_key}
            dataset._structure_value = Structure.from_specs((rest, specs[label_key]))
    return dataset.prefetch(prefetch)
