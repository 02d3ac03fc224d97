"""Recording arbitrary JAX functions: `@jaxtape.op` and `jaxtape.numpy`.

`op(fn)` turns a function over pytrees of arrays (a Flax `apply`, an Optax
loss, hand-written `jnp` code) into one recorded primitive: tensors,
variables and arrays anywhere in its arguments become the primitive's inputs,
everything else is static, and the result comes back with the same pytree
structure, holding Tensors. The tape records one node, and JAX derives its
gradient, so a whole foreign model costs one step of the backward pass.
"""
from __future__ import annotations

import functools

import jax
import numpy as np
from jax import tree_util

from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.tape.primitive import Primitive

_DYNAMIC = object()  # marks an array leaf's place in the static skeleton


def _is_dynamic(leaf):
    return isinstance(leaf, (jax.Array, np.ndarray)) or is_tensor(leaf)


def _leaf(x):
    """None and tensors stay whole (a Variable is not a pytree to JAX)."""
    return x is None or is_tensor(x)


def _split(args, kwargs):
    """(dynamic leaves, hashable skeleton) of a call's arguments."""
    leaves, treedef = tree_util.tree_flatten((args, kwargs), is_leaf=_leaf)
    dynamic, skeleton = [], []
    for leaf in leaves:
        if _is_dynamic(leaf):
            if hasattr(leaf, "_read_for_op"):
                leaf = leaf._read_for_op()
            dynamic.append(leaf)
            skeleton.append(_DYNAMIC)
        else:
            skeleton.append(leaf)
    return dynamic, (treedef, tuple(skeleton))


class _ForeignCall:
    """The primitive body: rebuilds the call from skeleton + arrays, flattens the result."""

    def __init__(self, fn):
        self.fn = fn
        self.out_trees = {}

    def __call__(self, *arrays, skeleton):
        treedef, skel = skeleton
        it = iter(arrays)
        leaves = [next(it) if s is _DYNAMIC else s for s in skel]
        args, kwargs = tree_util.tree_unflatten(treedef, leaves)
        out = self.fn(*args, **kwargs)
        flat, tree = tree_util.tree_flatten(out)
        self.out_trees[skeleton] = tree
        return tuple(flat)


def op(fn=None, *, name=None, jit=True):
    """Decorator: makes a JAX function a recorded op on jaxtape tensors.

    >>> @jaxtape.op
    ... def mlp(params, x):
    ...     return jnp.tanh(x @ params["w"] + params["b"])
    """
    if fn is None:
        return lambda f: op(f, name=name, jit=jit)
    body = _ForeignCall(fn)
    prim = Primitive(body, name or getattr(fn, "__name__", "op"), multiple_results=True, jit=jit)

    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        dynamic, skeleton = _split(args, kwargs)
        try:
            hash(skeleton)
        except TypeError:
            raise TypeError(f"{prim.name}: non-array arguments must be hashable (they are "
                            f"compiled in as constants); pass arrays or tensors instead") from None
        flat = prim(*dynamic, skeleton=skeleton)
        return tree_util.tree_unflatten(body.out_trees[skeleton], list(flat))

    recorded.primitive = prim
    return recorded
