"""`tf.autodiff.ForwardAccumulator`: forward-mode autodiff (JVPs).

An active accumulator sees every primitive call (through
`primitive.forward_hook`). When an input carries a tangent, it computes the
outputs' tangents with `jax.jvp` of the primitive's own function, run as a
primitive itself (`jvp_primitive`, one jitted kernel per op, static arguments,
tangent mask and output mask). Because the tangent computation is an
ordinary primitive call, a tape outside the accumulator records it
(backward-over-forward) and an outer accumulator pushes its own tangents
through it (forward-over-forward). Under an accumulator a tape's backward
pass runs as one primitive, so its tangent is the Hessian-vector product
(forward-over-backward).

Nesting follows TF: an accumulator's tangent computations are seen only by
the tapes and accumulators that were active when it was entered, so inner
ones never see the products of outer ones.

Where TF's result differs from a plain `jax.jvp`: an output whose tangent
cannot depend on the input tangents (sign, a linear function's gradient)
gets None, found once per kernel from its jaxpr; and an op with a
`custom_vjp` inside (JAX refuses its JVP) gets the transpose of its VJP,
which is how TF derives all its JVPs.
"""
from __future__ import annotations

import functools
import logging
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import nest
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import dims
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape import primitive as _primitive
from jaxtape._src.tape import stack
from jaxtape._src.tape.gradient_tape import GradientTape, UnconnectedGradients
from jaxtape._src.tape.primitive import TRAINABLE, Primitive, static_key

log = logging.getLogger("jaxtape")


def jvp_primitive(prim, skey, static, mask, out_mask, args, tangents):
    """The JVP of `prim` as a primitive `(*args, *tangents of masked args) ->
    tangents`, and which float outputs get one; cached in `prim.jvp_cache` per key.

    TF gives no tangent (None) to an output whose tangent cannot depend on the
    input tangents (sign, a linear function's gradient), so such outputs are
    found once per key from the JVP's jaxpr and left out.
    """
    cache = prim.jvp_cache
    key = (skey, mask, out_mask)
    entry = cache.get(key)
    if entry is None:
        raw = _raw_jvp(prim, static, mask, out_mask)
        example = [a._value if isinstance(a, Tensor) else a for a in args]
        example += [t._value for t in tangents]
        jaxpr = _trace(raw, example)
        if jaxpr is not None and _uses(jaxpr, "custom_lin"):
            # A custom_vjp inside: JAX cannot push tangents through it (it would
            # fail only when compiled), but its VJP can be transposed.
            raw = _raw_jvp(prim, static, mask, out_mask, by_transposition=True)
            jaxpr = _trace(raw, example)
        live = (True,) * sum(out_mask) if jaxpr is None else _tangent_dependent(jaxpr, len(mask))
        jprim = None
        if any(live):
            if not all(live):
                raw = _select(raw, live)
            jprim = Primitive(raw, f"{prim.name}_jvp", multiple_results=True, jit=prim.jit)
        entry = cache[key] = (jprim, live)
    return entry


def _trace(raw, example):
    try:
        return jax.make_jaxpr(raw)(*example).jaxpr
    except Exception:  # value-dependent shapes cannot be traced abstractly
        return None


def _uses(jaxpr, name):
    """Whether `jaxpr`, or one nested in its equations, applies primitive `name`."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == name:
            return True
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                sub = getattr(sub, "jaxpr", sub)  # a ClosedJaxpr holds a Jaxpr
                if hasattr(sub, "eqns") and _uses(sub, name):
                    return True
    return False


def _tangent_dependent(jaxpr, n_primals):
    """Per output of a JVP's jaxpr, whether it depends on the tangent inputs at all."""
    # Here, not at module level: jax.extend imports Pallas, ~0.1 s of `import jaxtape`.
    from jax.extend.core import Literal  # noqa: PLC0415
    dependent = set(jaxpr.invars[n_primals:])
    for eqn in jaxpr.eqns:  # equations come in dependency order
        if any(not isinstance(v, Literal) and v in dependent for v in eqn.invars):
            dependent.update(eqn.outvars)
    return tuple(not isinstance(v, Literal) and v in dependent for v in jaxpr.outvars)


def _select(raw, live):
    def selected(*args):
        return tuple(t for t, keep in zip(raw(*args), live) if keep)

    selected.__name__ = raw.__name__
    return selected


def _raw_jvp(prim, static, mask, out_mask, by_transposition=False):
    fn = functools.partial(prim.fn, **static) if static else prim.fn
    n = len(mask)
    diff = tuple(i for i, m in enumerate(mask) if m)
    multiple = prim.multiple_results

    def jvp(*args_and_tangents):
        args = args_and_tangents[:n]

        def of_diff(*d):
            full = list(args)
            for i, v in zip(diff, d):
                full[i] = v
            return fn(*full)

        primals = tuple(args[i] for i in diff)
        tangents = tuple(args_and_tangents[n:])
        if by_transposition:
            tangents_out = _jvp_by_transposition(of_diff, primals, tangents)
        else:
            _, tangents_out = jax.jvp(of_diff, primals, tangents)
        if not multiple:
            return (tangents_out,)
        return tuple(t for t, m in zip(tangents_out, out_mask) if m)

    jvp.__name__ = f"{prim.name}_jvp"
    return jvp


def _jvp_by_transposition(f, primals, tangents):
    """J t for an `f` JAX cannot push tangents through (a `custom_vjp` inside).

    The VJP `ct -> J^T ct` is linear, so the VJP of the VJP, applied to `t`,
    is `J t`; this is how TF derives its JVPs from gradient functions.
    """
    outs, pull = jax.vjp(f, *primals)
    zeros = jax.tree.map(zero_cotangent, outs)
    _, push = jax.vjp(pull, zeros)
    (tangents_out,) = push(tangents)
    return tangents_out


def zero_cotangent(x):
    """What JAX takes as "no cotangent" for a value of x's dtype."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.zeros(x.shape, x.dtype)
    return np.zeros(x.shape, jax.dtypes.float0)


def _forward_hook(prim, static, args, result):
    """Called by every primitive while an accumulator is active."""
    if not prim.differentiable:
        return  # TF: no gradient, so no tangent either
    accumulators = local.accumulators
    # Outer accumulators first: each sees the tangent ops of those inside it.
    for depth in range(len(accumulators)):
        accumulators[depth]._accumulate(prim, static, args, result, accumulators, depth)


_primitive.forward_hook = _forward_hook


def accumulate_custom(backward, inputs, results, outs):
    """For `tf.custom_gradient`, whose call is recorded as one node without a
    JAX function (so the primitive hook never sees it): gives `outs`, the
    tensors handed out for the forward `results`, their tangents in every
    active accumulator. `backward` maps output cotangent tensors to one
    gradient (or None) per tensor in `inputs`."""
    accumulators = local.accumulators
    for depth in range(len(accumulators)):
        accumulators[depth]._accumulate_custom(backward, inputs, results, outs,
                                               accumulators, depth)


def _shape_mismatch(tangent_shape, primal_shape):
    """TF's shape-inference message when a tangent meets its primal's shape."""
    if len(tangent_shape) != len(primal_shape):
        return ValueError(f"Shapes must be equal rank, but are {len(tangent_shape)} and "
                          f"{len(primal_shape)}")
    for axis, (a, b) in enumerate(zip(tangent_shape, primal_shape)):
        if a != b:
            return ValueError(f"Dimension {axis} in both shapes must be equal, but are {a} and {b}. "
                              f"Shapes are {dims(tangent_shape)} and {dims(primal_shape)}.")
    return None


@export("autodiff.ForwardAccumulator")
class ForwardAccumulator:
    """Computes Jacobian-vector products of everything computed inside it.

    primals: a tensor, variable or nested structure of them to watch.
    tangents: the same structure; each the direction for its primal.
    """

    def __init__(self, primals, tangents):
        self._recording = False
        self._tangents = {}     # tensor id -> tangent Tensor
        self._refs = {}         # output id -> weakref that forgets its tangent
        self._mismatched = {}   # primal id -> error for a wrongly shaped tangent
        self._visible_tapes = ()
        seen = set()
        for primal in nest.flatten(primals):
            if id(primal) in seen:
                raise ValueError(
                    "Tensor {} was specified as a primal multiple times. This may indicate "
                    "an error. If it was intended, please sum the corresponding tangents.")
            seen.add(id(primal))
        nest.map_structure(self._watch, primals, tangents)

    def _watch(self, primal, tangent):
        if not primal.dtype.is_floating:
            log.warning("The dtype of the watched primal must be floating (e.g. tf.float32), "
                        "got %r", primal.dtype)
        tangent = convert_to_tensor(tangent, dtype=primal.dtype)
        pid = primal._id  # a variable's reads share its id, so they carry its tangent
        previous = self._tangents.get(pid)
        if previous is not None:  # TF: watching a tensor twice sums its tangents
            tangent = Tensor(previous._value + tangent._value)
        self._tangents[pid] = tangent
        # TF accepts a wrongly shaped tangent here and fails when an op uses it.
        error = _shape_mismatch(tangent._value.shape, primal._value.shape)
        if error is not None:
            self._mismatched[pid] = error

    # -- context ------------------------------------------------------------
    def __enter__(self):
        self._push_accumulator()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop_accumulator()

    def _push_accumulator(self):
        if self._recording:
            raise ValueError("Accumulator is already recording.")
        # The tapes open now are the ones that may record this accumulator's tangent ops.
        self._visible_tapes = tuple(local.tapes)
        stack.push(local.accumulators, self)
        self._recording = True

    def _pop_accumulator(self):
        if not self._recording:
            raise ValueError("Accumulator is not recording.")
        stack.remove(local.accumulators, self)
        self._recording = False

    # -- accumulation -------------------------------------------------------
    def _tangents_of(self, args):
        """The tangent of each float tensor in `args` that has one (else None)."""
        tangents = self._tangents
        found = None
        for k, a in enumerate(args):
            if isinstance(a, Tensor):
                t = tangents.get(a._id)
                if t is not None and a._value.dtype in TRAINABLE:
                    if found is None:
                        found = [None] * len(args)
                    if self._mismatched and a._id in self._mismatched:
                        raise self._mismatched[a._id]
                    found[k] = t
        return found

    def _accumulate(self, prim, static, args, result, accumulators, depth):
        found = self._tangents_of(args)
        if found is None:
            return
        outs = result if prim.multiple_results else (result,)
        out_mask = tuple(o._value.dtype in TRAINABLE for o in outs)
        if not any(out_mask):
            return
        mask = tuple(t is not None for t in found)
        inputs = [t for t in found if t is not None]
        jprim, live = jvp_primitive(prim, static_key(static) if static else (), static,
                                    mask, out_mask, args, inputs)
        if jprim is None:
            return
        with self._nested(accumulators, depth):
            tangents_out = iter(jprim(*args, *inputs))
        dependent = iter(live)
        self._store([o for o, m in zip(outs, out_mask) if m and next(dependent)], tangents_out)

    def _accumulate_custom(self, backward, inputs, results, outs, accumulators, depth):
        """Tangents of a custom-gradient call's outputs, as TF gives them: the
        tangent its forward computation produced, else the transpose of its
        gradient function (linear in the output cotangents) applied to the
        inputs' tangents."""
        tangents = self._tangents
        missing = []
        for r, o in zip(results, outs):
            t = tangents.get(r._id) if isinstance(r, Tensor) else None
            if t is not None:
                self._store([o], iter((t,)))
            elif o._value.dtype in TRAINABLE:
                missing.append(o)
        found = self._tangents_of(inputs) if missing else None
        if found is None:
            return
        with self._nested(accumulators, depth):
            cts = {id(o): Tensor(jnp.zeros(o._value.shape, o._value.dtype))
                   for o in outs if o._value.dtype in TRAINABLE}
            with GradientTape() as tape:
                tape.watch(list(cts.values()))
                grads = backward([cts.get(id(o)) for o in outs])
            pairs = [(g, t) for g, t in zip(grads, found) if g is not None and t is not None]
            if not pairs:
                return
            wanted = [cts[id(o)] for o in missing]
            jvps = tape.gradient([g for g, _ in pairs], wanted,
                                 output_gradients=[t for _, t in pairs])
        kept = [(o, j) for o, j in zip(missing, jvps) if j is not None]
        self._store([o for o, _ in kept], iter(j for _, j in kept))

    def _nested(self, accumulators, depth):
        """A scope where only the tapes and accumulators active when this one
        was entered see its tangent ops."""
        tapes = local.tapes
        visible = self._visible_tapes
        if tapes and tuple(tapes) != visible:
            tapes = [t for t in tapes if any(t is v for v in visible)]
        return stack.hidden(tapes, accumulators[:depth])

    def _store(self, outs, tangents_out):
        tangents, refs = self._tangents, self._refs
        for o in outs:
            oid = o._id
            tangents[oid] = next(tangents_out)
            # TF forgets a tangent once its primal is gone.
            refs[oid] = weakref.ref(o, functools.partial(_forget, tangents, refs, oid))

    # -- results --------------------------------------------------------------
    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The tangent of each tensor in `primals` (None, or zeros, if it has none)."""
        mode = UnconnectedGradients(unconnected_gradients)
        tangents = self._tangents

        def fetch(tensor):
            result = tangents.get(tensor._id)
            if result is None and mode is UnconnectedGradients.ZERO:
                value = tensor._value
                result = Tensor(jnp.zeros(value.shape, value.dtype))
            return result

        # nest.map_structure sorts dict keys; TF keeps the caller's order.
        return nest.pack_like(primals, nest.map_structure(fetch, primals))


def _forget(tangents, refs, oid, _ref):
    tangents.pop(oid, None)
    refs.pop(oid, None)
