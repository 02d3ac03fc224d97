"""The computations behind `GradientTape.jacobian` and `batch_jacobian`, on
explicit arguments (the tape's lifecycle is `gradient_tape.py`'s).

TF differentiates one target element (or one column of a batch) at a time
under `pfor`. Here the backward plan is run once under `jax.vmap` over a stack
of one-hot cotangents, so a Jacobian costs one jitted call. That program is
wrapped as a `Primitive`: with no tape watching its inputs it is just a
cached jitted call; under an outer tape it is recorded as one node, so the
Jacobian of a gradient (a Hessian) and higher orders need nothing more.
"""
from __future__ import annotations

import math
import operator

import jax
import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape import backward
from jaxtape._src.tape.gradients import UnconnectedGradients, as_tensor, detach_unwatched, unconnected_mode
from jaxtape._src.tape.primitive import TRAINABLE, Primitive

_programs = backward.LRU()

USED_BATCH = ("A non-persistent GradientTape can only be used to"  # TF's message lacks a space
              "compute one set of gradients (or jacobians)")
_FALLBACK = {
    "jacobian": "GradientTape must be created with persistent=True to compute the jacobian "
                "with eager execution enabled and with  experimental_use_pfor set to False.",
    "batch_jacobian": "GradientTape must be created with persistent=True to compute the "
                      "batch_jacobian with eager execution enabled and  with "
                      "experimental_use_pfor set to False.",
}


def check_fallback(kind, persistent, use_pfor):
    """TF's sequential fallback (no pfor) needs a persistent tape."""
    if not use_pfor and not persistent:
        raise RuntimeError(_FALLBACK[kind])


def _vectorizing_error(kind):
    return ValueError(f"Encountered an exception while vectorizing the {kind} computation. "
                      "Vectorization can be disabled by setting experimental_use_pfor to False.")


def _mode(value, kind, use_pfor):
    try:
        return unconnected_mode(value)
    except ValueError as err:
        if use_pfor:  # TF meets it inside pfor, which rewraps every ValueError
            raise _vectorizing_error(kind) from err
        raise


def _check_chunking(persistent, kind, parallel_iterations, iterations, unconnected):
    """TF's pfor splits the loop in chunks of `parallel_iterations` when that
    is at most the iteration count. A None gradient (unconnected source)
    cannot be stacked across chunks, and tracing the loop body again fails
    on a used non-persistent tape; TF reports these as below."""
    if parallel_iterations is None:
        return
    if parallel_iterations == 1:
        raise _vectorizing_error(kind) from ValueError(
            "Found `parallel_iterations == 1`. Use `for_loop` instead.")
    if parallel_iterations > iterations:
        return
    if unconnected:
        raise _vectorizing_error(kind) from ValueError("None values not supported.")
    if not persistent:
        if kind == "batch_jacobian":  # its loop body checks this itself
            raise RuntimeError("GradientTape must be created with persistent=True to compute "
                               "the batch_jacobian with parallel_iterations.")
        raise _vectorizing_error(kind) from ValueError("None values not supported.")


def _plan(nodes, ids, target, sources):
    """The backward plan from `target` to `sources`, and which sources it reaches.

    Sources go through `detach_unwatched` as in `gradient`; the target does
    not: TF reshapes the target on the tape first, which records nothing for
    a target the tape never followed, so `jacobian(c, c)` of an unwatched
    `c` is None (where `gradient(c, c)` is ones).
    """
    _, sources = detach_unwatched(ids, [], sources)
    plan = backward.build_plan(nodes, [target], sources)
    connected = backward.connected_sources(plan)
    connected = tuple(c and s._value.dtype in TRAINABLE for c, s in zip(connected, sources))
    return plan, connected


def _program(plan, connected, seeds_of, shape_out, out_axis):
    """A plain JAX function of the plan's values: the plan vmapped over seeds."""
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots

    def one(values, seed):
        grads = backward.run_plan(steps, n_cts, tslots, sslots, values, [seed],
                                  backward.call_traced, operator.add, backward.zeros_array)
        # TF's convention for complex sources (see gradients.py); the one-hot seeds are real.
        return tuple(jnp.conj(g) if g.dtype.kind == "c" else g for g, c in zip(grads, connected) if c)

    def jacobian_program(*values):
        outs = jax.vmap(one, in_axes=(None, 0), out_axes=out_axis)(list(values), seeds_of())
        return tuple(shape_out(o) for o in outs)

    return jacobian_program


def _run(key, plan, connected, seeds_of, shape_out, out_axis=0):
    """Runs the vmapped program as a (cached) primitive; None for unconnected sources.

    `key` must name what `seeds_of` and `shape_out` bake in (the target's
    shape and dtype); the sources' shapes may change, as jit retraces then.
    """
    if not any(connected):
        return [None] * len(connected)
    key = (key, plan.key, connected)
    prim = _programs.get(key)
    if prim is None:
        prim = _programs.touch(key, Primitive(
            _program(plan, connected, seeds_of, shape_out, out_axis), "Jacobian",
            multiple_results=True, jit=backward.compilable(plan)))
    outs = iter(prim(*plan.values))
    return [next(outs) if c else None for c in connected]


def jacobian(nodes, ids, target, target_shape, flat_sources, unconnected_gradients, persistent,
             parallel_iterations, use_pfor):
    """d target[i...] / d source[j...]: one Tensor (or None) per flat source,
    of shape `target_shape + source.shape`. nodes, ids: the recording."""
    kind = "jacobian"
    mode = _mode(unconnected_gradients, kind, use_pfor)
    target = as_tensor(target)
    flat = [as_tensor(s) for s in flat_sources]
    plan, connected = _plan(nodes, ids, target, flat)
    n = math.prod(target_shape)
    dtype = target._value.dtype
    if use_pfor:
        _check_chunking(persistent, kind, parallel_iterations, n,
                        mode is UnconnectedGradients.NONE and not all(connected))

    def seeds_of():
        return jnp.eye(n, dtype=dtype).reshape((n,) + target_shape)

    def shape_out(g):
        return g.reshape(target_shape + g.shape[1:])

    outs = _run(("jacobian", target_shape, dtype), plan, connected, seeds_of, shape_out)
    if mode is UnconnectedGradients.ZERO:
        outs = [Tensor(jnp.zeros(target_shape + s._value.shape, s._value.dtype)) if g is None else g
                for g, s in zip(outs, flat)]
    return outs


def _rank_at_least_2(shape):
    if len(shape) < 2:
        raise ValueError("Shape %s must have rank at least 2" % _shape_str(shape))


def batch_shapes(target, source):
    """TF's checks on batch_jacobian's shapes: (target shape, source shape)."""
    target_shape = tuple(target.shape)
    source_shape = tuple(source.shape)
    first = list(target_shape)[0]  # a scalar target: IndexError, as in TF
    _rank_at_least_2(target_shape)
    _rank_at_least_2(source_shape)
    if first != source_shape[0]:
        raise ValueError("Need first dimension of target shape (%s) and source shape (%s) to "
                         "match." % (_shape_str(target_shape), _shape_str(source_shape)))
    math.prod(target_shape) // first  # batch 0: ZeroDivisionError, as in TF
    return target_shape, source_shape


def batch_jacobian(nodes, ids, target, source, shapes, unconnected_gradients, persistent,
                   parallel_iterations, use_pfor):
    """Per-row Jacobians: result[b, y..., x...] = sum over b' of d target[b', y...] / d source[b, x...].

    shapes: what `batch_shapes` returned. As in TF this assumes rows are
    independent and does not check it: with cross-row dependencies the sum
    over target rows b' shows through.
    """
    kind = "batch_jacobian"
    target_shape, source_shape = shapes
    batch = target_shape[0]
    rows = math.prod(target_shape) // batch
    mode = _mode(unconnected_gradients, kind, use_pfor)
    target = as_tensor(target)
    src = as_tensor(source)
    plan, connected = _plan(nodes, ids, target, [src])
    dtype = target._value.dtype
    if use_pfor:
        _check_chunking(persistent, kind, parallel_iterations, rows,
                        mode is UnconnectedGradients.NONE and not connected[0])
    out_shape = target_shape + source_shape[1:]

    def seeds_of():
        # Seed j: ones in column j of every row, i.e. d(sum_b target[b, j]).
        eye = jnp.eye(rows, dtype=dtype)[:, None, :]
        return jnp.broadcast_to(eye, (rows, batch, rows)).reshape((rows,) + target_shape)

    def shape_out(g):  # g: [batch, rows] + source_shape[1:]; the source's shape is not in the key
        return g.reshape(target_shape + g.shape[2:])

    # Stacking the columns on axis 1 lets XLA write them in place of a transpose.
    (out,) = _run(("batch_jacobian", target_shape, dtype), plan, connected, seeds_of, shape_out,
                  out_axis=1)
    if out is None:
        # TF returns zeros for an unconnected source either way; with ZERO its
        # per-column gradients are zeros of the source's dtype.
        zero_dtype = src._value.dtype if mode is UnconnectedGradients.ZERO else dtype
        out = Tensor(jnp.zeros(out_shape, zero_dtype))
    return out


def _shape_str(shape):
    """A shape as TF's Python layer prints a tuple: `(2, 3)`, `(4,)`."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
