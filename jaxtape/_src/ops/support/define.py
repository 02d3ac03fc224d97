"""The one way to define a TF op: a primitive plus TF's calling convention.

An op is a `Primitive` around a plain JAX function and a thin wrapper with
TF's signature that converts and checks arguments as TF does. These helpers
build that wrapper, give it its TF name and docstring, attach the primitive
(`op_fn.primitive`, so tests and forward mode can reach it) and export it
under its TF names, so a family module holds only what differs per op:

    sin = elementwise("Sin", jnp.sin, "math.sin", "sin")
    xlogy = binary("Xlogy", _xlogy, "math.xlogy")
    reduce_sum = reduction("Sum", _sum, "math.reduce_sum", "reduce_sum")

    @defined("nn.relu", primitive=_relu)
    def relu(features, name=None):
        ...

Every TF name is a literal string at the definition, so `grep` finds it.
"""
from __future__ import annotations

from typing import Callable

from jaxtape._src.framework.exports import export
from jaxtape._src.framework.ragged_tensor import OPS as RAGGED_OPS
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.ops.support import args, kernel_dtypes
from jaxtape._src.ops.support.args import reduction_axes, tensor
from jaxtape._src.tape.primitive import Primitive


def defined(*names: str, primitive: Primitive | None = None, doc: str | None = None):
    """Decorator finishing a hand-written op function: TF name, doc, primitive, export."""
    def finish(fn):
        fn.__name__ = fn.__qualname__ = _leaf(names)
        if doc is not None:
            fn.__doc__ = doc
        if primitive is not None:
            fn.primitive = primitive
        return export(*names)(fn)
    return finish


def kernel_input(x, op: str):
    """Converts `x` and refuses the dtypes TF's kernel `op` does not register."""
    x = tensor(x)
    kernel_dtypes.check(op, x)
    return x


def any_input(x, op: str):
    """Converts `x` with no dtype check (TF's kernel takes every dtype, or the op checks)."""
    return tensor(x)


def kernel_inputs(x, y, op: str):
    """Converts two operands as TF's binary kernels do, then checks `op`'s dtypes."""
    x, y = args.elementwise(x, y, op)
    kernel_dtypes.check(op, x)
    return x, y


def _leaf(names) -> str:
    return names[0].rpartition(".")[2]


def elementwise(op: str, fn: Callable | None, *names: str, differentiable: bool = True,
                doc: str | None = None, prim: Primitive | None = None,
                convert: Callable = kernel_input):
    """A one-input elementwise op `f(x, name=None)`.

    op: TF's op name (kernel dtype table, error texts); fn: the JAX function,
    or `prim` ready-made; convert(x, op): TF's argument conversion and checks.
    """
    prim = prim or Primitive(fn, op, differentiable=differentiable)
    if convert is kernel_input:
        check = kernel_dtypes.check

        def op_fn(x, name=None):
            x = tensor(x)  # kernel_input inlined: one frame less on every activation
            check(op, x)
            return prim(x)
    else:
        def op_fn(x, name=None):
            return prim(convert(x, op))

    return defined(*names, primitive=prim,
                   doc=doc or f"Elementwise `{_leaf(names)}` (TF op {op}).")(op_fn)


def binary(op: str, fn: Callable | None, *names: str, differentiable: bool = True,
           doc: str | None = None, prim: Primitive | None = None,
           convert: Callable = kernel_inputs):
    """A two-input op `f(x, y, name=None)`; convert(x, y, op) returns the operands."""
    prim = prim or Primitive(fn, op, differentiable=differentiable)

    def op_fn(x, y, name=None):
        return prim(*convert(x, y, op))

    return defined(*names, primitive=prim,
                   doc=doc or f"Elementwise `{_leaf(names)}` with broadcasting (TF op {op}).")(op_fn)


def reduction(op: str, fn: Callable, *names: str, differentiable: bool = True,
              doc: str | None = None, convert: Callable = kernel_input, axis_op: str | None = None,
              primitive: Primitive | None = None):
    """A reduction `f(input_tensor, axis=None, keepdims=False, name=None)`.

    fn(x, axis, keepdims): the JAX reduction; `axis` arrives as TF's kernels
    check it (a sorted tuple of dimensions, or None for all).
    axis_op: the TF op whose kernel rejects a bad axis, when not `op`.
    primitive: the op computing `fn`, when it is not a plain `Primitive` (a
    TF gradient formula's twin).
    """
    prim = primitive or Primitive(fn, op, differentiable=differentiable)
    leaf = _leaf(names)

    def op_fn(input_tensor, axis=None, keepdims=False, name=None):
        if convert is kernel_input:  # inlined: one frame less per reduction
            try:
                x = tensor(input_tensor)
            except (TypeError, ValueError):  # off the hot path: a RaggedTensor's own reduction
                if isinstance(input_tensor, RaggedTensor) and leaf in RAGGED_OPS:
                    return RAGGED_OPS[leaf](input_tensor, axis, keepdims)
                raise
            kernel_dtypes.check(op, x)
        else:
            x = convert(input_tensor, op)
        return prim(x, axis=reduction_axes(axis, x.ndim, axis_op or op), keepdims=bool(keepdims))

    return defined(*names, primitive=prim,
                   doc=doc or f"`{_leaf(names)}` over `axis` (all axes when None), as TF op {op}.")(op_fn)
