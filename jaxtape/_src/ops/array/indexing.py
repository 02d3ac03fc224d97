"""Indexing, gathering, slicing and selection (`tensor[...]`, `tf.gather`, `tf.where`, ...).

TF fails on out-of-range indices where JAX clamps silently, so every wrapper
checks concrete indices eagerly and raises TF's error naming the index.
Integer indices of `tensor[i]` travel as array arguments rather than static
ones, so a Python loop over `i` compiles the slice once, not once per `i`.
"""
from __future__ import annotations

import builtins
import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import binary, op_error, static_shape, tensor
from jaxtape._src.tape.primitive import Primitive, primitive

_as_tensor = tensor  # for functions whose TF argument is named `tensor`


def _bracket(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _concrete(t):
    return not isinstance(t._value, jax.core.Tracer)


# -- gather -------------------------------------------------------------------

@primitive(name="GatherV2")
def _gather(params, indices, *, axis, batch_dims):
    if batch_dims == 0:
        return jnp.take(params, indices, axis=axis, mode="clip")
    fn = functools.partial(_gather.fn, axis=axis - 1, batch_dims=batch_dims - 1)
    return jax.vmap(fn)(params, indices)


def _check_indices(idx, limit, op):
    """TF fails on out-of-range indices where JAX would clamp silently."""
    if not _concrete(idx):
        return
    flat = np.asarray(idx.numpy()).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= limit))
    if bad.size:
        pos = np.unravel_index(bad[0], idx._value.shape) if idx.ndim else ()
        where_ = ",".join(str(int(p)) for p in pos)
        raise op_error(f"indices[{where_}] = {int(flat[bad[0]])} is not in [0, {limit})", op)


def _int_indices(indices, op):
    idx = tensor(indices)
    if idx.dtype not in (dtypes.int32, dtypes.int64, dtypes.int16, dtypes.int8, dtypes.uint8):
        raise op_error(f"Value for attr 'Tindices' of {idx.dtype.name} is not in the list of "
                       "allowed values: int16, int32, int64", op)
    return idx


@export("gather")
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    p = tensor(params)
    idx = _int_indices(indices, "GatherV2")
    axis = 0 if axis is None else int(tensor(axis).numpy()) if isinstance(axis, Tensor) else int(axis)
    batch_dims = int(batch_dims)
    if batch_dims < 0:
        batch_dims += idx.ndim
    if axis < 0:
        axis += p.ndim
    if axis >= p.ndim:
        raise op_error(f"Shape must be at least rank {axis + 1} but is rank {p.ndim}", "GatherV2")
    if axis < 0:
        raise op_error(f"Expected axis in the range [{-p.ndim}, {p.ndim}), but got {axis - p.ndim}",
                       "GatherV2")
    if not 0 <= batch_dims <= idx.ndim:
        raise op_error(f"Expected batch_dims in the range [{-idx.ndim}, {idx.ndim}], but got "
                       f"{batch_dims}", "GatherV2")
    if batch_dims > axis:
        raise op_error(f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).",
                       "GatherV2")
    for d in range(batch_dims):
        if p._value.shape[d] != idx._value.shape[d]:
            raise op_error(f"params.shape[{d}]: {p._value.shape[d]} should be equal to "
                           f"indices.shape[{d}]: {idx._value.shape[d]}", "GatherV2")
    _check_indices(idx, p._value.shape[axis], "GatherV2")
    return _gather(p, idx, axis=axis, batch_dims=batch_dims)


@primitive(name="GatherNd")
def _gather_nd(params, indices, *, batch_dims):
    if batch_dims:
        fn = functools.partial(_gather_nd.fn, batch_dims=batch_dims - 1)
        return jax.vmap(fn)(params, indices)
    return params[tuple(jnp.moveaxis(indices, -1, 0))]


def _check_nd(idx, shape, what, op, suffix=""):
    if not _concrete(idx):
        return
    rows = np.asarray(idx.numpy()).reshape(-1, idx._value.shape[-1])
    limits = np.asarray(shape[:rows.shape[1]])
    bad = np.flatnonzero(((rows < 0) | (rows >= limits)).any(axis=1))
    if bad.size:
        row = ", ".join(str(int(v)) for v in rows[bad[0]])
        raise op_error(f"indices[{bad[0]}] = [{row}] does not index into {what} "
                       f"{_bracket(shape)}{suffix}", op)


@export("gather_nd")
def gather_nd(params, indices, batch_dims=0, name=None, bad_indices_policy=""):
    p = tensor(params)
    idx = _int_indices(indices, "GatherNd")
    batch_dims = int(batch_dims)
    if idx.ndim < 1:
        raise op_error("indices must be at least a vector", "GatherNd")
    depth = idx._value.shape[-1]
    if depth > p.ndim - batch_dims:
        raise op_error(f"index innermost dimension length must be <= params rank; saw: {depth} "
                       f"vs. {p.ndim - batch_dims}", "GatherNd")
    inner = p._value.shape[batch_dims:]
    if batch_dims == 0:
        _check_nd(idx, inner, "param shape", "GatherNd", ", node name: GatherNd")
    else:
        _check_nd(idx, inner, "param shape", "GatherNd")
    return _gather_nd(p, idx, batch_dims=batch_dims)


# -- scatter ------------------------------------------------------------------

def _nd(indices):
    return tuple(jnp.moveaxis(indices, -1, 0))


@primitive(name="ScatterNd")
def _scatter_nd(indices, updates, *, shape):
    return jnp.zeros(shape, updates.dtype).at[_nd(indices)].add(updates)


@primitive(name="TensorScatterUpdate")
def _scatter_update(t, indices, updates):
    return t.at[_nd(indices)].set(updates)


@primitive(name="TensorScatterAdd")
def _scatter_add(t, indices, updates):
    return t.at[_nd(indices)].add(updates)


@primitive(name="TensorScatterSub")
def _scatter_sub(t, indices, updates):
    return t.at[_nd(indices)].add(-updates)


def _scatter_extreme(t, indices, updates, *, kind):
    """Min/max scatter with TF's gradient: ties between the tensor's value and
    the updates share the gradient equally."""
    ix = _nd(indices)

    def forward(t, u):
        at = t.at[ix]
        return at.max(u) if kind == "max" else at.min(u)

    @jax.custom_vjp
    def f(t, u):
        return forward(t, u)

    def fwd(t, u):
        out = forward(t, u)
        return out, (t, u, out)

    def bwd(res, g):
        t, u, out = res
        x_ind = (t == out).astype(g.dtype)
        u_ind = (u == out[ix]).astype(g.dtype)
        count = x_ind + jnp.zeros_like(g).at[ix].add(u_ind)
        return g * x_ind / count, (g / count)[ix] * u_ind

    f.defvjp(fwd, bwd)
    return f(t, updates)


_scatter_max = Primitive(functools.partial(_scatter_extreme, kind="max"), "TensorScatterMax")
_scatter_min = Primitive(functools.partial(_scatter_extreme, kind="min"), "TensorScatterMin")


def _check_updates(idx, updates, shape, op):
    depth = idx._value.shape[-1]
    want = idx._value.shape[:-1] + tuple(shape[depth:])
    if updates._value.shape != want:
        raise op_error(f"Dimensions [{idx.ndim - 1},{updates.ndim}) of updates"
                       f"[shape={_bracket(updates._value.shape)}] must match dimensions "
                       f"[{depth},{len(shape)}) of output[shape={_bracket(shape)}]"
                       if updates.ndim == len(want) else
                       f"Updates shape {_bracket(updates._value.shape)} does not match "
                       f"{_bracket(want)} (indices {_bracket(idx._value.shape)}, shape "
                       f"{_bracket(shape)})", op)


@export("scatter_nd")
def scatter_nd(indices, updates, shape, bad_indices_policy="", name=None):
    idx = _int_indices(indices, "ScatterNd")
    u = tensor(updates)
    shape = static_shape(shape)
    if idx._value.shape[-1] > len(shape):
        raise op_error(f"Output must have at least {idx._value.shape[-1]} dimensions", "ScatterNd")
    _check_updates(idx, u, shape, "ScatterNd")
    _check_nd(idx, shape, "shape", "ScatterNd")
    return _scatter_nd(idx, u, shape=shape)


def _tensor_scatter(prim, op, *names):
    def scatter(tensor, indices, updates, bad_indices_policy="", name=None):  # noqa: F811
        t = _as_tensor(tensor)
        idx = _int_indices(indices, op)
        u = _as_tensor(updates)
        if u.dtype != t.dtype:
            raise op_error(f"cannot compute {op} as input #2(zero-based) was expected to be a "
                           f"{t.dtype.name} tensor but is a {u.dtype.name} tensor", op)
        shape = t._value.shape
        _check_updates(idx, u, shape, op)
        _check_nd(idx, shape, "shape", op)
        return prim(t, idx, u)

    if op == "TensorScatterUpdate":
        plain = scatter

        def scatter(tensor, indices, updates, name=None):  # noqa: F811 - TF's signature
            return plain(tensor, indices, updates)
    scatter.__name__ = names[0]
    scatter.__doc__ = f"`{names[0]}`: TF op {op}; out-of-range indices raise."
    return export(*names)(scatter)


tensor_scatter_nd_update = _tensor_scatter(_scatter_update, "TensorScatterUpdate",
                                           "tensor_scatter_nd_update")
tensor_scatter_nd_add = _tensor_scatter(_scatter_add, "TensorScatterAdd", "tensor_scatter_nd_add")
tensor_scatter_nd_sub = _tensor_scatter(_scatter_sub, "TensorScatterSub", "tensor_scatter_nd_sub")
tensor_scatter_nd_max = _tensor_scatter(_scatter_max, "TensorScatterMax", "tensor_scatter_nd_max")
tensor_scatter_nd_min = _tensor_scatter(_scatter_min, "TensorScatterMin", "tensor_scatter_nd_min")


# -- masks and selection ------------------------------------------------------------

@primitive(name="BooleanMask", jit=False)
def _take_rows(x, positions, *, axis, k):
    shape = x.shape
    x = jnp.reshape(x, shape[:axis] + (-1,) + shape[axis + k:])
    return jnp.take(x, positions, axis=axis)


@export("boolean_mask")
def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):  # noqa: F811
    """Entries where `mask` is True; the positions are found eagerly (the
    output's size depends on the mask's values)."""
    x = _as_tensor(tensor)
    m = _as_tensor(mask)
    k = m.ndim
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else int(axis)
    if axis < 0:
        axis += x.ndim
    part = x._value.shape[axis:axis + k]
    if part != m._value.shape:
        raise ValueError(f"Shapes {tuple(part)} and {tuple(m._value.shape)} are incompatible")
    positions = np.flatnonzero(np.asarray(m.numpy()).reshape(-1)).astype(np.int64)
    return _take_rows(x, Tensor(jnp.asarray(positions)), axis=axis, k=k)


@primitive(name="SelectV2")
def _select(cond, x, y):
    return jnp.where(cond, x, y)


@primitive(name="Where", differentiable=False, jit=False)
def _argwhere(cond):
    return jnp.asarray(np.argwhere(np.asarray(cond)), dtype=jnp.int64)


@export("where")
def where(condition, x=None, y=None, name=None):
    """Three arguments: elementwise select (broadcasting). One: int64 coordinates of true entries."""
    if x is None and y is None:
        return _argwhere(tensor(condition))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    cond = condition if isinstance(condition, Tensor) else tensor(condition, dtype=dtypes.bool)
    cond = tensor(cond)
    if cond.dtype != dtypes.bool:
        from jaxtape._src.ops.support.args import kernel_dtype_name
        raise op_error("cannot compute SelectV2 as input #0(zero-based) was expected to be a bool "
                       f"tensor but is a {kernel_dtype_name(cond.dtype)} tensor", "SelectV2")
    x, y = binary(x, y, "SelectV2")
    shapes = [cond._value.shape, x._value.shape, y._value.shape]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise op_error("condition, then and else must be broadcastable: "
                       + ", ".join(_bracket(s) for s in shapes), "SelectV2") from None
    return _select(cond, x, y)


# -- slicing -----------------------------------------------------------------------

@primitive(name="Slice")
def _slice(x, begin, *, size):
    return jax.lax.dynamic_slice(x, tuple(begin[i] for i in range(len(size))), size)


@export("slice")
def slice(input_, begin, size, name=None):  # noqa: A001 - TF's name
    x = tensor(input_)
    b, s = static_shape(begin), list(static_shape(size))
    dims = x._value.shape
    if len(b) != x.ndim or len(s) != x.ndim:
        raise op_error(f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but "
                       f"got shapes [{len(b)}] and [{len(s)}] instead.", "Slice")
    for i, d in enumerate(dims):
        if not 0 <= b[i] <= d:
            raise op_error(f"Expected begin[{i}] in [0, {d}], but got {b[i]}", "Slice")
        if s[i] == -1:
            s[i] = d - b[i]
        if not 0 <= s[i] <= d - b[i]:
            raise op_error(f"Expected size[{i}] in [0, {d - b[i]}], but got {s[i]}", "Slice")
    return _slice(x, np.asarray(b, np.int32), size=tuple(s))


@export("strided_slice")
def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """TF's strided slice, turned into the equivalent `tensor[...]` key."""
    b, e = static_shape(begin), static_shape(end)
    st = (1,) * len(b) if strides is None else static_shape(strides)
    if not len(b) == len(e) == len(st):
        raise ValueError(f"Shapes ({len(b)},) and ({len(e)},) are incompatible")
    key = []
    for i in range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(int(b[i]))
        else:
            key.append(_builtin_slice(None if begin_mask & bit else b[i],
                                      None if end_mask & bit else e[i], st[i]))
    return getitem(input_, tuple(key))


_builtin_slice = builtins.slice

_INDEX_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _slice_bound(v):
    if v is None:
        return None
    if isinstance(v, Tensor) or hasattr(v, "_read_for_op"):
        return int(tensor(v).numpy())
    try:
        return v.__index__()
    except (AttributeError, TypeError):
        raise TypeError(_INDEX_ERROR.format(v)) from None


def _canonical_slice(s, dim, pos):
    """A slice as (start, stop, step) with Python's clamping, stop None past the front."""
    start, stop, step = _slice_bound(s.start), _slice_bound(s.stop), _slice_bound(s.step)
    if step == 0:
        raise op_error(f"strides[{pos}] must be non-zero", "StridedSlice")
    start, stop, step = _builtin_slice(start, stop, step).indices(dim)
    n = len(range(start, stop, step))
    if n == 0:
        return ("s", 0, 0, 1)
    end = start + n * step
    return ("s", start, None if end < 0 else end, step)


def _parse_key(key, shape):
    """Splits `key` into a hashable spec and dynamic integer indices (arrays)."""
    items = key if isinstance(key, tuple) else tuple(key) if isinstance(key, list) else (key,)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise op_error("Multiple ellipses in slice spec not allowed", "StridedSlice")
    ndim = len(shape)
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    if ndim == 0 and consuming:
        raise op_error("Attempting to slice scalar input.", "StridedSlice")
    spec, dynamic = [], []
    dim = 0
    for pos, item in enumerate(items):
        if item is None:
            spec.append(None)
            continue
        if item is Ellipsis:
            spec.append(Ellipsis)
            dim = max(dim, ndim - (consuming - sum(
                1 for i in items[:pos] if i is not None and i is not Ellipsis)))
            continue
        if dim >= ndim:
            raise op_error(f"Index out of range using input dim {dim}; input has only {ndim} dims",
                           "StridedSlice")
        size = shape[dim]
        if isinstance(item, _builtin_slice):
            spec.append(_canonical_slice(item, size, pos))
        else:
            spec.append("i")
            dynamic.append(_int_index(item, size, dim))
        dim += 1
    return tuple(spec), dynamic


def _int_index(item, size, dim):
    if isinstance(item, (bool, np.bool_)):
        raise TypeError(_INDEX_ERROR.format(item))
    if isinstance(item, Tensor) or hasattr(item, "_read_for_op"):
        t = tensor(item)
        if t.ndim != 0 or not t.dtype.is_integer:
            raise TypeError(_INDEX_ERROR.format(t))
        if not _concrete(t):  # traced: wrap negatives inside the kernel
            return jnp.where(t._value < 0, t._value + size, t._value).astype(jnp.int32)
        i = int(t.numpy())
    else:
        try:
            i = item.__index__()
        except (AttributeError, TypeError):
            raise TypeError(_INDEX_ERROR.format(item)) from None
    if not -size <= i < size:  # TF reports a negative index after adding the size
        raise op_error(f"slice index {i + size if i < 0 else i} of dimension {dim} out of bounds.",
                       "StridedSlice")
    return np.int32(i % size)


@primitive(name="StridedSlice")
def _strided_slice(x, *indices, spec):
    it = iter(indices)
    key = tuple(next(it) if s == "i" else _builtin_slice(*s[1:]) if isinstance(s, tuple) else s
                for s in spec)
    return x[key]


def getitem(x, key):
    """`tensor[key]` with TF's indexing rules (basic indexing, or a boolean mask)."""
    x = tensor(x)
    if (isinstance(key, Tensor) and key.dtype == dtypes.bool) or (
            isinstance(key, np.ndarray) and key.dtype == np.bool_):
        return boolean_mask(x, key)
    spec, dynamic = _parse_key(key, x._value.shape)
    if not dynamic and all(s == ("s", 0, d, 1) for s, d in zip(spec, x._value.shape)) \
            and len(spec) == x.ndim:
        return x
    return _strided_slice(x, *dynamic, spec=spec)


def setitem(x, key, value):
    """Tensors are immutable: TF's TypeError for `tensor[key] = value`."""
    raise TypeError("'tensorflow.python.framework.ops.EagerTensor' object does not support item "
                    "assignment")


# TF tensors are immutable; Python's default message would name jaxtape's class.
Tensor.__setitem__ = setitem
