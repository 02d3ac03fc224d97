"""`tf.gradients`, `tf.hessians` and `tf.AggregationMethod` (TF's gradients_impl).

TF builds these symbolic gradients in a graph only: eagerly they raise TF's
RuntimeError. Inside `tf.function` jaxtape's trace records every op on its
`FollowAll` recorder (compile/function.py), which is a complete tape of the
graph so far, so `tf.gradients` runs the tape's backward pass over it, with
TF's graph rules: any tensor may be a source, integer sources and
unconnected ones get None (or zeros), `grad_ys` seeds the targets and
`stop_gradients` tensors count as constants. The backward pass is itself
recorded there, so a gradient of a gradient (`tf.hessians`) works.
`gate_gradients` and `aggregation_method` only schedule TF's graph; they
change nothing here.
"""
from __future__ import annotations

from jaxtape._src.compile.function import FollowAll
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.array.join import stack
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.tape import gradients as tape_gradients
from jaxtape._src.tape.gradients import UnconnectedGradients

_EAGER = ("tf.gradients is not supported when eager execution is enabled. "
          "Use tf.GradientTape instead.")


@export("AggregationMethod")
class AggregationMethod:
    """How TF's graph sums the gradients of a tensor used more than once (all the same here)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _recording() -> FollowAll:
    """The trace's recorder of every op, or TF's eager error."""
    if local.tracing:
        for rec in local.tapes:
            if isinstance(rec, FollowAll):
                return rec
    raise RuntimeError(_EAGER)


@export("gradients")
def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE):
    """d(sum of `ys`)/d(x) for each x in `xs`, as a list (inside `tf.function` only)."""
    rec = _recording()
    ys, xs = _as_list(ys), _as_list(xs)
    seeds = None if grad_ys is None else _as_list(grad_ys)
    if seeds is not None and len(seeds) != len(ys):
        raise ValueError(f"Passed {len(seeds)} grad_ys for {len(ys)} ys")
    nodes = rec.nodes
    if stop_gradients:
        stop = {t._id for t in _as_list(stop_gradients) if is_tensor(t)}
        nodes = [n for n in nodes if not (set(_ids(n)) & stop)]
    return tape_gradients.gradient(list(nodes), rec.ids, ys, xs, seeds, unconnected_gradients)


def _ids(node):
    out = node.out_ids
    return out if isinstance(out, tuple) else (out,)


@export("hessians")
def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians"):
    """The Hessian of sum(`ys`) for each x in `xs`: shape `x.shape + x.shape`,
    one gradient of each first-derivative element, as TF's graph loop takes."""
    _recording()
    xs = _as_list(xs)
    out = []
    for grad, x in zip(gradients(ys, xs), xs):
        x = x if isinstance(x, Tensor) else x.read_value()
        shape = list(x.shape)
        flat = reshape(grad, [-1])
        rows = [gradients(flat[j], x)[0] for j in range(int(flat.shape[0]))]
        out.append(reshape(stack(rows), shape + shape))
    return out
