"""`tf.custom_gradient`: a function that supplies its own gradient.

The decorated function runs once, eagerly and with the active tapes
recording, as in TF: it returns its outputs and `grad_fn`. Its outputs are
then handed out as fresh tensors (TF's identity) and ONE node is recorded
from the inputs (and the variables it read) to them. That node's backward
calls `grad_fn` on tensors instead of asking JAX for a VJP, so:

* under an outer tape the backward ops `grad_fn` runs are recorded like any
  others, reaching the forward tensors `grad_fn` closes over: second-order
  gradients, and custom gradients nested inside `grad_fn`, need nothing more;
* the node's op is not jittable, so a backward plan holding it is never
  compiled whole (`grad_fn` is a new closure on every call).

While a `tf.function` traces (values are tracers), a tape outside the trace
differentiates the compiled program with JAX, which never sees the tape.
There the outputs also pass through a `jax.custom_vjp` whose backward is
`grad_fn`, closure-converted at trace time so the forward tensors it reads
become explicit residuals (see `_traced_outputs`).
"""
from __future__ import annotations

import functools
import inspect

import jax
import jax.numpy as jnp
from jax import tree_util

from jaxtape._src.autodiff.forward import accumulate_custom, zero_cotangent
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import flatten_with_tree, pack_like
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tracing import is_traced
from jaxtape._src.tape import stack
from jaxtape._src.tape.gradients import tf_convention
from jaxtape._src.tape.primitive import Primitive, record

_KWARGS_TRACED = ("The custom_gradient decorator currently supports keywords arguments only "
                  "when eager execution is enabled.")


class VariableWatcher(stack.Recorder):
    """Stands among the active tapes while the forward runs, to see which
    trainable variables it reads (TF's VariableWatcher). It follows no ids,
    so it records nothing."""

    __slots__ = ("ids", "nodes", "variables")

    def __init__(self):
        self.ids = frozenset()
        self.nodes = ()
        self.variables = {}

    def watch_variable(self, var):
        self.variables.setdefault(id(var), var)

    def __enter__(self):
        stack.push(local.tapes, self)
        return self

    def __exit__(self, *exc):
        stack.remove(local.tapes, self)


def _accepts_variables(grad_fn):
    spec = inspect.getfullargspec(grad_fn)
    return "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw is not None


class _Backward:
    """One call's gradient: `grad_fn` applied to the output cotangents, checked
    and flattened to one gradient (or None) per recorded input."""

    __slots__ = ("grad_fn", "variables", "n_args", "inputs")

    def __init__(self, grad_fn, variables, n_args, inputs):
        self.grad_fn = grad_fn
        self.variables = variables
        self.n_args = n_args
        self.inputs = inputs

    def __call__(self, dys):
        if self.variables:
            input_grads, variable_grads = self.grad_fn(*dys, variables=list(self.variables))
            if len(variable_grads) != len(self.variables):
                raise ValueError("Must return gradient for each variable from "
                                 "@custom_gradient grad_fn.")
        else:
            input_grads = self.grad_fn(*dys)
            variable_grads = []
        flat = flatten_with_tree(input_grads)[0]
        if len(flat) != self.n_args:
            raise ValueError(f"custom_gradient function expected to return {self.n_args} "
                             f"gradients, but returned {len(flat)} instead.")
        grads = []
        for g, x in zip(flat + list(variable_grads), self.inputs):
            if g is not None and not isinstance(g, Tensor):
                g = convert_to_tensor(g, dtype_hint=x.dtype)
            grads.append(g)
        return grads

    def masked(self, mask, cts, as_arrays):
        """Gradients of the inputs `mask` selects, from cotangents (arrays or tensors)."""
        grads = self.jax_convention([c if isinstance(c, Tensor) else Tensor(c) for c in cts])
        out = []
        for g, m in zip(grads, mask):
            if m:
                out.append(g._value if as_arrays and g is not None else g)
        return out

    def jax_convention(self, cts):
        """`self` inside JAX's backward pass: `grad_fn` is written in TF's
        complex convention (see tape/gradients.py), so complex cotangents are
        conjugated on the way in and gradients on the way out."""
        grads = self([tf_convention(c) for c in cts])
        return [None if g is None else tf_convention(g) for g in grads]


class CustomGradientOp(Primitive):
    """The op a custom-gradient call records: its backward is the node's own
    `_Backward` (carried as the node's static argument), never a JAX VJP."""

    def __init__(self, name):
        super().__init__(self._no_forward, name, multiple_results=True, jit=False)

    @staticmethod
    def _no_forward(*args):
        raise TypeError("a custom-gradient node is recorded, never called")

    def raw_vjp(self, skey, static, mask):
        n = len(mask)
        return lambda *args_and_cts: static.masked(mask, args_and_cts[n:], True)

    def vjp_kernel(self, skey, static, mask):
        return self.raw_vjp(skey, static, mask)

    def vjp_primitive(self, skey, static, mask):
        # Runs on tensors with the tapes active, so an outer tape records grad_fn's ops.
        n = len(mask)
        return lambda *args_and_cts: static.masked(mask, args_and_cts[n:], False)


def _call(f, op, args, kwargs):
    if kwargs and local.tracing:
        raise ValueError(_KWARGS_TRACED)
    with VariableWatcher() as watcher:
        result, grad_fn = f(*args, **kwargs)
    flat_args = flatten_with_tree(args)[0]
    given = flat_args + flatten_with_tree(kwargs)[0]
    variables = [v for v in watcher.variables.values() if all(v is not g for g in given)]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument 'variables', "
                        f"since function uses variables: {variables}")
    flat_result, tree = flatten_with_tree(result)
    results = [convert_to_tensor(r) for r in flat_result]
    outs = [Tensor(r._value) for r in results]
    inputs = [convert_to_tensor(x) for x in flat_args] + [v._read_for_op() for v in variables]
    backward = _Backward(grad_fn, variables, len(flat_args), inputs)
    if is_traced(inputs + outs):
        outs = _traced_outputs(backward, inputs, outs)
    if local.tapes:
        record(op, (), backward, inputs, outs)
    if local.accumulators:
        accumulate_custom(backward, inputs, results, outs)
    return pack_like(result, tree_util.tree_unflatten(tree, outs))


# -- inside a trace ---------------------------------------------------------

def _traced_outputs(backward, inputs, outs):
    """Outputs that JAX differentiates with `grad_fn`, for tapes outside the trace.

    `grad_fn` may close over traced forward values (of any dtype), which a
    `custom_vjp` backward must not touch later: it is traced now, and the
    values its jaxpr closes over become explicit residuals. A `grad_fn` that
    fails (a wrong number of gradients) fails only if the program is
    differentiated, as in TF.
    """
    in_vals = [t._value for t in inputs]
    out_vals = [t._value for t in outs]

    def grads_of(*cts):
        with stack.hidden():
            grads = backward.jax_convention([Tensor(c) for c in cts])
        return [zero_cotangent(x) if g is None or not jnp.issubdtype(x.dtype, jnp.inexact)
                else g._value.astype(x.dtype) for g, x in zip(grads, in_vals)]

    try:
        closed = jax.make_jaxpr(grads_of)(*out_vals)
        residuals, error = closed.consts, None
    except Exception as e:  # raised when differentiated, not now
        residuals, error = [], e
    n_cts = len(out_vals)

    def converted(*cts_and_residuals):
        return jax.core.eval_jaxpr(closed.jaxpr, cts_and_residuals[n_cts:],
                                   *cts_and_residuals[:n_cts])

    @jax.custom_vjp
    def custom(ins, res, ys):
        return ys

    def fwd(ins, res, ys):
        return ys, (res, ys)

    def bwd(saved, cts):
        res, ys = saved
        if error is not None:
            raise error
        grads = converted(*cts, *res)
        return (list(grads), [zero_cotangent(r) for r in res], [zero_cotangent(y) for y in ys])

    custom.defvjp(fwd, bwd)
    new = custom(in_vals, list(residuals), out_vals)
    return [Tensor(v) for v in new]


# -- the decorator ----------------------------------------------------------

class _CustomGradient:
    """The decorated function; as a method it binds `self` first (TF's Bind)."""

    def __init__(self, f, op=None):
        self._f = f
        self._op = op or CustomGradientOp(getattr(f, "__name__", "CustomGradient"))
        functools.update_wrapper(self, f)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return _CustomGradient(self._f.__get__(instance, owner), self._op)

    def __call__(self, *args, **kwargs):
        return _call(self._f, self._op, args, kwargs)


@export("custom_gradient")
def custom_gradient(f=None):
    """Decorator: `f(*x)` returns `(y, grad_fn)`; gradients of y use `grad_fn(*dy)`."""
    if f is None:
        return lambda f: custom_gradient(f=f)
    return _CustomGradient(f)


@export("grad_pass_through")
def grad_pass_through(f):
    """`f`'s values, with the gradient of an identity (variables get none)."""
    @custom_gradient
    def pass_through(*args, **kwargs):
        def grad(*dys, variables=None):
            if variables is not None:
                return dys, [None] * len(variables)
            return dys
        return f(*args, **kwargs), grad

    functools.update_wrapper(pass_through, f)
    return pass_through
