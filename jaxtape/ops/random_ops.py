"""`tf.random`: seeded sampling on JAX's counter-based PRNG.

TF's two-level seeding is kept: with a global seed (`tf.random.set_seed`) and
no op seed, each call draws the next op seed from a counter, so a program
gives the same sequence every run. Values differ from TF's (different
generators); shapes, dtypes and distributions match.
"""
from __future__ import annotations

import itertools
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape.api.exports import export
from jaxtape.framework import dtypes
from jaxtape.framework.tensor import Tensor
from jaxtape.ops.inputs import static_shape

_state = threading.local()
_global = {"seed": None, "counter": itertools.count()}


@export("random.set_seed")
def set_seed(seed):
    """Resets the global seed; op seeds are drawn from it afresh."""
    _global["seed"] = None if seed is None else int(seed)
    _global["counter"] = itertools.count()


def next_key(seed=None):
    """A PRNG key following TF's (global seed, op seed) rules."""
    if seed is None and _global["seed"] is None:
        return jax.random.PRNGKey(np.random.randint(0, 2**31 - 1))
    g = 87654321 if _global["seed"] is None else _global["seed"]
    op = next(_global["counter"]) if seed is None else int(seed)
    if seed is not None:
        # The same op seed gives a new value on each call, as TF's kernel state does.
        calls = getattr(_state, "calls", None)
        if calls is None:
            calls = _state.calls = {}
        n = calls.get((g, op), 0)
        calls[(g, op)] = n + 1
        return jax.random.fold_in(jax.random.PRNGKey(g * 1_000_003 + op), n)
    return jax.random.PRNGKey(g * 1_000_003 + op)


def _dtype(dtype):
    return dtypes.as_dtype(dtype).as_numpy_dtype


@export("random.normal")
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    z = jax.random.normal(next_key(seed), static_shape(shape), _dtype(dtype))
    return Tensor(z * jnp.asarray(stddev, _dtype(dtype)) + jnp.asarray(mean, _dtype(dtype)))


@export("random.uniform")
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    dt = dtypes.as_dtype(dtype)
    key = next_key(seed)
    if dt.is_integer:
        if maxval is None:
            raise ValueError("Must specify maxval for integer dtype %r" % dt)
        return Tensor(jax.random.randint(key, static_shape(shape), int(minval), int(maxval), _dtype(dt)))
    maxval = 1.0 if maxval is None else maxval
    return Tensor(jax.random.uniform(key, static_shape(shape), _dtype(dt), minval, maxval))
