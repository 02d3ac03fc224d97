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
once more). The compiled call is not differentiable.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import io_callback

from jaxtape._src.framework import dtypes, errors
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor

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


def _compiled(func, inp, kinds, shapes, listed, to_host, stateful):
    """The traced call: a host callback with the declared dtypes and known or probed shapes."""
    arrays = [convert_to_tensor(x)._value for x in inp]
    if any(s is None for s in shapes):
        probe = _as_list(_probe(func, to_host, arrays), len(kinds))
        shapes = [s if s is not None else np.shape(np.asarray(p)) for s, p in zip(shapes, probe)]
    result_shapes = [jax.ShapeDtypeStruct(s, k.as_numpy_dtype) for s, k in zip(shapes, kinds)]

    def host(*values):
        outs = _as_list(func(*to_host([np.asarray(v) for v in values])), len(kinds))
        return [np.asarray(o, dtype=k.as_numpy_dtype).reshape(s) for o, k, s in zip(outs, kinds, shapes)]

    if stateful:
        outs = io_callback(host, result_shapes, *arrays, ordered=False)
    else:
        outs = jax.pure_callback(host, result_shapes, *arrays)
    tensors = [Tensor(o) for o in outs]
    return tensors if listed else (tensors[0] if tensors else None)


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
                         lambda xs: [Tensor(jnp.asarray(x)) for x in xs], True)
    try:
        result = func(*[convert_to_tensor(x) for x in inp])
        outs = [convert_to_tensor(r, dtype=k) for r, k in zip(_as_list(result, len(kinds)), kinds)]
    except Exception as e:  # noqa: BLE001 - TF reports any exception as an op error
        error = next((v for k, v in _ERRORS.items() if isinstance(e, k)), errors.UnknownError)
        raise error(None, None, f"{type(e).__name__}: {e}") from e
    if listed:
        return outs
    return outs[0] if outs else None
