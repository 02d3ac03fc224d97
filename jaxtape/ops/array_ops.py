"""Creating, reshaping, joining and indexing tensors (TF's array ops)."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape.api.exports import export, export_value
from jaxtape.framework import dtypes
from jaxtape.framework.convert import convert_to_tensor as _convert
from jaxtape.framework.tensor import Tensor
from jaxtape.framework.tensor_shape import TensorShape
from jaxtape.ops.inputs import op_error, single_axis, static_shape, tensor
from jaxtape.tape.primitive import Primitive, primitive

export("convert_to_tensor")(_convert)


# -- creation -------------------------------------------------------------------

@export("constant")
def constant(value, dtype=None, shape=None, name="Const"):
    """A tensor from a Python value or array; `shape` broadcasts a scalar."""
    t = _convert(value, dtype=dtype) if not isinstance(value, Tensor) or dtype is None \
        else _convert(value.numpy(), dtype=dtype)
    if shape is None:
        return t
    shape = static_shape(shape)
    size = int(np.prod(shape))
    if t._value.size == size:
        return Tensor(jnp.reshape(t._value, shape))
    if t._value.size == 1:
        return Tensor(jnp.broadcast_to(jnp.reshape(t._value, ()), shape))
    raise TypeError(
        f"Eager execution of tf.constant with unsupported shape. Tensor {t.numpy()} "
        f"(converted from {value}) has {t._value.size} elements, but got `shape` "
        f"{tuple(shape)} with {size} elements).")


def _dtype_np(dtype, default=dtypes.float32):
    return dtypes.as_dtype(default if dtype is None else dtype).as_numpy_dtype


@export("zeros")
def zeros(shape, dtype=dtypes.float32, name=None, layout=None):
    return Tensor(jnp.zeros(static_shape(shape), _dtype_np(dtype)))


@export("ones")
def ones(shape, dtype=dtypes.float32, name=None, layout=None):
    return Tensor(jnp.ones(static_shape(shape), _dtype_np(dtype)))


@export("fill")
def fill(dims, value, name=None, layout=None):
    v = tensor(value)
    return Tensor(jnp.full(static_shape(dims), v._value, v._value.dtype))


@export("zeros_like")
def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's name
    x = tensor(input)
    return Tensor(jnp.zeros(x._value.shape, x._value.dtype if dtype is None else _dtype_np(dtype)))


@export("ones_like")
def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    x = tensor(input)
    return Tensor(jnp.ones(x._value.shape, x._value.dtype if dtype is None else _dtype_np(dtype)))


@export("range")
def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """TF's range: the dtype is the widest of the arguments' (int32 or float32)."""
    if limit is None:
        start, limit = 0, start
    parts = [tensor(v) for v in (start, limit, delta)]
    if dtype is None:
        order = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]
        dtype = max((p.dtype for p in parts), key=lambda d: order.index(d) if d in order else 0)
    dtype = dtypes.as_dtype(dtype)
    s, l, d = (p.numpy().item() for p in parts)
    if d == 0:
        raise op_error("Requires delta != 0: 0", "Range")
    return Tensor(jnp.arange(s, l, d, dtype=dtype.as_numpy_dtype))


@export("linspace", "lin_space")
def linspace(start, stop, num, name=None, axis=0):
    start, stop = tensor(start), tensor(stop)
    out = jnp.linspace(start._value, stop._value, int(num), axis=axis)
    return Tensor(out.astype(start._value.dtype))


@export("eye", "linalg.eye")
def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    m = jnp.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=_dtype_np(dtype))
    if batch_shape is not None:
        m = jnp.broadcast_to(m, static_shape(batch_shape) + m.shape)
    return Tensor(m)


# -- identity and gradient stopping ------------------------------------------------

_identity = Primitive(lambda x: x, "Identity")


@export("identity")
def identity(input, name=None):  # noqa: A002
    return _identity(tensor(input))


@export("stop_gradient")
def stop_gradient(input, name=None):  # noqa: A002
    """The same value under a new id that no tape follows."""
    x = tensor(input)
    return Tensor(x._value)


# -- shape --------------------------------------------------------------------

@primitive(name="Reshape")
def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


@export("reshape")
def reshape(tensor_, shape, name=None):
    x = tensor(tensor_)
    shape = static_shape(shape)
    size = x._value.size
    if shape.count(-1) > 1:
        raise op_error("Only one input size may be -1, not both 0 and 1", "Reshape")
    known = int(np.prod([d for d in shape if d != -1])) if shape else 1
    if (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise op_error(f"Input to reshape is a tensor with {size} values, but the requested "
                       f"shape {'requires a multiple of' if -1 in shape else 'has'} {known}", "Reshape")
    return _reshape(x, shape=shape)


@primitive(name="Transpose")
def _transpose(x, *, perm):
    return jnp.transpose(x, perm)


@export("transpose", "linalg.transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    x = tensor(a)
    perm = tuple(reversed(builtins.range(x.ndim))) if perm is None else static_shape(perm)
    if sorted(perm) != list(builtins.range(x.ndim)):
        raise op_error(f"transpose expects a vector of size {x.ndim}. But input(1) is a vector "
                       f"of size {len(perm)}", "Transpose")
    out = _transpose(x, perm=perm)
    return _conj(out) if conjugate and x.dtype.is_complex else out


_conj = Primitive(jnp.conj, "Conj")



@export("shape")
def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002
    x = tensor(input)
    return Tensor(jnp.asarray(x._value.shape, dtype=dtypes.as_dtype(out_type).as_numpy_dtype))


@export("size")
def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    x = tensor(input)
    return Tensor(jnp.asarray(x._value.size, dtype=dtypes.as_dtype(out_type).as_numpy_dtype))


@export("rank")
def rank(input, name=None):  # noqa: A002
    return Tensor(jnp.asarray(tensor(input).ndim, dtype=jnp.int32))


@primitive(name="ExpandDims")
def _expand_dims(x, *, axis):
    return jnp.expand_dims(x, axis)


@export("expand_dims")
def expand_dims(input, axis, name=None):  # noqa: A002
    x = tensor(input)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise op_error(f"Tried to expand dim index {axis} for tensor with {x.ndim} dimensions.",
                       "ExpandDims")
    return _expand_dims(x, axis=axis % (x.ndim + 1))


@primitive(name="Squeeze")
def _squeeze(x, *, axis):
    return jnp.squeeze(x, axis)


@export("squeeze")
def squeeze(input, axis=None, name=None):  # noqa: A002
    x = tensor(input)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x._value.shape) if d == 1)
    else:
        axes = tuple(int(a) % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
        for a in axes:
            if x._value.shape[a] != 1:
                raise op_error(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                               f"{x._value.shape[a]}", "Squeeze")
    return _squeeze(x, axis=axes)


# -- joining and splitting --------------------------------------------------------

@primitive(name="ConcatV2")
def _concat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


@export("concat")
def concat(values, axis, name="concat"):
    xs = [tensor(v) for v in values]
    if len(xs) == 1:
        return identity(xs[0])
    axis = single_axis(axis, xs[0].ndim, "ConcatV2")
    return _concat(*_same_dtype(xs, "ConcatV2"), axis=axis)


@primitive(name="Pack")
def _stack(*xs, axis):
    return jnp.stack(xs, axis=axis)


@export("stack")
def stack(values, axis=0, name="stack"):
    xs = [tensor(v) for v in values]
    shapes = {x._value.shape for x in xs}
    if len(shapes) > 1:
        a, b = xs[0].shape, next(x.shape for x in xs if x._value.shape != xs[0]._value.shape)
        raise op_error(f"Shapes of all inputs must match: values[0].shape = {_bracket(a)} != "
                       f"values[1].shape = {_bracket(b)}", "Pack")
    axis = single_axis(axis, xs[0].ndim + 1, "Pack")
    return _stack(*_same_dtype(xs, "Pack"), axis=axis)


def _bracket(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _same_dtype(xs, op):
    first = xs[0].dtype
    for x in xs[1:]:
        if x.dtype != first:
            raise op_error(f"cannot compute {op} as input #1(zero-based) was expected to be a "
                           f"{first.name} tensor but is a {x.dtype.name} tensor", op)
    return xs


def pack_nested(value):
    """Auto-packing of a (nested) list holding tensors, as `tf.constant([t, t])`."""
    if isinstance(value, (list, tuple)):
        return stack([pack_nested(v) for v in value])
    return tensor(value)


@primitive(name="SplitV", multiple_results=True)
def _split(x, *, sizes, axis):
    offsets = np.cumsum(sizes)[:-1].tolist()
    return tuple(jnp.split(x, offsets, axis=axis))


@export("split")
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    x = tensor(value)
    axis = single_axis(axis, x.ndim, "Split")
    dim = x._value.shape[axis]
    if isinstance(num_or_size_splits, int) or (
            hasattr(num_or_size_splits, "ndim") and num_or_size_splits.ndim == 0):
        n = int(num_or_size_splits)
        if n <= 0 or dim % n:
            raise op_error(f"Number of ways to split should evenly divide the split dimension, "
                           f"but got split_dim {axis} (size = {dim}) and num_split {n}", "Split")
        sizes = (dim // n,) * n
    else:
        sizes = list(static_shape(num_or_size_splits))
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
        if sum(sizes) != dim:
            raise op_error(f"Determined shape must either match input shape along split_dim "
                           f"exactly if fully specified, or be less than the size of the input "
                           f"along split_dim if not fully specified.  Got: {sum(sizes)}", "SplitV")
        sizes = tuple(sizes)
    return list(_split(x, sizes=sizes, axis=axis))


# -- gathering and selection --------------------------------------------------------

@primitive(name="GatherV2")
def _gather(params, indices, *, axis, batch_dims):
    if batch_dims == 0:
        return jnp.take(params, indices, axis=axis)
    fn = lambda p, i: _gather.fn(p, i, axis=axis - 1, batch_dims=batch_dims - 1)  # noqa: E731
    return jax.vmap(fn)(params, indices)


@export("gather")
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    p = tensor(params)
    idx = tensor(indices)
    axis = 0 if axis is None else single_axis(axis, p.ndim, "GatherV2")
    batch_dims = int(batch_dims) % (idx.ndim + 1) if batch_dims < 0 else int(batch_dims)
    _check_indices(idx, p._value.shape[axis], "GatherV2")
    return _gather(p, idx, axis=axis, batch_dims=batch_dims)


def _check_indices(idx, limit, op):
    """TF fails on out-of-range indices where JAX would clamp silently."""
    if isinstance(idx._value, jax.core.Tracer):
        return
    flat = np.asarray(idx.numpy()).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= limit))
    if bad.size:
        pos = np.unravel_index(bad[0], idx._value.shape) if idx.ndim else ()
        where_ = ",".join(str(int(p)) for p in pos)
        raise op_error(f"indices[{where_}] = {int(flat[bad[0]])} is not in [0, {limit})", op)


@primitive(name="SelectV2")
def _select(cond, x, y):
    return jnp.where(cond, x, y)


@export("where")
def where(condition, x=None, y=None, name=None):
    """Three arguments: elementwise select. One: int64 coordinates of true entries."""
    cond = tensor(condition)
    if x is None and y is None:
        return Tensor(jnp.asarray(np.argwhere(cond.numpy()), dtype=jnp.int64))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    from jaxtape.ops.inputs import binary
    x, y = binary(x, y, "SelectV2")
    return _select(cond, x, y)


# -- indexing (`tensor[...]`) -------------------------------------------------------

def _slice_spec(key, shape):
    """A hashable index (ints, slices, None, ...) plus dynamic index arrays."""
    items = key if isinstance(key, tuple) else (key,)
    spec, dynamic = [], []
    dim = 0
    consuming = [i for i in items if i is not None and i is not Ellipsis]
    seen = 0
    for item in items:
        if item is None or item is Ellipsis:
            spec.append(item)
            if item is Ellipsis:  # the rest index the trailing dimensions
                dim = len(shape) - (len(consuming) - seen)
            continue
        seen += 1
        if isinstance(item, slice):
            spec.append((slice, _index_int(item.start), _index_int(item.stop), _index_int(item.step)))
            dim += 1
            continue
        if isinstance(item, Tensor) and item._value.ndim == 0 and not _concrete(item):
            spec.append("dyn")
            dynamic.append(item._value)
            dim += 1
            continue
        i = _index_int(item)
        if dim >= len(shape):
            raise op_error(f"Index out of range using input dim {dim}; input has only "
                           f"{len(shape)} dims", "StridedSlice")
        if not -shape[dim] <= i < shape[dim]:
            raise op_error(f"slice index {i} of dimension {dim} out of bounds.", "StridedSlice")
        spec.append(i)
        dim += 1
    return tuple(spec), dynamic


def _concrete(t):
    return not isinstance(t._value, jax.core.Tracer)


def _index_int(v):
    if v is None:
        return None
    if isinstance(v, (Tensor,)) or hasattr(v, "_read_for_op"):
        return int(tensor(v).numpy())
    try:
        return v.__index__()
    except (AttributeError, TypeError):
        raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                        f"scalar tf.int32/tf.int64 tensors are valid indices, got {v!r}") from None


def getitem(x, key):
    """`tensor[key]` with TF's basic-indexing rules and a gradient."""
    x = tensor(x)
    spec, dynamic = _slice_spec(key, x._value.shape)
    spec = tuple(("slice", s[1], s[2], s[3]) if isinstance(s, tuple) else s for s in spec)
    return _getitem(x, *dynamic, spec=spec)


@primitive(name="StridedSlice")
def _getitem(x, *dynamic, spec):
    it = iter(dynamic)
    index = tuple(next(it) if s == "dyn" else slice(s[1], s[2], s[3]) if isinstance(s, tuple) else s
                  for s in spec)
    return x[index]


export_value(None, "newaxis")
