"""Calling user functions on elements, and predicting what they return.

TF traces a `map` function once when the dataset is built, so `element_spec`
is known before iterating. jaxtape does the same with an abstract trace
(`jax.eval_shape`); dimensions unknown in the input (a batch dimension) are
traced at two sizes and become None where the output differs. A function
that cannot be traced (it reads values in Python) gets its spec from the
first element instead, when `element_spec` is first asked for.
"""
from __future__ import annotations

import jax
import numpy as np
from jax import tree_util

from jaxtape._src.compile import capture
from jaxtape._src.compile.function import traced
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.tape import stack
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.data.host import on_host
from jaxtape._src.data.spec import TensorSpec
from jaxtape._src.data.structure import Structure, map_leaves, normalize, to_tensors


def call(fn, structure: Structure, leaves, extra=()):
    """`fn(*element)` for a tuple element, `fn(element)` otherwise, as TF unpacks."""
    value = structure.pack(to_tensors(leaves))
    # Pipeline functions are not part of any model: a tape open around the loop
    # that iterates the dataset does not record them, as in TF.
    with on_host(), stack.hidden():
        if type(value) is tuple and not extra:
            return fn(*value)
        return fn(*extra, value)


def call_normalized(fn, structure, leaves):
    """The function's output as a normalized element (lists become tuples)."""
    return normalize(call(fn, structure, leaves), lists_are_tuples=True, device_ok=True)


def _abstract_leaf(leaf):
    if isinstance(leaf, Tensor):
        return leaf._value
    read = getattr(leaf, "_read_for_op", None)
    if read is not None:
        return read()._value
    return convert_to_tensor(leaf)._value


def _is_leaf(x):
    return x is None or not isinstance(x, (tuple, dict, list))


class _tracing:
    """Context for tracing a pipeline function: tapes hidden, variables read
    through a capture scope (so a trace never writes a tracer into one), on
    the host."""

    def __enter__(self):
        self.scope = capture.Scope(allow_create=False)
        self.stack = [traced(), capture.tracing_scope(self.scope), on_host()]
        for c in self.stack:
            c.__enter__()
        return self.scope

    def __exit__(self, *exc):
        for c in reversed(self.stack):
            c.__exit__(*exc)


def _element_body(fn, structure, box):
    """`fn` as a function of an element's flat arrays returning flat arrays."""
    def body(*arrays):
        value = structure.pack([Tensor(a) for a in arrays])
        out = fn(*value) if type(value) is tuple else fn(value)
        out = _lists_to_tuples(out)
        flat, treedef = tree_util.tree_flatten(out, is_leaf=_is_leaf)
        box["tree"] = (treedef, map_leaves(lambda leaf: None, out))
        return [_abstract_leaf(leaf) for leaf in flat]
    return body


# Primitives whose results a compiled copy would repeat on every call.
_STATEFUL = ("random", "threefry", "callback", "debug")


def _is_pure(jaxpr) -> bool:
    for eqn in jaxpr.eqns:
        if any(word in eqn.primitive.name for word in _STATEFUL):
            return False
        for param in eqn.params.values():
            inner = getattr(param, "jaxpr", param)
            if hasattr(inner, "eqns") and not _is_pure(inner):
                return False
    return True


def _trace_once(fn, structure, size):
    """(output nesting, [out avals], pure) for inputs whose None dims are `size`.

    `pure`: the function reads no variable and draws no random numbers, so a
    compiled, vectorized copy computes what the eager one would."""
    shapes = []
    for spec in structure.specs:
        if not isinstance(spec, TensorSpec) or spec.shape.rank is None:
            return None
        dims = tuple(size if d is None else d for d in spec.shape.as_list())
        shapes.append(jax.ShapeDtypeStruct(dims, spec.dtype.as_numpy_dtype))
    box = {}
    with _tracing() as scope:
        closed = jax.make_jaxpr(_element_body(fn, structure, box))(*shapes)
    pure = not scope.vars and _is_pure(closed.jaxpr)
    return box["tree"], closed.out_avals, pure


def vectorized(fn, structure):
    """`fn` over a block of elements (stacked on a new leading axis) as one
    compiled call; for a pure function only (see `infer`)."""
    box = {}
    batched = jax.jit(jax.vmap(_element_body(fn, structure, box)))

    traced_shapes = set()

    def call_block(block):
        key = tuple(a.shape for a in block)
        if key in traced_shapes:
            out = batched(*block)
        else:
            with _tracing():  # the first call per block shape traces
                out = batched(*block)
            traced_shapes.add(key)
        return tuple(np.asarray(o) for o in out)
    return call_block


def _lists_to_tuples(x):
    if isinstance(x, dict):
        return type(x)((k, _lists_to_tuples(v)) for k, v in x.items()) if type(x) is not dict \
            else {k: _lists_to_tuples(v) for k, v in x.items()}
    if isinstance(x, list):
        return tuple(_lists_to_tuples(v) for v in x)
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_lists_to_tuples(v) for v in x)
    if x is None:
        raise TypeError("tf.data functions cannot return None")
    return x


def infer(fn, structure: Structure):
    """The output Structure of `fn` on elements of `structure`, or None if it
    cannot be traced."""
    try:
        first = _trace_once(fn, structure, 2)
        if first is None:
            return None
        has_none = any(d is None for s in structure.specs for d in s.shape.as_list())
        second = _trace_once(fn, structure, 3) if has_none else first
    except Exception:  # noqa: BLE001 - any failure: learn the spec from the first element
        return None
    (treedef, template), outs, pure = first
    _, outs2, _ = second
    specs = []
    for a, b in zip(outs, outs2):
        dims = [x if x == y else None for x, y in zip(a.shape, b.shape)] \
            if len(a.shape) == len(b.shape) else None
        specs.append(TensorSpec(dims, np.dtype(a.dtype)))
    out = Structure(treedef, template, specs)
    out.pure = pure and not has_none
    return out

