"""`tf.recompute_grad`: keep a function's inputs, not its intermediates.

Eagerly this is TF's design: the forward runs with the tapes paused, so no
intermediate is recorded, and ONE custom-gradient node holds the inputs; its
backward runs the function again under a local tape and differentiates that
(so the function's Python runs again during the backward, as in TF, and an
outer tape records the recomputation: higher order works).

Inside a trace (`tf.function`) the function is traced once and run as one
primitive made of `jax.checkpoint` of it: a tape inside the trace records one
node, and when the compiled program is differentiated XLA recomputes the
function in the backward instead of keeping its intermediates.
"""
from __future__ import annotations

import functools

import jax
from jax import tree_util

from jaxtape._src.autodiff.custom_gradient import VariableWatcher, custom_gradient
from jaxtape._src.compile import closure
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import flatten_with_tree
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tracing import is_traced
from jaxtape._src.ops.array.identity import identity
from jaxtape._src.tape import stack
from jaxtape._src.tape.gradient_tape import GradientTape, UnconnectedGradients
from jaxtape._src.tape.primitive import Primitive


def _paused():
    """TF's stop_recording for every tape, while variable watchers keep watching."""
    return stack.hidden([t for t in local.tapes if isinstance(t, VariableWatcher)],
                        local.accumulators)


def _eager(f):
    def inner(*args, **kwargs):
        with _paused():
            result = f(*args, **kwargs)

        def grad_fn(*dresult, variables=None):
            with GradientTape() as tape:
                id_args = tree_util.tree_map(identity, args)
                tape.watch(id_args)
                if variables is not None:
                    tape.watch(variables)
                recomputed = f(*id_args, **kwargs)
            kw_vars = list(variables) if variables is not None else []
            grads = tape.gradient(recomputed, list(id_args) + kw_vars,
                                  output_gradients=list(dresult),
                                  unconnected_gradients=UnconnectedGradients.ZERO)
            return grads[:len(id_args)], grads[len(id_args):]

        return result, grad_fn

    inner.__name__ = getattr(f, "__name__", "recompute_grad")
    return custom_gradient(inner)


def _checkpointed(f, args, kwargs):
    """`f` traced once and run as one `jax.checkpoint`-ed primitive."""
    flat, tree = flatten_with_tree((args, kwargs))
    where = [i for i, x in enumerate(flat) if isinstance(x, Tensor)]

    def body(*tensors):
        leaves = list(flat)
        for i, t in zip(where, tensors):
            leaves[i] = t
        a, k = tree_util.tree_unflatten(tree, leaves)
        return f(*a, **k)

    tr = closure.trace(body, [jax.ShapeDtypeStruct(flat[i]._value.shape, flat[i]._value.dtype)
                              for i in where])
    if tr.vars:
        raise NotImplementedInJaxtape("jaxtape does not implement tf.recompute_grad of a "
                                      "function that assigns variables inside tf.function")
    n = len(where)

    def run(*arrays):
        return tuple(tr.evaluate(arrays[n:], *arrays[:n])[:tr.n_out])

    closure.watch_accessed([tr])
    prim = Primitive(jax.checkpoint(run), getattr(f, "__name__", "recompute_grad"),
                     multiple_results=True)
    return tr.pack(prim(*[flat[i] for i in where], *tr.operands))


@export("recompute_grad")
def recompute_grad(f):
    """`f` with the same values and gradients, recomputed during the backward pass."""
    eager = _eager(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if is_traced((args, kwargs)):
            return _checkpointed(f, args, kwargs)
        return eager(*args, **kwargs)

    return wrapper
