"""Installs the bridge on the real Keras module, once (see the package docstring)."""
from __future__ import annotations

from jaxtape._src.keras import (activations, data_adapter, dataset_utils, initializers, layer_call, on_load,
                                pooling, tensorboard, tf_steps, trainer, training, variables)
from jaxtape._src.keras.backend import tf_keras

from keras.src import backend as keras_backend
from keras.src.backend.common import dtypes as keras_dtypes

# Keras resolves Python `int` (the optimizer's iteration count) and `complex`
# to 32/64 bits on JAX and to TF's 64/128 on TensorFlow; jaxtape has x64, so
# it takes TF's.
keras_dtypes.PYTHON_DTYPES_MAP.update({int: "int64", "int": "int64", complex: "complex128"})
variables.install(keras_backend.Variable)
layer_call.install()
training.install()
activations.install()
trainer.install()
data_adapter.install()
dataset_utils.install()
tf_steps.install()
tensorboard.install()
initializers.install()
pooling.install()
for hook in on_load:
    hook()


def keras_module():
    return tf_keras
