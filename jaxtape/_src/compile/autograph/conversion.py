"""Converting a Python function: source -> `transform` -> code object, cached.

The new function is compiled with the original's file name and line numbers
(tracebacks point at the user's lines), its globals (the module's dict
itself, so later module-level assignments are seen) and its closure cells
(so are later assignments in the enclosing function), plus one cell `ag__`
holding the run-time helpers. A function whose source is not available
(builtins, C functions, code typed at a prompt, a lambda whose source
cannot be parsed alone) runs as it is, as
do functions of TensorFlow's, NumPy's, JAX's, jaxtape's and Python's own
modules and those marked with `do_not_convert`.
"""
from __future__ import annotations

import ast
import functools
import inspect
import sys
import textwrap
import types
import warnings
import weakref

from jaxtape._src.compile.autograph import dataset_loop, runtime, transform

DO_NOT_CONVERT = "__ag_do_not_convert__"
_SKIP_MODULES = frozenset({
    "jaxtape", "tensorflow", "keras", "tf_keras", "jax", "jaxlib", "numpy", "scipy", "optax",
    "flax", "haiku", "equinox", "pytest", "_pytest", "pluggy", *sys.stdlib_module_names})
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_code_cache: dict = {}  # code object -> converted code object (closures of one def share it)


class _Helpers:
    """What converted code reaches as `ag__`: the run-time helpers and `converted`."""

    Undefined = runtime.Undefined
    Unbound = runtime.Unbound
    UndefinedReturnValue = runtime.UndefinedReturnValue
    ld = staticmethod(runtime.ld)
    retval = staticmethod(runtime.retval)
    not_ = staticmethod(runtime.not_)
    and_ = staticmethod(runtime.and_)
    or_ = staticmethod(runtime.or_)
    if_exp = staticmethod(runtime.if_exp)
    if_stmt = staticmethod(runtime.if_stmt)
    while_stmt = staticmethod(runtime.while_stmt)
    for_stmt = staticmethod(dataset_loop.for_stmt)  # datasets scan, the rest as runtime's

    @staticmethod
    def converted(f):
        return converted(f)

    @staticmethod
    def iterate_call(fn, *args, **kwargs):
        r = runtime.symbolic_range(fn, args, kwargs)
        if r is None:
            r = dataset_loop.builtin_over_datasets(fn, args, kwargs)
        return r if r is not None else converted(fn)(*args, **kwargs)


def _convertible(fn) -> bool:
    module = (getattr(fn, "__module__", None) or "").split(".")[0]
    code = fn.__code__
    return not (module in _SKIP_MODULES or getattr(fn, DO_NOT_CONVERT, False)
                or code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                    | inspect.CO_ASYNC_GENERATOR))


def function_node(fn):
    """The `def` of `fn` from its source (a lambda becomes an equivalent `def`)."""
    lines = inspect.getsource(fn)
    source = textwrap.dedent(lines)
    margin = len(lines) - len(lines.lstrip()) - (len(source) - len(source.lstrip()))
    tree = ast.parse(source)
    if fn.__name__ == "<lambda>":
        return _lambda_def(fn, tree, margin)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef) or node.name != fn.__name__:
        raise ValueError(f"the source of {fn!r} is not one def")
    return node


def _lambda_def(fn, tree, margin):
    """The lambda in `tree` whose body holds the code's first position, as a def."""
    code = fn.__code__
    positions = [(ln, c) for ln, _, c, ec in code.co_positions()
                 if ln is not None and (c, ec) != (0, 0)]  # not RESUME nor the cell setup
    line, col = positions[0] if positions else (code.co_firstlineno, margin)
    line, col = line - code.co_firstlineno + 1, col - margin
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and [a.arg for a in node.args.args + node.args.kwonlyargs] \
                == params:
            b = node.body
            if (b.lineno, b.col_offset) <= (line, col) <= (b.end_lineno, b.end_col_offset):
                found.append(node)
    if not found:
        raise ValueError(f"no lambda in the source of {fn!r}")
    node = min(found, key=lambda n: (n.body.end_lineno - n.body.lineno, n.body.end_col_offset
                                     - n.body.col_offset))
    ret = ast.copy_location(ast.Return(value=node.body), node.body)
    return ast.copy_location(ast.FunctionDef(name="ag__lambda", args=node.args, body=[ret],
                                             decorator_list=[], returns=None), node)


def _compile(fn):
    """The converted code object of `fn`."""
    node = transform.convert_def(function_node(fn))
    freevars = fn.__code__.co_freevars
    factory = ast.FunctionDef(
        name="ag__factory", args=transform.arguments([transform.AG, *freevars]),
        body=[node, ast.Return(value=transform.name_node(node.name))], decorator_list=[],
        returns=None)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    ast.increment_lineno(module, fn.__code__.co_firstlineno - 1)
    code = compile(module, fn.__code__.co_filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    return next(c for c in factory_code.co_consts
                if isinstance(c, types.CodeType) and c.co_name == node.name)


def convert(fn):
    """`fn` converted (a new function sharing its globals and closure cells)."""
    new_code = _code_cache.get(fn.__code__)
    if new_code is None:
        new_code = _code_cache[fn.__code__] = _compile(fn)
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cells[transform.AG] = types.CellType(_Helpers)
    closure = tuple(cells[name] for name in new_code.co_freevars)
    new = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    functools.update_wrapper(new, fn)
    del new.__wrapped__
    return new


def _converted_function(fn):
    try:
        return _cache[fn]
    except KeyError:
        pass
    new = fn
    if _convertible(fn):
        try:
            new = convert(fn)
        except (OSError, TypeError, SyntaxError, ValueError):  # no source to read
            new = fn
        except Exception as e:  # noqa: BLE001 - run unconverted, as TF does, and say so
            warnings.warn(f"AutoGraph could not transform {fn!r} and will run it as-is. "
                          f"Cause: {type(e).__name__}: {e}", stacklevel=3)
            new = fn
    _cache[fn] = new
    return new


def converted(f):
    """What converted code calls instead of `f`: `f` converted where it is user code."""
    if isinstance(f, types.FunctionType):
        return _converted_function(f)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        fn = _converted_function(f.__func__)
        return f if fn is f.__func__ else types.MethodType(fn, f.__self__)
    from jaxtape._src.compile.function import Function  # cycle: function.py converts with this
    if isinstance(f, Function):  # inlined inside a trace: converted, as TF does
        return converted(f.python_function) if f._options["autograph"] else f.python_function
    call = getattr(type(f), "__call__", None)
    if isinstance(f, type) or not isinstance(call, (types.FunctionType, Function)):
        return f
    new = converted(f.__call__)  # a callable object: its `__call__`
    return f if getattr(new, "__func__", None) is call else new
