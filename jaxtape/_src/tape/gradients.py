"""The computation behind `GradientTape.gradient`, on explicit arguments.

Given a recording (its nodes and the ids it follows), targets and sources,
this converts them as TF does, detaches the sources the tape never
followed, seeds the targets and runs the backward plan (`backward.py`).
The tape's lifecycle (single use, stop recording) is `gradient_tape.py`'s.

Complex convention: TF's gradient of a complex tensor is the conjugate of
JAX's cotangent (TF's VJP of f is `g -> conj(vjp_jax(conj(g)))`). Conjugation
commutes with the chain rule, so the backward pass runs in JAX's convention
throughout and only its boundary converts (`tf_convention`): seeds going in,
gradients coming out (here and in `jacobians.py`), and the cotangents a
user's gradient function (`tf.custom_gradient`) or a TF-formula twin sees.
"""
from __future__ import annotations

import enum

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dtype_mismatch, incompatible_shapes, op_error
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.tape import backward, deferred, tiers
from jaxtape._src.tape.primitive import TRAINABLE, Dropped, Primitive


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def unconnected_mode(value) -> UnconnectedGradients:
    try:
        return UnconnectedGradients(value.value if isinstance(value, UnconnectedGradients) else value)
    except ValueError:
        raise ValueError("Unknown value for unconnected_gradients: %r" % (value,)) from None


def as_tensor(x) -> Tensor:
    """The tensor a target or source stands for (a variable: its id and value)."""
    if isinstance(x, Tensor):
        return x
    if is_tensor(x):
        return Tensor(x._value, x._id)
    if x is None:
        raise TypeError("None is not a valid target or source for GradientTape.gradient")
    return convert_to_tensor(x)


def as_source(x) -> Tensor:
    """A source of `gradient`: TF's tape reads each one's id, so a NumPy
    value or Python number fails there rather than getting a None gradient."""
    if x is None or is_tensor(x):
        return as_tensor(x)
    kind = type(x)
    qualname = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise AttributeError(f"'{qualname}' object has no attribute '_id'")


def detach_unwatched(ids, targets, sources):
    """Stands a fresh tensor in for each source the tape never followed.

    A recorded op may take an unwatched tensor as an input (`x * c` with only
    `x` watched), but TF gives no gradient to it: `c` is not on the tape. The
    stand-in shares no id with any recorded input, so the backward pass never
    reaches it; a target that is the same tensor gets the same stand-in, so
    `gradient(c, c)` still yields ones, as in TF.
    """
    fresh = None
    for s in sources:
        if s._id not in ids:
            if fresh is None:
                fresh = {}
            if s._id not in fresh:
                fresh[s._id] = Tensor(s._value)
    if fresh is None:
        return targets, sources
    return ([fresh.get(t._id, t) for t in targets], [fresh.get(s._id, s) for s in sources])


def gradient(nodes, ids, flat_targets, flat_sources, output_gradients, unconnected_gradients,
             recording=None, persistent=True):
    """d(sum of targets)/d(source): one Tensor (or None) per flat source.

    nodes, ids: the recording; flat_*: leaves of the caller's structures;
    output_gradients: None or one cotangent (or None) per target.
    recording, persistent: the tape's `TapeData`, whose pending forward
    (`deferred`) may run together with the backward pass as one program.
    """
    mode = unconnected_mode(unconnected_gradients)
    targets = [as_tensor(t) for t in flat_targets]
    sources = [as_source(s) for s in flat_sources]
    targets, sources = detach_unwatched(ids, targets, sources)
    key = None
    if recording is not None and recording.segment is not None and output_gradients is None:
        key = deferred.gradient_key(recording, targets, sources)
        if key is not None:
            raw = deferred.gradient(recording, persistent, key, targets, sources)
            if raw is not None:
                tiers.gradient_done()  # as `backward.run` would: a training loop's step boundary
                # Tensors pending with the update after them (`deferred.Tail`), or arrays.
                return _finish(sources, [g if g is None or type(g) is Tensor else Tensor(g)
                                         for g in raw], mode)
    seeds = []
    for i, t in enumerate(targets):
        og = None if output_gradients is None or i >= len(output_gradients) else output_gradients[i]
        if og is None:
            seeds.append(Tensor(_ones(t._value.shape, t._value.dtype)))
        else:
            seeds.append(tf_convention(_seed(og, t, nodes)))
    plan = backward.build_plan(nodes, targets, sources)
    recorded = _recorded_by_active_tape(plan.values, seeds)
    raw = backward.run(plan, seeds, recorded)
    if key is not None and not recorded:
        deferred.observe(key, plan, seeds)
    return _finish(sources, raw, mode)


def _finish(sources, raw, mode):
    """The gradients in TF's convention, None or zeros where unconnected."""
    out = []
    for s, g in zip(sources, raw):
        if s._value.dtype not in TRAINABLE:
            g = None
        elif g is not None:
            g = tf_convention(g)
        if g is None and mode is UnconnectedGradients.ZERO:
            g = Tensor(jnp.zeros(s._value.shape, s._value.dtype))
        out.append(g)
    return out


# Recorded, so that a tape differentiating a gradient sees the conjugation.
# `0 - imag` rather than `-imag`: a zero imaginary part stays +0, as TF's real-valued formulas give.
_conj = Primitive(lambda g: jax.lax.complex(jnp.real(g), 0 - jnp.imag(g)), "Conj")


def tf_convention(g):
    """A cotangent tensor converted between JAX's convention and TF's (its own
    inverse): the conjugate for a complex tensor, `g` itself otherwise."""
    return _conj(g) if g._meta.dtype.kind == "c" else g  # `_meta`: a pending `g` stays pending


# Recorded, so that a tape watching an `output_gradients` entry differentiates through it.
_broadcast_to = Primitive(lambda x, *, shape: jnp.broadcast_to(x, shape), "BroadcastTo")


def _seed(output_gradient, target, nodes=()):
    """An `output_gradients` entry as the target's cotangent.

    TF multiplies it into the first backward op, so a broadcastable one (a
    scalar for a vector target) works and a mismatched dtype or shape fails
    there with InvalidArgumentError; the seed here must match exactly.
    """
    og = convert_to_tensor(output_gradient, dtype_hint=target.dtype)
    if og._value.dtype != target._value.dtype:
        # TF's first backward op (most often a Mul) gets the seed as input 0.
        raise dtype_mismatch("Mul", 1, og.dtype, target.dtype)
    if og._value.shape != target._value.shape:
        try:
            shape = jnp.broadcast_shapes(og._value.shape, target._value.shape)
        except ValueError:
            shape = None
        if shape != target._value.shape:
            raise _seed_shape_error(og._value.shape, target, nodes)
        og = _broadcast_to(og, shape=tuple(shape))
    return og



# TF's gradients of these broadcasting ops reshape `reduce_sum(grad op other, rx)` to x's
# shape, the op (None: grad itself) being the first their backward computes.
_RESHAPED_GRADIENTS = {"Mul": "Mul", "RealDiv": "RealDiv", "AddV2": None, "Sub": None}


def _seed_shape_error(og_shape, target, nodes):
    """TF's error for an `output_gradients` entry that does not broadcast to its target.

    TF does not check the seed: the target's first backward op fails on it. For
    the broadcasting binary ops that is its gradient's Reshape (or the op it
    applies to the seed first); for other ops, a Mul's text.
    """
    node = next((n for n in reversed(nodes) if target._id in n.out_ids), None)
    first = _RESHAPED_GRADIENTS.get(getattr(node and node.prim, "name", None), "")
    if first == "" or len(node.args) != 2:
        return incompatible_shapes("Mul", og_shape, target._value.shape)
    sx, sy = (tuple(a.shape if type(a) is Dropped else np.shape(a._value)) for a in node.args)
    shape = og_shape
    if first is not None:
        try:
            shape = jnp.broadcast_shapes(og_shape, sy)
        except ValueError:
            return incompatible_shapes(first, og_shape, sy)
    out = target._value.shape  # rx: the axes where x was broadcast (BroadcastGradientArgs)
    padded = (1,) * (len(out) - len(sx)) + sx
    rx = {i for i, (d, o) in enumerate(zip(padded, out)) if d == 1 and (o != 1 or i < len(out) - len(sx))}
    values = int(np.prod([d for i, d in enumerate(shape) if i not in rx]))
    return op_error(f"Input to reshape is a tensor with {values} values, but the requested shape has "
                    f"{int(np.prod(sx))}", "Reshape")


def _recorded_by_active_tape(values, seeds):
    """Whether an active tape watches anything the backward pass reads.

    Under a ForwardAccumulator the backward pass also runs as one primitive,
    so the accumulator can push tangents through it (forward-over-backward).
    """
    if local.accumulators:
        return True
    for tape in local.tapes:
        ids = tape.ids
        for v in values:
            if isinstance(v, Tensor) and v._id in ids:
                return True
        for v in seeds:
            if v._id in ids:
                return True
    return False


_ones_cache = {}


def _ones(shape, dtype):
    """Seeds for scalar targets come from a cache: a fresh device array costs ~100 µs."""
    if shape:
        return jnp.ones(shape, dtype)
    hit = _ones_cache.get(dtype)
    if hit is None:
        with jax.ensure_compile_time_eval():  # inside a trace too: a cached tracer would leak
            # device_put: no XLA compile per dtype, as `jnp.ones` pays.
            hit = _ones_cache[dtype] = jax.device_put(np.ones((), dtype))
    return hit
