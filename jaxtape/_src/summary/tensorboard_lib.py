"""TensorBoard's protos and record writer, imported on first use.

TensorBoard (the optional extra `summary`) ships the Event/Summary protos,
the plugins' metadata and the TFRecord framing; only modules that need no
TensorFlow are imported here, so real TensorFlow is never loaded.
"""
from __future__ import annotations

import importlib

_MISSING = ("tf.summary needs TensorBoard's event writer, which is not installed: "
            "pip install 'jaxtape[summary]'")


def load(module: str):
    """`tensorboard.<module>`, or an ImportError saying which extra to install."""
    try:
        return importlib.import_module(f"tensorboard.{module}")
    except ImportError as e:
        raise ImportError(_MISSING) from e
