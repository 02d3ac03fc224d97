"""`tf.nn.dropout`, on jaxtape's random key stream (so its masks differ from TF's)."""
from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.random import next_key
from jaxtape._src.ops.support.args import static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="Dropout")
def _dropout(x, keep, *, scale):
    return x * jnp.asarray(scale, x.dtype) * keep.astype(x.dtype)


@defined("nn.dropout", primitive=_dropout)
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each unit with probability `rate`, scaling the kept ones by 1/(1-rate)."""
    x = tensor(x)
    if not x.dtype.is_floating:
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.dtype}")
    if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        if not 0 <= rate < 1:
            raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={rate}")
        if rate == 0:
            return x
    rate = float(tensor(rate).numpy())
    shape = x._value.shape
    if noise_shape is not None:
        given = noise_shape.as_list() if hasattr(noise_shape, "as_list") else noise_shape
        given = static_shape([d if d is not None else -1 for d in given])
        shape = tuple(s if g == -1 else g for g, s in zip(given, shape)) if len(given) == len(shape) \
            else given
    u = jax.random.uniform(next_key(seed), shape, x._value.dtype)
    return _dropout(x, Tensor(u >= jnp.asarray(rate, u.dtype)), scale=1.0 / (1.0 - rate))
