"""`strategy.run` inside a trace: the step function once, as one SPMD program.

The function runs under `jax.shard_map` over the strategy's mesh: per-replica
inputs enter sharded on the replica axis (each replica sees its own slice),
other tensors and every variable enter replicated, and collectives in the
body (`all_reduce`, the optimizer's gradient sum) are named-axis operations
that XLA lowers to all-reduces. Variables are read and written through the
enclosing trace's `capture.Scope`; what the body writes leaves the
`shard_map` replicated and becomes the trace's new value of the variable.

`check_vma=False`: with JAX's replication checks on, the gradient of a
replicated variable would come back already summed over the replicas (the
transpose of the implicit broadcast); TF gives each replica its own gradient
and sums in `apply_gradients`, and so does this.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import tree_util
from jax.sharding import PartitionSpec as P

from jaxtape._src.compile import capture
from jaxtape._src.compile.function import output_leaf
from jaxtape._src.distribute import context, threads
from jaxtape._src.distribute.reduce_op import update_reduce_op
from jaxtape._src.distribute.values import PerReplica
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.nest import flatten_with_tree, is_leaf as nest_leaf
from jaxtape._src.framework.tensor import Tensor

_MISSING = object()
_PER, _BCAST, _STATIC = "per", "bcast", "static"


def _is_leaf(x):
    return isinstance(x, PerReplica) or nest_leaf(x)


def _split_inputs(args, kwargs):
    flat, treedef = tree_util.tree_flatten((args, kwargs), is_leaf=_is_leaf)
    kinds, arrays = [], []
    for leaf in flat:
        if isinstance(leaf, PerReplica):
            kinds.append(_PER)
            arrays.append(leaf._stacked._value)
        elif isinstance(leaf, Tensor):
            kinds.append(_BCAST)
            arrays.append(leaf._value)
        else:
            kinds.append(_STATIC)
    return flat, treedef, kinds, arrays


def _is_inner(value):
    return isinstance(value, jax.core.Tracer)


def run_traced(strategy, fn, args, kwargs):
    """`fn` per replica as one `shard_map`; must be called while a trace is active."""
    scope = capture.active_scope()
    axis = strategy._axis
    flat, treedef, kinds, arrays = _split_inputs(args, kwargs)
    info = {}

    def body(*local_arrays):
        it = iter(local_arrays)
        leaves = [Tensor(next(it)[0]) if k == _PER else Tensor(next(it)) if k == _BCAST else leaf
                  for k, leaf in zip(kinds, flat)]
        a, kw = tree_util.tree_unflatten(treedef, leaves)
        before = dict(scope.shadow) if scope is not None else {}
        context.push(strategy, context.ReplicaContext(strategy, axis=axis))
        try:
            out = fn(*a, **kw)
        finally:
            context.pop()
        out_flat, out_tree = flatten_with_tree(out)
        template, outs = [], []
        for leaf in out_flat:
            value = output_leaf(leaf)
            template.append(leaf if value is None else _PER)
            if value is not None:
                outs.append(jnp.expand_dims(value, 0))
        written, created = [], []
        if scope is not None:
            for key, value in list(scope.shadow.items()):
                if _is_inner(value) and before.get(key, _MISSING) is not value:
                    written.append(key)
                    op = update_reduce_op(scope.vars[key])
                    if op is not None:  # TF's SUM/MEAN aggregation of the replicas' changes
                        old = before.get(key, scope.base[key])
                        change = context.all_reduce_tensor(op, Tensor(value - old), axis)._value
                        scope.shadow[key] = old + change
            created = [key for key in scope.created if _is_inner(scope.base[key])]
        info.update(out_tree=out_tree, template=template, written=written, created=created)
        return (outs, [scope.shadow[k] for k in written], [scope.base[k] for k in created])

    specs = tuple(P(axis) if k == _PER else P() for k in kinds if k != _STATIC)
    program = jax.shard_map(body, mesh=strategy._mesh, in_specs=specs,
                            out_specs=(P(axis), P(), P()), check_vma=False)
    outs, written, created = program(*arrays)
    for key, value in zip(info["written"], written):
        scope.shadow[key] = value
    for key, value in zip(info["created"], created):
        scope.base[key] = value
        if scope.shadow.get(key) is None or _is_inner(scope.shadow[key]):
            scope.shadow[key] = value
    it = iter(outs)
    leaves = [PerReplica(strategy, stacked=Tensor(next(it))) if t is _PER else t
              for t in info["template"]]
    return tree_util.tree_unflatten(info["out_tree"], leaves)


def run_uneven(strategy, fn, args, kwargs):
    """Replicas whose inputs differ in shape: each runs `fn` on its own values in
    its own thread, meeting the others at collectives (threads.py). Across
    processes every process runs every replica, on the whole batch each holds
    (input.py), so all reach the same values with no exchange."""
    flat, treedef = tree_util.tree_flatten((args, kwargs), is_leaf=_is_leaf)
    n = strategy.num_replicas_in_sync

    def replica(r, rendezvous):
        leaves = [leaf.replica_value(r) if isinstance(leaf, PerReplica) else leaf for leaf in flat]
        a, kw = tree_util.tree_unflatten(treedef, leaves)
        context.push(strategy, context.ReplicaContext(strategy, replica_id=r, rendezvous=rendezvous))
        try:
            return fn(*a, **kw)
        finally:
            context.pop()

    if any(isinstance(leaf, PerReplica) and len(
            leaf._values if leaf._values is not None else leaf._local_results()) != n for leaf in flat):
        # Only this process's replicas' values (distribute_datasets_from_function):
        # the others' shapes, and so the program, are not known here.
        raise NotImplementedInJaxtape(
            "jaxtape does not implement per-replica values whose shapes differ across several "
            "processes unless every process holds them all (experimental_distribute_dataset "
            "does; distribute_datasets_from_function does not: batch with drop_remainder=True)")
    results = threads.run_threads(n, replica)
    first_flat, out_tree = flatten_with_tree(results[0])
    columns = zip(*[flatten_with_tree(res)[0] for res in results])
    leaves = []
    for first, column in zip(first_flat, columns):
        if output_leaf(first) is None:
            leaves.append(first)
        else:
            leaves.append(PerReplica.from_replica_arrays(
                strategy, [output_leaf(v) for v in column]))
    return tree_util.tree_unflatten(out_tree, leaves)
