"""How an op runs while `tf.function` traces: as TF's graph builder would.

While any thread traces, `Primitive.__call__` is swapped for `graph_call`
(the eager path keeps its fast `__call__` the rest of the time; another
thread's eager calls through `graph_call` give the same results):

* constant folding: an op whose inputs are all concrete integer or bool
  arrays (a `tf.shape`, a Python list, a constant) runs at trace time when
  its outputs are integer or bool too, so `tf.reshape(x, [tf.shape(x)[0] * 2,
  -1])` or `tf.unique` of a constant see host values, as TF's shape
  inference and constant folding do. Floating results stay traced: they may
  carry gradients and may be large;
* TF's gradient rules: an op that TF gives no gradient (`differentiable=False`)
  cuts it with `stop_gradient`, since JAX differentiates the traced program
  whole; an op with a TF gradient formula (`graph_twin`) runs as its twin.
"""
from __future__ import annotations

import threading

import jax
from jax import lax

from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape import stack
from jaxtape._src.tape.primitive import TRAINABLE, Primitive

_eager_call = Primitive.__call__
_lock = threading.Lock()
_installed = 0


def _foldable(args):
    if not args:
        return False
    for a in args:
        v = a._value if type(a) is Tensor else a
        if isinstance(v, jax.core.Tracer) or getattr(v, "dtype", None) in TRAINABLE:
            return False
    return True


def _all_integral(result):
    outs = result if isinstance(result, tuple) else (result,)
    return all(o._value.dtype not in TRAINABLE for o in outs)


def _cut(result):
    # The same ids: a tape inside the function follows the outputs (TF:
    # `gradient(3 * floor(x), floor(x))` is 3), only JAX's derivative stops.
    if isinstance(result, tuple):
        return tuple(Tensor(lax.stop_gradient(o._value), o._id) for o in result)
    return Tensor(lax.stop_gradient(result._value), result._id)


def graph_call(self, *args, **static):
    """`Primitive.__call__` while tracing (see the module docstring)."""
    if not local.tracing:
        return _eager_call(self, *args, **static)
    if _foldable(args):
        with jax.ensure_compile_time_eval(), stack.hidden():
            folded = _eager_call(self, *args, **static)
        if _all_integral(folded):
            return folded
    prim = self.graph_twin or self
    result = _eager_call(prim, *args, **static)
    if not self.differentiable:
        result = _cut(result)
    return result


class installed:
    """Context: `graph_call` replaces `Primitive.__call__` inside (reference-counted)."""

    __slots__ = ()

    def __enter__(self):
        global _installed
        with _lock:
            if _installed == 0:
                Primitive.__call__ = graph_call
            _installed += 1
        return self

    def __exit__(self, *exc):
        global _installed
        with _lock:
            _installed -= 1
            if _installed == 0:
                Primitive.__call__ = _eager_call
