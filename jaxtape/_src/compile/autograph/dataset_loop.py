"""`for x in dataset` inside `tf.function`: a `lax.scan` over the pass's elements.

TF's AutoGraph turns a loop over a `tf.data.Dataset` (or an iterator) into a
dataset loop op that iterates at run time, once per call. jaxtape compiles
with static shapes, so each call's pass is materialized on the host and fed
to the program (`compile/feeds.py`): consecutive elements of one shape are
stacked into a run (a pass of `batch(32)` over 100 elements is a run of
three full batches, then a run of one batch of 4), and each run is one
`lax.scan` whose body is the loop body, traced once. A scan, not an
unrolled loop or a `while_loop`: the program's size does not grow with the
element count and JAX can differentiate it.

An iterable takes this path when it has `_staged_runs()` (the tf.data
classes do): a list of `(pack, stacked)`, `pack` building one element from
a slice of each `stacked` tensor. Everything else goes to `runtime.for_stmt`.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import lax, tree_util

from jaxtape._src.compile import capture, closure, feeds
from jaxtape._src.compile.autograph import runtime
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.nest import flatten_with_tree
from jaxtape._src.tape.primitive import Primitive


def for_stmt(iterable, extra_test, body, state, names, outs):
    staged = getattr(iterable, "_staged_runs", None)
    if staged is None or not feeds.tracing():
        return runtime.for_stmt(iterable, extra_test, body, state, names, outs)
    for pack, stacked in staged():
        state = _scan(pack, stacked, extra_test, body, state, names, outs)
    return state


def builtin_over_datasets(fn, args, kwargs):
    """`enumerate(ds)` / `zip(ds1, ds2)` in a `for` as TF's AutoGraph reads them:
    `ds.enumerate(start)` / `Dataset.zip(...)`, so the loop is a dataset loop; else None."""
    if not feeds.tracing() or not args or not all(hasattr(a, "_staged_runs") for a in args):
        return None
    if fn is builtins.enumerate and hasattr(args[0], "enumerate") and len(args) <= 2:
        start = args[1] if len(args) > 1 else kwargs.get("start", 0)
        return args[0].enumerate(start)
    if fn is builtins.zip and not kwargs and all(hasattr(a, "enumerate") for a in args):
        return type(args[0]).zip(*args)
    return None


def _avals(tensors, drop_leading=False):
    return [jax.ShapeDtypeStruct(t._value.shape[1:] if drop_leading else t._value.shape,
                                 t._value.dtype) for t in tensors]


def _scan(pack, stacked, extra_test, body, state, names, outs):
    """One run: `state = body(element, *state)` for each element of `stacked`."""
    state = list(state)
    carry = [i for i, (n, v) in enumerate(zip(names, state))
             if not (isinstance(v, runtime.Undefined) and n not in outs)]
    for i in carry:
        if isinstance(state[i], runtime.UndefinedReturnValue):
            raise NotImplementedError(runtime._RETURN_IN_LOOP)
        if state[i] is None:
            raise ValueError(f"'{names[i]}' is not allowed to be None before the loop")
    missing = [i for i in carry if isinstance(state[i], runtime.Undefined)]
    if missing:  # TF's dataset loop defines no placeholder, unlike its tensor loops
        raise ValueError(f"'{names[missing[0]]}' must be defined before the loop")
    start, tree = flatten_with_tree([runtime._as_tensors(state[i]) for i in carry])
    start = [convert_to_tensor(t) for t in start]
    n_loop, n_x = len(start), len(stacked)

    def full(values):
        new = list(state)
        for i, v in zip(carry, tree_util.tree_unflatten(tree, list(values))):
            new[i] = v
        return new

    def body_flat(*ts):
        before = full(ts[:n_loop])
        new = body(pack(list(ts[n_loop:])), *before)
        out = []
        for i in carry:
            runtime._check_iteration(names[i], before[i], new[i])
            out.append(runtime._as_tensors(new[i]))
        return flatten_with_tree(out)[0]

    def test_flat(*ts):
        return convert_to_tensor(extra_test(*full(ts)))

    in_avals = _avals(start) + _avals(stacked, drop_leading=True)
    carried = []
    while True:  # variables the body assigns are carried through the scan
        body_tr = closure.trace(body_flat, in_avals, carried)
        if len(body_tr.vars) == len(carried):
            break
        carried = list(body_tr.vars)
    test_tr = None
    if extra_test is not None:
        test_tr = closure.trace(test_flat, _avals(start), carried)
        if len(test_tr.vars) != len(carried):
            raise ValueError("a loop's break condition must assign no variable")
    n_vars = len(carried)
    n_test = len(test_tr.operands) if test_tr is not None else 0

    def loop(*ops):
        init = ops[:n_loop + n_vars]
        xs = ops[n_loop + n_vars:n_loop + n_vars + n_x]
        tc = ops[n_loop + n_vars + n_x:n_loop + n_vars + n_x + n_test]
        bc = ops[n_loop + n_vars + n_x + n_test:]

        def step(vals, x):
            new = body_tr.evaluate(bc, *vals[:n_loop], *x, *vals[n_loop:])
            if test_tr is not None:  # a `break` ran: the rest of the pass changes nothing
                go = test_tr.evaluate(tc, *vals)[0]
                new = [jnp.where(go, a, b) for a, b in zip(new, vals)]
            return tuple(new), None

        return lax.scan(step, tuple(init), tuple(xs))[0]

    scope = capture.active_scope()
    var_init = [scope.shadow[id(v)] for v in carried] if carried else []
    operands = [*start, *var_init, *stacked,
                *(test_tr.operands if test_tr is not None else ()), *body_tr.operands]
    closure.watch_accessed([body_tr] + ([test_tr] if test_tr is not None else []))
    res = Primitive(loop, "dataset_loop", multiple_results=True)(*operands)
    for var, value in zip(carried, res[n_loop:]):
        var._value = value._value
    return tuple(full(res[:n_loop]))


def fold(runs, reduce_func, state):
    """`state = reduce_func(state, element)` over staged runs (`Dataset.reduce` in tf.function)."""
    reduce_func = runtime_converted(reduce_func)
    carried = (state,)
    for pack, stacked in runs:
        carried = _scan(pack, stacked, None, lambda item, s: (reduce_func(s, item),),
                        carried, ("state",), ("state",))
    return carried[0]


def runtime_converted(fn):
    # cycle: conversion imports this module for its `for_stmt`
    from jaxtape._src.compile.autograph import conversion
    return conversion.converted(fn)
