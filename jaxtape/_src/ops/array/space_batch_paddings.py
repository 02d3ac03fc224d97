"""`tf.required_space_to_batch_paddings`: TF's Python arithmetic for the
paddings and crops that make `input_shape` divisible by `block_shape`, on the
host when the arguments are constants (always, eagerly), else with ops."""
from __future__ import annotations

import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.array.creation import constant, zeros, zeros_like
from jaxtape._src.ops.array.join import stack
from jaxtape._src.ops.support.define import defined


@defined("required_space_to_batch_paddings")
def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """(paddings, crops), each [num_block_dims, 2] int32."""
    input_shape = tensor(input_shape, dtypes.int32)
    block_shape = tensor(block_shape, dtypes.int32)
    block_shape.shape.assert_has_rank(1)
    n = block_shape.shape[0]
    if n == 0:
        return zeros([0, 2], dtypes.int32), zeros([0, 2], dtypes.int32)
    if not input_shape.shape.is_compatible_with([n]):
        raise ValueError(f"Shapes {input_shape.shape} and {[n]} are incompatible")
    if base_paddings is not None:
        base_paddings = tensor(base_paddings, dtypes.int32)
        if not base_paddings.shape.is_compatible_with([n, 2]):
            raise ValueError(f"Shapes {base_paddings.shape} and {[n, 2]} are incompatible")
    else:
        base_paddings = zeros([n, 2], dtypes.int32)
    parts = (input_shape, block_shape, base_paddings)
    if not any(isinstance(t._value, Tracer) for t in parts):
        shape, block, base = (np.asarray(t._value) for t in parts)
        start, end = base[:, 0], base[:, 1]
        extra = (block - (shape + start + end) % block) % block
        return (constant(np.stack([start, end + extra], 1).astype(np.int32)),
                constant(np.stack([np.zeros_like(extra), extra], 1).astype(np.int32)))
    start, end = base_paddings[:, 0], base_paddings[:, 1]
    full = input_shape + start + end
    extra = (block_shape - full % block_shape) % block_shape
    return (stack([start, end + extra], axis=1),
            stack([zeros_like(extra), extra], axis=1))


