"""`tf.GradientTape`: TensorFlow's tape semantics over the recorded nodes.

The tape owns its recording (`TapeData`) and its lifecycle: entering and
leaving the stack, watching, and single use. What `gradient`, `jacobian` and
`batch_jacobian` compute lives in `gradients.py` and `jacobians.py`, as
plain functions of the recording.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging

from jax import tree_util

from jaxtape._src.framework.nest import flatten_with_tree, pack_like
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.tape import deferred, jacobians, release, stack
from jaxtape._src.tape.gradients import UnconnectedGradients, gradient
from jaxtape._src.tape.primitive import TRAINABLE

__all__ = ["GradientTape", "TapeData", "UnconnectedGradients"]

log = logging.getLogger("jaxtape")

_USED = ("A non-persistent GradientTape can only be used to "
         "compute one set of gradients (or jacobians)")


@dataclasses.dataclass(slots=True, eq=False)
class TapeData(stack.Recorder):
    """What one tape has recorded; `local.tapes` holds these, not the tapes.

    ids: ids of the tensors the tape follows (watched, or computed from one).
    nodes: recorded applications, in order (a topological order).
    variables: id -> Variable, in watch order.
    """

    watch_accessed_variables: bool
    ids: set = dataclasses.field(default_factory=set)
    nodes: list = dataclasses.field(default_factory=list)
    variables: dict = dataclasses.field(default_factory=dict)
    segment: object = None  # its pending ops (`deferred.Segment`), or None
    released: int = 0  # nodes before this one have let go of unread inputs (`release`)

    def watch_variable(self, var):
        if var._id not in self.variables:
            self.variables[var._id] = var
            if var._value.dtype in TRAINABLE:
                self.ids.add(var._id)


deferred.recorders.add(TapeData)


def _watchables(structure):
    for obj in flatten_with_tree(structure)[0]:
        if is_tensor(obj):
            yield obj
        else:
            raise ValueError(f"Passed in object {obj} of type {type(obj).__name__!r}"
                             f", not tf.Tensor or tf.Variable or ExtensionType.")


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
            # Not while another tape records: an inner tape's late watch there is common.
            if self._persistent and not any(type(r) is TapeData for r in local.tapes):
                release.release_unread(self._tape)

    def _push_tape(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to "
                             "re-enter an already-active tape.")
        if self._tape is None:
            self._tape = TapeData(self._watch_accessed_variables)
        stack.push(local.tapes, self._tape)
        self._recording = True

    def _pop_tape(self):
        if not self._recording:
            raise ValueError("Tape is not recording.")
        stack.remove(local.tapes, self._tape)
        self._recording = False

    # -- watching -------------------------------------------------------
    def watch(self, tensor):
        """Makes the tape follow `tensor` (a tensor, variable, or nest of them).

        As in TF, a watch counts only while a GradientTape records on this
        thread (after the tape's context, or inside `stop_recording` with no
        other tape recording, it changes nothing), and a tape never entered
        fails as TF's does."""
        if self._tape is None:
            raise AttributeError("'NoneType' object has no attribute '_tape'")
        recording = any(type(r) is TapeData for r in local.tapes)
        for t in _watchables(tensor):
            if t._value.dtype not in TRAINABLE:
                log.warning("The dtype of the watched tensor must be floating (e.g. tf.float32), got %r",
                            t.dtype)
            if not recording:
                continue
            if isinstance(t, Variable) or hasattr(t, "_read_for_op"):  # also Keras variables
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
    def _compute_once(self, compute, checks=None, used_message=_USED):
        """The lifecycle `gradient`, `jacobian` and `batch_jacobian` share.

        Fails on a used tape; runs `checks()` (TF's argument checks that come
        before anything else); stops recording a non-persistent tape, so the
        computation is not recorded on it; returns `compute(recording,
        checked)`; then releases a non-persistent tape's recording.
        """
        if self._tape is None:
            raise RuntimeError(used_message)
        checked = checks() if checks is not None else None
        if self._recording:
            if not self._persistent:
                self._pop_tape()
            else:
                log.debug("Differentiating with a persistent GradientTape inside its "
                          "context records the gradient ops on the tape.")
        result = compute(self._tape, checked)
        if not self._persistent:
            self._watched_variables = _creation_order(self._tape.variables)
            self._tape = None
        return result

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for every source, in `sources`' structure."""
        def compute(recording, _):
            if target is None:
                raise TypeError("Argument `target` should be a list or nested structure of "
                                "Tensors, Variables or CompositeTensors to be differentiated, "
                                "but received None.")
            flat_sources, tree = flatten_with_tree(sources)
            grads = gradient(
                recording.nodes, recording.ids, flatten_with_tree(target)[0], flat_sources,
                None if output_gradients is None else flatten_with_tree(output_gradients)[0],
                unconnected_gradients, recording, self._persistent)
            return pack_like(sources, tree_util.tree_unflatten(tree, grads))

        return self._compute_once(compute)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...]: shape `target.shape + source.shape` per source."""
        def checks():
            jacobians.check_fallback("jacobian", self._persistent, experimental_use_pfor)
            return tuple(target.shape)

        def compute(recording, target_shape):
            flat_sources, tree = flatten_with_tree(sources)
            outs = jacobians.jacobian(
                recording.nodes, recording.ids, target, target_shape, flat_sources,
                unconnected_gradients, self._persistent, parallel_iterations,
                experimental_use_pfor)
            return pack_like(sources, tree_util.tree_unflatten(tree, outs))

        return self._compute_once(compute, checks)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians, `[batch] + target.shape[1:] + source.shape[1:]`."""
        def checks():
            shapes = jacobians.batch_shapes(target, source)
            jacobians.check_fallback("batch_jacobian", self._persistent, experimental_use_pfor)
            return shapes

        def compute(recording, shapes):
            return jacobians.batch_jacobian(
                recording.nodes, recording.ids, target, source, shapes, unconnected_gradients,
                self._persistent, parallel_iterations, experimental_use_pfor)

        return self._compute_once(compute, checks, jacobians.USED_BATCH)


def _creation_order(variables):
    return tuple(sorted(variables.values(), key=lambda v: v._unique_id))
