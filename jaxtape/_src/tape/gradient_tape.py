"""`tf.GradientTape`: TensorFlow's tape semantics over the recorded nodes."""
from __future__ import annotations

import contextlib
import enum
import logging

import jax.numpy as jnp
from jax import tree_util

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.nest import pack_like
from jaxtape._src.tape import backward
from jaxtape._src.tape.primitive import TRAINABLE
from jaxtape._src.framework.state import local

log = logging.getLogger("jaxtape")


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class TapeData:
    """What one tape has recorded; `local.tapes` holds these, not the tapes.

    ids: ids of the tensors the tape follows (watched, or computed from one).
    nodes: recorded applications, in order (a topological order).
    """

    __slots__ = ("ids", "nodes", "variables", "watch_accessed_variables", "persistent")

    def __init__(self, persistent, watch_accessed_variables):
        self.ids = set()
        self.nodes = []
        self.variables = {}  # id -> Variable, in watch order
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables

    def watch_variable(self, var):
        if var._id not in self.variables:
            self.variables[var._id] = var
            if var._value.dtype in TRAINABLE:
                self.ids.add(var._id)


def is_leaf(x):
    return x is None


def flatten(structure):
    """TF nest order: dict keys sorted, None kept as a leaf."""
    return tree_util.tree_flatten(structure, is_leaf=is_leaf)


def _watchables(structure):
    from jaxtape._src.framework.variables import Variable
    for obj in flatten(structure)[0]:
        if isinstance(obj, (Tensor, Variable)):
            yield obj
        else:
            raise ValueError(f"Passed in object {obj} of type {type(obj).__name__!r}"
                             f", not tf.Tensor or tf.Variable or ExtensionType.")


def _unconnected_mode(value):
    try:
        return UnconnectedGradients(value.value if isinstance(value, UnconnectedGradients) else value)
    except ValueError:
        raise ValueError("Unknown value for unconnected_gradients: %r" % (value,)) from None


class GradientTape:
    """Records ops on watched tensors so they can be differentiated."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._tape = None
        self._recording = False
        self._watched_variables = ()

    # -- context --------------------------------------------------------
    def __enter__(self):
        self._push_tape()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop_tape()

    def _push_tape(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to "
                             "re-enter an already-active tape.")
        if self._tape is None:
            self._tape = TapeData(self._persistent, self._watch_accessed_variables)
        local.tapes.append(self._tape)
        self._recording = True

    def _pop_tape(self):
        if not self._recording:
            raise ValueError("Tape is not recording.")
        tapes = local.tapes
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self._tape:
                del tapes[i]
                break
        self._recording = False

    @contextlib.contextmanager
    def _ensure_recording(self):
        if self._recording:
            yield
        else:
            self._push_tape()
            try:
                yield
            finally:
                self._pop_tape()

    # -- watching -------------------------------------------------------
    def watch(self, tensor):
        """Makes the tape follow `tensor` (a tensor, variable, or nest of them)."""
        from jaxtape._src.framework.variables import Variable
        if self._tape is None:
            self._tape = TapeData(self._persistent, self._watch_accessed_variables)
        for t in _watchables(tensor):
            if t._value.dtype not in TRAINABLE:
                log.warning("The dtype of the watched tensor must be floating (e.g. tf.float32), got %r",
                            t.dtype)
            if isinstance(t, Variable):
                self._tape.watch_variable(t)
            elif t._value.dtype in TRAINABLE:
                # TF watches integer tensors too, but their gradients are always None;
                # not following them keeps integer ops off the tape.
                self._tape.ids.add(t._id)

    def watched_variables(self):
        """Variables this tape watched, in creation order (TF sorts them by id)."""
        if self._tape is not None:
            self._watched_variables = _creation_order(self._tape.variables)
        return self._watched_variables

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops run inside are not recorded on this tape."""
        if self._tape is None:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        self._pop_tape()
        try:
            yield
        finally:
            self._push_tape()

    def reset(self):
        """Forgets everything recorded, as if the context were entered anew."""
        self._pop_tape()
        self._tape = None
        self._push_tape()

    # -- differentiation ------------------------------------------------------
    def _check_usable(self):
        if self._tape is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to "
                               "compute one set of gradients (or jacobians)")

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for every source, in `sources`' structure."""
        self._check_usable()
        if self._recording:
            if not self._persistent:
                self._pop_tape()
            else:
                log.debug("Calling GradientTape.gradient on a persistent tape inside its "
                          "context records the gradient ops on the tape.")
        if target is None:
            raise TypeError("Argument `target` should be a list or nested structure of Tensors, "
                            "Variables or CompositeTensors to be differentiated, but received None.")
        mode = _unconnected_mode(unconnected_gradients)
        flat_targets = [_as_tensor(t) for t in flatten(target)[0]]
        flat_sources_raw, source_tree = flatten(sources)
        flat_sources = [_as_tensor(s) for s in flat_sources_raw]
        flat_targets, flat_sources = detach_unwatched(self._tape.ids, flat_targets, flat_sources)
        if output_gradients is not None:
            output_gradients = flatten(output_gradients)[0]
        grads = gradients(self._tape.nodes, flat_targets, flat_sources, output_gradients, mode)
        if not self._persistent:
            self._watched_variables = _creation_order(self._tape.variables)
            self._tape = None
        return pack_like(sources, tree_util.tree_unflatten(source_tree, grads))

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...]: shape `target.shape + source.shape` per source."""
        from jaxtape._src.tape import jacobians  # late: autodiff imports the tape
        return jacobians.jacobian(self, target, sources, unconnected_gradients,
                                  parallel_iterations, experimental_use_pfor)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians, `[batch] + target.shape[1:] + source.shape[1:]`."""
        from jaxtape._src.tape import jacobians  # late: autodiff imports the tape
        return jacobians.batch_jacobian(self, target, source, unconnected_gradients,
                                        parallel_iterations, experimental_use_pfor)


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


def _creation_order(variables):
    return tuple(sorted(variables.values(), key=lambda v: v._unique_id))


def _as_tensor(x):
    """The tensor a target or source stands for (a variable: its id and value)."""
    if isinstance(x, Tensor):
        return x
    if hasattr(x, "_read_for_op"):
        return Tensor(x._value, x._id)
    if x is None:
        raise TypeError("None is not a valid target or source for GradientTape.gradient")
    return convert_to_tensor(x)


def gradients(nodes, targets, sources, output_gradients, mode):
    """Runs the backward pass; one Tensor (or None) per source."""
    seeds = []
    for i, t in enumerate(targets):
        og = None if output_gradients is None or i >= len(output_gradients) else output_gradients[i]
        if og is None:
            seeds.append(Tensor(_ones(t._value.shape, t._value.dtype)))
        else:
            seeds.append(_seed(og, t))
    plan = backward.build_plan(nodes, targets, sources)
    if _recorded_by_active_tape(plan.values, seeds):
        raw = backward.run_recorded(plan, seeds)
    else:
        raw = [None if g is None else Tensor(g)
               for g in backward.run_eager(plan, [s._value for s in seeds])]
    out = []
    for s, g in zip(sources, raw):
        if s._value.dtype not in TRAINABLE:
            g = None
        if g is None and mode is UnconnectedGradients.ZERO:
            g = Tensor(jnp.zeros(s._value.shape, s._value.dtype))
        out.append(g)
    return out


def _seed(output_gradient, target):
    """An `output_gradients` entry as the target's cotangent.

    TF multiplies it into the first backward op, so a broadcastable one (a
    scalar for a vector target) works and a mismatched dtype or shape fails
    there with InvalidArgumentError; the seed here must match exactly.
    """
    from jaxtape._src.framework.errors import invalid_argument
    og = convert_to_tensor(output_gradient, dtype_hint=target.dtype)
    if og._value.dtype != target._value.dtype:
        raise invalid_argument(
            f"output_gradients has dtype {og.dtype.name} but its target has dtype "
            f"{target.dtype.name}", "Mul")
    if og._value.shape != target._value.shape:
        from jaxtape._src.ops.array.manipulation import broadcast_to  # late: ops import the tape
        try:
            shape = jnp.broadcast_shapes(og._value.shape, target._value.shape)
        except ValueError:
            shape = None
        if shape != target._value.shape:
            dims = ("[" + ",".join(map(str, d)) + "]" for d in (og._value.shape, target._value.shape))
            raise invalid_argument("Incompatible shapes: %s vs. %s" % tuple(dims), "Mul")
        og = broadcast_to(og, shape)
    return og


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
        hit = _ones_cache[dtype] = jnp.ones((), dtype)
    return hit
