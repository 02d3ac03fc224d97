"""Creating tensors: `tf.constant`, `zeros`, `ones`, `fill`, `*_like`, `range`,
`linspace`, `eye`, `one_hot`, `meshgrid`, `sequence_mask`, and the export of
`tf.convert_to_tensor` with the auto-packing of nested lists of tensors."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import convert, dtypes, messages
from jaxtape._src.framework.convert import _registered as _conversions  # empty unless registered
from jaxtape._src.framework.convert import convert_to_tensor as _convert
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import named_by, negative_dimension, op_error
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.framework.strings import wrap
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.array.join import same_dtype, stack
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.support.args import static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive, primitive

export("convert_to_tensor")(_convert)


def pack_nested(value):
    """Auto-packing of a (nested) list holding tensors, as `tf.constant([t, t])`."""
    if isinstance(value, (list, tuple)):
        return stack([pack_nested(v) for v in value])
    return tensor(value)


convert.pack_nested = pack_nested  # the hook `convert_to_tensor` calls for lists of tensors


def _numpy_dtype(dtype, default=dtypes.float32):
    """A `dtype` argument (None: `default`) as the NumPy dtype JAX takes."""
    return dtypes.as_dtype(default if dtype is None else dtype).as_numpy_dtype


@defined("constant")
def constant(value, dtype=None, shape=None, name="Const"):
    """A tensor from a Python value or array; `shape` reshapes or broadcasts a scalar.

    Unlike `convert_to_tensor`, TF's `tf.constant` ignores the conversion functions
    registered with `tf.register_tensor_conversion_function`."""
    if _conversions and not isinstance(value, Tensor) and convert.is_registered(value):
        t = convert.convert_unregistered(value, dtype)
    else:
        t = _convert(value, dtype=dtype) if not isinstance(value, Tensor) or dtype is None \
            else _convert(value.numpy(), dtype=dtype)
    if shape is None:
        return t
    shape = _constant_shape(shape)
    array = t._value
    if None in shape:  # TF converts the dims to a tensor to fill: its conversion error
        if array.size == 1:
            _convert(list(shape), dtype=dtypes.int32)
        size = None
    else:
        size = int(np.prod(shape))
    host = isinstance(array, np.ndarray)  # strings live on the host
    if array.size == size:
        return wrap(np.reshape(array, shape) if host else jnp.reshape(array, shape))
    if array.size == 1:  # TF's Fill: a scalar or a one-element vector, nothing of higher rank
        if array.ndim > 1:
            raise op_error(f"value must represent a scalar, got shape {messages.dims(array.shape)}",
                           "Fill", named=False)
        scalar = array.reshape(())
        return wrap(np.full(shape, scalar[()], object) if host else jnp.broadcast_to(scalar, shape))
    raise TypeError(
        f"Eager execution of tf.constant with unsupported shape. Tensor {t.numpy()} "
        f"(converted from {value}) has {array.size} elements, but got `shape` "
        f"{tuple(shape)} with {size} elements).")


def _constant_shape(shape) -> tuple:
    """`tf.constant`'s `shape` as TF's TensorShape checks it: integer (or None)
    dimensions, none negative."""
    if shape is None or is_tensor(shape) or isinstance(shape, np.ndarray):
        return static_shape(shape)
    dims = shape.as_list() if hasattr(shape, "as_list") else \
        [shape] if not isinstance(shape, (list, tuple)) else list(shape)
    out = []
    for d in dims:
        d = getattr(d, "value", d) if type(d).__name__ == "Dimension" else d
        if d is not None:
            if not hasattr(d, "__index__"):
                raise TypeError("Dimension value must be integer or None or have an __index__ "
                                f"method, got value '{d!r}' with type '{type(d)!r}'")
            d = int(d.__index__())
            if d < 0:
                raise ValueError(f"Dimension {d} must be >= 0")
        out.append(d)
    return tuple(out)


@defined("zeros")
def zeros(shape, dtype=dtypes.float32, name=None, layout=None):
    return Tensor(jnp.zeros(_fill_shape(shape), _numpy_dtype(dtype)))


@defined("ones")
def ones(shape, dtype=dtypes.float32, name=None, layout=None):
    return Tensor(jnp.ones(_fill_shape(shape), _numpy_dtype(dtype)))


def _fill_shape(shape, named=True):
    """A shape for TF's Fill kernel (zeros, ones and fill build on it)."""
    shape = static_shape(shape)
    negative_dimension(shape, "Fill", named)
    return shape


@primitive(name="Fill")
def _fill(value, *, shape):
    return jnp.full(shape, value, value.dtype)  # its VJP sums the upstream, as TF's FillGrad


@defined("fill", primitive=_fill)
def fill(dims, value, name=None, layout=None):
    named = named_by(dims, value)
    v = tensor(value)
    shape = _fill_shape(dims, named)
    if v.ndim > 1 or v.ndim == 1 and v.shape[0] != 1:  # TF takes a one-element vector as a scalar
        raise op_error(f"value must represent a scalar, got shape {messages.dims(v.shape)}", "Fill", named)
    if v.ndim and v.dtype != dtypes.string:
        v = reshape(v, [])
    if v.dtype == dtypes.string:  # strings stay on the host
        return wrap(np.full(shape, v._value.reshape(-1)[0], object))
    return _fill(v, shape=shape)


# Recorded without a gradient, as TF's ZerosLike/OnesLike: a tape follows their
# outputs. With another dtype TF builds the result from the shape alone.
_zeros_like = Primitive(jnp.zeros_like, "ZerosLike", differentiable=False)
_ones_like = Primitive(jnp.ones_like, "OnesLike", differentiable=False)


@defined("zeros_like")
def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's argument name
    x = tensor(input)
    if dtype is None or _numpy_dtype(dtype) == x._value.dtype:
        return _zeros_like(x)
    return Tensor(jnp.zeros(x._value.shape, _numpy_dtype(dtype)))


@defined("ones_like")
def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    x = tensor(input)
    if dtype is None or _numpy_dtype(dtype) == x._value.dtype:
        return _ones_like(x)
    return Tensor(jnp.ones(x._value.shape, _numpy_dtype(dtype)))


_RANGE_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


@defined("range")
def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's name
    """TF's range: the dtype is the widest of the arguments' (int32 or float32)."""
    if limit is None:
        start, limit = 0, start
    parts = [tensor(v) for v in (start, limit, delta)]
    if dtype is None:
        dtype = max((p.dtype for p in parts),
                    key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else 0)
    dtype = dtypes.as_dtype(dtype)
    s, l, d = (p.numpy().item() for p in parts)
    if d == 0:
        raise op_error("Requires delta != 0: 0", "Range")
    if (s > l) if d > 0 else (s < l):  # TF's kernel prints numbers as C++ streams do (%g)
        sign, cmp = (">", "<=") if d > 0 else ("<", ">=")
        raise op_error(f"Requires start {cmp} limit when delta {sign} 0: {s:g}/{l:g}", "Range")
    return Tensor(jnp.arange(s, l, d, dtype=dtype.as_numpy_dtype))


@primitive(name="LinSpace")
def _linspace(start, stop, *, num, axis):
    return jnp.linspace(start, stop, num, axis=axis).astype(start.dtype)


@defined("linspace", "lin_space", primitive=_linspace)
def linspace(start, stop, num, name=None, axis=0):
    """Integer endpoints give float64, as TF casts them before interpolating."""
    count = tensor(int(num) if isinstance(num, bool) else num)  # TF prefers int32: True is 1
    if not count.dtype.is_integer:
        raise TypeError(f"Argument `tensor` (name: num) must be of type integer. Received `tensor` = "
                        f"{count} of dtype: {count.dtype}")
    start, stop = tensor(start), tensor(stop)
    if not start.dtype.is_floating:
        start = Tensor(start._value.astype(jnp.float64))
    if stop.dtype != start.dtype:
        stop = Tensor(stop._value.astype(start._value.dtype))
    return _linspace(start, stop, num=int(count), axis=int(axis))


@defined("eye", "linalg.eye")
def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    negative_dimension([int(num_rows)] + ([] if num_columns is None else [int(num_columns)]), "Fill")
    m = jnp.eye(int(num_rows), None if num_columns is None else int(num_columns),
                dtype=_numpy_dtype(dtype))
    if batch_shape is not None:
        m = jnp.broadcast_to(m, static_shape(batch_shape) + m.shape)
    return Tensor(m)


# One op per output, as TF builds each from its own input (a reshape times
# ones): output i depends on input i alone, so the others get None, not zeros.
_mesh_axis = Primitive(lambda x, *, column, shape: jnp.broadcast_to(jnp.reshape(x, column), shape),
                       "Meshgrid")


@defined("meshgrid", primitive=_mesh_axis)
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
    xs = same_dtype(xs, "Meshgrid")
    sizes = [int(x._value.shape[0]) for x in xs]
    axes = list(range(len(xs)))
    if indexing == "xy" and len(xs) > 1:  # TF's "xy" swaps the first two axes
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    ones = (1,) * len(xs)
    return [_mesh_axis(x, column=ones[:a] + (-1,) + ones[a + 1:], shape=tuple(sizes)) for x, a in zip(xs, axes)]


@primitive(name="SequenceMask", differentiable=False)
def _sequence_mask(lengths, *, maxlen, dtype):
    return (jnp.arange(maxlen) < lengths[..., None]).astype(dtype)


@defined("sequence_mask", primitive=_sequence_mask)
def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    lengths = tensor(lengths)
    if maxlen is None:
        maxlen = int(lengths.numpy().max()) if lengths._value.size else 0
        maxlen = max(maxlen, 0)
    else:
        maxlen = int(tensor(maxlen).numpy())
    return _sequence_mask(lengths, maxlen=maxlen, dtype=_numpy_dtype(dtype))


@primitive(name="OneHot", differentiable=False)
def _one_hot(indices, on, off, *, depth, axis):
    hot = jnp.expand_dims(indices, axis) == jnp.reshape(
        jnp.arange(depth, dtype=indices.dtype), [depth] + [1] * (indices.ndim - axis))
    return jnp.where(hot, on, off)


@defined("one_hot", primitive=_one_hot)
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encoding; the dtype comes from `dtype`, else on/off values, else float32."""
    idx = tensor(indices)
    if idx.dtype not in (dtypes.uint8, dtypes.int8, dtypes.int32, dtypes.int64):
        raise kernel_dtypes.reject("OneHot", idx.dtype, "TI", named_by(indices))
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
