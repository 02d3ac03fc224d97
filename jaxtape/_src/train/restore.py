"""Matching a saved object graph to live objects, now and as they appear later.

`Restoration` binds checkpoint node 0 to the root, then each saved child to
the live child of the same local name, assigning saved tensors to the
variables it reaches. A saved child with no live counterpart yet is
remembered on its parent; when the parent later gets an attribute of that
name (a `tf.Module` attribute or a `Checkpoint` keyword), the new object is
bound and restored then, as TensorFlow's deferred restoration does.
"""
from __future__ import annotations

import weakref

import numpy as np

from jaxtape._src.framework import errors
from jaxtape._src.framework import module as module_lib
from jaxtape._src.framework.variables import Variable
from jaxtape._src.train import bundle, object_graph

# The names TF's kernels print for dtypes (DataTypeString), where they differ.
_KERNEL_NAMES = {"float32": "float", "float64": "double", "float16": "half"}

# parent -> {local name: (restoration, node id)} for children not created yet.
_pending: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def attribute_set(obj, name: str, value) -> None:
    """Called when `obj.name = value` is set on an object with pending restores."""
    waiting = _pending.get(obj)
    if not waiting or name not in waiting or not object_graph.is_trackable(value):
        return
    restoration, node_id = waiting.pop(name)
    if not waiting:
        del _pending[obj]
        _stop_listening(obj)
    restoration.bind(node_id, value)


def _listen(obj) -> bool:
    """Whether attribute assignment on `obj` can be observed (Modules, Checkpoints)."""
    if isinstance(obj, module_lib.Module):
        module_lib._attribute_listeners[obj] = attribute_set
        return True
    return callable(getattr(obj, "_listen_for_attributes", None)) and obj._listen_for_attributes(True)


def _stop_listening(obj) -> None:
    if isinstance(obj, module_lib.Module):
        module_lib._attribute_listeners.pop(obj, None)
    elif callable(getattr(obj, "_listen_for_attributes", None)):
        obj._listen_for_attributes(False)


def check_value(key, want, saved, shape, saved_shape, name) -> None:
    """TF's errors for a saved tensor of another dtype or (for a known `shape`) shape."""
    if saved != want:
        raise errors.InvalidArgumentError(
            None, None, f"tensor_name = {key}; expected dtype {_KERNEL_NAMES.get(want, want)} "
            f"does not equal original dtype {_KERNEL_NAMES.get(saved, saved)} [Op:RestoreV2]")
    if shape is not None and shape != tuple(saved_shape):
        raise ValueError(
            f"Received incompatible tensor with shape {tuple(saved_shape)} when attempting to "
            f"restore variable with shape {shape} and name {name}.")


class Restoration:
    """One `restore()`/`read()` of the bundle at `prefix` into the graph under `root`."""

    def __init__(self, prefix: str, root):
        self.prefix = prefix
        self.reader = bundle.Reader(prefix)
        if bundle.OBJECT_GRAPH_KEY not in self.reader.entries:
            raise errors.NotFoundError(
                None, None, f"The checkpoint at {prefix} has no object graph "
                f"({bundle.OBJECT_GRAPH_KEY}): it was written by a name-based saver "
                "(tf.compat.v1.train.Saver), which jaxtape does not read")
        serialized = self.reader.tensor(bundle.OBJECT_GRAPH_KEY)
        try:
            self.nodes = object_graph.decode(serialized)
        except Exception as e:  # noqa: BLE001 - any decoding failure is corruption
            raise errors.DataLossError(None, None, f"{bundle.index_file(prefix)}: the object "
                                                    f"graph does not parse: {e}") from None
        self.root = root
        self.matched: dict[int, object] = {}
        self.names = self._node_names()
        self.bind(0, root)

    def _node_names(self) -> dict[int, str]:
        names, queue = {0: "(root)"}, [0]
        while queue:
            i = queue.pop(0)
            for child, local in self.nodes[i].children:
                if child not in names and child < len(self.nodes):
                    names[child] = f"{names[i]}.{local}"
                    queue.append(child)
            for orig, slot, slot_id in self.nodes[i].slot_variables:
                names.setdefault(slot_id, f"{names.get(orig, orig)}'s state '{slot}' for {names[i]}")
        return names

    # -- binding --------------------------------------------------------
    def bind(self, node_id: int, obj) -> None:
        """Matches node `node_id` and everything below it to `obj`, restoring values."""
        assignments, stack = [], [(node_id, obj)]
        while stack:
            i, live = stack.pop()
            if i in self.matched or i >= len(self.nodes):
                continue
            self.matched[i] = live
            node = self.nodes[i]
            values = object_graph.attributes(live)
            for attr, _, key in node.attributes:
                if attr in values:
                    assignments.append((values[attr], key))
            kids = dict(object_graph.children(live))
            for child_id, local in node.children:
                if local in kids:
                    stack.append((child_id, kids[local]))
                elif _listen(live):
                    _pending.setdefault(live, {})[local] = (self, child_id)
            slots = getattr(live, "_restore_slot", None)
            for orig, slot_name, slot_id in node.slot_variables:
                if callable(slots) and orig in self.matched:
                    slot = slots(self.matched[orig], slot_name)
                    if slot is not None:
                        stack.append((slot_id, slot))
        self._assign(assignments)

    def _assign(self, assignments) -> None:
        # Everything is read and checked before anything is written, so a
        # mismatch leaves every variable as it was.
        ready = []
        for target, key in assignments:
            value = self.reader.tensor(key)
            if isinstance(target, Variable):
                check_value(key, target.dtype.name, self.reader.entry(key).dtype_name,
                            tuple(target.shape) if target.shape.is_fully_defined() else None,
                            np.shape(value), target.name)
            elif callable(getattr(target, "_restore_check", None)):
                target._restore_check(key, self.reader.entry(key), value)
            ready.append((target, value))
        for target, value in ready:
            if isinstance(target, Variable):
                target.assign(value)
            else:
                target._restore_from_tensor(value)

    # -- what matched ---------------------------------------------------
    def unresolved(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.attributes and i not in self.matched]

    def unmatched_live(self) -> list:
        """Live objects holding values (variables) that no checkpoint node reached."""
        bound = {id(o) for o in self.matched.values()}
        graph = object_graph.Graph(self.root)
        return [o for i, o in enumerate(graph.objects)
                if graph.nodes[i].attributes and id(o) not in bound]
