"""The object graph a checkpoint saves beside the tensors (`TrackableObjectGraph`).

Every tracked object is a node, numbered breadth first from the root; a
node lists its children by local name, and the tensors it owns as
attributes whose `checkpoint_key` is the escaped path of local names from the
root plus `/.ATTRIBUTES/<attribute>` (`model/layer/w/.ATTRIBUTES/VARIABLE_VALUE`).
Restoring walks this graph and the live objects side by side, matching
children by name, which is why renaming a Python attribute breaks a restore.

What counts as tracked, as TensorFlow tracks it: variables, `tf.Module`s,
checkpoints, the lists, tuples and dicts held in their attributes (each its
own node, elements named by index or key), and any object that defines
`_trackable_children()` (a dict of name -> child), the hook later kinds of
objects (Keras layers, optimizers) plug into. Such an object may also define
`_checkpoint_attributes()` -> {attribute name: a Variable, or an object with
`_checkpoint_value()` and `_restore_from_tensor(value)`, and optionally
`_restore_check(key, entry, value)`} for tensors it saves itself (Keras
variables: `keras_objects.py`), and `_checkpoint_slots()` -> [(original
variable, slot name, slot variable)] plus `_restore_slot(variable, slot
name)` for optimizer slots,
saved under `<variable>/.OPTIMIZER_SLOT/<optimizer>/<slot>` as TF saves them.
"""
from __future__ import annotations

from jaxtape._src.framework import wire
from jaxtape._src.framework.module import Module
from jaxtape._src.framework.variables import Variable

ATTRIBUTES = ".ATTRIBUTES"
VARIABLE_VALUE = "VARIABLE_VALUE"
OPTIMIZER_SLOT = ".OPTIMIZER_SLOT"


def escape(name: str) -> str:
    """A local name as it appears in a checkpoint key ('.' -> '..', '/' -> '.S')."""
    return name.replace(".", "..").replace("/", ".S")


# -- what is tracked ---------------------------------------------------------

def is_trackable(value) -> bool:
    return (isinstance(value, (Variable, Module, list, tuple, dict))
            or callable(getattr(value, "_trackable_children", None)))


def children(obj) -> list[tuple[str, object]]:
    """The tracked children of `obj`, (local name, child), in TF's order."""
    hook = getattr(obj, "_trackable_children", None)
    if callable(hook) and not isinstance(obj, (list, tuple, dict)):
        return [(str(k), v) for k, v in hook().items() if is_trackable(v)]
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in obj.items() if is_trackable(v)]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj) if is_trackable(v)]
    if isinstance(obj, Module):
        ignored = type(obj)._TF_MODULE_IGNORED_PROPERTIES
        return [(k, v) for k, v in vars(obj).items() if k not in ignored and is_trackable(v)]
    return []


def attributes(obj) -> dict[str, object]:
    """The tensors `obj` itself saves, by attribute name."""
    if isinstance(obj, Variable):
        return {VARIABLE_VALUE: obj}
    hook = getattr(obj, "_checkpoint_attributes", None)
    return hook() if callable(hook) else {}


def full_name(value) -> str:
    name = getattr(value, "name", "") or ""
    return name[:-2] if name.endswith(":0") else name


# -- the proto ---------------------------------------------------------------

class Node:
    """One `TrackableObject`: children (node id, local name), attributes
    (name, full name, checkpoint key), slot variables (original id, slot
    name, slot id), and whether anything below it holds values."""

    __slots__ = ("children", "attributes", "slot_variables", "has_values")

    def __init__(self):
        self.children: list[tuple[int, str]] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.slot_variables: list[tuple[int, str, int]] = []
        self.has_values: bool | None = None

    def encode(self) -> bytes:
        out = b"".join(wire.field_bytes(1, wire.field_varint(1, i) + wire.field_bytes(2, n))
                       for i, n in self.children)
        out += b"".join(wire.field_bytes(2, wire.field_bytes(1, a) + wire.field_bytes(2, f)
                                         + wire.field_bytes(3, k)) for a, f, k in self.attributes)
        out += b"".join(wire.field_bytes(3, wire.field_varint(1, o) + wire.field_bytes(2, s)
                                         + wire.field_varint(3, i)) for o, s, i in self.slot_variables)
        if self.has_values is not None:
            out += wire.field_bytes(5, wire.field_varint(1, 1) if self.has_values else b"")
        return out

    @classmethod
    def decode(cls, buf: bytes) -> "Node":
        node = cls()
        for number, _, value in wire.fields(buf):
            parts = {n: v for n, _, v in wire.fields(value)} if isinstance(value, bytes) else {}
            text = lambda n: parts.get(n, b"").decode()  # noqa: E731
            if number == 1:
                node.children.append((parts.get(1, 0), text(2)))
            elif number == 2:
                node.attributes.append((text(1), text(2), text(3)))
            elif number == 3:
                node.slot_variables.append((parts.get(1, 0), text(2), parts.get(3, 0)))
            elif number == 5:
                node.has_values = bool(parts.get(1, 0))
        return node

    def text(self) -> str:
        """The node in protobuf text format, as TF's assertion messages show it."""
        q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
        out = []
        for i, n in self.children:
            out.append(f"children {{\n  node_id: {i}\n  local_name: {q(n)}\n}}\n")
        for a, f, k in self.attributes:
            out.append(f"attributes {{\n  name: {q(a)}\n  full_name: {q(f)}\n"
                       f"  checkpoint_key: {q(k)}\n}}\n")
        for o, s, i in self.slot_variables:
            out.append(f"slot_variables {{\n  original_variable_node_id: {o}\n"
                       f"  slot_name: {q(s)}\n  slot_variable_node_id: {i}\n}}\n")
        if self.has_values is not None:
            out.append("has_checkpoint_values {\n" + ("  value: true\n" if self.has_values else "")
                       + "}\n")
        return "".join(out)


def encode(nodes: list[Node]) -> bytes:
    return b"".join(wire.field_bytes(1, n.encode()) for n in nodes)


def decode(buf: bytes) -> list[Node]:
    return [Node.decode(v) for number, _, v in wire.fields(buf) if number == 1]


# -- building the graph of live objects ---------------------------------------

class Graph:
    """The live objects reachable from a root: `objects[i]` is node `i`,
    `paths[i]` its first breadth-first path of local names."""

    def __init__(self, root):
        self.objects: list = [root]
        self.paths: list[list[str]] = [[]]
        self.nodes: list[Node] = [Node()]
        index = {id(root): 0}
        i = 0
        while i < len(self.objects):
            for name, child in children(self.objects[i]):
                if id(child) not in index:
                    index[id(child)] = len(self.objects)
                    self.objects.append(child)
                    self.paths.append(self.paths[i] + [name])
                    self.nodes.append(Node())
                self.nodes[i].children.append((index[id(child)], name))
            i += 1
        self.tensors: list[tuple[str, object]] = []  # (checkpoint key, value) in node order
        for i, obj in enumerate(self.objects):
            self._add_attributes(i, obj, self.key_prefix(i))
        for i, obj in enumerate(list(self.objects)):
            self._add_slots(i, obj, index)
        self._mark_values()

    def key_prefix(self, i: int) -> str:
        return "".join(escape(p) + "/" for p in self.paths[i])

    def name(self, i: int) -> str:
        """The node's path as TF's messages print it: `(root).model.w`."""
        return ".".join(["(root)"] + self.paths[i])

    def _add_attributes(self, i, obj, prefix):
        for attr, value in attributes(obj).items():
            key = f"{prefix}{ATTRIBUTES}/{attr}"
            self.nodes[i].attributes.append((attr, full_name(value), key))
            self.tensors.append((key, value))

    def _add_slots(self, i, obj, index):
        hook = getattr(obj, "_checkpoint_slots", None)
        if not callable(hook):
            return
        for original, slot_name, slot in hook():
            if id(original) not in index:
                continue
            orig = index[id(original)]
            slot_id = len(self.objects)
            self.objects.append(slot)
            self.paths.append(self.paths[orig] + [OPTIMIZER_SLOT] + self.paths[i] + [slot_name])
            self.nodes.append(Node())
            prefix = (self.key_prefix(orig) + OPTIMIZER_SLOT + "/" + self.key_prefix(i)
                      + escape(slot_name) + "/")
            self._add_attributes(slot_id, slot, prefix)
            self.nodes[i].slot_variables.append((orig, slot_name, slot_id))

    def _mark_values(self):
        values = [bool(n.attributes) for n in self.nodes]
        changed = True
        while changed:  # a fixed point, since modules may refer back to their parents
            changed = False
            for i, node in enumerate(self.nodes):
                if not values[i] and any(values[c] for c, _ in node.children):
                    values[i] = changed = True
        for node, has in zip(self.nodes, values):
            node.has_values = has
