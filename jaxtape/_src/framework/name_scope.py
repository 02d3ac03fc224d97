"""`tf.name_scope` and `tf.get_current_name_scope` (TF's `framework/ops.py`).

Eager TF keeps one scope string per thread and names nothing but variables
with it (an eager op's result has no name), so jaxtape keeps the string in
`state.local.scope` and only `tf.Variable`, `tf.Module` and code that asks
(`get_current_name_scope`) read it: ops never look at it.

While `tf.function` traces, TF builds a graph, whose scopes follow the
graph's rules instead: the trace starts at the root scope, a scope name is
validated (the root's pattern is stricter) and a repeated one is made unique
(`fs`, `fs_1`). jaxtape's trace names no ops, so only scope names count as
names in use; `tf.function` resets both per trace (compile/function.py).
"""
from __future__ import annotations

import re

from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local

# TF's patterns (node_def_util): a root scope's first character is stricter.
_ROOT_PATTERN = r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$"
_SCOPE_PATTERN = r"^[A-Za-z0-9_.\\/>-]*$"
_ROOT = re.compile(_ROOT_PATTERN)
_SCOPE = re.compile(_SCOPE_PATTERN)


def _graph_scope(name: str) -> str:
    """The scope a graph enters for `name` (tracing): validated, made unique."""
    stack = local.scope[:-1] if local.scope.endswith("/") else local.scope
    if name:
        if stack and not _SCOPE.match(name):
            raise ValueError(f"'{name}' is not a valid scope name. A scope name has to match "
                             f"the following pattern: {_SCOPE_PATTERN}")
        if not stack and not _ROOT.match(name):
            raise ValueError(f"'{name}' is not a valid root scope name. A root scope name has "
                             f"to match the following pattern: {_ROOT_PATTERN}")
    if not name:
        return ""
    if name[-1] == "/":
        return name
    return unique_name(name) + "/"


def unique_name(name: str) -> str:
    """`name` under the current scope, made unique within this trace as TF's
    graph does (case-insensitively: `a_1` after `a` or `A`)."""
    stack = local.scope[:-1] if local.scope.endswith("/") else local.scope
    if stack:
        name = f"{stack}/{name}"
    used = local.scope_names
    if used is None:
        used = local.scope_names = {}
    key = name.lower()
    i = used.get(key, 0)
    used[key] = i + 1
    if i == 0:
        return name
    base = key
    while key in used:
        key = f"{base}_{i}"
        i += 1
    used[key] = 1
    return f"{name}_{i - 1}"


def _eager_scope(name: str) -> str:
    """The scope eager TF enters for `name`: no validation, no uniqueness."""
    if not name:
        return ""
    if name[-1] == "/":
        return name
    return local.scope + name + "/"


class name_scope_v2:  # noqa: N801 - TF's class name (`type(tf.name_scope("a")).__name__`)
    """`tf.name_scope(name)`: a context whose `__enter__` returns the scope
    entered ("outer/name/"; a name ending in "/" is absolute, "" the root).
    Reusable and re-entrant, as TF's: each entry restores its own scope."""

    __slots__ = ("_name", "_exit_fns")

    def __init__(self, name):
        if not isinstance(name, str):
            raise ValueError("name for name_scope must be a string.")
        self._name = name
        self._exit_fns = []  # the scope each open entry restores (TF's attribute name)

    @property
    def name(self):
        return self._name

    def __enter__(self):
        scope = _graph_scope(self._name) if local.tracing else _eager_scope(self._name)
        self._exit_fns.append(local.scope)
        local.scope = scope
        return scope

    def __exit__(self, *exc):
        local.scope = self._exit_fns.pop()
        return False

    def __getstate__(self):
        return self._name, self._exit_fns

    def __setstate__(self, state):
        self._name, self._exit_fns = state


export("name_scope")(name_scope_v2)


@export("get_current_name_scope")
def get_current_name_scope():
    """The current scope without its trailing "/" ("" at the root)."""
    scope = local.scope
    if local.tracing:
        return scope[:-1] if scope.endswith("/") else scope
    return scope.rstrip("/")


def variable_name(name) -> str:
    """A new variable's name without ":0": TF names variables in the eager
    scope even inside tf.function (it creates them under `init_scope`), so
    `name` joins the current scope as eager `name_scope(name)` would."""
    if name is None:
        name = "Variable"
    scope = local.scope
    if not scope and name and name[-1] != "/":
        return name  # the common case: no scope
    entered = _eager_scope(name)
    return entered[:-1] if entered.endswith("/") else entered


class reset_for_trace:
    """Context for a `tf.function` trace: TF's function graph starts at the
    root scope with no names in use; the caller's scope comes back after."""

    __slots__ = ("_saved",)

    def __enter__(self):
        self._saved = (local.scope, local.scope_names)
        local.scope, local.scope_names = "", {}
        return self

    def __exit__(self, *exc):
        local.scope, local.scope_names = self._saved
        return False
