"""Static facts about a function's AST that the rewriting needs.

Which names a block assigns (the state a converted `if` or loop must thread
through), which names the function reads outside a statement (the ones whose
values after the statement matter), and whether a block holds a `break`,
`continue` or `return` that belongs to it.
"""
from __future__ import annotations

import ast
import collections

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
LOOPS = (ast.For, ast.While, ast.AsyncFor)
STOP = "ag_stop"  # attribute of a loop node: flags whose truth ends the loop


def walk_scope(node):
    """The nodes under `node`, in source order, that belong to its scope (not
    those of nested functions, classes or comprehensions, whose names are
    their own)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for deco in child.decorator_list:  # evaluated in this scope
                yield deco
                yield from walk_scope(deco)
        elif not isinstance(child, SCOPES):
            yield from walk_scope(child)


def _bound(node):
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return node.id
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.alias):
        return (node.asname or node.name).split(".")[0]
    if isinstance(node, ast.ExceptHandler):
        return node.name
    return None


def assigned_names(stmts) -> list[str]:
    """Names bound by `stmts` in their own scope, in order of first binding."""
    found = {}
    for stmt in stmts:
        nodes = [stmt] if isinstance(stmt, SCOPES) else [stmt, *walk_scope(stmt)]
        for node in nodes:
            name = _bound(node)
            if name:
                found.setdefault(name, None)
    return list(found)


def declared(func) -> set[str]:
    """Names a function declares `global` or `nonlocal` (never carried as state)."""
    return {name for node in walk_scope(func) if isinstance(node, (ast.Global, ast.Nonlocal))
            for name in node.names}


def load_counts(node) -> collections.Counter:
    """How often each name is read anywhere under `node` (nested scopes
    included: a closure reading a name needs its value too). A loop's stop
    flags (`STOP`, set by the rewriting of `break` and `return`) count as
    read by the loop."""
    counts = collections.Counter()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            counts[n.id] += 1
        counts.update(getattr(n, STOP, ()))
    return counts


def read_outside(stmt, counts) -> set[str]:
    """Names read somewhere in the function other than inside `stmt`: a
    conservative liveness (a name read nowhere else cannot matter after it)."""
    inside = load_counts(stmt)
    return {name for name, n in counts.items() if n > inside.get(name, 0)}


def has_jump(node, kinds) -> bool:
    """Whether `node` holds a statement of `kinds` that acts on the enclosing
    loop or function: not one inside a nested function (nor, for `break` and
    `continue`, inside a nested loop)."""
    if isinstance(node, SCOPES):
        return False
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, kinds):
            return True
        for child in ast.iter_child_nodes(n):
            if isinstance(child, SCOPES):
                continue
            if isinstance(child, LOOPS) and ast.Return not in kinds:
                todo.extend(child.orelse)  # a loop's else clause belongs to the outer loop
                continue
            todo.append(child)
    return False


def always_returns(stmts) -> bool:
    """Whether every path through `stmts` ends in a `return`."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    return False
