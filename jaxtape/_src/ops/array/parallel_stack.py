"""`tf.parallel_stack`: `tf.stack` along a new first axis, inside `tf.function`
only (TF raises its RuntimeError eagerly). TF's ParallelConcat has no
gradient: asking for one raises its LookupError."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.framework.state import local
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive


def _raise(res, ct):
    raise LookupError("gradient registry has no entry for: ParallelConcat")


@jax.custom_vjp
def _parallel_concat(*values):
    return jnp.stack(values)


_parallel_concat.defvjp(lambda *values: (jnp.stack(values), None), _raise)
_parallel_prim = Primitive(_parallel_concat, "ParallelConcat")


@defined("parallel_stack", primitive=_parallel_prim)
def parallel_stack(values, name="parallel_stack"):
    """Stacks same-shaped tensors into one of rank + 1 (graph mode only)."""
    if not local.tracing:
        raise RuntimeError("tf.parallel_stack() is not compatible with eager execution.")
    first = tensor(values[0])
    ts = [first] + [tensor(v, first.dtype) for v in values[1:]]
    shape = first.shape
    for t in ts[1:]:
        if not t.shape.is_compatible_with(shape):
            raise ValueError(f"Shapes {t.shape} and {shape} are incompatible")
    return _parallel_prim(*ts)
