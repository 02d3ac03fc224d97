"""`tf.control_dependencies`, `tf.no_op`, `tf.group`, `tf.tuple` (TF's control_flow_ops).

They order graph ops. Eager TF runs ops in program order, so there they do
nothing: `control_dependencies` returns a null context (calling any
callables it is given, as TF does), `no_op` and `group` return None and
`tuple` returns its argument. A `tf.function` trace here is a JAX program
whose effects (variable writes, host callbacks) already keep program order,
so nothing needs ordering there either; these only check their arguments as
TF's graph builder does and return what it returns: an `Operation` (a name
and a type, nothing to run) for `no_op`/`group`, tensors for `tuple`.
"""
from __future__ import annotations

import contextlib

from jaxtape._src.framework import nest
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.name_scope import unique_name
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.array.identity import identity


class Operation:
    """What `no_op`/`group` give inside `tf.function`: TF's graph node, by name
    and type only (jaxtape's program has no node to point at)."""

    __slots__ = ("name", "type")

    def __init__(self, name, op_type="NoOp"):
        self.name, self.type = name, op_type

    @property
    def device(self):
        return ""

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type={self.type}>"

    def __str__(self):  # TF prints the node's NodeDef (here without its inputs)
        return f'name: "{self.name}"\nop: "{self.type}"\n'


def _op_name(name, default):
    """The graph's unique name for an op named `name` (or `default`)."""
    return unique_name(name if name else default)


@export("control_dependencies")
def control_dependencies(control_inputs):
    """A context for `control_inputs` to run before the block (see module doc).
    Eagerly, callables among them are called, as in TF; while tracing each must
    be a tensor, variable or operation (None, TF's "reset", passes)."""
    if not local.tracing:
        if control_inputs:
            for control in control_inputs:
                if callable(control):
                    control()
        return contextlib.nullcontext()
    if control_inputs is not None:
        for c in control_inputs:
            if c is None:
                raise TypeError("Can not convert a NoneType into a Tensor or Operation.")
    return contextlib.nullcontext()


@export("no_op")
def no_op(name=None):
    """Does nothing: None eagerly, an Operation while tracing."""
    if not local.tracing:
        return None
    return Operation(_op_name(name, "NoOp"))


@export("group")
def group(*inputs, **kwargs):
    """An op that runs after all `inputs`: None eagerly (TF checks nothing
    there); while tracing, TF's checks and an Operation named `group_deps`."""
    if not local.tracing:
        return None
    name = kwargs.pop("name", None)
    if kwargs:
        raise ValueError("Unknown keyword arguments: " + ", ".join(kwargs.keys()))
    for inp in nest.flatten(inputs):
        if not (is_tensor(inp) or isinstance(inp, Operation)):
            raise TypeError("'inputs' should be zero or more (nested) Tensors. "
                            f"Received '{inp}' with type '{type(inp)}'.")
    return Operation(_op_name(name, "group_deps"))


@export("tuple")
def tuple(tensors, control_inputs=None, name=None):  # noqa: A001 - TF's name
    """`tensors`, each available only once all are: eagerly the argument itself;
    while tracing a list of identities (None stays None), after TF's checks."""
    if not local.tracing:
        return tensors
    tensors = [t if t is None or isinstance(t, Operation) or is_tensor(t) else convert_to_tensor(t)
               for t in tensors]
    gating = [t for t in tensors if t is not None]
    for c in control_inputs or ():
        if not (isinstance(c, (Tensor, Operation))):
            raise TypeError("'control_inputs' must only contain Operation or Tensor. "
                            f"Received: {type(c)}")
        gating.append(c)
    if not gating:
        raise ValueError(f"'tensors' must have at least one Tensor. Received: {tensors}.")
    return [None if t is None else t if isinstance(t, Operation) else identity(t) for t in tensors]
