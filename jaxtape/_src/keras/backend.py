"""Imports Keras on its JAX backend, once, and tells it TensorFlow is absent.

Keras picks its backend once per process from `KERAS_BACKEND`, so it must be
set before Keras is first imported; a Keras already imported with another
backend cannot be bridged. Under `python -m jaxtape run`, `tensorflow` is
jaxtape, which Keras must not mistake for TensorFlow (its optional TF
integrations would call TF internals jaxtape does not have).
"""
from __future__ import annotations

import os
import sys

from jaxtape._src.keras import INSTALL_HINT


def _import_keras():
    imported = sys.modules.get("keras")
    if imported is None:
        os.environ["KERAS_BACKEND"] = "jax"
        try:
            import keras as imported
        except ImportError as e:
            raise ModuleNotFoundError(
                f"tf.keras on jaxtape needs Keras 3 (keras>=3.5): {INSTALL_HINT}",
                name="keras") from e
    backend = imported.backend.backend()
    if backend != "jax":
        raise RuntimeError(
            f"tf.keras on jaxtape needs Keras on its JAX backend, but Keras was already "
            f"imported with the {backend!r} backend. Set KERAS_BACKEND=jax (or import "
            f"jaxtape's tf.keras) before anything imports keras.")
    _hide_tensorflow(imported)
    return imported


def _hide_tensorflow(keras):
    """Keras's lazy `tensorflow` handle reports TF as not installed."""
    from keras.src.utils import module_utils

    lazy = module_utils.tensorflow
    if sys.modules.get("tensorflow") is not None and hasattr(sys.modules["tensorflow"], "_src"):
        def absent():
            raise ImportError(lazy.import_error_msg)
        lazy.module, lazy._available, lazy.initialize = None, False, absent
        # Preprocessing layers ask whether they run in a TF graph when
        # `tensorflow` is imported (here: jaxtape): never, so only Keras's own
        # scope flag (its tf.data integration) answers.
        from keras.src.backend.common import global_state
        from keras.src.utils import backend_utils

        backend_utils.in_tf_graph = lambda: bool(
            global_state.get_global_attribute("in_tf_graph_scope", False))


keras = _import_keras()


def _tf_keras_api():
    """What `tf.keras` is under TensorFlow: Keras's tf.keras export (legacy names such
    as `tf.keras.losses.mse` only), over the same classes as `keras` itself."""
    try:
        from keras._tf_keras import keras as api
    except ImportError:  # a Keras without the tf.keras export
        return keras
    return api


tf_keras = _tf_keras_api()
