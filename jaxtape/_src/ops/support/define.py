"""The one way to define a TF op: a primitive plus TF's calling convention.

An op is a `Primitive` around a plain JAX function and a thin wrapper with
TF's signature that converts and checks arguments as TF does. These helpers
build that wrapper, give it its TF name and docstring, attach the primitive
(`op_fn.primitive`, so tests and forward mode can reach it) and export it
under its TF names, so a family module holds only what differs per op:

    sin = elementwise("Sin", jnp.sin, "math.sin", "sin")
    reduce_sum = reduction("Sum", _sum, "math.reduce_sum", "reduce_sum")

    @defined("nn.relu", primitive=_relu)
    def relu(features, name=None):
        ...

Every TF name is a literal string at the definition, so `grep` finds it.
"""
from __future__ import annotations

from typing import Callable

from jaxtape._src.framework.exports import export
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import reduction_axes, tensor
from jaxtape._src.tape.primitive import Primitive


def defined(*names: str, primitive: Primitive | None = None, doc: str | None = None):
    """Decorator finishing a hand-written op function: TF name, doc, primitive, export."""
    def finish(fn):
        fn.__name__ = fn.__qualname__ = names[0].rpartition(".")[2]
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


def elementwise(op: str, fn: Callable | None, *names: str, differentiable: bool = True,
                doc: str | None = None, prim: Primitive | None = None,
                convert: Callable = kernel_input):
    """A one-input elementwise op `f(x, name=None)`.

    op: TF's op name (kernel dtype table, error texts); fn: the JAX function,
    or `prim` ready-made; convert(x, op): TF's argument conversion and checks.
    """
    prim = prim or Primitive(fn, op, differentiable=differentiable)

    def op_fn(x, name=None):
        return prim(convert(x, op))

    leaf = names[0].rpartition(".")[2]
    return defined(*names, primitive=prim,
                   doc=doc or f"Elementwise `{leaf}` (TF op {op}).")(op_fn)


def reduction(op: str, fn: Callable, *names: str, differentiable: bool = True,
              doc: str | None = None, convert: Callable = kernel_input):
    """A reduction `f(input_tensor, axis=None, keepdims=False, name=None)`.

    fn(x, axis, keepdims): the JAX reduction; `axis` arrives as TF's kernels
    check it (a sorted tuple of dimensions, or None for all).
    """
    prim = Primitive(fn, op, differentiable=differentiable)

    def op_fn(input_tensor, axis=None, keepdims=False, name=None):
        x = convert(input_tensor, op)
        return prim(x, axis=reduction_axes(axis, x.ndim, op), keepdims=bool(keepdims))

    leaf = names[0].rpartition(".")[2]
    return defined(*names, primitive=prim,
                   doc=doc or f"`{leaf}` over `axis` (all axes when None), as TF op {op}.")(op_fn)
