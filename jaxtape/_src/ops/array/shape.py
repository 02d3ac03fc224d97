"""Shapes: `tf.shape`, `size`, `rank`, `reshape`, `expand_dims`, `squeeze`,
`broadcast_to`, `broadcast_static_shape`, `broadcast_dynamic_shape`, `ensure_shape`."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import constant_array
from jaxtape._src.framework.messages import dims, incompatible_shapes, named_by, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.array.identity import identity
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import static_shape, tensor
from jaxtape._src.ops.support.args import tensor as _as_tensor  # where TF's argument is `tensor`
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_identity = identity.primitive
_reshape = Primitive(jnp.reshape, "Reshape", vjp_reads=((),))
_expand_dims = Primitive(jnp.expand_dims, "ExpandDims")
_squeeze = Primitive(jnp.squeeze, "Squeeze")
_broadcast_to = Primitive(jnp.broadcast_to, "BroadcastTo")


@defined("shape")
def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002 - TF's argument name
    x = tensor(input)
    # Concrete inside tf.function too: shapes are static there, as TF's shape inference knows.
    return Tensor(constant_array(x._value.shape, dtypes.as_dtype(out_type).as_numpy_dtype))


@defined("shape_n")
def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return [shape(x, out_type) for x in input]


@defined("size")
def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    x = tensor(input)
    return Tensor(constant_array(x._value.size, dtypes.as_dtype(out_type).as_numpy_dtype))


@defined("rank")
def rank(input, name=None):  # noqa: A002
    return Tensor(constant_array(tensor(input).ndim, jnp.int32))


def _shape_dtype(shape):
    """The dtype TF converts a shape argument to (a float anywhere makes it float)."""
    if isinstance(shape, Tensor):
        return shape.dtype
    if isinstance(shape, (list, tuple)):
        floats = [d for d in shape if isinstance(d, (float, np.floating))]
        if floats:
            return dtypes.as_dtype(np.asarray(floats[0]).dtype if isinstance(floats[0], np.floating)
                                   else "float32")
    if isinstance(shape, np.ndarray) and shape.dtype.kind not in "iu":
        return dtypes.as_dtype(shape.dtype)
    return dtypes.int32


@defined("reshape", primitive=_reshape)
def reshape(tensor, shape, name=None):  # noqa: F811 - TF's argument names
    x = _as_tensor(tensor)
    named = named_by(shape)
    shape_dtype = _shape_dtype(shape)
    if shape_dtype is not dtypes.int32 and shape_dtype is not dtypes.int64:
        raise kernel_dtypes.reject("Reshape", shape_dtype, "Tshape", named)
    shape = static_shape(shape)
    size = x._meta.size
    if shape.count(-1) > 1:
        first = shape.index(-1)
        raise op_error(f"Only one input size may be -1, not both {first} and "
                       f"{shape.index(-1, first + 1)}", "Reshape", named)
    known = int(np.prod([d for d in shape if d != -1])) if shape else 1
    if (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise op_error(f"Input to reshape is a tensor with {size} values, but the requested "
                       f"shape {'requires a multiple of' if -1 in shape else 'has'} {known}", "Reshape", named)
    if shape == x._meta.shape:
        return _identity(x)
    return _reshape(x, shape=shape)


@defined("expand_dims", primitive=_expand_dims)
def expand_dims(input, axis, name=None):  # noqa: A002
    x = tensor(input)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise op_error(f"Tried to expand dim index {axis} for tensor with {x.ndim} dimensions.",
                       "ExpandDims")
    return _expand_dims(x, axis=axis % (x.ndim + 1))


@defined("squeeze", primitive=_squeeze)
def squeeze(input, axis=None, name=None):  # noqa: A002
    x = tensor(input)
    sizes = x._meta.shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(sizes) if d == 1)
    else:
        axes = []
        for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
            a = int(a)
            if not -x.ndim <= a < x.ndim:
                raise op_error(f"Tried to squeeze dim index {a} for tensor with {x.ndim} "
                               "dimensions.", "Squeeze")
            a %= x.ndim
            if sizes[a] != 1:
                raise op_error(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                               f"{sizes[a]}", "Squeeze")
            axes.append(a)
        axes = tuple(sorted(set(axes)))
    return _squeeze(x, axis=axes)


@defined("broadcast_static_shape")
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


@defined("broadcast_dynamic_shape")
def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shape vectors, as a tensor of their dtype."""
    x, y = tensor(shape_x), tensor(shape_y)
    a, b = [int(d) for d in x.numpy()], [int(d) for d in y.numpy()]
    n = max(len(a), len(b))
    out = []
    for da, db in zip([1] * (n - len(a)) + a, [1] * (n - len(b)) + b):
        if da != db and da != 1 and db != 1:
            raise incompatible_shapes("BroadcastArgs", a, b)
        out.append(db if da == 1 else da)
    return Tensor(jnp.asarray(out, dtype=x._value.dtype))


@defined("broadcast_to", primitive=_broadcast_to)
def broadcast_to(input, shape, name=None):  # noqa: A002
    x = tensor(input)
    named = named_by(shape)
    shape = static_shape(shape)
    have = x._value.shape
    if len(have) > len(shape) or any(d != s and d != 1 for d, s in zip(have[::-1], shape[::-1])):
        raise incompatible_shapes("BroadcastTo", have, shape, named)
    if shape == have:
        return _identity(x)
    return _broadcast_to(x, shape=shape)


@defined("ensure_shape")
def ensure_shape(x, shape, name=None):
    """`x` unchanged when its shape is compatible with `shape` (None: any size)."""
    x = tensor(x)
    want = shape if isinstance(shape, TensorShape) else TensorShape(
        None if shape is None else [None if d is None or d == -1 else int(d) for d in shape])
    if not want.is_compatible_with(x.shape):
        expected = "<unknown>" if want.rank is None else dims(
            "?" if d is None else d for d in want.as_list())
        raise op_error(f"Shape of tensor input {dims(x._value.shape)} is not compatible with "
                       f"expected shape {expected}.", "EnsureShape")
    return identity(x)
