"""`tf.numpy_function` and `tf.py_function`: Python code as an op.

Eagerly the function just runs: `numpy_function` hands it NumPy arrays (so
nothing it does is recorded: its gradient is None, as in TF), `py_function`
hands it tensors, so its ops are recorded on any active tape and it is
differentiable, as in TF.

While `tf.function` traces, the function becomes a JAX host callback that
runs on every call. XLA needs the output shapes when compiling, which TF's
`Tout` does not give; a `tf.TensorSpec` in `Tout` gives it exactly,
otherwise the function is run once at trace time on zeros of the inputs'
shapes to learn it (so it must accept zeros, and its side effects happen
once more). Inside a function `numpy_function` has no gradient, as in TF, and
`py_function` is differentiable as in TF: its forward callback keeps the
Python function's tape for the backward callback, so it runs once per call.
"""
from __future__ import annotations

import collections
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.experimental import io_callback

from jaxtape._src.framework import dtypes, errors
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape.gradient_tape import GradientTape
from jaxtape._src.tape.primitive import Primitive

# TF's error class for an exception raised inside a py_function.
_ERRORS = {ValueError: errors.InvalidArgumentError, TypeError: errors.InvalidArgumentError,
           StopIteration: errors.OutOfRangeError, MemoryError: errors.ResourceExhaustedError,
           NotImplementedError: errors.UnimplementedError, IndexError: errors.OutOfRangeError}


def _is_spec(t) -> bool:
    return hasattr(t, "shape") and hasattr(t, "dtype") and not isinstance(t, dtypes.DType)


def _out_dtypes(Tout):
    """(dtypes, shapes or None, whether a list was asked for)."""
    listed = isinstance(Tout, (list, tuple))
    items = list(Tout) if listed else [Tout]
    kinds = [dtypes.as_dtype(t.dtype if _is_spec(t) else t) for t in items]
    shapes = [tuple(t.shape) if _is_spec(t) and t.shape.is_fully_defined() else None for t in items]
    return kinds, shapes, listed


def _as_list(result, n):
    if n == 0:
        return []
    if n == 1 and not isinstance(result, (list, tuple)):
        return [result]
    return list(result)


def _probe(func, to_host, arrays):
    """`func` run once on zeros, concretely: ops inside it run eagerly, not into the trace."""
    saved, local.tracing = local.tracing, 0
    try:
        with jax.ensure_compile_time_eval():
            return func(*to_host([np.zeros(a.shape, a.dtype) for a in arrays]))
    finally:
        local.tracing = saved


def _compiled(func, inp, kinds, shapes, listed, to_host, stateful, differentiable=False):
    """The traced call: a host callback with the declared dtypes and known or probed shapes."""
    arrays = [convert_to_tensor(x)._value for x in inp]
    if any(s is None for s in shapes):
        probe = _as_list(_probe(func, to_host, arrays), len(kinds))
        shapes = [s if s is not None else np.shape(np.asarray(p)) for s, p in zip(shapes, probe)]
    result_shapes = [jax.ShapeDtypeStruct(s, k.as_numpy_dtype) for s, k in zip(shapes, kinds)]

    def host(*values):
        outs = _as_list(func(*to_host([np.asarray(v) for v in values])), len(kinds))
        return [np.asarray(o, dtype=k.as_numpy_dtype).reshape(s) for o, k, s in zip(outs, kinds, shapes)]

    if differentiable:
        tensors = list(_differentiable_call(func, host, result_shapes, kinds, shapes)(
            *[_unfoldable(convert_to_tensor(x)) for x in inp]))
    else:
        # No gradient flows into a host function (TF gives numpy_function none); JAX
        # then never asks the callback for a derivative.
        arrays = [lax.stop_gradient(a) for a in arrays]
        if stateful:
            outs = io_callback(host, result_shapes, *arrays, ordered=False)
        else:
            outs = jax.pure_callback(host, result_shapes, *arrays)
        tensors = [Tensor(o) for o in outs]
    return tensors if listed else (tensors[0] if tensors else None)


def _inexact(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


def _unfoldable(t):
    """`t`, staged if it is a known integer constant: a recorded op whose inputs are
    all such constants runs at trace time (graph_ops' folding), and the callback must
    run at every call."""
    if isinstance(t._value, jax.core.Tracer) or _inexact(t._value.dtype):
        return t
    return Tensor(lax.optimization_barrier(t._value))


_saved = collections.OrderedDict()  # token -> (tape, inputs, outputs) of recent forwards
_SAVED_MAX = 256
_tokens = itertools.count(1)  # int32 ids (wrapping is harmless: only the newest 256 are kept)


def _differentiable_call(func, host, result_shapes, kinds, shapes):
    """`py_function` inside tf.function as a recorded op whose gradient is TF's:
    the Python function's own tape, kept from the forward callback and read by
    the backward one (so the function runs once per call, as in TF)."""
    n_out = len(result_shapes)
    floats = [i for i, k in enumerate(kinds) if _inexact(k.as_numpy_dtype)]

    def forward_host(*values):
        ins = [Tensor(jnp.asarray(v)) for v in values]
        with GradientTape(persistent=True) as tape:
            for t in ins:
                tape.watch(t)
            outs = _as_list(func(*ins), n_out)
            outs = [convert_to_tensor(o, dtype=k) for o, k in zip(outs, kinds)]
        token = next(_tokens) % (2 ** 31)
        _saved[token] = (tape, ins, outs)
        while len(_saved) > _SAVED_MAX:  # the oldest: its backward has run or never will
            _saved.popitem(last=False)
        return [np.asarray(o._value).reshape(s) for o, s in zip(outs, shapes)] + [np.int32(token)]

    def backward_host(token, *cts):
        tape, ins, outs = _saved[int(token)]  # kept: a persistent tape may ask again
        grads = [None] * len(ins)
        if floats:
            grads = tape.gradient([outs[i] for i in floats], ins,
                                  output_gradients=[Tensor(jnp.asarray(c)) for c in cts])
        return [np.zeros(t.shape, t._value.dtype) if g is None else np.asarray(g._value)
                for t, g in zip(ins, grads)]

    def plain(*arrays):
        return tuple(io_callback(host, result_shapes, *arrays, ordered=False))

    call = jax.custom_vjp(plain)

    def fwd(*arrays):
        res = io_callback(forward_host, result_shapes + [jax.ShapeDtypeStruct((), np.int32)],
                          *arrays, ordered=False)
        return tuple(res[:n_out]), (res[n_out], tuple(arrays))

    def bwd(saved, cts):
        token, arrays = saved
        want = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in arrays]
        grads = io_callback(backward_host, want, token, *[cts[i] for i in floats], ordered=False)
        return tuple(g if _inexact(a.dtype) else np.zeros(a.shape, jax.dtypes.float0)
                     for g, a in zip(grads, arrays))

    call.defvjp(fwd, bwd)
    return Primitive(call, "EagerPyFunc", multiple_results=True, jit=False)


@export("numpy_function")
def numpy_function(func, inp, Tout, stateful=True, name=None):
    """Runs `func` on NumPy arrays; returns its results as tensors (one, or a list for a list `Tout`)."""
    kinds, shapes, listed = _out_dtypes(Tout)
    if local.tracing:
        return _compiled(func, inp, kinds, shapes, listed, lambda xs: xs, stateful)
    result = func(*[np.asarray(convert_to_tensor(x)) for x in inp])
    if result is None:
        return None
    outs = [convert_to_tensor(np.asarray(r) if isinstance(r, np.generic) else r)
            for r in _as_list(result, max(len(kinds), 1))]
    if listed and len(kinds) != 1:
        return outs
    return outs[0]


@export("py_function")
def py_function(func=None, inp=None, Tout=None, name=None):
    """Runs `func` on tensors, recorded op by op under a tape; results converted to `Tout`."""
    if func is None:  # used as a decorator: @tf.py_function(Tout=...)
        return lambda f: (lambda *args: py_function(f, list(args), Tout, name))
    kinds, shapes, listed = _out_dtypes(Tout)
    if local.tracing:
        return _compiled(func, inp, kinds, shapes, listed,
                         lambda xs: [Tensor(jnp.asarray(x)) for x in xs], True, differentiable=True)
    try:
        result = func(*[convert_to_tensor(x) for x in inp])
        outs = [convert_to_tensor(r, dtype=k) for r, k in zip(_as_list(result, len(kinds)), kinds)]
    except Exception as e:  # noqa: BLE001 - TF reports any exception as an op error
        error = next((v for k, v in _ERRORS.items() if isinstance(e, k)), errors.UnknownError)
        raise error(None, None, f"{type(e).__name__}: {e}") from e
    if listed:
        return outs
    return outs[0] if outs else None
