"""`tf.cond`, `tf.switch_case`, `tf.case` and `tf.while_loop`.

Eagerly TF runs plain Python control flow, and so do these (ops inside are
recorded on tapes as usual). On traced values (inside `tf.function`) they
trace the callables (`jaxtape._src.compile.closure`) and run them as
`lax.switch` / `lax.while_loop` / `lax.scan` inside ONE primitive whose
inputs are everything the callables captured, so a tape records the whole
construct as one node and JAX differentiates it.

`lax.while_loop` cannot be reverse-differentiated: with a Python-int
`maximum_iterations` the loop runs as a `lax.scan` of that length that stops
updating once `cond` is false (differentiable); without it, asking for a
gradient raises a clear error.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax, tree_util

from jaxtape._src.compile import capture, closure
from jaxtape._src.compile.signature import TensorSpec
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import invalid_argument
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import (assert_same_structure, flatten_with_tree, in_key_order,
                                         is_leaf, key_order)
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.framework.tracing import is_traced
from jaxtape._src.tape import stack
from jaxtape._src.tape.primitive import Primitive


# -- branches ---------------------------------------------------------------

def _structure_text(tr):
    return str(tr.pack([f"Tensor(shape={tuple(s)}, dtype={jnp.dtype(d).name})"
                        for s, d in tr.out_avals]))


def _check_branches(traces, names, op):
    first = traces[0]
    for name, tr in zip(names[1:], traces[1:]):
        same = (tr.out_tree == first.out_tree and
                [d for _, d in tr.out_avals] == [d for _, d in first.out_avals] and
                [t for t in tr.out_template if t is not closure.TRACED] ==
                [t for t in first.out_template if t is not closure.TRACED])
        if not same:
            raise TypeError(
                f"{names[0]} and {name} arguments to {op} must have the same number, type, and "
                f"overall structure of return values.\n\n{names[0]} output: "
                f"{_structure_text(first)}\n{name} output: {_structure_text(tr)}")
        if [tuple(s) for s, _ in tr.out_avals] != [tuple(s) for s, _ in first.out_avals]:
            raise ValueError(
                f"{op}: {names[0]} and {name} return tensors of different shapes "
                f"({_structure_text(first)} vs {_structure_text(tr)}); jaxtape compiles with "
                "static shapes, so both branches must return the same shapes.")


def _traced_switch(index, fns, names, op):
    """Runs `fns[index]()` with `lax.switch`, recorded as one primitive."""
    traces = [closure.trace(fn) for fn in fns]
    if op == "tf.cond":  # fns are [false_fn, true_fn]; TF's message names true_fn first
        _check_branches(traces[::-1], names[::-1], op)
    else:
        _check_branches(traces, names, op)
    scope = capture.active_scope()
    vars_, seen = [], set()
    for tr in traces:
        for v in tr.vars:
            if id(v) not in seen:
                seen.add(id(v))
                vars_.append(v)
    before = [scope.shadow[id(v)] for v in vars_] if vars_ else []
    n_out = traces[0].n_out
    sizes = [len(tr.operands) for tr in traces]
    n_branches = len(traces)

    def branch(i):
        tr = traces[i]
        start = sum(sizes[:i])

        def run(ops):
            res = tr.evaluate(ops[start:start + sizes[i]])
            mine = dict(zip(map(id, tr.vars), res[n_out:]))
            pre = ops[len(ops) - len(vars_):]
            return tuple(res[:n_out]) + tuple(mine.get(id(v), p) for v, p in zip(vars_, pre))
        return run

    def switch(idx, *ops):
        if idx.dtype == jnp.bool_:
            idx = idx.astype(jnp.int32)
        else:  # out of range runs the last branch (the default), as TF
            idx = jnp.where((idx < 0) | (idx >= n_branches), n_branches - 1, idx)
        return tuple(lax.switch(idx, [branch(i) for i in range(n_branches)], ops))

    operands = [o for tr in traces for o in tr.operands] + before
    closure.watch_accessed(traces)
    res = Primitive(switch, op.replace("tf.", ""), multiple_results=True)(index, *operands)
    for var, value in zip(vars_, res[n_out:]):
        var._value = value._value
    # TF's outputs take the structure (dict key order) of tf.cond's true_fn, else the first branch's
    return (traces[-1] if op == "tf.cond" else traces[0]).pack(res[:n_out])


def _pred_tensor(pred):
    pred = convert_to_tensor(pred)
    if pred.shape.rank != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {pred.shape.rank} for "
                         f"'cond' (op: 'If') with input shapes: {pred.shape}.")
    if not pred.dtype.is_bool:
        raise TypeError(f"The `pred` argument to tf.cond must be a boolean tensor, got "
                        f"dtype {pred.dtype.name}.")
    return pred


@export("cond")
def cond(pred, true_fn=None, false_fn=None, name=None):
    """`true_fn()` if `pred` else `false_fn()`; traced: one `lax.cond`."""
    if true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if isinstance(pred, Variable):
        pred = pred._read_for_op()
    if not is_traced(pred):
        return true_fn() if convert_to_tensor(pred) else false_fn()
    return _traced_switch(_pred_tensor(pred), [false_fn, true_fn],
                          ["false_fn", "true_fn"], "tf.cond")


def _branch_list(branch_fns):
    if isinstance(branch_fns, dict):
        items = sorted(branch_fns.items())
    elif branch_fns and isinstance(branch_fns[0], (tuple, list)):
        items = sorted(branch_fns)
    else:
        items = list(enumerate(branch_fns))
    if not items:
        raise ValueError("Must provide at least one item in branch_fns")
    keys = [k for k, _ in items]
    if keys != list(range(len(items))):
        raise ValueError(f"branch indices (keys) must form contiguous range of [0 to "
                         f"{len(items)}) but found {{{', '.join(map(str, keys))}}}.")
    for k, fn in items:
        if not callable(fn):
            raise TypeError(f"fn for branch {k} must be callable.")
    return [fn for _, fn in items]


@export("switch_case")
def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """`branch_fns[branch_index]()`; out of range runs `default` (else the last)."""
    fns = _branch_list(branch_fns)
    if default is not None:
        if not callable(default):
            raise TypeError("default must be callable.")
        fns = fns + [default]
    # TF converts nothing: a Python int or a variable is refused, as is a float tensor.
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not is_traced(branch_index):
        index = int(branch_index)
        return (fns[index] if 0 <= index < len(fns) else fns[-1])()
    index = branch_index
    if index.shape.rank != 0:
        raise TypeError("branch_index must be a scalar integer tensor, got "
                        f"{index.dtype.name} of shape {index.shape}.")
    names = [f"branch_fns[{i}]" for i in range(len(fns))]
    return _traced_switch(index, fns, names, "tf.switch_case")


@export("case")
def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The fn of the first true predicate, else `default` (else the last fn)."""
    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    for p in pairs:
        if not isinstance(p, tuple) or len(p) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple. Received {p}.")
        if not callable(p[1]):
            raise TypeError("fn for pred %s must be callable." % (p[0],))
    if default is None:
        if not pairs:
            raise ValueError("Must provide at least one item in pred_fn_pairs")
        pairs, default = pairs[:-1], pairs[-1][1]
    preds = [p for p, _ in pairs]
    if not is_traced(preds):
        chosen = [fn for p, fn in pairs if convert_to_tensor(p)]
        if exclusive and len(chosen) > 1:
            raise invalid_argument("Input error: exclusive=True and more than one predicate "
                                   "evaluated to true.", "Assert")
        return chosen[0]() if chosen else default()
    result = default
    for p, fn in reversed(pairs):
        result = (lambda p, fn, rest: lambda: cond(p, fn, rest))(p, fn, result)
    return result()


# -- loops ----------------------------------------------------------------

def _same_structure(a, b):
    norm = lambda s: tree_util.tree_map(  # noqa: E731
        lambda _: 0, s, is_leaf=is_leaf) if not isinstance(s, (list, tuple)) else [norm(x) for x in s]
    return norm(a) == norm(b) if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)) \
        else tree_util.tree_structure(a, is_leaf=is_leaf) == tree_util.tree_structure(b, is_leaf=is_leaf)


def _structure_error(structure, loop_vars):
    """TF's error for a body that changed the loop's structure: its first
    structure is the loop variables' TensorSpecs."""
    specs = tree_util.tree_map(lambda x: x if x is None else TensorSpec.from_tensor(
        convert_to_tensor(x)), structure, is_leaf=is_leaf)
    assert_same_structure(specs, loop_vars)
    raise ValueError("The two structures don't have the same nested structure.\n\n"
                     f"First structure: {specs}\n\nSecond structure: {loop_vars}")


def _eager_while(cond_fn, body_fn, loop_vars, maximum_iterations):
    if maximum_iterations is not None:
        limit = int(convert_to_tensor(maximum_iterations))
        count, inner_cond, inner_body = 0, cond_fn, body_fn
        loop_vars = (count, loop_vars)
        cond_fn = lambda i, lv: i < limit and inner_cond(*lv)  # noqa: E731
        body_fn = lambda i, lv: (i + 1, inner_body(*lv))  # noqa: E731
    structure = list(loop_vars)
    while cond_fn(*loop_vars):
        loop_vars = body_fn(*loop_vars)
        if not _same_structure(structure, list(loop_vars)):
            _structure_error(structure, list(loop_vars))
    loop_vars = in_key_order(key_order(loop_vars), tree_util.tree_map(
        lambda x: x if x is None else convert_to_tensor(x), loop_vars, is_leaf=is_leaf))
    return loop_vars[1] if maximum_iterations is not None else loop_vars


def _while_primitive(cond_tr, body_tr, n_loop, n_vars, max_iter):
    nc = len(cond_tr.operands)

    def split(ops):
        if max_iter == "tensor":
            ops = ops[:-1]
        init = ops[:n_loop + n_vars]
        rest = ops[n_loop + n_vars:]
        return tuple(init), rest[:nc], rest[nc:]

    def keep_going(cc, vals):
        return cond_tr.evaluate(cc, *vals)[0]

    def step(bc, vals):
        return tuple(body_tr.evaluate(bc, *vals))

    if isinstance(max_iter, int):
        def loop(*ops):
            init, cc, bc = split(ops)

            def scan_step(vals, _):
                go = keep_going(cc, vals)
                new = step(bc, vals)
                return tuple(jnp.where(go, n, o) for n, o in zip(new, vals)), None

            return lax.scan(scan_step, init, None, length=max_iter)[0]
        return loop

    def counted(*ops):
        """The loop's results and how many times its body ran."""
        init, cc, bc = split(ops)
        limit = ops[-1] if max_iter == "tensor" else None

        def go(v):
            more = keep_going(cc, v[1])
            return more if limit is None else (v[0] < limit) & more

        count, out = lax.while_loop(go, lambda v: (v[0] + 1, step(bc, v[1])),
                                    (jnp.zeros((), jnp.int32), init))
        return out, count

    def run(*ops):
        return counted(*ops)[0]

    def fwd(*ops):
        out, count = counted(*ops)
        return out, (ops, count)

    def bwd(saved, cts):
        # The trip count is a traced value, so no static-length scan can save
        # the states: each step's state is recomputed from the start (O(n^2)
        # body runs, O(1) memory), then the body's VJP is taken there.
        ops, count = saved
        init, cc, bc = split(ops)

        def back(k, carry):
            ct_vals, ct_bc = carry
            state = lax.fori_loop(0, count - 1 - k, lambda _, v: step(bc, v), init)
            _, pull = jax.vjp(lambda v, b: step(b, v), state, bc)
            d_vals, d_bc = pull(ct_vals)
            return d_vals, jax.tree.map(_add_cotangents, ct_bc, d_bc)

        cts = tuple(c if jnp.issubdtype(c.dtype, jnp.inexact) else _zero_cotangent(c) for c in cts)
        ct_init, ct_bc = lax.fori_loop(0, count, back, (cts, tuple(_zero_cotangent(b) for b in bc)))
        grads = list(ct_init) + [_zero_cotangent(c) for c in cc] + list(ct_bc)
        if max_iter == "tensor":
            grads.append(_zero_cotangent(ops[-1]))
        return tuple(grads)

    loop = jax.custom_vjp(run)
    loop.defvjp(fwd, bwd)
    return loop


def _zero_cotangent(x):
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.zeros(x.shape, x.dtype)
    return np.zeros(x.shape, jax.dtypes.float0)


def _add_cotangents(a, b):
    return a if a.dtype == jax.dtypes.float0 else a + b


_COUNT_LIMIT = 10_000


def _static_trip_count(cond_fn, body_fn, loop_vars, limit):
    """How many times the loop runs when that is known at trace time (its
    condition folds to a constant on every iteration), else None.

    The loop is run in a throwaway trace, so nothing it computes or assigns
    reaches the program; with the count known it runs as a fixed-length
    `lax.scan`, which JAX can differentiate.
    """
    scope = capture.active_scope()
    saved = None if scope is None else {k: dict(v) for k, v in vars(scope).items() if isinstance(v, dict)}
    found = []

    def run():
        vals, n = loop_vars, 0
        while n <= limit:
            go = convert_to_tensor(cond_fn(*vals))
            if isinstance(go._value, jax.core.Tracer) or go._value.shape:
                return
            if not bool(go._value):
                found.append(n)
                return
            vals = body_fn(*vals)
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
            n += 1

    try:
        with stack.hidden():
            jax.make_jaxpr(run)()
    except Exception:  # noqa: BLE001 - the real trace below reports the user's error
        return None
    finally:
        if saved is not None:
            for k, v in saved.items():
                getattr(scope, k).clear()
                getattr(scope, k).update(v)
    return found[0] if found else None


def _traced_while(cond_fn, body_fn, loop_vars, shape_invariants, maximum_iterations):
    flat, tree = flatten_with_tree(loop_vars)
    order = key_order(loop_vars)
    tensors = [convert_to_tensor(x) for x in flat]
    avals = [jax.ShapeDtypeStruct(t._value.shape, t._value.dtype) for t in tensors]

    def unpack(ts):
        return in_key_order(order, tree_util.tree_unflatten(tree, ts))

    def body_flat(*ts):
        out = body_fn(*unpack(ts))
        if not isinstance(out, (list, tuple, dict)):
            out = [out]
        if not _same_structure(out, loop_vars):
            raise ValueError("The two structures don't have the same nested structure.\n\n"
                             f"First structure: {out}\n\nSecond structure: {loop_vars}")
        return tree_util.tree_leaves(out, is_leaf=is_leaf)

    def cond_flat(*ts):
        return convert_to_tensor(cond_fn(*unpack(ts)))

    carried = []
    while True:  # variables assigned in the body are carried through the loop
        body_tr = closure.trace(body_flat, avals, carried)
        if len(body_tr.vars) == len(carried):
            break
        carried = list(body_tr.vars)
    for i, ((s0, d0), (s1, d1)) in enumerate(zip([(a.shape, a.dtype) for a in avals],
                                                 body_tr.out_avals)):
        name = f"loop_vars[{i}]"
        if d0 != d1:
            raise TypeError(f"Loop var {name} enters the loop with type "
                            f"<dtype: '{jnp.dtype(d0).name}'> but has type <dtype: "
                            f"'{jnp.dtype(d1).name}'> after 1 iteration. "
                            f"{name} type should remain constant.")
        if tuple(s0) != tuple(s1):
            raise ValueError(f"Input tensor `{name}` enters the loop with shape {tuple(s0)}, but "
                             f"has shape {tuple(s1)} after one iteration. jaxtape compiles with "
                             "static shapes: loop variables must keep their shapes.")
    cond_tr = closure.trace(cond_flat, avals, carried)
    if len(cond_tr.vars) != len(carried) or cond_tr.n_out != 1:
        raise ValueError("tf.while_loop: `cond` must return one boolean and assign no variable.")
    if maximum_iterations is not None:
        limit = convert_to_tensor(maximum_iterations)
        if limit.shape.rank != 0:
            raise ValueError("'maximum_iterations' must be a scalar. "
                             f"Received shape: {limit.shape}")
        max_iter = limit if isinstance(limit._value, jax.core.Tracer) else int(limit)
    else:
        max_iter = None
    if not isinstance(max_iter, Tensor):
        count = _static_trip_count(cond_fn, body_fn, loop_vars,
                                   _COUNT_LIMIT if max_iter is None else min(max_iter, _COUNT_LIMIT))
        if count is not None:
            max_iter = count if max_iter is None else min(count, max_iter)
    scope = capture.active_scope()
    var_init = [scope.shadow[id(v)] for v in carried] if carried else []
    operands = tensors + var_init + cond_tr.operands + body_tr.operands
    if isinstance(max_iter, Tensor):
        operands.append(max_iter)
    loop = _while_primitive(cond_tr, body_tr, len(tensors), len(carried),
                            max_iter if not isinstance(max_iter, Tensor) else "tensor")
    closure.watch_accessed([cond_tr, body_tr])
    res = Primitive(loop, "while", multiple_results=True)(*operands)
    for var, value in zip(carried, res[len(tensors):]):
        var._value = value._value
    return unpack(list(res[:len(tensors)]))


@export("while_loop")
def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`."""
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    loop_vars = in_key_order(key_order(loop_vars), tree_util.tree_map(
        lambda x: x._read_for_op() if isinstance(x, Variable) else x, loop_vars, is_leaf=is_leaf))
    if not is_traced(loop_vars):
        if not loop_vars:
            raise ValueError("'loop_vars' must be provided.")
        return _eager_while(cond, body, loop_vars, maximum_iterations)
    if not isinstance(loop_vars, (list, tuple)) or not loop_vars:
        raise ValueError("'loop_vars' must be provided.")
    return _traced_while(cond, body, loop_vars, shape_invariants, maximum_iterations)
