"""`tf.Module`: a named container whose variables are found by walking attributes."""
from __future__ import annotations

import functools
import re
import weakref

from jaxtape._src.framework.exports import export
from jaxtape._src.framework.name_scope import name_scope_v2
from jaxtape._src.framework.variables import Variable


def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _leaves(value):
    """Objects held in an attribute, looking inside lists, tuples and dicts."""
    if isinstance(value, dict):
        for k in sorted(value, key=repr):
            yield from _leaves(value[k])
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# module -> callback(module, name, value), for modules whose checkpointed children
# do not exist yet (tf.train.Checkpoint's deferred restore); empty otherwise.
_attribute_listeners: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@export("Module")
class Module:
    """Groups variables and submodules; `variables` lists them as TF orders them:
    this module's own (attributes in sorted order) first, then its submodules',
    breadth first."""

    _TF_MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name=None):
        if name is None:
            name = _snake_case(type(self).__name__)
        elif not name.isidentifier():
            raise ValueError(f"'{name}' is not a valid module name. Module names must be "
                             f"valid Python identifiers (e.g. a valid class name).")
        self._name = name
        # As TF: the scope the module is created in, kept absolute ("outer/name/").
        with name_scope_v2(name) as scope_name:
            self._name_scope = name_scope_v2(scope_name)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if _attribute_listeners:
            listener = _attribute_listeners.get(self)
            if listener is not None:
                listener(self, name, value)

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        """A `tf.name_scope` entering this module's scope (absolute, as TF's)."""
        return self._name_scope

    def _flatten(self, predicate):
        found, seen = [], set()
        queue, visited = [self], {id(self)}
        while queue:
            module = queue.pop(0)
            subs = []
            for key in sorted(vars(module)):
                if key in module._TF_MODULE_IGNORED_PROPERTIES or key in ("_name", "_name_scope"):
                    continue
                for leaf in _leaves(vars(module)[key]):
                    if isinstance(leaf, Module) and id(leaf) not in visited:
                        visited.add(id(leaf))
                        subs.append(leaf)
                    if predicate(leaf) and id(leaf) not in seen:
                        seen.add(id(leaf))
                        found.append(leaf)
            queue.extend(subs)  # breadth first, as TF walks modules
        return tuple(found)

    @property
    def variables(self):
        return self._flatten(lambda x: isinstance(x, Variable))

    @property
    def trainable_variables(self):
        return self._flatten(lambda x: isinstance(x, Variable) and x.trainable)

    @property
    def non_trainable_variables(self):
        return self._flatten(lambda x: isinstance(x, Variable) and not x.trainable)

    @property
    def submodules(self):
        return self._flatten(lambda x: isinstance(x, Module))

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: `method` runs inside the module's `name_scope`."""
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return method_with_name_scope
