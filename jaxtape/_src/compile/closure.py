"""Tracing a branch or loop body that closes over tensors and variables.

`tf.cond` and `tf.while_loop` inside `tf.function` trace their callables
with `jax.make_jaxpr`. What a callable closes over (outer traced tensors,
variable reads) ends up among the jaxpr's constants. To record the control
flow op on a tape as one node, each constant must be matched with the
outer `Tensor` it came from, so gradients reach that tensor's id: while the
callable is traced, a capture pseudo-tape that follows every id records
every op, and each constant is matched by identity with a tensor that an op
used (or that the callable returned unchanged).

Variables written inside the callable are routed through the `tf.function`
scope: their new values become extra outputs, and the scope is restored
afterwards so no inner tracer leaks out.
"""
from __future__ import annotations

import jax

from jaxtape._src.compile import capture
from jaxtape._src.compile.function import FollowAll, output_leaf, traced
from jaxtape._src.compile.signature import TRACED
from jaxtape._src.framework.nest import flatten_with_tree, in_key_order, key_order
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor


class Traced:
    """A traced callable: its jaxpr, outputs' layout and captured operands.

    operands: one per jaxpr constant, the outer `Tensor` it stands for when
      known (so a tape can route gradients to it), else the raw value.
    vars: variables whose values are carried in (when asked) or written;
      their final values follow the `n_out` user outputs.
    """

    def __init__(self, closed, out_tree, out_template, n_out, out_avals, vars_, operands, watched,
                 out_order=None):
        self.jaxpr = closed.jaxpr
        self.out_tree = out_tree
        self.out_order = out_order  # the returned dicts' key order (`nest.key_order`)
        self.out_template = out_template
        self.n_out = n_out
        self.out_avals = out_avals
        self.vars = vars_
        self.operands = operands
        self.watched = watched

    def evaluate(self, consts, *args):
        return jax.core.eval_jaxpr(self.jaxpr, list(consts), *args)

    def pack(self, outs):
        it = iter(outs)
        leaves = [next(it) if t is TRACED else t for t in self.out_template]
        return in_key_order(self.out_order, jax.tree_util.tree_unflatten(self.out_tree, leaves))


def trace(fn, in_avals=(), carried=()):
    """Traces `fn(*tensors)`; `carried` variables are read from extra inputs."""
    scope = capture.active_scope()
    tape = FollowAll()
    info = {}
    by_value = {}
    n_in = len(in_avals)

    def body(*arrays):
        before = dict(scope.shadow) if scope is not None else {}
        reference = dict(before)
        for var, value in zip(carried, arrays[n_in:]):
            scope.shadow[id(var)] = reference[id(var)] = value
        try:
            out = fn(*[Tensor(a) for a in arrays[:n_in]])
            flat, out_tree = flatten_with_tree(out)
            outs, template = [], []
            for leaf in flat:
                value = output_leaf(leaf)
                if value is None:
                    template.append(leaf)
                else:
                    if isinstance(leaf, Tensor):
                        by_value.setdefault(id(leaf._value), leaf)
                    outs.append(value)
                    template.append(TRACED)
            vars_ = list(carried)
            if scope is not None:
                carried_ids = {id(v) for v in carried}
                for k, value in scope.shadow.items():
                    if k not in carried_ids and value is not reference.get(k, scope.base[k]):
                        vars_.append(scope.vars[k])
                var_values = [scope.shadow[id(v)] for v in vars_]
            else:
                var_values = []
        finally:
            if scope is not None:
                for k in list(scope.shadow):
                    scope.shadow[k] = before.get(k, scope.base[k])
        info.update(out_tree=out_tree, template=template, n_out=len(outs), vars=vars_,
                    order=key_order(out, plain_dicts=True),
                    avals=[(o.shape, o.dtype) for o in outs])
        return outs + var_values

    var_avals = [jax.ShapeDtypeStruct(v._value.shape, v._value.dtype) for v in carried]
    with traced([tape]):
        closed = jax.make_jaxpr(body)(*in_avals, *var_avals)
    for node in tape.nodes:
        for a in node.args:
            if isinstance(a, Tensor):
                by_value.setdefault(id(a._value), a)
    operands = [by_value.get(id(c), c) for c in closed.consts]
    return Traced(closed, info["out_tree"], info["template"], info["n_out"], info["avals"],
                  info["vars"], operands, list(tape.watched.values()), info["order"])


def watch_accessed(traces):
    """Outer tapes watch the variables the traced callables read, as eager code would."""
    for tape in local.tapes:
        if tape.watch_accessed_variables:
            for tr in traces:
                for var in tr.watched:
                    tape.watch_variable(var)
