"""String tensors through TF's structural ops, by running them on an index tensor.

An op that only moves elements (reshape, concat, gather, slicing, ...) does
the same to a string tensor as to the tensor of its elements' positions. So
the string path replaces each string argument by an int32 tensor numbering
its elements (offset, so that several inputs share one table), runs the
unchanged numeric op on that, and looks the bytes up by the resulting
positions. The numeric path is not touched: the public names are rerouted
through `_rerouted`, which runs the numeric op first and takes the string
path only when that raised and a string argument is present (a `try` costs
nothing when nothing is raised).
"""
from __future__ import annotations

import functools
import inspect

import jax
import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import constant_array, convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, UnimplementedError
from jaxtape._src.framework.exports import REGISTRY, export_value
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.strings import StringTensor, is_text, not_traceable, string_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.array import creation, gather, identity, join, reorder, shape, slicing, split, tile
from jaxtape._src.ops.math import arithmetic, compare
from jaxtape._src.ops.math import cast as cast_ops

export_value(dtypes.string, "string", "dtypes.string")


def as_string_tensor(value) -> StringTensor:
    """A string argument as a StringTensor; anything else is TF's conversion error."""
    if isinstance(value, StringTensor):
        return value
    if isinstance(value, Tensor) or hasattr(value, "_read_for_op") or not _has_text(value):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
    return string_tensor(value, dtypes.string)


def _has_text(value) -> bool:
    if value is dtypes.string:
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_text(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "USO"
    return isinstance(value, StringTensor) or is_text(value)


class _Table:
    """The bytes of every string argument, numbered in order."""

    def __init__(self):
        self.parts, self.size = [], 0

    def index(self, value) -> Tensor:
        t = as_string_tensor(value)
        flat = t._value.reshape(-1)
        idx = np.arange(self.size, self.size + flat.size, dtype=np.int32).reshape(t._value.shape)
        self.parts.append(flat)
        self.size += flat.size
        return Tensor(constant_array(idx))

    def lookup(self, out, what):
        if isinstance(out, (list, tuple)):
            return type(out)(self.lookup(o, what) for o in out)
        if not isinstance(out, Tensor) or out.dtype != dtypes.int32:
            return out
        if isinstance(out._value, Tracer):
            raise TypeError(not_traceable(what))
        table = np.concatenate(self.parts) if self.parts else np.empty(0, object)
        idx = np.asarray(out._value)
        found = table[idx.reshape(-1)].reshape(idx.shape)
        found.flags.writeable = False
        return StringTensor(found)


def by_index(op, params, what):
    """`op` over string tensors: the `params` (names of data arguments) by index."""
    signature = inspect.signature(op)

    def run(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        table = _Table()
        for name in params:
            v = bound.arguments.get(name)
            if v is None:
                continue
            bound.arguments[name] = ([table.index(x) for x in v] if isinstance(v, (list, tuple))
                                     else table.index(v))
        with jax.ensure_compile_time_eval():  # concrete positions even inside a tf.function trace
            out = op(*bound.args, **bound.kwargs)
        return table.lookup(out, what)
    return run


def _string_args(signature, params, args, kwargs) -> bool:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return any(_has_text(bound.arguments.get(p)) for p in params)


def _rerouted(numeric, string_path, params):
    """`numeric`, falling back on `string_path` when it fails on string arguments."""
    signature = inspect.signature(numeric)

    @functools.wraps(numeric)
    def op(*args, **kwargs):
        try:
            return numeric(*args, **kwargs)
        except Exception:
            if not _string_args(signature, params, args, kwargs):
                raise
        return string_path(*args, **kwargs)
    return op


def _reroute(numeric, string_path, params):
    """Points every TF name of `numeric` at the string-aware version."""
    op = _rerouted(numeric, string_path, params)
    for name, obj in list(REGISTRY.items()):
        if obj is numeric:
            REGISTRY[name] = op
    return op


# -- elementwise ops TF defines on strings --------------------------------
def _pair(x, y, op, tail=""):
    a, b = as_string_tensor(x)._value, as_string_tensor(y)._value
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise InvalidArgumentError(None, None, f"Incompatible shapes: {list(a.shape)} vs. "
                                   f"{list(b.shape)} [Op:{op}]{tail}") from None
    return a, b


def equal(x, y, name=None):
    a, b = _pair(x, y, "Equal")
    return Tensor(constant_array(np.equal(a, b).astype(bool)))


def not_equal(x, y, name=None):
    a, b = _pair(x, y, "NotEqual")
    return Tensor(constant_array(np.not_equal(a, b).astype(bool)))


def add(x, y, name=None):
    """TF's `+` on strings: elementwise concatenation, broadcast."""
    a, b = _pair(x, y, "Add", " name: ")
    out = np.asarray(np.add(a, b), dtype=object)
    out.flags.writeable = False
    return StringTensor(out)


def _operator(fn, mismatch):
    def compare_op(self, other):
        if other is None:
            return mismatch
        try:
            return fn(self, other)
        except InvalidArgumentError:  # shapes that do not broadcast: one bool, as TF's `==`
            return Tensor(constant_array(np.asarray(mismatch)))
    return compare_op


def cast(x, dtype, name=None):
    """Casts between strings and numbers are TF's UnimplementedError (use tf.strings)."""
    source, target = convert_to_tensor(x).dtype, dtypes.as_dtype(dtype)
    if source == target:
        return x
    raise UnimplementedError(None, None, f"Cast {kernel_dtype_name(source)} to {kernel_dtype_name(target)} "
                             "is not supported [Op:Cast] name: ")


def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's argument name
    if dtype is not None and dtypes.as_dtype(dtype) != dtypes.string:
        return creation.zeros_like(np.zeros(as_string_tensor(input)._value.shape), dtype)
    out = np.full(as_string_tensor(input)._value.shape, b"", dtype=object)
    out.flags.writeable = False
    return StringTensor(out)


_STRUCTURAL = [  # (op, its data arguments)
    (shape.reshape, ("tensor",)), (shape.expand_dims, ("input",)), (shape.squeeze, ("input",)),
    (join.concat, ("values",)), (join.stack, ("values",)), (split.unstack, ("value",)),
    (split.split, ("value",)), (tile.tile, ("input",)), (reorder.transpose, ("a",)),
    (reorder.reverse, ("tensor",)), (gather.gather, ("params",)),
    (gather.boolean_mask, ("tensor",)), (gather.where, ("x", "y")), (identity.identity, ("input",)),
]
for _op, _params in _STRUCTURAL:
    _reroute(_op, by_index(_op, _params, f"tf.{_op.__name__}"), _params)
_reroute(compare.equal, equal, ("x", "y"))
_reroute(compare.not_equal, not_equal, ("x", "y"))
_reroute(arithmetic.add, add, ("x", "y"))
_reroute(cast_ops.cast, cast, ("x", "dtype"))
_reroute(creation.zeros_like, zeros_like, ("input",))

StringTensor.__getitem__ = by_index(slicing.getitem, ("x",), "tensor indexing")
StringTensor.__eq__ = _operator(equal, False)
StringTensor.__ne__ = _operator(not_equal, True)
StringTensor.__add__ = add
StringTensor.__radd__ = lambda self, other: add(other, self)
