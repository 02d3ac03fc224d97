"""Elementwise arithmetic, reductions and matmul (`tf.math`, `tf.linalg.matmul`)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from jaxtape.api.exports import export
from jaxtape.framework import dtypes
from jaxtape.framework.tensor import Tensor
from jaxtape.ops.inputs import axis_tuple, binary, op_error, tensor
from jaxtape.tape.primitive import Primitive, primitive

# -- binary arithmetic ------------------------------------------------------------

_add = Primitive(jnp.add, "AddV2")
_sub = Primitive(jnp.subtract, "Sub")
_mul = Primitive(jnp.multiply, "Mul")
_pow = Primitive(jnp.power, "Pow")
_floormod = Primitive(jnp.remainder, "FloorMod")
_floordiv = Primitive(jnp.floor_divide, "FloorDiv", differentiable=False)


@primitive(name="RealDiv")
def _div(x, y):
    return x / y


@primitive(name="Maximum")
def _maximum(x, y):
    # TF sends the whole gradient to x on ties (x >= y); jnp.maximum splits it.
    return jnp.where(x >= y, x, y)


@primitive(name="Minimum")
def _minimum(x, y):
    return jnp.where(x <= y, x, y)


def add_recorded(a, b):
    """Cotangent accumulation when an outer tape records the backward pass."""
    return _add(a, b)


@export("math.add", "add")
def add(x, y, name=None):
    x, y = binary(x, y, "AddV2")
    return _add(x, y)


@export("math.subtract", "subtract")
def subtract(x, y, name=None):
    x, y = binary(x, y, "Sub")
    return _sub(x, y)


@export("math.multiply", "multiply")
def multiply(x, y, name=None):
    x, y = binary(x, y, "Mul")
    return _mul(x, y)


# TF's truediv turns integers into floats: small ints to float32, wide ones to float64.
_TRUEDIV_FLOAT = {"int8": dtypes.float32, "uint8": dtypes.float32, "int16": dtypes.float32,
                  "uint16": dtypes.float32, "int32": dtypes.float64, "int64": dtypes.float64,
                  "uint32": dtypes.float64, "uint64": dtypes.float64}


@export("math.truediv", "truediv")
def truediv(x, y, name=None):
    x, y = binary(x, y, "RealDiv")
    target = _TRUEDIV_FLOAT.get(x.dtype.name)
    if target is not None:
        x, y = cast(x, target), cast(y, target)
    return _div(x, y)


@export("math.divide", "divide")
def divide(x, y, name=None):
    return truediv(x, y)


@export("math.floordiv", "floordiv")
def floordiv(x, y, name=None):
    x, y = binary(x, y, "FloorDiv")
    return _floordiv(x, y)


@export("math.floormod", "math.mod", "mod", "floormod")
def floormod(x, y, name=None):
    x, y = binary(x, y, "FloorMod")
    return _floormod(x, y)


@export("math.pow", "pow")
def pow(x, y, name=None):  # noqa: A001 - TF's name
    x, y = binary(x, y, "Pow")
    return _pow(x, y)


@export("math.maximum", "maximum")
def maximum(x, y, name=None):
    x, y = binary(x, y, "Maximum")
    return _maximum(x, y)


@export("math.minimum", "minimum")
def minimum(x, y, name=None):
    x, y = binary(x, y, "Minimum")
    return _minimum(x, y)


# -- comparisons and logic (not differentiable, as in TF) ---------------------------

def _comparison(jfn, op, *names):
    prim = Primitive(jfn, op, differentiable=False)

    def compare(x, y, name=None):
        x, y = binary(x, y, op)
        return prim(x, y)

    compare.__name__ = names[0].rpartition(".")[2]
    compare.__doc__ = f"Elementwise `{compare.__name__}` (TF op {op}); bool result, no gradient."
    return export(*names)(compare)


equal = _comparison(jnp.equal, "Equal", "math.equal", "equal")
not_equal = _comparison(jnp.not_equal, "NotEqual", "math.not_equal", "not_equal")
less = _comparison(jnp.less, "Less", "math.less", "less")
less_equal = _comparison(jnp.less_equal, "LessEqual", "math.less_equal", "less_equal")
greater = _comparison(jnp.greater, "Greater", "math.greater", "greater")
greater_equal = _comparison(jnp.greater_equal, "GreaterEqual", "math.greater_equal", "greater_equal")
logical_and = _comparison(jnp.logical_and, "LogicalAnd", "math.logical_and", "logical_and")
logical_or = _comparison(jnp.logical_or, "LogicalOr", "math.logical_or", "logical_or")
logical_xor = _comparison(jnp.logical_xor, "LogicalXor", "math.logical_xor", "logical_xor")

_logical_not = Primitive(jnp.logical_not, "LogicalNot", differentiable=False)


@export("math.logical_not", "logical_not")
def logical_not(x, name=None):
    return _logical_not(tensor(x))


# -- unary elementwise --------------------------------------------------------------

def unary(jfn, op, *names, differentiable=True, doc=None):
    """Exports a one-input elementwise op under its TF names."""
    prim = Primitive(jfn, op, differentiable=differentiable)

    def op_fn(x, name=None):
        return prim(tensor(x))

    op_fn.__name__ = names[0].rpartition(".")[2]
    op_fn.__doc__ = doc or f"Elementwise `{op_fn.__name__}` (TF op {op})."
    op_fn.primitive = prim
    return export(*names)(op_fn)


negative = unary(jnp.negative, "Neg", "math.negative", "negative")
abs = unary(jnp.abs, "Abs", "math.abs", "abs")  # noqa: A001
square = unary(jnp.square, "Square", "math.square", "square")
sqrt = unary(jnp.sqrt, "Sqrt", "math.sqrt", "sqrt")
rsqrt = unary(lax.rsqrt, "Rsqrt", "math.rsqrt", "rsqrt")
exp = unary(jnp.exp, "Exp", "math.exp", "exp")
log = unary(jnp.log, "Log", "math.log", "log")
sin = unary(jnp.sin, "Sin", "math.sin", "sin")
cos = unary(jnp.cos, "Cos", "math.cos", "cos")
tan = unary(jnp.tan, "Tan", "math.tan", "tan")
tanh = unary(jnp.tanh, "Tanh", "math.tanh", "nn.tanh", "tanh")
sigmoid = unary(jax.nn.sigmoid, "Sigmoid", "math.sigmoid", "nn.sigmoid", "sigmoid")
sign = unary(jnp.sign, "Sign", "math.sign", "sign")
floor = unary(jnp.floor, "Floor", "math.floor", "floor", differentiable=False)
ceil = unary(jnp.ceil, "Ceil", "math.ceil", "ceil", differentiable=False)
round = unary(jnp.round, "Round", "math.round", "round", differentiable=False)  # noqa: A001 - half to even, as TF


# -- casting --------------------------------------------------------------------

@primitive(name="Cast")
def _cast(x, *, dtype):
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


_cast_nondiff = Primitive(_cast.fn, "Cast", differentiable=False)


@export("cast", "dtypes.cast")
def cast(x, dtype, name=None):
    """TF's cast; only float/complex to float/complex carries a gradient."""
    x = tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    prim = _cast if x.dtype.is_trainable and dtype.is_trainable else _cast_nondiff
    return prim(x, dtype=dtype.as_numpy_dtype)


# -- reductions -----------------------------------------------------------------

def _reduction(jfn, op, *names, differentiable=True):
    prim = Primitive(jfn, op, differentiable=differentiable)

    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        x = tensor(input_tensor)
        return prim(x, axis=axis_tuple(axis, x.ndim, op), keepdims=bool(keepdims))

    reduce.__name__ = names[0].rpartition(".")[2]
    reduce.__doc__ = f"`{reduce.__name__}` over `axis` (all axes when None), as TF op {op}."
    reduce.primitive = prim
    return export(*names)(reduce)


def _mean(x, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        # TF keeps integer means integer, truncating toward zero.
        total = jnp.sum(x, axis=axis, keepdims=keepdims)
        count = x.size // max(total.size, 1) if x.size else 1
        return lax.div(total, jnp.asarray(count, x.dtype))
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def _prod(x, axis, keepdims):
    return jnp.prod(x, axis=axis, keepdims=keepdims)


def _extreme(jfn):
    def reduce(x, axis, keepdims):
        # TF splits the gradient evenly among tied extremes; so does this form.
        return jfn(x, axis=axis, keepdims=keepdims)
    return reduce


reduce_sum = _reduction(lambda x, axis, keepdims: jnp.sum(x, axis=axis, keepdims=keepdims),
                        "Sum", "math.reduce_sum", "reduce_sum")
reduce_mean = _reduction(_mean, "Mean", "math.reduce_mean", "reduce_mean")
reduce_prod = _reduction(_prod, "Prod", "math.reduce_prod", "reduce_prod")
reduce_max = _reduction(_extreme(jnp.max), "Max", "math.reduce_max", "reduce_max")
reduce_min = _reduction(_extreme(jnp.min), "Min", "math.reduce_min", "reduce_min")


# -- matmul ---------------------------------------------------------------------

@primitive(name="MatMul")
def _matmul(a, b, *, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        if adjoint_a:
            a = jnp.conj(a)
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        if adjoint_b:
            b = jnp.conj(b)
    return jnp.matmul(a, b)


def _dims(shape):
    """A shape as TF's kernels print it: `[2,3]`."""
    return "[" + ",".join(str(d) for d in shape) + "]"


@export("linalg.matmul", "matmul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Batched matrix product with TF's rank and size checks."""
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    if len(sa) < 2 or len(sb) < 2:
        raise op_error(f"In[0] and In[1] has different ndims: {_dims(sa)} vs. {_dims(sb)}"
                       if len(sa) != len(sb) else f"In[0] ndims must be >= 2: {len(sa)}", "MatMul")
    k_a = sa[-2] if (transpose_a or adjoint_a) else sa[-1]
    k_b = sb[-1] if (transpose_b or adjoint_b) else sb[-2]
    if k_a != k_b:
        op = "MatMul" if len(sa) == 2 and len(sb) == 2 else "BatchMatMulV2"
        msg = f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: {_dims(sb)}"
        raise op_error(msg, op)
    flags = {}
    if transpose_a:
        flags["transpose_a"] = True
    if transpose_b:
        flags["transpose_b"] = True
    if adjoint_a:
        flags["adjoint_a"] = True
    if adjoint_b:
        flags["adjoint_b"] = True
    return _matmul(a, b, **flags)
