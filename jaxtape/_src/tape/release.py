"""What a persistent tape lets go of when its context exits.

A persistent tape keeps every node, and each node its inputs, for as long
as the tape lives: a loop `y = y * c` of 10,000 steps would hold all 10,000
`y`s, though the gradient with respect to `y` reads only `c` (TF's tape
holds them all). When the context of a long tape (`config`) exits with no
other tape recording, the
inputs the tape follows are fixed: a later watch counts only while a tape
records (TF's rule, see `GradientTape.watch`). So each node of an op with `Primitive.vjp_reads`
keeps only the input values that the VJPs of its followed inputs read; the
others become `Dropped` (id, shape, dtype), and the tensors go once nothing
else holds them. A tape re-entered, or watched under another recording
tape, can still make a recorded unfollowed input a source: a gradient that
would read a value let go then fails by name (`check_reads`), it is never
computed from the stand-in.
"""
from __future__ import annotations

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape.primitive import READS_OTHER, Dropped


# A tape that recorded fewer than `min_nodes` nodes since the last release
# keeps them whole: releasing costs 0.2-0.5 us a node (a taped op costs
# 1.8-5 us on the machines measured), and a short tape's inputs go with it.
config = {"min_nodes": 64}


def release_unread(recording):
    """Replaces, in the nodes recorded since the last call, each input whose
    value no followed input's VJP reads by a `Dropped`."""
    nodes, ids = recording.nodes, recording.ids
    if len(nodes) - recording.released < config["min_nodes"]:
        return
    for i in range(recording.released, len(nodes)):
        node = nodes[i]
        reads = node[0].vjp_reads
        if reads is None:
            continue
        args = node[5:]
        if reads is READS_OTHER:  # `x * y`, `x @ y`, the commonest: unrolled
            a, b = args
            keep_a = getattr(b, "_id", None) in ids
            keep_b = getattr(a, "_id", None) in ids
            if keep_a and keep_b:
                continue
            args = (a if keep_a else _dropped(a), b if keep_b else _dropped(b))
        else:
            kept = set()
            for j, a in enumerate(args):
                if getattr(a, "_id", None) in ids:
                    kept.update(reads[j])
            args = [a if j in kept else _dropped(a) for j, a in enumerate(args)]
        nodes[i] = _new(type(node), (*node[:5], *args))
    recording.released = len(nodes)


def _dropped(a):
    """`a`'s stand-in, or `a` itself unless it is a plain tensor (a variable's
    value lives on anyway; a Python value has no id)."""
    if type(a) is not Tensor:
        return a
    p = a._pending
    aval = p[0] if p is not None else a._value.aval
    d = _new_object(Dropped)
    d._id, d.shape, d.dtype = a._id, aval.shape, aval.dtype
    return d


_new = tuple.__new__  # a Node's class is a tuple: skips nothing but the call's overhead
_new_object = object.__new__


def check_reads(node, mask):
    """Fails if a VJP `mask` asks of `node` would read a value let go."""
    reads, args = node.prim.vjp_reads, node.args
    for i, wanted in enumerate(mask):
        if wanted and any(type(args[j]) is Dropped for j in reads[i]):
            raise ValueError(
                f"This persistent GradientTape let go of the inputs of a recorded {node.prim.name} "
                "op when its context exited, as no gradient it could compute then needed them; "
                "a gradient with respect to a tensor watched since then does. Watch the tensor "
                "before the ops that use it (jaxtape keeps what TF's tape keeps only until the "
                "context exits).")
