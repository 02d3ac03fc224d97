"""`tf.keras.activations.*` called on tensors: each one recorded op.

Keras's activation functions compute with Keras's ops, which take a jaxtape
tensor's array and return a bare JAX array: outside a layer's `call`,
`tf.keras.activations.gelu(x)` gave no `.numpy()` and cut the tape. Each
public activation function becomes a jaxtape op, its keyword arguments
static; inside Keras's own traced code (a layer's call) it is Keras's
function as is. `activations.get(name)` keeps returning Keras's own
function (layers built from names are unchanged).
"""
from __future__ import annotations

import functools
import inspect

from jaxtape._src.keras.backend import keras, tf_keras
from jaxtape._src.keras.common import float32_defaults, inside, unwrap_tree
from jaxtape._src.keras.training import _keras_internal, _tensor
from jaxtape._src.tape import stack
from jaxtape._src.tape.primitive import Primitive


def _recorded(fn):
    signature = inspect.signature(fn)

    def body(x, **options):
        with stack.hidden(), inside(), float32_defaults():
            return fn(x, **options)

    prim = Primitive(body, f"keras_{fn.__name__}")

    @functools.wraps(fn)
    def activation(x, *args, **kwargs):
        if _keras_internal(x):
            return fn(*unwrap_tree((x, *args)), **unwrap_tree(kwargs))
        options = signature.bind(x, *args, **kwargs).arguments
        del options["x"]
        return prim(_tensor(x), **options)

    activation._jaxtape_bridged = True
    return activation


def install() -> None:
    done = {}
    for module in dict.fromkeys([keras.activations, tf_keras.activations]):
        for name, value in list(vars(module).items()):
            if not inspect.isfunction(value) or getattr(value, "_jaxtape_bridged", False):
                continue
            if list(inspect.signature(value).parameters)[:1] != ["x"]:
                continue  # get / serialize / deserialize
            if value not in done:
                done[value] = _recorded(value)
            setattr(module, name, done[value])
