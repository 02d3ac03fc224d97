"""Creating, reshaping, joining and rearranging tensors (TF's array ops).

Indexing, gathering and scattering live in `index_ops`; `getitem`, `gather`
and `where` are re-exported here because `Tensor.__getitem__` and other
modules reach them through this module.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.exports import export, export_value
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor as _convert
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.support.args import op_error, single_axis, static_shape, tensor
from jaxtape._src.tape.primitive import Primitive, primitive

_as_tensor = tensor  # for functions whose TF argument is named `tensor`

export("convert_to_tensor")(_convert)


# -- creation -------------------------------------------------------------------

@export("constant")
def constant(value, dtype=None, shape=None, name="Const"):
    """A tensor from a Python value or array; `shape` reshapes or broadcasts a scalar."""
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


@primitive(name="LinSpace")
def _linspace(start, stop, *, num, axis):
    return jnp.linspace(start, stop, num, axis=axis).astype(start.dtype)


@export("linspace", "lin_space")
def linspace(start, stop, num, name=None, axis=0):
    """Integer endpoints give float64, as TF casts them before interpolating."""
    start, stop = tensor(start), tensor(stop)
    if not start.dtype.is_floating:
        start = Tensor(start._value.astype(jnp.float64))
    if stop.dtype != start.dtype:
        stop = Tensor(stop._value.astype(start._value.dtype))
    return _linspace(start, stop, num=int(num), axis=int(axis))


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


@primitive(name="IdentityN", multiple_results=True)
def _identity_n(*xs):
    return tuple(xs)


@export("identity_n")
def identity_n(input, name=None):  # noqa: A002
    return list(_identity_n(*[tensor(x) for x in input]))


@export("stop_gradient")
def stop_gradient(input, name=None):  # noqa: A002
    """The same value under a new id that no tape follows."""
    x = tensor(input)
    return Tensor(x._value)


@export("ensure_shape")
def ensure_shape(x, shape, name=None):
    """`x` unchanged when its shape is compatible with `shape` (None: any size)."""
    x = tensor(x)
    want = shape if isinstance(shape, TensorShape) else TensorShape(
        None if shape is None else [None if d is None or d == -1 else int(d) for d in shape])
    if not want.is_compatible_with(x.shape):
        raise op_error(f"Shape of tensor input {_bracket(x._value.shape)} is not compatible with "
                       f"expected shape {_bracket_opt(want)}.", "EnsureShape")
    return identity(x)


def _bracket_opt(shape):
    dims = shape.as_list() if shape.rank is not None else None
    if dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


# -- shape --------------------------------------------------------------------

@primitive(name="Reshape")
def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


@export("reshape")
def reshape(tensor, shape, name=None):  # noqa: F811 - TF's argument name
    x = _as_tensor(tensor)
    shape = static_shape(shape)
    size = x._value.size
    if shape.count(-1) > 1:
        first = shape.index(-1)
        raise op_error(f"Only one input size may be -1, not both {first} and "
                       f"{shape.index(-1, first + 1)}", "Reshape")
    known = int(np.prod([d for d in shape if d != -1])) if shape else 1
    if (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise op_error(f"Input to reshape is a tensor with {size} values, but the requested "
                       f"shape {'requires a multiple of' if -1 in shape else 'has'} {known}", "Reshape")
    if shape == x._value.shape:
        return _identity(x)
    return _reshape(x, shape=shape)


@primitive(name="Transpose")
def _transpose(x, *, perm):
    return jnp.transpose(x, perm)


@export("transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    x = tensor(a)
    perm = tuple(reversed(builtins.range(x.ndim))) if perm is None else static_shape(perm)
    if len(perm) != x.ndim:
        raise op_error(f"transpose expects a vector of size {x.ndim}. But input(1) is a vector "
                       f"of size {len(perm)}", "Transpose")
    norm = tuple(p % x.ndim if -x.ndim <= p < x.ndim else p for p in perm)
    for i, p in enumerate(norm):
        if not 0 <= p < x.ndim:
            raise op_error(f"{perm[i]} is out of range [0 .. {x.ndim})", "Transpose")
    if sorted(norm) != list(builtins.range(x.ndim)):
        raise op_error(f"{_dup(norm)} is duplicated in the input.", "Transpose")
    out = _transpose(x, perm=norm)
    return _conj(out) if conjugate and x.dtype.is_complex else out


def _dup(perm):
    seen = set()
    for p in perm:
        if p in seen:
            return p
        seen.add(p)
    return None


_conj = Primitive(jnp.conj, "Conj")


@export("shape")
def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002
    x = tensor(input)
    return Tensor(jnp.asarray(x._value.shape, dtype=dtypes.as_dtype(out_type).as_numpy_dtype))


@export("shape_n")
def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return [shape(x, out_type) for x in input]


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
    dims = x._value.shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(dims) if d == 1)
    else:
        axes = []
        for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
            a = int(a)
            if not -x.ndim <= a < x.ndim:
                raise op_error(f"Tried to squeeze dim index {a} for tensor with {x.ndim} "
                               "dimensions.", "Squeeze")
            a %= x.ndim
            if dims[a] != 1:
                raise op_error(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                               f"{dims[a]}", "Squeeze")
            axes.append(a)
        axes = tuple(sorted(set(axes)))
    return _squeeze(x, axis=axes)


@export("broadcast_static_shape")
def broadcast_static_shape(shape_x, shape_y):
    """The broadcast of two TensorShapes (unknown dimensions stay unknown)."""
    x, y = TensorShape(shape_x), TensorShape(shape_y)
    if x.rank is None or y.rank is None:
        return TensorShape(None)
    a, b = x.as_list(), y.as_list()
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for da, db in zip(a, b):
        if da == 1 or da == db:
            out.append(db)
        elif db == 1:
            out.append(da)
        elif da is None or db is None:
            out.append(da if db is None else db)
        else:
            raise ValueError(
                "Incompatible shapes for broadcasting. Two shapes are compatible if for each "
                "dimension pair they are either equal or one of them is 1. Received: "
                f"{tuple(x.as_list())} and {tuple(y.as_list())}.")
    return TensorShape(out)


@export("broadcast_dynamic_shape")
def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shape vectors, as a tensor of their dtype."""
    x, y = tensor(shape_x), tensor(shape_y)
    a, b = [int(d) for d in x.numpy()], [int(d) for d in y.numpy()]
    out = _broadcast_dims(a, b, "BroadcastArgs")
    return Tensor(jnp.asarray(out, dtype=x._value.dtype))


def _broadcast_dims(a, b, op):
    n = max(len(a), len(b))
    pa, pb = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for da, db in zip(pa, pb):
        if da != db and da != 1 and db != 1:
            raise op_error(f"Incompatible shapes: {_bracket(a)} vs. {_bracket(b)}", op)
        out.append(db if da == 1 else da)
    return out


@primitive(name="BroadcastTo")
def _broadcast_to(x, *, shape):
    return jnp.broadcast_to(x, shape)


@export("broadcast_to")
def broadcast_to(input, shape, name=None):  # noqa: A002
    x = tensor(input)
    shape = static_shape(shape)
    dims = x._value.shape
    if len(dims) > len(shape) or any(
            d != s and d != 1 for d, s in zip(dims[::-1], shape[::-1])):
        raise op_error(f"Incompatible shapes: {_bracket(dims)} vs. {_bracket(shape)}", "BroadcastTo")
    if shape == dims:
        return _identity(x)
    return _broadcast_to(x, shape=shape)


# -- joining and splitting --------------------------------------------------------

@primitive(name="ConcatV2")
def _concat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


@export("concat")
def concat(values, axis, name="concat"):
    xs = [tensor(v) for v in values]
    if len(xs) == 1:
        return identity(xs[0])
    first = xs[0]._value.shape
    n = len(first)
    axis = int(axis)
    if not -n <= axis < n:
        raise op_error(f"ConcatOp : Expected concatenating dimensions in the range [{-n}, {n}), "
                       f"but got {axis}", "ConcatV2")
    axis %= n
    for i, x in enumerate(xs[1:], 1):
        s = x._value.shape
        if len(s) != n:
            raise op_error(f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                           f"{_bracket(first)} vs. shape[{i}] = {_bracket(s)}", "ConcatV2")
        for d in builtins.range(n):
            if d != axis and s[d] != first[d]:
                raise op_error(f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                               f"{_bracket(first)} vs. shape[{i}] = {_bracket(s)}", "ConcatV2")
    return _concat(*_same_dtype(xs, "ConcatV2"), axis=axis)


@primitive(name="Pack")
def _stack(*xs, axis):
    return jnp.stack(xs, axis=axis)


@export("stack")
def stack(values, axis=0, name="stack"):
    xs = [tensor(v) for v in values]
    shapes = {x._value.shape for x in xs}
    if len(shapes) > 1:
        i = next(i for i, x in enumerate(xs) if x._value.shape != xs[0]._value.shape)
        raise op_error(f"Shapes of all inputs must match: values[0].shape = "
                       f"{_bracket(xs[0]._value.shape)} != values[{i}].shape = "
                       f"{_bracket(xs[i]._value.shape)}", "Pack")
    axis = single_axis(axis, xs[0].ndim + 1, "Pack")
    return _stack(*_same_dtype(xs, "Pack"), axis=axis)


@primitive(name="Unpack", multiple_results=True)
def _unstack(x, *, axis):
    return tuple(jnp.moveaxis(x, axis, 0))


@export("unstack")
def unstack(value, num=None, axis=0, name="unstack"):
    x = tensor(value)
    n = x.ndim
    axis = int(axis)
    if not -n <= axis < n:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-n}, {n})")
    axis %= n
    dim = x._value.shape[axis]
    if num is not None and int(num) != dim:
        raise op_error(f"Input shape axis {axis} must equal {int(num)}, got shape "
                       f"{_bracket(x._value.shape)}", "Unpack")
    if dim == 0:
        return []
    return list(_unstack(x, axis=axis))


def _bracket(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _same_dtype(xs, op):
    first = xs[0].dtype
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != first:
            raise op_error(f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                           f"{_kernel_name(first)} tensor but is a {_kernel_name(x.dtype)} tensor", op)
    return xs


def _kernel_name(dtype):
    from jaxtape._src.ops.support.args import kernel_dtype_name
    return kernel_dtype_name(dtype)


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
        if sum(sizes) != dim or any(s < 0 for s in sizes):
            raise op_error(f"Determined shape must either match input shape along split_dim "
                           f"exactly if fully specified, or be less than the size of the input "
                           f"along split_dim if not fully specified.  Got: {sum(sizes)}", "SplitV")
        sizes = tuple(sizes)
    return list(_split(x, sizes=sizes, axis=axis))


@primitive(name="Tile")
def _tile(x, *, multiples):
    return jnp.tile(x, multiples)


@export("tile")
def tile(input, multiples, name=None):  # noqa: A002
    x = tensor(input)
    reps = static_shape(multiples)
    if len(reps) != x.ndim:
        raise op_error(f"Expected multiples argument to be a vector of length {x.ndim} but got "
                       f"length {len(reps)}", "Tile")
    for i, r in enumerate(reps):
        if r < 0:
            raise op_error(f"Expected multiples[{i}] >= 0, but got {r}", "Tile")
    return _tile(x, multiples=reps)


@primitive(name="Repeat")
def _repeat(x, *, repeats, axis):
    if axis is None:
        x, axis = jnp.reshape(x, (-1,)), 0
    reps = np.asarray(repeats)
    total = int(reps.sum()) if reps.ndim else int(reps) * x.shape[axis]
    return jnp.repeat(x, reps, axis=axis, total_repeat_length=total)


@export("repeat")
def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """Repeats elements along `axis` (of the flattened input when None)."""
    x = tensor(input)
    reps = tensor(repeats).numpy()
    reps = int(reps) if reps.ndim == 0 else tuple(int(r) for r in reps.reshape(-1))
    if axis is not None:
        axis = single_axis(axis, x.ndim, "Repeat")
        if isinstance(reps, tuple) and len(reps) == 1:
            reps = reps[0]
        if isinstance(reps, tuple) and len(reps) != x._value.shape[axis]:
            raise ValueError(f"Dimensions must be equal, but are {x._value.shape[axis]} and "
                             f"{len(reps)}")
    elif isinstance(reps, tuple) and len(reps) == 1:
        reps = reps[0]
    return _repeat(x, repeats=reps, axis=axis)


# -- padding, reversing, rolling ---------------------------------------------------

@primitive(name="PadV2")
def _pad(x, *, paddings, mode, constant_value):
    if mode == "constant":
        return jnp.pad(x, paddings, mode="constant", constant_values=constant_value)
    return jnp.pad(x, paddings, mode=mode)


@export("pad")
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):  # noqa: F811
    """CONSTANT, REFLECT or SYMMETRIC padding; `constant_values` gets no gradient, as in TF."""
    x = _as_tensor(tensor)
    mode_ = str(mode).upper()
    if mode_ not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", '
                         f'or "SYMMETRIC". Received `mode` = {mode}')
    p = _as_tensor(paddings).numpy()
    op = "Pad" if mode_ == "CONSTANT" else "MirrorPad"
    if p.ndim != 2 or p.shape[0] != x.ndim or p.shape[1] != 2:
        raise op_error(f"The first dimension of paddings must be the rank of inputs"
                       f"{_bracket(p.shape)} {_bracket(x._value.shape)}", op)
    pairs = tuple((int(a), int(b)) for a, b in p)
    for i, (a, b) in enumerate(pairs):
        if a < 0 or b < 0:
            raise op_error(f"Paddings must be non-negative: {a} {b}", op)
        dim = x._value.shape[i]
        limit = dim if mode_ == "SYMMETRIC" else dim - 1
        if mode_ != "CONSTANT" and (a > limit or b > limit):
            word = "no greater than" if mode_ == "SYMMETRIC" else "less than"
            raise op_error(f"paddings must be {word} the dimension size: {a}, {b} not {word} "
                           f"{dim}", op)
    cv = _as_tensor(constant_values, dtype=x.dtype) if isinstance(constant_values, (int, float)) \
        else _as_tensor(constant_values)
    return _pad(x, paddings=pairs, mode=mode_.lower(), constant_value=cv.numpy().item())


@primitive(name="ReverseV2")
def _reverse(x, *, axis):
    return jnp.flip(x, axis)


@export("reverse")
def reverse(tensor, axis, name=None):  # noqa: F811
    x = _as_tensor(tensor)
    axes = static_shape(axis)
    out = []
    for i, a in enumerate(axes):
        if not -x.ndim <= a < x.ndim:
            raise op_error(f"'axis'[{i}] = {a} is out of valid range [0, {x.ndim - 1}", "ReverseV2")
        out.append(a % x.ndim)
    if len(set(out)) != len(out):
        raise op_error(f"axis {_dup(out)} specified more than once.", "ReverseV2")
    return _reverse(x, axis=tuple(out))


@primitive(name="Roll")
def _roll(x, *, shift, axis):
    return jnp.roll(x, shift, axis)


@export("roll")
def roll(input, shift, axis, name=None):  # noqa: A002
    x = tensor(input)
    shifts, axes = static_shape(shift), static_shape(axis)
    if len(shifts) != len(axes):
        raise op_error("shift and axis must have the same size", "Roll")
    for a in axes:
        if not -x.ndim <= a < x.ndim:
            raise op_error(f"axis {a} is out of range", "Roll")
    return _roll(x, shift=shifts, axis=tuple(a % x.ndim for a in axes))


@primitive(name="ReverseSequence")
def _reverse_sequence(x, lengths, *, seq_axis, batch_axis):
    n = x.shape[seq_axis]
    pos = jnp.arange(n)
    lengths = lengths.astype(pos.dtype)
    # src[b, t]: where output position t of batch row b reads from.
    src = jnp.where(pos[None, :] < lengths[:, None], lengths[:, None] - 1 - pos[None, :], pos[None, :])
    shape = [1] * x.ndim
    shape[batch_axis], shape[seq_axis] = x.shape[batch_axis], n
    order = sorted((batch_axis, seq_axis))
    src = src if order == [batch_axis, seq_axis] else src.T
    src = jnp.broadcast_to(jnp.reshape(src, shape), x.shape)
    return jnp.take_along_axis(x, src, axis=seq_axis)


@export("reverse_sequence")
def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    x = tensor(input)
    lengths = tensor(seq_lengths)
    seq_axis = single_axis(seq_axis, x.ndim, "ReverseSequence")
    batch_axis = single_axis(0 if batch_axis is None else batch_axis, x.ndim, "ReverseSequence")
    if seq_axis == batch_axis:
        raise op_error(f"seq_dim == batch_dim == {seq_axis}", "ReverseSequence")
    lens = lengths.numpy().reshape(-1)
    if lens.size != x._value.shape[batch_axis]:
        raise op_error(f"Length of seq_lengths != input.dims({batch_axis}), ({lens.size} vs. "
                       f"{x._value.shape[batch_axis]})", "ReverseSequence")
    if lens.size and lens.max() > x._value.shape[seq_axis]:
        raise op_error(f"seq_lens(0) > input.dims({seq_axis})", "ReverseSequence")
    return _reverse_sequence(x, lengths, seq_axis=seq_axis, batch_axis=batch_axis)


# -- grids and masks --------------------------------------------------------------

@primitive(name="Meshgrid", multiple_results=True)
def _meshgrid(*xs, indexing):
    return tuple(jnp.meshgrid(*xs, indexing=indexing))


@export("meshgrid")
def meshgrid(*args, **kwargs):
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'")
    xs = [reshape(tensor(a), [-1]) for a in args]
    if not xs:
        return []
    return list(_meshgrid(*_same_dtype(xs, "Meshgrid"), indexing=indexing))


@primitive(name="SequenceMask", differentiable=False)
def _sequence_mask(lengths, *, maxlen, dtype):
    return (jnp.arange(maxlen) < lengths[..., None]).astype(dtype)


@export("sequence_mask")
def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    lengths = tensor(lengths)
    if maxlen is None:
        maxlen = int(lengths.numpy().max()) if lengths._value.size else 0
        maxlen = max(maxlen, 0)
    else:
        maxlen = int(tensor(maxlen).numpy())
    return _sequence_mask(lengths, maxlen=maxlen, dtype=_dtype_np(dtype))


@primitive(name="OneHot", differentiable=False)
def _one_hot(indices, on, off, *, depth, axis):
    hot = jnp.expand_dims(indices, axis) == jnp.reshape(
        jnp.arange(depth, dtype=indices.dtype), [depth] + [1] * (indices.ndim - axis))
    return jnp.where(hot, on, off)


@export("one_hot")
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encoding; the dtype comes from `dtype`, else on/off values, else float32."""
    idx = tensor(indices)
    if idx.dtype not in (dtypes.uint8, dtypes.int8, dtypes.int32, dtypes.int64):
        raise op_error(f"Value for attr 'TI' of {_kernel_name(idx.dtype)} is not "
                       "in the list of allowed values: uint8, int8, int32, int64", "OneHot")
    want = None if dtype is None else dtypes.as_dtype(dtype)
    # Values convert without the requested dtype: TF then insists they match it.
    given = [None if v is None else tensor(v) for v in (on_value, off_value)]
    for label, g in zip(("on_value", "off_value"), given):
        if g is not None and want is not None and g.dtype != want:
            raise TypeError(f"dtype {g.dtype} of {label} does not match dtype parameter {want}")
    if want is None:
        known = [g.dtype for g in given if g is not None]
        if len(known) == 2 and known[0] != known[1]:
            raise TypeError(f"dtype of on_value ({known[0]}) and off_value ({known[1]}) must be "
                            "the same")
        want = known[0] if known else dtypes.float32
    on = tensor(1 if on_value is None else on_value, dtype=want) if given[0] is None else given[0]
    off = tensor(0 if off_value is None else off_value, dtype=want) if given[1] is None else given[1]
    axis = idx.ndim if axis is None or axis == -1 else int(axis)
    if not 0 <= axis <= idx.ndim:
        raise op_error(f"Expected axis to be -1 or between [0, {idx.ndim + 1}).  But received: "
                       f"{axis}", "OneHot")
    return _one_hot(idx, on, off, depth=int(depth), axis=axis)


# -- sorting and uniqueness -------------------------------------------------------

def _check_direction(direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Argument `direction` should be one of ASCENDING, DESCENDING. "
                         f"Received: direction={direction}")


def _argsort_last(x, descending):
    """TF's order: ties keep their original order in both directions."""
    if not descending:
        return jnp.argsort(x, axis=-1, stable=True)
    n = x.shape[-1]
    return n - 1 - jnp.flip(jnp.argsort(jnp.flip(x, -1), axis=-1, stable=True), -1)


@primitive(name="Sort")
def _sort(x, *, axis, descending):
    x = jnp.moveaxis(x, axis, -1)
    out = jnp.take_along_axis(x, _argsort_last(jax.lax.stop_gradient(x), descending), axis=-1)
    return jnp.moveaxis(out, -1, axis)


@primitive(name="Argsort", differentiable=False)
def _argsort(x, *, axis, descending):
    idx = _argsort_last(jnp.moveaxis(x, axis, -1), descending)
    return jnp.moveaxis(idx, -1, axis).astype(jnp.int32)


@export("sort")
def sort(values, axis=-1, direction="ASCENDING", name=None):
    _check_direction(direction)
    x = tensor(values)
    axis = single_axis(axis, x.ndim, "TopKV2")
    return _sort(x, axis=axis, descending=direction == "DESCENDING")


@export("argsort")
def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    _check_direction(direction)
    x = tensor(values)
    axis = single_axis(axis, x.ndim, "TopKV2")
    return _argsort(x, axis=axis, descending=direction == "DESCENDING")


@primitive(name="SearchSorted", differentiable=False)
def _searchsorted(seq, values, *, side, dtype):
    flat_s = jnp.reshape(seq, (-1, seq.shape[-1]))
    flat_v = jnp.reshape(values, (-1, values.shape[-1]))
    out = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))(flat_s, flat_v)
    return jnp.reshape(out, values.shape).astype(dtype)


@export("searchsorted")
def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: `side` = {side}.")
    seq, vals = tensor(sorted_sequence), tensor(values)
    if seq._value.shape[:-1] != vals._value.shape[:-1]:
        raise op_error("Leading dim_size of both tensors must match.", "LowerBound"
                       if side == "left" else "UpperBound")
    return _searchsorted(seq, vals, side=side, dtype=_dtype_np(out_type))


def _unique_parts(x, out_idx, op):
    if x.ndim != 1:
        raise op_error("unique expects a 1D vector.", op)
    out_idx = dtypes.as_dtype(out_idx)
    if out_idx not in (dtypes.int32, dtypes.int64):
        raise op_error(f"Value for attr 'out_idx' of {_kernel_name(out_idx)} is not in the list of allowed "
                       "values: int32, int64", op)
    values = x.numpy()
    _, first, inverse, counts = np.unique(values, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first, kind="stable")  # TF lists values by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    y = Tensor(jnp.asarray(values[first[order]]))
    idx = Tensor(jnp.asarray(rank[inverse.reshape(-1)], dtype=out_idx.as_numpy_dtype))
    count = Tensor(jnp.asarray(counts[order], dtype=out_idx.as_numpy_dtype))
    return y, idx, count


@export("unique")
def unique(x, out_idx=dtypes.int32, name=None):
    """(y, idx): distinct values in order of first appearance; TF defines no gradient."""
    y, idx, _ = _unique_parts(tensor(x), out_idx, "Unique")
    return _named("Unique", ("y", "idx"))(y, idx)


@export("unique_with_counts")
def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    y, idx, count = _unique_parts(tensor(x), out_idx, "UniqueWithCounts")
    return _named("UniqueWithCounts", ("y", "idx", "count"))(y, idx, count)


_NAMED = {}


def _named(name, fields):
    """TF's namedtuple result types (`Unique(y=..., idx=...)`)."""
    cls = _NAMED.get(name)
    if cls is None:
        import collections
        cls = _NAMED[name] = collections.namedtuple(name, fields)
    return cls


# Indexing lives in index_ops; these names stay reachable from here.
from jaxtape._src.ops.array.indexing import gather, getitem, setitem, where  # noqa: E402,F401

export_value(None, "newaxis")
