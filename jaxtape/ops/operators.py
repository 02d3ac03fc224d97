"""Python operators on Tensor and Variable, routed to the TF ops."""
from __future__ import annotations

from jaxtape.framework.tensor import Tensor
from jaxtape.framework.variables import Variable
from jaxtape.ops import array_ops, math_ops


def _flip(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


def _eq(self, other):
    """TF's `==`: elementwise when shapes broadcast, else False; `== None` is False."""
    if other is None:
        return False
    try:
        return math_ops.equal(self, other)
    except (ValueError, TypeError):
        return False
    except Exception as e:  # an incompatible-shapes or dtype error from the op
        if type(e).__name__ == "InvalidArgumentError":
            return False
        raise


def _ne(self, other):
    if other is None:
        return True
    result = _eq(self, other)
    return (not result) if isinstance(result, bool) else math_ops.logical_not(result)


def _invert(self):
    if self.dtype.is_bool:
        return math_ops.logical_not(self)
    from jaxtape.framework.errors import InvalidArgumentError
    raise InvalidArgumentError(None, None, "Invert is only defined for bool and integer tensors "
                                           "in jaxtape")


def _bool_op(logical):
    def op(x, y):
        x = array_ops.tensor(x) if not isinstance(x, Tensor) else x
        return logical(x, y)
    return op


BINARY = {
    "add": math_ops.add, "sub": math_ops.subtract, "mul": math_ops.multiply,
    "truediv": math_ops.truediv, "floordiv": math_ops.floordiv, "mod": math_ops.floormod,
    "pow": math_ops.pow, "matmul": math_ops.matmul,
    "and": _bool_op(math_ops.logical_and), "or": _bool_op(math_ops.logical_or),
    "xor": _bool_op(math_ops.logical_xor),
}
COMPARE = {"lt": math_ops.less, "le": math_ops.less_equal, "gt": math_ops.greater,
           "ge": math_ops.greater_equal}


def install(cls):
    for name, fn in BINARY.items():
        setattr(cls, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
        setattr(cls, f"__r{name}__", _flip(lambda self, other, fn=fn: fn(self, other)))
    for name, fn in COMPARE.items():
        setattr(cls, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
    cls.__eq__ = _eq
    cls.__ne__ = _ne
    cls.__neg__ = lambda self: math_ops.negative(self)
    cls.__pos__ = lambda self: self if isinstance(self, Tensor) else self.read_value()
    cls.__abs__ = lambda self: math_ops.abs(self)
    cls.__invert__ = lambda self: _invert(array_ops.tensor(self))
    cls.__getitem__ = lambda self, key: array_ops.getitem(self, key)


install(Tensor)
install(Variable)
