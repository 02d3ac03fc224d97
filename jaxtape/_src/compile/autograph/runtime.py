"""Run-time helpers of converted code: each decides, when it runs, whether the
statement is plain Python (a Python condition or iterable) or staged (a
tensor inside `tf.function`: `tf.cond` / `tf.while_loop`).

A converted statement passes its state (the names it assigns) as a tuple of
values with their names; `outs` are the names read after it. A branch or a
loop body is a function of the state that returns the new state. Staged,
only `outs` leave a `tf.cond`, and a name still undefined when a loop starts
is loop-local unless it is in `outs`. Errors are TensorFlow's AutoGraph
errors, raised while tracing.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import tree_util

from jaxtape._src.compile import closure, control_flow
from jaxtape._src.compile.signature import TRACED
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import OperatorNotAllowedInGraphError
from jaxtape._src.framework.nest import in_key_order, is_leaf, key_order
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.array import creation
from jaxtape._src.ops.math import compare

_LIMITATIONS = ("\nSee https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/"
                "autograph/g3doc/reference/limitations.md#consistency-of-control-flow-types "
                "for more info.")
_FOR_TENSOR_JUMP = ("break and return statements which depend on a TF condition are not "
                    "supported in Python for loops. Did you intend to make it a TF loop?"
                    + _LIMITATIONS)
_WHILE_TURNED_TENSOR = (
    "The condition of while loop started as non-Tensor, then changed to Tensor. This may "
    "happen either because variables changed type, or when a break or return statement "
    "inside the loop depends on a Tensor condition. In both cases, changing to a TF loop "
    "should remove the error." + _LIMITATIONS)
_RETURN_IN_LOOP = ("a return statement cannot be placed inside this TensorFlow loop; this "
                   "may happen if a return statement depends on a static Python condition "
                   "such as a hyperparameter")


class Undefined:
    """The value of a name not yet assigned (a converted statement still passes it)."""

    __slots__ = ("symbol_name",)

    def __init__(self, symbol_name):
        self.symbol_name = symbol_name

    def __repr__(self):
        return f"<undefined {self.symbol_name}>"


class Unbound(Undefined):
    """The value of a name an `except ... as name` clause unbound at its end."""

    __slots__ = ()


class UndefinedReturnValue:
    """The return value of a function that has not returned yet."""

    __slots__ = ()


def ld(value):
    """A read of a name: an `Undefined` one raises what Python would."""
    if isinstance(value, Undefined):
        if isinstance(value, Unbound):  # Python's own error for that name once `del`eted
            raise NameError(f"name '{value.symbol_name}' is not defined")
        raise UnboundLocalError(f"'{value.symbol_name}' is used before assignment")
    return value


def retval(value):
    return None if isinstance(value, UndefinedReturnValue) else value


def _is_tensor(x):
    return isinstance(x, (Tensor, Variable))


def _staged(x):
    return bool(local.tracing) and _is_tensor(x)


def _py_bool(x, message):
    try:
        return bool(x)
    except OperatorNotAllowedInGraphError as e:
        raise NotImplementedError(message) from e


# -- expressions ----------------------------------------------------------

def not_(x):
    return compare.logical_not(x) if _is_tensor(x) else not x


def and_(a_fn, b_fn):
    a = a_fn()
    return compare.logical_and(a, b_fn()) if _is_tensor(a) else a and b_fn()


def or_(a_fn, b_fn):
    a = a_fn()
    return compare.logical_or(a, b_fn()) if _is_tensor(a) else a or b_fn()


def if_exp(cond, true_fn, false_fn):
    if _staged(cond):
        return control_flow.cond(cond, true_fn, false_fn)
    return true_fn() if cond else false_fn()


# -- if -------------------------------------------------------------------

def _dtype(value):
    """The dtype a value has as a tensor, or None (a structure, an object)."""
    if isinstance(value, (Tensor, Variable)):
        return value.dtype
    if isinstance(value, (bool, int, float)):
        return convert_to_tensor(value).dtype
    return None


def if_stmt(cond, body, orelse, state, names, outs):
    if not _staged(cond):
        return body(*state) if cond else orelse(*state)
    index = [names.index(n) for n in outs]
    done = {}

    def branch(fn, which):
        def run():
            new = fn(*state)
            values = tuple(new[i] for i in index)
            for name, v in zip(outs, values):
                if isinstance(v, Undefined):
                    raise ValueError(f"'{name}' must also be initialized in the {which} branch")
                if isinstance(v, UndefinedReturnValue):
                    raise ValueError(f"the {which} branch must also have a return statement.")
                if v is None:
                    raise ValueError(f"'{name}' is None at the end of the {which} branch.")
            done[which] = values
            if len(done) == 2:
                for name, a, b in zip(outs, done["main"], done["else"]):
                    da, db = _dtype(a), _dtype(b)
                    if da is not None and db is not None and da != db:
                        raise TypeError(f"'{name}' has dtype {da.name} in the main branch, but "
                                        f"dtype {db.name} in the else branch")
            return values
        return run

    values = control_flow.cond(cond, branch(body, "main"), branch(orelse, "else"))
    new = list(state)
    for i, v in zip(index, values):
        new[i] = v
    return tuple(new)


# -- loops ----------------------------------------------------------------

def while_stmt(test, body, state, names, outs):
    go = test(*state)
    if _staged(go):
        return _staged_loop(test, body, state, names, outs, None)
    while _py_bool(go, _WHILE_TURNED_TENSOR):
        state = body(*state)
        go = test(*state)
    return state


class _Range:
    """`tf.range(...)` (or `range(...)`) over traced bounds, iterated without
    materializing it (its length is not known while tracing)."""

    def __init__(self, start, limit, delta, dtype):
        parts = [convert_to_tensor(v) for v in (start, limit, delta)]
        if dtype is None:
            order = creation._RANGE_ORDER
            dtype = max((p.dtype for p in parts),
                        key=lambda d: order.index(d) if d in order else 0)
        dtype = dtypes.as_dtype(dtype)
        self.start, self.limit, self.delta = (
            p if p.dtype == dtype else Tensor(p._value.astype(dtype.as_numpy_dtype)) for p in parts)

    def more(self, i):
        if not isinstance(self.delta._value, jax.core.Tracer):
            return i < self.limit if float(self.delta) > 0 else i > self.limit
        up = compare.logical_and(self.delta > 0, i < self.limit)
        return compare.logical_or(up, compare.logical_and(self.delta < 0, i > self.limit))


def symbolic_range(fn, args, kwargs):
    """A `_Range` for `for x in fn(*args, **kwargs)` when fn is a range over
    traced bounds, else None."""
    if fn is not creation.range and fn is not builtins.range:
        return None
    if not local.tracing or not any(_is_tensor(a) for a in (*args, *kwargs.values())):
        return None
    bound = dict(zip(("start", "limit", "delta"), args), **kwargs)
    start, limit = bound.get("start", 0), bound.get("limit")
    if limit is None:
        start, limit = 0, start
    return _Range(start, limit, bound.get("delta", 1), bound.get("dtype"))


def for_stmt(iterable, extra_test, body, state, names, outs):
    if isinstance(iterable, _Range):
        return _range_loop(iterable, extra_test, body, state, names, outs)
    if _staged(iterable):
        return _tensor_loop(convert_to_tensor(iterable), extra_test, body, state, names, outs)
    if extra_test is None:
        for item in iterable:
            state = body(item, *state)
        return state
    if _py_bool(extra_test(*state), _FOR_TENSOR_JUMP):
        for item in iterable:
            state = body(item, *state)
            if not _py_bool(extra_test(*state), _FOR_TENSOR_JUMP):
                break
    return state


def _indexed_loop(first, more, item, step, extra_test, body, state, names, outs, limit):
    """A loop over an internal iterate `i` (first, more(i), step(i)) feeding body(item(i))."""
    def test(i, *vars_):
        go = more(i)
        return go if extra_test is None else compare.logical_and(go, extra_test(*vars_))

    def loop_body(i, *vars_):
        return (step(i), *body(item(i), *vars_))

    res = _staged_loop(test, loop_body, (first, *state), ("<internal iterate>", *names),
                       ("<internal iterate>", *outs), limit)
    return res[1:]


def _tensor_loop(t, extra_test, body, state, names, outs):
    if t.shape.rank == 0:
        raise TypeError("Cannot iterate over a scalar tensor.")
    n = t._value.shape[0]
    return _indexed_loop(convert_to_tensor(0), lambda i: i < n, lambda i: t[i], lambda i: i + 1,
                         extra_test, body, state, names, outs, n)


def _range_loop(r, extra_test, body, state, names, outs):
    return _indexed_loop(r.start, r.more, lambda i: i, lambda i: i + r.delta,
                         extra_test, body, state, names, outs, None)


def _as_tensors(value):
    return in_key_order(key_order(value),
                        tree_util.tree_map(convert_to_tensor, value, is_leaf=is_leaf))


def _placeholders(body, state, missing, carry, names):
    """Zeros shaped like what one staged iteration assigns to the `missing`
    names (defined only inside the loop, read after it), as TF does."""
    trial = [_as_tensors(v) if i in carry and i not in missing else v
             for i, v in enumerate(state)]
    try:
        tr = closure.trace(lambda: tuple(body(*trial)[i] for i in missing))
    except (UnboundLocalError, TypeError, ValueError, KeyError) as e:
        note = (f"\nNote: AutoGraph tried to define it automatically, but ran into a "
                f"{type(e).__name__}: {e}")
        raise ValueError(f"'{names[missing[0]]}' must be defined before the loop{note}") from None
    zeros = tr.pack([Tensor(jnp.zeros(s, d)) for s, d in tr.out_avals])
    for i, value in zip(missing, zeros):
        if any(t is not TRACED for t in tree_util.tree_leaves(value, is_leaf=is_leaf)
               if not isinstance(t, Tensor)):
            raise ValueError(f"'{names[i]}' must be defined before the loop")
        state[i] = value


def _check_iteration(name, before, after):
    if after is None:
        raise ValueError(f"'{name}' is None at the end of the iteration.")
    b_leaves = tree_util.tree_leaves(before, is_leaf=is_leaf)
    a_leaves = tree_util.tree_leaves(after, is_leaf=is_leaf)
    if len(a_leaves) != len(b_leaves):
        raise TypeError(f"'{name}' does not have the same nested structure after one iteration.")
    for b, a in zip(b_leaves, a_leaves):
        a = convert_to_tensor(a)
        if a.dtype != b.dtype:
            raise TypeError(f"'{name}' has dtype {b.dtype.name} before the loop, but dtype "
                            f"{a.dtype.name} after one iteration")
        if a.shape != b.shape:
            raise ValueError(f"'{name}' has shape {b.shape} before the loop, but shape {a.shape} "
                             "after one iteration. Use tf.autograph.experimental.set_loop_options "
                             "to set shape invariants.")


def _staged_loop(test, body, state, names, outs, maximum_iterations):
    """`tf.while_loop` over the carried names: those defined before the loop
    and those read after it."""
    state = list(state)
    carry = [i for i, (n, v) in enumerate(zip(names, state))
             if not (isinstance(v, Undefined) and n not in outs)]
    for i in carry:
        if isinstance(state[i], UndefinedReturnValue):
            raise NotImplementedError(_RETURN_IN_LOOP)
        if state[i] is None:
            raise ValueError(f"'{names[i]}' is not allowed to be None before the loop")
    missing = [i for i in carry if isinstance(state[i], Undefined)]
    if missing:
        _placeholders(body, state, missing, carry, names)
    start = [_as_tensors(state[i]) for i in carry] or [convert_to_tensor(0)]

    def full(values):
        new = list(state)
        for i, v in zip(carry, values):
            new[i] = v
        return new

    def loop_test(*values):
        return test(*full(values))

    def loop_body(*values):
        new = body(*full(values))
        if not carry:
            return list(values)
        out = []
        for i, before in zip(carry, start):
            _check_iteration(names[i], before, new[i])
            out.append(_as_tensors(new[i]))
        return out

    res = control_flow.while_loop(loop_test, loop_body, start,
                                  maximum_iterations=maximum_iterations)
    return tuple(full(res if carry else ()))
