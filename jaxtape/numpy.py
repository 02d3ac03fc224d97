"""`jaxtape.numpy`: every `jax.numpy` function as a recorded op on tensors.

`jaxtape.numpy.tanh(t)` records like `tf.tanh(t)`; functions are wrapped on
first use with `jaxtape._src.api.interop.op`, so the whole of `jax.numpy` is there
without a list to keep up to date. Constants and dtypes pass through.
"""
from __future__ import annotations

import jax.numpy as _jnp

from jaxtape._src.framework.errors import NotImplementedInJaxtape as _Missing
from jaxtape._src.api.interop import op as _op

_wrapped: dict = {}


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    hit = _wrapped.get(name)
    if hit is not None:
        return hit
    try:
        target = getattr(_jnp, name)
    except AttributeError:
        raise _Missing(f"jax.numpy has no function {name!r}, so jaxtape.numpy has none") from None
    if callable(target) and not isinstance(target, type):
        target = _op(target, name=f"jnp.{name}")
    _wrapped[name] = target
    return target


def __dir__():
    return dir(_jnp)
