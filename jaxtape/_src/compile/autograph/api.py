"""`tf.autograph`: converting Python control flow on tensors into `tf.cond` / `tf.while_loop`.

`tf.function` converts the function it traces (unless `autograph=False`),
and, through the converted calls, every user function it calls.
"""
from __future__ import annotations

import ast
import functools
import types

from jaxtape._src.compile.autograph import conversion, transform
from jaxtape._src.framework.exports import export

_verbosity = [0]


def converted(python_function):
    """`python_function` as `tf.function` traces it: converted where it is user code."""
    return conversion.converted(python_function)


@export("autograph.to_graph")
def to_graph(entity, recursive=True, experimental_optional_features=None):
    """The converted function (or method); run it inside `tf.function` to stage it."""
    if not isinstance(entity, (types.FunctionType, types.MethodType)):
        raise ValueError(f"Expected a Python function or method, got {entity!r}")
    fn = entity.__func__ if isinstance(entity, types.MethodType) else entity
    new = conversion.convert(fn)
    return types.MethodType(new, entity.__self__) if isinstance(entity, types.MethodType) else new


@export("autograph.to_code")
def to_code(entity, recursive=True, experimental_optional_features=None):
    """The source of the converted function."""
    fn = entity.__func__ if isinstance(entity, types.MethodType) else entity
    node = ast.fix_missing_locations(transform.convert_def(conversion.function_node(fn)))
    return ast.unparse(node) + "\n"


@export("autograph.experimental.do_not_convert")
def do_not_convert(func=None):
    """Marks `func` to run unconverted; usable as `@do_not_convert` or `@do_not_convert()`."""
    if func is None:
        return do_not_convert

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    setattr(wrapper, conversion.DO_NOT_CONVERT, True)
    return wrapper


@export("autograph.experimental.set_loop_options")
def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None):
    """Accepted for compatibility; jaxtape's loops keep static shapes and need no hints."""


@export("autograph.set_verbosity")
def set_verbosity(level, alsologtostdout=False):
    """Stores the level; jaxtape's AutoGraph logs nothing but its could-not-convert warning."""
    _verbosity[0] = int(level)
