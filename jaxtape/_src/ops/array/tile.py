"""Repeating tensors: `tf.tile` (whole copies) and `tf.repeat` (each element)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.messages import named_by, op_error
from jaxtape._src.ops.support.args import single_axis, static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive

_tile = Primitive(jnp.tile, "Tile")


@primitive(name="Repeat")
def _repeat(x, *, repeats, axis):
    if axis is None:
        x, axis = jnp.reshape(x, (-1,)), 0
    reps = np.asarray(repeats)
    total = int(reps.sum()) if reps.ndim else int(reps) * x.shape[axis]
    return jnp.repeat(x, reps, axis=axis, total_repeat_length=total)


@defined("tile", primitive=_tile)
def tile(input, multiples, name=None):  # noqa: A002 - TF's argument name
    x = tensor(input)
    named = named_by(multiples)
    reps = static_shape(multiples)
    if len(reps) != x.ndim:
        raise op_error(f"Expected multiples argument to be a vector of length {x.ndim} but got "
                       f"length {len(reps)}", "Tile", named)
    for i, r in enumerate(reps):
        if r < 0:
            raise op_error(f"Expected multiples[{i}] >= 0, but got {r}", "Tile", named)
    return _tile(x, reps=reps)


@defined("repeat", primitive=_repeat)
def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """Repeats elements along `axis` (of the flattened input when None)."""
    x = tensor(input)
    reps = tensor(repeats).numpy()
    reps = int(reps) if reps.ndim == 0 else tuple(int(r) for r in reps.reshape(-1))
    if axis is not None:
        axis = single_axis(axis, x.ndim, "Repeat")
        if isinstance(reps, tuple) and len(reps) == 1:
            reps = reps[0]
        if isinstance(reps, tuple) and len(reps) != x._value.shape[axis]:
            raise ValueError(f"Dimensions must be equal, but are {x._value.shape[axis]} and "
                             f"{len(reps)}")
    elif isinstance(reps, tuple) and len(reps) == 1:
        reps = reps[0]
    return _repeat(x, repeats=reps, axis=axis)
