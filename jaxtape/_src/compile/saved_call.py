"""A compiled call with host callbacks, recorded on a tape with its pullback saved.

A `ConcreteFunction` called under a tape is normally recorded as one op
whose backward asks `jax.vjp` of the whole program, which runs the forward
again. For a program that calls back into Python (`tf.print`,
`tf.py_function`, `tf.numpy_function`) that would run the callbacks a
second time, where TF runs them once per call. Such a call instead runs
`jax.vjp` of the program once: JAX's partial evaluation keeps the callbacks
in the forward half, and the node keeps the pullback, which holds only the
residuals and linear ops, for the backward pass.

The node's op is not jitted (`jit=False`): its backward is a closure over
this call's residuals, so a whole-plan compile must not cache it.
"""
from __future__ import annotations

import jax
import numpy as np

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape.primitive import TRAINABLE, Primitive, record


def has_callbacks(jaxpr) -> bool:
    """Whether a jaxpr (or any jaxpr nested in its equations) calls back into Python."""
    for eqn in jaxpr.eqns:
        if "callback" in eqn.primitive.name:
            return True
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else (param,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns") and has_callbacks(inner):
                    return True
    return False


class _Pullback:
    """A node's static argument: the saved pullback and which inputs it differentiates."""

    __slots__ = ("pull", "diff", "out_avals")

    def __init__(self, pull, diff, out_avals):
        self.pull = pull
        self.diff = diff
        self.out_avals = out_avals

    def grads(self, mask, cts):
        cts = [np.zeros(shape, jax.dtypes.float0) if dtype not in TRAINABLE else
               (c._value if isinstance(c, Tensor) else c)
               for c, (shape, dtype) in zip(cts, self.out_avals)]
        by_input = dict(zip(self.diff, self.pull(tuple(cts))))
        return [by_input.get(i) for i, m in enumerate(mask) if m]


class SavedCallOp(Primitive):
    """The op such a call records: its backward is the node's `_Pullback`."""

    def __init__(self, name):
        super().__init__(self._no_forward, f"{name}_saved", multiple_results=True, jit=False)

    @staticmethod
    def _no_forward(*args):
        raise TypeError("a saved-pullback node is recorded, never called")

    def raw_vjp(self, skey, static, mask):
        n = len(mask)
        return lambda *args_and_cts: static.grads(mask, args_and_cts[n:])

    def vjp_kernel(self, skey, static, mask):
        return self.raw_vjp(skey, static, mask)

    def vjp_primitive(self, skey, static, mask):
        # An outer tape cannot follow a saved pullback: the gradient comes back as
        # constants (second-order gradients through a callback program are not recorded).
        n = len(mask)
        return lambda *args_and_cts: [None if g is None else Tensor(g)
                                      for g in static.grads(mask, args_and_cts[n:])]


def call(op, jitted, ins):
    """Runs `jitted` on `ins` (Tensors a tape may follow, or raw arrays) once,
    records one node keeping its pullback, and returns the outputs as Tensors."""
    arrays = [t._value if isinstance(t, Tensor) else t for t in ins]
    diff = tuple(i for i, t in enumerate(ins)
                 if isinstance(t, Tensor) and t._value.dtype in TRAINABLE)

    def of_diff(*d):
        full = list(arrays)
        for i, v in zip(diff, d):
            full[i] = v
        return jitted(*full)

    res, pull = jax.vjp(of_diff, *[arrays[i] for i in diff])
    outs = tuple(Tensor(r) for r in res)
    static = _Pullback(pull, diff, [(r.shape, r.dtype) for r in res])
    record(op, (), static, tuple(ins), outs)
    return outs
