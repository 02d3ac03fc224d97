"""`tf.keras.utils.timeseries_dataset_from_array`, `image_dataset_from_directory`,
`text_dataset_from_directory` and `audio_dataset_from_directory` on jaxtape's `tf.data`.

Keras builds these datasets with TensorFlow through its lazy `tensorflow`
handle, which the bridge reports as absent (backend.py) so that the rest of
Keras never takes jaxtape for TF. Only these utilities' modules see a
`tensorflow` here: jaxtape's own namespaces, read from the export registry.
Keras's code then runs unchanged (the same file order, shuffling, splits,
label encodings and printed messages as under TF) and returns jaxtape
datasets, which `fit` reads through data_adapter.py.
"""
from __future__ import annotations

import functools
import threading

from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import REGISTRY
from jaxtape._src.keras.backend import keras  # noqa: F401 - Keras imported the bridge's way first

from keras.src.utils import (audio_dataset_utils, dataset_utils, image_dataset_utils, module_utils,
                             text_dataset_utils, timeseries_dataset_utils)


class _Namespace:
    """`tf` or `tf.X` as Keras's code reads it: registry names, looked up on use
    (the registry is complete once jaxtape is imported; the bridge loads later)."""

    def __init__(self, path: str = ""):
        self._path = path

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = f"{self._path}{name}"
        if full in REGISTRY:
            value = REGISTRY[full]
        elif any(key.startswith(full + ".") for key in REGISTRY):
            value = _Namespace(full + ".")
        else:
            raise NotImplementedInJaxtape(f"jaxtape does not implement tf.{full}")
        setattr(self, name, value)
        return value


TF = _Namespace()
_swap = threading.Lock()


def _with_jaxtape_as_tf(function):
    """`function` with Keras's shared `tensorflow` handle answered by jaxtape for
    the call: it imports the handle inside its body (`labels_to_dataset_tf`),
    and the label maps it builds keep what that import bound."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        with _swap:
            hidden = module_utils.tensorflow
            module_utils.tensorflow = TF
            try:
                return function(*args, **kwargs)
            finally:
                module_utils.tensorflow = hidden
    return call


def install() -> None:
    # Module globals: read when the datasets' map functions run, later.
    for module in (timeseries_dataset_utils, image_dataset_utils, text_dataset_utils,
                   audio_dataset_utils):
        module.tf = TF
    dataset_utils.labels_to_dataset_tf = _with_jaxtape_as_tf(dataset_utils.labels_to_dataset_tf)
