"""`fit` / `evaluate` / `predict` on a jaxtape `tf.data.Dataset`.

Keras recognizes TensorFlow's own datasets only (its adapter for them runs
on TF), so a jaxtape dataset would be refused as "Unrecognized data type".
It gets a Keras `DataAdapter` of its own instead, with what TF's adapter
promises: each epoch iterates the dataset afresh, an element is `x`,
`(x, y)` or `(x, y, sample_weight)`, the epoch's length is the dataset's
cardinality when finite (else the iterator's end, or `steps_per_epoch`),
`y` and `sample_weight` arguments are refused and `shuffle=True` warned
about with Keras's messages, and `class_weight` becomes each batch's
sample weights. Elements reach Keras's JAX trainer as the tensors' arrays,
already on the device.
"""
from __future__ import annotations

import warnings

import jax
import numpy as np

from jaxtape._src.data.dataset import Dataset
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.keras.backend import keras  # noqa: F401 - Keras imported the bridge's way first
from jaxtape._src.keras.common import unwrap

from keras.src import tree
from keras.src.trainers import data_adapters
from keras.src.trainers.data_adapters import data_adapter_utils
from keras.src.trainers.data_adapters.data_adapter import DataAdapter


def _numpy(leaf):
    return np.asarray(unwrap(leaf))


class DatasetAdapter(DataAdapter):
    """A jaxtape dataset as Keras's trainers read it."""

    def __init__(self, dataset, class_weight=None):
        self._dataset = dataset
        self._class_weight = class_weight

    def _batches(self, convert):
        for element in self._dataset:
            batch = tree.map_structure(convert, element, none_is_leaf=False)
            if self._class_weight is not None:
                batch = self._weighted(batch)
            yield batch

    def _weighted(self, batch):
        """`(x, y, weights)`: TF's adapter looks each label up in a table of
        the class weights up to the largest class named (1.0 for those left
        out); a label past it is an error, as a gather's is."""
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(
            batch if isinstance(batch, tuple) else (batch,))
        if sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if tree.is_nested(y):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        table = np.array([self._class_weight.get(c, 1.0)
                          for c in range(max(self._class_weight) + 1)], np.float32)
        labels = np.asarray(y)
        if labels.ndim >= 2:
            labels = labels.argmax(-1) if labels.shape[-1] > 1 else labels.squeeze(-1).round()
        else:
            labels = labels.round()
        labels = labels.astype(np.int32)
        bad = np.flatnonzero((labels < 0) | (labels >= len(table)))
        if bad.size:
            i = int(bad[0])
            raise InvalidArgumentError(
                None, None, f"indices[{i}] = {labels[i]} is not in [0, {len(table)})")
        return x, y, jax.device_put(table[labels])

    def get_jax_iterator(self):
        return self._batches(unwrap)

    def get_numpy_iterator(self):
        return self._batches(_numpy)

    def get_tf_dataset(self):
        raise NotImplementedError("jaxtape does not implement a TensorFlow dataset of a "
                                  "jaxtape tf.data.Dataset (Keras's TensorFlow backend)")

    def get_torch_dataloader(self):
        raise NotImplementedError("jaxtape does not implement a torch DataLoader of a "
                                  "jaxtape tf.data.Dataset")

    @property
    def num_batches(self):
        n = self._dataset._cardinality()
        return None if n < 0 else n

    @property
    def batch_size(self):
        leaves = tree.flatten(self._dataset.element_spec)
        shape = getattr(leaves[0], "shape", None) if leaves else None
        return shape[0] if shape is not None and len(shape) else None

    @property
    def has_partial_batch(self):
        return None

    @property
    def partial_batch_size(self):
        return None


def _get_data_adapter(get_data_adapter):
    def get(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
            class_weight=None):
        if not isinstance(x, Dataset):
            return get_data_adapter(x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                                    steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                    class_weight=class_weight)
        if y is not None:
            data_adapters.raise_unsupported_arg("y", "the targets", "tf.data.Dataset")
        if sample_weight is not None:
            data_adapters.raise_unsupported_arg("sample_weights", "the sample weights",
                                                "tf.data.Dataset")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was "
                          "provided as a tf.data.Dataset. The Dataset is expected to already be "
                          "shuffled (via `.shuffle(buffer_size)`).", stacklevel=2)
        return DatasetAdapter(x, class_weight=class_weight)

    get.__wrapped__ = get_data_adapter
    return get


def install() -> None:
    data_adapters.get_data_adapter = _get_data_adapter(data_adapters.get_data_adapter)
