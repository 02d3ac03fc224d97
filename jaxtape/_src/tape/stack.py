"""The per-thread stacks of active recorders, and the one protocol for them.

`local.tapes` holds `Recorder`s (a GradientTape's recording, custom_gradient's
variable watcher, tracing's capture tape) and `local.accumulators` holds
ForwardAccumulators, innermost last. Everything that changes either stack
goes through `push`, `remove` and `hidden`, so the rules live here once.
"""
from __future__ import annotations

from jaxtape._src.framework.state import local


class Recorder:
    """What an entry of `local.tapes` offers the op mechanism.

    ids: the tensor ids it follows; an op with an input among them appends
      its node to `nodes` and adds the op's float outputs to `ids`
      (`primitive.record`). An empty `frozenset` follows nothing;
      `EVERY_ID` follows everything.
    nodes: where recorded nodes go.
    watch_accessed_variables: whether a trainable variable's read calls
      `watch_variable(var)` (`Variable._read_for_op`).
    """

    __slots__ = ()
    watch_accessed_variables = True

    def watch_variable(self, var):
        raise NotImplementedError


class _EveryId:
    """An id set holding every id, for a recorder that sees every op."""

    __slots__ = ()

    def __contains__(self, _):
        return True

    def add(self, _):
        pass

    def update(self, _):
        pass


EVERY_ID = _EveryId()


def push(entries, entry):
    """Makes `entry` the innermost of `entries` (`local.tapes` or `local.accumulators`)."""
    entries.append(entry)


def remove(entries, entry):
    """Takes the innermost occurrence of `entry` out of `entries`.

    Not `list.remove`: that compares with `==` from the outside in, and an
    entry may stand in the stack more than once.
    """
    for i in range(len(entries) - 1, -1, -1):
        if entries[i] is entry:
            del entries[i]
            return


class hidden:
    """Context: only `tapes` and `accumulators` are active inside; on exit the
    stacks that were active before come back, whatever happened inside.

    Used while computing something the active tapes must not record as it
    is (a trace, a tangent, a custom gradient's backward).
    """

    __slots__ = ("tapes", "accumulators", "saved")

    def __init__(self, tapes=(), accumulators=()):
        self.tapes = tapes
        self.accumulators = accumulators

    def __enter__(self):
        self.saved = local.tapes, local.accumulators
        local.tapes, local.accumulators = list(self.tapes), list(self.accumulators)
        return self

    def __exit__(self, *exc):
        local.tapes, local.accumulators = self.saved
